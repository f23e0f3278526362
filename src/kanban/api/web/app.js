// Kanban's web UI: sign-in, then the board list (#/) or a board (#/b/<id>).
// Plain ES modules served by the API itself: no build step, no CDN.

import * as api from './api.js';
import * as session from './session.js';
import { h, clear } from './dom.js';
import { BoardsPage } from './boards.js';
import { BoardPage } from './board.js';

const main = document.getElementById('main');
const signOutButton = document.getElementById('sign-out');
let page = null;

function leave() {
  page?.unmount();
  page = null;
  for (const dialog of document.querySelectorAll('dialog[open]')) dialog.close();
}

function route() {
  leave();
  signOutButton.hidden = !session.token();
  if (!session.token()) {
    signInPage();
    return;
  }
  const board = /^#\/b\/([^/?#]+)$/.exec(location.hash);
  document.body.dataset.view = board ? 'board' : 'boards';
  page = board ? new BoardPage(main, decodeURIComponent(board[1])) : new BoardsPage(main);
  page.mount();
}

function signInPage(message = '') {
  document.title = 'Sign in · Kanban';
  document.body.dataset.view = 'sign-in';
  const input = h('input', { type: 'password', id: 'token', name: 'token', required: true, autocomplete: 'off', spellcheck: 'false' });
  const error = h('p', { class: 'error', role: 'alert', hidden: !message }, message);
  const button = h('button', { type: 'submit', class: 'primary' }, 'Sign in');
  const submit = async (event) => {
    event.preventDefault();
    session.signIn(input.value);
    button.disabled = true;
    try {
      await api.get('/boards'); // a 401 signs out again, showing why
      route();
    } catch (failure) {
      if (failure.status !== 401) {
        session.signOut();
        error.hidden = false;
        error.textContent = `Could not sign in: ${failure.message}`;
        button.disabled = false;
      }
    }
  };
  clear(main, h('form', { class: 'sign-in', onsubmit: submit },
    h('h1', {}, 'Sign in'),
    h('label', { for: 'token' }, 'Access token'),
    input,
    h('p', { class: 'hint' }, 'The admin token is in ', h('code', {}, 'admin-token'),
      ' in the server’s data directory (or in KANBAN_ADMIN_TOKEN). At its first start, ',
      h('code', {}, 'kanban serve'), ' prints a link that signs you in.'),
    error,
    button));
  input.focus();
}

session.onSignOut((reason) => {
  leave();
  signOutButton.hidden = true;
  signInPage(reason);
});
signOutButton.addEventListener('click', () => session.signOut());
window.addEventListener('hashchange', route);
session.takeTokenFromAddress();
route();
