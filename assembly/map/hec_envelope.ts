// The Splunk HTTP Event Collector envelope, as Sysdig's HEC (Splunk)
// integration sends each event: {time, host, source, sourcetype, index,
// event, fields}. Fluent Bit's `splunk` input stores each envelope as the
// record, so the Sysdig payload is its `event` (an object, or a string that
// holds one). The payload is normalized exactly as if it had come bare; the
// envelope adds only what it alone knows:
//   time         the fallback clock: the payload's own clock wins
//   host, source, sourcetype, index
//                kept as labels.hec_* (Splunk: indexed fields sysdig_hec_*:
//                Vector's HEC sink names its own keys hec_*). They
//                describe the forwarder's delivery (Sysdig's documentation
//                does not say what it puts in host and source; sourcetype
//                and index are what the admin typed in Sysdig's form), not
//                the event, so they go to ECS's key/value `labels`, never
//                over host.*, event.* or the Splunk envelope's own metadata.
//                The sourcetype is not used to tell the shape: the payload
//                names its own in every family Sysdig sends, and a
//                sourcetype chosen in a form must not override that.
//   fields       HEC indexed fields; Sysdig's documentation names none, so
//                an envelope that has them keeps its text in event.original.
// A record is an envelope only when every key is one of these, `event` is
// there, and the metadata values have the types the HEC specification
// gives them (strings; time a number or a string). Anything else is not an
// envelope and goes through as any record does, so nothing is lost.

import { Tape, T_OBJ, T_STR, T_NUM, F_ESCAPED } from "../json/tape";
import { Instant, readInstant } from "../text/time";
import { Doc } from "../ecs/doc";
import { decodeStringToken } from "../json/escape";
import * as F from "./ids";

/** Token of each envelope member in the record, -1 when absent. */
export let hecTime: i32 = -1;
export let hecHost: i32 = -1;
export let hecSource: i32 = -1;
export let hecSourcetype: i32 = -1;
export let hecIndex: i32 = -1;
export let hecFields: i32 = -1;
export let hecEvent: i32 = -1;

/** The envelope's `time`, once read (valid only when it held a clock). */
export const hecClock = new Instant();

@inline function keyIs4(p: usize, a: i32, b: i32, c: i32, d: i32): bool {
  return <i32>load<u8>(p) == a && <i32>load<u8>(p, 1) == b && <i32>load<u8>(p, 2) == c && <i32>load<u8>(p, 3) == d;
}

/** The token of the envelope's `event` when the record at the root of
 *  `tape` is an HEC envelope, else -1. A Sysdig payload is told apart on
 *  its first key that is not an envelope key (the first key, for every
 *  shape Sysdig and Falco send): a length and a few bytes compared, no
 *  parse. */
export function envelopeEvent(tape: Tape): i32 {
  hecEvent = -1;
  if (tape.kind(0) != T_OBJ) return -1;
  const end = tape.next(0);
  if (end < 3) return -1; // {}
  hecTime = -1; hecHost = -1; hecSource = -1; hecSourcetype = -1; hecIndex = -1; hecFields = -1;
  let event = -1;
  let c = 1;
  while (c < end) {
    const v = c + 1;
    const n = tape.innerLen(c);
    const p = tape.ptr(tape.innerStart(c));
    // Keys as written (an escaped key is never an envelope key): bytes.
    let slot = -1;
    if (n == 4) {
      if (keyIs4(p, 0x74, 0x69, 0x6d, 0x65)) slot = 0;        // time
      else if (keyIs4(p, 0x68, 0x6f, 0x73, 0x74)) slot = 1;   // host
    } else if (n == 5) {
      if (keyIs4(p, 0x65, 0x76, 0x65, 0x6e) && <i32>load<u8>(p, 4) == 0x74) slot = 6;       // event
      else if (keyIs4(p, 0x69, 0x6e, 0x64, 0x65) && <i32>load<u8>(p, 4) == 0x78) slot = 4;  // index
    } else if (n == 6) {
      if (tape.stringEquals(c, "source")) slot = 2;
      else if (tape.stringEquals(c, "fields")) slot = 5;
    } else if (n == 10) {
      if (tape.stringEquals(c, "sourcetype")) slot = 3;
    }
    if (slot < 0 || (tape.flags(c) & F_ESCAPED) != 0) return -1;
    const kind = tape.kind(v);
    if (slot == 0) {
      if (hecTime >= 0 || (kind != T_NUM && kind != T_STR)) return -1;
      hecTime = v;
    } else if (slot == 5) {
      if (hecFields >= 0 || kind != T_OBJ) return -1;
      hecFields = v;
    } else if (slot == 6) {
      if (event >= 0 || (kind != T_OBJ && kind != T_STR)) return -1;
      event = v;
    } else {
      if (kind != T_STR) return -1;
      if (slot == 1) { if (hecHost >= 0) return -1; hecHost = v; }
      else if (slot == 2) { if (hecSource >= 0) return -1; hecSource = v; }
      else if (slot == 3) { if (hecSourcetype >= 0) return -1; hecSourcetype = v; }
      else { if (hecIndex >= 0) return -1; hecIndex = v; }
    }
    c = tape.next(v);
  }
  return event;
}

/** Forgets the last record's envelope. */
export function noEnvelope(): void { hecEvent = -1; }

/** Marks the envelope found (its event was a Sysdig-readable object) and
 *  reads its clock. */
export function acceptEnvelope(tape: Tape, event: i32): void {
  hecEvent = event;
  readInstant(tape, hecTime, hecClock);
}

/** Sets labels.hec_* from the envelope in `tape` (the record's tape, not
 *  the event's: the values are copied as text). */
export function keepEnvelopeFields(doc: Doc, tape: Tape): void {
  keep(doc, tape, F.LABELS_HEC_HOST, hecHost);
  keep(doc, tape, F.LABELS_HEC_INDEX, hecIndex);
  keep(doc, tape, F.LABELS_HEC_SOURCE, hecSource);
  keep(doc, tape, F.LABELS_HEC_SOURCETYPE, hecSourcetype);
}

function keep(doc: Doc, tape: Tape, f: i32, tok: i32): void {
  if (tok < 0) return;
  const s = doc.beginText();
  decodeStringToken(doc.text, tape, tok);
  doc.setText(f, s);
}
