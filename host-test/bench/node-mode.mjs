// Node mode: every sample family through host-test/host.mjs, the stand-in
// for Fluent Bit's wasm filter host, beside two baselines on the same bytes:
//  - the copy floor (copy.ts): same ABI, same host path, only copies;
//  - JSON.parse + JSON.stringify in V8, what a JavaScript normalizer pays
//    at the least (on a string already decoded, so it is flattered).
// A second table times the exports alone, on a record already copied in,
// to split the module's own time from the host's; with --baseline, another
// build of the normalizer (say, main's) is timed there too, in the same
// interleaved batches, so a change is measured against what it changes.

import { dupData, loadFilter } from '../host.mjs';
import { samples } from '../test/samples.mjs';
import { measure, printTable, fmtRate, fmtMB, fmtRatio, fmtUs } from './measure.mjs';

export const TARGETS = { ecs: 'sysdig_to_ecs', splunk: 'sysdig_to_splunk' };
const TAG = new TextEncoder().encode('sysdig');
// A fixed record time, so every call does the same work.
const TIME = { sec: 1700000000, nsec: 123456789 };

export async function runNodeMode({ wasmPath, copyPath, rounds, families, log, baseline = null }) {
  const ours = await loadFilter(wasmPath);
  const floor = await loadFilter(copyPath);
  const base = baseline ? await loadFilter(baseline) : null;
  const chosen = samples.filter((s) => !families || families.includes(s.name));
  const hostRows = [];
  const kernelRows = [];
  const results = [];

  for (const { name, text } of chosen) {
    const bytes = new TextEncoder().encode(text.trim());
    const str = text.trim();
    for (const [target, fn] of Object.entries(TARGETS)) {
      const r = ours.call(fn, bytes, { tag: TAG, ...TIME });
      if (r.status !== 'ok') throw new Error(`${name} ${target}: ${r.status}: ${r.error}`);
    }
    const c = floor.call(TARGETS.ecs, bytes, { tag: TAG, ...TIME });
    if (c.status !== 'ok' || c.output !== str) throw new Error(`copy floor is broken on ${name}: ${c.error}`);

    const host = measure(
      [
        { name: 'ecs', fn: () => ours.call(TARGETS.ecs, bytes, { tag: TAG, ...TIME }) },
        { name: 'splunk', fn: () => ours.call(TARGETS.splunk, bytes, { tag: TAG, ...TIME }) },
        { name: 'copy', fn: () => floor.call(TARGETS.ecs, bytes, { tag: TAG, ...TIME }) },
        { name: 'json', fn: () => JSON.stringify(JSON.parse(str)) },
      ],
      { rounds },
    );
    const kernel = measure(
      [
        { name: 'ecs', fn: exportOnly(ours, TARGETS.ecs, bytes) },
        { name: 'splunk', fn: exportOnly(ours, TARGETS.splunk, bytes) },
        { name: 'copy', fn: exportOnly(floor, TARGETS.ecs, bytes) },
        ...(base ? [
          { name: 'base ecs', fn: exportOnly(base, TARGETS.ecs, bytes) },
          { name: 'base splunk', fn: exportOnly(base, TARGETS.splunk, bytes) },
        ] : []),
      ],
      { rounds },
    );

    const mb = (perSecond) => (perSecond * bytes.length) / 1e6;
    const copy = host.get('copy').perSecond;
    const json = host.get('json').perSecond;
    for (const target of Object.keys(TARGETS)) {
      const o = host.get(target).perSecond;
      results.push({ family: name, target, bytes: bytes.length, ours: o, copy, json });
      hostRows.push([
        name, bytes.length, target,
        fmtRate(o), fmtMB(mb(o)), fmtUs(1 / o),
        fmtRate(copy), fmtMB(mb(copy)),
        fmtRate(json), fmtMB(mb(json)),
        fmtRatio(o / copy), fmtRatio(o / json),
      ]);
      const k = kernel.get(target);
      const kc = kernel.get('copy');
      kernelRows.push([
        name, target,
        fmtRate(k.perSecond), fmtUs(k.secondsPerCall), fmtMB(mb(k.perSecond)),
        fmtRate(kc.perSecond), fmtUs(kc.secondsPerCall),
        fmtRatio(k.perSecond / kc.perSecond),
        fmtUs(host.get(target).secondsPerCall - k.secondsPerCall),
        ...(base ? [fmtUs(kernel.get(`base ${target}`).secondsPerCall),
          fmtRatio(kernel.get(`base ${target}`).secondsPerCall / k.secondsPerCall)] : []),
      ]);
    }
  }

  log('\nThrough the host (host-test/host.mjs: copy in with the module\'s malloc, call, copy the');
  log('NUL-terminated result out, free, check it is one JSON object), median of');
  log(`${rounds} interleaved batches. rec/s = records per second, MB/s = input megabytes per second.\n`);
  printTable(
    ['family', 'bytes', 'target', 'ours rec/s', 'MB/s', 'µs/rec', 'copy rec/s', 'MB/s', 'JSON rec/s', 'MB/s', 'ours/copy', 'ours/JSON'],
    hostRows, log,
  );
  log('\nThe exports alone (record already in linear memory, no host work):\n');
  if (base) log(`baseline: ${baseline} (base/ours: its time per record over ours; above 1×, ours is faster)\n`);
  printTable(
    ['family', 'target', 'ours rec/s', 'µs/rec', 'MB/s', 'copy rec/s', 'µs/rec', 'ours/copy', 'host µs/rec',
      ...(base ? ['base µs/rec', 'base/ours'] : [])],
    kernelRows, log,
  );
  return results;
}

/** A call of export `fn` on a record copied in once, as the host would. */
function exportOnly(filter, fn, bytes) {
  const { abi, instance } = filter;
  const memory = instance.exports.memory;
  const tagPtr = dupData(abi, memory, TAG);
  const recPtr = dupData(abi, memory, bytes);
  const f = abi[fn];
  return () => f(tagPtr, TAG.length, TIME.sec, TIME.nsec, recPtr, bytes.length);
}
