// Static name → index lookup on raw UTF-8 bytes, so that an object's keys
// are matched in one pass without making strings of them.

import { ByteBuf } from "../io/buffers";
import { Tape, T_OBJ, F_ESCAPED, F_HASHED, F_PLANNED, keyChunkHash } from "../json/tape";
import { decodeStringToken } from "../json/escape";
import { keptAnswerTable, keptAnswer, keepAnswer, keptKeyHash } from "../json/key_plan";

export const FNV_OFFSET: u32 = 2166136261;
export const FNV_PRIME: u32 = 16777619;

@inline export function fnv1a(ptr: usize, len: i32): u32 {
  let h: u32 = FNV_OFFSET;
  for (let i = 0; i < len; i++) {
    h ^= <u32>load<u8>(ptr + <usize>i);
    h *= FNV_PRIME;
  }
  return h;
}

/** A cheap hash for key lookups: the length and at most the first and last
 *  8 bytes. Keys of one table differ early or late, and a hit is confirmed
 *  by comparing the bytes, so this spares hashing every byte of every key
 *  of every record. */
@inline function keyHash(ptr: usize, len: i32): u32 {
  const K: u64 = 0x9e3779b97f4a7c15;
  let h: u64 = <u64>len * K;
  if (len >= 8) {
    h = (h ^ load<u64>(ptr)) * K;
    h = (h ^ load<u64>(ptr + <usize>(len - 8))) * K;
  } else if (len >= 4) {
    // Two overlapping 4-byte reads instead of a loop over the bytes.
    h = (h ^ (<u64>load<u32>(ptr) | (<u64>load<u32>(ptr + <usize>(len - 4)) << 32))) * K;
  } else {
    for (let i = 0; i < len; i++) h = (h ^ <u64>load<u8>(ptr + <usize>i)) * K;
  }
  return <u32>(h >> 32);
}

/** Whether `len` bytes at `a` and `b` are equal. memory.compare goes byte by
 *  byte when the two are not equally aligned (a key inside a record, a name
 *  in the table), which the interpreter pays per byte; this reads words. */
@inline export function sameBytes(a: usize, b: usize, len: i32): bool {
  let i = 0;
  for (; i + 8 <= len; i += 8) if (load<u64>(a + <usize>i) != load<u64>(b + <usize>i)) return false;
  if (len - i >= 4) {
    // The last 4 to 7 bytes as two overlapping 4-byte words.
    const t = <usize>(len - 4);
    return load<u32>(a + <usize>i) == load<u32>(b + <usize>i) && load<u32>(a + t) == load<u32>(b + t);
  }
  for (; i < len; i++) if (load<u8>(a + <usize>i) != load<u8>(b + <usize>i)) return false;
  return true;
}

/** Ids of key tables, for the answers kept in key plans (lookupToken). */
let tableIds: i32 = 0;

export class KeyTable {
  names: string[];
  /** Names this table in a key plan's entries (json/key_plan.ts): never 0. */
  private id: i32 = ++tableIds;
  /** The names in UTF-8, one after another (each with 8 bytes to spare:
   *  keyChunkHash reads past a name's end), in one buffer: the collector
   *  visits every live object on each cycle, and tables live as long as
   *  the module. Lookups read them through namePtrs and nameLens. */
  private utf8: ArrayBuffer;
  /** By name index + 1: where its UTF-8 bytes are, and how many. Flat
   *  arrays, so that a probe is a few loads (the interpreter pays per
   *  instruction, and every key of every mapped object is looked up). */
  private namePtrs: StaticArray<usize>;
  private nameLens: StaticArray<i32>;
  /** Open addressing: name index + 1, or 0 for an empty slot. */
  private slots: StaticArray<i32>;
  private mask: u32;
  /** The same, by the upper half of keyChunkHash, which the parser gives
   *  each key it read in words (F_HASHED): no hashing at lookup time. */
  private hashSlots: StaticArray<i32>;
  private nameHashes: StaticArray<u32>;

  constructor(names: string[]) {
    this.names = names;
    let size = 16;
    while (size < names.length * 3) size <<= 1;
    this.slots = new StaticArray<i32>(size);
    this.mask = <u32>(size - 1);
    this.hashSlots = new StaticArray<i32>(size);
    this.namePtrs = new StaticArray<usize>(names.length + 1);
    this.nameLens = new StaticArray<i32>(names.length + 1);
    this.nameHashes = new StaticArray<u32>(names.length + 1);
    let total = 0;
    for (let i = 0; i < names.length; i++) total += String.UTF8.byteLength(names[i]) + 8;
    this.utf8 = new ArrayBuffer(total);
    let at = changetype<usize>(this.utf8);
    for (let i = 0; i < names.length; i++) {
      const n = String.UTF8.encodeUnsafe(changetype<usize>(names[i]), names[i].length, at);
      const b = at;
      at += <usize>(n + 8);
      this.namePtrs[i + 1] = b;
      this.nameLens[i + 1] = <i32>n;
      let s = keyHash(b, <i32>n) & this.mask;
      while (this.slots[s] != 0) s = (s + 1) & this.mask;
      this.slots[s] = i + 1;
      const h = <u32>(keyChunkHash(b, <i32>n) >> 32);
      this.nameHashes[i + 1] = h;
      s = h & this.mask;
      while (this.hashSlots[s] != 0) s = (s + 1) & this.mask;
      this.hashSlots[s] = i + 1;
    }
  }

  /** Index of the name spelled by the `len` bytes at `ptr`, or -1. */
  lookup(ptr: usize, len: i32): i32 {
    const slots = changetype<usize>(this.slots);
    const mask = this.mask;
    let s = keyHash(ptr, len) & mask;
    while (true) {
      const v = load<i32>(slots + (<usize>s << 2));
      if (v == 0) return -1;
      if (unchecked(this.nameLens[v]) == len && sameBytes(unchecked(this.namePtrs[v]), ptr, len)) return v - 1;
      s = (s + 1) & mask;
    }
  }

  /** Index of the name spelled by the `len` bytes at `ptr`, whose
   *  keyChunkHash has `hash` as its upper half, or -1. A hit is confirmed
   *  by comparing the bytes: a hash never decides alone. */
  lookupHashed(hash: u32, ptr: usize, len: i32): i32 {
    const slots = changetype<usize>(this.hashSlots);
    const mask = this.mask;
    let s = hash & mask;
    while (true) {
      const v = load<i32>(slots + (<usize>s << 2));
      if (v == 0) return -1;
      if (unchecked(this.nameHashes[v]) == hash && unchecked(this.nameLens[v]) == len &&
          sameBytes(unchecked(this.namePtrs[v]), ptr, len)) return v - 1;
      s = (s + 1) & mask;
    }
  }

  /** Index of the name held by a string token, or -1. */
  @inline lookupToken(tape: Tape, tok: i32): i32 {
    // The token's parts, read from one address, and only as far as needed:
    // the interpreter pays for every load, and a kept answer needs none
    // past the flags.
    const cell = tape.cell(tok);
    const flags = load<i32>(cell) >> 8;
    if (flags & F_PLANNED) {
      // A key the parser confirmed against the tape's plan: its bytes are
      // those of the kept key, so this table's answer for it, kept in the
      // plan's entry, is the answer (json/key_plan.ts).
      const entry = tape.plannedEntry(tok);
      if (keptAnswerTable(entry) == this.id) return keptAnswer(entry);
      return this.lookupKept(tape, cell, entry);
    }
    return this.lookupCell(tape, tok, cell, flags);
  }

  /** lookupToken for a planned key without an answer kept for this table:
   *  looks it up and keeps the answer. */
  private lookupKept(tape: Tape, cell: usize, entry: usize): i32 {
    const start = load<i32>(cell, 4);
    const found = this.lookupHashed(keptKeyHash(entry), tape.base + <usize>(start + 1), load<i32>(cell, 8) - start - 2);
    keepAnswer(entry, this.id, found);
    return found;
  }

  /** lookupToken for a key the parser did not take from a plan. */
  private lookupCell(tape: Tape, tok: i32, cell: usize, flags: i32): i32 {
    const start = load<i32>(cell, 4);
    const ptr = tape.base + <usize>(start + 1);
    const len = load<i32>(cell, 8) - start - 2;
    if (flags & F_HASHED) return this.lookupHashed(tape.keyHash(tok), ptr, len);
    return (flags & F_ESCAPED) == 0 ? this.lookup(ptr, len) : this.lookupDecoded(tape, tok);
  }

  private lookupDecoded(tape: Tape, tok: i32): i32 {
    scratch.reset();
    decodeStringToken(scratch, tape, tok);
    return this.lookup(scratch.ptr, scratch.len);
  }

  /** Sets found[i] to the value token of this table's i-th name in object
   *  `obj` (-1 where absent). The first occurrence of a key wins. */
  collect(tape: Tape, obj: i32, found: StaticArray<i32>): void {
    // All -1 in one instruction (the top-level table has some 60 names).
    const slots = changetype<usize>(found);
    const count = found.length;
    memory.fill(slots, 0xff, <usize>count << 2);
    if (obj < 0 || tape.kind(obj) != T_OBJ) return;
    const end = tape.next(obj);
    let c = obj + 1;
    while (c < end) {
      const id = this.lookupToken(tape, c);
      if (<u32>id < <u32>count) {
        const slot = slots + (<usize>id << 2);
        if (load<i32>(slot) < 0) store<i32>(slot, c + 1);
      }
      c = tape.next(c + 1);
    }
  }

  /** A results array sized for this table. */
  newFound(): StaticArray<i32> { return new StaticArray<i32>(this.names.length); }
}

const scratch = new ByteBuf();
