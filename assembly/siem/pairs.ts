// Writes the key=value pairs of a key table (keys.ts) for one normalized
// event, in table order, with a format's separator and escaping, and keeps a
// note of every value that had to be cut to its key's limit.

import { ByteBuf } from "../io/buffers";
import { Doc } from "../ecs/doc";
import { isIp } from "../text/net";
import { KeyRow, FORM_TEXT, FORM_LIST, FORM_INT, FORM_PORT, FORM_IPV4, FORM_IPV6, FORM_IP, FORM_MS, FORM_MS13, FORM_DIR01, FORM_INT32 } from "./keys";
import { appendValue, valueCut, valueUnits, rfc3339ToEpochMs } from "./text";

const value = new ByteBuf();
const date = new ByteBuf();
/** "key:kept/full" for every cut value of the current line, comma-separated. */
export const cutNote = new ByteBuf();
let written = new StaticArray<bool>(0);
/** Whether writePairs wrote anything yet on the current line. */
let any = false;

/** Starts a line: no pairs yet, no cuts. */
export function beginPairs(): void {
  value.trim();
  date.trim();
  cutNote.trim();
  cutNote.reset();
  any = false;
}

export function trimPairs(): void { value.trim(); date.trim(); cutNote.trim(); }

/** Writes one pair; `raw` is ASCII and written as is (keys, labels, digits). */
export function writeRawPair(line: ByteBuf, sep: i32, key: string, raw: string): void {
  if (any) line.byte(sep);
  any = true;
  line.ascii(key);
  line.byte(0x3d);
  line.ascii(raw);
}

/** Writes one pair whose value is UTF-8 in `v`, escaped by `mode` and cut
 *  at `limit` (noted in cutNote). */
export function writeTextPair(line: ByteBuf, sep: i32, mode: i32, key: string, v: ByteBuf, limit: i32): void {
  if (any) line.byte(sep);
  any = true;
  line.ascii(key);
  line.byte(0x3d);
  appendValue(line, v.ptr, v.len, limit, mode);
  if (valueCut) {
    if (cutNote.len > 0) cutNote.byte(0x2c);
    cutNote.ascii(key);
    cutNote.byte(0x3a);
    cutNote.int(limit);
    cutNote.byte(0x2f);
    cutNote.int(valueUnits);
  }
}

/** Writes every key of `rows` that the event has a usable value for. A row
 *  with a label writes `<key><labelSuffix>=<label>` before its value. */
export function writePairs(
  line: ByteBuf, doc: Doc, rows: KeyRow[], sep: i32, mode: i32, labelSuffix: string,
): void {
  if (written.length < rows.length) written = new StaticArray<bool>(rows.length);
  for (let i = 0; i < rows.length; i++) unchecked(written[i] = false);
  for (let i = 0; i < rows.length; i++) {
    const r = unchecked(rows[i]);
    if (unchecked(written[r.group])) continue;
    if (!valueOf(doc, r)) continue;
    unchecked(written[r.group] = true);
    if (r.label.length > 0) {
      if (any) line.byte(sep);
      any = true;
      line.ascii(r.key);
      line.ascii(labelSuffix);
      line.byte(0x3d);
      line.ascii(r.label);
    }
    writeTextPair(line, sep, mode, r.key, value, r.limit);
  }
}

/** Puts the row's value for this event into `value`; false if it has none
 *  in the row's form. */
function valueOf(doc: Doc, r: KeyRow): bool {
  value.reset();
  let n = doc.first(r.field);
  if (n < 0) return false;
  const form = r.form;
  if (form == FORM_LIST) {
    let first = true;
    while (n >= 0) {
      if (!first) value.byte(0x2c);
      first = false;
      doc.nodeText(n, value);
      n = doc.nodeNext(n);
    }
    return value.len > 0;
  }
  if (form == FORM_MS || form == FORM_MS13) {
    date.reset();
    doc.nodeText(n, date);
    const ms = rfc3339ToEpochMs(date, 0);
    if (ms < 0) return false;
    if (form == FORM_MS13 && (ms < 1000000000000 || ms > 9999999999999)) return false;
    value.int(ms);
    return true;
  }
  doc.nodeText(n, value);
  if (value.len == 0) return false;
  if (form == FORM_TEXT) return true;
  if (form == FORM_INT || form == FORM_PORT || form == FORM_INT32) return isInteger(value, form);
  if (form == FORM_IPV4 || form == FORM_IPV6 || form == FORM_IP) {
    if (!isIp(value.ptr, value.len)) return false;
    if (form == FORM_IP) return true;
    const v6 = hasByte(value, 0x3a);
    return form == FORM_IPV6 ? v6 : !v6;
  }
  if (form == FORM_DIR01) {
    const ingress = equals(value, "ingress");
    const egress = equals(value, "egress");
    value.reset();
    if (ingress) { value.byte(0x30); return true; }
    if (egress) { value.byte(0x31); return true; }
    return false;
  }
  return false;
}

function hasByte(b: ByteBuf, c: i32): bool {
  for (let i = 0; i < b.len; i++) if (<i32>load<u8>(b.ptr + <usize>i) == c) return true;
  return false;
}

function equals(b: ByteBuf, s: string): bool {
  if (b.len != s.length) return false;
  for (let i = 0; i < b.len; i++) if (<i32>load<u8>(b.ptr + <usize>i) != s.charCodeAt(i)) return false;
  return true;
}

/** Digits with an optional minus (fields typed long hold nothing else);
 *  for a port 0–65535, for int32 the signed 32-bit range. */
function isInteger(b: ByteBuf, form: i32): bool {
  let p = 0;
  const neg = b.len > 0 && load<u8>(b.ptr) == 0x2d;
  if (neg) { if (form == FORM_PORT) return false; p = 1; }
  if (p >= b.len || b.len - p > 19) return false;
  const small = form != FORM_INT;
  if (small && b.len - p > 10) return false;
  let v: i64 = 0;
  for (let i = p; i < b.len; i++) {
    const c = <i32>load<u8>(b.ptr + <usize>i) - 0x30;
    if (c < 0 || c > 9) return false;
    if (small) v = v * 10 + c;
  }
  if (form == FORM_PORT) return v <= 65535;
  if (form == FORM_INT32) return neg ? v <= 2147483648 : v <= 2147483647;
  return true;
}
