// The board page's state (src/kanban/api/web/board-state.js): what you may
// do, and what a change touched (so what the page draws again).
import test from 'node:test';
import assert from 'node:assert/strict';
import { initialState, permissions, touched } from '../../src/kanban/api/web/board-state.js';

const board = () => ({
  id: 'b', title: 'B', version: 3, archived: false,
  columns: [{ id: 'c', title: 'C', wip_limit: null, over_limit: false, cards: [] }],
});

const loaded = () => ({ ...initialState({ admin: false }), board: board(), role: 'editor', members: [] });
const NOTHING = { board: false, version: false, role: false, members: false, live: false };

test('the initial state is frozen, empty and connecting', () => {
  const state = initialState({ admin: true });
  assert.ok(Object.isFrozen(state));
  assert.equal(state.board, null);
  assert.equal(state.admin, true);
  assert.equal(state.live, 'connecting');
  assert.deepEqual(state.drafts, {});
});

test('permissions follow the role; the past and an archived board are read-only for all', () => {
  const at = (role, admin = false, extra = {}) => permissions({ admin, role, past: null, board: board(), ...extra });
  assert.deepEqual(at('viewer'), { canEdit: false, canOwn: false, readOnly: true });
  assert.deepEqual(at('editor'), { canEdit: true, canOwn: false, readOnly: false });
  assert.deepEqual(at('owner'), { canEdit: true, canOwn: true, readOnly: false });
  assert.deepEqual(at(null, true), { canEdit: true, canOwn: true, readOnly: false }, 'an admin who is not a member');
  assert.equal(at(null).readOnly, true);
  assert.equal(at('owner', false, { past: board() }).readOnly, true);
  assert.equal(at('owner', true, { board: { ...board(), archived: true } }).readOnly, true);
});

test('a new board (columns and all) redraws the board', () => {
  const before = loaded();
  const after = { ...before, board: { ...board(), title: 'Renamed' } };
  assert.deepEqual(touched(before, after), { ...NOTHING, board: true });
  assert.deepEqual(touched({ ...before, board: null }, before), { ...NOTHING, board: true }, 'the first load');
});

test('a board whose version alone moved on (a change acknowledged) redraws only the version', () => {
  const before = loaded();
  const after = { ...before, board: { ...before.board, version: 4 } };
  assert.deepEqual(touched(before, after), { ...NOTHING, version: true });
});

test('time travel, and back, redraws the board', () => {
  const before = loaded();
  const travelling = { ...before, past: { ...board(), version: 1 } };
  assert.deepEqual(touched(before, travelling), { ...NOTHING, board: true });
  assert.deepEqual(touched(travelling, before), { ...NOTHING, board: true });
});

test('our role changing redraws the board, the badge and the members', () => {
  const before = loaded();
  assert.deepEqual(touched(before, { ...before, role: 'viewer' }), { ...NOTHING, board: true, role: true, members: true });
});

test('the members alone redraw only the members dialog; the stream state only itself', () => {
  const before = loaded();
  assert.deepEqual(touched(before, { ...before, members: [] }), { ...NOTHING, members: true });
  assert.deepEqual(touched(before, { ...before, live: 'live' }), { ...NOTHING, live: true });
});

test('drafts, the queue and its counters, dialogs and showArchived draw nothing', () => {
  const before = loaded();
  const after = {
    ...before, drafts: { 'composer:c': 'typing' }, pending: 2, failed: true, epoch: 9,
    queue: Promise.resolve(), ticket: 3, card: null, membersDialog: null, leaving: true, closed: true,
    showArchived: true,
  };
  assert.deepEqual(touched(before, after), NOTHING);
  assert.deepEqual(touched(before, before), NOTHING);
});
