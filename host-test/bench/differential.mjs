#!/usr/bin/env node
// node host-test/bench/differential.mjs BEFORE.wasm AFTER.wasm [--mutants N] [--seed S]
// Checks that a speed change changed nothing: both modules get the same
// records (every golden input, N structured mutants of them, and random
// byte strings), through every export, at a fixed time, each module in one
// long-lived instance (so garbage-collection cadence and reused buffers are
// exercised as in Fluent Bit), and every result must be byte-identical.

import fc from 'fast-check';
import { compactJson, loadFilter } from '../host.mjs';
import { goldenInputs, mutant } from '../test/mutants.mjs';
import { readFileSync, readdirSync } from 'node:fs';
import { parseArgs } from 'node:util';

const EXPORTS = ['sysdig_to_ecs', 'sysdig_to_splunk', 'sysdig_to_cef', 'sysdig_to_leef'];

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { mutants: { type: 'string', default: '3000' }, seed: { type: 'string', default: '12' } },
});
const [beforePath, afterPath] = positionals;
if (!beforePath || !afterPath) throw new Error('usage: differential.mjs BEFORE.wasm AFTER.wasm [--mutants N] [--seed S]');
const before = await loadFilter(beforePath);
const after = await loadFilter(afterPath);

const goldenDir = new URL('../golden/', import.meta.url);
const records = readdirSync(goldenDir).map((name) => readFileSync(new URL(`${name}/input.json`, goldenDir), 'utf8'));
const goldenCount = records.length;
const seed = Number(values.seed);
const perTree = Math.ceil(Number(values.mutants) / goldenInputs.length);
for (const { tree } of goldenInputs) records.push(...fc.sample(mutant(tree), { seed, numRuns: perTree }));
// Keys that are equal once written but arrive differently (escaped, dotted,
// bracketed, blank, long): the duplicate detection's hashing must agree.
const runtime = readFileSync(new URL('runtime-policy-event/input.json', goldenDir), 'utf8').trim();
for (const extra of [
  '"ab":1,"a\\u0062":2', '"a.b":1,"a_b":2,"a[b]":3,"a_b":4', '" ":1,"  ":2,"_":3', '"":1,"":2',
  '"abcdefghijklmnop":1,"abcdefghijklmnop":2,"abcdefgh\\u0069jklmnop":3', '"x]":1,"x":2,"k\\n":3,"k\\n":4',
  '"abcdefgh.ijklmnopq":1,"abcdefgh_ijklmnopq":2', '"ééé":1,"\\u00e9\\u00e9\\u00e9":2',
]) {
  records.push(runtime.replace(/^\{/, `{${extra},`));
  records.push(`{"content":{"fields":{${extra}}},${runtime.slice(1)}`);
}
// Fluent Bit hands the filter compact JSON, which the payload walk copies
// in runs (Walker.writeSpans); input with whitespace takes the
// member-by-member walk. Both are compared: each record also goes compact.
const compacted = records.map(compactJson).filter((text, i) => text !== records[i]);
records.push(...compacted);
// Records cut short, each a document with its own error message.
for (const text of records.slice(0, goldenCount)) {
  for (let k = 1; k < 12; k++) records.push(text.slice(0, Math.floor((text.length * k) / 12)));
}
records.push(...fc.sample(fc.string({ unit: 'binary', maxLength: 300 }), { seed, numRuns: 500 }));
records.push(...fc.sample(fc.json(), { seed, numRuns: 500 }));

let calls = 0;
let differ = 0;
const time = { sec: 1764460800, nsec: 123456789 };
for (const record of records) {
  for (const fn of EXPORTS) {
    const a = before.call(fn, record, time);
    const b = after.call(fn, record, time);
    calls++;
    if (a.status !== b.status || a.output !== b.output) {
      if (differ++ < 5) console.log(`DIFFERENT: ${fn} on ${JSON.stringify(record).slice(0, 200)}\n  before ${a.status} ${String(a.output).slice(0, 300)}\n  after  ${b.status} ${String(b.output).slice(0, 300)}`);
    }
  }
}
console.log(`${records.length} records × ${EXPORTS.length} exports = ${calls} calls each: ${differ} different`);
process.exitCode = differ ? 1 : 0;
