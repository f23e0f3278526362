// @ts-check
// The board's history panel (who did what, when) and the time-travel control:
// a slider over every version, and a "View" button on each change.

import * as api from './api.js';
import { h, clear, timeElement } from './dom.js';

/** @import { HistoryItem, HistoryPage } from './api.js' */

/**
 * What the panel needs from the board page.
 * @typedef {object} HistoryOptions
 * @property {string} path  the board's, in the API
 * @property {(version: number) => void} onTravel  show the board as it was at that version
 * @property {(open: boolean) => void} onToggle  the panel was opened or closed
 */

export class HistoryPanel {
  /** @param {HistoryOptions} options */
  constructor(options) {
    this.options = options;
    /** @type {HistoryItem[]} */
    this.items = [];
    /** @type {string | null} where the next, older page starts */
    this.cursor = null;
    /** @type {number | undefined} */
    this.timer = undefined;
    /** @type {number | undefined} */
    this.reload = undefined;
    this.slider = h('input', {
      type: 'range', id: 'travel', min: '1', max: '1', value: '1', step: '1', dataset: { travel: '' },
      oninput: () => this.slide(),
    });
    this.label = h('output', { for: 'travel', class: 'travel-label' });
    this.list = h('ol', { class: 'history-list', 'aria-label': 'Changes, newest first' });
    this.more = h('button', { type: 'button', class: 'link', hidden: true, onclick: () => this.load(true) }, 'Load older changes');
    this.element = h('aside', { class: 'history-panel', id: 'history-panel', hidden: true, 'aria-label': 'History' },
      h('header', { class: 'panel-head' }, h('h2', {}, 'History'),
        h('button', { type: 'button', class: 'icon', 'aria-label': 'Close history', onclick: () => this.toggle(false) }, '×')),
      h('div', { class: 'travel' },
        h('label', { for: 'travel' }, 'Time travel'), this.slider, this.label),
      this.list, this.more);
    this.now = 1;
    this.shown = 1;
  }

  get open() {
    return !this.element.hidden;
  }

  toggle(open = !this.open) {
    this.element.hidden = !open;
    this.options.onToggle(open);
    if (open) {
      this.sync({ now: this.now, shown: this.shown });
      this.load();
    }
  }

  /**
   * The versions: 1 (the board's creation) to now; "now" at the right end.
   * @param {{ now: number, shown: number }} versions  the board's latest, and the one on screen
   */
  sync({ now, shown }) {
    this.now = now;
    this.shown = shown;
    this.slider.max = String(now);
    this.slider.value = String(shown);
    const text = shown === now ? `Now · version ${now}` : `Version ${shown} of ${now} · read-only`;
    this.slider.setAttribute('aria-valuetext', text);
    this.label.textContent = text;
  }

  slide() {
    clearTimeout(this.timer);
    const version = Number(this.slider.value);
    this.label.textContent = `Version ${version} of ${this.slider.max}`;
    // Wait for the slider to settle before fetching that version.
    this.timer = setTimeout(() => this.options.onTravel(version), 120);
  }

  // A live change arrived: show it (the first page is cheap to reload).
  changed() {
    if (this.open) {
      clearTimeout(this.reload);
      this.reload = setTimeout(() => this.load(), 150);
    }
  }

  async load(older = false) {
    if (!older && !this.items.length) clear(this.list, h('li', { class: 'state' }, 'Loading…'));
    try {
      const page = /** @type {HistoryPage} */ (
        await api.get(`${this.options.path}/history`, { limit: 50, cursor: older ? this.cursor : null }));
      this.items = older ? [...this.items, ...page.items] : page.items;
      this.cursor = page.next_cursor;
      this.render();
    } catch (error) {
      clear(this.list, h('li', { class: 'state error' }, `Could not load the history: ${api.messageOf(error)}`));
    }
  }

  /**
   * When that version was made, if it is among the changes loaded.
   * @param {number} version
   * @returns {string | null}
   */
  timeOf(version) {
    return this.items.find((item) => item.version === version)?.recorded_at ?? null;
  }

  render() {
    this.more.hidden = !this.cursor;
    if (!this.items.length) {
      clear(this.list, h('li', { class: 'state' }, 'No changes yet.'));
      return;
    }
    clear(this.list, this.items.map((item) => h('li', {
      class: `history-item${item.undone ? ' undone' : ''}`, dataset: { seq: item.seq, version: item.version },
    },
    h('span', { class: 'what' }, item.summary),
    h('span', { class: 'meta' },
      h('span', { class: 'who', title: item.actor }, item.actor_name ?? item.actor), ' · ', timeElement(item.recorded_at), ` · v${item.version}`,
      item.undone ? h('span', { class: 'badge' }, 'undone') : null),
    h('button', {
      type: 'button', class: 'link view', onclick: () => this.options.onTravel(item.version),
      'aria-label': `Show the board as it was after this change (version ${item.version})`,
    }, 'View'))));
  }
}
