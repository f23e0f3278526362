// @ts-check
// Who is signed in, and how.
//
// Two ways in: a name and password sign-in, after which the browser holds an
// HttpOnly session cookie (this page never sees it) and every change carries
// the session's CSRF token; or a bearer token (the admin link `#token=...`),
// kept for this browser session only (sessionStorage: it goes when the tab
// closes and is never shared with other tabs' storage).

/** @import { User } from './api.js' */
/** @typedef {{ user: User, csrf_token?: string | null }} SessionInfo  the API's SessionPublic */

const KEY = 'kanban.token';
/** @type {Set<(reason: string) => void>} */
const listeners = new Set();
/** @type {{ user: User, csrf: string | null } | null} once the server has said who we are */
let current = null;

// The bearer token, if signed in with one.
export function token() {
  return sessionStorage.getItem(KEY);
}

// The CSRF token of the cookie session (null with a bearer token).
export function csrf() {
  return token() ? null : current?.csrf ?? null;
}

/** @returns {User | null}  null when signed out */
export function user() {
  return current?.user ?? null;
}

export const viaCookie = () => Boolean(current && !token());

/** @param {string} value */
export function useToken(value) {
  sessionStorage.setItem(KEY, value.trim());
}

/**
 * The server's answer to POST or GET /api/v1/session: we are signed in.
 * @param {SessionInfo} answer
 */
export function signedIn({ user: who, csrf_token: csrfToken }) {
  current = { user: who, csrf: csrfToken ?? null };
}

export function signOut(reason = '') {
  sessionStorage.removeItem(KEY);
  current = null;
  for (const listener of listeners) listener(reason);
}

// The server refused our credentials (401): back to the sign-in page, once.
export function expired() {
  if (!current) return;
  signOut(token()
    ? 'The server did not accept the token. Sign in again.'
    : 'Your session has ended. Sign in again.');
}

/** @param {(reason: string) => void} listener */
export function onSignOut(listener) {
  listeners.add(listener);
}

// Scripted sign-in: /#token=... (what `kanban serve` prints at its first start).
// The token is taken and removed from the address bar and the history at once.
export function takeTokenFromAddress() {
  const match = /^#token=([^&]+)/.exec(location.hash);
  if (!match?.[1]) return false;
  useToken(decodeURIComponent(match[1]));
  history.replaceState(null, '', location.pathname + location.search);
  return true;
}
