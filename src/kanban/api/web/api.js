// @ts-check
// The Kanban API over fetch: the session cookie (with its CSRF token on every
// change) or a bearer token, problem+json errors as ApiError, and
// read-your-writes (min_seq) after every command.
//
// Answers are the API's JSON, as unknown: each caller says which of the
// shapes below it expects (they mirror src/kanban/api/schemas.py and
// access_schemas.py).

import * as session from './session.js';

/** @import { SessionInfo } from './session.js' */
/** @typedef {'viewer' | 'editor' | 'owner'} Role */

/**
 * What every command answers (CommandPublic), and what some create.
 * @typedef {{ version: number, seq: number }} CommandResult
 * @typedef {CommandResult & { card_id: string }} CardCreated
 * @typedef {CommandResult & { column_id: string }} ColumnCreated
 * @typedef {CommandResult & { board_id: string }} BoardCreated
 * @typedef {CommandResult & { unit_id: string, events: { type: string, summary: string }[] }} UndoResult
 */

/**
 * @typedef {object} Member  MemberPublic
 * @property {string} user_id
 * @property {string} name
 * @property {string} display_name
 * @property {Role} role
 */

/**
 * @typedef {object} User  UserPublic
 * @property {string} user_id
 * @property {string} name
 * @property {string} display_name
 * @property {boolean} admin
 * @property {boolean} has_password
 */

/**
 * @typedef {object} HistoryItem  HistoryItemPublic
 * @property {number} seq
 * @property {number} version
 * @property {string} type
 * @property {string} actor  a user id
 * @property {string | null} [actor_name]
 * @property {string} recorded_at
 * @property {string} summary
 * @property {boolean} undone
 */
/** @typedef {{ items: HistoryItem[], next_cursor: string | null }} HistoryPage */

/**
 * @typedef {object} BoardSummary  BoardSummaryPublic
 * @property {string} id
 * @property {string} title
 * @property {number} version
 * @property {boolean} archived
 * @property {string} created_at
 * @property {string} updated_at
 * @property {Role | null} role  null: an admin who is not a member
 */

/**
 * @typedef {object} Token  TokenPublic
 * @property {string} token_id
 * @property {'api' | 'session'} kind
 * @property {string} label
 * @property {string} created_at
 * @property {string | null} expires_at
 * @property {boolean} revoked
 * @property {string | null} revoked_at
 * @property {boolean} current  the one making this request
 */
/** @typedef {{ token_id: string, token: string, label: string }} TokenCreated */

/** @typedef {{ type?: string, title?: string, detail?: string }} Problem */
/** @typedef {Record<string, string | number | boolean | null | undefined>} Query */

/**
 * @typedef {object} RequestOptions
 * @property {unknown} [body]  sent as JSON
 * @property {Query | null | undefined} [query]
 * @property {number | null | undefined} [version]  sent as If-Match
 * @property {AbortSignal} [signal]
 * @property {boolean} [anonymous]  a 401 is expected: it does not sign out
 * @property {boolean} [again]  sent again after a CSRF refusal (only once)
 */

const BASE = '/api/v1';
let lastSeq = 0; // the seq of this page's latest acknowledged command

export class ApiError extends Error {
  /**
   * @param {number} status  the HTTP status; 0: no answer (the network)
   * @param {Problem} problem
   */
  constructor(status, problem) {
    super(problem.detail || problem.title || `HTTP ${status}`);
    this.status = status;
    this.problem = problem;
    // The stable part of the problem type, e.g. "undo-conflict" or "wip-limit".
    this.kind = String(problem.type || '').split('/').pop() ?? '';
    /** @type {number | null} seconds, when the server said when to try again (429) */
    this.retryAfter = null;
  }

  // The board moved on under this change: refresh it and tell the user.
  get isConflict() {
    return this.status === 409 || this.status === 412;
  }
}

/**
 * The HTTP status of an ApiError (0: no answer); null for any other error.
 * @param {unknown} error
 * @returns {number | null}
 */
export const statusOf = (error) => (error instanceof ApiError ? error.status : null);

/**
 * What went wrong, in words.
 * @param {unknown} error
 * @returns {string}
 */
export const messageOf = (error) => (error instanceof Error ? error.message : String(error));

/**
 * @param {Response} response
 * @returns {Promise<Problem>}
 */
async function problemOf(response) {
  try {
    return /** @type {Problem} */ (await response.json());
  } catch {
    return { title: response.statusText || `HTTP ${response.status}` };
  }
}

// A 401 signs out (back to the sign-in page), except where `anonymous` says
// the caller expects one (signing in, or asking whether we are signed in).
/**
 * @param {string} method
 * @param {string} path
 * @param {RequestOptions} [options]
 * @returns {Promise<unknown>}  the JSON answer (null for a 204)
 */
export async function request(method, path, options = {}) {
  const { body, query, version, signal, anonymous = false } = options;
  const url = new URL(BASE + path, location.origin);
  /** @type {Query} */
  const params = { ...query };
  if (method === 'GET' && lastSeq) params['min_seq'] = lastSeq;
  for (const [key, value] of Object.entries(params)) {
    if (value != null && value !== false) url.searchParams.set(key, String(value));
  }
  /** @type {Record<string, string>} */
  const headers = { Accept: 'application/json' };
  const bearer = session.token();
  const csrf = session.csrf();
  if (bearer) headers['Authorization'] = `Bearer ${bearer}`;
  // The session cookie goes by itself; a change made with it must prove it
  // comes from this page (a form on another site cannot know this token).
  else if (method !== 'GET' && csrf) headers['X-CSRF-Token'] = csrf;
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  // Optimistic concurrency: refuse (412) if the board is no longer the one we saw.
  if (version != null) headers['If-Match'] = `"${version}"`;
  let response;
  try {
    response = await fetch(url, {
      method, headers, signal: signal ?? null, cache: 'no-store', credentials: 'same-origin',
      body: body === undefined ? null : JSON.stringify(body),
    });
  } catch (error) {
    if (error instanceof Error && error.name === 'AbortError') throw error;
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
  /** @type {unknown} */
  const data = await response.json();
  if (method !== 'GET' && isCommandResult(data)) lastSeq = Math.max(lastSeq, data.seq);
  return data;
}

/**
 * @param {unknown} data
 * @returns {data is { seq: number }}
 */
function isCommandResult(data) {
  return typeof data === 'object' && data !== null && 'seq' in data && typeof data.seq === 'number';
}

// A change refused for its CSRF token: the browser's session cookie is not the
// one this page signed in with (another tab signed in since). Ask who we are
// now: the same user, send it again (it was refused before it did anything),
// with the new token; someone else, start this page afresh as them.
/**
 * @param {() => Promise<unknown>} again
 * @returns {Promise<unknown>}
 */
async function sessionChanged(again) {
  const before = session.user()?.user_id;
  const now = /** @type {SessionInfo} */ (await request('GET', '/session'));
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

/**
 * @param {string} path
 * @param {Query | null} [query]
 * @param {RequestOptions} [options]
 */
export const get = (path, query, options) => request('GET', path, { query, ...options });
/**
 * @param {string} path
 * @param {unknown} [body]
 * @param {RequestOptions} [options]
 */
export const post = (path, body, options) => request('POST', path, { body, ...options });
/**
 * @param {string} path
 * @param {unknown} body
 * @param {RequestOptions} [options]
 */
export const patch = (path, body, options) => request('PATCH', path, { body, ...options });
/**
 * @param {string} path
 * @param {RequestOptions} [options]
 */
export const del = (path, options) => request('DELETE', path, options);
