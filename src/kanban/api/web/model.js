// Optimistic changes to a board view (the JSON the API answers), applied
// before the server confirms them; the server's view replaces it afterwards.

export const live = (column) => column.cards.filter((card) => !card.archived);

export function findCard(board, cardId) {
  for (const column of board.columns) {
    const card = column.cards.find((c) => c.id === cardId);
    if (card) return { column, card, index: live(column).indexOf(card) };
  }
  return null;
}

export const findColumn = (board, columnId) => board.columns.find((c) => c.id === columnId);

// Live cards first, in order, then the archived ones (as the API lists them).
function place(column, card, position) {
  const cards = live(column).filter((c) => c !== card);
  cards.splice(Math.min(position, cards.length), 0, card);
  column.cards = [...cards, ...column.cards.filter((c) => c.archived && c !== card)];
}

export function moveCard(board, cardId, columnId, position) {
  const found = findCard(board, cardId);
  const target = findColumn(board, columnId);
  found.column.cards = found.column.cards.filter((c) => c !== found.card);
  found.card.column_id = columnId;
  place(target, found.card, position);
}

export function moveColumn(board, columnId, position) {
  const column = findColumn(board, columnId);
  const others = board.columns.filter((c) => c !== column);
  others.splice(position, 0, column);
  board.columns = others;
}

export function addCard(board, columnId, card) {
  place(findColumn(board, columnId), card, Infinity);
}

export function setArchived(board, cardId, archived) {
  const { column, card } = findCard(board, cardId);
  card.archived = archived;
  column.cards = [...live(column), ...column.cards.filter((c) => c.archived)];
}

export function wipState(column) {
  if (column.wip_limit == null) return null;
  const count = live(column).length;
  if (column.over_limit || count > column.wip_limit) return 'over';
  return count >= column.wip_limit ? 'at' : null;
}
