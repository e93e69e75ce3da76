// A test-only entry point: the JSON reader and writer of the core, exposed
// through the same (tag, sec, nsec, record) signature as the filter so that
// host-test drives them through the exact Fluent Bit call sequence. It is
// built into build/json_probe.wasm by `npm run build` and never shipped.

import { ByteBuf } from "../io/buffers";
import { Tape, T_STR } from "../json/tape";
import { parse, parseError, parseErrorAt, parseErrorText } from "../json/parser";
import { writeEscaped, writeQuotedString, decodeStringToken } from "../json/escape";
import { Walker, WalkMode } from "../json/walker";
import { writeMd5Hex } from "../text/md5";

// The filter's allocator for the host's copies (io/host_alloc.ts).
export { malloc, free } from "../io/host_alloc";

/** Bits of `sec` in json_walk. */
const SAFE_KEYS: u32 = 1;
const KEY_VALUE_LISTS: u32 = 2;
const DEDUPE: u32 = 4;

const out = new ByteBuf();
const scratch = new ByteBuf();
const tape = new Tape();
const walker = new Walker();
const mode = new WalkMode();

function begin(): void {
  __collect();
  out.trim();
  scratch.trim();
  out.reset();
  scratch.reset();
}

function finish(): usize {
  out.byte(0);
  return out.ptr;
}

/** {"error": text, "at": byte offset} when parsing fails. */
function writeParseError(): void {
  out.ascii("{\"error\":");
  writeQuotedString(out, parseErrorText(parseError));
  out.ascii(",\"at\":");
  out.ascii(parseErrorAt.toString());
  out.byte(0x7d);
}

/** Parses the record and writes it back through the payload walker:
 *  {"loss": bits, "value": <walked JSON>}. `sec` selects the walk mode bits,
 *  `nsec` the depth beyond which containers become JSON text (0 = none). */
export function json_walk(tagPtr: usize, tagLen: i32, sec: u32, nsec: u32, recPtr: usize, recLen: i32): usize {
  begin();
  if (!parse(tape, recPtr, recLen)) {
    writeParseError();
    return finish();
  }
  mode.safeKeys = (sec & SAFE_KEYS) != 0;
  mode.keyValueLists = (sec & KEY_VALUE_LISTS) != 0;
  mode.dedupe = (sec & DEDUPE) != 0;
  mode.maxDepth = <i32>nsec;
  Walker.beginRecord();
  walker.loss = 0;
  out.ascii("{\"value\":");
  walker.write(out, tape, 0, mode);
  out.ascii(",\"loss\":");
  out.ascii(walker.loss.toString());
  out.byte(0x7d);
  return finish();
}

/** Decodes a JSON string record to its UTF-8 bytes and writes them back as
 *  a JSON string: {"decoded": "..."}; shows what unwrapping a `log` field yields. */
export function json_decode(tagPtr: usize, tagLen: i32, sec: u32, nsec: u32, recPtr: usize, recLen: i32): usize {
  begin();
  if (!parse(tape, recPtr, recLen)) {
    writeParseError();
    return finish();
  }
  if (tape.kind(0) != T_STR) {
    out.ascii("{\"error\":\"not a string\"}");
    return finish();
  }
  decodeStringToken(scratch, tape, 0);
  out.ascii("{\"decoded\":\"");
  const repaired = writeEscaped(out, scratch.ptr, scratch.len);
  out.ascii("\",\"repaired\":");
  out.ascii(repaired ? "true" : "false");
  out.byte(0x7d);
  return finish();
}

/** Escapes raw record bytes (not JSON) as string content: {"escaped": "..."}. */
export function json_escape(tagPtr: usize, tagLen: i32, sec: u32, nsec: u32, recPtr: usize, recLen: i32): usize {
  begin();
  out.ascii("{\"escaped\":\"");
  const repaired = writeEscaped(out, recPtr, recLen);
  out.ascii("\",\"repaired\":");
  out.ascii(repaired ? "true" : "false");
  out.byte(0x7d);
  return finish();
}

/** The MD5 of the raw record bytes (text/md5.ts): {"md5": "<32 hex digits>"}. */
export function md5_hex(tagPtr: usize, tagLen: i32, sec: u32, nsec: u32, recPtr: usize, recLen: i32): usize {
  begin();
  out.ascii("{\"md5\":\"");
  writeMd5Hex(out, recPtr, recLen);
  out.ascii("\"}");
  return finish();
}
