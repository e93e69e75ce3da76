#!/usr/bin/env node
// node host-test/bench/count-execution.mjs MODULE.wasm [export] [sample] [top]
// Where the interpreter's work goes, counted instead of timed: binaryen's
// log-execution pass makes the module call an import at every function
// entry and every loop iteration; this runs the export on a golden sample
// (copied into linear memory once, as Fluent Bit's host does) and prints
// those events per record, by function. WAMR's fast interpreter pays per
// executed wasm instruction, and loops and calls are where instructions
// repeat, so this ranks the hot spots the interpreter sees; it is not a
// time. Build the module with names kept for readable output:
//   npx asc assembly/index.ts --target release --debug --outFile build/named.wasm
import binaryen from 'binaryen';
import { readFileSync } from 'node:fs';

const [wasmPath, fn = 'sysdig_to_ecs', sample = 'runtime-policy-event', top = '25'] = process.argv.slice(2);
if (!wasmPath) throw new Error('usage: count-execution.mjs MODULE.wasm [export] [sample] [top]');
const m = binaryen.readBinary(readFileSync(wasmPath));
m.runPasses(['log-execution']);
// Which function each log point is in, from the printed module.
const where = new Map();
let current = null;
const lines = m.emitText().split('\n');
for (let i = 0; i < lines.length; i++) {
  const f = /^\s*\(func \$(\S+)/.exec(lines[i]);
  if (f) current = f[1];
  if (!lines[i].includes('call $log_execution')) continue;
  for (let j = i; j < i + 3; j++) {
    const n = /i32\.const (\d+)/.exec(lines[j]);
    if (n) { where.set(Number(n[1]), current); break; }
  }
}
const counts = new Map();
let total = 0;
const module = await WebAssembly.compile(m.emitBinary());
const imports = {};
for (const { module: mod, name } of WebAssembly.Module.imports(module)) {
  imports[mod] ??= {};
  imports[mod][name] = name === 'log_execution'
    ? (id) => { counts.set(id, (counts.get(id) ?? 0) + 1); total++; }
    : () => { throw new Error(`unexpected call to ${mod}.${name}`); };
}
const e = (await WebAssembly.instantiate(module, imports)).exports;
// Through the module's own malloc (io/host_alloc.ts), as WAMR copies in.
const copyIn = (bytes) => {
  const p = e.malloc(bytes.length + 1);
  new Uint8Array(e.memory.buffer, p, bytes.length + 1).set([...bytes, 0]);
  return p;
};
const record = new TextEncoder().encode(readFileSync(new URL(`../golden/${sample}/input.json`, import.meta.url), 'utf8').trim());
const rec = copyIn(record);
const tag = copyIn(new TextEncoder().encode('sysdig'));
// 256 calls: one full garbage-collection cycle of io/collect.ts.
const N = 256;
for (let i = 0; i < 16; i++) e[fn](tag, 6, 1764460800, 0, rec, record.length);
counts.clear();
total = 0;
for (let i = 0; i < N; i++) e[fn](tag, 6, 1764460800, 0, rec, record.length);
const byFunction = new Map();
for (const [id, c] of counts) {
  const f = where.get(id) ?? `#${id}`;
  byFunction.set(f, (byFunction.get(f) ?? 0) + c);
}
console.log(`${fn} on ${sample}: ${(total / N).toFixed(0)} function entries + loop iterations per record`);
for (const [f, c] of [...byFunction].sort((a, b) => b[1] - a[1]).slice(0, Number(top))) {
  console.log(`${(c / N).toFixed(1).padStart(8)}  ${f}`);
}
