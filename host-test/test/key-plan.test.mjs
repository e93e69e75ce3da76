// The parser keeps the keys of the last records and confirms the next
// record's keys against them by their bytes (assembly/json/key_plan.ts); key
// tables keep their answers for kept keys. None of that may change what a
// record becomes: one long-lived instance, fed records whose keys differ
// from the last record's in every way a plan can be fooled by (a byte, the
// length, an escape that decodes to the same key, a blank before the
// colon, a key too long to keep, a dot, a non-ASCII byte, a key near the
// end of the document, a duplicate, keys never seen again), must answer
// each record exactly as a fresh instance, which has no plan, does.

import { describe, it, expect, beforeAll } from 'vitest';
import { readFile } from 'node:fs/promises';
import { readdirSync, readFileSync } from 'node:fs';
import { DEFAULT_WASM_PATH, compactJson, loadFilter } from '../host.mjs';

const EXPORTS = ['sysdig_to_ecs', 'sysdig_to_splunk', 'sysdig_to_cef', 'sysdig_to_leef'];
const OPTS = { tag: 'sysdig', sec: 1700000000, nsec: 123456789 };

const goldenDir = new URL('../golden/', import.meta.url);
const golden = readdirSync(goldenDir)
  .map((name) => compactJson(readFileSync(new URL(`${name}/input.json`, goldenDir), 'utf8').trim()));

/** [start, end) of every key of a compact JSON text, quotes included. */
function keySpans(text) {
  const spans = [];
  for (let i = 0; i < text.length; i++) {
    if (text[i] !== '"') continue;
    let j = i + 1;
    while (j < text.length && text[j] !== '"') j += text[j] === '\\' ? 2 : 1;
    if (text[j + 1] === ':') spans.push([i, j + 1]);
    i = j;
  }
  return spans;
}

/** The ways a key can differ from the kept one, each a new key text. */
const VARIANTS = [
  (k) => k.slice(0, -1) + (k.at(-1) === 'x' ? 'y' : 'x'), // last byte
  (k) => (k[0] === 'q' ? 'r' : 'q') + k.slice(1), // first byte
  (k) => `${k}z`, // one longer
  (k) => (k.length > 1 ? k.slice(0, -1) : `${k}${k}`), // one shorter
  (k) => `\\u${k.charCodeAt(0).toString(16).padStart(4, '0')}${k.slice(1)}`, // the same key, escaped
  (k) => `${k}" `, // a blank before the colon (closes the quote itself)
  (k) => k.repeat(Math.ceil(70 / Math.max(k.length, 1))).slice(0, 70), // too long to keep
  (k) => `${k.slice(0, 1)}.${k.slice(1)}`, // not plain: a dot,
  (k) => `${k}]`, // a closing bracket
  (k) => `[${k}`, // an opening one
  (k) => `${k}é`, // not ASCII
  (k) => ` ${k}`, // starts with a blank
  (k) => ' '.repeat(k.length), // only blanks
];

function withKey(text, [start, end], variant) {
  const key = text.slice(start + 1, end - 1);
  const next = variant(key);
  // The blank variant brings its own closing quote.
  return next.endsWith('" ') ? `${text.slice(0, start + 1)}${next}${text.slice(end)}` : `${text.slice(0, start + 1)}${next}"${text.slice(end)}`;
}

/** Each golden record, then its key variants between repeats of it. */
function sequence() {
  const records = [];
  for (const text of golden) {
    records.push(text, text);
    const spans = keySpans(text);
    // Keys spread over the record: the first, the last and some between.
    const picked = [...new Set([0, 1, 2, spans.length >> 2, spans.length >> 1, spans.length - 2, spans.length - 1])]
      .filter((i) => i >= 0 && i < spans.length);
    for (const [n, i] of picked.entries()) {
      const variant = VARIANTS[(n * 3 + i) % VARIANTS.length];
      const changed = withKey(text, spans[i], variant);
      records.push(changed, text, changed, changed);
    }
    // Every value emptied: keys move up to the end of the document.
    records.push(text.replace(/:"(?:[^"\\]|\\.)*"/g, ':""').replace(/:-?\d+(\.\d+)?/g, ':1'), text);
    // Two keys made equal (a duplicate), then the record again.
    if (spans.length >= 2) {
      const [a, b] = spans;
      const dup = text.slice(0, b[0]) + text.slice(a[0], a[1]) + text.slice(b[1]);
      records.push(dup, text, dup);
    }
  }
  // Three shapes in turn, more than the two plans a tape keeps.
  const rotation = [golden.find((t) => t.includes('"ruleTags"')), golden.find((t) => t.includes('"output_fields"')), golden.find((t) => t.includes('"auditId"'))];
  if (rotation.includes(undefined)) throw new Error('a golden record of the rotation is missing');
  for (let k = 0; k < 4; k++) records.push(...rotation);
  // Records whose keys are never the last ones (a suffix per record):
  // after a few, the plans rest for a while (key_plan.ts, planParse), and
  // the records after them, of known shapes again, are parsed with them.
  for (let k = 0; k < 12; k++) records.push(rotation[k % 3].replace(/"([^"\\]+)":/g, `"$1${k}":`));
  for (let k = 0; k < 80; k++) records.push(rotation[k % 2]);
  // Small documents: every key within a word of the end.
  records.push('{"ab":1}', '{"ab":2}', '{"abc":1,"ab":2}', '{"ab":1}', '{"content":{"a":1}}', '{"content":{"a":1}}');
  return records;
}

let module;
let longLived;
beforeAll(async () => {
  module = await WebAssembly.compile(await readFile(DEFAULT_WASM_PATH));
  longLived = await loadFilter(module);
});

describe('key plan', () => {
  const records = sequence();

  it('makes its records from variants of every golden record', () => {
    expect(golden.length).toBeGreaterThan(20);
    expect(records.length).toBeGreaterThan(golden.length * 20);
  });

  for (const fn of EXPORTS) {
    it(`${fn}: a long-lived instance answers every record as a fresh one does`, async () => {
      let compared = 0;
      for (const record of records) {
        const fresh = await loadFilter(module);
        const want = fresh.call(fn, record, OPTS);
        const got = longLived.call(fn, record, OPTS);
        expect(got.status, record).toBe(want.status);
        expect(got.output, record).toBe(want.output);
        compared++;
      }
      expect(compared).toBe(records.length);
    }, 120_000);
  }

  it('answers as a fresh instance when the exports take turns on each record', async () => {
    const turns = await loadFilter(module);
    for (const record of records.slice(0, 400)) {
      for (const fn of EXPORTS) {
        const want = (await loadFilter(module)).call(fn, record, OPTS);
        expect(turns.call(fn, record, OPTS).output, `${fn} ${record}`).toBe(want.output);
      }
    }
  }, 120_000);
});
