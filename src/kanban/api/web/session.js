// The bearer token, kept for this browser session only (sessionStorage: it
// goes when the tab closes and is never shared with other tabs' storage).

const KEY = 'kanban.token';
const listeners = new Set();

export function token() {
  return sessionStorage.getItem(KEY);
}

export function signIn(value) {
  sessionStorage.setItem(KEY, value.trim());
}

export function signOut(reason = '') {
  sessionStorage.removeItem(KEY);
  for (const listener of listeners) listener(reason);
}

// Called when the server refuses the token (401).
export function onSignOut(listener) {
  listeners.add(listener);
}

// Scripted sign-in: /#token=... (what `kanban serve` prints at its first start).
// The token is taken and removed from the address bar and the history at once.
export function takeTokenFromAddress() {
  const match = /^#token=([^&]+)/.exec(location.hash);
  if (!match) return false;
  signIn(decodeURIComponent(match[1]));
  history.replaceState(null, '', location.pathname + location.search);
  return true;
}
