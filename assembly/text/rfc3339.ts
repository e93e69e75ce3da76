// RFC 3339 text → Instant, with integer arithmetic only. Sysdig's
// `timestampRFC3339Nano` (Go's RFC3339Nano layout: trailing zeros of the
// fraction dropped) is a string all the way from Sysdig's backend, so no
// float conversion can have rounded it, unlike the integer `timestamp`.
// Falco writes the same layout (nine digits), Falcosidekick Go's (trailing
// zeros dropped): the fraction is kept as exactly the digits sent.

import { Tape, T_STR, F_ESCAPED } from "../json/tape";
import { Instant, setInstant } from "./time";

@inline function digit(tape: Tape, p: i32): i32 {
  const c = tape.byteAt(p);
  return c >= 0x30 && c <= 0x39 ? c - 0x30 : -1;
}

/** The value of `n` digits at `p`, or -1. */
function digits(tape: Tape, p: i32, n: i32): i32 {
  let v = 0;
  for (let i = 0; i < n; i++) {
    const d = digit(tape, p + i);
    if (d < 0) return -1;
    v = v * 10 + d;
  }
  return v;
}

function daysInMonth(y: i64, m: i32): i32 {
  if (m == 2) return (y % 4 == 0 && (y % 100 != 0 || y % 400 == 0)) ? 29 : 28;
  return m == 4 || m == 6 || m == 9 || m == 11 ? 30 : 31;
}

/** Days since 1970-01-01 (Howard Hinnant's days_from_civil, y >= 0). */
function daysFromCivil(year: i64, m: i32, d: i32): i64 {
  const y = m <= 2 ? year - 1 : year;
  const era = y / 400;
  const yoe = y - era * 400;
  const mp = m > 2 ? m - 3 : m + 9;
  const doy = <i64>((153 * mp + 2) / 5 + d - 1);
  const doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

/** Reads `YYYY-MM-DDTHH:MM:SS[.fraction](Z|±HH:MM)` from an unescaped
 *  string token. The fraction's digits are kept as given (at most 9, as
 *  elsewhere), so the instant is written back digit for digit. */
export function readRfc3339(tape: Tape, tok: i32, into: Instant): bool {
  into.valid = false;
  if (tok < 0 || tape.kind(tok) != T_STR || (tape.flags(tok) & F_ESCAPED) != 0) return false;
  let p = tape.innerStart(tok);
  const end = tape.end(tok) - 1;
  if (end - p < 20) return false;
  const year = digits(tape, p, 4);
  const month = digits(tape, p + 5, 2);
  const day = digits(tape, p + 8, 2);
  const hour = digits(tape, p + 11, 2);
  const minute = digits(tape, p + 14, 2);
  const second = digits(tape, p + 17, 2);
  if (year < 0 || month < 1 || month > 12 || day < 1 || hour < 0 || hour > 23 || minute < 0 || minute > 59 ||
      second < 0 || second > 59) return false;
  if (tape.byteAt(p + 4) != 0x2d || tape.byteAt(p + 7) != 0x2d || tape.byteAt(p + 13) != 0x3a ||
      tape.byteAt(p + 16) != 0x3a) return false;
  const sep = tape.byteAt(p + 10);
  if (sep != 0x54 && sep != 0x74) return false;
  if (day > daysInMonth(<i64>year, month)) return false;
  p += 19;
  let fracStart = p;
  let fracLen = 0;
  if (p < end && tape.byteAt(p) == 0x2e) {
    fracStart = ++p;
    while (p < end && digit(tape, p) >= 0) p++;
    fracLen = p - fracStart;
    if (fracLen == 0) return false;
    if (fracLen > 9) fracLen = 9; // RFC 3339 consumers stop at ns.
  }
  if (p >= end) return false;
  let offset: i64 = 0;
  const z = tape.byteAt(p);
  if (z == 0x5a || z == 0x7a) {
    p++;
  } else if (z == 0x2b || z == 0x2d) {
    if (end - p != 6 || tape.byteAt(p + 3) != 0x3a) return false;
    const oh = digits(tape, p + 1, 2);
    const om = digits(tape, p + 4, 2);
    if (oh < 0 || oh > 23 || om < 0 || om > 59) return false;
    offset = <i64>(oh * 3600 + om * 60);
    if (z == 0x2d) offset = -offset;
    p += 6;
  } else return false;
  if (p != end) return false;
  const seconds = daysFromCivil(<i64>year, month, day) * 86400 + <i64>(hour * 3600 + minute * 60 + second) - offset;
  return setInstant(into, seconds, tape.ptr(fracStart), fracLen);
}
