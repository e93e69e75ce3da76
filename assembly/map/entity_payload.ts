// Platform Audit's `content.entityPayload` is the entity's JSON as a string.
// Both targets get it decoded (an object Elasticsearch and Splunk can search
// instead of one opaque string), and with the value of every secret-looking
// key (text/secret_keys.ts) replaced by "[REDACTED]": the payload of a changed
// integration carries its credentials. normalize.ts states the redaction, key
// by key, in error.message and tags it `_sysdig_redacted`.
// A string that is not a JSON object or array is kept as it came.

import { ByteBuf } from "../io/buffers";
import { Tape, T_OBJ, T_ARR, T_STR } from "../json/tape";
import { parse } from "../json/parser";
import { decodeStringToken } from "../json/escape";
import { Walker, WalkMode, LOSS_DUPLICATE_KEY, LOSS_REDACTED } from "../json/walker";
import { Doc } from "../ecs/doc";
import { top, K_CONTENT } from "./detect";
import { AUDIT_CONTENT, auditContent, C_ENTITY_PAYLOAD } from "./platform_audit";

/** The decoded payload sits at depth 3 of the record (record, content,
 *  entityPayload), so its own depth limits are the record's minus 2. */
const DEPTH_BELOW_RECORD: i32 = 2;

const text = new ByteBuf();
const entityTape = new Tape();
const entityWalker = new Walker();
const ecsEntityMode = new WalkMode();
const hecEntityMode = new WalkMode();
let modesReady = false;

function readyModes(ecsDepth: i32, hecDepth: i32): void {
  ecsEntityMode.safeKeys = true;
  ecsEntityMode.keyValueLists = true;
  ecsEntityMode.dedupe = true;
  ecsEntityMode.redact = true;
  ecsEntityMode.maxDepth = ecsDepth - DEPTH_BELOW_RECORD;
  // Splunk gets the payload as sent, but a decoded object is our own
  // rendering: [{key,value}] lists become objects (so a secret in one is
  // found), and a repeated key keeps its first value (the HEC event must
  // not gain duplicate keys the input did not have).
  hecEntityMode.keyValueLists = true;
  hecEntityMode.dedupe = true;
  hecEntityMode.redact = true;
  hecEntityMode.maxDepth = hecDepth - DEPTH_BELOW_RECORD;
  modesReady = true;
}

/** Keys whose values were redacted in this record, ", "-separated. */
export function redactedKeys(): ByteBuf { return entityWalker.redactedKeys; }

/** Renders the decoded entityPayload into `walker.substitute` and points
 *  `walker.substituteTok` at it; returns the walk's LOSS_* bits (0 when the
 *  string is kept as it came). */
export function decodeEntityPayload(doc: Doc, walker: Walker, ecs: bool, ecsDepth: i32, hecDepth: i32): i32 {
  if (!modesReady) readyModes(ecsDepth, hecDepth);
  entityWalker.redactedKeys.trim();
  text.trim();
  entityTape.trim();
  const tape = doc.tape;
  AUDIT_CONTENT.collect(tape, unchecked(top[K_CONTENT]), auditContent);
  const tok = auditContent[C_ENTITY_PAYLOAD];
  if (tok < 0 || tape.kind(tok) != T_STR || tape.innerLen(tok) == 0) return 0;
  text.reset();
  decodeStringToken(text, tape, tok);
  if (!parse(entityTape, text.ptr, text.len)) return 0;
  const kind = entityTape.kind(0);
  if (kind != T_OBJ && kind != T_ARR) return 0;
  entityWalker.loss = 0;
  walker.substitute.reset();
  entityWalker.write(walker.substitute, entityTape, 0, ecs ? ecsEntityMode : hecEntityMode);
  const loss = entityWalker.loss;
  // The record's own walk starts a fresh duplicate-key table: the entries
  // of this walk point into another buffer.
  Walker.beginRecord();
  // Repeated keys and nothing to hide: the string as it came loses nothing.
  if ((loss & LOSS_DUPLICATE_KEY) != 0 && (loss & LOSS_REDACTED) == 0) return 0;
  walker.substituteTok = tok;
  return loss;
}
