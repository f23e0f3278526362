// Words shown to people: sentences, relative times, waits.
import test from 'node:test';
import assert from 'node:assert/strict';
import { sentence, relativeTime } from '../../src/kanban/api/web/dom.js';
import { waitText } from '../../src/kanban/api/web/signin.js';

test('a server phrase ends like a sentence, once', () => {
  assert.equal(sentence('column is not empty'), 'column is not empty.');
  assert.equal(sentence('Done!  '), 'Done!');
  assert.equal(sentence('really?'), 'really?');
});

test('relative times: just now, then the nearest unit; nothing for what is not a time', () => {
  const now = Date.parse('2026-01-10T12:00:00Z');
  const format = new Intl.RelativeTimeFormat(undefined, { numeric: 'auto' });
  assert.equal(relativeTime('2026-01-10T11:59:30Z', now), 'just now');
  assert.equal(relativeTime('2026-01-10T11:57:00Z', now), format.format(-3, 'minute'));
  assert.equal(relativeTime('2026-01-10T09:00:00Z', now), format.format(-3, 'hour'));
  assert.equal(relativeTime('2026-01-09T12:00:00Z', now), format.format(-1, 'day'));
  assert.equal(relativeTime('not a time', now), '');
});

test('how long to wait before signing in again', () => {
  assert.equal(waitText(1), '1 second');
  assert.equal(waitText(42), '42 seconds');
  assert.equal(waitText(89), '89 seconds');
  assert.equal(waitText(90), '2 minutes');
  assert.equal(waitText(3600), '60 minutes');
});
