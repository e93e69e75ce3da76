// A million calls through the host, as Fluent Bit would make them over a
// long run: linear memory must stop growing once every kind of input has
// been seen, including after a burst of malformed records (the known way an
// AssemblyScript module leaks or traps under WAMR is an exception path that
// skips freeing, or a shadow stack that is not unwound).

import { beforeAll, expect, test } from 'vitest';
import { loadFilter } from '../host.mjs';
import { falcoSample as falco, samples } from './samples.mjs';

const FNS = ['sysdig_to_ecs', 'sysdig_to_splunk', 'sysdig_to_cef', 'sysdig_to_leef'];
const OPTS = { tag: 'sysdig', sec: 1700000000, nsec: 500000000 };
const NORMAL_CALLS = 400_000; // twice: before and after the burst
const BURST_CALLS = 200_000;
const WARM_UP_CALLS = 4096;

const runtime = samples.find((s) => s.name === 'runtime-policy-event').text;
const malformed = [
  runtime.slice(0, 700), // truncated
  runtime.replace('"Write below etc"', '"Write \\ud800 below etc"'), // lone surrogate
  Buffer.concat([Buffer.from(runtime.slice(0, 400)), Buffer.from([0xff, 0xc0]), Buffer.from(runtime.slice(400))]),
  runtime.replace(/}\s*$/, ',"n":1e400,"m":-123456789012345678901234567890}'),
  runtime.replace(/}\s*$/, ',"timestamp":2}'), // duplicate key
  runtime.replace(/}\s*$/, `,"deep":${'['.repeat(2000)}${']'.repeat(2000)}}`),
  `{"a":${'{"a":'.repeat(500)}`, // unbalanced
  '', 'null', '[1,2,3]', 'not json at all', '{"log":"{\\"content\\":{}}"}', Buffer.from([0xef, 0xbb, 0xbf, 0x7b, 0x7d]),
  // Falco alerts with a broken time, an unknown priority, a wrong-typed output_fields
  falco.replace(/"time":"[^"]*"/, '"time":"2023-02-30T25:61:61.1234567890123Z"'),
  falco.replace('"priority":"Critical"', '"priority":"Sev1"'),
  falco.replace(/"output_fields":\s*\{[^}]*\}/, '"output_fields":[null,{"a":1}]'),
];

let filter;
beforeAll(async () => {
  filter = await loadFilter();
});

function run(inputs, calls) {
  let traps = 0;
  let notKept = 0;
  for (let i = 0; i < calls; i++) {
    const result = filter.call(FNS[i & 3], inputs[(i >> 2) % inputs.length], OPTS);
    if (result.status === 'trap') traps++;
    else if (result.status !== 'ok') notKept++;
  }
  return { traps, notKept };
}

test(
  `linear memory is flat over ${2 * NORMAL_CALLS + BURST_CALLS} calls, a malformed burst included`,
  () => {
    const texts = samples.map((s) => s.text);
    const start = filter.memoryBytes();
    // Warm-up: every input kind once in each target, so buffers reach their size,
    // then long enough that the collector (every 256 calls or 1 MiB of the
    // host's copies, io/collect.ts) has run several times on each mix: with
    // samples of up to 5 KB the heap's high-water mark is set between
    // collections, not by the first few calls.
    run([...texts, ...malformed], 8 * (texts.length + malformed.length));
    run(texts, WARM_UP_CALLS);
    run(malformed, WARM_UP_CALLS);
    const warm = filter.memoryBytes();
    const before = run(texts, NORMAL_CALLS);
    const afterNormal = filter.memoryBytes();
    const burst = run(malformed, BURST_CALLS);
    const afterBurst = filter.memoryBytes();
    const after = run(texts, NORMAL_CALLS);
    const end = filter.memoryBytes();
    console.log(
      `linear memory: start ${start} B, after warm-up ${warm} B, after ${NORMAL_CALLS} calls ${afterNormal} B, ` +
        `after ${BURST_CALLS} malformed ${afterBurst} B, after ${NORMAL_CALLS} more ${end} B`,
    );
    expect([before, burst, after]).toEqual([
      { traps: 0, notKept: 0 },
      { traps: 0, notKept: 0 },
      { traps: 0, notKept: 0 },
    ]);
    expect({ afterNormal, afterBurst, end }).toEqual({ afterNormal: warm, afterBurst: warm, end: warm });
  },
  900_000,
);
