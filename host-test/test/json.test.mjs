// Unit tests of the core's JSON reader (json/parser.ts) and writer
// (json/escape.ts, json/walker.ts), through build/json_probe.wasm: the same
// code the filter runs, exposed on the filter's ABI and called through the
// host exactly as Fluent Bit calls a filter.

import { beforeAll, describe, expect, test } from 'vitest';
import { fileURLToPath } from 'node:url';
import { loadFilter, parseExact } from '../host.mjs';
import { bytes } from './bytes.mjs';

const PROBE_PATH = fileURLToPath(new URL('../../build/json_probe.wasm', import.meta.url));
const SAFE_KEYS = 1;
const KEY_VALUE_LISTS = 2;
const DEDUPE = 4;
const LOSS_REPAIRED = 1;
const LOSS_NUMBER_AS_STRING = 2;
const LOSS_DUPLICATE_KEY = 4;
const LOSS_DEPTH_AS_STRING = 8;

let probe;
beforeAll(async () => {
  probe = await loadFilter(PROBE_PATH);
});

function callProbe(fn, input, sec = 0, nsec = 0) {
  const result = probe.call(fn, input, { sec, nsec });
  expect(result.status, result.error ?? '').toBe('ok');
  return result;
}

/** Parses and rewrites `input`; returns the walked value as raw JSON text. */
function walk(input, { bits = 0, maxDepth = 0 } = {}) {
  const { output, record } = callProbe('json_walk', input, bits, maxDepth);
  expect(record.error, `unexpected parse error for ${JSON.stringify(String(input).slice(0, 80))}`).toBeUndefined();
  const prefix = '{"value":';
  const suffix = `,"loss":${record.loss}}`;
  expect(output.startsWith(prefix) && output.endsWith(suffix)).toBe(true);
  return { text: output.slice(prefix.length, output.length - suffix.length), loss: record.loss };
}

function parseFailure(input) {
  const { record } = callProbe('json_walk', input);
  return record.error === undefined ? null : record;
}

describe('reader accepts what RFC 8259 accepts, and only that', () => {
  const valid = [
    '{}', '[]', '0', '-0', '1', '-1', '0.5', '-0.0e-0', '1E+2', '1e-2', '123.456e789',
    'true', 'false', 'null', '""', '"a"', ' \t\r\n{ "a" : [ 1 , 2 ] } \n',
    '{"a":{"b":{"c":[[],{}]}}}', '[1,"two",3.0,true,false,null,{"x":[]}]',
    '"\\"\\\\\\/\\b\\f\\n\\r\\t\\u0000\\u001f\\u00e9\\uD83D\\uDE00"', '"é日本😀"', '"\u007f"',
  ];
  test.each(valid)('accepts %j', (text) => {
    expect(parseFailure(text)).toBeNull();
  });

  const invalid = [
    ['', 'empty input'], ['   ', 'empty input'], ['{', 'unexpected end of input'],
    ['[1,]', 'unexpected character'], ['{"a":1,}', 'unexpected character'], ['{"a" 1}', 'unexpected character'],
    ['{1:2}', 'unexpected character'], ["{'a':1}", 'unexpected character'], ['[1 2]', 'unexpected character'],
    ['01', 'data after the JSON value'], ['1.', 'invalid number'], ['.5', 'unexpected character'],
    ['-', 'unexpected end of input'], ['+1', 'unexpected character'], ['1e', 'invalid number'],
    ['1e+', 'invalid number'], ['-a', 'invalid number'], ['0x10', 'data after the JSON value'],
    ['NaN', 'unexpected character'], ['Infinity', 'unexpected character'], ['tru', 'unexpected'],
    ['nul', 'unexpected'], ['truex', 'data after the JSON value'], [']', 'unexpected character'],
    ['{} {}', 'data after the JSON value'], ['"abc', 'unexpected end of input'],
    ['"\\q"', 'invalid escape sequence in string'], ['"\\u12"', 'invalid escape sequence in string'],
    ['"\\u12G4"', 'invalid escape sequence in string'], ['"a\nb"', 'unescaped control character in string'],
    ['"\u0000"', 'unescaped control character in string'], ['\ufeff{}', 'unexpected character'],
    ['[[[', 'unexpected end of input'], ['{"a":', 'unexpected end of input'], ['{"a"}', 'unexpected character'],
  ];
  test.each(invalid)('rejects %j with "%s"', (text, reason) => {
    const failure = parseFailure(text);
    expect(failure, 'parsed input that JSON.parse rejects').not.toBeNull();
    expect(failure.error).toContain(reason);
    expect(failure.at).toBeGreaterThanOrEqual(0);
    expect(failure.at).toBeLessThanOrEqual(Buffer.byteLength(text));
    expect(() => JSON.parse(text)).toThrow();
  });

  test('the error offset points at the offending byte', () => {
    expect(parseFailure('{"a":1,}').at).toBe(7);
    expect(parseFailure('[1,2] x').at).toBe(6);
    expect(parseFailure('{"é":"\\x"}').at).toBe(7); // the backslash, after 2-byte é
  });
});

describe('numbers pass through digit for digit', () => {
  test.each([
    '1606322948648718268', '-9223372036854775808', '18446744073709551615', '0', '-0', '-0.0',
    '1.000000000000000000001', '6.02214076e23', '1E+2', '1.5e307', '-2.5e-307', '0.000e999',
  ])('%s is copied as it is', (digits) => {
    const { text, loss } = walk(`[${digits}]`);
    expect(text).toBe(`[${digits}]`);
    expect(loss).toBe(0);
  });

  test.each([
    '18446744073709551616', '-9223372036854775809', '1234567890123456789012345678901234567890',
    '-1234567890123456789012345678901234567890', '1e400', '-1e400', '1e-400', '0.0000001e-320',
    // The double-range check is on the decimal exponent alone, so it is
    // conservative at the edge: these two fit a double but become strings.
    '1.7976931348623157e308', '2.2250738585072014e-308',
  ])('%s, beyond what msgpack holds exactly, becomes a string with the same digits', (digits) => {
    const { text, loss } = walk(`{"n":${digits}}`);
    expect(text).toBe(`{"n":"${digits}"}`);
    expect(loss).toBe(LOSS_NUMBER_AS_STRING);
  });

  test('19-digit nanosecond timestamps keep every digit', () => {
    const ns = '1606322948648718268';
    const { text } = walk(`{"timestampNs":${ns}}`);
    expect(parseExact(text).timestampNs).toBe(BigInt(ns));
  });
});

describe('strings are re-escaped correctly', () => {
  test('clean strings, escapes included, are copied byte for byte', () => {
    const s = '"tab\\there \\"q\\" \\\\ \\/ \\u00e9 \\uD83D\\uDE00 é 😀 \u007f"';
    expect(walk(s)).toEqual({ text: s, loss: 0 });
  });

  test.each([
    ['"\\ud800"', '"\\ufffd"'], ['"\\udc00"', '"\\ufffd"'], ['"a\\ud83dz"', '"a\\ufffdz"'],
    ['"\\udc00\\ud800"', '"\\ufffd\\ufffd"'], ['"\\ud83d\\u0041"', '"\\ufffd\\u0041"'],
    ['"\\ud83d\\ude00\\ud83d"', '"\\ud83d\\ude00\\ufffd"'],
  ])('lone surrogate %s becomes U+FFFD: %s', (input, expected) => {
    expect(walk(input)).toEqual({ text: expected, loss: LOSS_REPAIRED });
  });

  test.each([
    ['truncated 2-byte sequence', [0xc3]], ['overlong NUL', [0xc0, 0x80]], ['overlong slash', [0xe0, 0x80, 0xaf]],
    ['UTF-8 encoded surrogate', [0xed, 0xa0, 0x80]], ['beyond U+10FFFF', [0xf4, 0x90, 0x80, 0x80]],
    ['F5 lead byte', [0xf5, 0x80, 0x80, 0x80]], ['lone continuation', [0x80]], ['FF', [0xff]],
  ])('invalid UTF-8 (%s) becomes U+FFFD and the rest is kept', (_, raw) => {
    const { text, loss } = walk(bytes('["a', raw, 'b"]'));
    expect(loss).toBe(LOSS_REPAIRED);
    const [value] = JSON.parse(text);
    expect(value.startsWith('a\ufffd')).toBe(true);
    expect(value.endsWith('b')).toBe(true);
    expect(value).not.toContain('\u0000');
  });

  test('every control character is escaped and reads back as itself', () => {
    const controls = Array.from({ length: 32 }, (_, i) => i);
    const { record } = callProbe('json_escape', Uint8Array.from([...controls, 0x22, 0x5c, 0x7f]));
    expect(record.repaired).toBe(false);
    expect([...record.escaped].map((c) => c.charCodeAt(0))).toEqual([...controls, 0x22, 0x5c, 0x7f]);
  });

  test('raw invalid UTF-8 is replaced when escaped, valid multibyte text is kept', () => {
    const { record } = callProbe('json_escape', bytes('é', [0xe2, 0x82], '€', [0xf0, 0x9f, 0x98, 0x80]));
    expect(record).toEqual({ escaped: 'é\ufffd\ufffd€😀', repaired: true });
  });

  test('decoding a string resolves escapes and surrogate pairs', () => {
    const { record } = callProbe('json_decode', '"{\\"a\\":\\"\\u00e9\\ud83d\\ude00\\n\\t\\/\\b\\f\\r\\u0000\\ud800\\"}"');
    expect(record).toEqual({ decoded: '{"a":"é😀\n\t/\b\f\r\u0000\ufffd"}', repaired: false });
  });
});

describe('the payload walker', () => {
  test('without modes it reproduces the input value exactly, minus insignificant whitespace', () => {
    const input = ' { "a" : [ 1 , { "b" : null } ] , "c" : "d" , "e" : true , "f" : false } ';
    expect(walk(input)).toEqual({ text: '{"a":[1,{"b":null}],"c":"d","e":true,"f":false}', loss: 0 });
  });

  test('safe keys: dots and brackets cannot build Elasticsearch object paths', () => {
    const { text } = walk(
      '{"proc.aname[2]":"bash","a.b":{"c.d":1},"":2,"[]":3,"ok_key":4,"]":5," ]":6,"\\t":7,"\\u0000":8}',
      { bits: SAFE_KEYS },
    );
    // Empty or blank once "]" is dropped: a leading "_" (Elasticsearch
    // rejects empty and whitespace-only field names). NUL becomes "_" too:
    // a flattened field refuses keys with NUL.
    expect(text).toBe(
      '{"proc_aname_2":"bash","a_b":{"c_d":1},"_":2,"_":3,"ok_key":4,"_":5,"_ ":6,"_\\t":7,"_":8}',
    );
  });

  test('safe keys with dedupe: keys that collide after rewriting keep the first value', () => {
    const { text, loss } = walk('{"a.b":1,"a_b":2,"":3,"_":4}', { bits: SAFE_KEYS | DEDUPE });
    expect(text).toBe('{"a_b":1,"_":3}');
    expect(loss).toBe(LOSS_DUPLICATE_KEY);
  });

  test('dedupe works per object, at every depth, and with escaped spellings of one key', () => {
    const { text, loss } = walk('{"a":1,"b":{"a":2,"a":3},"a":4,"c":[{"x":1,"x":2},{"x":3}],"\\u0061":5}', {
      bits: DEDUPE,
    });
    // "\u0061" is another spelling of "a"; written verbatim it is not caught
    // here, so the filter's ECS mode (safe keys) re-encodes keys first.
    expect(text).toBe('{"a":1,"b":{"a":2},"c":[{"x":1},{"x":3}],"\\u0061":5}');
    expect(loss).toBe(LOSS_DUPLICATE_KEY);
  });

  test('key/value lists become objects; anything else stays a list', () => {
    const { text } = walk(
      '{"fields":[{"key":"proc.name","value":"sh"},{"key":"fd.num","value":3}],' +
        '"mixed":[{"key":"a","value":1},{"key":"b"}],"empty":[],"nonstring":[{"key":1,"value":2}]}',
      { bits: SAFE_KEYS | KEY_VALUE_LISTS },
    );
    expect(JSON.parse(text)).toEqual({
      fields: { proc_name: 'sh', fd_num: 3 },
      mixed: [{ key: 'a', value: 1 }, { key: 'b' }],
      empty: [],
      nonstring: [{ key: 1, value: 2 }],
    });
  });

  test('containers deeper than the limit are kept as their exact JSON text', () => {
    const { text, loss } = walk('{"a":{"b":{"c":{"d":[1, 2]}}},"z":[[["x"]]]}', { maxDepth: 2 });
    expect(JSON.parse(text)).toEqual({ a: { b: '{"c":{"d":[1, 2]}}' }, z: ['[["x"]]'] });
    expect(loss).toBe(LOSS_DEPTH_AS_STRING);
  });

  test('100,000 levels of nesting are read and written without recursion', () => {
    const depth = 100_000;
    const input = '['.repeat(depth) + ']'.repeat(depth);
    expect(walk(input).text).toBe(input);
    const cut = walk(input, { maxDepth: 16 });
    expect(cut.loss).toBe(LOSS_DEPTH_AS_STRING);
    let value = JSON.parse(cut.text);
    for (let level = 1; level < 16; level++) value = value[0];
    expect(value).toEqual(['['.repeat(depth - 16) + ']'.repeat(depth - 16)]);
  });

  test('the output is always valid JSON that JSON.parse reads as the input', () => {
    const input = JSON.stringify({
      s: 'line\nbreak "quoted" \\ back \u0001 é 😀',
      n: [0, -1, 1.5, 1e21, -2.5e-7],
      o: { k: [true, false, null, {}, []] },
    });
    const { text } = walk(input, { bits: SAFE_KEYS | KEY_VALUE_LISTS | DEDUPE, maxDepth: 16 });
    expect(JSON.parse(text)).toEqual(JSON.parse(input));
  });
});
