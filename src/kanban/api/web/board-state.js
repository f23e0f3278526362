// @ts-check
// The board page's state: one object, replaced (never edited) by
// BoardPage.update; what it lets you do; and what a change to it touched,
// which is all the page draws again.

/** @import { Board, Card } from './model.js' */
/** @import { Member, Role } from './api.js' */
/** @import { StreamState } from './sse.js' */
/** @import { MembersView } from './members.js' */

/**
 * The open card dialog, as the page sees it.
 * @typedef {object} OpenCard
 * @property {string} cardId
 * @property {(card: Card | undefined) => void} update  the card as the board has it now (undefined: gone)
 * @property {() => void} close
 */

/**
 * The open members dialog, as the page sees it.
 * @typedef {object} OpenMembers
 * @property {(view: MembersView) => void} show
 * @property {() => void} close
 */

/**
 * @typedef {object} PageState
 * @property {Board | null} board  the board now, with our unacknowledged changes applied; its version is the one our next change is made against (If-Match)
 * @property {Board | null} past  the board at an earlier version, while time travelling
 * @property {boolean} showArchived
 * @property {Readonly<Record<string, string>>} drafts  what is typed in the add-card and add-column fields, by their data-focus key
 * @property {readonly Member[]} members  owners first
 * @property {Role | null} role  ours (null: an admin who is not a member)
 * @property {boolean} admin  an admin may do everything, whatever their role here
 * @property {StreamState} live  the board's event stream
 * @property {number} pending  changes sent and not answered yet
 * @property {boolean} failed  one of them was refused: the ones queued behind it are not sent
 * @property {number} epoch  bumped by every change: a fetch started before it is stale
 * @property {Promise<unknown>} queue  the last change sent: the next one goes after it
 * @property {number} ticket  bumped by every time travel: only the latest is shown
 * @property {OpenCard | null} card
 * @property {OpenMembers | null} membersDialog
 * @property {boolean} leaving  we are leaving the board: losing access is expected
 * @property {boolean} closed  the page is gone: late answers are dropped
 */

/**
 * @param {{ admin: boolean }} who
 * @returns {Readonly<PageState>}
 */
export function initialState({ admin }) {
  return Object.freeze({
    board: null, past: null, showArchived: false, drafts: {}, members: [], role: null, admin,
    live: 'connecting', pending: 0, failed: false, epoch: 0, queue: Promise.resolve(), ticket: 0,
    card: null, membersDialog: null, leaving: false, closed: false,
  });
}

/**
 * What we may do here. An editor changes cards and columns; only an owner
 * renames, archives and chooses members; nobody changes the past or an
 * archived board.
 * @param {Pick<PageState, 'admin' | 'role' | 'past' | 'board'>} state
 */
export function permissions({ admin, role, past, board }) {
  const canEdit = admin || role === 'editor' || role === 'owner';
  const canOwn = admin || role === 'owner';
  return { canEdit, canOwn, readOnly: Boolean(past || board?.archived || !canEdit) };
}

/**
 * What a change drew on. board: the bar, the banner and the columns (built
 * anew); version: only the version shown (in the banner and the history's
 * slider); role: the role badge; members: the members dialog; live: the
 * stream's state. The drafts, the queue and its counters draw nothing: what
 * is typed is on screen already, and the rest is bookkeeping. showArchived
 * neither: the board fetched for it is drawn when it comes.
 * @typedef {{ board: boolean, version: boolean, role: boolean, members: boolean, live: boolean }} Touched
 */

/**
 * @param {Readonly<PageState>} before
 * @param {Readonly<PageState>} after
 * @returns {Touched}
 */
export function touched(before, after) {
  const access = before.role !== after.role || before.admin !== after.admin;
  const moved = before.board !== after.board;
  const board = access || before.past !== after.past || (moved && !onlyVersion(before.board, after.board));
  return {
    board,
    version: moved && !board,
    role: access,
    members: access || before.members !== after.members,
    live: before.live !== after.live,
  };
}

/**
 * Whether b is a with only its version moved on (a change of ours was
 * acknowledged): then its columns need not be built again.
 * @param {Board | null} a
 * @param {Board | null} b
 */
function onlyVersion(a, b) {
  if (!a || !b) return false;
  const keys = /** @type {(keyof Board)[]} */ (Object.keys(b));
  return keys.length === Object.keys(a).length && keys.every((key) => key === 'version' || a[key] === b[key]);
}
