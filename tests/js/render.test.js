// What the board looks like as DOM (src/kanban/api/web/board-render.js,
// dom.js's h()), built on a fake DOM: the hooks tests and automation use.
import test from 'node:test';
import assert from 'node:assert/strict';
import { installFakeDom, html } from './fake-dom.js';
import { h } from '../../src/kanban/api/web/dom.js';
import { columnsElement, labelHue, initials } from '../../src/kanban/api/web/board-render.js';

installFakeDom();

const card = (id, extra = {}) => ({
  id, column_id: 'todo', title: `Card ${id}`, description: '', labels: [], assignees: [], due_date: null, archived: false, ...extra,
});
const board = {
  id: 'b', title: 'B', version: 1, archived: false,
  columns: [{ id: 'todo', title: 'To do', wip_limit: 2, over_limit: false, cards: [card('a'), card('b'), card('x', { archived: true })] }],
};
const actions = { addCard() {}, addColumn() {}, editColumn() {} };
const view = (extra = {}) => ({ readOnly: false, showArchived: false, drafts: {}, actions, ...extra });
const all = (el) => [...el.descendants()];

test('h(): attributes, class, dataset and properties; null, undefined and false left out', () => {
  const el = h('a', { href: '/x', class: 'link', title: null, rel: undefined, download: false, hidden: true, dataset: { cardId: 'c1', none: null } },
    'text', null, false, ['more', [7]]);
  assert.equal(html(el), '<a class="link" data-card-id="c1" href="/x" hidden>textmore7</a>');
});

test('h(): on<event> adds a listener, never an attribute', () => {
  const onclick = () => {};
  const el = h('button', { onclick, type: 'button' });
  assert.deepEqual(el.listeners.click, [onclick]);
  assert.equal(el.getAttribute('onclick'), null);
});

test('every column carries data-column-id and every card data-card-id; archived cards only when asked', () => {
  const el = columnsElement(board, view());
  const columns = all(el).filter((n) => n.dataset.columnId);
  assert.deepEqual(columns.map((c) => c.dataset.columnId), ['todo']);
  assert.deepEqual(all(el).filter((n) => n.dataset.cardId).map((n) => n.dataset.cardId), ['a', 'b']);
  const shown = columnsElement(board, view({ showArchived: true }));
  assert.deepEqual(all(shown).filter((n) => n.dataset.cardId).map((n) => n.dataset.cardId), ['a', 'b', 'x']);
});

test('a column at its WIP limit says so', () => {
  const column = all(columnsElement(board, view())).find((n) => n.dataset.columnId);
  assert.equal(column.dataset.wip, 'at');
  assert.match(column.className, /wip-at/);
  assert.ok(column.textContent.includes('At its WIP limit'));
});

test('drafts are put back in their fields; a read-only board has no fields', () => {
  const el = columnsElement(board, view({ drafts: { 'composer:todo': 'half typed', 'composer:new-column': 'New' } }));
  const inputs = all(el).filter((n) => n.tagName === 'INPUT');
  assert.deepEqual(inputs.map((i) => [i.dataset.focus, i.value]), [['composer:todo', 'half typed'], ['composer:new-column', 'New']]);
  assert.deepEqual(all(columnsElement(board, view({ readOnly: true }))).filter((n) => n.tagName === 'INPUT' || n.tagName === 'FORM'), []);
});

test('a card made here and not yet named by the server is not focusable', () => {
  const el = columnsElement({ ...board, columns: [{ ...board.columns[0], cards: [card('pending-1')] }] }, view());
  const pending = all(el).find((n) => n.dataset.cardId === 'pending-1');
  assert.match(pending.className, /pending/);
  assert.equal(pending.getAttribute('tabindex'), null);
});

test('a label always gets the same one of eight hues; initials of names', () => {
  assert.equal(labelHue('bug'), labelHue('bug'));
  for (const label of ['bug', 'feature', 'ü', '']) assert.ok(labelHue(label) >= 0 && labelHue(label) < 8);
  assert.equal(initials('Ada Lovelace'), 'AL');
  assert.equal(initials('ada.lovelace'), 'AL');
  assert.equal(initials('ada'), 'AD');
});
