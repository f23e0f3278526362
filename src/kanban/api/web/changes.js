// The changes a person makes on a board, each applied at once and sent
// through BoardPage.change (see board.js). Mixed into BoardPage.

import * as api from './api.js';
import * as model from './model.js';
import { toast, announce, sentence } from './dom.js';
import { askText, confirmAction, formDialog } from './dialogs.js';

let temporary = 0;

export const changes = {
  moveCard(cardId, columnId, position) {
    const found = model.findCard(this.board, cardId);
    const target = model.findColumn(this.board, columnId);
    if (!found || !target || (found.column === target && found.index === position)) return this.render();
    if (found.column !== target && model.wipState(target)) {
      toast(`“${target.title}” is at its WIP limit (${target.wip_limit}); move a card out first.`, { kind: 'error', timeout: 6000 });
      return this.render();
    }
    announce(`Moved “${found.card.title}” to ${target.title}, position ${position + 1}.`);
    return this.change(`Moving “${found.card.title}”`, {
      apply: (board) => model.moveCard(board, cardId, columnId, position),
      send: (version) => api.post(`${this.path}/cards/${cardId}/move`, { column_id: columnId, position }, { version }),
      retry: () => this.moveCard(cardId, columnId, position),
    });
  },

  moveColumn(columnId, position) {
    const column = model.findColumn(this.board, columnId);
    if (!column || position < 0 || position >= this.board.columns.length) return this.render();
    announce(`Moved column ${column.title} to position ${position + 1}.`);
    return this.change(`Moving column “${column.title}”`, {
      apply: (board) => model.moveColumn(board, columnId, position),
      send: (version) => api.post(`${this.path}/columns/${columnId}/move`, { position }, { version }),
      retry: () => this.moveColumn(columnId, position),
    });
  },

  addCard(columnId) {
    const key = `composer:${columnId}`;
    const title = (this.drafts.get(key) ?? '').trim();
    if (!title) return;
    this.drafts.delete(key);
    const card = {
      id: `pending-${++temporary}`, column_id: columnId, title, description: '',
      labels: [], assignees: [], due_date: null, archived: false,
    };
    this.change(`Adding “${title}”`, {
      apply: (board) => model.addCard(board, columnId, card),
      send: (version) => api.post(`${this.path}/cards`, { column_id: columnId, title }, { version }),
      after: (result) => { card.id = result.card_id; this.render(); },
      onError: (error) => {
        // Give the typed title back rather than lose it.
        if (!this.drafts.get(key)) this.drafts.set(key, title);
        this.report(`Adding “${title}”`, error, null);
      },
    });
  },

  addColumn() {
    const key = 'composer:new-column';
    const title = (this.drafts.get(key) ?? '').trim();
    if (!title) return;
    this.drafts.delete(key);
    const column = { id: `pending-column-${++temporary}`, title, wip_limit: null, over_limit: false, cards: [] };
    this.change(`Adding column “${title}”`, {
      apply: (board) => board.columns.push(column),
      send: (version) => api.post(`${this.path}/columns`, { title }, { version }),
      after: (result) => { column.id = result.column_id; this.render(); },
      onError: (error) => {
        if (!this.drafts.get(key)) this.drafts.set(key, title);
        this.report(`Adding column “${title}”`, error, null);
      },
    });
  },

  async editColumn(columnId) {
    const column = model.findColumn(this.board, columnId);
    if (!column) return;
    const index = this.board.columns.indexOf(column);
    const answer = await formDialog({
      title: `Column “${column.title}”`,
      fields: [
        { name: 'title', label: 'Title', value: column.title, required: true, maxlength: 200 },
        { name: 'wip_limit', label: 'WIP limit', type: 'number', min: 1, max: 10000, value: column.wip_limit ?? '', hint: 'Empty: no limit.' },
      ],
      buttons: [
        index > 0 && { value: 'left', label: '← Move left' },
        index < this.board.columns.length - 1 && { value: 'right', label: 'Move right →' },
        { value: 'remove', label: 'Remove column', class: 'danger' },
      ].filter(Boolean),
    });
    if (!answer) return;
    // The board may have been refreshed while the dialog was open: find it again.
    const current = this.board.columns.findIndex((c) => c.id === columnId);
    if (answer.action === 'left') this.moveColumn(columnId, current - 1);
    else if (answer.action === 'right') this.moveColumn(columnId, current + 1);
    else if (answer.action === 'remove') this.removeColumn(column);
    else this.saveColumn(column, answer.values);
  },

  saveColumn(column, values) {
    const edits = {};
    if (values.title && values.title !== column.title) edits.title = values.title;
    const limit = values.wip_limit === '' ? null : Number(values.wip_limit);
    if (limit !== column.wip_limit) edits.wip_limit = limit;
    if (!Object.keys(edits).length) return;
    this.change(`Changing column “${column.title}”`, {
      apply: (board) => Object.assign(model.findColumn(board, column.id) ?? {}, edits),
      send: (version) => api.patch(`${this.path}/columns/${column.id}`, edits, { version }),
    });
  },

  async removeColumn(column) {
    if (!(await confirmAction('Remove column', `Remove the column “${column.title}”? It must be empty.`, 'Remove'))) return;
    this.change(`Removing column “${column.title}”`, {
      apply: (board) => { board.columns = board.columns.filter((c) => c.id !== column.id); },
      send: (version) => api.del(`${this.path}/columns/${column.id}`, { version }),
    });
  },

  async rename() {
    const title = await askText('Rename board', 'Title', this.board.title);
    if (!title || title === this.board.title) return;
    this.change('Renaming the board', {
      apply: (board) => { board.title = title; },
      send: (version) => api.patch(this.path, { title }, { version }),
    });
  },

  restoreBoard() {
    this.change('Restoring the board', { send: (version) => api.post(`${this.path}/restore`, undefined, { version }) });
  },

  saveCard(cardId, fields, onError) {
    return this.change('Saving the card', {
      apply: (board) => Object.assign(model.findCard(board, cardId)?.card ?? {}, fields),
      send: (version) => api.patch(`${this.path}/cards/${cardId}`, fields, { version }),
      onError,
    });
  },

  archiveCard(cardId, archived, onError) {
    const verb = archived ? 'archive' : 'restore';
    return this.change(archived ? 'Archiving the card' : 'Restoring the card', {
      apply: (board) => model.setArchived(board, cardId, archived),
      send: (version) => api.post(`${this.path}/cards/${cardId}/${verb}`, undefined, { version }),
      onError,
    });
  },

  async undo(redo) {
    if (this.readOnly) return;
    const verb = redo ? 'redo' : 'undo';
    const result = await this.change(redo ? 'Redo' : 'Undo', {
      send: () => api.post(`${this.path}/${verb}`),
      onError: (error) => {
        if (error.kind === 'nothing-to-undo' || error.kind === 'nothing-to-redo') toast(`Nothing to ${verb}.`);
        else if (error.kind === 'undo-conflict') {
          const why = error.message.replace(/^cannot (undo|redo): /, '');
          toast(`Can't ${verb}: ${sentence(why)} Nothing was changed.`, { kind: 'error' });
        } else this.report(redo ? 'Redo' : 'Undo', error, null);
      },
    });
    if (result) {
      const what = result.events.map((e) => e.summary).join('; ');
      toast(`${redo ? 'Redone' : 'Undone'}: ${what}`);
      announce(`${redo ? 'Redone' : 'Undone'}: ${what}`);
    }
  },
};
