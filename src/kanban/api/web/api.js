// The Kanban API over fetch: the bearer token on every request, problem+json
// errors as ApiError, and read-your-writes (min_seq) after every command.

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

export async function request(method, path, { body, query, version, signal } = {}) {
  const url = new URL(BASE + path, location.origin);
  const params = { ...query };
  if (method === 'GET' && lastSeq) params.min_seq = lastSeq;
  for (const [key, value] of Object.entries(params)) {
    if (value != null && value !== false) url.searchParams.set(key, String(value));
  }
  const headers = { Accept: 'application/json' };
  const bearer = session.token();
  if (bearer) headers.Authorization = `Bearer ${bearer}`;
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  // Optimistic concurrency: refuse (412) if the board is no longer the one we saw.
  if (version != null) headers['If-Match'] = `"${version}"`;
  let response;
  try {
    response = await fetch(url, {
      method, headers, signal, cache: 'no-store',
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch (error) {
    if (error.name === 'AbortError') throw error;
    throw new ApiError(0, { type: '/problems/network', detail: 'Cannot reach the server; check the connection.' });
  }
  if (response.status === 401) session.signOut('The server did not accept the token. Sign in again.');
  if (!response.ok) throw new ApiError(response.status, await problemOf(response));
  const data = await response.json();
  if (method !== 'GET' && typeof data.seq === 'number') lastSeq = Math.max(lastSeq, data.seq);
  return data;
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
