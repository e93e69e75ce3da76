// The keys of the last document parsed into a tape, in document order. A
// stream sends events of a few shapes, so the next record mostly has the
// same keys in the same order: the parser then confirms each key by
// comparing its bytes with the kept ones (a few word compares) and takes
// what it learnt the first time (the token's flags, its hash, whether the
// payload walk may copy it as it is), instead of scanning, hashing and
// classifying it again. Key tables keep their answer for a kept key here
// too (KeyTable.lookupToken), so a key of a known shape is looked up once.
//
// Nothing is trusted without its bytes: a key is taken from the plan only
// when all of it, quotes and colon included, is equal to the kept one, and
// what is kept depends on those bytes alone. A key that differs is parsed
// as usual and replaces the kept one, so the plan follows the stream.

import { Tape, T_STR, F_ESCAPED, F_REPAIR, F_HASHED, F_PLANNED, keyChunkHash } from "./tape";
import { HIGHS, pathMask } from "../text/swar";

/** Keys kept per tape: a Sysdig event has 40 to 120. */
export const PLAN_KEYS: i32 = 256;
/** Bytes kept per key: the quotes, the content and the colon (longer
 *  keys are parsed as usual). */
export const PLAN_KEY_BYTES: i32 = 64;

/** Per key, 192 bytes, all of a key's in one place:
 *    0 i32  length kept (the opening quote to the colon); 0: none
 *    4 i32  the key token's cell word (kind | flags << 8)
 *    8 u64  keyChunkHash of the content
 *   16 i32  1 when the key is plain (see parser.ts, scanString)
 *   20 i32  the id of the key table that last looked it up (0: none)
 *   24 i32  that table's answer
 *   28 i32  length of the key as the payload walk rewrites it, quotes
 *           included (0: not made yet; see walker.ts, writeKeyRuns)
 *   32 u64  keyChunkHash of the rewritten content
 *   40 u64  the mask of the kept bytes in their last word (planMatches)
 *   64      the kept bytes (PLAN_KEY_BYTES)
 *  128      the rewritten key's bytes (at most REWRITE_BYTES) */
const ENTRY_BYTES: i32 = 192;
const KEPT_AT: usize = 64;
const REWRITE_AT: usize = 128;
const REWRITE_BYTES: i32 = 64;

/** The id of the key table (KeyTable) whose answer is kept for entry's
 *  key (0: none), and that answer. */
@inline export function keptAnswerTable(entry: usize): i32 { return load<i32>(entry, 20); }
@inline export function keptAnswer(entry: usize): i32 { return load<i32>(entry, 24); }

/** Keeps key table `table`'s answer for entry's key (one table at a time:
 *  a key is looked up in the table of its object). */
@inline export function keepAnswer(entry: usize, table: i32, answer: i32): void {
  store<i32>(entry, table, 20);
  store<i32>(entry, answer, 24);
}

/** The upper half of keyChunkHash of entry's key (KeyTable.lookupHashed). */
@inline export function keptKeyHash(entry: usize): u32 { return <u32>(load<u64>(entry, 8) >> 32); }

/** Length of entry's key as the payload walk rewrites it (0: not kept). */
@inline export function keptRewriteLen(entry: usize): i32 { return load<i32>(entry, 28); }
@inline export function keptRewriteAt(entry: usize): usize { return entry + REWRITE_AT; }
@inline export function keptRewriteHash(entry: usize): u64 { return load<u64>(entry, 32); }

/** Keeps the `n` bytes at `src` as entry's key rewritten, and the hash of
 *  their content (when they fit). */
export function keepRewrite(entry: usize, src: usize, n: i32, hash: u64): void {
  if (n > REWRITE_BYTES) return;
  memory.copy(entry + REWRITE_AT, src, <usize>n);
  store<u64>(entry, hash, 32);
  store<i32>(entry, n, 28);
}

/** Bytes of one plan. */
export const PLAN_BYTES: usize = <usize>(PLAN_KEYS * ENTRY_BYTES);

/** Two new, empty plans, one after the other (unmanaged: they live as
 *  long as their tape). Two, so that a stream that alternates between two
 *  shapes keeps both: the parser follows one, tries the other where a key
 *  differs, and keeps a new key in the one whose key it does not replace
 *  (parser.ts). */
export function newKeyPlans(): usize {
  const plans = heap.alloc(PLAN_BYTES << 1);
  memory.fill(plans, 0, PLAN_BYTES << 1);
  return plans;
}

/** Documents in a row that miss more keys than they find before the
 *  plans rest, and for how many documents they rest. A stream whose keys
 *  never come again in the same order (a key made per record, say) would
 *  otherwise pay for every key a comparison and a keeping that never pay
 *  back; resting, it pays that for STRIKES documents in STRIKES + REST. */
const STRIKES: i32 = 4;
const REST: i32 = 60;

/** The plans to parse the next document of `tape` with: tape.plan, or 0
 *  while they rest. */
@inline export function planParse(tape: Tape): usize {
  if (tape.planRest == 0) return tape.plan;
  tape.planRest--;
  return 0;
}

/** Counts a document parsed with the plans that found `found` keys in
 *  them and missed `missed`. */
@inline export function planOutcome(tape: Tape, found: i32, missed: i32): void {
  if (missed <= found) {
    tape.planStrikes = 0;
  } else if (++tape.planStrikes >= STRIKES) {
    tape.planStrikes = 0;
    tape.planRest = REST;
  }
}

/** The entry of `plan` whose key k is the key at p of the document at
 *  `base` (`last` = its size - 8: a kept key is confirmed only where the
 *  parser would read it in words, 8 bytes past it included), or 0. */
@inline export function planFind(plan: usize, k: i32, base: usize, p: i32, last: i32): usize {
  const entry = planEntry(plan, k);
  const n = load<i32>(entry);
  return n > 0 && p + n <= last && planMatches(base + <usize>p, entry, n) ? entry : 0;
}

@inline export function planEntry(plan: usize, k: i32): usize {
  return plan + <usize>(k * ENTRY_BYTES);
}

/** Whether the `n` bytes at `at` equal entry's kept bytes; reads up to 7
 *  bytes past both, which the caller has. */
@inline export function planMatches(at: usize, entry: usize, n: i32): bool {
  const kept = entry + KEPT_AT;
  let i = 0;
  for (; i + 8 < n; i += 8) {
    if (load<u64>(at + <usize>i) != load<u64>(kept + <usize>i)) return false;
  }
  // The last 1 to 8 bytes, under the kept mask.
  return ((load<u64>(at + <usize>i) ^ load<u64>(kept + <usize>i)) & load<u64>(entry, 40)) == 0;
}

/** Keeps the key token `tok` of `tape`, just parsed (its bytes from `start`
 *  to `end`, past the closing quote), as key `k` of the plan; or leaves
 *  key `k` empty when the key cannot be confirmed in words the way the
 *  parser reads it: not followed at once by its colon, escaped or not
 *  ASCII, longer than a kept key, or too near the end of the document (the
 *  parser then reads it byte by byte, and does not hash it). With
 *  `notes`, the parser has classified and hashed the key already. */
export function planKeep(plan: usize, k: i32, tape: Tape, tok: i32, start: i32, end: i32, notes: bool): void {
  const entry = planEntry(plan, k);
  // What was kept for the key this one replaces goes with it.
  store<i32>(entry, 0);
  store<i32>(entry, 0, 20);
  store<i32>(entry, 0, 28);
  const base = tape.base;
  const n = end - start + 1; // with the colon
  if (n > PLAN_KEY_BYTES || start + n + 8 > tape.size) return;
  if (<i32>load<u8>(base + <usize>end) != 0x3a) return;
  const flags = tape.flags(tok);
  let hash: u64 = 0;
  let plain = false;
  if (notes) {
    // Read in words only (no escape, nothing but ASCII: F_HASHED), and
    // plain unless the parser listed it in specials.
    if ((flags & F_HASHED) == 0) return;
    hash = tape.fullKeyHash(tok);
    const specials = tape.specials;
    plain = specials.len == 0 || load<i32>(specials.ptr + (<usize>(specials.len - 4) << 2)) != tok;
  } else {
    if ((flags & (F_ESCAPED | F_REPAIR)) != 0) return;
    // What scanString with notes finds: whether a byte is not ASCII (not
    // kept) or ".", "[" or "]" (not plain; pathMask flags non-ASCII too),
    // and keyChunkHash. Reads up to 7 bytes past the key, inside the
    // document; a zero byte past the content flags nothing.
    const content = base + <usize>(start + 1);
    const len = end - start - 2;
    let seen: u64 = 0;
    let path: u64 = 0;
    for (let i = 0; i < len; i += 8) {
      let w = load<u64>(content + <usize>i);
      if (len - i < 8) w &= ((<u64>1) << (<u64>(len - i) << 3)) - 1;
      seen |= w;
      path |= pathMask(w);
    }
    if ((seen & HIGHS) != 0) return;
    hash = keyChunkHash(content, len);
    plain = path == 0 && len > 0 && <i32>load<u8>(content) != 0x20;
  }
  // The kept bytes need no padding: planMatches masks the last word.
  memory.copy(entry + KEPT_AT, base + <usize>start, <usize>n);
  const tail = n - ((n - 1) & ~7);
  store<u64>(entry, tail == 8 ? u64.MAX_VALUE : ((<u64>1) << (<u64>tail << 3)) - 1, 40);
  store<i32>(entry, T_STR | ((F_HASHED | F_PLANNED) << 8), 4);
  store<u64>(entry, hash, 8);
  store<i32>(entry, plain ? 1 : 0, 16);
  store<i32>(entry, n);
}
