// MurmurHash3 x64 128-bit, for a deterministic event id when Sysdig sends
// none: the same payload retried gives the same Elasticsearch _id.

import { ByteBuf } from "../io/buffers";

const C1: u64 = 0x87c37b91114253d5;
const C2: u64 = 0x4cf5ad432745937f;

@inline function fmix(k: u64): u64 {
  k ^= k >> 33; k *= 0xff51afd7ed558ccd;
  k ^= k >> 33; k *= 0xc4ceb9fe1a85ec53;
  k ^= k >> 33;
  return k;
}

/** Appends the 32 hex digits of the hash of `len` bytes at `ptr`. */
export function writeMurmur3Hex(out: ByteBuf, ptr: usize, len: i32): void {
  let h1: u64 = 0;
  let h2: u64 = 0;
  const blocks = len >> 4;
  for (let i = 0; i < blocks; i++) {
    let k1 = load<u64>(ptr + (<usize>i << 4));
    let k2 = load<u64>(ptr + (<usize>i << 4) + 8);
    k1 *= C1; k1 = rotl<u64>(k1, 31); k1 *= C2; h1 ^= k1;
    h1 = rotl<u64>(h1, 27); h1 += h2; h1 = h1 * 5 + 0x52dce729;
    k2 *= C2; k2 = rotl<u64>(k2, 33); k2 *= C1; h2 ^= k2;
    h2 = rotl<u64>(h2, 31); h2 += h1; h2 = h2 * 5 + 0x38495ab5;
  }
  const tail = ptr + (<usize>blocks << 4);
  const rest = len & 15;
  let k1: u64 = 0;
  let k2: u64 = 0;
  for (let i = rest - 1; i >= 8; i--) k2 = (k2 << 8) | <u64>load<u8>(tail + <usize>i);
  if (rest > 8) { k2 *= C2; k2 = rotl<u64>(k2, 33); k2 *= C1; h2 ^= k2; }
  for (let i = min(rest, 8) - 1; i >= 0; i--) k1 = (k1 << 8) | <u64>load<u8>(tail + <usize>i);
  if (rest > 0) { k1 *= C1; k1 = rotl<u64>(k1, 31); k1 *= C2; h1 ^= k1; }
  h1 ^= <u64>len; h2 ^= <u64>len;
  h1 += h2; h2 += h1;
  h1 = fmix(h1); h2 = fmix(h2);
  h1 += h2; h2 += h1;
  writeHex64(out, h1);
  writeHex64(out, h2);
}

/** "00" to "ff" as little-endian u16s: two hex digits in one store. */
const HEX_PAIRS: usize = heap.alloc(512);
for (let i = 0; i < 256; i++) {
  const hi = i >> 4;
  const lo = i & 15;
  store<u16>(HEX_PAIRS + (<usize>i << 1), <u16>((hi < 10 ? 0x30 + hi : 0x57 + hi) | ((lo < 10 ? 0x30 + lo : 0x57 + lo) << 8)));
}

function writeHex64(out: ByteBuf, v: u64): void {
  out.ensure(16);
  const at = out.ptr + <usize>out.len;
  for (let i = 0; i < 8; i++) {
    // The most significant byte first.
    store<u16>(at + (<usize>i << 1), load<u16>(HEX_PAIRS + (<usize>((v >> (<u64>(56 - (i << 3)))) & 0xff) << 1)));
  }
  out.len += 16;
}
