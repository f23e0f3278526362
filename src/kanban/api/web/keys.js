// @ts-check
// The keyboard: move the focus over cards with the arrow keys, move a card
// with Alt+arrows (to the neighbouring column, or up and down in its own),
// a column with Alt+Left/Right on its grip. Undo and redo are in board.js.

import { h } from './dom.js';
import { modal } from './dialogs.js';
import { findCard, live } from './model.js';

/** @import { Board } from './model.js' */
/** @typedef {readonly [dx: -1 | 0 | 1, dy: -1 | 0 | 1]} Arrow  columns right, cards down */

/**
 * What the keys act on: the board page's.
 * @typedef {object} KeyTarget
 * @property {() => { board: Board | null, readOnly: boolean }} state
 * @property {(cardId: string) => void} openCard
 * @property {(cardId: string, columnId: string, position: number) => void} moveCard
 * @property {(columnId: string, position: number) => void} moveColumn
 */

/** @type {Record<string, Arrow>} */
const ARROWS = { ArrowUp: [0, -1], ArrowDown: [0, 1], ArrowLeft: [-1, 0], ArrowRight: [1, 0] };

/** @type {[keys: string, what: string][]} */
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

/**
 * Arrow keys on the board's host: focus, open and move cards and columns.
 * @param {KeyboardEvent} event
 * @param {KeyTarget} target
 */
export function moveByKey(event, target) {
  if (!(event.target instanceof HTMLElement)) return;
  const move = ARROWS[event.key];
  if (!move || event.ctrlKey || event.metaKey || event.shiftKey) {
    const card = event.target.closest('.card');
    if (card === event.target && card instanceof HTMLElement && (event.key === 'Enter' || event.key === ' ')) {
      event.preventDefault();
      target.openCard(card.dataset.cardId ?? '');
    }
    return;
  }
  const grip = event.target.closest('.grip');
  const id = grip?.closest('[data-column-id]')?.getAttribute('data-column-id');
  const { board, readOnly } = target.state();
  if (id != null && event.altKey && move[0]) {
    event.preventDefault();
    const index = board ? board.columns.findIndex((c) => c.id === id) : -1;
    target.moveColumn(id, index + move[0]);
    return;
  }
  const card = event.target.closest('.card');
  if (card !== event.target || !(card instanceof HTMLElement)) return;
  event.preventDefault();
  const cardId = card.dataset.cardId ?? '';
  if (!event.altKey) focusNext(card, move);
  else if (board && !readOnly && !cardId.startsWith('pending-')) {
    const to = cardMove(board, cardId, move);
    if (to) target.moveCard(cardId, to.columnId, to.position);
  }
}

/**
 * Where Alt+arrow moves a card: up or down in its column, or to the
 * neighbouring column at the same height (or last); null where it cannot go.
 * @param {Board} board
 * @param {string} cardId
 * @param {Arrow} arrow
 * @returns {{ columnId: string, position: number } | null}
 */
export function cardMove(board, cardId, [dx, dy]) {
  const found = findCard(board, cardId);
  if (!found || found.card.archived) return null;
  if (dy) {
    const position = found.index + dy;
    return position >= 0 && position < live(found.column).length ? { columnId: found.column.id, position } : null;
  }
  const target = board.columns[board.columns.indexOf(found.column) + dx];
  return target ? { columnId: target.id, position: Math.min(found.index, live(target).length) } : null;
}

/**
 * Arrows without Alt: the card above or below, or in the next column.
 * @param {HTMLElement} card
 * @param {Arrow} arrow
 */
function focusNext(card, [dx, dy]) {
  const column = card.closest('[data-column-id]');
  if (!column) return;
  const cards = [...column.querySelectorAll('.card')];
  if (dy) {
    focus(cards[cards.indexOf(card) + dy]);
    return;
  }
  const columns = [...(card.closest('.columns') ?? column).querySelectorAll('[data-column-id]')];
  const next = columns[columns.indexOf(column) + dx];
  if (!next) return;
  const index = cards.indexOf(card);
  const there = [...next.querySelectorAll('.card')];
  focus(there[Math.min(index, there.length - 1)] ?? next.querySelector('.grip, input'));
}

/** @param {Element | null | undefined} el */
function focus(el) {
  if (el instanceof HTMLElement) el.focus();
}
