// Every long-running process a test starts (Fluent Bit, Vector, the
// Elasticsearch node, …) is spawned through here, so that none outlives its
// test file. A start that fails before its owner holds a handle (a beforeAll
// that throws leaves the rig unassigned, and its afterAll cannot stop what it
// never got) would otherwise leave the process running, orphaned; the setup
// file host-test/no-leftover-processes.setup.mjs stops whatever is still
// alive after each test file and fails that file when it finds any.

import { spawn } from 'node:child_process';

/** Children started and not yet exited: child → what it is. */
const alive = new Map();

/** spawn(), remembered until the child exits. `label` names it in reports. */
export function spawnTracked(label, command, args, options) {
  const child = spawn(command, args, options);
  alive.set(child, `${label} (pid ${child.pid}: ${command} ${args.join(' ')})`);
  child.once('exit', () => alive.delete(child));
  // A spawn that failed (ENOENT) emits 'error' and no 'exit'.
  child.once('error', () => { if (child.exitCode !== null || child.pid === undefined) alive.delete(child); });
  return child;
}

/** What is still running, by label. */
export function runningChildren() {
  return [...alive.values()];
}

/** Stops a child: SIGTERM, then SIGKILL after graceMs; resolves once it exited. */
export function stopChild(child, graceMs = 10000) {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    child.once('exit', () => { clearTimeout(timer); resolve(); });
    child.kill('SIGTERM');
  });
}

/** Stops every child still running; returns the labels of those it stopped. */
export async function stopRunningChildren() {
  const left = [...alive.entries()];
  await Promise.all(left.map(([child]) => stopChild(child)));
  return left.map(([, label]) => label);
}
