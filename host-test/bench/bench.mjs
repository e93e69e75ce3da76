#!/usr/bin/env node
// npm run bench [-- options]: how fast the normalizer is next to what it
// cannot beat (copying the bytes through the same host) and next to what the
// alternatives cost (V8's JSON round trip; a Lua filter in Fluent Bit).
// See BENCHMARKS.md for the method and the latest numbers.

import { mkdirSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import os from 'node:os';
import asc from 'assemblyscript/asc';

import { DEFAULT_WASM_PATH } from '../host.mjs';
import { runNodeMode } from './node-mode.mjs';
import { findFluentBit, runFluentBitMode } from './fluent-bit-mode.mjs';
import { findVector, runVectorMode } from './vector-mode.mjs';
import { runSoak } from './soak.mjs';
import { runReleasesMode } from './releases-mode.mjs';
import { findReleases } from '../e2e/releases.mjs';
import { runtimeSample } from '../test/samples.mjs';
import { PORTABLE_AOT_FLAGS } from '../aot.mjs';

const USAGE = `Usage: npm run bench -- [options]

  --fluent-bit        require the Fluent Bit mode (fail if no binary is found)
  --no-fluent-bit     skip the Fluent Bit mode
  --no-node           skip the Node mode
  --rounds N          timed batches per subject in the Node mode (default 9)
  --family NAME       only this sample family (repeatable)
  --records N         records per Fluent Bit run (default 200000)
  --repeat N          Fluent Bit runs per configuration, median kept (default 3)
  --vector            require the Vector mode (fail if no binary is found)
  --no-vector         skip the Vector mode
  --vector-records N  records per Vector run (default 20000)
  --phases            add the phase modules (time inside the interpreted module by phase)
  --interp-all        interpreted .wasm runs for every family, not only the runtime sample
  --only REGEX        only the Fluent Bit configurations whose label matches (none is kept)
  --baseline FILE     also run this other build of the normalizer (.wasm; an .aot is compiled
                      for Fluent Bit); the Node mode times its exports beside ours

  --releases          instead of the above: per webhook event (batches of --batch,
                      default here 10) on every installed Fluent Bit release
                      (PATH, /opt/fluent-bit-*/bin, or FLUENT_BIT_RELEASES),
                      interpreted, .aot (that release's flb-wamrc; see
                      releases-mode.mjs) and the Lua filter, in one run
  --soak              instead of the above: the soak through the default pipeline (see soak.mjs)
  --soak-records N    events to send (default 1000000)
  --senders N         concurrent senders (default 4)
  --batch N           events per POST (default 1, as Sysdig sends them)
  --max-seconds N     stop sending after N seconds whatever the count (default 3600)
  --aot               soak the .aot (portable flags, see npm run aot) instead of the .wasm

Fluent Bit is looked for in FLUENT_BIT_BIN, then as fluent-bit on PATH;
flb-wamrc in FLB_WAMRC_BIN, then on PATH, then next to fluent-bit.`;

const root = fileURLToPath(new URL('../../', import.meta.url));
const copyPath = `${root}build/bench/copy.wasm`;

async function main() {
  const { values } = parseArgs({
    options: {
      'fluent-bit': { type: 'boolean' },
      'no-fluent-bit': { type: 'boolean' },
      'no-node': { type: 'boolean' },
      rounds: { type: 'string', default: '9' },
      family: { type: 'string', multiple: true },
      records: { type: 'string', default: '200000' },
      repeat: { type: 'string', default: '3' },
      vector: { type: 'boolean' },
      'no-vector': { type: 'boolean' },
      'vector-records': { type: 'string', default: '20000' },
      phases: { type: 'boolean' },
      'interp-all': { type: 'boolean' },
      only: { type: 'string' },
      baseline: { type: 'string' },
      soak: { type: 'boolean' },
      releases: { type: 'boolean' },
      'soak-records': { type: 'string', default: '1000000' },
      senders: { type: 'string', default: '4' },
      batch: { type: 'string', default: '1' },
      'max-seconds': { type: 'string', default: '3600' },
      aot: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) return console.log(USAGE);
  const log = console.log;
  if (values.soak) return soak(values, log);
  if (values.releases) {
    const releases = findReleases();
    log(`sysdig-normalizer bench --releases, ${new Date().toISOString()}`);
    log(`machine: ${os.cpus()[0]?.model ?? 'unknown CPU'}, ${os.availableParallelism()} CPUs, load average ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`);
    if (releases.length === 0) throw new Error('--releases: no Fluent Bit found (PATH, /opt/fluent-bit-*/bin, FLUENT_BIT_RELEASES)');
    return runReleasesMode({
      releases, wasmPath: DEFAULT_WASM_PATH, record: runtimeSample, root,
      lua: `${root}host-test/bench/runtime_policy.lua`,
      batch: values.batch === '1' ? 10 : Number(values.batch), baseline: values.baseline ?? null, log,
    });
  }

  await buildCopyFloor();
  log(`sysdig-normalizer bench, ${new Date().toISOString()}`);
  log(`machine: ${os.cpus()[0]?.model ?? 'unknown CPU'}, ${os.availableParallelism()} CPUs, ` +
    `Node ${process.version}, ${os.platform()} ${os.release()}`);

  let nodeResults = null;
  if (!values['no-node']) {
    log('\n=== Node mode ===');
    nodeResults = await runNodeMode({
      wasmPath: DEFAULT_WASM_PATH, copyPath, rounds: Number(values.rounds), families: values.family, log,
      baseline: values.baseline && values.baseline.endsWith('.wasm') ? values.baseline : null,
    });
  }

  let fbResults = null;
  if (!values['no-fluent-bit']) {
    const fb = findFluentBit();
    if (!fb.fluentBit) {
      const msg = `Fluent Bit mode SKIPPED: ${fb.reason}. Set FLUENT_BIT_BIN to run it.`;
      if (values['fluent-bit']) throw new Error(msg);
      log(`\n${'!'.repeat(msg.length)}\n${msg}\n${'!'.repeat(msg.length)}`);
    } else {
      log('\n=== Fluent Bit mode ===');
      fbResults = await runFluentBitMode({
        ...fb, wasmPath: DEFAULT_WASM_PATH, copyPath, root,
        records: Number(values.records), repeat: Number(values.repeat), families: values.family, log,
        phases: values.phases, interpAll: values['interp-all'], only: values.only, baseline: values.baseline,
      });
    }
  }
  let vectorResults = null;
  if (!values['no-vector']) {
    const v = findVector();
    if (!v.vector) {
      const msg = `Vector mode SKIPPED: ${v.reason}. Set VECTOR_BIN to run it.`;
      if (values.vector) throw new Error(msg);
      log(`\n${'!'.repeat(msg.length)}\n${msg}\n${'!'.repeat(msg.length)}`);
    } else {
      log('\n=== Vector mode ===');
      vectorResults = await runVectorMode({
        vector: v.vector, root, records: Number(values['vector-records']), repeat: Number(values.repeat),
        families: values.family, log,
      });
    }
  }
  summarize(nodeResults, fbResults, log, vectorResults);
}

async function soak(values, log) {
  const fb = findFluentBit();
  if (!fb.fluentBit) throw new Error(`soak: ${fb.reason}. Set FLUENT_BIT_BIN to run it.`);
  let modulePath = DEFAULT_WASM_PATH;
  if (values.aot) {
    if (!fb.wamrc) throw new Error('soak --aot: flb-wamrc not found (FLB_WAMRC_BIN, PATH, beside fluent-bit)');
    mkdirSync(`${root}build/bench`, { recursive: true });
    modulePath = `${root}build/bench/soak.aot`;
    const r = spawnSync(fb.wamrc, [...PORTABLE_AOT_FLAGS, '-o', modulePath, DEFAULT_WASM_PATH], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`flb-wamrc failed:\n${r.stdout}${r.stderr}`);
  }
  log(`sysdig-normalizer soak, ${new Date().toISOString()}`);
  log(`machine: ${os.cpus()[0]?.model ?? 'unknown CPU'}, ${os.availableParallelism()} CPUs, load average ` +
    `${os.loadavg().map((l) => l.toFixed(2)).join(' ')}; ${spawnSync(fb.fluentBit, ['--version'], { encoding: 'utf8' }).stdout.split('\n')[0]}`);
  const result = await runSoak({
    fluentBit: fb.fluentBit, modulePath, records: Number(values['soak-records']), senders: Number(values.senders),
    batch: Number(values.batch), maxSeconds: Number(values['max-seconds']), log,
  });
  if (!result.ok) process.exitCode = 1;
}

/** Builds copy.ts with the normalizer's own release options. */
async function buildCopyFloor() {
  mkdirSync(`${root}build/bench`, { recursive: true });
  const { error } = await asc.main(
    [
      `${root}host-test/bench/copy.ts`, '--config', `${root}asconfig.json`, '--target', 'release',
      '--outFile', copyPath, '--textFile', `${root}build/bench/copy.wat`,
    ],
    { stdout: process.stderr, stderr: process.stderr },
  );
  if (error) throw error;
}

/** The targets, checked on the runtime policy sample. */
function summarize(node, fb, log, vector = null) {
  const lines = [];
  const runtime = node?.filter((r) => r.family === 'runtime-policy-event') ?? [];
  for (const r of runtime) {
    const ratio = r.ours / r.copy;
    lines.push(`Node, ${r.target}: ours/copy floor = ${ratio.toFixed(2)} (target ≥ 0.50) ${ratio >= 0.5 ? 'MET' : 'NOT MET'}`);
  }
  if (fb) {
    for (const t of fb.targets) lines.push(t);
  }
  if (vector) {
    for (const t of vector.targets) lines.push(t);
  }
  if (lines.length === 0) return;
  log('\n=== Targets (runtime policy sample) ===');
  for (const l of lines) log(l);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
