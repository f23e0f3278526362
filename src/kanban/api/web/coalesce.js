// @ts-check
// Work that is asked for again while it runs need not run once per ask: once
// more afterwards sees everything asked for meanwhile.

/**
 * Run task; calls while it runs make it run once more when it ends (however
 * many they were), and get the promise of that whole run.
 * @param {() => Promise<void>} task
 * @returns {() => Promise<void>}
 */
export function coalesced(task) {
  /** @type {Promise<void> | null} */
  let running = null;
  let again = false;
  return () => {
    if (running) {
      again = true;
      return running;
    }
    running = (async () => {
      do {
        again = false;
        await task();
      } while (again);
    })().finally(() => { running = null; });
    return running;
  };
}
