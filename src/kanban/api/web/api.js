// The Kanban API over fetch: the session cookie (with its CSRF token on every
// change) or a bearer token, problem+json errors as ApiError, and
// read-your-writes (min_seq) after every command.

import * as session from './session.js';

const BASE = '/api/v1';
let lastSeq = 0; // the seq of this page's latest acknowledged command

export class ApiError extends Error {
  constructor(status, problem) {
    super(problem.detail || problem.title || `HTTP ${status}`);
    this.status = status;
    this.problem = problem;
    // The stable part of the problem type, e.g. "undo-conflict" or "wip-limit".
    this.kind = String(problem.type || '').split('/').pop();
    this.retryAfter = null; // seconds, when the server said when to try again (429)
  }

  // The board moved on under this change: refresh it and tell the user.
  get isConflict() {
    return this.status === 409 || this.status === 412;
  }
}

async function problemOf(response) {
  try {
    return await response.json();
  } catch {
    return { title: response.statusText || `HTTP ${response.status}` };
  }
}

// A 401 signs out (back to the sign-in page), except where `anonymous` says
// the caller expects one (signing in, or asking whether we are signed in).
export async function request(method, path, options = {}) {
  const { body, query, version, signal, anonymous = false } = options;
  const url = new URL(BASE + path, location.origin);
  const params = { ...query };
  if (method === 'GET' && lastSeq) params.min_seq = lastSeq;
  for (const [key, value] of Object.entries(params)) {
    if (value != null && value !== false) url.searchParams.set(key, String(value));
  }
  const headers = { Accept: 'application/json' };
  const bearer = session.token();
  if (bearer) headers.Authorization = `Bearer ${bearer}`;
  // The session cookie goes by itself; a change made with it must prove it
  // comes from this page (a form on another site cannot know this token).
  else if (method !== 'GET' && session.csrf()) headers['X-CSRF-Token'] = session.csrf();
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  // Optimistic concurrency: refuse (412) if the board is no longer the one we saw.
  if (version != null) headers['If-Match'] = `"${version}"`;
  let response;
  try {
    response = await fetch(url, {
      method, headers, signal, cache: 'no-store', credentials: 'same-origin',
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch (error) {
    if (error.name === 'AbortError') throw error;
    throw new ApiError(0, { type: '/problems/network', detail: 'Cannot reach the server; check the connection.' });
  }
  if (response.status === 401 && !anonymous) session.expired();
  if (!response.ok) {
    const error = new ApiError(response.status, await problemOf(response));
    if (error.kind === 'csrf' && !bearer && !options.again) return sessionChanged(() => request(method, path, { ...options, again: true }));
    const wait = Number(response.headers.get('Retry-After'));
    if (Number.isFinite(wait) && wait > 0) error.retryAfter = wait;
    throw error;
  }
  if (response.status === 204) return null;
  const data = await response.json();
  if (method !== 'GET' && typeof data.seq === 'number') lastSeq = Math.max(lastSeq, data.seq);
  return data;
}

// A change refused for its CSRF token: the browser's session cookie is not the
// one this page signed in with (another tab signed in since). Ask who we are
// now: the same user, send it again (it was refused before it did anything),
// with the new token; someone else, start this page afresh as them.
async function sessionChanged(again) {
  const before = session.user()?.user_id;
  const now = await request('GET', '/session');
  session.signedIn(now);
  if (now.user.user_id === before) return again();
  location.reload();
  return new Promise(() => {}); // the page is going
}

// After a reset the log behind the server may be another one (a restore):
// seqs seen before mean nothing there.
export function forgetSeq() {
  lastSeq = 0;
}

export const get = (path, query, options) => request('GET', path, { query, ...options });
export const post = (path, body, options) => request('POST', path, { body, ...options });
export const patch = (path, body, options) => request('PATCH', path, { body, ...options });
export const del = (path, options) => request('DELETE', path, options);
