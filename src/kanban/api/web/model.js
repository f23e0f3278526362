// @ts-check
// The board view (the JSON the API answers for GET /boards/{id}) and the
// optimistic changes made to it before the server confirms them; the server's
// view replaces it afterwards. Each change edits the board it is given: the
// caller hands it a copy (see Changes.edit), never the one on screen.

/**
 * A card (the API's CardPublic).
 * @typedef {object} Card
 * @property {string} id
 * @property {string} column_id
 * @property {string} title
 * @property {string} description  markdown
 * @property {string[]} labels
 * @property {string[]} assignees
 * @property {string | null} due_date  YYYY-MM-DD
 * @property {boolean} archived
 */

/**
 * A column (the API's ColumnPublic): live cards first, in order, then the
 * archived ones (listed only when asked for).
 * @typedef {object} Column
 * @property {string} id
 * @property {string} title
 * @property {number | null} wip_limit
 * @property {boolean} over_limit
 * @property {Card[]} cards
 */

/**
 * A board at one version (the API's BoardPublic).
 * @typedef {object} Board
 * @property {string} id
 * @property {string} title
 * @property {number} version
 * @property {boolean} archived
 * @property {Column[]} columns
 */

/** @typedef {Pick<Card, 'title' | 'description' | 'labels' | 'assignees' | 'due_date'>} CardFields */
/** @typedef {Partial<Pick<Column, 'title' | 'wip_limit'>>} ColumnEdits */
/** @typedef {'at' | 'over' | null} WipState */

/**
 * @param {Column} column
 * @returns {Card[]}
 */
export const live = (column) => column.cards.filter((card) => !card.archived);

/**
 * @param {Board} board
 * @param {string} cardId
 * @returns {{ column: Column, card: Card, index: number } | null}  index: among the live cards (-1: archived)
 */
export function findCard(board, cardId) {
  for (const column of board.columns) {
    const card = column.cards.find((c) => c.id === cardId);
    if (card) return { column, card, index: live(column).indexOf(card) };
  }
  return null;
}

/**
 * @param {Board} board
 * @param {string} columnId
 * @returns {Column | undefined}
 */
export const findColumn = (board, columnId) => board.columns.find((c) => c.id === columnId);

/**
 * Live cards first, in order, then the archived ones (as the API lists them).
 * @param {Column} column
 * @param {Card} card
 * @param {number} position  among the live cards; past the end: last
 */
function place(column, card, position) {
  const cards = live(column).filter((c) => c !== card);
  cards.splice(Math.min(position, cards.length), 0, card);
  column.cards = [...cards, ...column.cards.filter((c) => c.archived && c !== card)];
}

/**
 * @param {Board} board
 * @param {string} cardId
 * @param {string} columnId
 * @param {number} position
 */
export function moveCard(board, cardId, columnId, position) {
  const found = findCard(board, cardId);
  const target = findColumn(board, columnId);
  if (!found || !target) return;
  found.column.cards = found.column.cards.filter((c) => c !== found.card);
  found.card.column_id = columnId;
  place(target, found.card, position);
}

/**
 * @param {Board} board
 * @param {string} columnId
 * @param {number} position
 */
export function moveColumn(board, columnId, position) {
  const column = findColumn(board, columnId);
  if (!column) return;
  const others = board.columns.filter((c) => c !== column);
  others.splice(position, 0, column);
  board.columns = others;
}

/**
 * A new card goes last among the live ones.
 * @param {Board} board
 * @param {string} columnId
 * @param {Card} card
 */
export function addCard(board, columnId, card) {
  const column = findColumn(board, columnId);
  if (column) place(column, card, Infinity);
}

/**
 * @param {Board} board
 * @param {string} cardId
 * @param {Partial<CardFields>} fields
 */
export function editCard(board, cardId, fields) {
  const found = findCard(board, cardId);
  if (found) Object.assign(found.card, fields);
}

/**
 * An archived card goes after the live ones; a restored one last among them.
 * @param {Board} board
 * @param {string} cardId
 * @param {boolean} archived
 */
export function setArchived(board, cardId, archived) {
  const found = findCard(board, cardId);
  if (!found) return;
  const { column, card } = found;
  card.archived = archived;
  column.cards = [...live(column), ...column.cards.filter((c) => c.archived)];
}

/**
 * @param {Board} board
 * @param {Column} column
 */
export function addColumn(board, column) {
  board.columns.push(column);
}

/**
 * @param {Board} board
 * @param {string} columnId
 * @param {ColumnEdits} edits
 */
export function editColumn(board, columnId, edits) {
  const column = findColumn(board, columnId);
  if (column) Object.assign(column, edits);
}

/**
 * @param {Board} board
 * @param {string} columnId
 */
export function removeColumn(board, columnId) {
  board.columns = board.columns.filter((c) => c.id !== columnId);
}

/**
 * A card or column made here has a temporary id until the server names it.
 * @param {Board} board
 * @param {string} temporary
 * @param {string} id
 */
export function renameCard(board, temporary, id) {
  const found = findCard(board, temporary);
  if (found) found.card.id = id;
}

/**
 * @param {Board} board
 * @param {string} temporary
 * @param {string} id
 */
export function renameColumn(board, temporary, id) {
  const column = findColumn(board, temporary);
  if (!column) return;
  column.id = id;
  for (const card of column.cards) card.column_id = id;
}

/**
 * Whether a column is at or over its WIP limit (the server may say it is
 * over even when the count here is not).
 * @param {Column} column
 * @returns {WipState}
 */
export function wipState(column) {
  if (column.wip_limit == null) return null;
  const count = live(column).length;
  if (column.over_limit || count > column.wip_limit) return 'over';
  return count >= column.wip_limit ? 'at' : null;
}
