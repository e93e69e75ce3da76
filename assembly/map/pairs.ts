// A name → ECS field table for objects or [{key,value}] lists, for the
// mappers of the newer data types (cloud sources, benchmark, host scanning,
// Monitor events). Like falco.ts's tables, kept apart from them so each
// mapper owns its own rows. A value that is a list gives its first element
// (Monitor scope labels are {key, value: [..]}).

import { Doc } from "../ecs/doc";
import { Tape, T_ARR, T_STR } from "../json/tape";
import { KeyTable } from "../text/keytable";
import { isIp } from "../text/net";
import { forEachPair } from "./entries";
import { field } from "../ecs/fields";
import * as F from "./ids";

/** source.ip when the value is an address, else source.domain (CloudTrail
 *  gives "autoscaling.amazonaws.com" for calls made by AWS services). */
const H_SOURCE = -1;
/** orchestrator.resource.name, and says it is a pod. */
const H_POD = -2;

function target(name: string): i32 {
  if (name == "=source") return H_SOURCE;
  if (name == "=pod") return H_POD;
  return field(name);
}

export class PairMapping {
  keys: KeyTable = new KeyTable([]);
  targets: i32[] = [];
  constructor(pairs: string[]) {
    const names: string[] = [];
    for (let i = 0; i < pairs.length; i += 2) {
      names.push(pairs[i]);
      this.targets.push(target(pairs[i + 1]));
    }
    this.keys = new KeyTable(names);
  }
}

/** Maps each pair it is given through `mapping`. The keys of an object
 *  and of an accepted {key, value} list are always strings. */
class PairVisitor {
  doc: Doc = changetype<Doc>(0);
  mapping: PairMapping = changetype<PairMapping>(0);
  @inline pair(tape: Tape, key: i32, value: i32): void {
    const id = this.mapping.keys.lookupToken(tape, key);
    if (id >= 0) applyPairTarget(this.doc, tape, unchecked(this.mapping.targets[id]), value);
  }
}
const pairVisitor = new PairVisitor();

/** Sets the fields `mapping` names for the pairs of `tok`; the first value
 *  set for a field wins. */
export function mapPairs(doc: Doc, tok: i32, mapping: PairMapping): void {
  pairVisitor.doc = doc;
  pairVisitor.mapping = mapping;
  forEachPair(doc.tape, tok, pairVisitor);
}

/** Maps `value` to `to`, a target of a PairMapping (a field, H_SOURCE or
 *  H_POD); of a list, its first element. */
export function applyPairTarget(doc: Doc, tape: Tape, to: i32, value: i32): void {
  let v = value;
  if (tape.kind(v) == T_ARR) v = tape.next(v) > v + 1 ? v + 1 : -1;
  if (v < 0) return;
  if (to >= 0) {
    if (doc.setToken(to, v) && (to == F.ORCH_CLUSTER || to == F.ORCH_NAMESPACE)) doc.setConst(F.ORCH_TYPE, "kubernetes");
  } else if (to == H_SOURCE) {
    if (tape.kind(v) != T_STR || tape.innerLen(v) == 0) return;
    if (isIp(tape.ptr(tape.innerStart(v)), tape.innerLen(v))) doc.setToken(F.SOURCE_IP, v);
    else doc.setToken(F.SOURCE_DOMAIN, v);
  } else if (to == H_POD) {
    if (doc.setToken(F.ORCH_RESOURCE_NAME, v)) doc.setConst(F.ORCH_RESOURCE_TYPE, "pod");
    doc.setConst(F.ORCH_TYPE, "kubernetes");
  }
}
