// Hostile and broken input: for every case, both filter functions must
// return exactly one valid JSON object (no trap, no drop), without duplicate
// keys, and keep everything that was sent (see keeps.mjs) or say explicitly
// what could not be kept whole.

import { beforeAll, describe, expect, test } from 'vitest';
import { findDuplicateKeys, loadFilter } from '../host.mjs';
import { bytes } from './bytes.mjs';
import { expectKeepsInput, expectOnlyInputDuplicates } from './keeps.mjs';
import { runtimeSample, samples } from './samples.mjs';
import { parseTree, pathsOf, stringifyExact, withValueAt } from './tree.mjs';
import { checkSyslogRecord } from './syslog-lines.mjs';

const TARGETS = { ecs: 'sysdig_to_ecs', splunk: 'sysdig_to_splunk' };
const SYSLOG_TARGETS = { cef: 'sysdig_to_cef', leef: 'sysdig_to_leef' };
const OPTS = { tag: 'sysdig', sec: 1700000000, nsec: 500000000 };
const CLOCK_TIMESTAMP = '2023-11-14T22:13:20.500000000Z';

let filter;
beforeAll(async () => {
  filter = await loadFilter();
});

/** Runs both targets on `input`, checks the invariants, returns the results. */
function normalizeBoth(input, { keeps = true } = {}) {
  const results = {};
  for (const [target, fn] of Object.entries(TARGETS)) {
    const result = filter.call(fn, input, OPTS);
    expect(result.status, `${target}: ${result.error}`).toBe('ok');
    expectOnlyInputDuplicates(input, result, target);
    if (keeps) expectKeepsInput(input, result, target);
    results[target] = result;
  }
  // CEF and LEEF: one JSON object whose line passes the strict reader.
  for (const [target, fn] of Object.entries(SYSLOG_TARGETS)) {
    const result = filter.call(fn, input, OPTS);
    checkSyslogRecord(result, target);
    results[target] = result;
  }
  return results;
}

const runtime = parseTree(runtimeSample);
const withRuntime = (extra) => stringifyExact({ ...runtime, ...extra });

describe('broken JSON', () => {
  test.each(samples.map((s) => [s.name, s.text]))('%s truncated at every 97th byte', (_, text) => {
    for (let cut = 0; cut < text.length - 1; cut += 97) {
      const { ecs } = normalizeBoth(text.slice(0, cut));
      if (cut > 0) expect(ecs.record.error.message).toMatch(/^invalid JSON: /);
    }
  });

  test.each([
    ['trailing comma', '{"a":1,}'], ['single quotes', "{'a':1}"], ['two objects', '{"a":1}{"b":2}'],
    ['bare word', 'hello'], ['unterminated string', '{"a":"b'], ['raw newline in string', '{"a":"b\nc"}'],
    ['raw NUL', '{"a":"\u0000"}'], ['bad escape', '{"a":"\\x41"}'], ['BOM', '\ufeff{"a":1}'],
    ['NaN', '{"a":NaN}'], ['hex', '{"a":0x10}'], ['leading zero', '{"a":012}'], ['lone minus', '{"a":-}'],
  ])('%s: a pipeline_error document with the input in event.original', (_, input) => {
    const { ecs, splunk } = normalizeBoth(input);
    expect(ecs.record.event.kind).toBe('pipeline_error');
    expect(ecs.record.event.original).toBe(input);
    expect(ecs.record['@timestamp']).toBe(CLOCK_TIMESTAMP);
    expect(ecs.record.tags).toContain('_sysdig_no_event_time');
    expect(splunk.record.event).toBe(input);
    expect(splunk.record.sourcetype).toBe('sysdig:normalizer:unrecognized');
  });

  test.each([
    ['empty', ''], ['whitespace', ' \n\t '], ['a number', '42'], ['a string', '"event"'], ['null', 'null'],
    ['an empty array', '[]'], ['an array of events', `[${runtimeSample}]`],
  ])('%s: not an event, kept and marked', (_, input) => {
    const { ecs } = normalizeBoth(input);
    expect(ecs.record.event.kind).toBe('pipeline_error');
    expect(ecs.record.error.message.length).toBeGreaterThan(0);
  });
});

describe('damaged text', () => {
  const RULE = '"ruleName":"Write below etc"';
  const [beforeRule, afterRule] = runtimeSample.split(RULE);
  const withRuleName = (...middle) => bytes(beforeRule, '"ruleName":"Write ', ...middle, ' below etc"', afterRule);

  test('the rule name the damage goes into is in the sample', () => {
    expect(afterRule).toBeDefined();
    expect(runtimeSample.split(RULE)).toHaveLength(2);
  });

  test.each([
    ['truncated sequence', [0xe2, 0x82]], ['overlong', [0xc0, 0xaf]], ['encoded surrogate', [0xed, 0xb0, 0x80]],
    ['beyond U+10FFFF', [0xf4, 0x90, 0x80, 0x80]], ['0xFF', [0xff]], ['lone continuation', [0x80, 0x80]],
  ])('invalid UTF-8 (%s) in a value: replaced, said, and the rest kept', (_, raw) => {
    const input = withRuleName(raw);
    for (const [target, fn] of Object.entries(TARGETS)) {
      const result = filter.call(fn, input, OPTS);
      expect(result.status, result.error).toBe('ok');
      expect(findDuplicateKeys(result.output)).toEqual([]);
      const doc = result.record;
      if (target === 'ecs') {
        expect(doc.error.message).toMatch(/invalid UTF-8 or lone surrogates replaced by U\+FFFD/);
        expect(doc.rule.name).toMatch(/^Write \ufffd+ below etc$/);
        expect(doc['@timestamp']).toBe('2020-11-25T16:49:08.648718268Z');
        expect(doc.sysdig.content.fields.proc_aname_2).toBe('su');
      } else {
        expect(doc.event.content.ruleName).toMatch(/^Write \ufffd+ below etc$/);
        expect(doc.time).toBe('1606322948.648718268');
        expect(doc.event.content.fields['proc.aname[2]']).toBe('su');
      }
    }
  });

  test('invalid UTF-8 in a key and in a record that is not JSON', () => {
    const inKey = bytes('{"content":{"a', [0xc3], '":1},"timestamp":1606322948648718268}');
    const notJson = bytes('garbage ', [0xff, 0xfe], ' more');
    for (const input of [inKey, notJson]) {
      for (const fn of Object.values(TARGETS)) {
        const result = filter.call(fn, input, OPTS);
        expect(result.status, result.error).toBe('ok');
        expect(result.output).toContain('\ufffd');
      }
    }
  });

  test.each([
    ['lone high', '\\ud800'], ['lone low', '\\udfff'], ['reversed pair', '\\ude00\\ud83d'], ['high then text', '\\ud83dabc'],
    ['high at end of string', 'abc\\ud83d'],
  ])('lone surrogate escape (%s): replaced by U+FFFD and said', (_, escape) => {
    const input = runtimeSample.replace(RULE, `"ruleName":"Write ${escape} below etc"`);
    expect(input).not.toBe(runtimeSample);
    const { ecs, splunk } = normalizeBoth(input);
    expect(ecs.record.error.message).toMatch(/lone surrogates replaced/);
    expect(ecs.record.rule.name).toContain('\ufffd');
    expect(splunk.record.event.content.ruleName).toContain('\ufffd');
  });

  test('escaped control characters survive exactly; raw ones make the JSON invalid', () => {
    const controls = Array.from({ length: 32 }, (_, i) => `\\u${i.toString(16).padStart(4, '0')}`).join('');
    const { ecs } = normalizeBoth(withRuntime({ note: JSON.parse(`"${controls}"`) }));
    expect(ecs.record.sysdig.note).toBe(JSON.parse(`"${controls}"`));
    const raw = normalizeBoth(runtimeSample.replace('Write below', 'Write\u0007below'));
    expect(raw.ecs.record.event.kind).toBe('pipeline_error');
    expect(raw.ecs.record.error.message).toMatch(/unescaped control character/);
  });
});

describe('size', () => {
  test('100,000-deep nesting inside an event is kept as text below the index depth limit', () => {
    const depth = 100_000;
    const deep = '['.repeat(depth) + '"bottom"' + ']'.repeat(depth);
    const input = runtimeSample.replace(/}\s*$/, `,"deep":${deep}}`);
    const { ecs, splunk } = normalizeBoth(input);
    expect(ecs.record.error.message).toMatch(/nested too deep to index kept as JSON text/);
    expect(ecs.record.rule.name).toBe('Write below etc');
    expect(splunk.output).toContain('[\\"bottom\\"]');
    expect(splunk.record.fields.error_message).toMatch(/nested too deep to index kept as JSON text/);
  });

  test('100,000-deep nesting as the whole record', () => {
    const deep = '{"a":'.repeat(100_000) + '1' + '}'.repeat(100_000);
    const { ecs } = normalizeBoth(deep);
    expect(ecs.record.event.kind).toBe('pipeline_error');
  });

  test('unbalanced 100,000-deep nesting', () => {
    const { ecs } = normalizeBoth('['.repeat(100_000));
    expect(ecs.record.error.message).toMatch(/^invalid JSON: unexpected end of input/);
  });

  test('each invalid record\'s message names its own position, over many calls and collections', () => {
    // Messages are made per record, on the module's heap: after a
    // collection, one can sit where an earlier one was, with other text.
    // Nothing cached by address may bring the earlier text back.
    for (let i = 0; i < 1200; i++) {
      const at = 20 + (i % 37);
      const input = `{"a":"${'x'.repeat(at - 6)}`;
      const ecs = filter.call('sysdig_to_ecs', input, OPTS);
      expect(JSON.parse(ecs.output).error.message, `call ${i}`).toBe(`invalid JSON: unexpected end of input at byte ${at}`);
    }
  });

  test('a 10 MB string arrives whole', () => {
    const big = 'x'.repeat(10 * 1024 * 1024 - 7) + 'é"\\\n😀';
    const { ecs, splunk } = normalizeBoth(withRuntime({ content: { ...runtime.content, output: big } }));
    // Compared as booleans: a failing diff of 10 MB would bury the report.
    expect(ecs.record.message === big).toBe(true);
    expect(ecs.record.sysdig.content.output === big).toBe(true);
    expect(splunk.record.event.content.output === big).toBe(true);
  });

  test('100,000 keys in one object all arrive', () => {
    const wide = Object.fromEntries(Array.from({ length: 100_000 }, (_, i) => [`key.${i}`, i]));
    const { ecs, splunk } = normalizeBoth(withRuntime({ wide }));
    expect(Object.keys(ecs.record.sysdig.wide)).toHaveLength(100_000);
    expect(ecs.record.sysdig.wide.key_99999).toBe(99_999);
    expect(Object.keys(splunk.record.event.wide)).toHaveLength(100_000);
  });

  test('memory settles after the big inputs', () => {
    normalizeBoth(withRuntime({ output: 'y'.repeat(4 * 1024 * 1024) }));
    for (let i = 0; i < 50; i++) filter.call('sysdig_to_ecs', runtimeSample, OPTS);
    const settled = filter.memoryBytes();
    for (let i = 0; i < 200; i++) filter.call('sysdig_to_ecs', runtimeSample, OPTS);
    expect(filter.memoryBytes()).toBe(settled);
  });
});

describe('duplicate keys', () => {
  test('a repeated timestamp: the first wins everywhere, event.original keeps both', () => {
    const input = runtimeSample.replace(/}\s*$/, ',"timestamp":1}');
    const { ecs } = normalizeBoth(input);
    expect(ecs.record['@timestamp']).toBe('2020-11-25T16:49:08.648718268Z');
    expect(ecs.record.sysdig.timestamp).toBe(1606322948648718268);
    expect(ecs.record.event.original).toBe(input);
  });

  test('keys that only collide after dots become underscores', () => {
    const input = withRuntime({ 'a.b': 1, a_b: 2 });
    const { ecs } = normalizeBoth(input);
    expect(ecs.record.sysdig.a_b).toBe(1);
    expect(ecs.record.event.original).toBe(input);
  });
});

describe('numbers', () => {
  test.each([
    ['1e400', '"1e400"'], ['-1e400', '"-1e400"'], ['-0', '-0'], ['-0.0', '-0.0'],
    ['1234567890123456789012345678901234567890', '"1234567890123456789012345678901234567890"'],
    ['-18446744073709551616', '"-18446744073709551616"'], ['18446744073709551615', '18446744073709551615'],
  ])('%s in the payload is written as %s', (number, written) => {
    const input = runtimeSample.replace(/}\s*$/, `,"n":${number}}`);
    const { ecs, splunk } = normalizeBoth(input);
    expect(ecs.output).toContain(`"n":${written}`);
    expect(splunk.output).toContain(`"n":${written}`);
    if (written.startsWith('"')) expect(ecs.record.error.message).toMatch(/numbers beyond 64-bit or double range/);
  });
});

describe('timestamps', () => {
  const timed = (timestamp) => withRuntime({ timestamp });
  test.each([
    ['zero', 0, '1970-01-01T00:00:00Z'],
    ['seconds', 1606322948, '2020-11-25T16:49:08Z'],
    ['milliseconds', 1606322948648, '2020-11-25T16:49:08.648Z'],
    ['microseconds', 1606322948648718, '2020-11-25T16:49:08.648718Z'],
    ['nanoseconds', 1606322948648718268n, '2020-11-25T16:49:08.648718268Z'],
    ['year 9999 in ns', 253402300799999999999n, null],
    ['max int64', 9223372036854775807n, '2262-04-11T23:47:16.854775807Z'],
    ['seconds with a fraction', 1606322948.5, '2020-11-25T16:49:08.5Z'],
    ['seconds as a string', '1606322948', '2020-11-25T16:49:08Z'],
    ['nanoseconds as a string', '1606322948648718268', '2020-11-25T16:49:08.648718268Z'],
  ])('%s', (_, timestamp, expected) => {
    const { ecs, splunk } = normalizeBoth(timed(timestamp));
    if (expected === null) {
      expect(ecs.record.tags).toContain('_sysdig_no_event_time');
      expect(ecs.record['@timestamp']).toBe(CLOCK_TIMESTAMP);
    } else {
      expect(ecs.record['@timestamp']).toBe(expected);
      expect(ecs.record.tags ?? []).not.toContain('_sysdig_no_event_time');
    }
    expect(splunk.record.time).toMatch(/^\d+(\.\d+)?$/);
  });

  test.each([
    ['negative', -1], ['negative ns', -1606322948648718268n], ['absurd', 10n ** 30n],
    ['1e400', '1e400'], ['a date string', '2020-11-25T16:49:08Z'], ['an empty string', ''],
    ['an object', { s: 1 }], ['an array', [1606322948]], ['null', null], ['true', true],
  ])('%s: the receive time, tagged, and the value kept', (_, timestamp) => {
    const input = timestamp === '1e400' ? runtimeSample.replace(/"timestamp":\s*\d+/, '"timestamp":1e400') : timed(timestamp);
    const { ecs, splunk } = normalizeBoth(input);
    expect(ecs.record['@timestamp']).toBe(CLOCK_TIMESTAMP);
    expect(ecs.record.tags).toContain('_sysdig_no_event_time');
    expect(splunk.record.time).toBe('1700000000.500000000');
  });
});

describe('wrong types, nulls and empties in every field of every sample', () => {
  const replacements = [null, '', 'text', 0, -1, 1e300, true, {}, [], { key: 'k', value: 'v' }, [{ key: 'a.b', value: 1 }], [null]];
  test.each(samples.map((s) => [s.name, s.text]))('%s', (_, text) => {
    const tree = parseTree(text);
    let cases = 0;
    for (const path of pathsOf(tree)) {
      for (const value of [...replacements, undefined]) {
        normalizeBoth(stringifyExact(withValueAt(tree, path, value)));
        cases++;
      }
    }
    expect(cases).toBeGreaterThan(100);
  });

  test.each([
    '{}', '{"content":null}', '{"content":{}}', '{"content":[]}', '{"alert":null,"entities":null}',
    '{"alert":{},"entities":[]}', '{"policyId":null,"fields":[]}', '{"timestamp":null}', '{"":""}', '{"log":""}',
    '{"log":"{}"}', '{"log":"not json"}', '{"message":"[1,2]"}', '{"log":null}',
  ])('%s', (input) => {
    const { ecs } = normalizeBoth(input);
    expect(ecs.record.event.kind).toMatch(/^(pipeline_error|alert|event)$/);
  });
});
