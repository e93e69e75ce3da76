// vector/: the generated field table is current, the Splunk sink indexes every
// CIM field of the one field table, and — with a real Vector (VECTOR_BIN or
// PATH; skipped with the reason otherwise) — `vector validate` accepts
// vector.yaml and `vector test` passes its unit tests (vector.tests.yaml).

import { execFileSync } from 'node:child_process';
import { spawnTracked } from '../children.mjs';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { FIELDS_VRL, readFieldTable, renderFieldsVrl } from '../../vector/tools/gen-fields-vrl.mjs';
import { REPO_ROOT, VECTOR_CONFIG, VRL_DIR, remapFiles } from '../vector/program.mjs';
import { findVector } from '../e2e/harness.mjs';

const VECTOR = findVector();
const NO_VECTOR = 'no vector binary: set VECTOR_BIN or put vector on PATH (../shared/tools/vector/build-vector.sh builds one)';

const dataDir = mkdtempSync(join(tmpdir(), 'sysdig-vector-config-'));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

/** What vector.yaml requires, pointing nowhere real (validate skips health checks). */
const ENV = {
  PATH: process.env.PATH ?? '/usr/bin:/bin',
  HOME: dataDir,
  VECTOR_DATA_DIR: dataDir,
  SYSDIG_NORMALIZER_VRL_DIR: VRL_DIR,
  ES_ENDPOINT: 'http://127.0.0.1:9',
  SPLUNK_HEC_ENDPOINT: 'http://127.0.0.1:9',
  SPLUNK_HEC_TOKEN: 'unit-test-token',
};

/** Runs vector without blocking the worker (a blocking run of minutes starves vitest's RPC). */
function runVector(args) {
  return new Promise((resolve) => {
    const child = spawnTracked('vector', VECTOR, args, { env: ENV, cwd: REPO_ROOT });
    let out = '';
    child.stdout.on('data', (c) => { out += c; });
    child.stderr.on('data', (c) => { out += c; });
    child.on('exit', (status) => resolve({ status, out }));
  });
}

describe('vector/ configuration', () => {
  it('vrl/fields.vrl is generated from assembly/ecs/fields.ts (node vector/tools/gen-fields-vrl.mjs)', () => {
    expect(readFileSync(FIELDS_VRL, 'utf8')).toBe(renderFieldsVrl());
  });

  it('the Splunk sink indexes exactly the CIM fields of the field table', () => {
    const config = readFileSync(VECTOR_CONFIG, 'utf8');
    const block = config.slice(config.indexOf('    indexed_fields:'), config.indexOf('    compression:', config.indexOf('    indexed_fields:')));
    const listed = [...block.matchAll(/^ {6}- (\S+)$/gm)].map((m) => m[1]);
    expect(listed).toEqual(readFieldTable().filter((f) => f.cim).map((f) => f.cim));
  });

  it('one program makes both outputs, the fallback the same after its own start, and each target picks its own', () => {
    const names = (t) => remapFiles(t).map((p) => p.slice(VRL_DIR.length + 1));
    const main = names('normalize');
    const fallback = names('fallback');
    expect(main.slice(-3)).toEqual(['to_ecs.vrl', 'to_splunk.vrl', 'emit.vrl']);
    expect(fallback.slice(-5)).toEqual(['finish.vrl', 'apply.vrl', 'to_ecs.vrl', 'to_splunk.vrl', 'emit.vrl']);
    expect(fallback.slice(0, 3)).toEqual(['fields.vrl', 'init.vrl', 'fallback.vrl']);
    expect([names('sysdig_to_ecs'), names('sysdig_to_splunk')]).toEqual([['pick_ecs.vrl'], ['pick_splunk.vrl']]);
  });

  it('vector validate accepts vector.yaml', async (ctx) => {
    if (!VECTOR) ctx.skip(NO_VECTOR);
    const run = await runVector(['validate', '--no-environment', VECTOR_CONFIG]);
    expect(run.status, run.out).toBe(0);
  }, 900000);

  it('vector test passes the unit tests in vector.tests.yaml', async (ctx) => {
    if (!VECTOR) ctx.skip(NO_VECTOR);
    const run = await runVector(['test', VECTOR_CONFIG, join(REPO_ROOT, 'vector', 'vector.tests.yaml')]);
    expect(run.status, run.out).toBe(0);
    const tests = readFileSync(join(REPO_ROOT, 'vector', 'vector.tests.yaml'), 'utf8').match(/^ {2}- name: /gm).length;
    expect(tests).toBeGreaterThanOrEqual(6);
    expect(run.out.match(/\.\.\. passed/g)).toHaveLength(tests);
    expect(execFileSync(VECTOR, ['--version'], { encoding: 'utf8' })).toMatch(/^vector 0\.56\.0/);
  }, 1800000);
});
