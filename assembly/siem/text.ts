// Text rules shared by the syslog-borne formats (CEF, LEEF): copying a value
// with a format's escaping or replacements, cutting it at a length limit, and
// epoch milliseconds from the normalizer's own RFC 3339 text.
//
// Lengths are counted in UTF-16 code units, as Java (ArcSight, QRadar) counts
// String.length(): a character outside the BMP counts 2. A value is cut at a
// character boundary, never inside a UTF-8 sequence.

import { ByteBuf } from "../io/buffers";
import { utf8SequenceLength } from "../json/parser";
import { ONES, HIGHS } from "../text/swar";

/** CEF header field: `\` → `\\`, `|` → `\|`; CR and LF (not allowed in the
 *  header, and it has no escape for them) → space. */
export const ESC_CEF_HEADER: i32 = 0;
/** CEF extension value: `\` → `\\`, `=` → `\=`, LF → `\n`, CR → `\r`. */
export const ESC_CEF_EXT: i32 = 1;
/** LEEF value (LEEF has no escapes): tab (the delimiter), CR, LF → space. */
export const ESC_LEEF_VALUE: i32 = 2;
/** LEEF header field: as a value, and `|` → `¦` (U+00A6). */
export const ESC_LEEF_HEADER: i32 = 3;

/** Result of the last appendValue: the value's full length in UTF-16 code
 *  units, and whether it was cut. */
export let valueUnits: i32 = 0;
export let valueCut: bool = false;

@inline function replacement(out: ByteBuf): void {
  out.byte(0xef); out.byte(0xbf); out.byte(0xbd);
}

/** Appends UTF-8 `src[0..n)` to `out` with the escaping of `mode`, keeping at
 *  most `limit` UTF-16 code units of the value (0 = no limit). Invalid UTF-8,
 *  C0 controls other than tab/LF/CR, and DEL become U+FFFD: a syslog line
 *  carries no raw control characters. Sets valueUnits and valueCut. */
export function appendValue(out: ByteBuf, src: usize, n: i32, limit: i32, mode: i32): void {
  let units = 0;
  let cut = false;
  let p = 0;
  // Start of the bytes passed over as plain and not yet copied.
  let run = 0;
  while (p < n) {
    // 8 plain ASCII bytes at a time (none of them changed by any mode, each
    // one UTF-16 unit) while under the limit: they are copied in one run
    // instead of byte by byte, which the interpreter pays for per byte.
    if (!cut && p + 8 <= n && (limit <= 0 || units + 8 <= limit) && plainMask(load<u64>(src + <usize>p)) == 0) {
      p += 8;
      units += 8;
      continue;
    }
    if (run < p) out.bytes(src + <usize>run, p - run);
    const c = <i32>load<u8>(src + <usize>p);
    let len = 1;
    let w = 1;
    if (c >= 0x80) {
      len = utf8SequenceLength(src, p, n);
      if (len == 0) len = 1; // invalid byte: one U+FFFD
      else if (len == 4) w = 2;
    }
    units += w;
    if (cut || (limit > 0 && units > limit)) { cut = true; p += len; run = p; continue; }
    if (c >= 0x80) {
      if (utf8SequenceLength(src, p, n) == 0) replacement(out);
      else out.bytes(src + <usize>p, len);
    } else if (c == 0x0a || c == 0x0d) {
      if (mode == ESC_CEF_EXT) { out.byte(0x5c); out.byte(c == 0x0a ? 0x6e : 0x72); }
      else out.byte(0x20);
    } else if (c == 0x09) {
      out.byte(mode == ESC_CEF_HEADER || mode == ESC_CEF_EXT ? 0x09 : 0x20);
    } else if (c < 0x20 || c == 0x7f) {
      replacement(out);
    } else if (c == 0x5c && (mode == ESC_CEF_HEADER || mode == ESC_CEF_EXT)) {
      out.byte(0x5c); out.byte(0x5c);
    } else if (c == 0x7c && mode == ESC_CEF_HEADER) {
      out.byte(0x5c); out.byte(0x7c);
    } else if (c == 0x7c && mode == ESC_LEEF_HEADER) {
      out.byte(0xc2); out.byte(0xa6);
    } else if (c == 0x3d && mode == ESC_CEF_EXT) {
      out.byte(0x5c); out.byte(0x3d);
    } else {
      out.byte(c);
    }
    p += len;
    run = p;
  }
  if (run < p) out.bytes(src + <usize>run, p - run);
  valueUnits = units;
  valueCut = cut;
}


/** Nonzero when one of the 8 bytes of `w` is one appendValue may change in
 *  some mode (a control character, DEL, non-ASCII, "\\", "|" or "="): each
 *  zero-byte test sets bit 7 of a byte equal to its target (or of any byte
 *  from 0x80 on, which `| w` flags anyway), so zero means none is there. */
@inline function plainMask(w: u64): u64 {
  return ((w ^ (ONES * 0x5c)) - ONES | (w ^ (ONES * 0x7c)) - ONES | (w ^ (ONES * 0x3d)) - ONES |
    (w ^ (ONES * 0x7f)) - ONES | w - ONES * 0x20 | w) & HIGHS;
}

@inline function digitAt(b: ByteBuf, i: i32): i64 {
  const c = <i32>load<u8>(b.ptr + <usize>i) - 0x30;
  return c >= 0 && c <= 9 ? <i64>c : -1;
}

function number(b: ByteBuf, at: i32, width: i32): i64 {
  let v: i64 = 0;
  for (let i = 0; i < width; i++) {
    const d = digitAt(b, at + i);
    if (d < 0) return -1;
    v = v * 10 + d;
  }
  return v;
}

/** Epoch milliseconds from `YYYY-MM-DDTHH:MM:SS[.fraction]Z` (the form the
 *  normalizer writes every date in), with integer arithmetic only. Digits
 *  below the millisecond are cut, not rounded, so a time never moves into the
 *  next millisecond. -1 if the text is not in that form or before 1970. */
export function rfc3339ToEpochMs(b: ByteBuf, start: i32): i64 {
  const n = b.len - start;
  if (n < 20) return -1;
  const s = start;
  const year = number(b, s, 4), month = number(b, s + 5, 2), day = number(b, s + 8, 2);
  const hour = number(b, s + 11, 2), minute = number(b, s + 14, 2), second = number(b, s + 17, 2);
  if (year < 1970 || month < 1 || month > 12 || day < 1 || day > 31 || hour < 0 || hour > 23 ||
      minute < 0 || minute > 59 || second < 0 || second > 60) return -1;
  let ms: i64 = 0;
  if (load<u8>(b.ptr + <usize>(s + 19)) == 0x2e) {
    let more = true;
    for (let k = 0; k < 3; k++) {
      let d: i64 = 0;
      if (more) {
        const i = s + 20 + k;
        d = i < b.len ? digitAt(b, i) : -1;
        if (d < 0) { more = false; d = 0; }
      }
      ms = ms * 10 + d;
    }
  }
  // Howard Hinnant's days_from_civil, for years >= 1970.
  const y = month <= 2 ? year - 1 : year;
  const era = y / 400;
  const yoe = y - era * 400;
  const mp = month > 2 ? month - 3 : month + 9;
  const doy = (153 * mp + 2) / 5 + day - 1;
  const doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  const days = era * 146097 + doe - 719468;
  return ((days * 86400 + hour * 3600 + minute * 60 + second) * 1000) + ms;
}
