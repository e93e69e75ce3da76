// MD5 (RFC 1321), for event.id when an event has no id of its own: the
// VRL port for Vector has md5() and none of the faster non-cryptographic
// hashes the module could otherwise use (MurmurHash3, say), and both
// shippers must give the same event the same id. It is not a security
// boundary: whoever can post an event can also choose its id.

import { ByteBuf } from "../io/buffers";

/** The last one or two blocks: the message's tail, 0x80, zeros, bit length. */
const TAIL: usize = memory.data(128);

let a0: u32 = 0, b0: u32 = 0, c0: u32 = 0, d0: u32 = 0;

// RFC 1321's four rounds, one step each: a = b + ((a + f(b, c, d) + x + k) <<< s).
@inline function F(a: u32, b: u32, c: u32, d: u32, x: u32, s: u32, k: u32): u32 { return b + rotl<u32>(a + ((b & c) | (~b & d)) + x + k, s); }
@inline function G(a: u32, b: u32, c: u32, d: u32, x: u32, s: u32, k: u32): u32 { return b + rotl<u32>(a + ((b & d) | (c & ~d)) + x + k, s); }
@inline function H(a: u32, b: u32, c: u32, d: u32, x: u32, s: u32, k: u32): u32 { return b + rotl<u32>(a + (b ^ c ^ d) + x + k, s); }
@inline function I(a: u32, b: u32, c: u32, d: u32, x: u32, s: u32, k: u32): u32 { return b + rotl<u32>(a + (c ^ (b | ~d)) + x + k, s); }

/** One 64-byte block, the 64 steps written out: Fluent Bit's interpreter pays
 *  per wasm instruction, and a loop with table lookups and a round switch
 *  costs several times the step itself. Message words are little-endian, as
 *  wasm loads are. */
function block(p: usize): void {
  const x0 = load<u32>(p, 0);
  const x1 = load<u32>(p, 4);
  const x2 = load<u32>(p, 8);
  const x3 = load<u32>(p, 12);
  const x4 = load<u32>(p, 16);
  const x5 = load<u32>(p, 20);
  const x6 = load<u32>(p, 24);
  const x7 = load<u32>(p, 28);
  const x8 = load<u32>(p, 32);
  const x9 = load<u32>(p, 36);
  const x10 = load<u32>(p, 40);
  const x11 = load<u32>(p, 44);
  const x12 = load<u32>(p, 48);
  const x13 = load<u32>(p, 52);
  const x14 = load<u32>(p, 56);
  const x15 = load<u32>(p, 60);
  let a = a0, b = b0, c = c0, d = d0;
  a = F(a, b, c, d, x0, 7, 0xd76aa478);
  d = F(d, a, b, c, x1, 12, 0xe8c7b756);
  c = F(c, d, a, b, x2, 17, 0x242070db);
  b = F(b, c, d, a, x3, 22, 0xc1bdceee);
  a = F(a, b, c, d, x4, 7, 0xf57c0faf);
  d = F(d, a, b, c, x5, 12, 0x4787c62a);
  c = F(c, d, a, b, x6, 17, 0xa8304613);
  b = F(b, c, d, a, x7, 22, 0xfd469501);
  a = F(a, b, c, d, x8, 7, 0x698098d8);
  d = F(d, a, b, c, x9, 12, 0x8b44f7af);
  c = F(c, d, a, b, x10, 17, 0xffff5bb1);
  b = F(b, c, d, a, x11, 22, 0x895cd7be);
  a = F(a, b, c, d, x12, 7, 0x6b901122);
  d = F(d, a, b, c, x13, 12, 0xfd987193);
  c = F(c, d, a, b, x14, 17, 0xa679438e);
  b = F(b, c, d, a, x15, 22, 0x49b40821);
  a = G(a, b, c, d, x1, 5, 0xf61e2562);
  d = G(d, a, b, c, x6, 9, 0xc040b340);
  c = G(c, d, a, b, x11, 14, 0x265e5a51);
  b = G(b, c, d, a, x0, 20, 0xe9b6c7aa);
  a = G(a, b, c, d, x5, 5, 0xd62f105d);
  d = G(d, a, b, c, x10, 9, 0x02441453);
  c = G(c, d, a, b, x15, 14, 0xd8a1e681);
  b = G(b, c, d, a, x4, 20, 0xe7d3fbc8);
  a = G(a, b, c, d, x9, 5, 0x21e1cde6);
  d = G(d, a, b, c, x14, 9, 0xc33707d6);
  c = G(c, d, a, b, x3, 14, 0xf4d50d87);
  b = G(b, c, d, a, x8, 20, 0x455a14ed);
  a = G(a, b, c, d, x13, 5, 0xa9e3e905);
  d = G(d, a, b, c, x2, 9, 0xfcefa3f8);
  c = G(c, d, a, b, x7, 14, 0x676f02d9);
  b = G(b, c, d, a, x12, 20, 0x8d2a4c8a);
  a = H(a, b, c, d, x5, 4, 0xfffa3942);
  d = H(d, a, b, c, x8, 11, 0x8771f681);
  c = H(c, d, a, b, x11, 16, 0x6d9d6122);
  b = H(b, c, d, a, x14, 23, 0xfde5380c);
  a = H(a, b, c, d, x1, 4, 0xa4beea44);
  d = H(d, a, b, c, x4, 11, 0x4bdecfa9);
  c = H(c, d, a, b, x7, 16, 0xf6bb4b60);
  b = H(b, c, d, a, x10, 23, 0xbebfbc70);
  a = H(a, b, c, d, x13, 4, 0x289b7ec6);
  d = H(d, a, b, c, x0, 11, 0xeaa127fa);
  c = H(c, d, a, b, x3, 16, 0xd4ef3085);
  b = H(b, c, d, a, x6, 23, 0x04881d05);
  a = H(a, b, c, d, x9, 4, 0xd9d4d039);
  d = H(d, a, b, c, x12, 11, 0xe6db99e5);
  c = H(c, d, a, b, x15, 16, 0x1fa27cf8);
  b = H(b, c, d, a, x2, 23, 0xc4ac5665);
  a = I(a, b, c, d, x0, 6, 0xf4292244);
  d = I(d, a, b, c, x7, 10, 0x432aff97);
  c = I(c, d, a, b, x14, 15, 0xab9423a7);
  b = I(b, c, d, a, x5, 21, 0xfc93a039);
  a = I(a, b, c, d, x12, 6, 0x655b59c3);
  d = I(d, a, b, c, x3, 10, 0x8f0ccc92);
  c = I(c, d, a, b, x10, 15, 0xffeff47d);
  b = I(b, c, d, a, x1, 21, 0x85845dd1);
  a = I(a, b, c, d, x8, 6, 0x6fa87e4f);
  d = I(d, a, b, c, x15, 10, 0xfe2ce6e0);
  c = I(c, d, a, b, x6, 15, 0xa3014314);
  b = I(b, c, d, a, x13, 21, 0x4e0811a1);
  a = I(a, b, c, d, x4, 6, 0xf7537e82);
  d = I(d, a, b, c, x11, 10, 0xbd3af235);
  c = I(c, d, a, b, x2, 15, 0x2ad7d2bb);
  b = I(b, c, d, a, x9, 21, 0xeb86d391);
  a0 += a; b0 += b; c0 += c; d0 += d;
}

/** Appends the 32 lowercase hex digits of the MD5 of `len` bytes at `ptr`. */
export function writeMd5Hex(out: ByteBuf, ptr: usize, len: i32): void {
  a0 = 0x67452301; b0 = 0xefcdab89; c0 = 0x98badcfe; d0 = 0x10325476;
  const whole = len & ~63;
  for (let i = 0; i < whole; i += 64) block(ptr + <usize>i);
  const rest = len - whole;
  memory.fill(TAIL, 0, 128);
  memory.copy(TAIL, ptr + <usize>whole, <usize>rest);
  store<u8>(TAIL + <usize>rest, 0x80);
  const tailBlocks = rest < 56 ? 1 : 2;
  store<u64>(TAIL + <usize>(tailBlocks * 64 - 8), <u64>len << 3);
  block(TAIL);
  if (tailBlocks == 2) block(TAIL + 64);
  out.ensure(32);
  const at = out.ptr + <usize>out.len;
  writeHexLe(at, a0);
  writeHexLe(at + 8, b0);
  writeHexLe(at + 16, c0);
  writeHexLe(at + 24, d0);
  out.len += 32;
}

/** The four bytes of `v` in memory order (little-endian), as hex. */
function writeHexLe(at: usize, v: u32): void {
  for (let i = 0; i < 8; i++) {
    const nibble = (v >> (<u32>(((i >> 1) << 3) + ((i & 1) == 0 ? 4 : 0)))) & 15;
    store<u8>(at + <usize>i, nibble < 10 ? 0x30 + nibble : 0x57 + nibble);
  }
}
