// The tags of the last rule, and what they mapped to. A rule's tags come
// with every event of that rule, byte for byte, and reading them (the
// ATT&CK forms in each tag, the text of technique names and references, a
// comparison with every tag before) is among the costliest work of a
// record in the interpreter. When a record's tag list has the same bytes
// as the last one mapped, the same values are set again from here.
//
// Nothing is taken on trust: the list's bytes are compared in full; the
// same bytes parse into the same tokens (so a tag's token is found at the
// same offset from the list's), and decode into the same text. The values
// are replayed only into a document whose tag and threat fields are empty,
// as they were when the values were kept, so every comparison with values
// already there would give the same answer.

import { ByteBuf, IntBuf } from "../io/buffers";
import { Doc, V_TOKEN, V_TEXT, V_CONST } from "../ecs/doc";
import { Tape } from "../json/tape";
import { sameBytes } from "../text/keytable";
import * as F from "./ids";
import { THREAT_FIELDS } from "./mitre";

/** The fields a tag list sets: tags (map/common.ts, setTags) and those
 *  mitre.ts lists as its own. */
function fieldsSet(): StaticArray<i32> {
  const fields = new StaticArray<i32>(THREAT_FIELDS.length + 1);
  fields[0] = F.TAGS;
  for (let i = 0; i < THREAT_FIELDS.length; i++) fields[i + 1] = THREAT_FIELDS[i];
  return fields;
}
const FIELDS_SET = fieldsSet();
/** Lists longer than this are mapped as usual, not kept. */
const MAX_LIST_BYTES: i32 = 4096;

/** The kept list's bytes (valid when keptLen >= 0). */
const keptList = new ByteBuf();
let keptLen: i32 = -1;
/** Per value set, in order: field, kind, and the token's offset from the
 *  list's (V_TOKEN), the constant's address (V_CONST) or the offset and
 *  length of its text in keptText (V_TEXT). */
const keptValues = new IntBuf();
const keptText = new ByteBuf();

/** Whether the fields a tag list sets are all empty in `doc`. */
export function tagFieldsEmpty(doc: Doc): bool {
  for (let i = 0; i < FIELDS_SET.length; i++) if (doc.has(unchecked(FIELDS_SET[i]))) return false;
  return true;
}

/** Sets again the values kept for list token `list`, if its bytes are the
 *  kept list's; false if they are not (nothing is set then). The caller
 *  has checked tagFieldsEmpty. */
export function replayTags(doc: Doc, tape: Tape, list: i32): bool {
  const start = tape.start(list);
  const n = tape.end(list) - start;
  if (n != keptLen || !sameBytes(tape.ptr(start), keptList.ptr, n)) return false;
  const values = keptValues.ptr;
  for (let i = 0, count = keptValues.len; i < count; i += 4) {
    const at = values + (<usize>i << 2);
    const f = load<i32>(at);
    const kind = load<i32>(at, 4);
    const a = load<i32>(at, 8);
    if (kind == V_TOKEN) {
      doc.appendKept(f, V_TOKEN, list + a);
    } else if (kind == V_CONST) {
      doc.appendKept(f, V_CONST, a);
    } else {
      const s = doc.beginText();
      doc.text.bytes(keptText.ptr + <usize>a, load<i32>(at, 12));
      doc.appendKept(f, V_TEXT, s);
    }
  }
  return true;
}

/** Keeps what mapping list token `list` set in `doc` (whose tag and threat
 *  fields were empty before), for replayTags. */
export function keepTags(doc: Doc, tape: Tape, list: i32): void {
  keptLen = -1;
  const start = tape.start(list);
  const n = tape.end(list) - start;
  if (n > MAX_LIST_BYTES) return;
  keptValues.reset();
  keptText.reset();
  for (let i = 0; i < FIELDS_SET.length; i++) {
    const f = unchecked(FIELDS_SET[i]);
    let node = doc.first(f);
    while (node >= 0) {
      const kind = doc.nodeKind(node);
      keptValues.push(f);
      keptValues.push(kind);
      if (kind == V_TOKEN) {
        keptValues.push(doc.nodeA(node) - list);
        keptValues.push(0);
      } else if (kind == V_CONST) {
        keptValues.push(doc.nodeA(node));
        keptValues.push(0);
      } else {
        keptValues.push(keptText.len);
        keptValues.push(doc.nodeB(node) - doc.nodeA(node));
        keptText.bytes(doc.text.ptr + <usize>doc.nodeA(node), doc.nodeB(node) - doc.nodeA(node));
      }
      node = doc.nodeNext(node);
    }
  }
  keptList.reset();
  keptList.bytes(tape.ptr(start), n);
  keptLen = n;
}
