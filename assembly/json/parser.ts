// Validating JSON parser (RFC 8259) that fills a Tape. It never recurses, so
// nesting depth is bounded by memory, not by the wasm stack, and it never
// traps: every read is checked against the document's length.

import { IntBuf } from "../io/buffers";
import {
  Tape, T_OBJ, T_ARR, T_STR, T_NUM, T_TRUE, T_FALSE, T_NULL,
  F_ESCAPED, F_REPAIR, F_INT, F_UNSAFE, F_NEG, F_HASHED, KEY_HASH_SEED, KEY_HASH_K, keySeenIn,
  putCell, closeCell,
} from "./tape";
import { PLAN_KEYS, PLAN_KEY_BYTES, PLAN_BYTES, planEntry, planFind, planKeep, planParse, planOutcome } from "./key_plan";
import { ONES, HIGHS, pathMask } from "../text/swar";

export const E_NONE: i32 = 0;
export const E_EMPTY: i32 = 1;
export const E_UNEXPECTED: i32 = 2;
export const E_EOF: i32 = 3;
export const E_CONTROL: i32 = 4;
export const E_ESCAPE: i32 = 5;
export const E_NUMBER: i32 = 6;
export const E_TRAILING: i32 = 7;

/** Why the last parse failed, and at which byte. */
export let parseError: i32 = E_NONE;
export let parseErrorAt: i32 = 0;

export function parseErrorText(code: i32): string {
  switch (code) {
    case E_EMPTY: return "empty input";
    case E_UNEXPECTED: return "unexpected character";
    case E_EOF: return "unexpected end of input";
    case E_CONTROL: return "unescaped control character in string";
    case E_ESCAPE: return "invalid escape sequence in string";
    case E_NUMBER: return "invalid number";
    case E_TRAILING: return "data after the JSON value";
  }
  return "invalid JSON";
}


const stack = new IntBuf();

function fail(code: i32, at: i32): bool {
  parseError = code;
  parseErrorAt = at;
  return false;
}

@inline function isWs(c: i32): bool {
  return c <= 0x20 && (c == 0x20 || c == 0x0a || c == 0x0d || c == 0x09);
}

function skipBlanks(tape: Tape, p: i32): i32 {
  tape.hasBlanks = true;
  const size = tape.size;
  while (p < size && isWs(tape.byteAt(p))) p++;
  return p;
}

/** The first non-whitespace position from p. Fluent Bit hands over compact
 *  JSON, so the usual answer is p itself, found without a call. */
@inline function skipWs(tape: Tape, p: i32): i32 {
  return p < tape.size && isWs(tape.byteAt(p)) ? skipBlanks(tape, p) : p;
}

/** The byte at p of the document at `base`, and skipWs, for the parser's
 *  own loop: with the document's address and size in locals, each read is
 *  an instruction fewer than through the tape. */
@inline function byteIn(base: usize, p: i32): i32 { return <i32>load<u8>(base + <usize>p); }
@inline function skipWsIn(tape: Tape, base: usize, size: i32, p: i32): i32 {
  return p < size && isWs(byteIn(base, p)) ? skipBlanks(tape, p) : p;
}

/** Parses `size` bytes at `base` into `tape`. On failure sets parseError and
 *  parseErrorAt and returns false; the tape is then incomplete. With
 *  `keyNotes`, it also notes what the payload walk needs to know of the
 *  keys (Tape.specials, the key set); a tape that is only copied whole (the
 *  Splunk event) does without. */
export function parse(tape: Tape, base: usize, size: i32, keyNotes: bool = true): bool {
  tape.reset(base, size, keyNotes);
  stack.reset();
  parseError = E_NONE;
  let p = skipWsIn(tape, base, size, 0);
  if (p >= size) return fail(E_EMPTY, p);
  // Whether the innermost open container is an object, kept here rather
  // than read back from the stack and the tape after every value.
  let inObject = false;
  // The innermost open object's token index, which names it for the key
  // set (Tape.keySeen); keys only come while it is the innermost container.
  let obj = -1;
  // Open containers (stack.len, kept here).
  let depth = 0;
  // A key comes first in this turn: after "{", or after "," in an object.
  let wantKey = false;
  // The tape's key plans (0: none), the one followed (the other is at
  // `cur ^ planToggle`), and the number of keys read so far.
  const plan = planParse(tape);
  const planToggle = plan ^ (plan + PLAN_BYTES);
  let cur = tape.planCurrent != 0 ? tape.planCurrent : plan;
  let keyIndex = 0;
  // Keys found in neither plan.
  let missed = 0;
  // The tape's token count, cells and room, kept here (Tape.cellsAt): the
  // interpreter pays for every load and store, and this runs for every
  // token. Before each token: if (count >= room) grow, then t = count++.
  let count = 0;
  let cells = tape.cellsAt();
  let room = tape.tokenRoom();
  // Likewise the key set's address and the longest string so far
  // (Tape.maxStringLen), written back at the end.
  const keyBits = tape.keyBitsAt();
  let maxLen = 0;
  // The byte at p is a key's opening quote, seen already (after ",").
  let atQuote = false;
  // Each turn reads a key when one is due, a value, and then what closes
  // or separates, with no state to dispatch on between tokens (the
  // interpreter pays per instruction, and this runs for every token).
  while (true) {
    if (wantKey) {
      if (!atQuote) {
        // Blanks are looked for only when the byte is not a token's
        // (compact JSON has none; -1 is the end).
        let k = p < size ? byteIn(base, p) : -1;
        if (k <= 0x20) {
          p = skipWsIn(tape, base, size, p);
          k = p < size ? byteIn(base, p) : -1;
        }
        if (k < 0) return fail(E_EOF, p);
        if (k != 0x22) return fail(E_UNEXPECTED, p);
      }
      atQuote = false;
      // The key the last documents had here, when this one is the same
      // (json/key_plan.ts): its bytes, quotes and colon, compared in words
      // with the followed plan's, then with the other plan's.
      const planning = plan != 0 && keyIndex < PLAN_KEYS;
      let planned: usize = 0;
      if (planning) {
        planned = planFind(cur, keyIndex, base, p, size - 8);
        if (planned == 0) {
          planned = planFind(cur ^ planToggle, keyIndex, base, p, size - 8);
          if (planned != 0) cur ^= planToggle;
        }
      }
      if (count >= room) { tape.grow(count); cells = tape.cellsAt(); room = tape.tokenRoom(); }
      const t = count++;
      if (planned != 0) {
        const keptLen = load<i32>(planned);
        const hash = load<u64>(planned, 8);
        putCell(cells, t, load<i32>(planned, 4), p, p + keptLen - 1);
        tape.setPlannedKey(t, planned);
        if (keyNotes) {
          // What scanString notes for a key read in words.
          if (load<i32>(planned, 16) != 0) {
            if (keySeenIn(keyBits, hash, obj)) tape.maybeDuplicate = true;
          } else {
            tape.addSpecial(t, obj, hash);
          }
        }
        p += keptLen;
      } else {
        const keyStart = p;
        // Without notes a key is read as a value is: hashing it for the key
        // tables costs the parser about what it saves them.
        p = keyNotes ? scanString(tape, base, size, p, true, true, obj, t, cells, keyBits) : scanString(tape, base, size, p, false, false, 0, t, cells, 0);
        if (p < 0) return false;
        if (p - keyStart - 2 > maxLen) maxLen = p - keyStart - 2;
        if (planning) {
          // Kept where no key is lost (the followed plan, when it has none
          // here), else in the other plan, which is followed from here.
          if (load<i32>(planEntry(cur, keyIndex)) != 0) cur ^= planToggle;
          planKeep(cur, keyIndex, tape, t, keyStart, p, keyNotes);
          missed++;
        }
        // Compact JSON has the colon right after the key.
        if (p < size && byteIn(base, p) == 0x3a) {
          p++;
        } else {
          p = skipWsIn(tape, base, size, p);
          if (p >= size) return fail(E_EOF, p);
          if (byteIn(base, p) != 0x3a) return fail(E_UNEXPECTED, p);
          p++;
        }
      }
      keyIndex++;
    }
    let c = p < size ? byteIn(base, p) : -1;
    if (c <= 0x20) {
      p = skipWsIn(tape, base, size, p);
      c = p < size ? byteIn(base, p) : -1;
    }
    if (c < 0) return fail(E_EOF, p);
    if (count >= room) { tape.grow(count); cells = tape.cellsAt(); room = tape.tokenRoom(); }
    const t = count++;
    if (c == 0x22) {
      const valueStart = p;
      p = scanString(tape, base, size, p, false, false, 0, t, cells, 0);
      if (p < 0) return false;
      if (p - valueStart - 2 > maxLen) maxLen = p - valueStart - 2;
    } else if (c == 0x7b /* { */ || c == 0x5b /* [ */) {
      // An object first in an array: the array may be a {key, value}
      // list, which the payload walk writes as an object.
      if (keyNotes && c == 0x7b && !inObject && depth > 0 && stack.top() == t - 1) {
        tape.addSpecial(t - 1, -1, 0);
      }
      // Its end and next are set when it closes (closeContainer).
      putCell(cells, t, c == 0x7b ? T_OBJ : T_ARR, p, p);
      stack.push(t);
      depth++;
      inObject = c == 0x7b;
      if (inObject) obj = t;
      if (depth > tape.maxDepth) tape.maxDepth = depth;
      p = skipWsIn(tape, base, size, p + 1);
      if (p >= size) return fail(E_EOF, p);
      if (byteIn(base, p) != c + 2 /* } or ] */) {
        wantKey = inObject;
        continue;
      }
      closeContainer(cells, p, count);
      depth--;
      inObject = innermostIsObject(cells, depth);
      if (inObject) obj = stack.top();
      p++;
    } else if (c == 0x2d || (c >= 0x30 && c <= 0x39)) {
      p = scanNumber(tape, p, t, cells);
      if (p < 0) return false;
    } else if (c == 0x74) {
      p = scanLiteral(tape, p, T_TRUE, t, cells);
      if (p < 0) return false;
    } else if (c == 0x66) {
      p = scanLiteral(tape, p, T_FALSE, t, cells);
      if (p < 0) return false;
    } else if (c == 0x6e) {
      p = scanLiteral(tape, p, T_NULL, t, cells);
      if (p < 0) return false;
    } else {
      return fail(E_UNEXPECTED, p);
    }
    // After a value in an object, the usual bytes: a comma and the next
    // key's quote.
    if (inObject && p + 1 < size && load<u16>(base + <usize>p) == 0x222c) {
      p++;
      wantKey = true;
      atQuote = true;
      continue;
    }
    // After a value: the containers that close here, then "," or the end.
    while (true) {
      let d = p < size ? byteIn(base, p) : -1;
      if (d <= 0x20) {
        p = skipWsIn(tape, base, size, p);
        d = p < size ? byteIn(base, p) : -1;
      }
      if (depth == 0) {
        if (d >= 0) return fail(E_TRAILING, p);
        tape.count = count;
        if (plan != 0) {
          tape.planCurrent = cur;
          const keysPlanned = min(keyIndex, PLAN_KEYS);
          planOutcome(tape, keysPlanned - missed, missed);
          // Keys taken from the plans count as the longest a kept key can
          // be (Tape.maxStringLen), once here rather than for each.
          if (keysPlanned > missed) maxLen = max(maxLen, PLAN_KEY_BYTES);
        }
        tape.maxStringLen = maxLen;
        return true;
      }
      if (d < 0) return fail(E_EOF, p);
      if (d == 0x2c) {
        // Blanks after it are skipped where the next key or value is read.
        p++;
        break;
      }
      if (d != (inObject ? 0x7d : 0x5d)) return fail(E_UNEXPECTED, p);
      closeContainer(cells, p, count);
      depth--;
      inObject = innermostIsObject(cells, depth);
      if (inObject) obj = stack.top();
      p++;
    }
    wantKey = inObject;
  }
  return false;
}

/** Closes the innermost container at p; `count` tokens are made. */
@inline function closeContainer(cells: usize, p: i32, count: i32): void {
  closeCell(cells, stack.pop(), p + 1, count);
}

/** Whether the innermost open container is an object. */
@inline function innermostIsObject(cells: usize, depth: i32): bool {
  return depth > 0 && (load<i32>(cells + (<usize>stack.top() << 4)) & 0xff) == T_OBJ;
}

/** Scans the literal `true`, `false` or `null` (`kind`) at p: one 4-byte
 *  compare (and a byte for "false") instead of a loop over a string. */
function scanLiteral(tape: Tape, p: i32, kind: i32, t: i32, cells: usize): i32 {
  const base = tape.base;
  const size = tape.size;
  const n = kind == T_FALSE ? 5 : 4;
  if (p + n > size) { fail(E_EOF, size); return -1; }
  const w = load<u32>(base + <usize>p);
  let ok = false;
  if (kind == T_TRUE) ok = w == 0x65757274; // "true"
  else if (kind == T_NULL) ok = w == 0x6c6c756e; // "null"
  else ok = w == 0x736c6166 && byteIn(base, p + 4) == 0x65; // "false"
  if (!ok) {
    // Where it goes wrong, for the error.
    const word = kind == T_TRUE ? "true" : kind == T_NULL ? "null" : "false";
    for (let k = 0; k < n; k++) {
      if (byteIn(base, p + k) != <i32>word.charCodeAt(k)) { fail(E_UNEXPECTED, p + k); return -1; }
    }
  }
  putCell(cells, t, kind, p, p + n);
  return p + n;
}


/** Of 8 bytes read little-endian, flags (in bit 7 of its byte) each quote,
 *  backslash, control character or non-ASCII byte: the bytes a string scan
 *  must look at. Flags above the first may be false (a borrow carries into
 *  the next byte, and any byte from 0x80 may flag), but the lowest flag is
 *  always exact, so the index of the first such byte is ctz(mask) >> 3, and
 *  0 means there is none. The usual "& ~x" of each zero-byte test is left
 *  out: it only clears flags on bytes from 0x80, which `| w` flags anyway
 *  (9 instructions instead of 15, for every 8 bytes of every string). */
@inline export function specialMask(w: u64): u64 {
  return ((w ^ (ONES * 0x22)) - ONES | (w ^ (ONES * 0x5c)) - ONES | w - ONES * 0x20 | w) & HIGHS;
}

@inline function hexValue(c: i32): i32 {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x61 && c <= 0x66) return c - 0x57;
  if (c >= 0x41 && c <= 0x46) return c - 0x37;
  return -1;
}

/** Reads the 4 hex digits at p; -1 if they are not there. */
function hex4(tape: Tape, p: i32): i32 {
  if (p + 4 > tape.size) return -1;
  let v = 0;
  for (let k = 0; k < 4; k++) {
    const h = hexValue(tape.byteAt(p + k));
    if (h < 0) return -1;
    v = (v << 4) | h;
  }
  return v;
}

/** Length of the valid UTF-8 sequence at p, or 0 when it is invalid. */
export function utf8SequenceLength(base: usize, p: i32, size: i32): i32 {
  const c0 = <i32>load<u8>(base + <usize>p);
  let n = 0;
  let lo = 0x80;
  let hi = 0xbf;
  if (c0 < 0xc2) return 0;
  if (c0 < 0xe0) n = 2;
  else if (c0 < 0xf0) {
    n = 3;
    if (c0 == 0xe0) lo = 0xa0;
    else if (c0 == 0xed) hi = 0x9f;
  } else if (c0 < 0xf5) {
    n = 4;
    if (c0 == 0xf0) lo = 0x90;
    else if (c0 == 0xf4) hi = 0x8f;
  } else return 0;
  if (p + n > size) return 0;
  const c1 = <i32>load<u8>(base + <usize>(p + 1));
  if (c1 < lo || c1 > hi) return 0;
  for (let k = 2; k < n; k++) {
    const ck = <i32>load<u8>(base + <usize>(p + k));
    if ((ck & 0xc0) != 0x80) return 0;
  }
  return n;
}

/** Scans the string at `start`. For a key (`isKey`; both flags are
 *  constants at each call, so a value's scan has none of this) it also
 *  hashes the content in the same pass over the words (keyChunkHash, kept
 *  for key tables: Tape.keyHash, F_HASHED). With `notes` it also tells
 *  whether the key is plain, that is copied as it is by the payload walk:
 *  ASCII without escapes, ".", "[" or "]", not empty, not starting with a
 *  space. A plain key's hash goes into the key set of object `obj` (a
 *  repeat sets Tape.maybeDuplicate); any other key is listed in
 *  Tape.specials. Either way the key is then known without reading it
 *  again. */
@inline function scanString(tape: Tape, base: usize, size: i32, start: i32, isKey: bool, notes: bool, obj: i32, t: i32, cells: usize, keyBits: usize): i32 {
  // Token t's cell is written once, at the end. `base`, `size` and
  // `cells` are the tape's, from the parser's locals.
  const wordLimit = size - 8;
  let flags = 0;
  let p = start + 1;
  let plain = notes;
  // Every byte of the key went through the word loop, so h is its hash.
  let wordsOnly = isKey;
  let h = KEY_HASH_SEED;
  while (true) {
    // Skip to the next byte that needs a look, 8 bytes at a time.
    while (p <= wordLimit) {
      const w = load<u64>(base + <usize>p);
      const m = specialMask(w);
      if (notes) {
        const d = pathMask(w);
        if (m != 0) {
          const at = ctz(m) & 56; // bit offset of the byte flagged first
          if (d != 0 && (ctz(d) & 56) < at) plain = false;
          if (at != 0) h = (h ^ (w & ((<u64>1 << at) - 1))) * KEY_HASH_K;
          p += <i32>(at >> 3);
          break;
        }
        if (d != 0) plain = false;
        h = (h ^ w) * KEY_HASH_K;
      } else if (isKey) {
        if (m != 0) {
          const at = ctz(m) & 56;
          if (at != 0) h = (h ^ (w & ((<u64>1 << at) - 1))) * KEY_HASH_K;
          p += <i32>(at >> 3);
          break;
        }
        h = (h ^ w) * KEY_HASH_K;
      } else if (m != 0) {
        p += <i32>(ctz(m) >> 3);
        break;
      }
      p += 8;
    }
    if (p >= size) { fail(E_EOF, size); return -1; }
    const c = byteIn(base, p);
    if (c == 0x22) {
      p++;
      break;
    }
    // Anything read byte by byte makes a key not plain: its hash would
    // not be the words' (see keyChunkHash).
    if (isKey) { plain = false; wordsOnly = false; }
    if (c == 0x5c) {
      flags |= F_ESCAPED;
      if (p + 1 >= size) { fail(E_EOF, size); return -1; }
      const e = byteIn(base, p + 1);
      if (e == 0x75 /* u */) {
        const cp = hex4(tape, p + 2);
        if (cp < 0) { fail(E_ESCAPE, p); return -1; }
        if (cp >= 0xd800 && cp <= 0xdbff) {
          // A high surrogate is whole only when a low one follows.
          let low = -1;
          if (p + 7 < size && byteIn(base, p + 6) == 0x5c && byteIn(base, p + 7) == 0x75) low = hex4(tape, p + 8);
          if (low >= 0xdc00 && low <= 0xdfff) p += 12;
          else { flags |= F_REPAIR; tape.hasRepair = true; p += 6; }
        } else {
          if (cp >= 0xdc00 && cp <= 0xdfff) { flags |= F_REPAIR; tape.hasRepair = true; }
          p += 6;
        }
      } else if (e == 0x22 || e == 0x5c || e == 0x2f || e == 0x62 || e == 0x66 || e == 0x6e || e == 0x72 || e == 0x74) {
        p += 2;
      } else {
        fail(E_ESCAPE, p);
        return -1;
      }
    } else if (c < 0x20) {
      fail(E_CONTROL, p);
      return -1;
    } else if (c >= 0x80) {
      const n = utf8SequenceLength(base, p, size);
      if (n == 0) { flags |= F_REPAIR; tape.hasRepair = true; p++; } else p += n;
    } else {
      p++;
    }
  }
  const len = p - start - 2;
  const hash = wordsOnly ? (h ^ <u64>len) * KEY_HASH_K : 0;
  if (isKey && wordsOnly) {
    tape.setKeyHash(t, hash);
    flags |= F_HASHED;
  }
  putCell(cells, t, T_STR | (flags << 8), start, p);
  // (The caller counts len in Tape.maxStringLen.)
  if (notes) {
    if (plain && (len == 0 || byteIn(base, start + 1) == 0x20)) plain = false;
    if (plain) {
      if (keySeenIn(keyBits, hash, obj)) tape.maybeDuplicate = true;
    } else {
      // With the hash of its content as sent, when there is one (0 else),
      // by which the walk finds the key's rewritten form made before.
      tape.addSpecial(t, obj, hash);
    }
  }
  return p;
}

@inline function isDigit(c: i32): bool { return <u32>(c - 0x30) <= 9; }

/** The end of the run of ASCII digits from p, 8 bytes at a time: with
 *  t = byte ^ 0x30, a digit is t <= 9, and (t + 0x76 | t) has bit 7 set
 *  for any other byte. The lowest such flag is exact (the digits below it
 *  carry nothing into it), so its byte ends the run. */
@inline function digitsEnd(base: usize, p: i32, size: i32): i32 {
  while (p + 8 <= size) {
    const t = load<u64>(base + <usize>p) ^ (ONES * 0x30);
    const m = ((t + ONES * 0x76) | t) & HIGHS;
    if (m != 0) return p + <i32>(ctz(m) >> 3);
    p += 8;
  }
  while (p < size && isDigit(byteIn(base, p))) p++;
  return p;
}

const I64_MIN_DIGITS = "9223372036854775808";
const U64_MAX_DIGITS = "18446744073709551615";

/** Compares `n` digits at p with the ASCII digits of `limit`: <0, 0, >0. */
function compareDigits(tape: Tape, p: i32, limit: string): i32 {
  for (let k = 0; k < limit.length; k++) {
    const d = tape.byteAt(p + k) - <i32>limit.charCodeAt(k);
    if (d != 0) return d;
  }
  return 0;
}

function scanNumber(tape: Tape, start: i32, t: i32, cells: usize): i32 {
  const base = tape.base;
  const size = tape.size;
  let p = start;
  let flags = 0;
  if (byteIn(base, p) == 0x2d) { flags |= F_NEG; p++; }
  if (p >= size) { fail(E_EOF, size); return -1; }
  const intStart = p;
  const first = byteIn(base, p);
  if (first == 0x30) p++;
  else if (first >= 0x31 && first <= 0x39) p = digitsEnd(base, p + 1, size);
  else { fail(E_NUMBER, p); return -1; }
  const intDigits = p - intStart;
  let fracStart = p;
  let fracDigits = 0;
  let isInt = true;
  if (p < size && byteIn(base, p) == 0x2e) {
    isInt = false;
    p++;
    fracStart = p;
    p = digitsEnd(base, p, size);
    fracDigits = p - fracStart;
    if (fracDigits == 0) { fail(E_NUMBER, p); return -1; }
  }
  let exponent: i64 = 0;
  if (p < size && (byteIn(base, p) | 0x20) == 0x65) {
    isInt = false;
    p++;
    let expNeg = false;
    if (p < size && (byteIn(base, p) == 0x2b || byteIn(base, p) == 0x2d)) { expNeg = byteIn(base, p) == 0x2d; p++; }
    const expStart = p;
    while (p < size && isDigit(byteIn(base, p))) {
      if (exponent < 100000000) exponent = exponent * 10 + <i64>(byteIn(base, p) - 0x30);
      p++;
    }
    if (p == expStart) { fail(E_NUMBER, p); return -1; }
    if (expNeg) exponent = -exponent;
  }
  if (isInt) {
    flags |= F_INT;
    if (intDigits > 20) flags |= F_UNSAFE;
    else if (intDigits >= 19) {
      // msgpack holds integers from -2^63 to 2^64-1; beyond that Fluent Bit
      // would turn the value into a rounded double.
      if (flags & F_NEG) {
        if (intDigits == 20 || compareDigits(tape, intStart, I64_MIN_DIGITS) > 0) flags |= F_UNSAFE;
      } else if (intDigits == 20 && compareDigits(tape, intStart, U64_MAX_DIGITS) > 0) {
        flags |= F_UNSAFE;
      }
    }
  } else {
    // Decimal exponent of the leading significant digit; a double holds
    // about 1e-308 to 1.8e308, and Fluent Bit rejects what overflows it.
    let lead: i64 = 0;
    let found = false;
    for (let k = 0; k < intDigits; k++) {
      if (tape.byteAt(intStart + k) != 0x30) { lead = <i64>(intDigits - k - 1); found = true; break; }
    }
    if (!found) {
      for (let k = 0; k < fracDigits; k++) {
        if (tape.byteAt(fracStart + k) != 0x30) { lead = -<i64>(k + 1); found = true; break; }
      }
    }
    if (found) {
      const magnitude = lead + exponent;
      if (magnitude > 307 || magnitude < -307) flags |= F_UNSAFE;
    }
  }
  putCell(cells, t, T_NUM | (flags << 8), start, p);
  if (flags & F_UNSAFE) tape.hasUnsafeNumber = true;
  return p;
}
