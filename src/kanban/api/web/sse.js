// @ts-check
// Server-Sent Events over fetch. The browser's EventSource cannot send an
// Authorization header, and a token in the query string would end up in logs,
// so the stream is read with fetch and parsed here. Signed in with a session,
// the cookie authorizes the stream (it goes with every same-origin fetch).

/** @typedef {{ id: string | null, type: string, data: string }} SseMessage */
/** @typedef {'connecting' | 'live' | 'reconnecting' | 'closed'} StreamState */

/**
 * @typedef {object} EventParser
 * @property {(chunk: string) => void} feed
 * @property {() => void} restart
 * @property {string | null} lastId
 */

/**
 * A parser for the text/event-stream format, fed text as it arrives.
 * @param {{ onEvent: (message: SseMessage) => void, onRetry?: (ms: number) => void }} handlers
 * @returns {EventParser}
 */
export function eventParser({ onEvent, onRetry = () => {} }) {
  let buffer = '';
  /** @type {string[]} */
  let data = [];
  let type = '';
  /** @type {string | null} the id of the last complete message: where to resume */
  let lastId = null;
  /** @type {string | null} the id given in the message being read */
  let idField = null;
  let pendingCR = false;

  /** @param {string} text */
  function line(text) {
    if (text === '') {
      lastId = idField;
      if (data.length) onEvent({ id: lastId, type: type || 'message', data: data.join('\n') });
      data = [];
      type = '';
      return;
    }
    if (text.startsWith(':')) return; // a comment: the server's heartbeat
    const colon = text.indexOf(':');
    const field = colon < 0 ? text : text.slice(0, colon);
    let value = colon < 0 ? '' : text.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'data') data.push(value);
    else if (field === 'event') type = value;
    else if (field === 'id' && !value.includes('\0')) idField = value;
    else if (field === 'retry' && /^\d+$/.test(value)) onRetry(Number(value));
  }

  return {
    feed(chunk) {
      // An empty chunk says nothing, and must not forget a CR left pending.
      if (!chunk) return;
      // A CRLF split across two chunks is one line end, not two.
      if (pendingCR && chunk.startsWith('\n')) chunk = chunk.slice(1);
      pendingCR = chunk.endsWith('\r');
      buffer += chunk;
      const lines = buffer.split(/\r\n|\r|\n/);
      buffer = lines.pop() ?? '';
      lines.forEach(line);
    },
    // A new connection starts clean: half a message from a dropped one is void.
    restart() {
      buffer = '';
      data = [];
      type = '';
      pendingCR = false;
      idField = lastId;
    },
    get lastId() { return lastId; },
    set lastId(value) { lastId = value; idField = value; },
  };
}

/**
 * @param {number} ms
 * @param {AbortSignal} signal  ends the wait early
 * @returns {Promise<void>}
 */
const sleep = (ms, signal) => new Promise((resolve) => {
  const timer = setTimeout(resolve, ms);
  signal.addEventListener('abort', () => { clearTimeout(timer); resolve(); }, { once: true });
});

/**
 * @typedef {object} StreamOptions
 * @property {() => string | null} token  the bearer token, if any (asked at every connection)
 * @property {(message: SseMessage) => void} onEvent
 * @property {(state: StreamState) => void} onState
 * @property {() => void} onAuthError
 * @property {() => void} [onGone]
 * @property {() => void} onFresh  connected with nothing to resume from
 * @property {number} [silence]  ms without a byte (heartbeats included) that mean a dead link
 */
/**
 * @typedef {object} Stream
 * @property {() => void} close
 * @property {() => void} forget
 * @property {() => void} wake
 */

// Keep a stream open: reconnect with Last-Event-ID after a drop, with backoff.
// The server sends a heartbeat every 15 s; silence for longer means a dead link.
// onAuthError: the credentials are refused (401), which ends the stream;
// onGone: the stream answered 404 (the board is gone, or no longer ours to
// see, or not there yet on a server just restored): it is tried again later.
/**
 * @param {string} url
 * @param {StreamOptions} options
 * @returns {Stream}
 */
export function openStream(url, { token, onEvent, onState, onAuthError, onGone = () => {}, onFresh, silence = 60000 }) {
  const stop = new AbortController();
  /** @type {AbortController | null} */
  let connection = null;
  /** @type {(() => void) | null} */
  let wake = null;
  let retry = 2000;
  let failures = 0;
  const parser = eventParser({ onEvent, onRetry: (ms) => { retry = ms; } });

  async function readOnce() {
    const current = new AbortController();
    connection = current;
    /** @type {Record<string, string>} */
    const headers = { Accept: 'text/event-stream' };
    const bearer = token();
    if (bearer) headers['Authorization'] = `Bearer ${bearer}`;
    parser.restart();
    const resumeFrom = parser.lastId;
    if (resumeFrom != null) headers['Last-Event-ID'] = resumeFrom;
    const response = await fetch(url, { headers, signal: current.signal, cache: 'no-store', credentials: 'same-origin' });
    if (response.status === 401) { stop.abort(); onAuthError(); return; }
    if (response.status === 404) onGone();
    if (!response.ok || !response.body) throw new Error(`stream answered ${response.status}`);
    onState('live');
    failures = 0;
    // Without an id to resume from, changes made before the stream opened are
    // not in it: the caller refetches (this closes the gap after a first load too).
    if (resumeFrom == null) onFresh();
    const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
    let watchdog = setTimeout(() => current.abort(), silence);
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        clearTimeout(watchdog);
        watchdog = setTimeout(() => current.abort(), silence);
        parser.feed(value);
      }
    } finally {
      clearTimeout(watchdog);
    }
  }

  (async () => {
    let first = true;
    while (!stop.signal.aborted) {
      onState(first ? 'connecting' : 'reconnecting');
      try {
        await readOnce();
      } catch {
        // A refused or dropped connection: try again below.
      }
      first = false;
      if (stop.signal.aborted) break;
      onState('reconnecting');
      const pause = Math.min(retry * 2 ** failures, 30000) * (0.75 + Math.random() / 2);
      failures += 1;
      const waiting = new AbortController();
      wake = () => waiting.abort();
      stop.signal.addEventListener('abort', wake, { once: true });
      await sleep(pause, waiting.signal);
    }
    onState('closed');
  })();

  return {
    close() { stop.abort(); connection?.abort(); },
    // Forget where we were (after a reset): the next connection starts from now.
    forget() { parser.lastId = null; },
    // Reconnect now rather than after the backoff (the network came back).
    wake() { wake?.(); },
  };
}
