// The Elasticsearch document: every set field of the normalized event,
// nested by its ECS path, then the original payload under "sysdig".

import { ByteBuf } from "../io/buffers";
import { Doc } from "./doc";
import { FIELDS } from "./fields";
import { writeNode } from "./values";

/** Ids of the objects currently open, outermost first (Field.parentIds):
 *  a fixed array and a depth, since Array's push and pop are calls. */
const open = new StaticArray<i32>(maxParents() + 1);

function maxParents(): i32 {
  let most = 0;
  for (let i = 0; i < FIELDS.length; i++) most = max(most, FIELDS[i].parentIds.length);
  return most;
}

/** Writes the fields of `doc` as the members of an object already opened in
 *  `out` (the caller writes "{" before and the rest after). */
export function writeEcsFields(out: ByteBuf, doc: Doc): void {
  let depth = 0;
  let firstAtLevel = true;
  // The fields with a value, in table order: the set bits, lowest first.
  for (let w = 0, base = 0, bits: u64 = 0; ; ) {
    while (bits == 0 && w < doc.setWords) {
      bits = doc.setWord(w);
      base = w << 6;
      w++;
    }
    if (bits == 0) break;
    const f = base + <i32>ctz(bits);
    bits &= bits - 1;
    let n = doc.first(f);
    if (n < 0) continue;
    const field = unchecked(FIELDS[f]);
    const ids = field.parentIds;
    const parents = ids.length;
    if (depth == parents && (parents == 0 || unchecked(open[parents - 1]) == unchecked(ids[parents - 1]))) {
      // In the object the previous field was in (object ids name a whole
      // path, so the innermost one matching says all of them do).
      if (!firstAtLevel) out.byte(0x2c);
    } else {
      // FIELDS is sorted by path, so the fields of one object are adjacent:
      // close the objects this field is not inside, open the ones it is.
      let common = 0;
      while (common < depth && common < parents && unchecked(open[common]) == unchecked(ids[common])) common++;
      while (depth > common) {
        out.byte(0x7d);
        depth--;
        firstAtLevel = false;
      }
      if (!firstAtLevel) out.byte(0x2c);
      for (let s = common; s < parents; s++) {
        writeKey(out, unchecked(field.keys[s]));
        out.byte(0x7b);
        unchecked(open[depth++] = unchecked(ids[s]));
      }
    }
    writeKey(out, unchecked(field.keys[parents]));
    if (field.isList) {
      out.byte(0x5b);
      let first = true;
      while (n >= 0) {
        if (!first) out.byte(0x2c);
        writeNode(out, doc, n, field.type, false);
        first = false;
        n = doc.nodeNext(n);
      }
      out.byte(0x5d);
    } else {
      writeNode(out, doc, n, field.type, false);
    }
    firstAtLevel = false;
  }
  while (depth > 0) { out.byte(0x7d); depth--; }
}

/** Writes a precomputed `"key":`. */
@inline function writeKey(out: ByteBuf, key: ArrayBuffer): void {
  out.bytes(changetype<usize>(key), key.byteLength);
}

