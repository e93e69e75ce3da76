// Writes one value of the normalized event in its field's type.

import { ByteBuf } from "../io/buffers";
import { T_STR, T_NUM, T_TRUE, F_REPAIR } from "../json/tape";
import { writeStringToken, writeEscaped } from "../json/escape";
import { Doc, V_TOKEN, V_TEXT } from "./doc";
import { TY_LONG, TY_BOOL } from "./fields";

/** Writes node `n`. Longs and booleans are bare unless `asString` (Splunk's
 *  indexed fields take strings only); everything else is a JSON string.
 *  Returns true if a damaged string had to be repaired. */
export function writeNode(out: ByteBuf, doc: Doc, n: i32, type: i32, asString: bool): bool {
  return writeNodeAt(out, doc, doc.nodeAt(n), type, asString);
}

/** writeNode, for the node at address `node` (Doc.nodeAt). */
export function writeNodeAt(out: ByteBuf, doc: Doc, node: usize, type: i32, asString: bool): bool {
  const bare = !asString && (type == TY_LONG || type == TY_BOOL);
  // The node's and its token's parts, each read from one address.
  const kind = load<i32>(node);
  if (kind == V_TOKEN) {
    const tape = doc.tape;
    const tok = load<i32>(node, 4);
    const cell = tape.cell(tok);
    const kindAndFlags = load<i32>(cell);
    const start = load<i32>(cell, 4);
    const end = load<i32>(cell, 8);
    const tk = kindAndFlags & 0xff;
    if (tk == T_STR) {
      if (!bare) {
        // A string that needs no repair is its own JSON.
        if ((kindAndFlags & (F_REPAIR << 8)) == 0) {
          out.bytes(tape.base + <usize>start, end - start);
          return false;
        }
        return writeStringToken(out, tape, tok);
      }
      // A number or boolean that came as a string: its content is checked
      // digits or true/false, so it is copied without quotes.
      out.bytes(tape.base + <usize>(start + 1), end - start - 2);
      return false;
    }
    if (!bare) out.byte(0x22);
    if (tk == T_NUM) out.bytes(tape.base + <usize>start, end - start);
    else out.ascii(tk == T_TRUE ? "true" : "false");
    if (!bare) out.byte(0x22);
    return false;
  }
  if (kind == V_TEXT) {
    const start = load<i32>(node, 4);
    const len = load<i32>(node, 8) - start;
    if (bare) { out.bytes(doc.text.ptr + <usize>start, len); return false; }
    out.byte(0x22);
    const repaired = writeEscaped(out, doc.text.ptr + <usize>start, len);
    out.byte(0x22);
    return repaired;
  }
  // A constant: the node holds the string's address (Doc.constOf).
  if (!bare) out.byte(0x22);
  out.ascii(changetype<string>(<usize>load<i32>(node, 4)));
  if (!bare) out.byte(0x22);
  return false;
}
