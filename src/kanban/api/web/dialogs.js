// @ts-check
// Modal dialogs on the native <dialog> element: focus is trapped and Escape
// closes them, for free. Each says what was chosen through its promise or
// its onClose: none knows who opened it.

import { h } from './dom.js';

let opened = 0;

/**
 * An empty dialog with a heading and a close button, in the page (not shown
 * yet); it removes itself once closed.
 * @param {string} title
 * @param {{ className?: string, onClose?: (returnValue: string) => void }} [options]
 * @returns {HTMLDialogElement}
 */
export function modal(title, { className = '', onClose } = {}) {
  const heading = h('h2', { id: `dialog-${++opened}` }, title);
  const dialog = h('dialog', { class: `modal ${className}`, 'aria-labelledby': heading.id },
    h('header', { class: 'modal-head' }, heading,
      h('button', { type: 'button', class: 'icon', 'aria-label': 'Close', onclick: () => dialog.close() }, '×')));
  dialog.addEventListener('close', () => { dialog.remove(); onClose?.(dialog.returnValue); });
  document.body.append(dialog);
  return dialog;
}

/**
 * @template {string} N
 * @typedef {object} Field
 * @property {N} name
 * @property {string} label
 * @property {string} [type]  of the input; text by default
 * @property {string | number} [value]
 * @property {boolean} [required]
 * @property {number} [min]
 * @property {number} [max]
 * @property {number} [maxlength]
 * @property {string} [placeholder]
 * @property {string} [hint]
 */

/** @typedef {{ value: string, label: string, class?: string }} Button  a submit button besides Save */

/**
 * @template {string} N
 * @typedef {{ action: string, values: Record<N, string> }} FormAnswer
 */

/**
 * A small form in a dialog. Resolves to { action, values } (action: the value
 * of the button used; values trimmed), or null when dismissed.
 * @template {string} N
 * @param {{ title: string, fields: Field<N>[], submit?: string, buttons?: Button[] }} form
 * @returns {Promise<FormAnswer<N> | null>}
 */
export function formDialog({ title, fields, submit = 'Save', buttons = [] }) {
  return new Promise((resolve) => {
    /** @type {FormAnswer<N> | null} */
    let result = null;
    const dialog = modal(title, { onClose: () => resolve(result) });
    const inputs = fields.map((f) => h('input', {
      name: f.name, type: f.type ?? 'text', value: f.value ?? '', required: f.required,
      min: f.min, max: f.max, maxlength: f.maxlength, placeholder: f.placeholder, autocomplete: 'off',
    }));
    const form = h('form', {
      class: 'modal-body',
      onsubmit: (event) => {
        event.preventDefault();
        const submitter = event.submitter;
        const action = (submitter instanceof HTMLButtonElement && submitter.value) || 'submit';
        const values = /** @type {Record<N, string>} */ (Object.fromEntries(inputs.map((i) => [i.name, i.value.trim()])));
        result = { action, values };
        dialog.close(action);
      },
    },
      fields.map((f, i) => h('label', { class: 'field' }, h('span', {}, f.label), inputs[i], f.hint ? h('small', {}, f.hint) : null)),
      h('div', { class: 'modal-actions' },
        buttons.map((b) => h('button', { type: 'submit', value: b.value, class: b.class ?? '', formnovalidate: true }, b.label)),
        h('span', { class: 'spacer' }),
        h('button', { type: 'button', onclick: () => dialog.close() }, 'Cancel'),
        h('button', { type: 'submit', value: 'submit', class: 'primary' }, submit)));
    dialog.append(form);
    dialog.showModal();
    inputs[0]?.select();
  });
}

/**
 * @param {string} title
 * @param {string} label
 * @param {string} [value]
 * @returns {Promise<string | null>}  the text, or null when dismissed
 */
export async function askText(title, label, value = '') {
  const answer = await formDialog({ title, fields: [{ name: 'text', label, value, required: true, maxlength: 200 }] });
  return answer ? answer.values.text : null;
}

/**
 * @param {string} title
 * @param {string} message
 * @param {string} [confirm]  the button's label
 * @returns {Promise<boolean>}
 */
export function confirmAction(title, message, confirm = 'Confirm') {
  return new Promise((resolve) => {
    const dialog = modal(title, { onClose: (value) => resolve(value === 'yes') });
    dialog.append(h('form', { method: 'dialog', class: 'modal-body' },
      h('p', {}, message),
      h('div', { class: 'modal-actions' }, h('span', { class: 'spacer' }),
        h('button', { value: 'no' }, 'Cancel'),
        h('button', { value: 'yes', class: 'primary danger' }, confirm))));
    dialog.showModal();
  });
}
