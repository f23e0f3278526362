// @ts-check
// The sign-in page: name and password (the server answers with an HttpOnly
// session cookie and a CSRF token), or an access token (as the admin link
// `#token=...` does).

import * as api from './api.js';
import * as session from './session.js';
import { h, clear, sentence } from './dom.js';

/** @import { SessionInfo } from './session.js' */

/**
 * "42 seconds", "3 minutes": how long the server asked us to wait.
 * @param {number} seconds
 */
export function waitText(seconds) {
  if (seconds < 90) return `${seconds} second${seconds === 1 ? '' : 's'}`;
  const minutes = Math.ceil(seconds / 60);
  return `${minutes} minutes`;
}

/**
 * The sign-in form in root; signedIn() runs once the server has said who we are.
 * @param {HTMLElement} root
 * @param {{ message?: string, signedIn: () => void }} options  message: why we are here (signed out, refused)
 */
export function signInPage(root, { message = '', signedIn }) {
  document.title = 'Sign in · Kanban';
  document.body.dataset.view = 'sign-in';
  const error = h('p', { class: 'error', role: 'alert', hidden: !message }, message);
  /** @param {string} text */
  const say = (text) => {
    error.hidden = !text;
    error.textContent = text;
  };

  const name = h('input', { id: 'name', name: 'username', required: true, autocomplete: 'username', autocapitalize: 'none', spellcheck: 'false', maxlength: '100' });
  const password = h('input', { id: 'password', name: 'password', type: 'password', required: true, autocomplete: 'current-password', maxlength: '1000' });
  const button = h('button', { type: 'submit', class: 'primary' }, 'Sign in');
  /** @param {SubmitEvent} event */
  const withPassword = async (event) => {
    event.preventDefault();
    button.disabled = true;
    say('');
    try {
      const answer = await api.post('/session', { name: name.value.trim(), password: password.value }, { anonymous: true });
      session.signedIn(/** @type {SessionInfo} */ (answer));
      signedIn();
      return;
    } catch (failure) {
      password.value = '';
      const status = api.statusOf(failure);
      if (status === 401) say('Wrong name or password.');
      else if (status === 429) {
        // Too many failures for this name (or from this address): the server
        // refuses even the right password until then.
        const wait = failure instanceof api.ApiError ? failure.retryAfter : null;
        say(`Too many failed sign-ins. ${wait ? `Wait ${waitText(wait)}` : 'Wait a while'} and try again.`);
      } else say(`Could not sign in: ${sentence(api.messageOf(failure))}`);
      password.focus();
    }
    button.disabled = false;
  };

  const token = h('input', { type: 'password', id: 'token', name: 'token', required: true, autocomplete: 'off', spellcheck: 'false' });
  const tokenButton = h('button', { type: 'submit' }, 'Sign in with the token');
  /** @param {SubmitEvent} event */
  const withToken = async (event) => {
    event.preventDefault();
    session.useToken(token.value);
    tokenButton.disabled = true;
    try {
      session.signedIn(/** @type {SessionInfo} */ (await api.get('/session', null, { anonymous: true })));
      signedIn();
    } catch (failure) {
      if (api.statusOf(failure) === 401) {
        session.signOut('The server did not accept the token. Sign in again.');
        return;
      }
      session.signOut(`Could not sign in with the token: ${sentence(api.messageOf(failure))}`);
    }
  };

  const tokenFirst = /token/.test(message);
  clear(root, h('div', { class: 'sign-in' },
    h('h1', {}, 'Sign in'),
    error,
    h('form', { class: 'password-sign-in', onsubmit: withPassword },
      h('label', { for: 'name' }, 'Name'), name,
      h('label', { for: 'password' }, 'Password'), password,
      button),
    h('details', { class: 'token-sign-in', open: tokenFirst },
      h('summary', {}, 'Sign in with an access token'),
      h('form', { onsubmit: withToken },
        h('label', { for: 'token' }, 'Access token'),
        token,
        h('p', { class: 'hint' }, 'The admin token is in ', h('code', {}, 'admin-token'),
          ' in the server’s data directory (or in KANBAN_ADMIN_TOKEN). At its first start, ',
          h('code', {}, 'kanban serve'), ' prints a link that signs you in.'),
        tokenButton))));
  (tokenFirst ? token : name).focus();
}
