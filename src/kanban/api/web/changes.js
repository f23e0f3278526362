// @ts-check
// The changes a person makes on a board. Each is applied at once to a copy of
// the board on screen (optimistically) and sent after the ones before it,
// with If-Match on the version it was made against; when every change is
// answered the page fetches the board again, so the server's view always
// wins. A refused change (409/412) is reported, with a Retry where that makes
// sense; the changes queued behind it are not sent.

import * as api from './api.js';
import * as model from './model.js';
import { toast, announce, sentence } from './dom.js';
import { askText, confirmAction, formDialog } from './dialogs.js';
import { permissions } from './board-state.js';

/** @import { Board, Card, Column, CardFields, ColumnEdits } from './model.js' */
/** @import { CommandResult, CardCreated, ColumnCreated, UndoResult } from './api.js' */
/** @import { PageState } from './board-state.js' */
/** @import { Button } from './dialogs.js' */

/**
 * What the changes need from the board page.
 * @typedef {object} ChangeHost
 * @property {string} path  the board's, in the API
 * @property {() => Readonly<PageState>} state
 * @property {(patch: Partial<PageState>) => void} update  the one way to change the state
 * @property {() => void} redraw  draw the board as the state has it (a refused drop left the DOM moved)
 * @property {() => Promise<void>} refresh  fetch the board; shown only if no change is in flight
 */

/**
 * @template {CommandResult} R
 * @typedef {object} Change
 * @property {(board: Board) => void} [apply]  the change, made at once on a copy of the board
 * @property {(version: number) => Promise<unknown>} send  to the server, with If-Match: version
 * @property {(result: R) => void} [after]  the server's answer (R: what the command answers)
 * @property {() => void} [retry]  offered when the board had changed under it, or the server was not reached
 * @property {((error: unknown) => void) | undefined} [onError]  said instead of the report
 */

/** @typedef {(error: unknown) => void} OnError */

// A change queued behind a refused one was made on a board that is not the
// server's: it is dropped, not sent (the refresh shows the truth).
class Skipped extends Error {}

let temporary = 0; // numbers the ids of cards and columns the server has not named yet

export class Changes {
  /** @param {ChangeHost} host */
  constructor(host) {
    this.host = host;
  }

  get board() {
    return this.host.state().board;
  }

  /**
   * Change a copy of the board on screen, and show it.
   * @param {(board: Board) => void} edit
   */
  edit(edit) {
    const { board } = this.host.state();
    if (!board) return;
    const next = structuredClone(board);
    edit(next);
    this.host.update({ board: next });
  }

  /**
   * Apply a change now, send it after the ones before it, and reconcile.
   * Resolves to the server's answer, or null when refused (after reporting)
   * or not sent.
   * @template {CommandResult} [R=CommandResult]
   * @param {string} label  what it does, for the report: "Moving “Card”"
   * @param {Change<R>} change
   * @returns {Promise<R | null>}
   */
  async send(label, { apply, send, after, retry, onError }) {
    const { state, update } = this.host;
    if (apply) this.edit(apply);
    const { pending, epoch, queue } = state();
    const sent = queue.then(() => {
      if (state().failed) throw new Skipped();
      return send(state().board?.version ?? 0);
    });
    update({ pending: pending + 1, epoch: epoch + 1, queue: sent.catch(() => {}) });
    try {
      // Every command answers its CommandResult, and what it made (R).
      const result = /** @type {R} */ (await sent);
      const board = state().board;
      // Only the version moves on: the columns are not drawn again for it.
      if (board) update({ board: { ...board, version: result.version } });
      after?.(result);
      return result;
    } catch (error) {
      if (!(error instanceof Skipped)) {
        update({ failed: true });
        if (onError) onError(error);
        else this.report(label, error, retry);
      }
      return null;
    } finally {
      const left = state().pending - 1;
      update(left === 0 ? { pending: 0, failed: false } : { pending: left });
      if (left === 0) this.host.refresh();
    }
  }

  /**
   * @param {string} label
   * @param {unknown} error
   * @param {(() => void) | null | undefined} retry
   */
  report(label, error, retry) {
    const status = api.statusOf(error);
    if (status === 401) return; // signed out: the sign-in page says why
    let text = `${label}: ${sentence(api.messageOf(error))}`;
    if (status === 412) text = `${label}: not applied, because someone else changed the board a moment ago.`;
    if (status === 0) text = `${label}: the server could not be reached. The board will be reloaded; check whether the change was made.`;
    else if (error instanceof api.ApiError && error.isConflict) text += ' The board has been refreshed.';
    const again = retry && (status === 412 || status === 0);
    toast(text, { kind: 'error', action: again ? { label: 'Retry', run: retry } : null });
  }

  /**
   * @param {string} cardId
   * @param {string} columnId
   * @param {number} position  among the column's live cards
   * @returns {Promise<CommandResult | null> | void}
   */
  moveCard(cardId, columnId, position) {
    const board = this.board;
    const found = board && model.findCard(board, cardId);
    const target = board && model.findColumn(board, columnId);
    if (!found || !target || (found.column === target && found.index === position)) return this.host.redraw();
    if (found.column !== target && model.wipState(target)) {
      toast(`“${target.title}” is at its WIP limit (${target.wip_limit}); move a card out first.`, { kind: 'error', timeout: 6000 });
      return this.host.redraw();
    }
    announce(`Moved “${found.card.title}” to ${target.title}, position ${position + 1}.`);
    return this.send(`Moving “${found.card.title}”`, {
      apply: (copy) => model.moveCard(copy, cardId, columnId, position),
      send: (version) => api.post(`${this.host.path}/cards/${cardId}/move`, { column_id: columnId, position }, { version }),
      retry: () => this.moveCard(cardId, columnId, position),
    });
  }

  /**
   * @param {string} columnId
   * @param {number} position
   * @returns {Promise<CommandResult | null> | void}
   */
  moveColumn(columnId, position) {
    const board = this.board;
    const column = board && model.findColumn(board, columnId);
    if (!board || !column || position < 0 || position >= board.columns.length) return this.host.redraw();
    announce(`Moved column ${column.title} to position ${position + 1}.`);
    return this.send(`Moving column “${column.title}”`, {
      apply: (copy) => model.moveColumn(copy, columnId, position),
      send: (version) => api.post(`${this.host.path}/columns/${columnId}/move`, { position }, { version }),
      retry: () => this.moveColumn(columnId, position),
    });
  }

  /**
   * Take a draft from its field (given back if the change is refused).
   * @param {string} key
   * @returns {{ title: string, giveBack: () => void } | null}
   */
  takeDraft(key) {
    const { [key]: draft = '', ...others } = this.host.state().drafts;
    const title = draft.trim();
    if (!title) return null;
    this.host.update({ drafts: others });
    return {
      title,
      // Give the typed title back rather than lose it, unless something new was typed.
      giveBack: () => {
        const { drafts } = this.host.state();
        if (!drafts[key]) this.host.update({ drafts: { ...drafts, [key]: title } });
      },
    };
  }

  /** @param {string} columnId */
  addCard(columnId) {
    const draft = this.takeDraft(`composer:${columnId}`);
    if (!draft) return;
    const { title, giveBack } = draft;
    /** @type {Card} */
    const card = {
      id: `pending-${++temporary}`, column_id: columnId, title, description: '',
      labels: [], assignees: [], due_date: null, archived: false,
    };
    this.send(`Adding “${title}”`, {
      apply: (copy) => model.addCard(copy, columnId, card),
      send: (version) => api.post(`${this.host.path}/cards`, { column_id: columnId, title }, { version }),
      after: (/** @type {CardCreated} */ result) => this.edit((copy) => model.renameCard(copy, card.id, result.card_id)),
      onError: (error) => {
        giveBack();
        this.report(`Adding “${title}”`, error, null);
      },
    });
  }

  addColumn() {
    const draft = this.takeDraft('composer:new-column');
    if (!draft) return;
    const { title, giveBack } = draft;
    /** @type {Column} */
    const column = { id: `pending-column-${++temporary}`, title, wip_limit: null, over_limit: false, cards: [] };
    this.send(`Adding column “${title}”`, {
      apply: (copy) => model.addColumn(copy, column),
      send: (version) => api.post(`${this.host.path}/columns`, { title }, { version }),
      after: (/** @type {ColumnCreated} */ result) => this.edit((copy) => model.renameColumn(copy, column.id, result.column_id)),
      onError: (error) => {
        giveBack();
        this.report(`Adding column “${title}”`, error, null);
      },
    });
  }

  /** @param {string} columnId */
  async editColumn(columnId) {
    const board = this.board;
    const column = board && model.findColumn(board, columnId);
    if (!board || !column) return;
    const index = board.columns.indexOf(column);
    /** @type {Button[]} */
    const buttons = [{ value: 'remove', label: 'Remove column', class: 'danger' }];
    if (index < board.columns.length - 1) buttons.unshift({ value: 'right', label: 'Move right →' });
    if (index > 0) buttons.unshift({ value: 'left', label: '← Move left' });
    const answer = await formDialog({
      title: `Column “${column.title}”`,
      fields: [
        { name: 'title', label: 'Title', value: column.title, required: true, maxlength: 200 },
        { name: 'wip_limit', label: 'WIP limit', type: 'number', min: 1, max: 10000, value: column.wip_limit ?? '', hint: 'Empty: no limit.' },
      ],
      buttons,
    });
    if (!answer) return;
    // The board may have been refreshed while the dialog was open: find it again.
    const current = (this.board?.columns ?? []).findIndex((c) => c.id === columnId);
    if (answer.action === 'left') this.moveColumn(columnId, current - 1);
    else if (answer.action === 'right') this.moveColumn(columnId, current + 1);
    else if (answer.action === 'remove') this.removeColumn(column);
    else this.saveColumn(column, answer.values);
  }

  /**
   * @param {Column} column  as it was when its dialog opened
   * @param {{ title: string, wip_limit: string }} values  as typed
   */
  saveColumn(column, values) {
    /** @type {ColumnEdits} */
    const edits = {};
    if (values.title && values.title !== column.title) edits.title = values.title;
    const limit = values.wip_limit === '' ? null : Number(values.wip_limit);
    if (limit !== column.wip_limit) edits.wip_limit = limit;
    if (!Object.keys(edits).length) return;
    this.send(`Changing column “${column.title}”`, {
      apply: (copy) => model.editColumn(copy, column.id, edits),
      send: (version) => api.patch(`${this.host.path}/columns/${column.id}`, edits, { version }),
    });
  }

  /** @param {Column} column */
  async removeColumn(column) {
    if (!(await confirmAction('Remove column', `Remove the column “${column.title}”? It must be empty.`, 'Remove'))) return;
    this.send(`Removing column “${column.title}”`, {
      apply: (copy) => model.removeColumn(copy, column.id),
      send: (version) => api.del(`${this.host.path}/columns/${column.id}`, { version }),
    });
  }

  async rename() {
    const before = this.board?.title ?? '';
    const title = await askText('Rename board', 'Title', before);
    if (!title || title === this.board?.title) return;
    this.send('Renaming the board', {
      apply: (copy) => { copy.title = title; },
      send: (version) => api.patch(this.host.path, { title }, { version }),
    });
  }

  restoreBoard() {
    this.send('Restoring the board', { send: (version) => api.post(`${this.host.path}/restore`, undefined, { version }) });
  }

  /**
   * @param {string} cardId
   * @param {Partial<CardFields>} fields
   * @param {OnError} [onError]
   */
  saveCard(cardId, fields, onError) {
    return this.send('Saving the card', {
      apply: (copy) => model.editCard(copy, cardId, fields),
      send: (version) => api.patch(`${this.host.path}/cards/${cardId}`, fields, { version }),
      onError,
    });
  }

  /**
   * @param {string} cardId
   * @param {boolean} archived  true: archive it; false: restore it
   * @param {OnError} [onError]
   */
  archiveCard(cardId, archived, onError) {
    const verb = archived ? 'archive' : 'restore';
    return this.send(archived ? 'Archiving the card' : 'Restoring the card', {
      apply: (copy) => model.setArchived(copy, cardId, archived),
      send: (version) => api.post(`${this.host.path}/cards/${cardId}/${verb}`, undefined, { version }),
      onError,
    });
  }

  /** @param {boolean} redo */
  undo(redo) {
    if (permissions(this.host.state()).readOnly) return;
    const verb = redo ? 'redo' : 'undo';
    this.send(redo ? 'Redo' : 'Undo', {
      send: () => api.post(`${this.host.path}/${verb}`),
      after: (/** @type {UndoResult} */ result) => {
        const what = result.events.map((e) => e.summary).join('; ');
        toast(`${redo ? 'Redone' : 'Undone'}: ${what}`);
        announce(`${redo ? 'Redone' : 'Undone'}: ${what}`);
      },
      onError: (error) => {
        const kind = error instanceof api.ApiError ? error.kind : null;
        if (kind === 'nothing-to-undo' || kind === 'nothing-to-redo') toast(`Nothing to ${verb}.`);
        else if (kind === 'undo-conflict') {
          const why = api.messageOf(error).replace(/^cannot (undo|redo): /, '');
          toast(`Can't ${verb}: ${sentence(why)} Nothing was changed.`, { kind: 'error' });
        } else this.report(redo ? 'Redo' : 'Undo', error, null);
      },
    });
  }
}
