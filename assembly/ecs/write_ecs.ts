// The Elasticsearch document: every set field of the normalized event,
// nested by its ECS path, then the original payload under "sysdig".

import { ByteBuf } from "../io/buffers";
import { Doc } from "./doc";
import { FIELDS } from "./fields";
import { writeNode } from "./values";

const open: string[] = [];

/** Writes the fields of `doc` as the members of an object already opened in
 *  `out` (the caller writes "{" before and the rest after). */
export function writeEcsFields(out: ByteBuf, doc: Doc): void {
  open.length = 0;
  let firstAtLevel = true;
  for (let f = 0; f < FIELDS.length; f++) {
    let n = doc.first(f);
    if (n < 0) continue;
    const field = unchecked(FIELDS[f]);
    const segs = field.segments;
    const parents = segs.length - 1;
    // Close the objects this field is not inside.
    let common = 0;
    while (common < open.length && common < parents && unchecked(open[common]) == unchecked(segs[common])) common++;
    while (open.length > common) {
      out.byte(0x7d);
      open.pop();
      firstAtLevel = false;
    }
    if (!firstAtLevel) out.byte(0x2c);
    // Open the ones it is inside.
    for (let s = common; s < parents; s++) {
      writeKey(out, unchecked(segs[s]));
      out.byte(0x7b);
      open.push(unchecked(segs[s]));
    }
    writeKey(out, unchecked(segs[parents]));
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
  while (open.length > 0) { out.byte(0x7d); open.pop(); }
}

@inline function writeKey(out: ByteBuf, key: string): void {
  out.byte(0x22);
  out.ascii(key);
  out.byte(0x22);
  out.byte(0x3a);
}
