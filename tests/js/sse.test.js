// The text/event-stream parser (src/kanban/api/web/sse.js eventParser).
import test from 'node:test';
import assert from 'node:assert/strict';
import { eventParser } from '../../src/kanban/api/web/sse.js';

function parser() {
  const events = [];
  const retries = [];
  const p = eventParser({ onEvent: (m) => events.push(m), onRetry: (ms) => retries.push(ms) });
  return { p, events, retries };
}

test('a message is dispatched at its blank line, typed "message" by default', () => {
  const { p, events } = parser();
  p.feed('data: hello\n');
  assert.deepEqual(events, []);
  p.feed('\n');
  assert.deepEqual(events, [{ id: null, type: 'message', data: 'hello' }]);
});

test('event names the type; data lines are joined by newlines', () => {
  const { p, events } = parser();
  p.feed('event: CardMoved\ndata: {"a":\ndata: 1}\n\n');
  assert.deepEqual(events, [{ id: null, type: 'CardMoved', data: '{"a":\n1}' }]);
});

test('lines and fields split anywhere across chunks', () => {
  const { p, events } = parser();
  for (const chunk of ['da', 'ta: x', 'y\n', '\nev', 'ent: T\ndata: z\n', '\n']) p.feed(chunk);
  assert.deepEqual(events.map((e) => [e.type, e.data]), [['message', 'xy'], ['T', 'z']]);
});

test('CR, LF and CRLF all end lines; a CRLF split across two chunks is one line end', () => {
  const { p, events } = parser();
  p.feed('data: a\r');
  p.feed('\ndata: b\r\n\r');
  p.feed('\n');
  assert.deepEqual(events.map((e) => e.data), ['a\nb']);
  p.feed('data: c\r\rdata: d\n\n');
  assert.deepEqual(events.map((e) => e.data), ['a\nb', 'c', 'd']);
});

test('an empty chunk between a CR and its LF does not make them two line ends', () => {
  const { p, events } = parser();
  p.feed('data: a\r');
  p.feed('');
  p.feed('\ndata: b\n\n');
  assert.deepEqual(events.map((e) => e.data), ['a\nb']);
});

test('comments (the server’s heartbeats) are ignored, even between fields', () => {
  const { p, events } = parser();
  p.feed(': heartbeat\n\n');
  p.feed('data: a\n: keep-alive\ndata: b\n\n');
  assert.deepEqual(events.map((e) => e.data), ['a\nb']);
});

test('one space after the colon is dropped, no more; a field without a colon is empty', () => {
  const { p, events } = parser();
  p.feed('data:  two\n\ndata:none\n\ndata\n\n');
  assert.deepEqual(events.map((e) => e.data), [' two', 'none', '']);
});

test('a blank line with no data dispatches nothing; unknown fields are ignored', () => {
  const { p, events } = parser();
  p.feed('\n\nevent: lonely\n\nfoo: bar\ndata: x\n\n');
  assert.deepEqual(events, [{ id: null, type: 'message', data: 'x' }], 'the type does not outlive its message');
});

test('the id sticks to later messages until another is given', () => {
  const { p, events } = parser();
  p.feed('id: 5\ndata: a\n\ndata: b\n\nid: 6\ndata: c\n\n');
  assert.deepEqual(events.map((e) => e.id), ['5', '5', '6']);
  assert.equal(p.lastId, '6');
});

test('an id containing NUL is ignored', () => {
  const { p, events } = parser();
  p.feed('id: 1\ndata: a\n\nid: 2\0x\ndata: b\n\n');
  assert.deepEqual(events.map((e) => e.id), ['1', '1']);
  assert.equal(p.lastId, '1');
});

test('retry gives a reconnection delay in ms, only when it is all digits', () => {
  const { p, retries, events } = parser();
  p.feed('retry: 5000\nretry: 5s\nretry: -1\nretry:250\n\n');
  assert.deepEqual(retries, [5000, 250]);
  assert.deepEqual(events, []);
});

test('the last id is taken from complete messages only', () => {
  const { p } = parser();
  p.feed('id: 7\ndata: a\n\n');
  p.feed('id: 8\ndata: half');
  assert.equal(p.lastId, '7', 'not from a message still being read');
  p.feed('\n');
  assert.equal(p.lastId, '7', 'nor before its blank line');
  p.feed('\n');
  assert.equal(p.lastId, '8');
});

test('a new connection drops half a message, and resumes from the last complete id', () => {
  const { p, events } = parser();
  p.feed('id: 7\ndata: a\n\nid: 8\nevent: T\ndata: lost');
  p.restart();
  assert.equal(p.lastId, '7');
  p.feed('data: fresh\n\n');
  assert.deepEqual(events.map((e) => [e.id, e.type, e.data]), [['7', 'message', 'a'], ['7', 'message', 'fresh']]);
});

test('forgetting the last id (after a reset) starts from nothing', () => {
  const { p, events } = parser();
  p.feed('id: 7\ndata: a\n\n');
  p.lastId = null;
  assert.equal(p.lastId, null);
  p.feed('data: b\n\n');
  assert.equal(events.at(-1).id, null);
});
