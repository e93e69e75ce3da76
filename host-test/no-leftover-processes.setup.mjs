// Setup file of both vitest configs: after each test file, no process the
// file started may still be running (host-test/children.mjs). Leftovers are
// stopped here, so none outlives the run, and the file fails, naming them:
// a test that leaves a process behind is a defect even when it passed.

import { afterAll } from 'vitest';
import { stopRunningChildren } from './children.mjs';

afterAll(async () => {
  const left = await stopRunningChildren();
  if (left.length > 0) {
    throw new Error(`processes still running after the file's tests (now stopped):\n  ${left.join('\n  ')}`);
  }
}, 60000);
