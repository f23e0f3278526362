// The board view: columns side by side, live. Changes are applied at once
// (optimistically) and sent one at a time, each with If-Match on the version
// it was made against; when every change is acknowledged the board is fetched
// again, so the server's view always wins. A refused change (409/412)
// refreshes the board and says so, with a Retry where that makes sense.
// What can be changed follows your role: a viewer gets a read-only board, an
// editor everything but the owner's rename, archive and members.

import * as api from './api.js';
import * as session from './session.js';
import * as model from './model.js';
import { h, clear, toast, isTyping, sentence } from './dom.js';
import { columnsElement } from './board-render.js';
import { sortable, isDragging, justDropped } from './dnd.js';
import { openStream } from './sse.js';
import { CardDialog } from './card-dialog.js';
import { HistoryPanel } from './history.js';
import { MembersDialog } from './members.js';
import { keyboardHelp, moveByKey } from './keys.js';
import { changes } from './changes.js';

const LIVE_TEXT = { live: 'Live', connecting: 'Connecting…', reconnecting: 'Reconnecting…', closed: 'Offline' };
const ROLE_TEXT = { owner: 'Owner', editor: 'Editor', viewer: 'Viewer · read-only', admin: 'Admin' };

export class BoardPage {
  constructor(root, boardId) {
    this.root = root;
    this.id = boardId;
    this.path = `/boards/${encodeURIComponent(boardId)}`;
    this.board = null; // the board now, with our unacknowledged changes applied
    this.version = 0; // the version our next change is made against (If-Match)
    this.past = null; // the board at an earlier version, while time travelling
    this.pending = 0;
    this.queue = Promise.resolve();
    this.failed = false;
    this.epoch = 0; // bumped by every change: a fetch started before it is stale
    this.showArchived = false;
    this.drafts = new Map(); // what is typed in the add-card and add-column fields
    this.card = null; // the open card dialog
    this.members = []; // [{ user_id, name, display_name, role }], owners first
    this.role = null; // ours: viewer, editor, owner, or null (an admin who is not a member)
    this.membersDialog = null;
    this.history = new HistoryPanel({
      path: this.path,
      onTravel: (version) => this.travel(version),
      onToggle: (open) => this.historyToggled(open),
    });
    this.onKey = (event) => this.globalKey(event);
    this.onOnline = () => this.stream?.wake(); // back online: reconnect now, not after the backoff
    this.actions = {
      addCard: (columnId) => this.addCard(columnId),
      addColumn: () => this.addColumn(),
      editColumn: (columnId) => this.editColumn(columnId),
    };
  }

  get shown() {
    return this.past ?? this.board;
  }

  get admin() {
    return Boolean(session.user()?.admin);
  }

  get canEdit() {
    return this.admin || this.role === 'editor' || this.role === 'owner';
  }

  get canOwn() {
    return this.admin || this.role === 'owner';
  }

  get readOnly() {
    return Boolean(this.past || this.board?.archived || !this.canEdit);
  }

  async mount() {
    const button = (label, title, onclick, extra = {}) => h('button', { type: 'button', title, onclick, ...extra }, label);
    this.title = h('h1', { class: 'board-title', dataset: { boardTitle: '' } }, 'Loading…');
    this.liveState = h('span', { class: 'live-state', role: 'status', dataset: { state: 'connecting' } }, 'Connecting…');
    const wide = (text) => h('span', { class: 'wide' }, text);
    this.undoButton = button(['↶', wide(' Undo')], 'Undo your last change (Ctrl+Z)', () => this.undo(false), { 'aria-label': 'Undo' });
    this.redoButton = button(['↷', wide(' Redo')], 'Redo (Ctrl+Shift+Z)', () => this.undo(true), { 'aria-label': 'Redo' });
    this.renameButton = button('✎', 'Rename the board', () => this.rename(), { class: 'icon', 'aria-label': 'Rename board' });
    this.roleBadge = h('span', { class: 'role-badge', hidden: true });
    this.membersButton = button('Members', 'Who can see and change this board', () => this.openMembers(), { disabled: true });
    this.historyButton = button('History', 'Show the history and time travel', () => this.history.toggle(),
      { 'aria-controls': 'history-panel', 'aria-expanded': 'false' });
    this.archivedToggle = h('input', { type: 'checkbox', onchange: (e) => this.toggleArchived(e.target.checked) });
    this.banner = h('div', { class: 'banner', hidden: true, role: 'status' });
    this.host = h('div', { class: 'columns-host' }, h('p', { class: 'state loading' }, 'Loading the board…'));
    clear(this.root, h('div', { class: 'board-page' },
      h('div', { class: 'board-bar' },
        h('a', { href: '#/', class: 'back', title: 'All boards' }, '← Boards'),
        this.title, this.renameButton, this.roleBadge, this.liveState,
        h('div', { class: 'tools' }, this.undoButton, this.redoButton,
          h('label', { class: 'toggle' }, this.archivedToggle, ' Archived'),
          this.membersButton, this.historyButton,
          button('?', 'Keyboard shortcuts', () => keyboardHelp(), { class: 'icon', 'aria-label': 'Keyboard shortcuts' }))),
      this.banner,
      h('div', { class: 'board-body' }, this.host, this.history.element),
      h('p', { id: 'card-keys', hidden: true }, 'Enter opens the card. Alt+Arrow keys move it.')));
    this.wire();
    document.addEventListener('keydown', this.onKey);
    window.addEventListener('online', this.onOnline);
    await this.load();
  }

  async load() {
    try {
      const [board, { members }] = await Promise.all([api.get(this.path), api.get(`${this.path}/members`)]);
      this.board = board;
      this.version = board.version;
      this.setMembers(members);
    } catch (error) {
      this.failedToLoad(error);
      return;
    }
    if (this.closed) return;
    this.membersButton.disabled = false;
    this.render();
    if (!this.stream) this.listen();
  }

  setMembers(members) {
    this.members = members;
    const me = session.user()?.user_id;
    this.role = members.find((m) => m.user_id === me)?.role ?? null;
    // An admin may do everything, whatever their role here (if any).
    const role = this.admin ? 'admin' : this.role;
    this.roleBadge.hidden = !role;
    this.roleBadge.textContent = ROLE_TEXT[role] ?? '';
    this.roleBadge.dataset.role = role ?? '';
    this.roleBadge.title = role ? `Your role on this board: ${role}` : '';
  }

  // Membership changed (live, or by us): our own role may have too.
  async loadMembers() {
    try {
      const { members } = await api.get(`${this.path}/members`);
      if (this.closed) return;
      this.setMembers(members);
    } catch {
      return; // no longer ours to see: the stream says so (revoked)
    }
    this.render();
    this.membersDialog?.show({ members: this.members, canOwn: this.canOwn });
  }

  openMembers() {
    if (this.membersDialog || !this.board) return;
    const dialog = new MembersDialog({
      path: this.path,
      me: session.user(),
      title: () => this.board.title,
      view: { members: this.members, canOwn: this.canOwn },
      reload: () => this.loadMembers(),
      onLeaving: (leaving) => { this.leaving = leaving; },
      onClose: () => this.membersClosed(dialog),
    });
    this.membersDialog = dialog;
  }

  membersClosed(dialog) {
    if (this.membersDialog === dialog) this.membersDialog = null;
  }

  // Removed from the board, or the session revoked (the stream said so):
  // back to the sign-in page or to the board list.
  async lostAccess() {
    if (this.closed || this.leaving) return;
    this.stream?.close();
    try {
      await api.get('/session'); // a 401 signs out, and the sign-in page says why
    } catch {
      return;
    }
    if (this.closed || this.leaving) return;
    toast(`You no longer have access to “${this.board?.title ?? 'this board'}”.`, { timeout: 10000 });
    location.hash = '#/';
  }

  unmount() {
    this.closed = true;
    document.removeEventListener('keydown', this.onKey);
    window.removeEventListener('online', this.onOnline);
    this.stream?.close();
    this.card?.close();
    this.membersDialog?.close();
  }

  failedToLoad(error) {
    if (error.status === 401) return; // signed out: the sign-in page says why
    const text = error.status === 404
      ? 'This board does not exist, or you are not one of its members.'
      : `Could not load the board: ${error.message}`;
    this.title.textContent = 'Board';
    clear(this.host, h('div', { class: 'state error' }, h('p', {}, text),
      h('p', {}, h('a', { href: '#/' }, 'Back to the boards'), error.status === 404 ? null : [' · ',
        h('button', { type: 'button', class: 'link', onclick: () => this.load() }, 'Try again')])));
  }

  // Drag and drop, clicks, keys and drafts: wired once on the host, whose
  // content is rebuilt on every render.
  wire() {
    const columnOf = (el) => el?.closest('[data-column-id]');
    sortable(this.host, {
      handle: '.columns:not(.readonly) .card:not(.archived):not(.pending)',
      item: '.card',
      axis: 'y',
      zone: (x, y) => {
        const column = columnOf(document.elementFromPoint(x, y));
        return column && this.host.contains(column) ? column.querySelector('.cards') : null;
      },
      items: (zone) => [...zone.querySelectorAll(':scope > .card:not(.archived)')],
      drop: ({ item, zone, index }) => this.moveCard(item.dataset.cardId, columnOf(zone).dataset.columnId, index),
      done: () => this.render(),
    });
    sortable(this.host, {
      handle: '.columns:not(.readonly) .grip',
      item: '.column',
      axis: 'x',
      zone: () => this.host.querySelector('.columns'),
      items: (zone) => [...zone.querySelectorAll(':scope > .column')],
      drop: ({ item, index }) => this.moveColumn(item.dataset.columnId, index),
      done: () => this.render(),
    });
    this.host.addEventListener('click', (event) => {
      const card = event.target.closest('.card');
      if (card && !card.classList.contains('pending') && !justDropped()) this.openCard(card.dataset.cardId);
    });
    this.host.addEventListener('keydown', (event) => moveByKey(this, event));
    this.host.addEventListener('input', (event) => {
      const key = event.target.dataset.focus;
      if (key?.startsWith('composer:')) this.drafts.set(key, event.target.value);
    });
  }

  render() {
    if (isDragging() || !this.board) return; // the drag's end renders
    const board = this.shown;
    this.title.textContent = board.title;
    document.title = `${board.title} · Kanban`;
    for (const el of [this.undoButton, this.redoButton, this.renameButton]) el.disabled = this.readOnly;
    // A viewer has no undo; only an owner renames.
    this.undoButton.hidden = !this.canEdit;
    this.redoButton.hidden = !this.canEdit;
    this.renameButton.hidden = !this.canOwn;
    this.renderBanner();
    const kept = this.keepFocus();
    const columns = columnsElement(board, { readOnly: this.readOnly, showArchived: this.showArchived, drafts: this.drafts, actions: this.actions });
    if (this.readOnly) columns.classList.add('readonly');
    if (!board.columns.length) {
      columns.prepend(h('p', { class: 'state empty-board' },
        this.readOnly ? 'No columns.' : 'This board has no columns yet. Add the first one →'));
    }
    this.host.replaceChildren(columns);
    this.restoreFocus(kept);
    this.history.sync({ now: this.board.version, shown: board.version });
    if (this.card && !this.past) this.card.update(model.findCard(this.board, this.card.cardId)?.card);
  }

  renderBanner() {
    if (this.past) {
      const at = this.history.timeOf(this.past.version);
      this.banner.hidden = false;
      this.banner.className = 'banner travel-banner';
      clear(this.banner, h('span', {},
        h('strong', {}, `Version ${this.past.version} of ${this.board.version}`),
        at ? ` — as it was on ${new Date(at).toLocaleString()}` : '', '. Read-only.'),
      h('button', { type: 'button', class: 'primary', onclick: () => this.backToNow() }, 'Back to now'));
    } else if (this.board.archived) {
      this.banner.hidden = false;
      this.banner.className = 'banner archived-banner';
      clear(this.banner, h('span', {}, 'This board is archived and read-only.'),
        this.canOwn ? h('button', { type: 'button', onclick: () => this.restoreBoard() }, 'Restore board') : null);
    } else {
      this.banner.hidden = true;
    }
  }

  // A render rebuilds the columns: keep focus, what is being typed and scrolling.
  keepFocus() {
    const active = document.activeElement;
    const inside = this.host.contains(active);
    return {
      key: inside ? active.dataset.focus : null,
      selection: inside && active.tagName === 'INPUT' ? [active.selectionStart, active.selectionEnd] : null,
      left: this.host.querySelector('.columns')?.scrollLeft ?? 0,
      tops: new Map([...this.host.querySelectorAll('[data-column-id]')].map((c) => [c.dataset.columnId, c.querySelector('.cards').scrollTop])),
    };
  }

  restoreFocus({ key, selection, left, tops }) {
    const columns = this.host.querySelector('.columns');
    columns.scrollLeft = left;
    for (const column of this.host.querySelectorAll('[data-column-id]')) {
      column.querySelector('.cards').scrollTop = tops.get(column.dataset.columnId) ?? 0;
    }
    const el = key && this.host.querySelector(`[data-focus="${CSS.escape(key)}"]`);
    if (!el) return;
    el.focus({ preventScroll: true });
    if (selection) el.setSelectionRange(...selection);
  }

  // --- changes -----------------------------------------------------------

  // Apply a change now, send it after the ones before it, and reconcile.
  // Resolves to the server's answer, or null when refused (after reporting).
  async change(label, { apply, send, after, retry, onError }) {
    if (apply) {
      apply(this.board);
      this.render();
    }
    this.pending += 1;
    this.epoch += 1;
    const sent = this.queue.then(() => {
      // After a refusal, the changes queued behind it were made on a board
      // that is not the server's: drop them (the refresh shows the truth).
      if (this.failed) throw Object.assign(new Error('skipped'), { skipped: true });
      return send(this.version);
    });
    this.queue = sent.catch(() => {});
    try {
      const result = await sent;
      this.version = result.version;
      this.board.version = result.version;
      after?.(result);
      return result;
    } catch (error) {
      if (!error.skipped) {
        this.failed = true;
        if (onError) onError(error);
        else this.report(label, error, retry);
      }
      return null;
    } finally {
      this.pending -= 1;
      if (this.pending === 0) {
        this.failed = false;
        this.refresh();
      }
    }
  }

  report(label, error, retry) {
    if (error.status === 401) return; // signed out: the sign-in page says why
    let text = `${label}: ${sentence(error.message)}`;
    if (error.status === 412) text = `${label}: not applied, because someone else changed the board a moment ago.`;
    if (error.status === 0) text = `${label}: the server could not be reached. The board will be reloaded; check whether the change was made.`;
    else if (error.isConflict) text += ' The board has been refreshed.';
    const again = retry && (error.status === 412 || error.status === 0);
    toast(text, { kind: 'error', action: again ? { label: 'Retry', run: retry } : null });
  }

  // Fetch the board; applied only when no change of ours is in flight.
  refresh() {
    if (this.refreshing) {
      this.again = true;
      return this.refreshing;
    }
    this.refreshing = (async () => {
      do {
        this.again = false;
        const epoch = this.epoch;
        try {
          const board = await api.get(this.path, { include_archived: this.showArchived });
          if (this.closed) return;
          if (this.pending === 0 && epoch === this.epoch) {
            // Usually the server agrees with what is shown: then leave the DOM be.
            const same = JSON.stringify(board) === JSON.stringify(this.board);
            this.board = board;
            this.version = board.version;
            if (!same) this.render();
          }
        } catch (error) {
          if (error.status === 404) this.failedToLoad(error);
          else this.setLive('closed');
        }
      } while (this.again);
    })().finally(() => { this.refreshing = null; });
    return this.refreshing;
  }

  // --- dialogs, time travel, live ------------------------------------------

  openCard(cardId) {
    const found = model.findCard(this.shown, cardId);
    if (!found || this.card) return;
    const dialog = new CardDialog(found.card, {
      readOnly: this.readOnly,
      path: this.path,
      onSave: async (fields, onError) => Boolean(await this.saveCard(cardId, fields, onError)),
      onArchive: async (archived, onError) => Boolean(await this.archiveCard(cardId, archived, onError)),
      onClose: () => this.cardClosed(dialog),
    });
    this.card = dialog;
  }

  cardClosed(dialog) {
    if (this.card === dialog) this.card = null;
    this.host.querySelector(`[data-card-id="${CSS.escape(dialog.cardId)}"]`)?.focus({ preventScroll: true });
  }

  toggleArchived(show) {
    this.showArchived = show;
    this.refresh();
    if (this.past) this.travel(this.past.version);
  }

  historyToggled(open) {
    this.historyButton.setAttribute('aria-expanded', String(open));
    this.historyButton.classList.toggle('active', open);
  }

  async travel(version) {
    const ticket = (this.ticket = (this.ticket ?? 0) + 1);
    if (version >= this.board.version) return this.backToNow();
    try {
      const past = await api.get(this.path, { version, include_archived: this.showArchived });
      if (ticket !== this.ticket || this.closed) return;
      this.card?.close();
      this.past = past;
      this.render();
    } catch (error) {
      toast(`Could not show version ${version}: ${error.message}`, { kind: 'error' });
    }
  }

  backToNow() {
    this.ticket = (this.ticket ?? 0) + 1;
    this.card?.close();
    this.past = null;
    this.render();
  }

  listen() {
    this.stream = openStream(`/api/v1${this.path}/stream`, {
      token: session.token,
      onEvent: (message) => this.liveEvent(message),
      onState: (state) => this.setLive(state),
      onAuthError: () => session.expired(),
      // Refetch: a board that is not there (for us) says so in its place.
      onGone: () => this.refresh(),
      onFresh: () => this.refresh(),
    });
  }

  liveEvent(message) {
    if (message.type === 'reset') {
      // The server cannot resume where we were: start again from now.
      this.stream.forget();
      api.forgetSeq();
      this.refresh();
      this.history.changed();
      return;
    }
    if (message.type === 'revoked') {
      this.lostAccess();
      return;
    }
    let event;
    try {
      event = JSON.parse(message.data);
    } catch {
      return;
    }
    this.history.changed();
    if (message.type.startsWith('Member')) this.loadMembers();
    if (event.version > this.version) this.refresh();
  }

  setLive(state) {
    this.liveState.dataset.state = state;
    this.liveState.textContent = LIVE_TEXT[state] ?? state;
  }

  globalKey(event) {
    if (document.querySelector('dialog[open]') || isTyping(event.target)) return;
    const mod = event.ctrlKey || event.metaKey;
    const key = event.key.toLowerCase();
    if (mod && key === 'z') {
      event.preventDefault();
      this.undo(event.shiftKey);
    } else if (mod && key === 'y') {
      event.preventDefault();
      this.undo(true);
    } else if (event.key === 'Escape' && this.past) {
      this.backToNow();
    } else if (event.key === '?') {
      keyboardHelp();
    }
  }
}

Object.assign(BoardPage.prototype, changes);
