// Tiny DOM helpers. Text always goes in as text nodes, never as HTML:
// nothing a user typed can become markup.

const PROPERTIES = new Set(['value', 'checked', 'disabled', 'hidden', 'open']);

export function h(tag, props = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (value == null || value === false) continue;
    if (key.startsWith('on')) el.addEventListener(key.slice(2), value);
    else if (key === 'class') el.className = value;
    else if (key === 'dataset') {
      for (const [name, data] of Object.entries(value)) if (data != null) el.dataset[name] = data;
    }
    else if (PROPERTIES.has(key)) el[key] = value;
    else el.setAttribute(key, value === true ? '' : String(value));
  }
  el.append(...children.flat(Infinity).filter((c) => c != null && c !== false));
  return el;
}

export function clear(el, ...children) {
  el.replaceChildren(...children.flat(Infinity).filter((c) => c != null && c !== false));
  return el;
}

// One region for screen readers: moves made with the keyboard are announced.
export function announce(text) {
  const region = document.getElementById('announcer');
  if (region) region.textContent = text;
}

// Messages at the bottom of the screen; errors stay until dismissed.
export function toast(message, { kind = 'info', action = null, timeout } = {}) {
  const list = document.getElementById('toasts');
  const item = h('div', { class: `toast toast-${kind}`, role: kind === 'error' ? 'alert' : 'status' });
  const close = () => item.remove();
  item.append(h('span', { class: 'toast-text' }, message));
  if (action) {
    item.append(
      h('button', { type: 'button', class: 'link', onclick: () => { close(); action.run(); } }, action.label),
    );
  }
  item.append(h('button', { type: 'button', class: 'icon', 'aria-label': 'Dismiss', onclick: close }, '×'));
  list.append(item);
  // Errors stay until dismissed; keep only the latest few on screen.
  while (list.children.length > 4) list.firstElementChild.remove();
  const wait = timeout ?? (kind === 'error' ? 0 : 5000);
  if (wait) setTimeout(close, wait);
  return item;
}

const UNITS = [['year', 31536000], ['month', 2592000], ['day', 86400], ['hour', 3600], ['minute', 60]];

export function relativeTime(iso) {
  const seconds = (Date.now() - Date.parse(iso)) / 1000;
  if (!Number.isFinite(seconds)) return '';
  if (seconds < 45) return 'just now';
  const [unit, size] = UNITS.find(([, length]) => seconds >= length) ?? UNITS[UNITS.length - 1];
  const format = new Intl.RelativeTimeFormat(undefined, { numeric: 'auto' });
  return format.format(-Math.round(seconds / size), unit);
}

export function timeElement(iso) {
  return h('time', { datetime: iso, title: new Date(iso).toLocaleString() }, relativeTime(iso));
}

const NOT_TEXT = new Set(['range', 'checkbox', 'radio', 'button', 'submit', 'reset', 'color', 'file']);

// Whether keys pressed here are typing (where Ctrl+Z must stay the field's own undo).
export function isTyping(target) {
  if (!(target instanceof HTMLElement)) return false;
  if (target.tagName === 'INPUT') return !NOT_TEXT.has(target.type);
  return target.isContentEditable || target.tagName === 'TEXTAREA' || target.tagName === 'SELECT';
}

// Server messages are phrases; shown to people they end like sentences.
export function sentence(text) {
  const trimmed = String(text).trim();
  return /[.!?]$/.test(trimmed) ? trimmed : `${trimmed}.`;
}
