// @ts-check
// Kanban's web UI: sign-in, then the board list (#/), a board (#/b/<id>) or
// your tokens and sessions (#/tokens).
// Plain ES modules served by the API itself: no build step, no CDN.

import * as api from './api.js';
import * as session from './session.js';
import { h, clear, sentence, byId } from './dom.js';
import { signInPage } from './signin.js';
import { BoardsPage } from './boards.js';
import { BoardPage } from './board.js';
import { TokensPage } from './tokens.js';

/** @import { SessionInfo } from './session.js' */
/** @typedef {{ mount(): Promise<void>, unmount(): void }} Page */

const main = byId('main');
const account = byId('account');
const who = byId('who');
const signOutButton = /** @type {HTMLButtonElement} */ (byId('sign-out'));
/** @type {Page | null} */
let page = null;

function leave() {
  page?.unmount();
  page = null;
  for (const dialog of document.querySelectorAll('dialog[open]')) {
    if (dialog instanceof HTMLDialogElement) dialog.close();
  }
}

function showAccount() {
  const user = session.user();
  account.hidden = !user;
  who.textContent = user ? user.display_name : '';
  who.title = user ? `Signed in as ${user.name}${session.viaCookie() ? '' : ' (with a token)'}` : '';
}

function route() {
  leave();
  showAccount();
  const user = session.user();
  if (!user) {
    signIn();
    return;
  }
  const board = /^#\/b\/([^/?#]+)$/.exec(location.hash)?.[1];
  if (board) {
    document.body.dataset.view = 'board';
    page = new BoardPage(main, decodeURIComponent(board), user);
  } else if (location.hash === '#/tokens') {
    document.body.dataset.view = 'tokens';
    page = new TokensPage(main, { user, onSignOut: (reason) => session.signOut(reason) });
  } else {
    document.body.dataset.view = 'boards';
    page = new BoardsPage(main);
  }
  page.mount();
}

function signIn(message = '') {
  signInPage(main, { message, signedIn: route });
}

// Who are we? A token from the address or this tab, else the session cookie.
async function start() {
  session.takeTokenFromAddress();
  try {
    session.signedIn(/** @type {SessionInfo} */ (await api.get('/session', null, { anonymous: true })));
  } catch (error) {
    if (api.statusOf(error) === 401) {
      session.signOut(session.token() ? 'The server did not accept the token. Sign in again.' : '');
    } else {
      clear(main, h('div', { class: 'state error' }, h('p', {}, `Could not reach Kanban: ${sentence(api.messageOf(error))}`),
        h('button', { type: 'button', onclick: start }, 'Try again')));
    }
    return;
  }
  route();
}

async function signOut() {
  signOutButton.disabled = true;
  // A session is revoked on the server; a bearer token is only forgotten here.
  if (session.viaCookie()) {
    try {
      await api.del('/session', { anonymous: true });
    } catch {
      // Signed out here all the same; an unreachable server ends the session itself.
    }
  }
  signOutButton.disabled = false;
  session.signOut();
}

session.onSignOut((reason) => {
  leave();
  showAccount();
  signIn(reason);
});
signOutButton.addEventListener('click', signOut);
window.addEventListener('hashchange', () => {
  if (/^#token=/.test(location.hash)) start();
  else if (session.user()) route();
});
start();
