import { describe, it, expect, beforeAll } from 'vitest';
import fc from 'fast-check';
import { loadFilter, findDuplicateKeys, parseExact } from '../host.mjs';

import { samples, runtimeSample } from './samples.mjs';
import { checkSyslogRecord } from './syslog-lines.mjs';
import { expectOnlyInputDuplicates } from './keeps.mjs';

const FNS = ['sysdig_to_ecs', 'sysdig_to_splunk', 'sysdig_to_cef', 'sysdig_to_leef'];
const SYSLOG_TARGETS = { sysdig_to_cef: 'cef', sysdig_to_leef: 'leef' };
const PARAMS = { seed: 42, numRuns: 300 };
const OPTS = { tag: 'sysdig', sec: 1700000000, nsec: 123456789 };

let filter;
beforeAll(async () => {
  filter = await loadFilter();
});

// Throws (so fast-check reports the counterexample) unless every filter
// function keeps the record as exactly one JSON object without duplicate keys
// of its own.
function assertInvariants(record) {
  for (const fn of FNS) {
    const res = filter.call(fn, record, OPTS);
    const where = `${fn}: status=${res.status} error=${res.error}`;
    if (res.status !== 'ok') throw new Error(where);
    const parsed = JSON.parse(res.output);
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed))
      throw new Error(`${fn}: output is not one JSON object: ${res.output.slice(0, 200)}`);
    if (SYSLOG_TARGETS[fn]) {
      const dups = findDuplicateKeys(res.output);
      if (dups.length) throw new Error(`${fn}: duplicate keys ${dups.join(', ')}`);
      // CEF and LEEF records: the line must also pass the strict reader.
      checkSyslogRecord(res, SYSLOG_TARGETS[fn]);
    } else {
      // Splunk gets the payload as it came, so the input's own duplicate keys
      // (and only those) may be in its event.
      expectOnlyInputDuplicates(record, res, fn === 'sysdig_to_ecs' ? 'ecs' : 'splunk');
    }
  }
  return true;
}

describe('invariants on arbitrary input', () => {
  it('(a) arbitrary strings', () => {
    fc.assert(fc.property(fc.string({ unit: 'binary', maxLength: 300 }), assertInvariants), PARAMS);
  });
  it('(a) arbitrary bytes', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 300 }), assertInvariants), PARAMS);
  });
  it('(b) fc.json() values', () => {
    fc.assert(fc.property(fc.json(), assertInvariants), PARAMS);
  });
  it('(b) fc.object() serialized', () => {
    fc.assert(
      fc.property(fc.object(), (o) => {
        const text = JSON.stringify(o);
        return text === undefined ? true : assertInvariants(text);
      }),
      PARAMS,
    );
  });
});

const PRIMITIVE_VALUE = /:\s*("(?:[^"\\]|\\.)*"|-?\d[\d.eE+-]*|true|false|null)/g;

// Samples whose own keys repeat (hostscanning-repaired, as Sysdig documents
// it) are left out: Splunk keeps an input's duplicates by design, and the
// adversarial and fuzz suites check them with expectOnlyInputDuplicates.
const uniqueKeySamples = samples.filter((s) => findDuplicateKeys(s.text).length === 0);

const mutation = fc.constantFrom(...uniqueKeySamples.map((s) => s.text)).chain((text) =>
  fc.oneof(
    // delete a slice
    fc
      .tuple(fc.nat({ max: text.length }), fc.nat({ max: 64 }))
      .map(([start, len]) => text.slice(0, start) + text.slice(start + len)),
    // insert random characters at a random position
    fc
      .tuple(fc.nat({ max: text.length }), fc.string({ unit: 'binary', minLength: 1, maxLength: 8 }))
      .map(([pos, ins]) => text.slice(0, pos) + ins + text.slice(pos)),
    // insert JSON-ish syntax characters
    fc
      .tuple(fc.nat({ max: text.length }), fc.stringMatching(/^[{}\[\]",:0-9\\e.+-]{1,6}$/))
      .map(([pos, ins]) => text.slice(0, pos) + ins + text.slice(pos)),
    // replace a primitive value with a random JSON value
    fc.tuple(fc.nat(), fc.json()).map(([n, json]) => {
      const matches = [...text.matchAll(PRIMITIVE_VALUE)];
      if (matches.length === 0) return text;
      const m = matches[n % matches.length];
      const valueStart = m.index + m[0].length - m[1].length;
      return text.slice(0, valueStart) + json + text.slice(valueStart + m[1].length);
    }),
  ),
);

describe('invariants on mutated samples', () => {
  it('(c) mutated sample text', () => {
    fc.assert(fc.property(mutation, assertInvariants), PARAMS);
  });
});

describe('(d) exactness on the runtime sample', () => {
  it('ECS keeps nanoseconds and raw digits', () => {
    const res = filter.call('sysdig_to_ecs', runtimeSample, OPTS);
    expect(res.status, res.error).toBe('ok');
    expect(res.output).toContain('"@timestamp":"2020-11-25T16:49:08.648718268Z"');
    expect(res.output).toContain('1606322948648718268');
    expect(parseExact(res.output).sysdig.timestamp).toBe(1606322948648718268n);
  });
  it('Splunk time is exact', () => {
    const res = filter.call('sysdig_to_splunk', runtimeSample, OPTS);
    expect(res.status, res.error).toBe('ok');
    expect(res.record.time).toBe('1606322948.648718268');
  });
});

// BigInt reference: unit by digit count; null when out of Date range.
const MAX_SECONDS = 253402300799n;
function referenceTimestamp(n) {
  const digits = n.toString();
  const d = digits.length;
  const k = d <= 10 ? 0 : d <= 13 ? 3 : d <= 16 ? 6 : 9;
  const secs = n / 10n ** BigInt(k);
  if (secs > MAX_SECONDS) return null;
  const base = new Date(Number(secs) * 1000).toISOString().slice(0, 19);
  const frac = k === 0 ? '' : '.' + digits.slice(d - k);
  return `${base}${frac}Z`;
}

describe('(e) generated timestamps', () => {
  it('reference self-check', () => {
    expect(referenceTimestamp(1606322948648718268n)).toBe('2020-11-25T16:49:08.648718268Z');
    expect(referenceTimestamp(0n)).toBe('1970-01-01T00:00:00Z');
  });
  it('@timestamp matches the BigInt reference or is tagged', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: 9223372036854775807n }), (n) => {
        const res = filter.call('sysdig_to_ecs', `{"content":{}, "timestamp": ${n}}`, OPTS);
        if (res.status !== 'ok') throw new Error(`status=${res.status} error=${res.error}`);
        const want = referenceTimestamp(n);
        if (want === null) {
          if (!(res.record.tags ?? []).includes('_sysdig_no_event_time'))
            throw new Error(`seconds out of range but no _sysdig_no_event_time tag: ${res.output}`);
        } else if (res.record['@timestamp'] !== want) {
          throw new Error(`@timestamp ${res.record['@timestamp']} !== ${want}`);
        }
        return true;
      }),
      PARAMS,
    );
  });
});

describe('memory', () => {
  it('does not grow after warm-up', () => {
    for (let i = 0; i < 20000; i++) filter.call('sysdig_to_ecs', runtimeSample, OPTS);
    const after = filter.memoryBytes();
    for (let i = 0; i < 20000; i++) filter.call('sysdig_to_ecs', runtimeSample, OPTS);
    expect(filter.memoryBytes()).toBe(after);
  });
});
