// @ts-check
// The board list: the boards you are a member of (an admin: every board),
// with your role on each; create boards, and rename, archive and restore the
// ones you own.

import * as api from './api.js';
import * as session from './session.js';
import { h, clear, toast, timeElement } from './dom.js';
import { askText, confirmAction } from './dialogs.js';

/** @import { BoardSummary, BoardCreated } from './api.js' */

export class BoardsPage {
  /** @param {HTMLElement} root */
  constructor(root) {
    this.root = root;
    this.input = h('input', { name: 'title', required: true, maxlength: '200', autocomplete: 'off', placeholder: 'New board title', 'aria-label': 'New board title' });
    this.list = h('div', { class: 'board-lists' });
  }

  async mount() {
    document.title = 'Boards · Kanban';
    clear(this.root, h('div', { class: 'boards-page' },
      h('h1', {}, 'Boards'),
      h('form', { class: 'create-board', onsubmit: (e) => { e.preventDefault(); this.create(); } },
        this.input, h('button', { type: 'submit', class: 'primary' }, 'Create board')),
      this.list));
    await this.load();
  }

  unmount() {}

  async load() {
    clear(this.list, h('p', { class: 'state loading' }, 'Loading boards…'));
    try {
      const { boards } = /** @type {{ boards: BoardSummary[] }} */ (await api.get('/boards'));
      this.render(boards);
    } catch (error) {
      clear(this.list, h('div', { class: 'state error' }, h('p', {}, `Could not load the boards: ${api.messageOf(error)}`),
        h('button', { type: 'button', onclick: () => this.load() }, 'Try again')));
    }
  }

  /** @param {BoardSummary[]} boards */
  render(boards) {
    const active = boards.filter((b) => !b.archived);
    const archived = boards.filter((b) => b.archived);
    clear(this.list,
      active.length
        ? h('ul', { class: 'board-list' }, active.map((b) => this.item(b)))
        : h('p', { class: 'state empty' }, 'No boards yet. Create the first one above, or ask a board’s owner to add you.'),
      archived.length
        ? h('details', { class: 'archived-boards' }, h('summary', {}, `Archived boards (${archived.length})`),
          h('ul', { class: 'board-list' }, archived.map((b) => this.item(b))))
        : null);
  }

  /** @param {BoardSummary} board */
  item(board) {
    const href = `#/b/${encodeURIComponent(board.id)}`;
    // An admin who is not a member has no role, yet may do everything.
    const role = board.role ?? 'admin';
    const owns = board.role === 'owner' || Boolean(session.user()?.admin);
    return h('li', { class: `board-item${board.archived ? ' archived' : ''}`, dataset: { boardId: board.id, role } },
      h('a', { href, class: 'board-link' }, board.title),
      h('span', { class: 'meta' }, h('span', { class: `role role-${role}`, title: `Your role on this board: ${role}` }, role),
        ` · version ${board.version} · updated `, timeElement(board.updated_at)),
      h('span', { class: 'item-actions' },
        !owns ? null : board.archived
          ? h('button', { type: 'button', onclick: () => this.run(`Restoring “${board.title}”`, () => api.post(`/boards/${board.id}/restore`)) }, 'Restore')
          : [
            h('button', { type: 'button', onclick: () => this.rename(board) }, 'Rename'),
            h('button', { type: 'button', onclick: () => this.archive(board) }, 'Archive'),
          ]));
  }

  async create() {
    const title = this.input.value.trim();
    if (!title) return;
    try {
      const { board_id: id } = /** @type {BoardCreated} */ (await api.post('/boards', { title }));
      location.hash = `#/b/${encodeURIComponent(id)}`;
    } catch (error) {
      if (api.statusOf(error) !== 401) toast(`Could not create the board: ${api.messageOf(error)}`, { kind: 'error' });
    }
  }

  /** @param {BoardSummary} board */
  async rename(board) {
    const title = await askText('Rename board', 'Title', board.title);
    if (title && title !== board.title) {
      await this.run('Renaming', () => api.patch(`/boards/${board.id}`, { title }, { version: board.version }));
    }
  }

  /** @param {BoardSummary} board */
  async archive(board) {
    const yes = await confirmAction('Archive board', `Archive “${board.title}”? It becomes read-only; you can restore it later.`, 'Archive');
    if (yes) await this.run(`Archiving “${board.title}”`, () => api.post(`/boards/${board.id}/archive`));
  }

  /**
   * Send a change, then show the list as it is now (refused or not).
   * @param {string} label
   * @param {() => Promise<unknown>} send
   */
  async run(label, send) {
    try {
      await send();
    } catch (error) {
      const status = api.statusOf(error);
      if (status === 401) return; // signed out: the sign-in page says why
      const why = status === 412 ? 'the board changed meanwhile; the list has been refreshed' : api.messageOf(error);
      toast(`${label}: ${why}`, { kind: 'error' });
    }
    await this.load();
  }
}
