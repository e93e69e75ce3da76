// Writes one value of the normalized event in its field's type.

import { ByteBuf } from "../io/buffers";
import { T_STR, T_NUM, T_TRUE } from "../json/tape";
import { writeStringToken, writeEscaped } from "../json/escape";
import { Doc, V_TOKEN, V_TEXT } from "./doc";
import { TY_LONG, TY_BOOL } from "./fields";

/** Writes node `n`. Longs and booleans are bare unless `asString` (Splunk's
 *  indexed fields take strings only); everything else is a JSON string.
 *  Returns true if a damaged string had to be repaired. */
export function writeNode(out: ByteBuf, doc: Doc, n: i32, type: i32, asString: bool): bool {
  const bare = !asString && (type == TY_LONG || type == TY_BOOL);
  const kind = doc.nodeKind(n);
  if (kind == V_TOKEN) {
    const tape = doc.tape;
    const tok = doc.nodeA(n);
    const tk = tape.kind(tok);
    if (tk == T_STR) {
      if (!bare) return writeStringToken(out, tape, tok);
      // A number or boolean that came as a string: its content is checked
      // digits or true/false, so it is copied without quotes.
      out.bytes(tape.ptr(tape.innerStart(tok)), tape.innerLen(tok));
      return false;
    }
    if (!bare) out.byte(0x22);
    if (tk == T_NUM) out.bytes(tape.ptr(tape.start(tok)), tape.end(tok) - tape.start(tok));
    else out.ascii(tk == T_TRUE ? "true" : "false");
    if (!bare) out.byte(0x22);
    return false;
  }
  if (kind == V_TEXT) {
    const start = doc.nodeA(n);
    const len = doc.nodeB(n) - start;
    if (bare) { out.bytes(doc.text.ptr + <usize>start, len); return false; }
    out.byte(0x22);
    const repaired = writeEscaped(out, doc.text.ptr + <usize>start, len);
    out.byte(0x22);
    return repaired;
  }
  if (!bare) out.byte(0x22);
  out.ascii(doc.constOf(n));
  if (!bare) out.byte(0x22);
  return false;
}
