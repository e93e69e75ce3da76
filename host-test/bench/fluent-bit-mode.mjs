// Fluent Bit mode: a fixed number of records through a real Fluent Bit,
// stdin input → filter → null output, once per filter configuration:
//   none        no filter (what Fluent Bit itself spends per record)
//   copy        the copy floor module, interpreted (.wasm) and AOT (.aot)
//   ours        the normalizer, interpreted (.wasm) and AOT (.aot)
//   replay      returns our output for the runtime sample, fixed (see buildReplay)
//   lua         runtime_policy.lua, the same mapping as a Lua filter
// The stdin input parses what it reads (the record as NDJSON, which is what
// the dummy input would re-parse for every copy too) and appends it; filters
// run on each append, the wasm filter once per record; it makes Fluent Bit
// exit at end of input. The HTTP server's counters are refreshed only once a
// second, so the rate is timed from our side of the pipe instead (feed()),
// and CPU is what the process used in all, minus a run with no records.

import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';

import asc from 'assemblyscript/asc';

import { loadFilter } from '../host.mjs';
import { findFluentBit as findFluentBitBinary, findWamrc } from '../e2e/harness.mjs';
import { samples } from '../test/samples.mjs';
import { median, printTable, fmtRate, fmtRatio } from './measure.mjs';
import { PHASES, buildPhases } from './phases.mjs';
import { PORTABLE_AOT_FLAGS } from '../aot.mjs';

const BLOCK_RECORDS = 256; // records per write into Fluent Bit's stdin
const RUN_TIMEOUT_MS = 300_000;
/** flb-wamrc flags for every .aot built here: see host-test/aot.mjs. */
const AOT_FLAGS = PORTABLE_AOT_FLAGS;
const CLOCK_TICKS = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout) || 100;

/** Finds fluent-bit and flb-wamrc the way the end-to-end suite does; says
 *  why when Fluent Bit is missing. */
export function findFluentBit() {
  const fluentBit = findFluentBitBinary();
  if (!fluentBit) {
    return { fluentBit: null, reason: process.env.FLUENT_BIT_BIN
      ? `FLUENT_BIT_BIN=${process.env.FLUENT_BIT_BIN} is not an executable file`
      : 'no fluent-bit on PATH and FLUENT_BIT_BIN is not set' };
  }
  return { fluentBit, wamrc: findWamrc(fluentBit) };
}

export async function runFluentBitMode({
  fluentBit, wamrc, wasmPath, copyPath, root, records, repeat, families, log,
  phases = false, interpAll = false, only = null, baseline = null,
}) {
  const version = spawnSync(fluentBit, ['--version'], { encoding: 'utf8' }).stdout.split('\n')[0];
  log(`${version} (${fluentBit})`);
  const work = join(root, 'build/bench/fluent-bit');
  mkdirSync(work, { recursive: true });

  const replay = await buildReplay({ wasmPath, root, work });
  const modules = {
    ours: { wasm: wasmPath },
    copy: { wasm: copyPath },
    replay: { wasm: replay.path },
  };
  // Another build of the normalizer (say, main's), measured in the same run.
  if (baseline) modules.baseline = { wasm: baseline };
  if (phases) {
    const built = await buildPhases({ root, work, replayBytes: replay.ecsBytes });
    for (const phase of PHASES) modules[`phase_${phase}`] = { wasm: built[phase] };
  }
  if (wamrc) {
    for (const [name, m] of Object.entries(modules)) {
      m.aot = join(work, `${name}.aot`);
      const r = spawnSync(wamrc, [...AOT_FLAGS, '-o', m.aot, m.wasm], { encoding: 'utf8' });
      if (r.status !== 0) throw new Error(`flb-wamrc failed on ${m.wasm}:\n${r.stdout}${r.stderr}`);
    }
    // flb-wamrc's default, this machine's exact CPU, against the portable
    // baseline the others use (npm run aot).
    modules.oursNative = { aot: join(work, 'ours-native.aot') };
    const r = spawnSync(wamrc, ['-o', modules.oursNative.aot, wasmPath], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`flb-wamrc failed on ${wasmPath}:\n${r.stdout}${r.stderr}`);
  } else {
    const msg = 'flb-wamrc not found (FLB_WAMRC_BIN, PATH, beside fluent-bit): .aot runs SKIPPED';
    log(`\n${'!'.repeat(msg.length)}\n${msg}\n${'!'.repeat(msg.length)}`);
  }
  const lua = join(root, 'host-test/bench/runtime_policy.lua');

  // Interpreted wasm is an order of magnitude slower: fewer records keep the
  // run short, and the rates stay comparable.
  const interpRecords = Math.max(BLOCK_RECORDS * 20, Math.round(records / 5));
  const plan = [];
  for (const { name, text } of samples.filter((s) => !families || families.includes(s.name))) {
    const isRuntime = name === 'runtime-policy-event';
    const add = (label, filter, n = records) => plan.push({ family: name, label, filter, records: n, record: text.trim() });
    add('none', null);
    if (isRuntime) add('lua', { name: 'lua', script: lua, call: 'sysdig_runtime_to_ecs' });
    if (modules.copy.aot) add('copy .aot', wasmFilter(modules.copy.aot, 'sysdig_to_ecs'));
    if (modules.ours.aot) {
      add('ours .aot ecs', wasmFilter(modules.ours.aot, 'sysdig_to_ecs'));
      add('ours .aot splunk', wasmFilter(modules.ours.aot, 'sysdig_to_splunk'));
    }
    if (isRuntime && modules.oursNative) {
      add('ours native .aot ecs', wasmFilter(modules.oursNative.aot, 'sysdig_to_ecs'));
    }
    if (isRuntime && modules.replay.aot) {
      add('replay .aot ecs', wasmFilter(modules.replay.aot, 'sysdig_to_ecs'));
      add('replay .aot splunk', wasmFilter(modules.replay.aot, 'sysdig_to_splunk'));
    }
    if (isRuntime) {
      add('copy .wasm', wasmFilter(modules.copy.wasm, 'sysdig_to_ecs'), interpRecords);
      add('replay .wasm ecs', wasmFilter(modules.replay.wasm, 'sysdig_to_ecs'), interpRecords);
      add('replay .wasm splunk', wasmFilter(modules.replay.wasm, 'sysdig_to_splunk'), interpRecords);
    }
    if (isRuntime || interpAll) {
      add('ours .wasm ecs', wasmFilter(modules.ours.wasm, 'sysdig_to_ecs'), interpRecords);
      add('ours .wasm splunk', wasmFilter(modules.ours.wasm, 'sysdig_to_splunk'), interpRecords);
    }
    if ((isRuntime || interpAll) && modules.baseline) {
      if (modules.baseline.aot) add('baseline .aot ecs', wasmFilter(modules.baseline.aot, 'sysdig_to_ecs'));
      add('baseline .wasm ecs', wasmFilter(modules.baseline.wasm, 'sysdig_to_ecs'), interpRecords);
      add('baseline .wasm splunk', wasmFilter(modules.baseline.wasm, 'sysdig_to_splunk'), interpRecords);
    }
    if (isRuntime && phases) {
      for (const phase of PHASES) {
        add(`phase ${phase} .wasm`, wasmFilter(modules[`phase_${phase}`].wasm, 'sysdig_to_ecs'), interpRecords);
      }
    }
  }
  if (only) {
    const re = new RegExp(only);
    for (let i = plan.length - 1; i >= 0; i--) if (plan[i].label !== 'none' && !re.test(plan[i].label)) plan.splice(i, 1);
  }

  log(`stdin input → filter → null output, ${records} records per run ` +
    `(${interpRecords} for interpreted .wasm) minus a run with none, median of ${repeat} runs.`);
  const results = new Map();
  for (let r = 0; r < repeat; r++) {
    for (const item of plan) {
      const key = `${item.family}\t${item.label}`;
      const m = await runOnce(fluentBit, work, item);
      if (!results.has(key)) results.set(key, { ...item, runs: [] });
      results.get(key).runs.push(m);
    }
  }

  const rows = [];
  const summary = {};
  for (const res of results.values()) {
    const rate = median(res.runs.map((m) => m.rate).sort((a, b) => a - b));
    const cpu = median(res.runs.map((m) => m.cpuPerRecord).sort((a, b) => a - b));
    (summary[res.family] ??= {})[res.label] = { rate, cpu };
  }
  for (const [family, subjects] of Object.entries(summary)) {
    const base = subjects.none;
    for (const [label, { rate, cpu }] of Object.entries(subjects)) {
      const net = cpu - base.cpu;
      rows.push([
        family, label, fmtRate(rate), (cpu * 1e6).toFixed(2),
        label === 'none' ? '' : (net * 1e6).toFixed(2),
        subjects['copy .aot'] && label !== 'none' ? fmtRatio(rate / subjects['copy .aot'].rate) : '',
      ]);
    }
  }
  log('');
  printTable(['family', 'filter', 'rec/s', 'CPU µs/rec', 'minus none', 'rec/s ÷ copy .aot'], rows, log);

  // The targets, on the runtime policy sample (absent when --family left it out).
  const rt = summary['runtime-policy-event'] ?? {};
  const targets = [];
  const ours = rt['ours .aot ecs'];
  if (ours && rt['copy .aot']) {
    const ratio = ours.rate / rt['copy .aot'].rate;
    targets.push(`Fluent Bit, .aot ecs: ours/copy floor rec/s = ${ratio.toFixed(2)} (target ≥ 0.50) ${ratio >= 0.5 ? 'MET' : 'NOT MET'}`);
  }
  if (ours && rt.lua) {
    const ratio = ours.rate / rt.lua.rate;
    const netRatio = (rt.lua.cpu - rt.none.cpu) / (ours.cpu - rt.none.cpu);
    targets.push(`Fluent Bit, .aot ecs vs Lua: rec/s ${ratio.toFixed(2)}× (target ≥ 3) ${ratio >= 3 ? 'MET' : 'NOT MET'}; ` +
      `filter CPU per record (minus no filter) Lua/ours = ${netRatio.toFixed(2)}×`);
  }
  for (const target of ['ecs', 'splunk']) {
    const o = rt[`ours .aot ${target}`];
    const replay = rt[`replay .aot ${target}`];
    if (!o || !replay) continue;
    targets.push(`Fluent Bit, .aot ${target}: of ours' ${((o.cpu - rt.none.cpu) * 1e6).toFixed(1)} µs filter CPU per record, ` +
      `${((replay.cpu - rt.none.cpu) * 1e6).toFixed(1)} µs is Fluent Bit's wasm filter around a module with the same input and output ` +
      `(replay), ${((o.cpu - replay.cpu) * 1e6).toFixed(1)} µs is inside our module`);
  }
  const wasm = rt['ours .wasm ecs'];
  if (wasm && rt['copy .wasm']) {
    targets.push(`Fluent Bit, interpreted .wasm ecs: ours/copy floor rec/s = ${(wasm.rate / rt['copy .wasm'].rate).toFixed(2)} (no target)`);
  }
  for (const target of ['ecs', 'splunk']) {
    const w = rt[`ours .wasm ${target}`];
    if (w && rt.lua) {
      const ratio = w.rate / rt.lua.rate;
      targets.push(`Fluent Bit, interpreted .wasm ${target} vs Lua: rec/s ${ratio.toFixed(2)}× (target ≥ 0.5, stretch ≥ 1) ` +
        `${ratio >= 0.5 ? 'MET' : 'NOT MET'}; filter CPU per record (minus no filter) Lua/ours = ` +
        `${((rt.lua.cpu - rt.none.cpu) / (w.cpu - rt.none.cpu)).toFixed(2)}×`);
    }
    const rw = rt[`replay .wasm ${target}`];
    if (w && rw) {
      targets.push(`Fluent Bit, interpreted .wasm ${target}: of ours' ${((w.cpu - rt.none.cpu) * 1e6).toFixed(1)} µs filter CPU per record, ` +
        `${((rw.cpu - rt.none.cpu) * 1e6).toFixed(1)} µs is Fluent Bit's wasm filter around an interpreted module with the same ` +
        `input and output (replay), ${((w.cpu - rw.cpu) * 1e6).toFixed(1)} µs is inside our module`);
    }
  }
  const phaseRows = [];
  let prev = rt['replay .wasm ecs'];
  for (const phase of PHASES) {
    const p = rt[`phase ${phase} .wasm`];
    if (!p || !prev) break;
    phaseRows.push(`${phase} ${((p.cpu - prev.cpu) * 1e6).toFixed(1)} µs`);
    prev = p;
  }
  if (phaseRows.length) {
    targets.push(`Fluent Bit, interpreted .wasm ecs, time inside the module by phase (each phase minus the one before, ` +
      `the first minus replay): ${phaseRows.join(', ')}`);
  }
  return { summary, targets };
}

/**
 * The replay module: returns our own output for the runtime policy sample,
 * fixed, without reading the record. Fluent Bit does the same work around it
 * as around ours (the same record in, a document of the same size out), so
 * ours minus replay is the time spent inside our module.
 */
async function buildReplay({ wasmPath, root, work }) {
  const ours = await loadFilter(wasmPath);
  const record = samples.find((s) => s.name === 'runtime-policy-event').text.trim();
  const time = { sec: Math.floor(Date.now() / 1000), nsec: 0 };
  const bytesOf = (fn) => {
    const r = ours.call(fn, record, time);
    if (r.status !== 'ok') throw new Error(`${fn} on the runtime policy sample: ${r.error}`);
    return [...new TextEncoder().encode(r.output), 0].join(',');
  };
  const ecsBytes = bytesOf('sysdig_to_ecs');
  const source = join(work, 'replay.ts');
  const out = join(work, 'replay.wasm');
  const asm = relative(work, join(root, 'assembly')).split('\\').join('/');
  writeFileSync(source, `// Generated by host-test/bench/fluent-bit-mode.mjs: see buildReplay there.
// The normalizer's allocator, so that Fluent Bit copies records in the same way.
export { malloc, free } from "${asm}/io/host_alloc";
const ECS = memory.data<u8>([${ecsBytes}]);
const HEC = memory.data<u8>([${bytesOf('sysdig_to_splunk')}]);
export function sysdig_to_ecs(tagPtr: usize, tagLen: i32, sec: u32, nsec: u32, recPtr: usize, recLen: i32): usize {
  __collect();
  return ECS;
}
export function sysdig_to_splunk(tagPtr: usize, tagLen: i32, sec: u32, nsec: u32, recPtr: usize, recLen: i32): usize {
  __collect();
  return HEC;
}
`);
  const { error } = await asc.main(
    [source, '--config', join(root, 'asconfig.json'), '--target', 'release', '--outFile', out, '--textFile', join(work, 'replay.wat')],
    { stdout: process.stderr, stderr: process.stderr },
  );
  if (error) throw error;
  return { path: out, ecsBytes };
}

function wasmFilter(path, fn) {
  return { name: 'wasm', wasm_path: path, function_name: fn, accessible_paths: '.' };
}

/** Records/s and CPU seconds per record of one configuration. CPU: a run
 *  with `records` records minus a run with none, which takes out start-up
 *  (module loading, AOT relocation) and shutdown. Rate: see feed(). */
async function runOnce(fluentBit, work, item) {
  const empty = await runRecords(fluentBit, work, { ...item, records: 0 });
  const full = await runRecords(fluentBit, work, item);
  return { rate: full.rate, cpuPerRecord: (full.cpu - empty.cpu) / item.records };
}

/** Streams `records` copies of the record into Fluent Bit's stdin input,
 *  which makes Fluent Bit exit at end of input; returns the rate measured
 *  while feeding and the CPU seconds of all its threads (the shell's cutime
 *  and cstime after waiting for it). */
async function runRecords(fluentBit, work, { family, label, filter, records, record }) {
  const config = join(work, 'bench.yaml');
  writeFileSync(config, configText({ filter }));
  const child = spawn('sh', ['-c', '"$0" -c "$1" 2>"$2"; s=$?; cat /proc/$$/stat; exit $s',
    fluentBit, config, join(work, 'stderr.txt')], { stdio: ['pipe', 'pipe', 'inherit'] });
  let stdout = '';
  child.stdout.on('data', (d) => { stdout += d; });
  const exited = new Promise((resolve) => child.on('exit', (code) => resolve(code)));
  child.stdin.on('error', () => {}); // reported below from the exit status
  const timer = setTimeout(() => child.kill('SIGKILL'), RUN_TIMEOUT_MS);
  const rate = await feed(child.stdin, record, records);
  const code = await exited;
  clearTimeout(timer);
  const stderr = readFileSync(join(work, 'stderr.txt'), 'utf8');
  if (code !== 0 || /\[\s*error\]/.test(stderr)) {
    throw new Error(`Fluent Bit run ${family} / ${label} (${records} records): exit ${code}\n${stderr.slice(-2000)}`);
  }
  const stat = stdout.trim().split('\n').pop().split(' ');
  const cpu = (Number(stat[15]) + Number(stat[16])) / CLOCK_TICKS;
  return { rate, cpu };
}

/**
 * Writes `n` lines of `record` in blocks, minding back-pressure, and returns
 * records per second. The input reads, parses and filters one read at a
 * time, and a block is far larger than the pipe's buffer, so the first block
 * drains once Fluent Bit is up and through it, and the last write finishes
 * when at most a pipe buffer (64 KiB) is left unread: the time between the
 * two is the time to process the records in between.
 */
async function feed(stream, record, n) {
  const line = `${record}\n`;
  const block = Buffer.from(line.repeat(BLOCK_RECORDS));
  let start = null;
  for (let left = n; left > 0; left -= BLOCK_RECORDS) {
    const chunk = left >= BLOCK_RECORDS ? block : Buffer.from(line.repeat(left));
    if (!stream.write(chunk)) await new Promise((resolve) => stream.once('drain', resolve));
    start ??= performance.now();
  }
  await new Promise((resolve) => stream.end(resolve));
  if (start === null) return 0;
  return (n - BLOCK_RECORDS) / ((performance.now() - start) / 1000);
}

function configText({ filter }) {
  const filterBlock = filter
    ? `  filters:\n    - ${Object.entries(filter).map(([k, v]) => `${k}: ${v}`).join('\n      ')}\n      match: '*'\n`
    : '';
  return `service:
  flush: 1
  grace: 0
  log_level: warn
pipeline:
  inputs:
    - name: stdin
      tag: sysdig
${filterBlock}  outputs:
    - name: null
      match: '*'
`;
}
