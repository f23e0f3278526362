// Where Alt+arrow moves a card (src/kanban/api/web/keys.js cardMove).
import test from 'node:test';
import assert from 'node:assert/strict';
import { cardMove } from '../../src/kanban/api/web/keys.js';

const card = (id, column, archived = false) => ({
  id, column_id: column, title: id, description: '', labels: [], assignees: [], due_date: null, archived,
});
const column = (id, cards) => ({ id, title: id, wip_limit: null, over_limit: false, cards });
const board = {
  id: 'b', title: 'B', version: 1, archived: false,
  columns: [
    column('left', [card('l1', 'left')]),
    column('mid', [card('m1', 'mid'), card('m2', 'mid'), card('m3', 'mid'), card('mx', 'mid', true)]),
    column('right', []),
  ],
};

test('up and down within the column, not past its live cards', () => {
  assert.deepEqual(cardMove(board, 'm2', [0, -1]), { columnId: 'mid', position: 0 });
  assert.deepEqual(cardMove(board, 'm2', [0, 1]), { columnId: 'mid', position: 2 });
  assert.equal(cardMove(board, 'm1', [0, -1]), null);
  assert.equal(cardMove(board, 'm3', [0, 1]), null, 'the archived card below does not count');
});

test('left and right to the same height, or last when the column is shorter', () => {
  assert.deepEqual(cardMove(board, 'm3', [-1, 0]), { columnId: 'left', position: 1 });
  assert.deepEqual(cardMove(board, 'm1', [-1, 0]), { columnId: 'left', position: 0 });
  assert.deepEqual(cardMove(board, 'm2', [1, 0]), { columnId: 'right', position: 0 });
  assert.equal(cardMove(board, 'l1', [-1, 0]), null, 'no column further left');
});

test('an archived or unknown card does not move', () => {
  assert.equal(cardMove(board, 'mx', [0, -1]), null);
  assert.equal(cardMove(board, 'nope', [1, 0]), null);
});
