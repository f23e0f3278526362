// Modal dialogs on the native <dialog> element: focus is trapped and Escape
// closes them, for free.

import { h } from './dom.js';

let opened = 0;

export function modal(title, { className = '', onClose } = {}) {
  const heading = h('h2', { id: `dialog-${++opened}` }, title);
  const dialog = h('dialog', { class: `modal ${className}`, 'aria-labelledby': heading.id },
    h('header', { class: 'modal-head' }, heading,
      h('button', { type: 'button', class: 'icon', 'aria-label': 'Close', onclick: () => dialog.close() }, '×')));
  dialog.addEventListener('close', () => { dialog.remove(); onClose?.(dialog.returnValue); });
  document.body.append(dialog);
  return dialog;
}

// A small form in a dialog. Resolves to { action, values } (action: the value
// of the button used), or null when dismissed.
export function formDialog({ title, fields, submit = 'Save', buttons = [] }) {
  return new Promise((resolve) => {
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
        const action = event.submitter?.value || 'submit';
        result = { action, values: Object.fromEntries(inputs.map((i) => [i.name, i.value.trim()])) };
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

export async function askText(title, label, value = '') {
  const answer = await formDialog({ title, fields: [{ name: 'text', label, value, required: true, maxlength: 200 }] });
  return answer ? answer.values.text : null;
}

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
