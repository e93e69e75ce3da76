// Fluent Bit mode: a fixed number of records through a real Fluent Bit,
// dummy input → filter → null output, once per filter configuration:
//   none        no filter (what Fluent Bit itself spends per record)
//   copy        the copy floor module, interpreted (.wasm) and AOT (.aot)
//   ours        the normalizer, interpreted (.wasm) and AOT (.aot)
//   lua         runtime_policy.lua, the same mapping as a Lua filter
// The dummy input re-packs its JSON record and appends `copies` records per
// tick; filters run on each append, the wasm filter once per record. Progress
// is read from the HTTP server's input record count (counted just before the
// filters run on a batch), CPU from /proc/<pid>/task/*/schedstat (ns, all
// threads). Both are taken from the first record seen to the last, so
// start-up (loading, AOT relocation) is left out.

import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

import asc from 'assemblyscript/asc';

import { loadFilter } from '../host.mjs';
import { samples } from '../test/samples.mjs';
import { median, printTable, fmtRate, fmtRatio } from './measure.mjs';

const COPIES = 200; // records per dummy tick
const POLL_MS = 5;
const RUN_TIMEOUT_MS = 120_000;

/** Finds fluent-bit and flb-wamrc; says why when they are missing. */
export function findFluentBit() {
  const fluentBit = process.env.FLUENT_BIT_BIN || onPath('fluent-bit');
  if (!fluentBit || !existsSync(fluentBit)) {
    return { fluentBit: null, reason: process.env.FLUENT_BIT_BIN
      ? `FLUENT_BIT_BIN=${process.env.FLUENT_BIT_BIN} does not exist`
      : 'no fluent-bit on PATH and FLUENT_BIT_BIN is not set' };
  }
  const beside = join(dirname(fluentBit), 'flb-wamrc');
  const wamrc = process.env.FLB_WAMRC_BIN || (existsSync(beside) ? beside : onPath('flb-wamrc'));
  return { fluentBit, wamrc: wamrc && existsSync(wamrc) ? wamrc : null };
}

function onPath(name) {
  const r = spawnSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : null;
}

export async function runFluentBitMode({ fluentBit, wamrc, wasmPath, copyPath, root, records, repeat, families, log }) {
  const version = spawnSync(fluentBit, ['--version'], { encoding: 'utf8' }).stdout.split('\n')[0];
  log(`${version} (${fluentBit})`);
  const work = join(root, 'build/bench/fluent-bit');
  mkdirSync(work, { recursive: true });

  const modules = {
    ours: { wasm: wasmPath },
    copy: { wasm: copyPath },
    replay: { wasm: await buildReplay({ wasmPath, root, work }) },
  };
  if (wamrc) {
    for (const [name, m] of Object.entries(modules)) {
      m.aot = join(work, `${name}.aot`);
      const r = spawnSync(wamrc, ['-o', m.aot, m.wasm], { encoding: 'utf8' });
      if (r.status !== 0) throw new Error(`flb-wamrc failed on ${m.wasm}:\n${r.stdout}${r.stderr}`);
    }
  } else {
    const msg = 'flb-wamrc not found (FLB_WAMRC_BIN, beside fluent-bit, PATH): .aot runs SKIPPED';
    log(`\n${'!'.repeat(msg.length)}\n${msg}\n${'!'.repeat(msg.length)}`);
  }
  const lua = join(root, 'host-test/bench/runtime_policy.lua');

  // Interpreted wasm is an order of magnitude slower: fewer records keep the
  // run short, and the rates stay comparable.
  const interpRecords = Math.max(COPIES * 10, Math.round(records / 5));
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
    if (isRuntime && modules.replay.aot) {
      add('replay .aot ecs', wasmFilter(modules.replay.aot, 'sysdig_to_ecs'));
      add('replay .aot splunk', wasmFilter(modules.replay.aot, 'sysdig_to_splunk'));
    }
    if (isRuntime) {
      add('copy .wasm', wasmFilter(modules.copy.wasm, 'sysdig_to_ecs'), interpRecords);
      add('ours .wasm ecs', wasmFilter(modules.ours.wasm, 'sysdig_to_ecs'), interpRecords);
    }
  }

  log(`dummy input, ${COPIES} copies per tick, ${records} records per run ` +
    `(${interpRecords} for interpreted .wasm), median of ${repeat} runs; null output.`);
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

  // The targets, on the runtime policy sample.
  const rt = summary['runtime-policy-event'];
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
  const source = join(work, 'replay.ts');
  const out = join(work, 'replay.wasm');
  writeFileSync(source, `// Generated by host-test/bench/fluent-bit-mode.mjs: see buildReplay there.
const ECS = memory.data<u8>([${bytesOf('sysdig_to_ecs')}]);
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
  return out;
}

function wasmFilter(path, fn) {
  return { name: 'wasm', wasm_path: path, function_name: fn, accessible_paths: '.' };
}

/** One Fluent Bit run; returns records/s and CPU seconds per record. When
 *  most records went through before the HTTP server answered the first
 *  time, there is too little left to time: it runs again with more. */
async function runOnce(fluentBit, work, item) {
  let records = item.records;
  for (;;) {
    const m = await runRecords(fluentBit, work, { ...item, records });
    if (m) return m;
    records *= 4;
  }
}

async function runRecords(fluentBit, work, { family, label, filter, records, record }) {
  const port = await freePort();
  const config = join(work, 'bench.yaml');
  writeFileSync(config, configText({ port, filter, samples: Math.ceil(records / COPIES) }));
  const child = spawn(fluentBit, ['-c', config], {
    env: { ...process.env, SYSDIG_BENCH_RECORD: record },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (d) => { stderr += d; });
  const exited = new Promise((resolve) => child.on('exit', resolve));
  const deadline = Date.now() + RUN_TIMEOUT_MS;
  const fail = (why) => {
    child.kill('SIGKILL');
    throw new Error(`Fluent Bit run ${family} / ${label}: ${why}\n${stderr.slice(-2000)}`);
  };
  try {
    let start = null;
    let end = null;
    while (!end) {
      if (child.exitCode !== null) fail(`exited with ${child.exitCode}`);
      if (Date.now() > deadline) fail('timed out');
      await sleep(POLL_MS);
      const m = await metrics(port);
      if (!m) continue;
      const n = m.input;
      const at = { t: performance.now(), n, cpu: cpuSeconds(child.pid) };
      if (!start && n > 0) {
        if (n > records / 4) return null;
        start = at;
      } else if (start && n >= records) end = at;
    }
    // Let the last batches through the filter and the output, then check
    // that nothing was dropped.
    let m;
    for (let i = 0; i < 200; i++) {
      m = await metrics(port);
      if (m && m.output >= m.input) break;
      await sleep(10);
    }
    if (!m || m.output < records || m.dropped > 0) {
      fail(`records in ${m?.input}, out ${m?.output}, dropped by filter ${m?.dropped}`);
    }
    if (/\[\s*error\]/.test(stderr)) fail('errors logged');
    const n = end.n - start.n;
    return { rate: n / ((end.t - start.t) / 1000), cpuPerRecord: (end.cpu - start.cpu) / n };
  } finally {
    child.kill('SIGKILL');
    await exited;
  }
}

function configText({ port, filter, samples }) {
  const filterBlock = filter
    ? `  filters:\n    - ${Object.entries(filter).map(([k, v]) => `${k}: ${v}`).join('\n      ')}\n      match: '*'\n`
    : '';
  return `service:
  flush: 0.05
  grace: 0
  log_level: warn
  http_server: on
  http_listen: 127.0.0.1
  http_port: ${port}
pipeline:
  inputs:
    - name: dummy
      tag: sysdig
      dummy: \${SYSDIG_BENCH_RECORD}
      copies: ${COPIES}
      samples: ${samples}
      interval_sec: 0
      interval_nsec: 100000
${filterBlock}  outputs:
    - name: null
      match: '*'
`;
}

/** Input, output and dropped record counts, or null while the server is not up. */
async function metrics(port) {
  try {
    const res = await fetch(`http://127.0.0.1:${port}/api/v1/metrics`);
    const j = await res.json();
    const sum = (o, k) => Object.values(o ?? {}).reduce((a, v) => a + (v[k] ?? 0), 0);
    return {
      input: sum(j.input, 'records'),
      output: sum(j.output, 'proc_records'),
      dropped: sum(j.filter, 'drop_records'),
    };
  } catch {
    return null;
  }
}

/** CPU time of every thread of `pid`, in seconds (schedstat is in ns). */
function cpuSeconds(pid) {
  let ns = 0;
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      ns += Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ')[0]);
    } catch {
      // The thread ended between the listing and the read.
    }
  }
  return ns / 1e9;
}

function freePort() {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
    srv.on('error', reject);
  });
}
