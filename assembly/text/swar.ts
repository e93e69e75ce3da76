// Constants and tests for reading 8 bytes at a time ("SIMD within a
// register"): the interpreter pays per instruction, so the hot scans test a
// word where they would otherwise loop over its bytes.

/** 0x01 and 0x80 in every byte, and 0x7f. */
export const ONES: u64 = 0x0101010101010101;
export const HIGHS: u64 = 0x8080808080808080;
export const LOWS: u64 = 0x7f7f7f7f7f7f7f7f;

/** Of 8 bytes read little-endian, flags (in bit 7 of its byte) each ".",
 *  "[" and "]": the bytes that make a key not plain. The lowest flag is
 *  exact (a borrow only carries above a real match), and any byte from
 *  0x80 on is flagged too. */
@inline export function pathMask(w: u64): u64 {
  return ((w ^ (ONES * 0x2e)) - ONES | (w ^ (ONES * 0x5b)) - ONES | (w ^ (ONES * 0x5d)) - ONES) & HIGHS;
}
