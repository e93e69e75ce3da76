// The ECS payload walk has three paths (assembly/json/walker.ts): compact
// records, as Fluent Bit hands them over, are copied in runs between the
// keys it rewrites (writeKeyRuns, from what the parser listed, with
// rewritten keys kept from one record to the next), or, when two keys of
// an object may be equal as written, between the keys it rewrites or drops
// (writeSpans); anything else (whitespace between tokens, damaged strings,
// numbers beyond 64 bits, nesting or keys over the limits) is written
// member by member (writeMembers). They must agree: the same record,
// compact and with whitespace added, must give the same `sysdig`/`falco`
// payload, error.message and tags.

import { describe, it, expect, beforeAll } from 'vitest';
import fc from 'fast-check';
import { loadFilter, parseExact } from '../host.mjs';
import { goldenInputs, mutant } from './mutants.mjs';
import { runtimeSample } from './samples.mjs';

const OPTS = { tag: 'sysdig', sec: 1700000000, nsec: 123456789 };

let filter;
beforeAll(async () => {
  filter = await loadFilter();
});

/** The text with a space after every "{", "[", ":" and "," outside strings. */
function spaceOut(text) {
  let out = '';
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    out += c;
    if (inString) {
      if (c === '\\') out += text[++i] ?? '';
      else if (c === '"') inString = false;
    } else if (c === '"') inString = true;
    else if (c === '{' || c === '[' || c === ':' || c === ',') out += ' ';
  }
  return out;
}

/** What the payload walk decides, from one ECS document. */
function walked(record) {
  const res = filter.call('sysdig_to_ecs', record, OPTS);
  if (res.status !== 'ok') throw new Error(`status ${res.status}`);
  const doc = parseExact(res.output);
  return { payload: doc.sysdig ?? doc.falco, error: doc.error?.message ?? null, tags: doc.tags ?? null };
}

/** A leading space is whitespace the parser notes (Tape.hasBlanks), so the
 *  record goes member by member, and nothing in the output can change with
 *  it. Spaces inside also would, but objects kept as JSON text (too deep,
 *  keys too long) keep them, so that comparison is made only without those. */
function expectSameWalk(compact) {
  const compactWalk = walked(compact);
  expect(compactWalk, compact.slice(0, 300)).toEqual(walked(` ${compact}`));
  if (!/kept as JSON text/.test(compactWalk.error ?? '')) {
    expect(compactWalk, compact.slice(0, 300)).toEqual(walked(spaceOut(compact)));
  }
}

describe('compact and spaced records give the same payload', () => {
  const runtime = runtimeSample.trim();
  it('checks what it means to check: spacing changes the input, not the payload', () => {
    const spaced = spaceOut(runtime);
    expect(spaced.length).toBeGreaterThan(runtime.length);
    const { payload } = walked(runtime);
    expect(payload.content.fields.proc_aname_2).toBe('su');
    expect(walked(spaced).payload).toEqual(payload);
  });

  // Repeated keys at the start, middle and end of objects, plain and
  // rewritten, equal only once written, inside {key, value} lists, empty
  // containers and nesting.
  const cases = [
    '"a":1,"a":2',
    '"a.b":1,"a_b":2,"a[b]":3,"a_b":4',
    '"a_b":1,"a.b":2',
    '"a.b":1,"a[b":2',
    '"p.q[2]":1,"p.q[2]]":2,"p_q_2":3',
    '"ab":1,"a\\u0062":2',
    '" ":1,"  ":2,"_":3,"":4,"":5',
    '"x]":1,"x":2,"k\\n":3,"k\\n":4',
    '"abcdefgh.ijklmnopq":1,"abcdefgh_ijklmnopq":2',
    '"l":[{"key":"a.b","value":1},{"key":"a_b","value":2}],"m":[{"key":"k","value":{"a":1,"a":2}}]',
    '"e":{},"f":[],"g":[[],{}],"h":{"x":{"y":{"z":[1,{"z":2,"z":3}]}}}',
    '"n":[{"a":1},{"a":1,"a":2}],"o":[{"key":1,"value":2}]',
  ];
  for (const members of cases) {
    it(`members ${members}`, () => {
      expectSameWalk(runtime.replace(/^\{/, `{${members},`));
      expectSameWalk(`${runtime.replace(/\}$/, '')},${members}}`);
      expectSameWalk(runtime.replace('"fields":{', `"fields":{${members},`));
    });
  }

  it('with many dotted keys, each rewritten once and then copied, in any order', () => {
    // Far more distinct keys than the rewrite cache has slots, so slots are
    // taken over and keys that share a slot come one after the other; each
    // record is also sent spaced out, which never uses the cache.
    const names = Array.from({ length: 1500 }, (_, i) => `k${i}.${'abcdefghij'.slice(0, i % 11)}[${i % 7}]`);
    const rng = fc.sample(fc.array(fc.nat(names.length - 1), { minLength: 25, maxLength: 25 }), { seed: 11, numRuns: 60 });
    for (const picks of rng) {
      const members = picks.map((i, k) => `"${names[i]}":${k}`).join(',');
      expectSameWalk(runtime.replace('"fields":{', `"fields":{${members},`));
    }
  });

  it('for mutants of every golden input', () => {
    for (const { tree } of goldenInputs) {
      fc.assert(
        fc.property(mutant(tree), (text) => {
          expectSameWalk(text);
        }),
        { seed: 7, numRuns: 40 },
      );
    }
  });
});

// keyChunkHash (assembly/json/tape.ts) of key content as written: 8 bytes
// per step, the last chunk zero-filled, then the length. The rewrite cache
// and the key tables find a key by it and must confirm every hit by its
// bytes; two keys with the same hash are made here to hold them to that.
const MASK64 = (1n << 64n) - 1n;
const SEED = 0x2545f4914f6cdd1dn;
const K = 0x9e3779b97f4a7c15n;
const K_INVERSE = (() => {
  // K is odd, so it has an inverse mod 2^64 (Newton's iteration).
  let x = K;
  for (let i = 0; i < 6; i++) x = (x * (2n - K * x)) & MASK64;
  return x;
})();
const word = (text, at) => Buffer.from(text.slice(at, at + 8), 'latin1').readBigUInt64LE(0);

/** A 16-byte key other than `key` (16 ASCII bytes) with the same
 *  keyChunkHash, made of bytes a plain JSON string holds as they are. */
function collidingKey(key, seed) {
  const h2 = (((((SEED ^ word(key, 0)) * K) & MASK64) ^ word(key, 8)) * K) & MASK64;
  const printable = (b) => b >= 0x20 && b < 0x7f && b !== 0x22 && b !== 0x5c;
  const letters = 'abcdefghijklmnopqrstuvwxyz0123456789';
  let state = seed;
  for (let trial = 0; trial < 1e6; trial++) {
    // Every byte of the first word varies: a product's low byte depends on
    // the low bytes only.
    let first = '';
    for (let i = 0; i < 7; i++) {
      state = (state * 1103515245 + 12345) % 2147483648;
      first += letters[(state >> 8) % letters.length];
    }
    first += '.';
    const h1 = ((SEED ^ word(first, 0)) * K) & MASK64;
    const w1 = ((h2 * K_INVERSE) & MASK64) ^ h1;
    const bytes = Buffer.alloc(8);
    bytes.writeBigUInt64LE(w1);
    if ([...bytes].every(printable)) return first + bytes.toString('latin1');
  }
  throw new Error('no colliding key found');
}

describe('keys with the same hash', () => {
  it('are told apart by their bytes: a rewritten key is never another key\'s', () => {
    const runtime = runtimeSample.trim();
    const a = 'abcdefg.hijklmno';
    for (const seed of [1, 2, 3]) {
      const b = collidingKey(a, seed);
      expect(b).not.toBe(a);
      expect(b).toHaveLength(16);
      // A first, so its rewrite is cached; then B, which the cache finds
      // by the same hash.
      const first = walked(runtime.replace('"fields":{', `"fields":{"${a}":1,`));
      expect(first.payload.content.fields[a.replace(/\./g, '_')]).toBe(1);
      const second = walked(runtime.replace('"fields":{', `"fields":{"${b}":2,`));
      expect(second.payload.content.fields[b.replace(/[.[\]]/g, '_')], b).toBe(2);
      expect(second.payload.content.fields[a.replace(/\./g, '_')]).toBeUndefined();
      // Both in one object: two keys, not a duplicate.
      const both = walked(runtime.replace('"fields":{', `"fields":{"${a}":1,"${b}":2,`));
      expect(both.payload.content.fields[a.replace(/\./g, '_')]).toBe(1);
      expect(both.payload.content.fields[b.replace(/[.[\]]/g, '_')]).toBe(2);
      expect(both.error).toBeNull();
    }
  });
});

describe('a key with the hash of a mapped name', () => {
  it('is not taken for that name: key tables confirm a hit by its bytes', () => {
    const runtime = runtimeSample.trim();
    // proc.hash.sha256 → process.hash.sha256 (assembly/map/falco.ts): two
    // whole words, so a key of the same length and hash can be made.
    const name = 'proc.hash.sha256';
    for (const seed of [4, 5]) {
      const other = collidingKey(name, seed);
      const res = filter.call('sysdig_to_ecs', runtime.replace('"fields":{', `"fields":{"${other}":"deadbeef",`), OPTS);
      const doc = parseExact(res.output);
      expect(doc.process?.hash, other).toBeUndefined();
      expect(doc.sysdig.content.fields[other.replace(/[.[\]]/g, '_')]).toBe('deadbeef');
      const named = parseExact(filter.call('sysdig_to_ecs', runtime.replace('"fields":{', `"fields":{"${name}":"deadbeef",`), OPTS).output);
      expect(named.process.hash.sha256).toBe('deadbeef');
    }
  });
});
