// RFC 3339 date-time text → Instant, with integer arithmetic only. Falco
// writes UTC with nine fraction digits ("2023-05-25T13:44:05.478445995Z");
// Falcosidekick re-serialises Go-style and drops trailing zeros
// (".82302759Z"), so the fraction is kept exactly as many digits as were
// sent: nothing is padded, rounded or cut (except past nine, which no
// consumer reads).

import { Tape, T_STR, F_ESCAPED } from "../json/tape";
import { Instant } from "./time";

/** Largest seconds value written: 9999-12-31T23:59:59Z. */
const MAX_SECONDS: i64 = 253402300799;

@inline function digit(tape: Tape, p: i32): i32 {
  const c = tape.byteAt(p) - 0x30;
  return c >= 0 && c <= 9 ? c : -1;
}

/** The number of `n` digits at `p`, or -1. */
function digits(tape: Tape, p: i32, n: i32): i32 {
  let v = 0;
  for (let i = 0; i < n; i++) {
    const d = digit(tape, p + i);
    if (d < 0) return -1;
    v = v * 10 + d;
  }
  return v;
}

/** Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's
 *  days_from_civil). */
function daysFromCivil(y: i64, m: i64, d: i64): i64 {
  const yy = m <= 2 ? y - 1 : y;
  const era = (yy >= 0 ? yy : yy - 399) / 400;
  const yoe = yy - era * 400;
  const doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  const doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

function daysInMonth(y: i32, m: i32): i32 {
  if (m == 2) return (y % 4 == 0 && (y % 100 != 0 || y % 400 == 0)) ? 29 : 28;
  return (m == 4 || m == 6 || m == 9 || m == 11) ? 30 : 31;
}

/** Reads `YYYY-MM-DDTHH:MM:SS[.f{1,}](Z|±HH:MM)` from a string token. An
 *  offset is applied to the seconds; the fraction digits are pointed at, not
 *  copied. A leap second (:60), a date before 1970 or after 9999, or any
 *  other text is refused (the caller then falls back to the receive time and
 *  says so). */
export function readRfc3339(tape: Tape, tok: i32, into: Instant): bool {
  into.valid = false;
  if (tok < 0 || tape.kind(tok) != T_STR || (tape.flags(tok) & F_ESCAPED) != 0) return false;
  const p = tape.innerStart(tok);
  const end = p + tape.innerLen(tok);
  if (end - p < 20) return false;
  const year = digits(tape, p, 4);
  const month = digits(tape, p + 5, 2);
  const day = digits(tape, p + 8, 2);
  const hour = digits(tape, p + 11, 2);
  const minute = digits(tape, p + 14, 2);
  const second = digits(tape, p + 17, 2);
  if (year < 0 || month < 1 || month > 12 || day < 1 || hour < 0 || hour > 23 || minute < 0 || minute > 59 ||
      second < 0 || second > 59) return false;
  if (tape.byteAt(p + 4) != 0x2d || tape.byteAt(p + 7) != 0x2d || tape.byteAt(p + 13) != 0x3a || tape.byteAt(p + 16) != 0x3a) return false;
  const t = tape.byteAt(p + 10) | 0x20;
  if (t != 0x74 && tape.byteAt(p + 10) != 0x20) return false; // "T", "t" or RFC 3339's space
  if (day > daysInMonth(year, month)) return false;
  let q = p + 19;
  let fracStart = q;
  let fracLen = 0;
  if (q < end && tape.byteAt(q) == 0x2e) {
    fracStart = q + 1;
    q = fracStart;
    while (q < end && digit(tape, q) >= 0) q++;
    fracLen = q - fracStart;
    if (fracLen == 0) return false;
  }
  let offset: i64 = 0;
  if (q < end && (tape.byteAt(q) | 0x20) == 0x7a) {
    q++;
  } else if (q + 6 <= end && (tape.byteAt(q) == 0x2b || tape.byteAt(q) == 0x2d) && tape.byteAt(q + 3) == 0x3a) {
    const oh = digits(tape, q + 1, 2);
    const om = digits(tape, q + 4, 2);
    if (oh < 0 || oh > 23 || om < 0 || om > 59) return false;
    offset = <i64>(oh * 3600 + om * 60);
    if (tape.byteAt(q) == 0x2d) offset = -offset;
    q += 6;
  } else return false;
  if (q != end) return false;
  const seconds = daysFromCivil(year, month, day) * 86400 + <i64>(hour * 3600 + minute * 60 + second) - offset;
  if (seconds < 0 || seconds > MAX_SECONDS) return false;
  into.seconds = seconds;
  into.fracPtr = tape.ptr(fracStart);
  into.fracLen = fracLen > 9 ? 9 : fracLen; // RFC 3339 consumers stop at ns
  into.valid = true;
  return true;
}
