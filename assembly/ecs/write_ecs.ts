// The Elasticsearch document: every set field of the normalized event,
// nested by its ECS path, then the original payload under "sysdig".

import { ByteBuf } from "../io/buffers";
import { Doc, V_CONST, V_TOKEN } from "./doc";
import { T_STR, F_REPAIR } from "../json/tape";
import { FIELDS, FIELD_FLAGS, FIELD_LIST, TY_LONG, TY_BOOL } from "./fields";
import { writeNode, writeNodeAt } from "./values";

// What comes between one field's value and the next field's value (closing
// the objects the next field is not in, a comma, opening the ones it is in,
// its key, "[" for a list) depends on nothing but the two fields, since
// FIELDS is sorted by path. Records of one kind set the same fields, so the
// writer copies these "steps" from a cache in one copy each, instead of
// comparing object ids and writing keys and brackets one by one: the
// interpreter pays per instruction, and this ran for every field of every
// record. A step's slot is picked by the field it leads to and the low bits
// of the one it comes from: the fields of one record never share a slot
// (each is led to once), and a slot holds the last step that took it, so
// memory stays bounded however many field combinations a stream has.

//
// A single-valued field whose value is one of the module's literal
// constants (ecs.version, event.kind, event.module, observer.vendor, …) is
// cached with its step: what is written then depends only on the two
// fields and the literal, and the constant's own write (a call, two quotes
// and the copy of its text) is saved for every such field of every record.

const STEP_SLOTS: i32 = (FIELDS.length + 1) << 2;
/** Per slot, 16 bytes: the step's key (see stepKey; 0 when empty), where
 *  its bytes are, how many, and the address of the constant written after
 *  it (0: none). One table, so a slot is one address and its parts are
 *  loads at fixed offsets. */
const steps: usize = heap.alloc(<usize>STEP_SLOTS << 4);
memory.fill(steps, 0, <usize>STEP_SLOTS << 4);
const building = new ByteBuf();

/** The step from field `from` (-1: the start of the object) to field `to`
 *  (FIELDS.length: the end), as a positive int (fields fit in 10 bits). */
@inline function stepKey(from: i32, to: i32): i32 {
  return ((from + 1) << 10) | (to + 1);
}
if (FIELDS.length >= 1023) unreachable();

@inline function stepSlot(from: i32, to: i32): i32 {
  return (to << 2) | (from & 3);
}

/** Writes the fields of `doc` as the members of an object already opened in
 *  `out` (the caller writes "{" before and the rest after). */
export function writeEcsFields(out: ByteBuf, doc: Doc): void {
  let prev = -1;
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
    // A set field's first value is its own node (Doc.first(f) == f).
    let n = f;
    const flags = <i32>load<u8>(FIELD_FLAGS + <usize>f);
    const type = flags & 0xf;
    const node = doc.nodeAt(n);
    // A constant is always a literal of the module (Doc.appendConst), so
    // its address names the same text in every record.
    const constant = (flags & FIELD_LIST) == 0 && load<i32>(node) == V_CONST ? load<i32>(node, 4) : 0;
    writeStep(out, prev, f, constant, doc, n, type);
    prev = f;
    if (constant != 0) continue;
    writeValue(out, doc, node, type);
    if (flags & FIELD_LIST) {
      // The step wrote "[", and the next one writes "]".
      n = doc.nodeNext(n);
      while (n >= 0) {
        out.byte(0x2c);
        writeNode(out, doc, n, type, false);
        n = doc.nodeNext(n);
      }
    }
  }
  writeStep(out, prev, FIELDS.length, 0, doc, -1, 0);
}

/** writeNodeAt for an ECS value, with the usual one (a string of the
 *  record that needs no repair, in a string field: its own JSON) written
 *  here rather than through a call: some forty per record. This repeats
 *  writeNodeAt's first branch on purpose: one inlined helper shared by both
 *  compiled to some 270 more executed instructions per runtime record. */
@inline function writeValue(out: ByteBuf, doc: Doc, node: usize, type: i32): void {
  if (load<i32>(node) == V_TOKEN && type != TY_LONG && type != TY_BOOL) {
    const tape = doc.tape;
    const cell = tape.cell(load<i32>(node, 4));
    const kindAndFlags = load<i32>(cell);
    if ((kindAndFlags & 0xff) == T_STR && (kindAndFlags & (F_REPAIR << 8)) == 0) {
      const start = load<i32>(cell, 4);
      out.bytes(tape.base + <usize>start, load<i32>(cell, 8) - start);
      return;
    }
  }
  writeNodeAt(out, doc, node, type, false);
}

/** Writes the step from `from` to `to`, and the constant at `constant`
 *  (node `n`, of type `type`) after it unless that is 0. */
@inline function writeStep(out: ByteBuf, from: i32, to: i32, constant: i32, doc: Doc, n: i32, type: i32): void {
  const key = stepKey(from, to);
  const slot = steps + (<usize>stepSlot(from, to) << 4);
  if (load<i32>(slot) != key || load<i32>(slot, 12) != constant) fillStep(slot, key, from, to, constant, doc, n, type);
  out.bytes(load<usize>(slot, 4), load<i32>(slot, 8));
}

function fillStep(slot: usize, key: i32, from: i32, to: i32, constant: i32, doc: Doc, n: i32, type: i32): void {
  building.reset();
  buildStep(building, from, to);
  if (constant != 0) writeNode(building, doc, n, type, false);
  const old = load<usize>(slot, 4);
  if (old != 0) heap.free(old);
  const bytes = heap.alloc(<usize>max(building.len, 1));
  memory.copy(bytes, building.ptr, <usize>building.len);
  store<usize>(slot, bytes, 4);
  store<i32>(slot, building.len, 8);
  store<i32>(slot, constant, 12);
  store<i32>(slot, key);
}

/** The bytes between field `from`'s value (or the start) and field `to`'s
 *  value (or the end). */
function buildStep(out: ByteBuf, from: i32, to: i32): void {
  let depth = 0;
  let fromIds = new StaticArray<i32>(0);
  if (from >= 0) {
    const prev = FIELDS[from];
    if (prev.isList) out.byte(0x5d);
    fromIds = prev.parentIds;
    depth = fromIds.length;
  }
  if (to >= FIELDS.length) {
    for (; depth > 0; depth--) out.byte(0x7d);
    return;
  }
  const field = FIELDS[to];
  const ids = field.parentIds;
  const parents = ids.length;
  // Object ids name a whole path, so the enclosing objects the two fields
  // share are a common prefix of their ids.
  let common = 0;
  while (common < depth && common < parents && fromIds[common] == ids[common]) common++;
  for (; depth > common; depth--) out.byte(0x7d);
  if (from >= 0) out.byte(0x2c);
  for (let s = common; s < parents; s++) {
    writeKey(out, field.keys[s]);
    out.byte(0x7b);
  }
  writeKey(out, field.keys[parents]);
  if (field.isList) out.byte(0x5b);
}

/** Writes a precomputed `"key":`. */
@inline function writeKey(out: ByteBuf, key: ArrayBuffer): void {
  out.bytes(changetype<usize>(key), key.byteLength);
}
