// @ts-check
// A small, safe markdown renderer. It builds DOM nodes and puts every piece of
// the source in as text, so no HTML in a description is ever parsed: a
// <script> or an onerror attribute shows up as the characters typed. Links
// keep only http(s) URLs (never javascript: or data:).
//
// Blocks: paragraphs, # headings, - and 1. lists, > quotes, ``` code, ---.
// Inline: `code`, **bold**, *em* or _em_, ~~strike~~, [text](url), bare URLs.

import { h } from './dom.js';

/** @import { Child } from './dom.js' */
/** @typedef {{ re: RegExp, make: (m: RegExpExecArray) => Node | string }} InlineRule */

/**
 * @param {string} text
 * @returns {string | null}  the URL, if it is http(s)
 */
export function safeUrl(text) {
  try {
    const url = new URL(text);
    return url.protocol === 'http:' || url.protocol === 'https:' ? url.href : null;
  } catch {
    return null;
  }
}

/**
 * @param {string} href
 * @param {Child} children
 */
function link(href, children) {
  return h('a', { href, rel: 'noopener noreferrer nofollow', target: '_blank' }, children);
}

/** @type {InlineRule[]} */
const INLINE = [
  { re: /`([^`]+)`/, make: (m) => h('code', {}, m[1]) },
  {
    re: /\[([^\]]+)\]\(([^)\s]+)\)/,
    make: (m) => {
      const href = safeUrl(m[2] ?? '');
      return href ? link(href, inline(m[1] ?? '')) : m[0]; // shown as typed, not as a link
    },
  },
  { re: /\bhttps?:\/\/[^\s<>()]*[^\s<>().,;:!?'"]/, make: (m) => link(safeUrl(m[0]) || '#', m[0]) },
  { re: /\*\*(\S(?:.*?\S)?)\*\*|__(\S(?:.*?\S)?)__/, make: (m) => h('strong', {}, inline(m[1] ?? m[2] ?? '')) },
  { re: /\*(\S(?:.*?\S)?)\*|\b_(\S(?:.*?\S)?)_\b/, make: (m) => h('em', {}, inline(m[1] ?? m[2] ?? '')) },
  { re: /~~(\S(?:.*?\S)?)~~/, make: (m) => h('del', {}, inline(m[1] ?? '')) },
];

/**
 * Inline markup: take the earliest match, render it, go on after it.
 * @param {string} text
 * @returns {(Node | string)[]}
 */
export function inline(text) {
  /** @type {(Node | string)[]} */
  const out = [];
  while (text) {
    /** @type {{ rule: InlineRule, m: RegExpExecArray } | null} */
    let best = null;
    for (const rule of INLINE) {
      const m = rule.re.exec(text);
      if (m && (!best || m.index < best.m.index)) best = { rule, m };
    }
    if (!best) { out.push(text); break; }
    if (best.m.index) out.push(text.slice(0, best.m.index));
    out.push(best.rule.make(best.m));
    text = text.slice(best.m.index + best.m[0].length);
  }
  return out;
}

/**
 * Lines joined by <br>: a card description is written like a chat message.
 * @param {string[]} list
 * @returns {(Node | string)[]}
 */
function lines(list) {
  return list.flatMap((line, i) => (i ? [h('br'), ...inline(line)] : inline(line)));
}

const BULLET = /^\s*[-*+]\s+(.*)$/;
const NUMBER = /^\s*\d{1,9}[.)]\s+(.*)$/;
const HEADING = /^(#{1,6})\s+(.*?)\s*#*$/;
const QUOTE = /^\s*>\s?(.*)$/;
const FENCE = /^\s*```/;
const RULE = /^\s*([-*_])(\s*\1){2,}\s*$/;

/**
 * @param {unknown} source  markdown
 * @returns {DocumentFragment}
 */
export function renderMarkdown(source) {
  const rows = String(source ?? '').replace(/\r\n?/g, '\n').split('\n');
  /** @type {Node[]} */
  const blocks = [];
  let i = 0;
  /** @param {RegExp} re  the rows, from here on, that it matches: what its group took */
  const takeWhile = (re) => {
    const taken = [];
    for (let m; i < rows.length && (m = re.exec(rows[i] ?? '')); i += 1) taken.push(m[1] ?? '');
    return taken;
  };
  /** @param {string} row */
  const plain = (row) => row.trim() !== '' && ![FENCE, HEADING, BULLET, NUMBER, QUOTE].some((re) => re.test(row));
  while (i < rows.length) {
    const row = rows[i] ?? '';
    const heading = HEADING.exec(row);
    if (!row.trim()) { i += 1; continue; }
    if (FENCE.test(row)) {
      const code = [];
      for (i += 1; i < rows.length && !FENCE.test(rows[i] ?? ''); i += 1) code.push(rows[i] ?? '');
      i += 1;
      blocks.push(h('pre', {}, h('code', {}, code.join('\n'))));
    } else if (heading) {
      const level = /** @type {'h3' | 'h4' | 'h5' | 'h6'} */ (`h${Math.min((heading[1] ?? '').length + 2, 6)}`);
      blocks.push(h(level, {}, inline(heading[2] ?? '')));
      i += 1;
    } else if (RULE.test(row)) {
      blocks.push(h('hr'));
      i += 1;
    } else if (BULLET.test(row)) {
      blocks.push(h('ul', {}, takeWhile(BULLET).map((item) => h('li', {}, inline(item)))));
    } else if (NUMBER.test(row)) {
      blocks.push(h('ol', {}, takeWhile(NUMBER).map((item) => h('li', {}, inline(item)))));
    } else if (QUOTE.test(row)) {
      blocks.push(h('blockquote', {}, h('p', {}, lines(takeWhile(QUOTE)))));
    } else {
      const para = [];
      for (let next = rows[i]; next !== undefined && plain(next); next = rows[++i]) para.push(next);
      blocks.push(h('p', {}, lines(para)));
    }
  }
  const fragment = document.createDocumentFragment();
  fragment.append(...blocks);
  return fragment;
}
