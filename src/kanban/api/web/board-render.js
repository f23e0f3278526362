// @ts-check
// The board's columns and cards as DOM. Every column carries data-column-id
// and every card data-card-id: stable hooks for tests and automation.

import { h } from './dom.js';
import { live, wipState } from './model.js';

/** @import { Board, Column, Card } from './model.js' */

/**
 * What the columns are drawn with besides the board.
 * @typedef {object} ColumnsView
 * @property {boolean} readOnly
 * @property {boolean} showArchived
 * @property {Readonly<Record<string, string>>} drafts  what is typed in the add-card and add-column fields, by their data-focus key
 * @property {ColumnActions} actions
 */
/**
 * @typedef {object} ColumnActions
 * @property {(columnId: string) => void} addCard  from the column's draft
 * @property {() => void} addColumn  from the new column's draft
 * @property {(columnId: string) => void} editColumn
 */

/**
 * The same label gets the same colour everywhere (eight colours in the CSS).
 * @param {string} label
 * @returns {number}  0 to 7
 */
export function labelHue(label) {
  let hash = 0;
  for (const ch of label) hash = (hash * 31 + (ch.codePointAt(0) ?? 0)) >>> 0;
  return hash % 8;
}

/** @param {string} label */
export function labelChip(label) {
  return h('span', { class: `label hue-${labelHue(label)}` }, label);
}

/**
 * "Ada Lovelace" and "ada.lovelace" are AL; "ada" is AD.
 * @param {string} name
 */
export function initials(name) {
  const [first, second] = name.trim().split(/[\s._-]+/).filter(Boolean);
  return (first && second ? first.charAt(0) + second.charAt(0) : name.slice(0, 2)).toUpperCase();
}

/** @param {string} date  YYYY-MM-DD */
function dueBadge(date) {
  const today = new Date().toISOString().slice(0, 10);
  const state = date < today ? 'overdue' : date === today ? 'today' : '';
  const text = new Date(`${date}T00:00:00`).toLocaleDateString(undefined, { month: 'short', day: 'numeric' });
  return h('span', { class: `due ${state}`, title: `Due ${date}${state ? ` (${state})` : ''}` }, `Due ${text}`);
}

/**
 * @param {Card} card
 * @param {{ readOnly: boolean }} view
 */
export function cardElement(card, { readOnly }) {
  const pending = card.id.startsWith('pending-');
  const labelText = [card.title, card.archived && 'archived', card.due_date && `due ${card.due_date}`]
    .filter(Boolean).join(', ');
  return h('li', {
    class: `card${card.archived ? ' archived' : ''}${pending ? ' pending' : ''}`,
    dataset: { cardId: card.id, focus: `card:${card.id}` },
    tabindex: pending ? null : '0',
    'aria-label': labelText,
    'aria-describedby': readOnly ? null : 'card-keys',
  },
  card.labels.length ? h('div', { class: 'labels' }, card.labels.map(labelChip)) : null,
  h('p', { class: 'card-title' }, card.title),
  h('div', { class: 'card-meta' },
    card.archived ? h('span', { class: 'badge' }, 'Archived') : null,
    card.due_date ? dueBadge(card.due_date) : null,
    card.description ? h('span', { class: 'has-description', title: 'Has a description' }, '¶') : null,
    card.assignees.length
      ? h('span', { class: 'assignees' }, card.assignees.map((a) => h('span', { class: 'avatar', title: a }, initials(a))))
      : null));
}

/** @param {Column} column */
function wipBadge(column) {
  const count = live(column).length;
  const state = wipState(column);
  if (column.wip_limit == null) return h('span', { class: 'count', title: `${count} cards` }, String(count));
  const words = state === 'over' ? ', over the limit' : state === 'at' ? ', at the limit' : '';
  return h('span', {
    class: 'count wip', title: `WIP limit ${column.wip_limit}${words}`,
    'aria-label': `${count} cards, WIP limit ${column.wip_limit}${words}`,
  }, `${count} / ${column.wip_limit}`);
}

/**
 * @param {Column} column
 * @param {ColumnsView} view
 */
export function columnElement(column, view) {
  const { readOnly, showArchived, drafts, actions } = view;
  const state = wipState(column);
  const cards = column.cards.filter((c) => showArchived || !c.archived);
  const titleId = `col-title-${column.id}`;
  return h('section', {
    class: `column${state ? ` wip-${state}` : ''}`,
    dataset: { columnId: column.id, wip: state ?? undefined },
    'aria-labelledby': titleId,
  },
  h('header', { class: 'column-head' },
    readOnly ? null : h('button', {
      type: 'button', class: 'grip', dataset: { focus: `grip:${column.id}` },
      'aria-label': `Move column ${column.title} (drag, or Alt+Left and Alt+Right)`, title: 'Drag to reorder',
    }, '⠿'),
    h('h2', { id: titleId, class: 'column-title' }, column.title),
    wipBadge(column),
    readOnly ? null : h('button', {
      type: 'button', class: 'icon column-menu', title: 'Column settings',
      'aria-label': `Settings of column ${column.title}`, onclick: () => actions.editColumn(column.id),
    }, '⋯')),
  state ? h('p', { class: 'wip-note' }, state === 'over' ? 'Over its WIP limit' : 'At its WIP limit') : null,
  h('ol', { class: 'cards', 'aria-label': `Cards in ${column.title}` },
    cards.length ? null : h('li', { class: 'empty' }, 'No cards'),
    cards.map((card) => cardElement(card, view))),
  readOnly ? null : h('form', { class: 'composer', onsubmit: (e) => { e.preventDefault(); actions.addCard(column.id); } },
    h('input', {
      name: 'title', maxlength: '200', required: true, autocomplete: 'off',
      placeholder: 'Add a card…', 'aria-label': `New card in ${column.title}`,
      dataset: { focus: `composer:${column.id}` }, value: drafts[`composer:${column.id}`] ?? '',
    }),
    h('button', { type: 'submit' }, 'Add')));
}

/**
 * @param {Board} board
 * @param {ColumnsView} view
 */
export function columnsElement(board, view) {
  const { readOnly, drafts, actions } = view;
  return h('div', { class: 'columns', dataset: { focus: 'columns' } },
    board.columns.map((column) => columnElement(column, view)),
    readOnly ? null : h('form', { class: 'add-column', onsubmit: (e) => { e.preventDefault(); actions.addColumn(); } },
      h('input', {
        name: 'title', maxlength: '200', required: true, autocomplete: 'off',
        placeholder: 'New column…', 'aria-label': 'New column title',
        dataset: { focus: 'composer:new-column' }, value: drafts['composer:new-column'] ?? '',
      }),
      h('button', { type: 'submit' }, 'Add column')));
}
