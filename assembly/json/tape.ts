// A parsed JSON document as a flat array of tokens in document order.
// Values are never copied or converted: a token only records where its bytes
// are, so numbers keep every digit and untouched strings are copied verbatim.
// Containers record the index just past their last descendant (`next`), so
// siblings can be walked without recursion, whatever the nesting depth.

import { IntBuf } from "../io/buffers";

export const T_OBJ: i32 = 1;
export const T_ARR: i32 = 2;
export const T_STR: i32 = 3;
export const T_NUM: i32 = 4;
export const T_TRUE: i32 = 5;
export const T_FALSE: i32 = 6;
export const T_NULL: i32 = 7;

/** String: contains backslash escapes. */
export const F_ESCAPED: i32 = 1;
/** String: holds a lone surrogate escape or invalid UTF-8, so it can only be
 *  written out with U+FFFD in place of the bad parts. */
export const F_REPAIR: i32 = 2;
/** Number: an integer (no fraction, no exponent). */
export const F_INT: i32 = 4;
/** Number: Fluent Bit could not read it back exactly (an integer beyond
 *  64 bits, or a magnitude a double cannot hold), so it is written as a string. */
export const F_UNSAFE: i32 = 8;
/** Number: negative. */
export const F_NEG: i32 = 16;
/** Key: read in words only, so Tape.keyHash holds the upper half of its
 *  keyChunkHash (key tables look it up by that). */
export const F_HASHED: i32 = 32;
/** Key: confirmed against the tape's key plan (json/key_plan.ts), whose
 *  entry for it Tape.plannedEntry gives; key tables keep their answer there. */
export const F_PLANNED: i32 = 64;

const STRIDE: i32 = 4;

/** Answers Tape.kvAsked keeps: a record has a few {key, value} lists. */
export const KV_ASKED: i32 = 8;

/** Bits in a tape's key set (see Tape.keySeen): 64K bits, 8 KB. With the
 *  40 or so keys of a Sysdig event, two different keys share a bit in
 *  about one record in a hundred, which only costs that record the slower,
 *  exact walk. */
const KEY_BITS_SHIFT: u64 = 48;
const KEY_BITS_BYTES: usize = (<usize>1 << (64 - <usize>KEY_BITS_SHIFT)) >> 3;

/** The start of keyChunkHash; the parser uses the same steps. */
export const KEY_HASH_SEED: u64 = 0x2545f4914f6cdd1d;
export const KEY_HASH_K: u64 = 0x9e3779b97f4a7c15;

/** A hash of key content as written: 8 bytes per step (the last chunk
 *  zero-filled), then the length. Reads up to 7 bytes past the content, so
 *  the caller makes sure they are inside its buffer. */
export function keyChunkHash(p: usize, n: i32): u64 {
  let h = KEY_HASH_SEED;
  let i = 0;
  for (; i + 8 <= n; i += 8) h = (h ^ load<u64>(p + <usize>i)) * KEY_HASH_K;
  if (i < n) h = (h ^ (load<u64>(p + <usize>i) & ((<u64>1 << (<u64>(n - i) << 3)) - 1))) * KEY_HASH_K;
  return (h ^ <u64>n) * KEY_HASH_K;
}

/** Tape.keySeen on the key set at `keyBits` (Tape.keyBitsAt). */
@inline export function keySeenIn(keyBits: usize, hash: u64, obj: i32): bool {
  const bit = ((hash ^ (<u64>obj * KEY_HASH_K)) * KEY_HASH_K) >> KEY_BITS_SHIFT;
  const at = keyBits + <usize>((bit >> 6) << 3);
  const word = load<u64>(at);
  const mask = (<u64>1) << (bit & 63);
  store<u64>(at, word | mask);
  return (word & mask) != 0;
}

/** Writes token t's cell at `cells` (Tape.cellsAt): kind | flags << 8,
 *  start, end, and next (t + 1 until a container closes). The parser writes
 *  every cell through this, the first write of it final for a scalar. */
@inline export function putCell(cells: usize, t: i32, kindAndFlags: i32, start: i32, end: i32): void {
  const at = cells + (<usize>t << 4);
  store<i32>(at, kindAndFlags);
  store<i32>(at, start, 4);
  store<i32>(at, end, 8);
  store<i32>(at, t + 1, 12);
}

/** Closes container t's cell at `cells`: where it ends, and the index of
 *  the token after it and all its descendants. */
@inline export function closeCell(cells: usize, t: i32, end: i32, next: i32): void {
  const at = cells + (<usize>t << 4);
  store<i32>(at, end, 8);
  store<i32>(at, next, 12);
}

export class Tape {
  /** Address of the document's first byte. */
  base: usize = 0;
  /** Length of the document in bytes. */
  size: i32 = 0;
  /** Number of tokens. */
  count: i32 = 0;
  /** Any string token needs repair. */
  hasRepair: bool = false;
  /** Any number token is unsafe. */
  hasUnsafeNumber: bool = false;
  /** Deepest container nesting (the root container is depth 1). */
  maxDepth: i32 = 0;
  /** No string token is longer than this, in bytes as sent (quotes
   *  excluded): the longest one, except that keys the parser took from its
   *  key plans count as PLAN_KEY_BYTES (json/key_plan.ts). A bound, which
   *  the payload walk compares with its key limit before it looks for a
   *  key over it. */
  maxStringLen: i32 = 0;
  /** Whitespace lies between some tokens (Fluent Bit's compact JSON has none). */
  hasBlanks: bool = false;
  /** What the parser noted for the payload walk (walker.ts, writeKeyRuns),
   *  in token order, four ints each: a key that is not plain (escaped, not
   *  ASCII, with ".", "[" or "]", blank, or too near the end of the input
   *  to be read in words), the index of its object and, as a u64, the hash
   *  of its content as sent (keyChunkHash; 0 when it was not read in words
   *  only); or an array whose first element is an object (a {key, value}
   *  list, maybe), -1 and 0. */
  specials: IntBuf = new IntBuf();
  /** The parser made `specials`, the key set and maybeDuplicate. */
  keyNotes: bool = false;
  /** Two keys of one object may be equal as written: some plain key's bit
   *  (keySeen) was already set. */
  maybeDuplicate: bool = false;
  /** Arrays already asked whether they are {key, value} lists, and the
   *  answers (walker.ts, isKeyValueList): the payload walk and the mappers
   *  ask of the same few arrays several times per record. */
  kvAsked: StaticArray<i32> = new StaticArray<i32>(KV_ASKED);
  kvAnswers: StaticArray<bool> = new StaticArray<bool>(KV_ASKED);
  kvAskedCount: i32 = 0;
  /** The key set: one bit per (object, key content hash). */
  private keyBits: usize = 0;
  cells: IntBuf = new IntBuf();
  /** cells.ptr, kept here so that every token read is one load fewer:
   *  the interpreter pays per instruction, and token reads are everywhere. */
  private cp: usize = 0;
  /** Tokens the cells have room for (cells.cap / STRIDE). */
  private capTokens: i32 = 0;
  /** Two plans of the keys of the last documents, for the parser to
   *  confirm the next one's against (json/key_plan.ts); 0: this tape keeps
   *  none. */
  plan: usize = 0;
  /** The plan the last document ended on, which the next one starts on. */
  planCurrent: usize = 0;
  /** Documents in a row that missed more of their keys than they found in
   *  the plans, and documents still to parse without them (planParse). */
  planStrikes: i32 = 0;
  planRest: i32 = 0;
  /** Per token, two u32s, for keys with F_HASHED: the upper half of
   *  keyChunkHash, then its lower half; for keys with F_PLANNED, only the
   *  second: the address of the key's plan entry (which has the hash).
   *  Kept beside the cells (and grown with them), not in them, so that
   *  no other token pays for it. */
  private hashes: IntBuf = new IntBuf();
  private hp: usize = 0;

  /** Starts a document; `keyNotes` says whether the parser will make the
   *  key notes (the key set is cleared only then: a tape copied whole, as
   *  the Splunk event is, never reads it). */
  reset(base: usize, size: i32, keyNotes: bool): void {
    this.base = base;
    this.size = size;
    this.count = 0;
    this.hasRepair = false;
    this.hasUnsafeNumber = false;
    this.maxDepth = 0;
    this.maxStringLen = 0;
    this.hasBlanks = false;
    this.maybeDuplicate = false;
    this.kvAskedCount = 0;
    this.keyNotes = keyNotes;
    this.specials.reset();
    if (keyNotes) {
      if (this.keyBits == 0) this.keyBits = heap.alloc(KEY_BITS_BYTES);
      memory.fill(this.keyBits, 0, KEY_BITS_BYTES);
    }
    this.cells.reset();
    this.cp = this.cells.ptr;
    this.capTokens = min(this.cells.cap / STRIDE, this.hashes.cap >> 1);
    this.hp = this.hashes.ptr;
  }

  /** Where the cells are, and how many tokens they have room for: the
   *  parser keeps both (and the token count) in locals, writes cells there
   *  (putCell, closeCell), and calls grow when the room runs out. */
  @inline cellsAt(): usize { return this.cp; }
  @inline tokenRoom(): i32 { return this.capTokens; }

  /** Makes room for token i and more. cells.len is kept only here: the
   *  token count says how much is used, so an append stores one field less. */
  grow(i: i32): void {
    const cells = this.cells;
    cells.len = i * STRIDE;
    cells.ensure(STRIDE);
    this.cp = cells.ptr;
    this.capTokens = cells.cap / STRIDE;
    const hashes = this.hashes;
    hashes.len = i << 1;
    hashes.ensure((this.capTokens - i) << 1);
    this.hp = hashes.ptr;
  }

  /** Appends one entry to `specials` (see there). */
  @inline addSpecial(tok: i32, obj: i32, hash: u64): void {
    const specials = this.specials;
    specials.ensure(4);
    const at = specials.ptr + (<usize>specials.len << 2);
    store<i32>(at, tok);
    store<i32>(at, obj, 4);
    store<u64>(at, hash, 8);
    specials.len += 4;
  }

  /** Sets the key set's bit for a key of object `obj` with content hash
   *  `hash`; true if it was set already (the same key, or, rarely, another
   *  key on the same bit). */
  @inline keySeen(hash: u64, obj: i32): bool { return keySeenIn(this.keyBits, hash, obj); }

  /** The key set's address, for the parser to keep in a local (keySeenIn). */
  @inline keyBitsAt(): usize { return this.keyBits; }

  /** The upper half of keyChunkHash of a key with F_HASHED and not F_PLANNED. */
  @inline keyHash(i: i32): u32 { return load<u32>(this.hp + (<usize>i << 3)); }
  /** A key read in words: its hash, the upper half first (keyHash). */
  @inline setKeyHash(i: i32, h: u64): void {
    const at = this.hp + (<usize>i << 3);
    store<u32>(at, <u32>(h >> 32));
    store<u32>(at, <u32>h, 4);
  }
  /** The whole hash setKeyHash kept (not for a key with F_PLANNED). */
  @inline fullKeyHash(i: i32): u64 {
    const at = this.hp + (<usize>i << 3);
    return (<u64>load<u32>(at) << 32) | <u64>load<u32>(at, 4);
  }
  /** A key confirmed against the plan: its plan entry (which holds its
   *  hash; keyHash is not kept for it). */
  @inline setPlannedKey(i: i32, entry: usize): void {
    store<u32>(this.hp + (<usize>i << 3), <u32>entry, 4);
  }
  /** See `hashes`: only for a key token with F_PLANNED. */
  @inline plannedEntry(i: i32): usize { return <usize>load<u32>(this.hp + (<usize>i << 3), 4); }

  /** Gives back what a huge document made the tape grow to. */
  trim(): void {
    this.cells.trim();
    this.hashes.trim();
    this.cp = 0;
    this.hp = 0;
    this.capTokens = 0;
  }

  /** Where token i's cell is (kind | flags << 8, start, end, next: four
   *  i32s), for a reader of several of them: one address, loads at fixed
   *  offsets. */
  @inline cell(i: i32): usize { return this.cp + (<usize>i << 4); }

  @inline kind(i: i32): i32 { return load<i32>(this.cp + (<usize>i << 4)) & 0xff; }
  @inline flags(i: i32): i32 { return load<i32>(this.cp + (<usize>i << 4)) >> 8; }
  @inline start(i: i32): i32 { return load<i32>(this.cp + (<usize>i << 4), 4); }
  @inline end(i: i32): i32 { return load<i32>(this.cp + (<usize>i << 4), 8); }
  /** Index of the token after this value and all its descendants. */
  @inline next(i: i32): i32 { return load<i32>(this.cp + (<usize>i << 4), 12); }


  @inline byteAt(pos: i32): i32 { return <i32>load<u8>(this.base + <usize>pos); }
  @inline ptr(pos: i32): usize { return this.base + <usize>pos; }

  @inline isString(i: i32): bool { return i >= 0 && this.kind(i) == T_STR; }

  /** Content of a string token without its quotes (still escaped). */
  @inline innerStart(i: i32): i32 { return this.start(i) + 1; }
  @inline innerLen(i: i32): i32 { return this.end(i) - this.start(i) - 2; }

  /** True when a string token's raw content equals the ASCII text `s`
   *  (escaped strings never match: callers decode those first). */
  stringEquals(i: i32, s: string): bool {
    if (i < 0 || this.kind(i) != T_STR || (this.flags(i) & F_ESCAPED) != 0) return false;
    const n = s.length;
    if (this.innerLen(i) != n) return false;
    const p = this.ptr(this.innerStart(i));
    const q = changetype<usize>(s);
    for (let k = 0; k < n; k++) {
      if (<i32>load<u8>(p + <usize>k) != <i32>load<u16>(q + (<usize>k << 1))) return false;
    }
    return true;
  }

  /** Number of members (objects) or elements (arrays). */
  childCount(i: i32): i32 {
    const k = this.kind(i);
    if (k != T_OBJ && k != T_ARR) return 0;
    const end = this.next(i);
    let n = 0;
    let c = i + 1;
    while (c < end) {
      n++;
      c = this.next(k == T_OBJ ? c + 1 : c);
    }
    return n;
  }
}
