// The board model's optimistic changes (src/kanban/api/web/model.js).
import test from 'node:test';
import assert from 'node:assert/strict';
import * as model from '../../src/kanban/api/web/model.js';

const card = (id, column, extra = {}) => ({
  id, column_id: column, title: id.toUpperCase(), description: '', labels: [], assignees: [],
  due_date: null, archived: false, ...extra,
});

// Two columns: todo (a, b, c, archived x) with a WIP limit of 3, and done (d).
function board() {
  return {
    id: 'b1', title: 'Board', version: 7, archived: false,
    columns: [
      {
        id: 'todo', title: 'To do', wip_limit: 3, over_limit: false,
        cards: [card('a', 'todo'), card('b', 'todo'), card('c', 'todo'), card('x', 'todo', { archived: true })],
      },
      { id: 'done', title: 'Done', wip_limit: null, over_limit: false, cards: [card('d', 'done')] },
    ],
  };
}

const ids = (b, columnId) => model.findColumn(b, columnId).cards.map((c) => c.id);

test('findCard gives the card, its column and its place among the live cards', () => {
  const b = board();
  const found = model.findCard(b, 'c');
  assert.equal(found.card.id, 'c');
  assert.equal(found.column.id, 'todo');
  assert.equal(found.index, 2);
  assert.equal(model.findCard(b, 'x').index, -1, 'an archived card has no live place');
  assert.equal(model.findCard(b, 'nope'), null);
});

test('findColumn and live', () => {
  const b = board();
  assert.equal(model.findColumn(b, 'done').title, 'Done');
  assert.equal(model.findColumn(b, 'nope'), undefined);
  assert.deepEqual(model.live(model.findColumn(b, 'todo')).map((c) => c.id), ['a', 'b', 'c']);
});

test('moveCard within a column', () => {
  const b = board();
  model.moveCard(b, 'a', 'todo', 2);
  assert.deepEqual(ids(b, 'todo'), ['b', 'c', 'a', 'x']);
  model.moveCard(b, 'a', 'todo', 0);
  assert.deepEqual(ids(b, 'todo'), ['a', 'b', 'c', 'x']);
});

test('moveCard to another column sets its column_id; archived cards stay last', () => {
  const b = board();
  model.moveCard(b, 'd', 'todo', 1);
  assert.deepEqual(ids(b, 'todo'), ['a', 'd', 'b', 'c', 'x']);
  assert.deepEqual(ids(b, 'done'), []);
  assert.equal(model.findCard(b, 'd').card.column_id, 'todo');
  model.moveCard(b, 'b', 'done', 99);
  assert.deepEqual(ids(b, 'done'), ['b'], 'a position past the end is last');
});

test('moveCard of a card or to a column that is not there changes nothing', () => {
  const b = board();
  model.moveCard(b, 'nope', 'todo', 0);
  model.moveCard(b, 'a', 'nope', 0);
  assert.deepEqual(b, board());
});

test('moveColumn', () => {
  const b = board();
  model.moveColumn(b, 'todo', 1);
  assert.deepEqual(b.columns.map((c) => c.id), ['done', 'todo']);
  model.moveColumn(b, 'todo', 0);
  assert.deepEqual(b.columns.map((c) => c.id), ['todo', 'done']);
  model.moveColumn(b, 'nope', 0);
  assert.deepEqual(b.columns.map((c) => c.id), ['todo', 'done']);
});

test('addCard puts the new card last among the live ones, before the archived', () => {
  const b = board();
  model.addCard(b, 'todo', card('n', 'todo'));
  assert.deepEqual(ids(b, 'todo'), ['a', 'b', 'c', 'n', 'x']);
  model.addCard(b, 'nope', card('m', 'nope'));
  assert.equal(model.findCard(b, 'm'), null);
});

test('setArchived moves an archived card after the live ones, a restored one last among them', () => {
  const b = board();
  model.setArchived(b, 'a', true);
  assert.deepEqual(ids(b, 'todo'), ['b', 'c', 'a', 'x']);
  assert.equal(model.findCard(b, 'a').card.archived, true);
  model.setArchived(b, 'x', false);
  assert.deepEqual(ids(b, 'todo'), ['b', 'c', 'x', 'a']);
  model.setArchived(b, 'nope', true); // no-op
});

test('editCard, editColumn, addColumn and removeColumn', () => {
  const b = board();
  model.editCard(b, 'a', { title: 'New', labels: ['x'] });
  assert.equal(model.findCard(b, 'a').card.title, 'New');
  assert.deepEqual(model.findCard(b, 'a').card.labels, ['x']);
  model.editColumn(b, 'todo', { wip_limit: null });
  assert.equal(model.findColumn(b, 'todo').wip_limit, null);
  model.addColumn(b, { id: 'new', title: 'New', wip_limit: null, over_limit: false, cards: [] });
  assert.deepEqual(b.columns.map((c) => c.id), ['todo', 'done', 'new']);
  model.removeColumn(b, 'done');
  assert.deepEqual(b.columns.map((c) => c.id), ['todo', 'new']);
});

test('renameCard and renameColumn give a temporary id the server’s', () => {
  const b = board();
  model.addCard(b, 'done', card('pending-1', 'done'));
  model.renameCard(b, 'pending-1', 'c9');
  assert.deepEqual(ids(b, 'done'), ['d', 'c9']);
  model.renameColumn(b, 'done', 'col9');
  assert.equal(model.findColumn(b, 'col9').title, 'Done');
  assert.deepEqual(model.findColumn(b, 'col9').cards.map((c) => c.column_id), ['col9', 'col9']);
});

test('wipState: none without a limit; at it; over it; the server’s over_limit wins', () => {
  const b = board();
  const todo = model.findColumn(b, 'todo');
  assert.equal(model.wipState(model.findColumn(b, 'done')), null);
  assert.equal(model.wipState(todo), 'at', 'three live cards (the archived one does not count)');
  todo.wip_limit = 4;
  assert.equal(model.wipState(todo), null);
  todo.wip_limit = 2;
  assert.equal(model.wipState(todo), 'over');
  todo.wip_limit = 10;
  todo.over_limit = true;
  assert.equal(model.wipState(todo), 'over');
});
