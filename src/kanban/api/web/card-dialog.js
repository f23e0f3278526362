// @ts-check
// The card dialog: edit title, description (markdown, rendered safely),
// labels, assignees and due date; archive or restore; the card's history.
// Nothing typed here is dropped: a refused save keeps the dialog open, with
// the edits, and says why.

import * as api from './api.js';
import { h, clear, sentence, timeElement } from './dom.js';
import { modal } from './dialogs.js';
import { labelChip } from './board-render.js';
import { renderMarkdown } from './markdown.js';

/** @import { Card, CardFields } from './model.js' */
/** @import { HistoryPage } from './api.js' */
/** @import { Props } from './dom.js' */

/**
 * What the dialog needs from whoever opens it. onSave and onArchive resolve
 * to whether the change was made; when it is refused they call onError with
 * why first (the dialog then stays open, with the edits).
 * @typedef {object} CardDialogOptions
 * @property {boolean} readOnly
 * @property {string} path  the board's, in the API (for the card's history)
 * @property {(fields: Partial<CardFields>, onError: (error: unknown) => void) => Promise<boolean>} onSave  only the fields changed
 * @property {(archived: boolean, onError: (error: unknown) => void) => Promise<boolean>} onArchive
 * @property {() => void} onClose
 */

/** @param {string} text */
const list = (text) => [...new Set(text.split(',').map((s) => s.trim()).filter(Boolean))].sort();
/**
 * @param {unknown} a
 * @param {unknown} b
 */
const same = (a, b) => JSON.stringify(a) === JSON.stringify(b);
/** @type {(keyof CardFields)[]} */
const FIELDS = ['title', 'description', 'labels', 'assignees', 'due_date'];

/**
 * @param {Card} card
 * @returns {CardFields}
 */
function fieldsOf(card) {
  return {
    title: card.title, description: card.description,
    labels: [...card.labels].sort(), assignees: [...card.assignees].sort(), due_date: card.due_date,
  };
}

export class CardDialog {
  /**
   * @param {Card} card
   * @param {CardDialogOptions} options
   */
  constructor(card, options) {
    this.options = options;
    this.cardId = card.id;
    this.base = fieldsOf(card); // what the card was when opened: edits are relative to it
    this.readOnly = options.readOnly;
    this.saving = false;
    this.dialog = modal(this.readOnly ? 'Card (read-only)' : 'Card', { className: 'card-dialog', onClose: () => options.onClose() });
    this.dialog.dataset.dialogCardId = card.id;
    const input = (/** @type {string} */ name, /** @type {Props} */ props = {}) => h('input', { name, autocomplete: 'off', ...props });
    this.inputs = {
      title: input('title', { required: true, maxlength: '200' }),
      description: h('textarea', { name: 'description', rows: '8', maxlength: '20000', placeholder: 'Markdown: **bold**, *em*, `code`, - lists, [links](https://…)' }),
      labels: input('labels', { placeholder: 'comma, separated' }),
      assignees: input('assignees', { placeholder: 'comma, separated' }),
      due_date: input('due_date', { type: 'date' }),
    };
    this.preview = h('div', { class: 'markdown', 'aria-label': 'Description, rendered' });
    this.chips = h('div', { class: 'labels' });
    this.notice = h('p', { class: 'notice', hidden: true });
    this.error = h('p', { class: 'error', role: 'alert', hidden: true });
    this.save = h('button', { type: 'submit', class: 'primary' }, 'Save');
    this.tabs = {
      write: h('button', { type: 'button', role: 'tab', onclick: () => this.showTab('write') }, 'Write'),
      preview: h('button', { type: 'button', role: 'tab', onclick: () => this.showTab('preview') }, 'Preview'),
    };
    this.history = h('ol', { class: 'history-list compact' }, h('li', { class: 'state' }, 'Loading history…'));
    this.build(card);
    this.dialog.showModal();
    this.loadHistory();
  }

  /** @param {Card} card */
  build(card) {
    const archived = card.archived;
    const form = h('form', { class: 'modal-body', onsubmit: (e) => { e.preventDefault(); this.submit(); } },
      h('fieldset', { disabled: this.readOnly || archived },
        h('label', { class: 'field' }, h('span', {}, 'Title'), this.inputs.title),
        h('div', { class: 'field' },
          h('div', { class: 'field-head' }, h('span', {}, 'Description'), h('div', { class: 'tabs', role: 'tablist' }, this.tabs.write, this.tabs.preview)),
          this.inputs.description, this.preview),
        h('label', { class: 'field' }, h('span', {}, 'Labels'), this.inputs.labels, this.chips),
        h('div', { class: 'field-row' },
          h('label', { class: 'field' }, h('span', {}, 'Assignees'), this.inputs.assignees),
          h('label', { class: 'field' }, h('span', {}, 'Due date'), this.inputs.due_date))),
      this.notice, this.error,
      h('div', { class: 'modal-actions' },
        this.readOnly ? null : h('button', { type: 'button', class: archived ? '' : 'danger', onclick: () => this.archive(!archived) },
          archived ? 'Restore card' : 'Archive card'),
        h('span', { class: 'spacer' }),
        h('button', { type: 'button', onclick: () => this.dialog.close() }, this.readOnly || archived ? 'Close' : 'Cancel'),
        this.readOnly || archived ? null : this.save));
    this.inputs.description.addEventListener('input', () => this.renderPreview());
    this.inputs.labels.addEventListener('input', () => this.renderChips());
    this.dialog.append(form, h('section', { class: 'card-history' }, h('h3', {}, 'History of this card'), this.history));
    this.fill(card);
    this.showTab(card.description || this.readOnly ? 'preview' : 'write');
  }

  /** @param {Card} card */
  fill(card) {
    const f = fieldsOf(card);
    this.inputs.title.value = f.title;
    this.inputs.description.value = f.description;
    this.inputs.labels.value = f.labels.join(', ');
    this.inputs.assignees.value = f.assignees.join(', ');
    this.inputs.due_date.value = f.due_date ?? '';
    this.renderPreview();
    this.renderChips();
  }

  /** @returns {CardFields} */
  values() {
    const v = this.inputs;
    return {
      title: v.title.value.trim(), description: v.description.value,
      labels: list(v.labels.value), assignees: list(v.assignees.value), due_date: v.due_date.value || null,
    };
  }

  /** @param {'write' | 'preview'} name */
  showTab(name) {
    const preview = name === 'preview';
    this.inputs.description.hidden = preview;
    this.preview.hidden = !preview;
    this.tabs.write.setAttribute('aria-selected', String(!preview));
    this.tabs.preview.setAttribute('aria-selected', String(preview));
    if (preview) this.renderPreview();
  }

  renderPreview() {
    const text = this.inputs.description.value;
    clear(this.preview, text.trim() ? renderMarkdown(text) : h('p', { class: 'muted' }, 'No description.'));
  }

  renderChips() {
    clear(this.chips, list(this.inputs.labels.value).map(labelChip));
  }

  /**
   * Live changes: say so when someone else changed this card meanwhile.
   * @param {Card | undefined} card  as the board has it now; undefined: no longer there
   */
  update(card) {
    if (this.saving) return; // the board shows our own edit, applied ahead of the server
    if (!card) {
      this.notice.hidden = false;
      clear(this.notice, 'This card is no longer on the board.');
      return;
    }
    const theirs = fieldsOf(card);
    const changed = FIELDS.filter((f) => !same(theirs[f], this.base[f]));
    this.notice.hidden = changed.length === 0 || this.readOnly;
    if (this.notice.hidden) return;
    clear(this.notice, `Someone else changed this card's ${changed.join(', ').replace('_', ' ')} while it was open. `,
      h('button', { type: 'button', class: 'link', onclick: () => { this.base = theirs; this.fill(card); this.notice.hidden = true; } },
        'Load their version'));
  }

  async submit() {
    const mine = this.values();
    const changes = /** @type {Partial<CardFields>} */ (
      Object.fromEntries(FIELDS.filter((f) => !same(mine[f], this.base[f])).map((f) => [f, mine[f]])));
    if (!Object.keys(changes).length) { this.dialog.close(); return; }
    this.busy(true);
    const saved = await this.options.onSave(changes, (error) => this.failed(error));
    this.busy(false);
    if (saved) this.dialog.close();
  }

  /** @param {boolean} archived */
  async archive(archived) {
    this.busy(true);
    const done = await this.options.onArchive(archived, (error) => this.failed(error));
    this.busy(false);
    if (done) this.dialog.close();
  }

  /** @param {unknown} error */
  failed(error) {
    const status = api.statusOf(error);
    const why = status === 412 ? 'someone else changed the board a moment ago.' : sentence(api.messageOf(error));
    const conflict = error instanceof api.ApiError && error.isConflict;
    const again = conflict || status === 0
      ? ' The board has been refreshed; your edits are still here. Check them and save again.' : '';
    this.error.hidden = false;
    this.error.textContent = `Not saved: ${why}${again}`;
  }

  /** @param {boolean} on */
  busy(on) {
    this.saving = on;
    this.save.disabled = on;
    this.save.textContent = on ? 'Saving…' : 'Save';
  }

  async loadHistory() {
    try {
      const { items } = /** @type {HistoryPage} */ (
        await api.get(`${this.options.path}/history`, { card_id: this.cardId, limit: 50 }));
      clear(this.history, items.length ? items.map((item) => h('li', { class: item.undone ? 'undone' : '' },
        h('span', { class: 'what' }, item.summary),
        h('span', { class: 'meta' }, h('span', { class: 'who', title: item.actor }, item.actor_name ?? item.actor), ' · ', timeElement(item.recorded_at)))) : h('li', { class: 'state' }, 'No changes yet.'));
    } catch (error) {
      clear(this.history, h('li', { class: 'state error' }, `Could not load the history: ${api.messageOf(error)}`));
    }
  }

  close() {
    if (this.dialog.open) this.dialog.close();
  }
}
