// Writes a parsed value back out, without recursion, optionally making it
// safe for Elasticsearch's dynamic mapping:
//  - keys: "." and "[N]" would be read as object paths ("proc.aname[2]"
//    becomes proc → aname[2] and clashes with proc.aname), so they turn into
//    "_" ("proc_aname_2"), and so does NUL, which a `flattened` field
//    refuses in keys (it joins key and value with it); a key left empty or blank once "]" is dropped
//    gets a leading "_" (Elasticsearch rejects such field names);
//  - [{key, value}] lists (Sysdig's legacy format) become objects;
//  - a key seen twice in one object keeps its first value (Elasticsearch
//    rejects documents with duplicate keys);
//  - below `maxDepth`, a container is kept as its JSON text (Elasticsearch
//    refuses documents nested deeper than 20 objects);
//  - an object with a key longer than `maxKeyBytes` is kept as its JSON
//    text too, and such a member of the root object is left out: a
//    `flattened` field indexes "key path + value" as one term, and a term
//    over 32766 bytes gets the whole document rejected.
// In every mode, numbers Fluent Bit cannot hold exactly become strings of
// their digits, and damaged strings are repaired. What was changed is
// reported as LOSS_* bits so the document can say so.

import { ByteBuf, IntBuf } from "../io/buffers";
import { Tape, T_OBJ, T_ARR, T_STR, T_NUM, T_NULL, F_UNSAFE, F_ESCAPED, F_REPAIR, F_PLANNED, keyChunkHash, KV_ASKED } from "./tape";
import { keptRewriteLen, keptRewriteAt, keptRewriteHash, keepRewrite as keepPlannedRewrite } from "./key_plan";
import { writeStringToken, writeEscaped, decodeStringToken } from "./escape";
import { isSecretKey } from "../text/secret_keys";
import { sameBytes } from "../text/keytable";
import { ONES, HIGHS } from "../text/swar";

export const LOSS_REPAIRED: i32 = 1;      // invalid UTF-8 or lone surrogates replaced
export const LOSS_NUMBER_AS_STRING: i32 = 2;
export const LOSS_DUPLICATE_KEY: i32 = 4; // later values of a repeated key dropped
export const LOSS_DEPTH_AS_STRING: i32 = 8;
export const LOSS_LONG_KEY_AS_STRING: i32 = 16;
export const LOSS_LONG_KEY_DROPPED: i32 = 32; // a root member whose key is over the limit
export const LOSS_REDACTED: i32 = 64;     // values of secret-looking keys replaced (WalkMode.redact)

/** What a redacted value is written as. */
export const REDACTED = "[REDACTED]";

export class WalkMode {
  safeKeys: bool = false;
  keyValueLists: bool = false;
  dedupe: bool = false;
  /** Containers deeper than this are written as JSON text; 0 = no limit. */
  maxDepth: i32 = 0;
  /** Objects with a key longer than this (bytes as sent) are written as
   *  JSON text, and root members with one are left out; 0 = no limit. */
  maxKeyBytes: i32 = 0;
  /** Values of secret-looking keys (text/secret_keys.ts) are written as
   *  REDACTED, and their keys listed in Walker.redactedKeys. */
  redact: bool = false;
}

const M_OBJ: i32 = 0;
const M_ARR: i32 = 1;
const M_KV: i32 = 2;
const FRAME: i32 = 4; // mode, cursor, end, serial

const frames = new IntBuf();

/** writeSpans' open containers: where each ends (token index) and, for an
 *  object, its serial for duplicate detection (0 for an array). */
const SPAN_DEPTH: i32 = 64;
const spanEnds = new StaticArray<i32>(SPAN_DEPTH + 1);
const spanSerials = new StaticArray<i32>(SPAN_DEPTH + 1);
const keyScratch = new ByteBuf();
const valueScratch = new ByteBuf();

// Keys already written, per object, for duplicate detection. Entries carry
// the call's generation, so the table never needs clearing.
const seen = new IntBuf(); // generation, serial, hash, offset, length
const SEEN: i32 = 5;
let seenCap: i32 = 0;
let seenCount: i32 = 0;
let generation: i32 = 0;
let serialCounter: i32 = 0;

function seenReset(): void {
  generation++;
  seenCount = 0;
  serialCounter = 0;
  if (seenCap == 0 || seenCap > 1 << 16) {
    seenCap = 256;
    seen.trim();
    seen.ensure(seenCap * SEEN);
    seen.len = seenCap * SEEN;
    for (let i = 0; i < seen.len; i++) seen.set(i, 0);
  }
}

function seenGrow(out: ByteBuf): void {
  const oldCap = seenCap;
  const old = new IntBuf();
  old.ensure(oldCap * SEEN);
  for (let i = 0; i < oldCap * SEEN; i++) old.push(seen.get(i));
  seenCap = oldCap * 2;
  seen.reset();
  seen.ensure(seenCap * SEEN);
  seen.len = seenCap * SEEN;
  for (let i = 0; i < seen.len; i++) seen.set(i, 0);
  seenCount = 0;
  for (let i = 0; i < oldCap; i++) {
    const at = i * SEEN;
    if (old.get(at) == generation) {
      seenInsert(old.get(at + 1), <u32>old.get(at + 2), old.get(at + 3), old.get(at + 4), out);
    }
  }
  heap.free(old.ptr);
}

/** Where a recorded key is: offset >= 0 is into the output being written;
 *  ~offset is into the input (the span walk records keys it has not copied
 *  yet by their place in the record, which never moves). */
let inputBase: usize = 0;
@inline function keyAddress(offset: i32, out: ByteBuf): usize {
  return offset >= 0 ? out.ptr + <usize>offset : inputBase + <usize>(~offset);
}

/** Records a key (its quotes included); false if this object already has it. */
function seenInsert(serial: i32, hash: u32, offset: i32, length: i32, out: ByteBuf): bool {
  if ((seenCount + 1) * 2 > seenCap) seenGrow(out);
  const mask = <u32>(seenCap - 1);
  const table = seen.ptr;
  let s = (hash ^ (<u32>serial * 0x9e3779b1)) & mask;
  while (true) {
    const e = table + (<usize>s * <usize>(SEEN << 2));
    if (load<i32>(e) != generation) {
      store<i32>(e, generation); store<i32>(e, serial, 4); store<i32>(e, <i32>hash, 8);
      store<i32>(e, offset, 12); store<i32>(e, length, 16);
      seenCount++;
      return true;
    }
    if (load<i32>(e, 4) == serial && <u32>load<i32>(e, 8) == hash && load<i32>(e, 16) == length &&
        memory.compare(keyAddress(load<i32>(e, 12), out), keyAddress(offset, out), <usize>length) == 0) {
      return false;
    }
    s = (s + 1) & mask;
  }
  return false;
}

// Keys as writeSafeKey writes them (quotes included), by the hash of their
// content as sent: a stream's dotted names are few and recur in every
// event, and copying a rewritten key costs the interpreter a fraction of
// rewriting it. Sets of two, on the hash's top bits (two names of one event
// that meet in a set both stay), the newer first; a hit is confirmed by
// comparing the bytes, so a hash collision can never change a key.
const REWRITE_SETS: i32 = 128;
const REWRITE_MAX_BYTES: i32 = 128;
/** Per way, 32 bytes: the hash of the key as sent (u64; 0: empty), its
 *  length, the written key's length, the block holding the key as sent
 *  then as written, and keyChunkHash of the written key's content (u64,
 *  for the key set). One table: a way is one address, its parts loads at
 *  fixed offsets. */
const rewrites: usize = heap.alloc(<usize>REWRITE_SETS << 6);
memory.fill(rewrites, 0, <usize>REWRITE_SETS << 6);

/** The set of a key as sent with this hash. */
@inline function rewriteSet(rawHash: u64): usize {
  return rewrites + (<usize>(rawHash >> 57) << 6);
}

/** Whether the way at `entry` holds this key as sent. */
@inline function rewriteHolds(entry: usize, rawHash: u64, raw: usize, rawLen: i32): bool {
  return load<u64>(entry) == rawHash && load<i32>(entry, 8) == rawLen && sameBytes(load<usize>(entry, 16), raw, rawLen);
}

/** Keeps a rewritten key first in its set; the older way goes. */
function keepRewrite(set: usize, rawHash: u64, raw: usize, rawLen: i32, written: usize, writtenLen: i32, writtenHash: u64): void {
  const old = load<usize>(set, 32 + 16);
  if (old != 0) heap.free(old);
  memory.copy(set + 32, set, 32);
  const block = heap.alloc(<usize>(rawLen + writtenLen));
  memory.copy(block, raw, <usize>rawLen);
  memory.copy(block + <usize>rawLen, written, <usize>writtenLen);
  store<u64>(set, rawHash);
  store<i32>(set, rawLen, 8);
  store<i32>(set, writtenLen, 12);
  store<usize>(set, block, 16);
  store<u64>(set, writtenHash, 24);
}

/** True when an array is a non-empty list of {"key": string, "value": any}
 *  (the two members in either order, and nothing else). */
export function isKeyValueList(tape: Tape, arr: i32): bool {
  const asked = tape.kvAskedCount;
  for (let i = 0; i < asked; i++) {
    if (unchecked(tape.kvAsked[i]) == arr) return unchecked(tape.kvAnswers[i]);
  }
  const answer = isKeyValueListOnce(tape, arr);
  if (asked < KV_ASKED) {
    unchecked(tape.kvAsked[asked] = arr);
    unchecked(tape.kvAnswers[asked] = answer);
    tape.kvAskedCount = asked + 1;
  }
  return answer;
}

function isKeyValueListOnce(tape: Tape, arr: i32): bool {
  const end = tape.next(arr);
  if (end == arr + 1) return false;
  let c = arr + 1;
  while (c < end) {
    if (!isKeyValueElement(tape, c)) return false;
    c = tape.next(c);
  }
  return true;
}

/** One element of a {key, value} list: an object of exactly two members,
 *  "key" with a string and "value", in either order. */
@inline function isKeyValueElement(tape: Tape, obj: i32): bool {
  if (tape.kind(obj) != T_OBJ) return false;
  const end = tape.next(obj);
  const k1 = obj + 1;
  if (k1 >= end) return false;
  const k2 = tape.next(k1 + 1);
  if (k2 >= end || tape.next(k2 + 1) != end) return false;
  if (isKeyName(tape, k1)) return isValueName(tape, k2) && tape.kind(k1 + 1) == T_STR;
  return isKeyName(tape, k2) && isValueName(tape, k1) && tape.kind(k2 + 1) == T_STR;
}

// "key" and "value" as the parser's tape holds them: an unescaped string
// token's content is followed by its closing quote, so `key"` is one 4-byte
// read, and `value` a 4-byte and a 1-byte one (these run for every element
// of every {key, value} list, several times).
const KEY_QUOTE: u32 = 0x2279656b; // k e y " (little-endian)
const VALU: u32 = 0x756c6176; // v a l u (little-endian)

@inline function isKeyName(tape: Tape, tok: i32): bool {
  return tape.kind(tok) == T_STR && tape.innerLen(tok) == 3 && (tape.flags(tok) & F_ESCAPED) == 0 &&
    load<u32>(tape.ptr(tape.innerStart(tok))) == KEY_QUOTE;
}

@inline function isValueName(tape: Tape, tok: i32): bool {
  if (tape.kind(tok) != T_STR || tape.innerLen(tok) != 5 || (tape.flags(tok) & F_ESCAPED) != 0) return false;
  const p = tape.ptr(tape.innerStart(tok));
  return load<u32>(p) == VALU && load<u8>(p, 4) == 0x65;
}

/** The "key" string of an element of a list isKeyValueList accepted (its
 *  members are "key" and "value", so the first one's name tells which is
 *  which). */
@inline export function kvKeyToken(tape: Tape, obj: i32): i32 {
  const k1 = obj + 1;
  return isKeyName(tape, k1) ? k1 + 1 : tape.next(k1 + 1) + 1;
}

/** The "value" of an element of a list isKeyValueList accepted. */
@inline export function kvValueToken(tape: Tape, obj: i32): i32 {
  const k1 = obj + 1;
  return isKeyName(tape, k1) ? tape.next(k1 + 1) + 1 : k1 + 1;
}

/** Writes a key made safe for Elasticsearch (see the top of this file). */
function writeSafeKey(out: ByteBuf, tape: Tape, keyTok: i32): i32 {
  if ((tape.flags(keyTok) & (F_ESCAPED | F_REPAIR)) == 0) {
    // Falco's dotted names: raw content has nothing to decode or escape,
    // so only the path characters are replaced, straight into `out`.
    out.byte(0x22);
    appendSafeKey(out, tape.ptr(tape.innerStart(keyTok)), tape.innerLen(keyTok), tape.ptr(tape.size));
    out.byte(0x22);
    return 0;
  }
  keyScratch.reset();
  decodeStringToken(keyScratch, tape, keyTok);
  valueScratch.reset();
  appendSafeKey(valueScratch, keyScratch.ptr, keyScratch.len, keyScratch.ptr + <usize>keyScratch.len);
  out.byte(0x22);
  const loss = writeEscaped(out, valueScratch.ptr, valueScratch.len) ? LOSS_REPAIRED : 0;
  out.byte(0x22);
  return loss;
}

/** Appends the `n` bytes of a decoded key with ".", "[" and NUL as "_" and
 *  "]" dropped, after a "_" when nothing but blanks would be left. Bytes up
 *  to `limit` may be read (not written) past the key, so that its last
 *  few bytes can be read as one word. */
function appendSafeKey(dst: ByteBuf, src: usize, n: i32, limit: usize): void {
  let blank = true;
  for (let i = 0; i < n; i++) {
    const c = load<u8>(src + <usize>i);
    if (c != 0x20 && c != 0x09 && c != 0x0a && c != 0x0d && c != 0x5d) { blank = false; break; }
  }
  // Room for the key, the "_" and a whole word stored past its end.
  dst.ensure(n + 9);
  let q = dst.ptr + <usize>dst.len;
  if (blank) store<u8>(q++, 0x5f);
  // Falco's names end in at most one "]" ("proc.aname[2]"), which goes:
  // the words are taken up to it.
  const m = n > 0 && load<u8>(src + <usize>(n - 1)) == 0x5d ? n - 1 : n;
  let i = 0;
  // 8 bytes per step while no "]" is among them: each ".", "[" or NUL byte
  // becomes "_" in the word.
  for (; i + 8 <= m; i += 8) {
    const w = load<u64>(src + <usize>i);
    if (exactByte(w, 0x5d) != 0) break;
    store<u64>(q, safeKeyWord(w));
    q += 8;
  }
  if (i < m && m - i < 8 && src + <usize>(i + 8) <= limit) {
    // The last 1 to 7 bytes as one word; what lies past them is written
    // but not counted (dst has room for it).
    const w = load<u64>(src + <usize>i);
    const valid = ((<u64>1) << (<u64>(m - i) << 3)) - 1;
    if ((exactByte(w, 0x5d) & valid) == 0) {
      store<u64>(q, safeKeyWord(w));
      q += <usize>(m - i);
      i = m;
    }
  }
  for (; i < m; i++) {
    const c = load<u8>(src + <usize>i);
    if (c == 0x2e || c == 0x5b || c == 0) store<u8>(q++, 0x5f);
    else if (c != 0x5d) store<u8>(q++, c);
  }
  dst.len = <i32>(q - dst.ptr);
}

/** A word of a key with each ".", "[" or NUL byte as "_". */
@inline function safeKeyWord(w: u64): u64 {
  const hits = exactByte(w, 0x2e) | exactByte(w, 0x5b) | exactByte(w, 0);
  const fill = (hits >> 7) * 0xff;
  return (w & ~fill) | (ONES * 0x5f & fill);
}

/** 0x80 in each byte of `w` that equals `b`, and nowhere else (exact,
 *  unlike hasByte, whose borrow can flag a byte above a match). */
@inline function exactByte(w: u64, b: u64): u64 {
  const x = w ^ (ONES * b);
  const LOWS: u64 = 0x7f7f7f7f7f7f7f7f;
  return ~(((x & LOWS) + LOWS) | x | LOWS);
}

/** A scalar that enter() would copy byte for byte: a string that needs no
 *  repair, a number Fluent Bit holds exactly, true, false or null. */
@inline function isVerbatimScalar(tape: Tape, tok: i32): bool {
  const kind = tape.kind(tok);
  if (kind == T_OBJ || kind == T_ARR) return false;
  if (kind == T_STR) return (tape.flags(tok) & F_REPAIR) == 0;
  if (kind == T_NUM) return (tape.flags(tok) & F_UNSAFE) == 0;
  return true;
}

/** A value worth hiding: not null and not "" (an unset secret says something
 *  useful and hides nothing). */
function hasSecretValue(tape: Tape, tok: i32): bool {
  const kind = tape.kind(tok);
  if (kind == T_NULL) return false;
  return !(kind == T_STR && tape.innerLen(tok) == 0);
}

const NOT_PLAIN: u64 = 1 << 32;


/** Nonzero when one of the 8 bytes of `w` is `b`. */
@inline function hasByte(w: u64, b: u64): u64 {
  const x = w ^ (ONES * b);
  return (x - ONES) & ~x & HIGHS;
}

/** The 4 to 7 bytes from i to n, as two overlapping 4-byte reads. */
@inline function tailWord(p: usize, i: i32, n: i32): u64 {
  return <u64>load<u32>(p + <usize>i) | (<u64>load<u32>(p + <usize>(n - 4)) << 32);
}

/** Hash of a key's content as written (between the quotes), for duplicate
 *  detection: 8 bytes per step, since the interpreter pays per instruction.
 *  Equal content always gives the same hash; a collision only costs a
 *  comparison (seenInsert). */
function keyContentHash(p: usize, n: i32): u32 {
  const K: u64 = 0x9e3779b97f4a7c15;
  let h: u64 = <u64>n * K;
  let i = 0;
  for (; i + 8 <= n; i += 8) h = (h ^ load<u64>(p + <usize>i)) * K;
  if (n - i >= 4) return <u32>(((h ^ tailWord(p, i, n)) * K) >> 32);
  for (; i < n; i++) h = (h ^ <u64>load<u8>(p + <usize>i)) * K;
  return <u32>(h >> 32);
}

/** For a key writeSafeKey would write unchanged (no escapes, no invalid
 *  UTF-8, no "." "[" "]", not blank), the hash of its content
 *  (keyContentHash, computed in the same pass); NOT_PLAIN otherwise. Most
 *  keys are plain, and are copied as they are. */
@inline function plainKeyHash(tape: Tape, keyTok: i32): u64 {
  if ((tape.flags(keyTok) & (F_ESCAPED | F_REPAIR)) != 0) return NOT_PLAIN;
  const p = tape.ptr(tape.innerStart(keyTok));
  const n = tape.innerLen(keyTok);
  const K: u64 = 0x9e3779b97f4a7c15;
  let h: u64 = <u64>n * K;
  // Unescaped JSON string content holds no control characters, so the
  // only blank byte it can have is the space. (hasByte may flag a byte
  // above a real match: then a plain key takes the slower, equal path.)
  let blank = true;
  let i = 0;
  // Words only while they lie inside the key: never a read past it.
  for (; i + 8 <= n; i += 8) {
    const w = load<u64>(p + <usize>i);
    if ((hasByte(w, 0x2e) | hasByte(w, 0x5b) | hasByte(w, 0x5d)) != 0) return NOT_PLAIN;
    if (w != ONES * 0x20) blank = false;
    h = (h ^ w) * K;
  }
  if (n - i >= 4) {
    const w = tailWord(p, i, n);
    if ((hasByte(w, 0x2e) | hasByte(w, 0x5b) | hasByte(w, 0x5d)) != 0) return NOT_PLAIN;
    if (blank && w == ONES * 0x20) return NOT_PLAIN;
    return <u64><u32>(((h ^ w) * K) >> 32);
  }
  for (; i < n; i++) {
    const c = <i32>load<u8>(p + <usize>i);
    if (c == 0x2e || c == 0x5b || c == 0x5d) return NOT_PLAIN;
    if (c != 0x20) blank = false;
    h = (h ^ <u64>c) * K;
  }
  return blank ? NOT_PLAIN : <u64><u32>(h >> 32);
}

/** True when an object (or a {key, value} list) has a key longer than `limit` bytes. */
function hasLongKey(tape: Tape, tok: i32, isKeyValueList: bool, limit: i32): bool {
  const end = tape.next(tok);
  let c = tok + 1;
  while (c < end) {
    const keyTok = isKeyValueList ? kvKeyToken(tape, c) : c;
    if (tape.innerLen(keyTok) > limit) return true;
    c = isKeyValueList ? tape.next(c) : tape.next(c + 1);
  }
  return false;
}

export class Walker {
  loss: i32 = 0;
  /** A token written as the bytes of `substitute` instead of itself (a
   *  mapper's rendering of a value, such as a decoded JSON string); -1: none. */
  substituteTok: i32 = -1;
  substitute: ByteBuf = new ByteBuf();
  /** Decoded names of the keys whose values were redacted, ", "-separated. */
  redactedKeys: ByteBuf = new ByteBuf();

  /** Call once per record before any write, so duplicate detection starts afresh. */
  static beginRecord(): void { seenReset(); }

  write(out: ByteBuf, tape: Tape, root: i32, mode: WalkMode): void {
    if (!this.spanWalkFits(tape, root, mode)) {
      this.writeMembers(out, tape, root, mode);
      return;
    }
    if (root == 0 && tape.keyNotes && !tape.maybeDuplicate) {
      const mark = out.len;
      const loss = this.loss;
      if (this.writeKeyRuns(out, tape, mode)) return;
      // Two keys of one object may be equal as written: start again with
      // the walk that compares them.
      out.len = mark;
      this.loss = loss;
    }
    this.writeSpans(out, tape, root, mode);
  }

  /** writeSpans' output without visiting every token: the parser listed
   *  the only places where that walk changes anything (keys that are not
   *  plain, arrays that may be {key, value} lists; Tape.specials) and put
   *  every plain key in the tape's key set, finding no repeat. This copies
   *  the record between those places, rewrites the keys and adds them to
   *  the key set as written. False when one of them may repeat a key of its
   *  object (the caller then drops what this wrote). */
  private writeKeyRuns(out: ByteBuf, tape: Tape, mode: WalkMode): bool {
    const specials = tape.specials;
    const listed = specials.ptr;
    const count = specials.len;
    let copyFrom = tape.start(0);
    // Inside a {key, value} list already written member by member.
    let skipUntil = 0;
    for (let k = 0; k < count; k += 4) {
      const note = listed + (<usize>k << 2);
      const tok = load<i32>(note);
      if (tok < skipUntil) continue;
      const obj = load<i32>(note, 4);
      if (obj < 0) {
        if (!isKeyValueList(tape, tok)) continue;
        out.bytes(tape.ptr(copyFrom), tape.start(tok) - copyFrom);
        this.writeMembers(out, tape, tok, mode);
        copyFrom = tape.end(tok);
        skipUntil = tape.next(tok);
        continue;
      }
      const keyStart = tape.start(tok);
      const keyEnd = tape.end(tok);
      out.bytes(tape.ptr(copyFrom), keyStart - copyFrom);
      // A key the parser took from its plan: rewritten once for the plan's
      // entry (json/key_plan.ts), copied from there for every record.
      const planned = (tape.flags(tok) & F_PLANNED) != 0 ? tape.plannedEntry(tok) : 0;
      if (planned != 0 && keptRewriteLen(planned) != 0) {
        out.bytes(keptRewriteAt(planned), keptRewriteLen(planned));
        if (tape.keySeen(keptRewriteHash(planned), obj)) return false;
        copyFrom = keyEnd;
        continue;
      }
      // Where the key's rewritten form starts in `out`.
      const rewriteAt = out.len;
      const rawHash = load<u64>(note, 8);
      const raw = tape.ptr(keyStart + 1);
      const rawLen = keyEnd - keyStart - 2;
      let written: u64;
      const cacheable = rawHash != 0 && rawLen <= REWRITE_MAX_BYTES;
      const set = rewriteSet(rawHash);
      let entry: usize = 0;
      if (cacheable) {
        if (rewriteHolds(set, rawHash, raw, rawLen)) entry = set;
        else if (rewriteHolds(set + 32, rawHash, raw, rawLen)) entry = set + 32;
      }
      if (entry != 0) {
        // Made before (Falco's names recur in every event): copied.
        out.bytes(load<usize>(entry, 16) + <usize>rawLen, load<i32>(entry, 12));
        written = load<u64>(entry, 24);
      } else {
        this.loss |= writeSafeKey(out, tape, tok);
        // keyChunkHash reads up to 7 bytes past the key: keep them in `out`.
        out.ensure(8);
        written = keyChunkHash(out.ptr + <usize>(rewriteAt + 1), out.len - rewriteAt - 2);
        if (cacheable) keepRewrite(set, rawHash, raw, rawLen, out.ptr + <usize>rewriteAt, out.len - rewriteAt, written);
      }
      if (planned != 0) keepPlannedRewrite(planned, out.ptr + <usize>rewriteAt, out.len - rewriteAt, written);
      if (tape.keySeen(written, obj)) return false;
      copyFrom = keyEnd;
    }
    out.bytes(tape.ptr(copyFrom), tape.end(0) - copyFrom);
    return true;
  }

  /** Writes a value member by member (any mode, any value). */
  private writeMembers(out: ByteBuf, tape: Tape, root: i32, mode: WalkMode): void {
    frames.reset();
    if (!this.enter(out, tape, root, mode, 1)) return;
    while (frames.len > 0) {
      const at = frames.len - FRAME;
      const m = frames.get(at);
      const cursor = frames.get(at + 1);
      const end = frames.get(at + 2);
      const serial = frames.get(at + 3);
      if (cursor >= end) {
        out.byte(m == M_ARR ? 0x5d : 0x7d);
        frames.len -= FRAME;
        continue;
      }
      const depth = frames.len / FRAME + 1;
      if (m == M_ARR) {
        if (out.at(out.len - 1) != 0x5b) out.byte(0x2c);
        frames.set(at + 1, tape.next(cursor));
        this.enter(out, tape, cursor, mode, depth);
        continue;
      }
      // An object member, or a {key, value} element written as one.
      let keyTok: i32, valTok: i32;
      if (m == M_OBJ) { keyTok = cursor; valTok = cursor + 1; frames.set(at + 1, tape.next(valTok)); }
      else { keyTok = kvKeyToken(tape, cursor); valTok = kvValueToken(tape, cursor); frames.set(at + 1, tape.next(cursor)); }
      const mark = out.len;
      if (mode.maxKeyBytes > 0 && tape.maxStringLen > mode.maxKeyBytes && tape.innerLen(keyTok) > mode.maxKeyBytes) {
        // Only the root object gets here: deeper ones were kept as text.
        this.loss |= LOSS_LONG_KEY_DROPPED;
        continue;
      }
      if (out.at(out.len - 1) != 0x7b) out.byte(0x2c);
      const keyStart = out.len;
      const plain = mode.safeKeys ? plainKeyHash(tape, keyTok) : NOT_PLAIN;
      const redacting = mode.redact && hasSecretValue(tape, valTok) && this.isSecret(tape, keyTok);
      if (plain != NOT_PLAIN) {
        const from = tape.start(keyTok);
        const keyEnd = tape.end(keyTok);
        if (tape.start(valTok) == keyEnd + 1 && isVerbatimScalar(tape, valTok) && !redacting && valTok != this.substituteTok) {
          // The common member: a plain key, a colon and a value written as
          // it came, with no whitespace between: one copy for all three.
          out.bytes(tape.ptr(from), tape.end(valTok) - from);
          if (mode.dedupe && !seenInsert(serial, <u32>plain, keyStart, keyEnd - from, out)) {
            out.len = mark;
            this.loss |= LOSS_DUPLICATE_KEY;
          }
          continue;
        }
        out.bytes(tape.ptr(from), keyEnd - from);
      } else if (mode.safeKeys) this.loss |= writeSafeKey(out, tape, keyTok);
      else if (writeStringToken(out, tape, keyTok)) this.loss |= LOSS_REPAIRED;
      if (mode.dedupe) {
        // Keys are told apart by what was written; the hash covers the
        // content between the quotes.
        const len = out.len - keyStart;
        const hash = plain != NOT_PLAIN ? <u32>plain : keyContentHash(out.ptr + <usize>(keyStart + 1), len - 2);
        if (!seenInsert(serial, hash, keyStart, len, out)) {
          out.len = mark;
          this.loss |= LOSS_DUPLICATE_KEY;
          continue;
        }
      }
      out.byte(0x3a);
      if (redacting) this.redactValue(out, tape, keyTok);
      else this.enter(out, tape, valTok, mode, depth);
    }
  }

  /** Whether writeSpans can write this value: an Elasticsearch-safe walk
   *  (safe keys, duplicate keys dropped, {key, value} lists) of a compact
   *  container in which nothing is too deep, too long, damaged or beyond
   *  64 bits, and nothing is substituted or redacted. */
  private spanWalkFits(tape: Tape, root: i32, mode: WalkMode): bool {
    if (!mode.safeKeys || !mode.dedupe || !mode.keyValueLists || mode.redact) return false;
    if (tape.hasBlanks || tape.hasRepair || tape.hasUnsafeNumber || this.substituteTok >= 0) return false;
    if (mode.maxDepth > 0 && tape.maxDepth > mode.maxDepth) return false;
    if (mode.maxKeyBytes > 0 && tape.maxStringLen > mode.maxKeyBytes) return false;
    const kind = tape.kind(root);
    return (kind == T_OBJ || kind == T_ARR) && tape.maxDepth <= SPAN_DEPTH;
  }

  /** The same output as the member-by-member walk, for the values
   *  spanWalkFits accepts: there, that walk copies every token as it came
   *  and only rewrites keys that are not plain and drops repeated keys, so
   *  this copies the record in runs between those places, one copy per
   *  run instead of one per member. A {key, value} list, which is
   *  rewritten as an object, is written member by member. */
  private writeSpans(out: ByteBuf, tape: Tape, root: i32, mode: WalkMode): void {
    inputBase = tape.base;
    let copyFrom = tape.start(root);
    let depth = 0;
    let i = root;
    const stop = tape.next(root);
    while (i < stop) {
      // Close the containers that end here.
      while (depth > 0 && unchecked(spanEnds[depth - 1]) <= i) depth--;
      if (depth > 0 && unchecked(spanSerials[depth - 1]) != 0) {
        // A member of an object: i is its key, i + 1 its value.
        const serial = unchecked(spanSerials[depth - 1]);
        const keyTok = i;
        const valTok = i + 1;
        const keyFrom = tape.start(keyTok);
        const plain = plainKeyHash(tape, keyTok);
        if (plain != NOT_PLAIN) {
          if (!seenInsert(serial, <u32>plain, ~keyFrom, tape.end(keyTok) - keyFrom, out)) {
            // A repeated key: the member and the comma before it go.
            out.bytes(tape.ptr(copyFrom), keyFrom - 1 - copyFrom);
            copyFrom = tape.end(valTok);
            i = tape.next(valTok);
            this.loss |= LOSS_DUPLICATE_KEY;
            continue;
          }
        } else {
          out.bytes(tape.ptr(copyFrom), keyFrom - copyFrom);
          const keyStart = out.len;
          this.loss |= writeSafeKey(out, tape, keyTok);
          const len = out.len - keyStart;
          if (!seenInsert(serial, keyContentHash(out.ptr + <usize>(keyStart + 1), len - 2), keyStart, len, out)) {
            out.len = keyStart - 1;
            copyFrom = tape.end(valTok);
            i = tape.next(valTok);
            this.loss |= LOSS_DUPLICATE_KEY;
            continue;
          }
          copyFrom = tape.end(keyTok);
        }
        i = valTok;
      }
      const kind = tape.kind(i);
      if (kind == T_OBJ || kind == T_ARR) {
        if (kind == T_ARR && tape.next(i) > i + 1 && tape.kind(i + 1) == T_OBJ && isKeyValueList(tape, i)) {
          out.bytes(tape.ptr(copyFrom), tape.start(i) - copyFrom);
          this.writeMembers(out, tape, i, mode);
          copyFrom = tape.end(i);
          i = tape.next(i);
          continue;
        }
        unchecked(spanEnds[depth] = tape.next(i));
        unchecked(spanSerials[depth] = kind == T_OBJ ? ++serialCounter : 0);
        depth++;
      }
      i++;
    }
    out.bytes(tape.ptr(copyFrom), tape.end(root) - copyFrom);
  }

  private isSecret(tape: Tape, keyTok: i32): bool {
    keyScratch.reset();
    decodeStringToken(keyScratch, tape, keyTok);
    return isSecretKey(keyScratch.ptr, keyScratch.len);
  }

  /** Writes REDACTED for the value of `keyTok` and lists the key once. */
  private redactValue(out: ByteBuf, tape: Tape, keyTok: i32): void {
    out.byte(0x22);
    out.ascii(REDACTED);
    out.byte(0x22);
    this.loss |= LOSS_REDACTED;
    keyScratch.reset();
    decodeStringToken(keyScratch, tape, keyTok);
    const keys = this.redactedKeys;
    // Already listed? The list is short: compare entry by entry.
    let p = 0;
    while (p < keys.len) {
      let q = p;
      while (q < keys.len && !(keys.at(q) == 0x2c && q + 1 < keys.len && keys.at(q + 1) == 0x20)) q++;
      if (q - p == keyScratch.len && memory.compare(keys.ptr + <usize>p, keyScratch.ptr, <usize>keyScratch.len) == 0) return;
      p = q + 2;
    }
    if (keys.len > 0) keys.ascii(", ");
    keys.bytes(keyScratch.ptr, keyScratch.len);
  }

  /** Writes a scalar, or opens a container by pushing its frame. */
  private enter(out: ByteBuf, tape: Tape, tok: i32, mode: WalkMode, depth: i32): bool {
    if (tok == this.substituteTok) {
      out.bytes(this.substitute.ptr, this.substitute.len);
      return false;
    }
    const kind = tape.kind(tok);
    if (kind == T_OBJ || kind == T_ARR) {
      const tooDeep = mode.maxDepth > 0 && depth > mode.maxDepth;
      let m = kind == T_OBJ ? M_OBJ : M_ARR;
      if (!tooDeep && m == M_ARR && mode.keyValueLists && isKeyValueList(tape, tok)) m = M_KV;
      const longKey = !tooDeep && depth > 1 && m != M_ARR && mode.maxKeyBytes > 0 &&
        tape.maxStringLen > mode.maxKeyBytes && hasLongKey(tape, tok, m == M_KV, mode.maxKeyBytes);
      if (tooDeep || longKey) {
        // Not indexable as an object: keep the exact JSON text instead.
        out.byte(0x22);
        if (writeEscaped(out, tape.ptr(tape.start(tok)), tape.end(tok) - tape.start(tok))) this.loss |= LOSS_REPAIRED;
        out.byte(0x22);
        this.loss |= tooDeep ? LOSS_DEPTH_AS_STRING : LOSS_LONG_KEY_AS_STRING;
        return false;
      }
      out.byte(m == M_ARR ? 0x5b : 0x7b);
      frames.push(m);
      frames.push(tok + 1);
      frames.push(tape.next(tok));
      frames.push(++serialCounter);
      return true;
    }
    if (kind == T_STR) {
      if (writeStringToken(out, tape, tok)) this.loss |= LOSS_REPAIRED;
    } else if (kind == T_NUM && (tape.flags(tok) & F_UNSAFE) != 0) {
      out.byte(0x22);
      out.bytes(tape.ptr(tape.start(tok)), tape.end(tok) - tape.start(tok));
      out.byte(0x22);
      this.loss |= LOSS_NUMBER_AS_STRING;
    } else {
      out.bytes(tape.ptr(tape.start(tok)), tape.end(tok) - tape.start(tok));
    }
    return false;
  }
}
