// The board's columns and cards as DOM. Every column carries data-column-id
// and every card data-card-id: stable hooks for tests and automation.

import { h } from './dom.js';
import { live, wipState } from './model.js';

// The same label gets the same colour everywhere (eight colours in the CSS).
export function labelHue(label) {
  let hash = 0;
  for (const ch of label) hash = (hash * 31 + ch.codePointAt(0)) >>> 0;
  return hash % 8;
}

export function labelChip(label) {
  return h('span', { class: `label hue-${labelHue(label)}` }, label);
}

function initials(name) {
  const parts = name.trim().split(/[\s._-]+/).filter(Boolean);
  return (parts.length > 1 ? parts[0][0] + parts[1][0] : name.slice(0, 2)).toUpperCase();
}

function dueBadge(date) {
  const today = new Date().toISOString().slice(0, 10);
  const state = date < today ? 'overdue' : date === today ? 'today' : '';
  const text = new Date(`${date}T00:00:00`).toLocaleDateString(undefined, { month: 'short', day: 'numeric' });
  return h('span', { class: `due ${state}`, title: `Due ${date}${state ? ` (${state})` : ''}` }, `Due ${text}`);
}

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
      dataset: { focus: `composer:${column.id}` }, value: drafts.get(`composer:${column.id}`) ?? '',
    }),
    h('button', { type: 'submit' }, 'Add')));
}

export function columnsElement(board, view) {
  const { readOnly, drafts, actions } = view;
  return h('div', { class: 'columns', dataset: { focus: 'columns' } },
    board.columns.map((column) => columnElement(column, view)),
    readOnly ? null : h('form', { class: 'add-column', onsubmit: (e) => { e.preventDefault(); actions.addColumn(); } },
      h('input', {
        name: 'title', maxlength: '200', required: true, autocomplete: 'off',
        placeholder: 'New column…', 'aria-label': 'New column title',
        dataset: { focus: 'composer:new-column' }, value: drafts.get('composer:new-column') ?? '',
      }),
      h('button', { type: 'submit' }, 'Add column')));
}
