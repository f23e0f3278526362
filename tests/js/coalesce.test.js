// coalesced() (src/kanban/api/web/coalesce.js): asked again while running, it
// runs once more afterwards, not once per ask.
import test from 'node:test';
import assert from 'node:assert/strict';
import { coalesced } from '../../src/kanban/api/web/coalesce.js';

function gate() {
  let open;
  const promise = new Promise((resolve) => { open = resolve; });
  return { promise, open };
}

test('calls while it runs make one more run, and share its promise', async () => {
  const gates = [gate(), gate()];
  let runs = 0;
  const run = coalesced(async () => {
    runs += 1;
    await gates[runs - 1].promise;
  });
  const first = run();
  const second = run();
  const third = run();
  assert.equal(second, first);
  assert.equal(third, first);
  assert.equal(runs, 1);
  gates[0].open();
  await new Promise((resolve) => setImmediate(resolve));
  assert.equal(runs, 2, 'once more for the two calls made meanwhile');
  gates[1].open();
  await first;
  assert.equal(runs, 2);
});

test('a call after it ended starts a new run', async () => {
  let runs = 0;
  const run = coalesced(async () => { runs += 1; });
  await run();
  await run();
  assert.equal(runs, 2);
});

test('a failed run rejects its callers, and the next call runs again', async () => {
  let runs = 0;
  const run = coalesced(async () => {
    runs += 1;
    if (runs === 1) throw new Error('boom');
  });
  await assert.rejects(run(), /boom/);
  await run();
  assert.equal(runs, 2);
});
