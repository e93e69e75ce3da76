// Event clocks → RFC 3339, with integer arithmetic only. Sysdig lets users
// pick seconds, ms, µs or ns, so the unit is told by the number of digits,
// and the sub-second digits are carried as text: nothing is ever rounded.

import { ByteBuf, digitPair } from "../io/buffers";
import { Tape, T_NUM, T_STR, F_INT, F_NEG, F_ESCAPED } from "../json/tape";

/** A point in time: whole seconds since the epoch, plus the sub-second
 *  digits exactly as the source gave them (0, 3, 6 or 9 of them). */
export class Instant {
  valid: bool = false;
  seconds: i64 = 0;
  fracPtr: usize = 0;
  fracLen: i32 = 0;
  /** Nanoseconds since the epoch, when they fit in an i64. */
  get nanos(): i64 {
    let f: i64 = 0;
    for (let i = 0; i < 9; i++) {
      f = f * 10 + (i < this.fracLen ? <i64>(load<u8>(this.fracPtr + <usize>i) - 0x30) : 0);
    }
    return this.seconds * 1000000000 + f;
  }
}

/** The latest instant kept: 2262-04-11T23:47:16.854775807Z, the end of
 *  Elasticsearch's date_nanos (nanoseconds since 1970 in an i64). A later
 *  one would get the whole document rejected, so it is not an event time. */
const MAX_SECONDS: i64 = 9223372036;
const MAX_NANOS_AT_MAX_SECONDS: i64 = 854775807;

/** True when `t` (seconds and fraction set) is inside date_nanos' range;
 *  every reader of event times checks it. */
export function withinDateNanos(t: Instant): bool {
  if (t.seconds < 0 || t.seconds > MAX_SECONDS) return false;
  return t.seconds < MAX_SECONDS || t.nanos - MAX_SECONDS * 1000000000 <= MAX_NANOS_AT_MAX_SECONDS;
}

@inline function isDigit(c: i32): bool { return <u32>(c - 0x30) <= 9; }

/** Reads an epoch clock value from a number token or a string of digits.
 *  Integers: 1–10 digits are seconds, 11–13 ms, 14–16 µs, 17–19 ns.
 *  Decimals: seconds with up to 9 fraction digits. */
export function readInstant(tape: Tape, tok: i32, into: Instant): bool {
  into.valid = false;
  if (tok < 0) return false;
  const kind = tape.kind(tok);
  let p: i32, end: i32;
  if (kind == T_NUM) {
    if (tape.flags(tok) & F_NEG) return false;
    p = tape.start(tok);
    end = tape.end(tok);
  } else if (kind == T_STR && (tape.flags(tok) & F_ESCAPED) == 0) {
    p = tape.start(tok) + 1;
    end = tape.end(tok) - 1;
  } else return false;
  // Integer part, then an optional ".fraction"; nothing else. Bytes are
  // read through a local address (one load fewer each than through the tape).
  const base = tape.base;
  while (p < end - 1 && load<u8>(base + <usize>p) == 0x30) p++;
  const intStart = p;
  // An integer token that is not negative is digits only: the parser
  // checked them.
  if (kind == T_NUM && (tape.flags(tok) & F_INT) != 0) p = end;
  else while (p < end && isDigit(<i32>load<u8>(base + <usize>p))) p++;
  const intLen = p - intStart;
  if (intLen == 0) return false;
  let fracStart = p;
  let fracLen = 0;
  if (p < end && load<u8>(base + <usize>p) == 0x2e) {
    fracStart = p + 1;
    p = fracStart;
    while (p < end && isDigit(<i32>load<u8>(base + <usize>p))) p++;
    fracLen = p - fracStart;
    if (fracLen == 0 || intLen > 10) return false;
  }
  if (p != end) return false;
  let secDigits = intLen;
  if (fracLen == 0) {
    if (intLen > 19) return false;
    const unitDigits = intLen <= 10 ? 0 : intLen <= 13 ? 3 : intLen <= 16 ? 6 : 9;
    secDigits = intLen - unitDigits;
    fracStart = intStart + secDigits;
    fracLen = unitDigits;
  } else if (fracLen > 9) {
    fracLen = 9; // RFC 3339 consumers (Elasticsearch's date_nanos) stop at ns.
  }
  let seconds: i64 = 0;
  for (let i = 0; i < secDigits; i++) seconds = seconds * 10 + <i64>(<i32>load<u8>(base + <usize>(intStart + i)) - 0x30);
  return setInstant(into, seconds, tape.ptr(fracStart), fracLen);
}

/** Sets `into` to `seconds` and the fraction digits at `fracPtr`; valid
 *  (and true) only inside date_nanos' range. */
export function setInstant(into: Instant, seconds: i64, fracPtr: usize, fracLen: i32): bool {
  into.seconds = seconds;
  into.fracPtr = fracPtr;
  into.fracLen = fracLen;
  into.valid = withinDateNanos(into);
  return into.valid;
}

/** Sets `into` from Fluent Bit's record time (u32 seconds and nanoseconds),
 *  keeping the 9 digits in `digits` (which must outlive the Instant). */
export function instantFromClock(sec: u32, nsec: u32, digits: ByteBuf, into: Instant): void {
  digits.reset();
  digits.padded(<i64>(nsec % 1000000000), 9);
  into.seconds = <i64>sec;
  into.fracPtr = digits.ptr;
  into.fracLen = 9;
  into.valid = true;
}

// The date and time of day of the last few seconds written, by second: a
// record's event.created, and often its @timestamp, fall in a second the
// records before it had (Fluent Bit stamps many records per second), and
// one copy costs the interpreter less than the calendar arithmetic. Two
// ways per set, so the clock's second and an event's second that share a
// set do not evict each other on every record.
const DATE_SLOTS: i32 = 8;
const dateSeconds = new StaticArray<i64>(DATE_SLOTS);
for (let i = 0; i < DATE_SLOTS; i++) dateSeconds[i] = i64.MIN_VALUE; // no second written yet
/** 24 bytes per slot, 19 of them used. */
const dateBytes: usize = heap.alloc(<usize>(DATE_SLOTS * 24));

/** Writes `t` as YYYY-MM-DDTHH:MM:SS[.fraction]Z (proleptic Gregorian, UTC). */
export function writeRfc3339(out: ByteBuf, t: Instant): void {
  const seconds = t.seconds;
  // The set's first way holds the latest second written in it.
  let slot = <i32>((<u64>seconds * 0x9e3779b97f4a7c15) >> 61) & ~1;
  if (unchecked(dateSeconds[slot]) != seconds) {
    if (unchecked(dateSeconds[slot + 1]) == seconds) {
      slot++;
    } else {
      memory.copy(dateBytes + <usize>((slot + 1) * 24), dateBytes + <usize>(slot * 24), 24);
      unchecked(dateSeconds[slot + 1] = unchecked(dateSeconds[slot]));
      writeDateTime(dateBytes + <usize>(slot * 24), seconds);
      unchecked(dateSeconds[slot] = seconds);
    }
  }
  const cached = dateBytes + <usize>(slot * 24);
  out.ensure(19);
  memory.copy(out.ptr + <usize>out.len, cached, 19);
  out.len += 19;
  if (t.fracLen > 0) {
    out.byte(0x2e);
    out.bytes(t.fracPtr, t.fracLen);
  }
  out.byte(0x5a);
}

/** Writes the 19 bytes YYYY-MM-DDTHH:MM:SS of `seconds` (>= 0) at `at`. */
function writeDateTime(at: usize, seconds: i64): void {
  const days = seconds / 86400;
  const rem = seconds % 86400;
  // Howard Hinnant's civil_from_days, for days since 1970-01-01 >= 0.
  const z = days + 719468;
  const era = z / 146097;
  const doe = z - era * 146097;
  const yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const mp = (5 * doy + 2) / 153;
  const day = doy - (153 * mp + 2) / 5 + 1;
  const month = mp < 10 ? mp + 3 : mp - 9;
  const year = yoe + era * 400 + (month <= 2 ? 1 : 0);
  // In stores of two digits (the year's last four).
  store<u16>(at, digitPair(<i32>((year / 100) % 100)));
  store<u16>(at, digitPair(<i32>(year % 100)), 2);
  store<u8>(at, 0x2d, 4);
  store<u16>(at, digitPair(<i32>month), 5);
  store<u8>(at, 0x2d, 7);
  store<u16>(at, digitPair(<i32>day), 8);
  store<u8>(at, 0x54, 10);
  store<u16>(at, digitPair(<i32>(rem / 3600)), 11);
  store<u8>(at, 0x3a, 13);
  store<u16>(at, digitPair(<i32>((rem / 60) % 60)), 14);
  store<u8>(at, 0x3a, 16);
  store<u16>(at, digitPair(<i32>(rem % 60)), 17);
}

/** Writes `t` as epoch seconds with its sub-second digits ("1606322948.648718268"). */
export function writeEpochSeconds(out: ByteBuf, t: Instant): void {
  out.int(t.seconds);
  if (t.fracLen > 0) {
    out.byte(0x2e);
    out.bytes(t.fracPtr, t.fracLen);
  }
}

/** Reads a non-negative integer of at most 18 digits from a number token or
 *  a digit string; -1 when it is anything else. */
export function readSmallInt(tape: Tape, tok: i32): i64 {
  if (tok < 0) return -1;
  const kind = tape.kind(tok);
  let p: i32, end: i32;
  if (kind == T_NUM) {
    if ((tape.flags(tok) & F_INT) == 0 || (tape.flags(tok) & F_NEG) != 0) return -1;
    p = tape.start(tok); end = tape.end(tok);
  } else if (kind == T_STR && (tape.flags(tok) & F_ESCAPED) == 0) {
    p = tape.start(tok) + 1; end = tape.end(tok) - 1;
  } else return -1;
  if (end - p < 1 || end - p > 18) return -1;
  let v: i64 = 0;
  for (; p < end; p++) {
    const c = tape.byteAt(p);
    if (!isDigit(c)) return -1;
    v = v * 10 + <i64>(c - 0x30);
  }
  return v;
}
