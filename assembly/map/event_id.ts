// event.id for an event that carries no id of its own: the MD5 of a fixed
// list of the event's own fields, so that the same event gets the same id
// whichever shipper brought it. Fluent Bit re-encodes a record between its
// input and this filter (whitespace, escapes, number spelling); Vector hands
// the VRL port the body as sent. Hashing the text would therefore give one
// event two ids. The fields below are read from the parsed event instead,
// and vector/vrl/finish.vrl computes the same bytes from the same fields.
//
// Canonical bytes, one entry per listed field, in list order:
//   a string           "s" <decoded UTF-8 byte length> ":" <decoded UTF-8 bytes>
//   an integer         "i" <its decimal digits> ";"   (within the i64 range)
//   true / false       "t;" / "f;"
//   null, or absent    "n;"
//   anything else      "o;"   (an object, an array, a number with a fraction
//                             or exponent or beyond i64, -0: values the two
//                             JSON readers hold differently, so only their kind)
// A string's length prefix makes the join unambiguous.

import { ByteBuf } from "../io/buffers";
import { Tape, T_STR, T_NUM, T_TRUE, T_FALSE, T_NULL, F_INT, F_NEG } from "../json/tape";
import { decodeStringToken } from "../json/escape";
import { writeMd5Hex } from "../text/md5";
import { falcoTop, FK_TIME, FK_RULE, FK_PRIORITY, FK_SOURCE, FK_HOSTNAME, FK_OUTPUT, FK_MESSAGE } from "./falco_detect";
import { top, K_TIMESTAMP, K_TIMESPAN, K_STATE, K_ALERT, K_EVENT } from "./detect";
import { ALERT, A_ID, A_NAME, alert, EVENT, EV_URL, eventKeys } from "./alert_keys";

const canonical = new ByteBuf();
const value = new ByteBuf();


/** A Falco alert without Falcosidekick's uuid: time, rule, priority, source,
 *  hostname, output, message. */
export function writeFalcoEventIdHex(out: ByteBuf, tape: Tape): void {
  canonical.trim();
  addValue(tape, unchecked(falcoTop[FK_TIME]));
  addValue(tape, unchecked(falcoTop[FK_RULE]));
  addValue(tape, unchecked(falcoTop[FK_PRIORITY]));
  addValue(tape, unchecked(falcoTop[FK_SOURCE]));
  addValue(tape, unchecked(falcoTop[FK_HOSTNAME]));
  addValue(tape, unchecked(falcoTop[FK_OUTPUT]));
  addValue(tape, unchecked(falcoTop[FK_MESSAGE]));
  writeMd5Hex(out, canonical.ptr, canonical.len);
}

/** A Monitor alert or Secure notification without event.id: timestamp,
 *  timespan, state, alert.id, alert.name, event.url. */
export function writeNotificationEventIdHex(out: ByteBuf, tape: Tape): void {
  canonical.trim();
  ALERT.collect(tape, unchecked(top[K_ALERT]), alert);
  EVENT.collect(tape, unchecked(top[K_EVENT]), eventKeys);
  addValue(tape, unchecked(top[K_TIMESTAMP]));
  addValue(tape, unchecked(top[K_TIMESPAN]));
  addValue(tape, unchecked(top[K_STATE]));
  addValue(tape, unchecked(alert[A_ID]));
  addValue(tape, unchecked(alert[A_NAME]));
  addValue(tape, unchecked(eventKeys[EV_URL]));
  writeMd5Hex(out, canonical.ptr, canonical.len);
}

/** Any other event without an id: the MD5 of its JSON text as it reached
 *  the shipper's normalizer (the same id only where both saw the same text). */
export function writeTextEventIdHex(out: ByteBuf, ptr: usize, len: i32): void {
  writeMd5Hex(out, ptr, len);
}

function addValue(tape: Tape, tok: i32): void {
  if (tok < 0) { canonical.ascii("n;"); return; }
  const kind = tape.kind(tok);
  if (kind == T_STR) {
    value.reset();
    decodeStringToken(value, tape, tok);
    canonical.byte(0x73); // s
    canonical.uint(<u64>value.len);
    canonical.byte(0x3a); // :
    canonical.bytes(value.ptr, value.len);
  } else if (kind == T_NUM && isI64(tape, tok)) {
    canonical.byte(0x69); // i
    canonical.bytes(tape.ptr(tape.start(tok)), tape.end(tok) - tape.start(tok));
    canonical.byte(0x3b);
  } else if (kind == T_TRUE) {
    canonical.ascii("t;");
  } else if (kind == T_FALSE) {
    canonical.ascii("f;");
  } else if (kind == T_NULL) {
    canonical.ascii("n;");
  } else {
    canonical.ascii("o;");
  }
}

const I64_MAX_DIGITS = "9223372036854775807";
const I64_MIN_DIGITS = "9223372036854775808";

/** An integer token a JSON reader holds as an i64: no fraction or exponent,
 *  not -0, within -2^63 … 2^63-1 (JSON forbids leading zeros, so the digit
 *  count and then the digits decide). */
function isI64(tape: Tape, tok: i32): bool {
  const flags = tape.flags(tok);
  if ((flags & F_INT) == 0) return false;
  const neg = (flags & F_NEG) != 0;
  const p = tape.ptr(tape.start(tok) + (neg ? 1 : 0));
  const n = tape.end(tok) - tape.start(tok) - (neg ? 1 : 0);
  if (neg && n == 1 && load<u8>(p) == 0x30) return false;
  if (n < 19) return true;
  if (n > 19) return false;
  const limit = neg ? I64_MIN_DIGITS : I64_MAX_DIGITS;
  for (let i = 0; i < 19; i++) {
    const d = <i32>load<u8>(p + <usize>i);
    const l = <i32>limit.charCodeAt(i);
    if (d != l) return d < l;
  }
  return true;
}
