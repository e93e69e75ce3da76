// The operator guide's way to keep Sysdig's own Splunk sourcetypes
// (fluent-bit/README.md, "Sysdig's own sourcetypes"): its processors,
// taken from the guide as written, run after the wasm processor on a real
// Fluent Bit, for every sample shape. Each envelope must come out under
// Sysdig's name for its data type, with the rest of it untouched.
// Without a fluent-bit binary (FLUENT_BIT_BIN or PATH) it is reported as
// skipped, with the reason.

import { describe, it, expect } from 'vitest';
import { spawnTracked } from '../children.mjs';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SAMPLE_SHAPES, MORE_SHAPES } from '../test/samples.mjs';
import { parseExact, findDuplicateKeys } from '../host.mjs';
import { stringifyExact } from '../test/tree.mjs';
import { REPO_ROOT, WASM_MODULE, findFluentBit, makeTempDir, removeDir } from './harness.mjs';

const fluentBit = findFluentBit();
const NO_FLUENT_BIT = 'no fluent-bit binary (set FLUENT_BIT_BIN or put fluent-bit on PATH): the sourcetype renaming was NOT checked';

/** Sysdig's Splunk integration's sourcetype for each of ours. */
const NATIVE = {
  'sysdig:secure:policy': 'SysdigSecureEvents',
  'sysdig:secure:benchmark': 'SysdigSecureEvents',
  'sysdig:secure:hostscanning': 'SysdigSecureEvents',
  'sysdig:secure:notification': 'SysdigSecureEvents',
  'sysdig:secure:policy:legacy': 'SysdigPolicy',
  'sysdig:secure:audit:command': 'SysdigActivityAudit',
  'sysdig:secure:audit:connection': 'SysdigActivityAudit',
  'sysdig:secure:audit:file': 'SysdigActivityAudit',
  'sysdig:secure:audit:kubernetes': 'SysdigActivityAudit',
  'sysdig:platform:audit': 'SysdigAuditTrail',
  'sysdig:monitor:alert': 'SysdigMonitor',
  'sysdig:monitor:event': 'SysdigMonitor',
};

function guideSnippet() {
  const guide = readFileSync(join(REPO_ROOT, 'fluent-bit', 'README.md'), 'utf8');
  const m = /<!-- sourcetype-compat:begin -->\n```yaml\n([\s\S]*?)```\n<!-- sourcetype-compat:end -->/.exec(guide);
  if (!m) throw new Error('the sourcetype snippet is missing from fluent-bit/README.md');
  return m[1];
}

const golden = (name, file) => readFileSync(join(REPO_ROOT, 'host-test', 'golden', name, file), 'utf8');

function config(shapes) {
  // A JSON string is a valid YAML double-quoted scalar.
  const inputs = shapes
    .map((name) => `    - name: dummy\n      tag: sysdig\n      samples: 1\n      dummy: ${JSON.stringify(golden(name, 'input.json').trim())}\n`)
    .join('');
  return `service:
  flush: 0.2
  log_level: warn
pipeline:
  inputs:
${inputs}  outputs:
    - name: stdout
      match: sysdig
      workers: 0
      format: json_lines
      processors:
        logs:
          - name: wasm
            wasm_path: ${WASM_MODULE}
            function_name: sysdig_to_splunk
            accessible_paths: .
${guideSnippet()}`;
}

/** Runs Fluent Bit until it printed `count` records (or 30 s); returns them. */
function runUntil(configPath, count) {
  return new Promise((resolve, reject) => {
    const child = spawnTracked('fluent-bit', fluentBit, ['-c', configPath], { stdio: ['ignore', 'pipe', 'pipe'] });
    const records = [];
    let buffered = '';
    let stderr = '';
    const finish = () => {
      clearTimeout(timer);
      child.kill('SIGTERM');
    };
    const timer = setTimeout(finish, 30_000);
    child.stdout.on('data', (chunk) => {
      buffered += chunk;
      let nl;
      while ((nl = buffered.indexOf('\n')) >= 0) {
        const line = buffered.slice(0, nl);
        buffered = buffered.slice(nl + 1);
        if (line.startsWith('{')) records.push(parseExact(line));
      }
      if (records.length >= count) finish();
    });
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.on('error', reject);
    child.on('exit', () => resolve({ records, stderr }));
  });
}

describe("Sysdig's own Splunk sourcetypes, as the operator guide sets them", () => {
  it('every shape comes out under its Sysdig sourcetype, time and event untouched', async (ctx) => {
    if (!fluentBit) ctx.skip(NO_FLUENT_BIT);
    // Sysdig's integration has no Falco sourcetype: Falco alerts keep falco:alert.
    const shapes = [...SAMPLE_SHAPES, ...MORE_SHAPES].filter((name) => !name.startsWith('falco-'));
    const dir = makeTempDir('sysdig-sourcetypes-');
    try {
      const path = join(dir, 'fluent-bit.yaml');
      writeFileSync(path, config(shapes));
      const { records, stderr } = await runUntil(path, shapes.length);
      expect(records.length, stderr).toBe(shapes.length);
      // Fluent Bit re-serializes the record, so an id that is a hash of the
      // payload (no Sysdig id) differs from the golden one; Sysdig's ids match.
      const repeated = new Set();
      const expected = shapes.map((name) => {
        const envelope = parseExact(golden(name, 'expected.splunk.json'));
        const sysdigId = golden(name, 'input.json').includes(`"${envelope.fields.id}"`);
        // The dummy input does not keep an input's repeated keys as sent;
        // such an event is not compared.
        const event = findDuplicateKeys(golden(name, 'input.json')).length ? 'repeated keys' : envelope.event;
        if (event === 'repeated keys') repeated.add(envelope.fields.id);
        return stringifyExact({ id: sysdigId ? envelope.fields.id : 'hash', time: envelope.time, sourcetype: NATIVE[envelope.sourcetype] ?? envelope.sourcetype, event });
      });
      const hashed = new Set(expected.map((e) => JSON.parse(e)).filter((e) => e.id === 'hash').map((e) => e.time));
      const got = records.map((r) => stringifyExact({ id: hashed.has(r.time) ? 'hash' : r.fields.id, time: r.time, sourcetype: r.sourcetype, event: repeated.has(r.fields.id) ? 'repeated keys' : r.event }));
      expect(got.sort()).toEqual(expected.sort());
      for (const r of records) expect(Object.values(NATIVE)).toContain(r.sourcetype);
    } finally {
      await removeDir(dir);
    }
  }, 60_000);
});
