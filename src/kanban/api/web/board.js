// @ts-check
// The board view: columns side by side, live. What the page knows is one
// state object (board-state.js), changed only through update(), which draws
// again what the change touched. The changes a person makes are Changes
// (changes.js): applied at once, sent in turn with If-Match, and the board is
// fetched again once they are answered, so the server's view always wins.
// What can be changed follows your role: a viewer gets a read-only board, an
// editor everything but the owner's rename, archive and members.

import * as api from './api.js';
import * as session from './session.js';
import * as model from './model.js';
import { h, clear, toast, isTyping } from './dom.js';
import { columnsElement } from './board-render.js';
import { sortable, isDragging, justDropped } from './dnd.js';
import { openStream } from './sse.js';
import { CardDialog } from './card-dialog.js';
import { HistoryPanel } from './history.js';
import { MembersDialog } from './members.js';
import { keyboardHelp, moveByKey } from './keys.js';
import { Changes } from './changes.js';
import { initialState, permissions, touched } from './board-state.js';
import { coalesced } from './coalesce.js';

/** @import { Board } from './model.js' */
/** @import { Member, User } from './api.js' */
/** @import { PageState, Touched } from './board-state.js' */
/** @import { SseMessage, Stream, StreamState } from './sse.js' */
/** @import { MembersView } from './members.js' */
/** @import { Child, Props } from './dom.js' */

/** @type {Record<StreamState, string>} */
const LIVE_TEXT = { live: 'Live', connecting: 'Connecting…', reconnecting: 'Reconnecting…', closed: 'Offline' };
const ROLE_TEXT = { owner: 'Owner', editor: 'Editor', viewer: 'Viewer · read-only', admin: 'Admin' };

/**
 * @param {Child} label
 * @param {string} title
 * @param {() => void} onclick
 * @param {Props} [extra]
 */
const button = (label, title, onclick, extra = {}) => h('button', { type: 'button', title, onclick, ...extra }, label);
/** @param {string} text */
const wide = (text) => h('span', { class: 'wide' }, text);

/**
 * A live event's data: the event, if it is one (an object in JSON).
 * @param {string} data
 * @returns {{ version?: unknown } | null}
 */
function eventOf(data) {
  try {
    /** @type {unknown} */
    const event = JSON.parse(data);
    return typeof event === 'object' ? event : null;
  } catch {
    return null;
  }
}

export class BoardPage {
  /** @type {Readonly<PageState>} */
  #state;

  /**
   * @param {HTMLElement} root
   * @param {string} boardId
   * @param {User} user  who is signed in
   */
  constructor(root, boardId, user) {
    this.root = root;
    this.path = `/boards/${encodeURIComponent(boardId)}`;
    this.user = user;
    this.#state = initialState({ admin: user.admin });
    /** @type {Stream | null} */
    this.stream = null;
    this.history = new HistoryPanel({
      path: this.path,
      onTravel: (version) => this.travel(version),
      onToggle: (open) => this.historyToggled(open),
    });
    this.changes = new Changes({
      path: this.path,
      state: () => this.#state,
      update: (patch) => this.update(patch),
      redraw: () => this.render(),
      refresh: () => this.refresh(),
    });
    // Asked for again while a fetch is under way: fetched once more after it.
    this.refresh = coalesced(() => this.fetchBoard());
    this.ui = {
      title: h('h1', { class: 'board-title', dataset: { boardTitle: '' } }, 'Loading…'),
      liveState: h('span', { class: 'live-state', role: 'status', dataset: { state: 'connecting' } }, 'Connecting…'),
      undoButton: button(['↶', wide(' Undo')], 'Undo your last change (Ctrl+Z)', () => this.changes.undo(false), { 'aria-label': 'Undo' }),
      redoButton: button(['↷', wide(' Redo')], 'Redo (Ctrl+Shift+Z)', () => this.changes.undo(true), { 'aria-label': 'Redo' }),
      renameButton: button('✎', 'Rename the board', () => this.changes.rename(), { class: 'icon', 'aria-label': 'Rename board' }),
      roleBadge: h('span', { class: 'role-badge', hidden: true }),
      membersButton: button('Members', 'Who can see and change this board', () => this.openMembers(), { disabled: true }),
      historyButton: button('History', 'Show the history and time travel', () => this.history.toggle(),
        { 'aria-controls': 'history-panel', 'aria-expanded': 'false' }),
      archivedToggle: h('input', { type: 'checkbox' }),
      banner: h('div', { class: 'banner', hidden: true, role: 'status' }),
      host: h('div', { class: 'columns-host' }, h('p', { class: 'state loading' }, 'Loading the board…')),
    };
    this.ui.archivedToggle.addEventListener('change', () => this.toggleArchived(this.ui.archivedToggle.checked));
    this.actions = {
      addCard: (/** @type {string} */ columnId) => this.changes.addCard(columnId),
      addColumn: () => this.changes.addColumn(),
      editColumn: (/** @type {string} */ columnId) => this.changes.editColumn(columnId),
    };
    /** @param {KeyboardEvent} event */
    this.onKey = (event) => this.globalKey(event);
    this.onOnline = () => this.stream?.wake(); // back online: reconnect now, not after the backoff
  }

  get state() {
    return this.#state;
  }

  /**
   * The one way the page's state changes; then what the change touched is
   * drawn again (and nothing else).
   * @param {Partial<PageState>} patch
   */
  update(patch) {
    const before = this.#state;
    this.#state = Object.freeze({ ...before, ...patch });
    this.draw(touched(before, this.#state));
  }

  /** @param {Touched} what */
  draw(what) {
    if (what.role) this.renderRole();
    if (what.live) this.renderLive();
    if (what.board) this.render();
    else if (what.version) this.renderVersion();
    if (what.members) this.#state.membersDialog?.show(this.membersView());
  }

  async mount() {
    const { ui } = this;
    clear(this.root, h('div', { class: 'board-page' },
      h('div', { class: 'board-bar' },
        h('a', { href: '#/', class: 'back', title: 'All boards' }, '← Boards'),
        ui.title, ui.renameButton, ui.roleBadge, ui.liveState,
        h('div', { class: 'tools' }, ui.undoButton, ui.redoButton,
          h('label', { class: 'toggle' }, ui.archivedToggle, ' Archived'),
          ui.membersButton, ui.historyButton,
          button('?', 'Keyboard shortcuts', () => keyboardHelp(), { class: 'icon', 'aria-label': 'Keyboard shortcuts' }))),
      ui.banner,
      h('div', { class: 'board-body' }, ui.host, this.history.element),
      h('p', { id: 'card-keys', hidden: true }, 'Enter opens the card. Alt+Arrow keys move it.')));
    this.renderRole();
    this.renderLive();
    this.wire();
    document.addEventListener('keydown', this.onKey);
    window.addEventListener('online', this.onOnline);
    await this.load();
  }

  async load() {
    /** @type {Board} */
    let board;
    /** @type {Member[]} */
    let members;
    try {
      const answers = await Promise.all([api.get(this.path), api.get(`${this.path}/members`)]);
      board = /** @type {Board} */ (answers[0]);
      ({ members } = /** @type {{ members: Member[] }} */ (answers[1]));
    } catch (error) {
      this.failedToLoad(error);
      return;
    }
    if (this.#state.closed) return;
    this.update({ board, ...this.access(members) });
    this.ui.membersButton.disabled = false;
    if (!this.stream) this.listen();
  }

  /**
   * The members, and so our role among them.
   * @param {Member[]} members
   * @returns {Pick<PageState, 'members' | 'role'>}
   */
  access(members) {
    return { members, role: members.find((m) => m.user_id === this.user.user_id)?.role ?? null };
  }

  // Membership changed (live, or by us): our own role may have too.
  async loadMembers() {
    let members;
    try {
      ({ members } = /** @type {{ members: Member[] }} */ (await api.get(`${this.path}/members`)));
    } catch {
      return; // no longer ours to see: the stream says so (revoked)
    }
    if (this.#state.closed) return;
    this.update(this.access(members));
  }

  /** @returns {MembersView} */
  membersView() {
    return { members: this.#state.members, canOwn: permissions(this.#state).canOwn };
  }

  openMembers() {
    if (this.#state.membersDialog || !this.#state.board) return;
    const dialog = new MembersDialog({
      path: this.path,
      me: this.user,
      title: () => this.#state.board?.title ?? '',
      view: this.membersView(),
      reload: () => this.loadMembers(),
      onLeaving: (leaving) => this.update({ leaving }),
      onClose: () => {
        if (this.#state.membersDialog === dialog) this.update({ membersDialog: null });
      },
    });
    this.update({ membersDialog: dialog });
  }

  // Removed from the board, or the session revoked (the stream said so):
  // back to the sign-in page or to the board list.
  async lostAccess() {
    if (this.#state.closed || this.#state.leaving) return;
    this.stream?.close();
    try {
      await api.get('/session'); // a 401 signs out, and the sign-in page says why
    } catch {
      return;
    }
    if (this.#state.closed || this.#state.leaving) return;
    toast(`You no longer have access to “${this.#state.board?.title ?? 'this board'}”.`, { timeout: 10000 });
    location.hash = '#/';
  }

  unmount() {
    this.update({ closed: true });
    document.removeEventListener('keydown', this.onKey);
    window.removeEventListener('online', this.onOnline);
    this.stream?.close();
    this.#state.card?.close();
    this.#state.membersDialog?.close();
  }

  /** @param {unknown} error */
  failedToLoad(error) {
    const status = api.statusOf(error);
    if (status === 401) return; // signed out: the sign-in page says why
    const text = status === 404
      ? 'This board does not exist, or you are not one of its members.'
      : `Could not load the board: ${api.messageOf(error)}`;
    this.ui.title.textContent = 'Board';
    clear(this.ui.host, h('div', { class: 'state error' }, h('p', {}, text),
      h('p', {}, h('a', { href: '#/' }, 'Back to the boards'), status === 404 ? null : [' · ',
        h('button', { type: 'button', class: 'link', onclick: () => this.load() }, 'Try again')])));
  }

  // Drag and drop, clicks, keys and drafts: wired once on the host, whose
  // content is rebuilt on every render.
  wire() {
    const { host } = this.ui;
    /** @param {Element | null | undefined} el */
    const columnOf = (el) => el?.closest('[data-column-id]');
    sortable(host, {
      handle: '.columns:not(.readonly) .card:not(.archived):not(.pending)',
      item: '.card',
      axis: 'y',
      zone: (x, y) => {
        const column = columnOf(document.elementFromPoint(x, y));
        return column && host.contains(column) ? column.querySelector('.cards') : null;
      },
      items: (zone) => [...zone.querySelectorAll(':scope > .card:not(.archived)')],
      drop: ({ item, zone, index }) => {
        const columnId = columnOf(zone)?.getAttribute('data-column-id');
        if (item.dataset.cardId && columnId) this.changes.moveCard(item.dataset.cardId, columnId, index);
      },
      done: () => this.render(),
    });
    sortable(host, {
      handle: '.columns:not(.readonly) .grip',
      item: '.column',
      axis: 'x',
      zone: () => host.querySelector('.columns'),
      items: (zone) => [...zone.querySelectorAll(':scope > .column')],
      drop: ({ item, index }) => {
        if (item.dataset.columnId) this.changes.moveColumn(item.dataset.columnId, index);
      },
      done: () => this.render(),
    });
    host.addEventListener('click', (event) => {
      const card = event.target instanceof Element ? event.target.closest('.card') : null;
      if (card instanceof HTMLElement && card.dataset.cardId && !card.classList.contains('pending') && !justDropped()) {
        this.openCard(card.dataset.cardId);
      }
    });
    host.addEventListener('keydown', (event) => moveByKey(event, {
      state: () => ({ board: this.#state.board, readOnly: permissions(this.#state).readOnly }),
      openCard: (cardId) => this.openCard(cardId),
      moveCard: (cardId, columnId, position) => this.changes.moveCard(cardId, columnId, position),
      moveColumn: (columnId, position) => this.changes.moveColumn(columnId, position),
    }));
    host.addEventListener('input', (event) => {
      const field = event.target;
      const key = field instanceof HTMLInputElement ? field.dataset.focus : undefined;
      if (field instanceof HTMLInputElement && key?.startsWith('composer:')) {
        this.update({ drafts: { ...this.#state.drafts, [key]: field.value } });
      }
    });
  }

  // The bar, the banner, the columns and the open card: all of the board.
  render() {
    const { board, past, showArchived, drafts, card } = this.#state;
    if (isDragging() || !board) return; // the drag's end renders
    const shown = past ?? board;
    const { canEdit, canOwn, readOnly } = permissions(this.#state);
    const { ui } = this;
    ui.title.textContent = shown.title;
    document.title = `${shown.title} · Kanban`;
    for (const el of [ui.undoButton, ui.redoButton, ui.renameButton]) el.disabled = readOnly;
    // A viewer has no undo; only an owner renames.
    ui.undoButton.hidden = !canEdit;
    ui.redoButton.hidden = !canEdit;
    ui.renameButton.hidden = !canOwn;
    this.renderVersion();
    const kept = this.keepFocus();
    const columns = columnsElement(shown, { readOnly, showArchived, drafts, actions: this.actions });
    if (readOnly) columns.classList.add('readonly');
    if (!shown.columns.length) {
      columns.prepend(h('p', { class: 'state empty-board' },
        readOnly ? 'No columns.' : 'This board has no columns yet. Add the first one →'));
    }
    ui.host.replaceChildren(columns);
    this.restoreFocus(kept);
    if (card && !past) card.update(model.findCard(board, card.cardId)?.card);
  }

  // What depends on the version alone: the banner and the history's slider.
  renderVersion() {
    const { board, past } = this.#state;
    if (!board) return;
    this.renderBanner(board, past);
    this.history.sync({ now: board.version, shown: (past ?? board).version });
  }

  /**
   * @param {Board} board
   * @param {Board | null} past
   */
  renderBanner(board, past) {
    const { banner } = this.ui;
    if (past) {
      const at = this.history.timeOf(past.version);
      banner.hidden = false;
      banner.className = 'banner travel-banner';
      clear(banner, h('span', {},
        h('strong', {}, `Version ${past.version} of ${board.version}`),
        at ? ` — as it was on ${new Date(at).toLocaleString()}` : '', '. Read-only.'),
      h('button', { type: 'button', class: 'primary', onclick: () => this.backToNow() }, 'Back to now'));
    } else if (board.archived) {
      banner.hidden = false;
      banner.className = 'banner archived-banner';
      clear(banner, h('span', {}, 'This board is archived and read-only.'),
        permissions(this.#state).canOwn ? h('button', { type: 'button', onclick: () => this.changes.restoreBoard() }, 'Restore board') : null);
    } else {
      banner.hidden = true;
    }
  }

  renderRole() {
    const { roleBadge } = this.ui;
    // An admin may do everything, whatever their role here (if any).
    const role = this.#state.admin ? 'admin' : this.#state.role;
    roleBadge.hidden = !role;
    roleBadge.textContent = role ? ROLE_TEXT[role] : '';
    roleBadge.dataset.role = role ?? '';
    roleBadge.title = role ? `Your role on this board: ${role}` : '';
  }

  renderLive() {
    const { live } = this.#state;
    this.ui.liveState.dataset.state = live;
    this.ui.liveState.textContent = LIVE_TEXT[live];
  }

  // A render rebuilds the columns: keep focus, what is being typed and scrolling.
  keepFocus() {
    const { host } = this.ui;
    const active = document.activeElement;
    const inside = active instanceof HTMLElement && host.contains(active) ? active : null;
    /** @type {Map<string, number>} */
    const tops = new Map();
    for (const column of host.querySelectorAll('[data-column-id]')) {
      tops.set(column.getAttribute('data-column-id') ?? '', column.querySelector('.cards')?.scrollTop ?? 0);
    }
    return {
      key: inside?.dataset.focus ?? null,
      selection: inside instanceof HTMLInputElement ? [inside.selectionStart, inside.selectionEnd] : null,
      left: host.querySelector('.columns')?.scrollLeft ?? 0,
      tops,
    };
  }

  /** @param {ReturnType<BoardPage['keepFocus']>} kept */
  restoreFocus({ key, selection, left, tops }) {
    const { host } = this.ui;
    const columns = host.querySelector('.columns');
    if (columns) columns.scrollLeft = left;
    for (const column of host.querySelectorAll('[data-column-id]')) {
      const cards = column.querySelector('.cards');
      if (cards) cards.scrollTop = tops.get(column.getAttribute('data-column-id') ?? '') ?? 0;
    }
    const el = key ? host.querySelector(`[data-focus="${CSS.escape(key)}"]`) : null;
    if (!(el instanceof HTMLElement)) return;
    el.focus({ preventScroll: true });
    const [start, end] = selection ?? [null, null];
    if (el instanceof HTMLInputElement && start != null && end != null) el.setSelectionRange(start, end);
  }

  // Fetch the board; shown only when no change of ours is in flight (and
  // none was made since it was asked for), and only if it differs.
  async fetchBoard() {
    if (this.#state.closed) return;
    const { epoch, showArchived } = this.#state;
    try {
      const board = /** @type {Board} */ (await api.get(this.path, { include_archived: showArchived }));
      if (this.#state.closed) return;
      const now = this.#state;
      // Usually the server agrees with what is shown: then leave the DOM be.
      if (now.pending === 0 && epoch === now.epoch && JSON.stringify(board) !== JSON.stringify(now.board)) {
        this.update({ board });
      }
    } catch (error) {
      if (api.statusOf(error) === 404) this.failedToLoad(error);
      else this.update({ live: 'closed' });
    }
  }

  // --- dialogs, time travel, live ------------------------------------------

  /** @param {string} cardId */
  openCard(cardId) {
    const { board, past, card } = this.#state;
    const shown = past ?? board;
    const found = shown && model.findCard(shown, cardId);
    if (!found || card) return;
    const dialog = new CardDialog(found.card, {
      readOnly: permissions(this.#state).readOnly,
      path: this.path,
      onSave: async (fields, onError) => Boolean(await this.changes.saveCard(cardId, fields, onError)),
      onArchive: async (archived, onError) => Boolean(await this.changes.archiveCard(cardId, archived, onError)),
      onClose: () => this.cardClosed(dialog),
    });
    this.update({ card: dialog });
  }

  /** @param {CardDialog} dialog */
  cardClosed(dialog) {
    if (this.#state.card === dialog) this.update({ card: null });
    const el = this.ui.host.querySelector(`[data-card-id="${CSS.escape(dialog.cardId)}"]`);
    if (el instanceof HTMLElement) el.focus({ preventScroll: true });
  }

  /** @param {boolean} show */
  toggleArchived(show) {
    this.update({ showArchived: show });
    this.refresh();
    const { past } = this.#state;
    if (past) this.travel(past.version);
  }

  /** @param {boolean} open */
  historyToggled(open) {
    this.ui.historyButton.setAttribute('aria-expanded', String(open));
    this.ui.historyButton.classList.toggle('active', open);
  }

  /** @param {number} version */
  async travel(version) {
    const ticket = this.#state.ticket + 1;
    this.update({ ticket });
    const { board, showArchived } = this.#state;
    if (!board || version >= board.version) {
      this.backToNow();
      return;
    }
    try {
      const past = /** @type {Board} */ (await api.get(this.path, { version, include_archived: showArchived }));
      if (ticket !== this.#state.ticket || this.#state.closed) return;
      this.#state.card?.close();
      this.update({ past });
    } catch (error) {
      toast(`Could not show version ${version}: ${api.messageOf(error)}`, { kind: 'error' });
    }
  }

  backToNow() {
    this.#state.card?.close();
    this.update({ ticket: this.#state.ticket + 1, past: null });
  }

  listen() {
    this.stream = openStream(`/api/v1${this.path}/stream`, {
      token: session.token,
      onEvent: (message) => this.liveEvent(message),
      onState: (live) => this.update({ live }),
      onAuthError: () => session.expired(),
      // Refetch: a board that is not there (for us) says so in its place.
      onGone: () => this.refresh(),
      onFresh: () => this.refresh(),
    });
  }

  /** @param {SseMessage} message */
  liveEvent(message) {
    if (message.type === 'reset') {
      // The server cannot resume where we were: start again from now.
      this.stream?.forget();
      api.forgetSeq();
      this.refresh();
      this.history.changed();
      return;
    }
    if (message.type === 'revoked') {
      this.lostAccess();
      return;
    }
    const event = eventOf(message.data);
    if (!event) return;
    this.history.changed();
    if (message.type.startsWith('Member')) this.loadMembers();
    if (typeof event.version === 'number' && event.version > (this.#state.board?.version ?? 0)) this.refresh();
  }

  /** @param {KeyboardEvent} event */
  globalKey(event) {
    if (document.querySelector('dialog[open]') || isTyping(event.target)) return;
    const mod = event.ctrlKey || event.metaKey;
    const key = event.key.toLowerCase();
    if (mod && key === 'z') {
      event.preventDefault();
      this.changes.undo(event.shiftKey);
    } else if (mod && key === 'y') {
      event.preventDefault();
      this.changes.undo(true);
    } else if (event.key === 'Escape' && this.#state.past) {
      this.backToNow();
    } else if (event.key === '?') {
      keyboardHelp();
    }
  }
}
