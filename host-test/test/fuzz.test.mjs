// Property-based fuzzing over structured mutations of every golden input:
// values swapped for hostile ones, members deleted, renamed, duplicated or
// added, numbers pushed out of range, whole records wrapped in a `log`
// string. Each mutant must normalize to one valid JSON object per target
// that keeps everything sent (keeps.mjs).
//
// Fixed seed and bounded runs in `npm test`; for a long run:
//   FUZZ_RUNS=20000 npx vitest run host-test/test/fuzz.test.mjs
// (FUZZ_SEED picks another seed; a failure prints the seed and path to replay,
// and a run longer than 1000 uses seeds FUZZ_SEED, FUZZ_SEED + 1, ... per 1000.)

import { readFileSync, readdirSync } from 'node:fs';
import { beforeAll, describe, expect, test } from 'vitest';
import fc from 'fast-check';
import { loadFilter } from '../host.mjs';
import { expectKeepsInput, expectOnlyInputDuplicates } from './keeps.mjs';
import { parseTree } from './tree.mjs';
import { mutant } from './mutants.mjs';

const RUNS = Number(process.env.FUZZ_RUNS ?? 60);
const SEED = Number(process.env.FUZZ_SEED ?? 42);
const TARGETS = { ecs: 'sysdig_to_ecs', splunk: 'sysdig_to_splunk' };
const OPTS = { tag: 'sysdig', sec: 1700000000, nsec: 500000000 };

const goldenDir = new URL('../golden/', import.meta.url);
const goldenInputs = readdirSync(goldenDir)
  .map((name) => ({ name, text: readFileSync(new URL(`${name}/input.json`, goldenDir), 'utf8') }))
  .flatMap(({ name, text }) => {
    try {
      const tree = parseTree(text);
      return tree !== null && typeof tree === 'object' ? [{ name, tree }] : [];
    } catch {
      return []; // not JSON: nothing to mutate structurally
    }
  });

let filter;
beforeAll(async () => {
  filter = await loadFilter();
});

function check(text) {
  for (const [target, fn] of Object.entries(TARGETS)) {
    const result = filter.call(fn, text, OPTS);
    if (result.status !== 'ok') throw new Error(`${target}: ${result.status}: ${result.error}`);
    expectOnlyInputDuplicates(text, result, target);
    expectKeepsInput(text, result, target);
  }
}

// Long runs go in chunks (seed, seed + 1, ...) with a turn of the event loop
// between them: one synchronous run of minutes starves vitest's worker RPC.
const CHUNK = 1000;

describe(`structured mutations of every golden input (${RUNS} runs each, seed ${SEED})`, () => {
  test.each(goldenInputs.map((g) => [g.name, g.tree]))(
    '%s',
    async (_, tree) => {
      for (let done = 0, chunk = 0; done < RUNS; done += CHUNK, chunk++) {
        const numRuns = Math.min(CHUNK, RUNS - done);
        fc.assert(fc.property(mutant(tree), check), { seed: SEED + chunk, numRuns });
        await new Promise((resolve) => setImmediate(resolve));
      }
    },
    Math.max(60_000, RUNS * 10),
  );
});

describe('the keeps-everything oracle fails when something is lost', () => {
  const input = '{"content":{"a":"x","n":1606322948648718268,"kv":[{"key":"k.1","value":true}]}}';
  const asResult = (output) => ({ status: 'ok', output, record: JSON.parse(output) });
  const ecsWith = (sysdig) => asResult(`{"event":{"kind":"event"},"sysdig":${sysdig}}`);

  test('accepts the documented rewrites', () => {
    expectKeepsInput(input, ecsWith('{"content":{"a":"x","n":1606322948648718268,"kv":{"k_1":true}}}'), 'ecs');
  });
  test.each([
    ['a dropped string', '{"content":{"n":1606322948648718268,"kv":{"k_1":true}}}'],
    ['a rounded number', '{"content":{"a":"x","n":1606322948648718300,"kv":{"k_1":true}}}'],
    ['a dropped key/value pair', '{"content":{"a":"x","n":1606322948648718268,"kv":{}}}'],
  ])('rejects %s', (_, sysdig) => {
    expect(() => expectKeepsInput(input, ecsWith(sysdig), 'ecs')).toThrow();
  });
  test('rejects a parse failure without the input in event.original', () => {
    const output = '{"event":{"kind":"pipeline_error","original":"{\\"a\\""}}';
    expect(() => expectKeepsInput('{"a":1', asResult(output), 'ecs')).toThrow();
  });
});
