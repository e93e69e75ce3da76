// Writing strings as JSON, and reading JSON strings back into bytes.
// The output must always be accepted by Fluent Bit's parser, which rejects
// lone surrogates and invalid UTF-8, so both become U+FFFD here.

import { ByteBuf } from "../io/buffers";
import { Tape, T_STR, F_REPAIR, F_ESCAPED } from "./tape";
import { utf8SequenceLength, specialMask } from "./parser";

const HEX = "0123456789abcdef";

@inline function writeReplacement(out: ByteBuf): void {
  out.byte(0xef); out.byte(0xbf); out.byte(0xbd);
}

function writeU4(out: ByteBuf, cp: i32): void {
  out.byte(0x5c); out.byte(0x75);
  for (let s = 12; s >= 0; s -= 4) out.byte(<i32>HEX.charCodeAt((cp >> s) & 15));
}

/** Writes UTF-8 bytes as JSON string content (no quotes), escaping what
 *  JSON requires. Returns true if invalid UTF-8 had to be replaced. */
export function writeEscaped(out: ByteBuf, src: usize, n: i32): bool {
  let repaired = false;
  out.ensure(n + 2);
  let run = 0; // start of the pending run of bytes that need no escaping
  let p = 0;
  while (p < n) {
    // Skip to the next byte that needs a look, 8 bytes at a time.
    if (p + 8 <= n) {
      const m = specialMask(load<u64>(src + <usize>p));
      if (m == 0) { p += 8; continue; }
      p += <i32>(ctz(m) >> 3);
    } else if (n >= 8) {
      // The last bytes, as the tail of the text's last 8 (the bytes before
      // p shifted out): a flag there may be false, never missing, and the
      // byte it points at is looked at below anyway.
      const m = specialMask(load<u64>(src + <usize>(n - 8))) >> (<u64>(p - (n - 8)) << 3);
      if (m == 0) { p = n; break; }
      p += <i32>(ctz(m) >> 3);
    }
    const c = <i32>load<u8>(src + <usize>p);
    if (c >= 0x20 && c != 0x22 && c != 0x5c && c < 0x80) { p++; continue; }
    if (c >= 0x80) {
      const len = utf8SequenceLength(src, p, n);
      if (len > 0) { p += len; continue; }
    }
    out.bytes(src + <usize>run, p - run);
    if (c >= 0x80) { writeReplacement(out); repaired = true; }
    else if (c == 0x22) { out.byte(0x5c); out.byte(0x22); }
    else if (c == 0x5c) { out.byte(0x5c); out.byte(0x5c); }
    else if (c == 0x0a) { out.byte(0x5c); out.byte(0x6e); }
    else if (c == 0x0d) { out.byte(0x5c); out.byte(0x72); }
    else if (c == 0x09) { out.byte(0x5c); out.byte(0x74); }
    else writeU4(out, c);
    p++;
    run = p;
  }
  out.bytes(src + <usize>run, n - run);
  return repaired;
}

/** Writes `s` (the module's own text, any Unicode) as a quoted JSON string. */
export function writeQuotedString(out: ByteBuf, s: string): void {
  const utf8 = String.UTF8.encode(s);
  out.byte(0x22);
  writeEscaped(out, changetype<usize>(utf8), utf8.byteLength);
  out.byte(0x22);
}

@inline function hexAt(base: usize, p: i32): i32 {
  let v = 0;
  for (let k = 0; k < 4; k++) {
    const c = <i32>load<u8>(base + <usize>(p + k));
    v = (v << 4) | (c <= 0x39 ? c - 0x30 : (c | 0x20) - 0x57);
  }
  return v;
}

/** Writes a string token of a parsed tape as a JSON string. Clean strings
 *  are copied byte for byte; damaged ones get U+FFFD in place of lone
 *  surrogates and invalid UTF-8. Returns true if it had to repair. */
export function writeStringToken(out: ByteBuf, tape: Tape, tok: i32): bool {
  const start = tape.start(tok);
  const end = tape.end(tok);
  if ((tape.flags(tok) & F_REPAIR) == 0) {
    out.bytes(tape.ptr(start), end - start);
    return false;
  }
  const base = tape.base;
  const stop = end - 1;
  out.byte(0x22);
  let p = start + 1;
  let run = p;
  while (p < stop) {
    const c = tape.byteAt(p);
    if (c == 0x5c) {
      if (tape.byteAt(p + 1) != 0x75) { p += 2; continue; }
      const cp = hexAt(base, p + 2);
      if (cp >= 0xd800 && cp <= 0xdbff) {
        if (p + 12 <= stop && tape.byteAt(p + 6) == 0x5c && tape.byteAt(p + 7) == 0x75) {
          const low = hexAt(base, p + 8);
          if (low >= 0xdc00 && low <= 0xdfff) { p += 12; continue; }
        }
      } else if (cp < 0xdc00 || cp > 0xdfff) { p += 6; continue; }
      out.bytes(tape.ptr(run), p - run);
      out.ascii("\\ufffd");
      p += 6;
      run = p;
    } else if (c >= 0x80) {
      const len = utf8SequenceLength(base, p, stop);
      if (len > 0) { p += len; continue; }
      out.bytes(tape.ptr(run), p - run);
      writeReplacement(out);
      p++;
      run = p;
    } else {
      p++;
    }
  }
  out.bytes(tape.ptr(run), stop - run);
  out.byte(0x22);
  return true;
}

function writeCodePoint(out: ByteBuf, cp: i32): void {
  if (cp < 0x80) out.byte(cp);
  else if (cp < 0x800) { out.byte(0xc0 | (cp >> 6)); out.byte(0x80 | (cp & 63)); }
  else if (cp < 0x10000) { out.byte(0xe0 | (cp >> 12)); out.byte(0x80 | ((cp >> 6) & 63)); out.byte(0x80 | (cp & 63)); }
  else {
    out.byte(0xf0 | (cp >> 18)); out.byte(0x80 | ((cp >> 12) & 63));
    out.byte(0x80 | ((cp >> 6) & 63)); out.byte(0x80 | (cp & 63));
  }
}

/** Appends the decoded UTF-8 content of a string token (escapes resolved,
 *  lone surrogates as U+FFFD; invalid UTF-8 bytes are copied as they are and
 *  repaired when written). */
export function decodeStringToken(out: ByteBuf, tape: Tape, tok: i32): void {
  if (tape.kind(tok) != T_STR) return;
  // Without a backslash (the parser flags every string that has one) the
  // content is its own decoding: one copy.
  if ((tape.flags(tok) & F_ESCAPED) == 0) {
    out.bytes(tape.ptr(tape.innerStart(tok)), tape.innerLen(tok));
    return;
  }
  const base = tape.base;
  const stop = tape.end(tok) - 1;
  let p = tape.start(tok) + 1;
  let run = p;
  while (p < stop) {
    if (tape.byteAt(p) != 0x5c) { p++; continue; }
    out.bytes(tape.ptr(run), p - run);
    const e = tape.byteAt(p + 1);
    if (e == 0x75) {
      let cp = hexAt(base, p + 2);
      p += 6;
      if (cp >= 0xd800 && cp <= 0xdbff) {
        if (p + 6 <= stop && tape.byteAt(p) == 0x5c && tape.byteAt(p + 1) == 0x75) {
          const low = hexAt(base, p + 2);
          if (low >= 0xdc00 && low <= 0xdfff) {
            cp = 0x10000 + ((cp - 0xd800) << 10) + (low - 0xdc00);
            p += 6;
          } else cp = 0xfffd;
        } else cp = 0xfffd;
      } else if (cp >= 0xdc00 && cp <= 0xdfff) cp = 0xfffd;
      writeCodePoint(out, cp);
    } else {
      let b = e;
      if (e == 0x62) b = 0x08;
      else if (e == 0x66) b = 0x0c;
      else if (e == 0x6e) b = 0x0a;
      else if (e == 0x72) b = 0x0d;
      else if (e == 0x74) b = 0x09;
      out.byte(b);
      p += 2;
    }
    run = p;
  }
  out.bytes(tape.ptr(run), stop - run);
}
