// A small, safe markdown renderer. It builds DOM nodes and puts every piece of
// the source in as text, so no HTML in a description is ever parsed: a
// <script> or an onerror attribute shows up as the characters typed. Links
// keep only http(s) URLs (never javascript: or data:).
//
// Blocks: paragraphs, # headings, - and 1. lists, > quotes, ``` code, ---.
// Inline: `code`, **bold**, *em* or _em_, ~~strike~~, [text](url), bare URLs.

import { h } from './dom.js';

export function safeUrl(text) {
  try {
    const url = new URL(text);
    return url.protocol === 'http:' || url.protocol === 'https:' ? url.href : null;
  } catch {
    return null;
  }
}

function link(href, children) {
  return h('a', { href, rel: 'noopener noreferrer nofollow', target: '_blank' }, children);
}

const INLINE = [
  { re: /`([^`]+)`/, make: (m) => h('code', {}, m[1]) },
  {
    re: /\[([^\]]+)\]\(([^)\s]+)\)/,
    make: (m) => {
      const href = safeUrl(m[2]);
      return href ? link(href, inline(m[1])) : m[0]; // shown as typed, not as a link
    },
  },
  { re: /\bhttps?:\/\/[^\s<>()]*[^\s<>().,;:!?'"]/, make: (m) => link(safeUrl(m[0]) || '#', m[0]) },
  { re: /\*\*(\S(?:.*?\S)?)\*\*|__(\S(?:.*?\S)?)__/, make: (m) => h('strong', {}, inline(m[1] ?? m[2])) },
  { re: /\*(\S(?:.*?\S)?)\*|\b_(\S(?:.*?\S)?)_\b/, make: (m) => h('em', {}, inline(m[1] ?? m[2])) },
  { re: /~~(\S(?:.*?\S)?)~~/, make: (m) => h('del', {}, inline(m[1])) },
];

// Inline markup: take the earliest match, render it, go on after it.
export function inline(text) {
  const out = [];
  while (text) {
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

// Lines joined by <br>: a card description is written like a chat message.
function lines(list) {
  return list.flatMap((line, i) => (i ? [h('br'), ...inline(line)] : inline(line)));
}

const BULLET = /^\s*[-*+]\s+(.*)$/;
const NUMBER = /^\s*\d{1,9}[.)]\s+(.*)$/;
const HEADING = /^(#{1,6})\s+(.*?)\s*#*$/;
const QUOTE = /^\s*>\s?(.*)$/;
const FENCE = /^\s*```/;
const RULE = /^\s*([-*_])(\s*\1){2,}\s*$/;

export function renderMarkdown(source) {
  const rows = String(source ?? '').replace(/\r\n?/g, '\n').split('\n');
  const blocks = [];
  let i = 0;
  const takeWhile = (re) => {
    const taken = [];
    while (i < rows.length && re.test(rows[i])) taken.push(rows[i++].match(re)[1]);
    return taken;
  };
  while (i < rows.length) {
    const row = rows[i];
    if (!row.trim()) { i += 1; continue; }
    if (FENCE.test(row)) {
      const code = [];
      for (i += 1; i < rows.length && !FENCE.test(rows[i]); i += 1) code.push(rows[i]);
      i += 1;
      blocks.push(h('pre', {}, h('code', {}, code.join('\n'))));
    } else if (HEADING.test(row)) {
      const [, marks, text] = row.match(HEADING);
      blocks.push(h(`h${Math.min(marks.length + 2, 6)}`, {}, inline(text)));
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
      while (i < rows.length && rows[i].trim() && !FENCE.test(rows[i]) && !HEADING.test(rows[i]) &&
             !BULLET.test(rows[i]) && !NUMBER.test(rows[i]) && !QUOTE.test(rows[i])) {
        para.push(rows[i++]);
      }
      blocks.push(h('p', {}, lines(para)));
    }
  }
  const fragment = document.createDocumentFragment();
  fragment.append(...blocks);
  return fragment;
}
