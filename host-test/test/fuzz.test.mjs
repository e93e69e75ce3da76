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
import { parseTree, pathsOf } from './tree.mjs';
import { checkSyslogRecord } from './syslog-lines.mjs';

const RUNS = Number(process.env.FUZZ_RUNS ?? 60);
const SEED = Number(process.env.FUZZ_SEED ?? 42);
const TARGETS = { ecs: 'sysdig_to_ecs', splunk: 'sysdig_to_splunk' };
// CEF and LEEF carry mapped fields, not the payload: their lines must pass
// the strict readers instead of the keeps-everything oracle.
const SYSLOG_TARGETS = { cef: 'sysdig_to_cef', leef: 'sysdig_to_leef' };
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

// Members appended after an object's own, to write duplicate keys.
const EXTRA = Symbol('duplicate members');

/** Serializes a mutated tree: BigInt as digits, EXTRA members as duplicates. */
function serialize(node) {
  if (typeof node === 'bigint') return node.toString();
  if (node instanceof RawNumber) return node.digits;
  if (node === null || typeof node !== 'object') return JSON.stringify(node) ?? 'null';
  if (Array.isArray(node)) return `[${node.map(serialize).join(',')}]`;
  const members = Object.keys(node).map((k) => `${JSON.stringify(k)}:${serialize(node[k])}`);
  for (const [k, v] of node[EXTRA] ?? []) members.push(`${JSON.stringify(k)}:${serialize(v)}`);
  return `{${members.join(',')}}`;
}

/** A number written with exactly these digits (beyond what JS numbers hold). */
class RawNumber {
  constructor(digits) {
    this.digits = digits;
  }
}

const deepArray = (depth, leaf) => {
  let v = leaf;
  for (let i = 0; i < depth; i++) v = [v];
  return v;
};

const hostileKey = fc.oneof(
  fc.constantFrom('', '.', 'a.b', 'proc.aname[2]', '[]', ']', 'timestamp', 'content', 'key', 'value', '__proto__'),
  fc.string({ unit: 'binary', maxLength: 12 }),
);

const hostileValue = fc.oneof(
  fc.jsonValue({ maxDepth: 3 }),
  fc.constantFrom(
    null, '', {}, [], true, '\ud800', 'a\udc00b', '\u0000\u001f\u007f', '<NA>', 'N/A',
    new RawNumber('1e400'), new RawNumber('-0'), new RawNumber('1234567890123456789012345678901234567890'),
    new RawNumber('18446744073709551616'), new RawNumber('1606322948648718268'), new RawNumber('-1'),
  ),
  fc.integer({ min: 17, max: 120 }).map((depth) => deepArray(depth, 'bottom')),
  fc.array(fc.record({ key: hostileKey, value: fc.jsonValue({ maxDepth: 1 }) }), { maxLength: 4 }),
  fc.bigInt({ min: -(10n ** 25n), max: 10n ** 25n }),
);

// One edit, given as data so fast-check can shrink it; applied to a copy.
const edit = fc.oneof(
  fc.record({ op: fc.constant('replace'), at: fc.nat(), value: hostileValue }),
  fc.record({ op: fc.constant('delete'), at: fc.nat() }),
  fc.record({ op: fc.constant('rename'), at: fc.nat(), key: hostileKey }),
  fc.record({ op: fc.constant('add'), at: fc.nat(), key: hostileKey, value: hostileValue }),
  fc.record({ op: fc.constant('duplicate'), at: fc.nat(), value: hostileValue }),
);

/** A fresh copy of a generated value: fast-check hands out the same constant
 *  objects again, and an edit must never make the tree share (or contain) itself. */
function fresh(value) {
  if (value === null || typeof value !== 'object') return value;
  if (value instanceof RawNumber) return new RawNumber(value.digits);
  if (Array.isArray(value)) return value.map(fresh);
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, fresh(v)]));
}

function applyEdit(tree, { op, at, key, value: generated }) {
  const value = fresh(generated);
  const paths = pathsOf(tree, (node) => node instanceof RawNumber);
  if (paths.length === 0) return tree;
  const path = paths[at % paths.length];
  const parentPath = path.slice(0, -1);
  let parent = tree;
  for (const step of parentPath) parent = parent[step];
  const last = path.at(-1);
  if (op === 'replace') parent[last] = value;
  else if (op === 'delete') {
    if (Array.isArray(parent)) parent.splice(last, 1);
    else delete parent[last];
  } else if (op === 'rename' && !Array.isArray(parent)) {
    const v = parent[last];
    delete parent[last];
    Object.defineProperty(parent, key, { value: v, enumerable: true, writable: true, configurable: true });
  } else if (op === 'add' && !Array.isArray(parent)) {
    Object.defineProperty(parent, key, { value, enumerable: true, writable: true, configurable: true });
  } else if (op === 'duplicate' && !Array.isArray(parent)) {
    (parent[EXTRA] ??= []).push([String(last), value]);
  }
  return tree;
}

const mutant = (tree) =>
  fc
    .tuple(fc.array(edit, { minLength: 1, maxLength: 4 }), fc.constantFrom('none', 'log', 'message'))
    .map(([edits, wrap]) => {
      const copy = structuredClone(tree);
      const text = serialize(edits.reduce(applyEdit, copy));
      return wrap === 'none' ? text : JSON.stringify({ [wrap]: text });
    });

function check(text) {
  for (const [target, fn] of Object.entries(TARGETS)) {
    const result = filter.call(fn, text, OPTS);
    if (result.status !== 'ok') throw new Error(`${target}: ${result.status}: ${result.error}`);
    expectOnlyInputDuplicates(text, result, target);
    expectKeepsInput(text, result, target);
  }
  for (const [target, fn] of Object.entries(SYSLOG_TARGETS)) checkSyslogRecord(filter.call(fn, text, OPTS), target);
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
