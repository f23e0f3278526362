// The keyboard: move the focus over cards with the arrow keys, move a card
// with Alt+arrows (to the neighbouring column, or up and down in its own),
// a column with Alt+Left/Right on its grip. Undo and redo are in board.js.

import { h } from './dom.js';
import { modal } from './dialogs.js';
import { findCard, live } from './model.js';

const ARROWS = { ArrowUp: [0, -1], ArrowDown: [0, 1], ArrowLeft: [-1, 0], ArrowRight: [1, 0] };

export const SHORTCUTS = [
  ['Tab', 'go to the next card or control'],
  ['↑ ↓ ← →', 'go to the card above, below, or in the next column'],
  ['Enter', 'open the focused card'],
  ['Alt + ↑ / ↓', 'move the focused card up or down'],
  ['Alt + ← / →', 'move the focused card to the previous or next column'],
  ['Alt + ← / → on a column’s ⠿ grip', 'move the column'],
  ['Ctrl + Z', 'undo your last change (⌘ Z on a Mac)'],
  ['Ctrl + Shift + Z or Ctrl + Y', 'redo'],
  ['Escape', 'close a dialog; leave time travel'],
  ['?', 'this help'],
];

export function keyboardHelp() {
  const dialog = modal('Keyboard shortcuts');
  dialog.append(h('div', { class: 'modal-body' }, h('table', { class: 'shortcuts' },
    h('tbody', {}, SHORTCUTS.map(([keys, what]) => h('tr', {}, h('th', { scope: 'row' }, h('kbd', {}, keys)), h('td', {}, what)))))));
  dialog.showModal();
}

export function moveByKey(page, event) {
  const move = ARROWS[event.key];
  if (!move || event.ctrlKey || event.metaKey || event.shiftKey) {
    const card = event.target.closest('.card');
    if (card === event.target && (event.key === 'Enter' || event.key === ' ')) {
      event.preventDefault();
      page.openCard(card.dataset.cardId);
    }
    return;
  }
  const grip = event.target.closest('.grip');
  if (grip && event.altKey && move[0]) {
    event.preventDefault();
    const id = grip.closest('[data-column-id]').dataset.columnId;
    const index = page.board.columns.findIndex((c) => c.id === id);
    page.moveColumn(id, index + move[0]);
    return;
  }
  const card = event.target.closest('.card');
  if (card !== event.target) return;
  event.preventDefault();
  if (event.altKey) moveCard(page, card.dataset.cardId, move);
  else focusNext(page, card, move);
}

function moveCard(page, cardId, [dx, dy]) {
  if (page.readOnly || cardId.startsWith('pending-')) return;
  const found = findCard(page.board, cardId);
  if (!found || found.card.archived) return;
  if (dy) {
    const position = found.index + dy;
    if (position >= 0 && position < live(found.column).length) page.moveCard(cardId, found.column.id, position);
    return;
  }
  const target = page.board.columns[page.board.columns.indexOf(found.column) + dx];
  if (target) page.moveCard(cardId, target.id, Math.min(found.index, live(target).length));
}

function focusNext(page, card, [dx, dy]) {
  const column = card.closest('[data-column-id]');
  if (dy) {
    const cards = [...column.querySelectorAll('.card')];
    cards[cards.indexOf(card) + dy]?.focus();
    return;
  }
  const columns = [...page.host.querySelectorAll('[data-column-id]')];
  const next = columns[columns.indexOf(column) + dx];
  if (!next) return;
  const index = [...column.querySelectorAll('.card')].indexOf(card);
  const cards = [...next.querySelectorAll('.card')];
  (cards[Math.min(index, cards.length - 1)] ?? next.querySelector('.grip, input'))?.focus();
}
