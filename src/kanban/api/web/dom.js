// @ts-check
// Tiny DOM helpers. Text always goes in as text nodes, never as HTML:
// nothing a user typed can become markup.

/**
 * An element's properties in h(): `on<event>` adds a listener, `class` and
 * `dataset` set those, a few names are properties, the rest attributes; null,
 * undefined and false are left out.
 * @typedef {{ [K in keyof GlobalEventHandlersEventMap as `on${K}`]?: (event: GlobalEventHandlersEventMap[K]) => void }} Handlers
 * @typedef {Handlers & { class?: string, dataset?: Record<string, string | number | null | undefined>, [attribute: string]: unknown }} Props
 */
/** @typedef {Node | string | number | null | undefined | false} Leaf */
// JSDoc cannot name a recursive type: two levels of lists are what the UI nests.
/** @typedef {Leaf | readonly (Leaf | readonly Leaf[])[]} Child */

const PROPERTIES = new Set(['value', 'checked', 'disabled', 'hidden', 'open']);

/**
 * @param {readonly Child[]} children
 * @returns {(Node | string)[]}
 */
function nodes(children) {
  /** @type {(Node | string)[]} */
  const out = [];
  for (const child of children) {
    if (typeof child === 'string' || child instanceof Node) out.push(child);
    else if (typeof child === 'number') out.push(String(child));
    else if (child) out.push(...nodes(child));
  }
  return out;
}

/**
 * @template {keyof HTMLElementTagNameMap} K
 * @param {K} tag
 * @param {Props} [props]
 * @param {...Child} children
 * @returns {HTMLElementTagNameMap[K]}
 */
export function h(tag, props = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (value == null || value === false) continue;
    if (key.startsWith('on')) el.addEventListener(key.slice(2), /** @type {EventListener} */ (value));
    else if (key === 'class') el.className = String(value);
    else if (key === 'dataset') {
      for (const [name, data] of Object.entries(/** @type {Record<string, unknown>} */ (value))) {
        if (data != null) el.dataset[name] = String(data);
      }
    }
    else if (PROPERTIES.has(key)) Reflect.set(el, key, value);
    else el.setAttribute(key, value === true ? '' : String(value));
  }
  el.append(...nodes(children));
  return el;
}

/**
 * @template {Element} E
 * @param {E} el
 * @param {...Child} children
 * @returns {E}
 */
export function clear(el, ...children) {
  el.replaceChildren(...nodes(children));
  return el;
}

// One region for screen readers: moves made with the keyboard are announced.
/** @param {string} text */
export function announce(text) {
  const region = document.getElementById('announcer');
  if (region) region.textContent = text;
}

/**
 * @typedef {object} ToastOptions
 * @property {'info' | 'error'} [kind]
 * @property {{ label: string, run: () => void } | null} [action]
 * @property {number} [timeout]  ms; 0: until dismissed
 */

// Messages at the bottom of the screen; errors stay until dismissed.
/**
 * @param {string} message
 * @param {ToastOptions} [options]
 * @returns {HTMLElement}
 */
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
  if (!list) return item;
  list.append(item);
  // Errors stay until dismissed; keep only the latest few on screen.
  while (list.children.length > 4) list.firstElementChild?.remove();
  const wait = timeout ?? (kind === 'error' ? 0 : 5000);
  if (wait) setTimeout(close, wait);
  return item;
}

/** @type {[Intl.RelativeTimeFormatUnit, number][]} */
const UNITS = [['year', 31536000], ['month', 2592000], ['day', 86400], ['hour', 3600], ['minute', 60]];

/**
 * "just now", "3 minutes ago", "yesterday"; '' for what is not a time.
 * @param {string} iso
 * @param {number} [now]  ms since the epoch
 * @returns {string}
 */
export function relativeTime(iso, now = Date.now()) {
  const seconds = (now - Date.parse(iso)) / 1000;
  if (!Number.isFinite(seconds)) return '';
  if (seconds < 45) return 'just now';
  const [unit, size] = UNITS.find(([, length]) => seconds >= length) ?? ['minute', 60];
  const format = new Intl.RelativeTimeFormat(undefined, { numeric: 'auto' });
  return format.format(-Math.round(seconds / size), unit);
}

/** @param {string} iso */
export function timeElement(iso) {
  return h('time', { datetime: iso, title: new Date(iso).toLocaleString() }, relativeTime(iso));
}

const NOT_TEXT = new Set(['range', 'checkbox', 'radio', 'button', 'submit', 'reset', 'color', 'file']);

/**
 * Whether keys pressed here are typing (where Ctrl+Z must stay the field's own undo).
 * @param {EventTarget | null} target
 */
export function isTyping(target) {
  if (!(target instanceof HTMLElement)) return false;
  if (target instanceof HTMLInputElement) return !NOT_TEXT.has(target.type);
  return target.isContentEditable || target.tagName === 'TEXTAREA' || target.tagName === 'SELECT';
}

/**
 * Server messages are phrases; shown to people they end like sentences.
 * @param {unknown} text
 */
export function sentence(text) {
  const trimmed = String(text).trim();
  return /[.!?]$/.test(trimmed) ? trimmed : `${trimmed}.`;
}

/**
 * An element index.html must have.
 * @param {string} id
 * @returns {HTMLElement}
 */
export function byId(id) {
  const el = document.getElementById(id);
  if (!el) throw new Error(`#${id} is missing from the page`);
  return el;
}
