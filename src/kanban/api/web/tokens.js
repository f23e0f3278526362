// @ts-check
// Your API tokens and web sessions: create a token (shown once, to copy),
// see where you are signed in, revoke either.

import * as api from './api.js';
import { h, clear, toast, timeElement, sentence } from './dom.js';
import { confirmAction } from './dialogs.js';

/** @import { Token, TokenCreated, User } from './api.js' */

/**
 * What the page needs from the app.
 * @typedef {object} TokensOptions
 * @property {User} user  who is signed in: the tokens are theirs
 * @property {(reason: string) => void} onSignOut  we revoked the session or token we were using
 */

/** @param {string} iso */
const dateElement = (iso) => h('time', { datetime: iso, title: new Date(iso).toLocaleString() }, new Date(iso).toLocaleDateString());

/**
 * Copy to the clipboard; where the browser refuses, select the text for Ctrl+C.
 * @param {HTMLInputElement} input
 * @returns {Promise<boolean>}  whether it was copied
 */
async function copyText(input) {
  try {
    await navigator.clipboard.writeText(input.value);
    return true;
  } catch {
    input.focus();
    input.select();
    try {
      return document.execCommand('copy');
    } catch {
      return false;
    }
  }
}

export class TokensPage {
  /**
   * @param {HTMLElement} root
   * @param {TokensOptions} options
   */
  constructor(root, { user, onSignOut }) {
    this.root = root;
    this.user = user;
    this.onSignOut = onSignOut;
    this.label = h('input', {
      name: 'label', maxlength: '100', autocomplete: 'off', 'aria-label': 'Label of the new token',
      placeholder: 'What is it for? e.g. backup script',
    });
    this.created = h('div', { class: 'token-once', hidden: true, role: 'status' });
    this.list = h('div', { class: 'token-lists' }, h('p', { class: 'state loading' }, 'Loading…'));
  }

  get base() {
    return `/users/${encodeURIComponent(this.user.user_id)}/tokens`;
  }

  async mount() {
    document.title = 'Tokens · Kanban';
    clear(this.root, h('div', { class: 'tokens-page' },
      h('a', { href: '#/', class: 'back' }, '← Boards'),
      h('h1', {}, 'Tokens and sessions'),
      h('p', { class: 'muted' }, 'An API token lets a script act as you, ', h('strong', {}, this.user.display_name),
        ': it sends the token as ', h('code', {}, 'Authorization: Bearer …'),
        '. Revoke a token or a session that is lost or no longer needed: it stops working at once.'),
      h('form', { class: 'create-token', onsubmit: (event) => { event.preventDefault(); this.create(); } },
        this.label, h('button', { type: 'submit', class: 'primary' }, 'Create token')),
      this.created,
      this.list));
    await this.load();
  }

  unmount() {}

  async load() {
    try {
      const { tokens } = /** @type {{ tokens: Token[] }} */ (await api.get(this.base));
      this.render(tokens);
    } catch (error) {
      if (api.statusOf(error) === 401) return;
      clear(this.list, h('div', { class: 'state error' }, h('p', {}, `Could not load your tokens: ${sentence(api.messageOf(error))}`),
        h('button', { type: 'button', onclick: () => this.load() }, 'Try again')));
    }
  }

  /** @param {Token[]} tokens */
  render(tokens) {
    /** @param {Token} t */
    const active = (t) => !t.revoked && !(t.expires_at && Date.parse(t.expires_at) <= Date.now());
    /**
     * @param {Token} a
     * @param {Token} b
     */
    const newest = (a, b) => b.created_at.localeCompare(a.created_at);
    /**
     * @param {string} title
     * @param {Token['kind']} kind
     * @param {string} empty
     */
    const section = (title, kind, empty) => {
      const items = tokens.filter((t) => t.kind === kind && active(t)).sort(newest);
      return h('section', { class: 'token-section', dataset: { kind } }, h('h2', {}, title),
        items.length ? h('ul', { class: 'token-list' }, items.map((t) => this.item(t))) : h('p', { class: 'muted' }, empty));
    };
    const gone = tokens.filter((t) => !active(t)).sort(newest);
    clear(this.list,
      section('API tokens', 'api', 'No API tokens.'),
      section('Web sessions', 'session', 'No web sessions.'),
      gone.length
        ? h('details', { class: 'revoked-tokens' }, h('summary', {}, `Revoked and expired (${gone.length})`),
          h('ul', { class: 'token-list' }, gone.map((t) => this.item(t))))
        : null);
  }

  /** @param {Token} token */
  item(token) {
    const name = token.kind === 'session' ? 'Web session' : token.label || 'Unlabelled token';
    const { expires_at: expiresAt, revoked_at: revokedAt } = token;
    const expired = Boolean(expiresAt && Date.parse(expiresAt) <= Date.now());
    const live = !token.revoked && !expired;
    let state = null;
    if (token.revoked) state = [' · revoked ', revokedAt ? timeElement(revokedAt) : null];
    else if (expiresAt) state = [expired ? ' · expired ' : ' · expires ', dateElement(expiresAt)];
    return h('li', { class: `token-item${live ? '' : ' revoked'}`, dataset: { tokenId: token.token_id } },
      h('span', { class: 'token-name' }, name,
        token.current ? h('span', { class: 'badge current' }, token.kind === 'session' ? 'this browser' : 'in use here') : null),
      h('span', { class: 'meta' },
        token.kind === 'session' && token.label ? h('span', { class: 'agent', title: token.label }, token.label, ' · ') : null,
        h('code', {}, token.token_id), ' · created ', timeElement(token.created_at), state),
      live ? h('button', { type: 'button', class: 'danger', 'aria-label': `Revoke ${name} ${token.token_id}`, onclick: () => this.revoke(token, name) }, 'Revoke') : null);
  }

  async create() {
    const label = this.label.value.trim();
    let created;
    try {
      created = /** @type {TokenCreated} */ (await api.post(this.base, { label }));
    } catch (error) {
      if (api.statusOf(error) !== 401) toast(`Could not create the token: ${sentence(api.messageOf(error))}`, { kind: 'error' });
      return;
    }
    this.label.value = '';
    this.show(created);
    await this.load();
  }

  /**
   * The token itself: shown this once (the server keeps only its hash).
   * @param {TokenCreated} created
   */
  show(created) {
    const value = h('input', { class: 'token-value', readonly: true, value: created.token, spellcheck: 'false', 'aria-label': 'The new token' });
    const said = h('span', { class: 'copy-state', 'aria-live': 'polite' });
    const copy = h('button', {
      type: 'button',
      onclick: async () => {
        said.textContent = (await copyText(value)) ? 'Copied.' : 'Select it and copy (Ctrl+C).';
      },
    }, 'Copy');
    this.created.hidden = false;
    clear(this.created,
      h('p', {}, h('strong', {}, `Your new token${created.label ? ` “${created.label}”` : ''}. `),
        'Copy it now: it is shown only this once.'),
      h('div', { class: 'token-copy' }, value, copy),
      h('div', { class: 'token-once-foot' }, said, h('span', { class: 'spacer' }),
        h('button', { type: 'button', class: 'link', onclick: () => { this.created.hidden = true; clear(this.created); } }, 'Done')));
    value.focus();
    value.select();
  }

  /**
   * @param {Token} token
   * @param {string} name  as listed
   */
  async revoke(token, name) {
    const what = token.kind === 'session' ? 'this web session' : `the token “${name}”`;
    const warning = token.current ? ' You are using it here: you will be signed out.' : ' Whatever uses it stops working at once.';
    const yes = await confirmAction('Revoke', `Revoke ${what}?${warning}`, 'Revoke');
    if (!yes) return;
    try {
      await api.del(`${this.base}/${encodeURIComponent(token.token_id)}`);
    } catch (error) {
      if (api.statusOf(error) !== 401) toast(`Could not revoke it: ${sentence(api.messageOf(error))}`, { kind: 'error' });
      return;
    }
    if (token.current) {
      this.onSignOut('You revoked the session you were using. Sign in again.');
      return;
    }
    toast(`Revoked ${token.kind === 'session' ? 'the web session' : `“${name}”`}.`);
    await this.load();
  }
}
