// One record in, one document out. Every input, however broken, gives a
// single valid JSON object that keeps what was sent: a parse failure or an
// unknown shape becomes an `event.kind: pipeline_error` document that says
// why and carries the input, instead of a trap or a dropped record.

import { ByteBuf } from "./io/buffers";
import { Tape, T_OBJ, T_ARR, T_STR } from "./json/tape";
import { newKeyPlans } from "./json/key_plan";
import { parse, parseError, parseErrorAt, parseErrorText } from "./json/parser";
import { decodeStringToken, writeEscaped } from "./json/escape";
import {
  Walker, WalkMode, LOSS_REPAIRED, LOSS_NUMBER_AS_STRING, LOSS_DUPLICATE_KEY, LOSS_DEPTH_AS_STRING,
  LOSS_LONG_KEY_AS_STRING, LOSS_LONG_KEY_DROPPED, LOSS_REDACTED, REDACTED,
} from "./json/walker";
import { PLATFORM_AUDIT } from "./map/detect";
import { decodeEntityPayload, redactedKeys } from "./map/entity_payload";
import { Doc } from "./ecs/doc";
import { writeEcsFields } from "./ecs/write_ecs";
import { writeHecEnvelope } from "./splunk/write_hec";
import { writeCefRecord } from "./cef/write_cef";
import { writeLeefRecord } from "./leef/write_leef";
import { Instant, instantFromClock, writeRfc3339 } from "./text/time";
import { writeNotificationEventIdHex, writeTextEventIdHex } from "./map/event_id";
import { detect, familyDataset, familySourcetype, top, K_TIMESTAMP, UNKNOWN, FALCO_ALERT, MONITOR_ALERT, SECURE_NOTIFICATION } from "./map/detect";
import { mapFamily } from "./map/families";
import { eventTime, setEventTime } from "./map/common";
import * as F from "./map/ids";
import {
  envelopeEvent, acceptEnvelope, noEnvelope, keepEnvelopeFields, hecEvent, hecFields, hecClock,
} from "./map/hec_envelope";

export const TARGET_ECS: i32 = 0;
export const TARGET_SPLUNK: i32 = 1;
/** Records for Fluent Bit's syslog output: a CEF or a LEEF line. */
export const TARGET_CEF: i32 = 2;
export const TARGET_LEEF: i32 = 3;

/** Elasticsearch refuses objects nested deeper than 20; sysdig.* starts at
 *  depth 1, and its own containers below this are kept as JSON text. */
const ECS_PAYLOAD_DEPTH: i32 = 16;
/** Splunk has no such limit, but Fluent Bit repacks the envelope with
 *  recursive code (yyjson to msgpack, msgpack to JSON), so depth is bounded. */
const HEC_PAYLOAD_DEPTH: i32 = 64;
/** Elasticsearch indexes a `flattened` leaf as one term of its key path and
 *  value, at most 32766 bytes. With values cut at 1024 characters by the
 *  index template's ignore_above (3 bytes each at most) and 16 levels of
 *  keys of at most this many bytes, every term fits. */
const ECS_PAYLOAD_KEY_BYTES: i32 = 1024;

export const ECS_VERSION = "9.4.0";

/** Followed by the redacted keys' names (map/entity_payload.ts). */
const REDACTION_NOTE = "content.entityPayload decoded; values of secret-looking keys replaced by \"" + REDACTED + "\": ";

const out = new ByteBuf();
const payload = new ByteBuf();
const unwrapped = new ByteBuf();
const clockDigits = new ByteBuf();
const recordTape = new Tape();
const innerTape = new Tape();
// Records of one stream come in a few shapes: each tape keeps the keys of
// the last documents it parsed, to confirm the next one's against.
recordTape.plan = newKeyPlans();
innerTape.plan = newKeyPlans();
const doc = new Doc();
const walker = new Walker();
const clock = new Instant();
const ecsMode = new WalkMode();
const hecMode = new WalkMode();
ecsMode.safeKeys = true;
ecsMode.keyValueLists = true;
ecsMode.dedupe = true;
ecsMode.maxDepth = ECS_PAYLOAD_DEPTH;
ecsMode.maxKeyBytes = ECS_PAYLOAD_KEY_BYTES;
hecMode.maxDepth = HEC_PAYLOAD_DEPTH;

/** Normalizes one record for `target`; returns the address of the
 *  NUL-terminated UTF-8 JSON document (valid until the next call). */
export function normalize(
  target: i32, tagPtr: usize, tagLen: i32, sec: u32, nsec: u32, recPtr: usize, recLen: i32,
): usize {
  out.trim();
  payload.trim();
  unwrapped.trim();
  walker.substitute.trim();
  doc.trim();
  doc.reset();
  Walker.beginRecord();
  walker.loss = 0;
  walker.substituteTok = -1;
  instantFromClock(sec, nsec, clockDigits, clock);
  if (tagPtr == 0 || tagLen < 0) tagLen = 0;

  if (recPtr == 0 || recLen <= 0) {
    failure(target, tagPtr, tagLen, "empty record", 0, 0);
  } else if (!parse(recordTape, recPtr, recLen, target != TARGET_SPLUNK)) {
    const msg = "invalid JSON: " + parseErrorText(parseError) + " at byte " + parseErrorAt.toString();
    failure(target, tagPtr, tagLen, msg, recPtr, recLen);
  } else {
    let tape = recordTape;
    noEnvelope();
    // Fluent Bit's tail, tcp and Splunk-raw inputs wrap the event in a
    // single string field; the event is inside it.
    // Most records are bare payloads: their first key, told apart here
    // inline, rules both wrappers out.
    const maybeWrapped = recordTape.kind(0) == T_OBJ && recordTape.next(0) > 1 && maybeWrapperKey(recordTape, 1);
    const inner = maybeWrapped ? wrappedEvent(recordTape) : -1;
    if (inner >= 0) {
      unwrapped.reset();
      decodeStringToken(unwrapped, recordTape, inner);
      // RFC 5424 lets MSG start with a UTF-8 byte order mark.
      let skip = 0;
      if (unwrapped.len >= 3 && load<u8>(unwrapped.ptr) == 0xef && load<u8>(unwrapped.ptr, 1) == 0xbb && load<u8>(unwrapped.ptr, 2) == 0xbf) skip = 3;
      if (parse(innerTape, unwrapped.ptr + <usize>skip, unwrapped.len - skip, target != TARGET_SPLUNK) && innerTape.kind(0) == T_OBJ) tape = innerTape;
    } else if (maybeWrapped) {
      // Sysdig's HEC integration: the payload is the envelope's event.
      const event = envelopeEvent(recordTape);
      if (event >= 0 && parseEnvelopeEvent(event, target != TARGET_SPLUNK)) tape = innerTape;
    }
    const rootKind = tape.kind(0);
    if (rootKind == T_ARR) {
      failure(target, tagPtr, tagLen,
        "a JSON array, not one event: split batches before this filter (Fluent Bit's http input does)",
        tape.base, tape.size);
    } else if (rootKind != T_OBJ) {
      failure(target, tagPtr, tagLen, "not a JSON object", tape.base, tape.size);
    } else {
      normalizeEvent(target, tape, tagPtr, tagLen);
    }
  }
  out.byte(0);
  return out.ptr;
}

/** Parses an HEC envelope's event (an object, or a string holding one)
 *  into innerTape on its own, so that it is read, hashed and written
 *  exactly as the same payload sent bare; false (the record is then not
 *  taken for an envelope) when it is not a JSON object. */
function parseEnvelopeEvent(event: i32, keyNotes: bool): bool {
  unwrapped.reset();
  if (recordTape.kind(event) == T_STR) decodeStringToken(unwrapped, recordTape, event);
  else unwrapped.bytes(recordTape.ptr(recordTape.start(event)), recordTape.end(event) - recordTape.start(event));
  if (!parse(innerTape, unwrapped.ptr, unwrapped.len, keyNotes) || innerTape.kind(0) != T_OBJ) return false;
  acceptEnvelope(recordTape, event);
  return true;
}

/** Whether key token `key` may be a key of a wrapper (normalize.ts
 *  wrappedEvent: log, message and the syslog header's pri, pid, time, host,
 *  ident, msgid, extradata) or of an HEC envelope (map/hec_envelope.ts:
 *  time, host, event, index, source, fields, sourcetype), by its length and
 *  first byte. The first keys Sysdig and Falco send (`id`, `timestamp`,
 *  `hostname`, `output`, …) fail it but for a few (`type`, `time`, `rule`),
 *  which the full checks then rule out. */
@inline function maybeWrapperKey(tape: Tape, key: i32): bool {
  const n = tape.innerLen(key);
  const c = tape.byteAt(tape.innerStart(key));
  switch (n) {
    case 3: return c == 0x6c || c == 0x70;                 // log · pri, pid
    case 4: return c == 0x74 || c == 0x68;                 // time · host
    case 5: return c == 0x69 || c == 0x6d || c == 0x65;    // ident, index · msgid · event
    case 6: return c == 0x73 || c == 0x66;                 // source · fields
    case 7: return c == 0x6d;                              // message
    case 9: return c == 0x65;                              // extradata
    case 10: return c == 0x73;                             // sourcetype
  }
  return false;
}

/** The string of a record that holds an event in one string field, `log`
 *  or `message`, or -1: a record of nothing else (Fluent Bit's tail, tcp
 *  and Splunk-raw inputs, and the syslog parsers of fluent-bit/front-door/),
 *  or a syslog record as Fluent Bit's stock RFC 5424 and RFC 3164 parsers
 *  make it, MSG in `message` beside the header's fields. The header is
 *  dropped: Sysdig's syslog forwarder writes it (its APP-NAME and MSGID are
 *  not documented), and the event carries its own host and clock. A Sysdig
 *  payload is told apart on its first key, which is none of these. */
function wrappedEvent(tape: Tape): i32 {
  if (tape.kind(0) != T_OBJ) return -1;
  const end = tape.next(0);
  let event = -1;
  for (let c = 1; c < end; c = tape.next(c + 1)) {
    if (tape.stringEquals(c, "message") || tape.stringEquals(c, "log")) {
      if (event >= 0 || tape.kind(c + 1) != T_STR) return -1;
      event = c + 1;
    } else if (!isSyslogHeaderKey(tape, c)) return -1;
  }
  return event;
}

/** The fields Fluent Bit's stock syslog parsers (conf/parsers.conf) make
 *  of the header. */
function isSyslogHeaderKey(tape: Tape, key: i32): bool {
  const n = tape.innerLen(key);
  if (n == 3) return tape.stringEquals(key, "pri") || tape.stringEquals(key, "pid");
  if (n == 4) return tape.stringEquals(key, "time") || tape.stringEquals(key, "host");
  if (n == 5) return tape.stringEquals(key, "ident") || tape.stringEquals(key, "msgid");
  return n == 9 && tape.stringEquals(key, "extradata");
}

function normalizeEvent(target: i32, tape: Tape, tagPtr: usize, tagLen: i32): void {
  doc.tape = tape;
  const family = detect(tape, 0);
  const known = mapFamily(doc, family);
  if (family == PLATFORM_AUDIT) {
    walker.loss |= decodeEntityPayload(doc, walker, target == TARGET_ECS, ECS_PAYLOAD_DEPTH, HEC_PAYLOAD_DEPTH);
  }

  // The payload first: writing it tells what had to change to keep it valid.
  payload.reset();
  const syslogLine = target == TARGET_CEF || target == TARGET_LEEF;
  // CEF and LEEF lines carry mapped fields only, but are made from the very
  // event the ECS document is (the walk notes what ECS had to change, in
  // error.message); an event nothing was mapped from carries its text.
  if (target == TARGET_ECS || syslogLine) walker.write(payload, tape, 0, ecsMode);
  // The payload goes to Splunk as it came, duplicate keys included (dropping
  // one would lose data, and Fluent Bit's msgpack map keeps both), unless it
  // must change to be valid JSON that Fluent Bit can repack.
  else if (tape.hasRepair || tape.hasUnsafeNumber || tape.maxDepth > HEC_PAYLOAD_DEPTH || walker.substituteTok >= 0) {
    walker.write(payload, tape, 0, hecMode);
  }
  else payload.bytes(tape.ptr(tape.start(0)), tape.end(0) - tape.start(0));

  if (!known) {
    doc.setConst(F.EVENT_KIND, "pipeline_error");
    doc.setConst(F.ERROR_MESSAGE, "unrecognized event: no Sysdig event shape matched; nothing was mapped and the payload is kept as sent");
    setEventTime(doc, top[K_TIMESTAMP]);
  }
  if (hecEvent >= 0) {
    keepEnvelopeFields(doc, recordTape);
    // What the document has no place for (the envelope's indexed fields,
    // or its time beside an unrecognized payload's own) stays in the
    // envelope's text.
    if (hecFields >= 0 || !known) setOriginal(recordTape.base, recordTape.size);
  }
  noteLosses(tape);
  if (syslogLine && !known) setOriginal(tape.ptr(tape.start(0)), tape.end(0) - tape.start(0));
  setCommonFields(family);
  if (!doc.has(F.TIMESTAMP) && !(hecEvent >= 0 && setEnvelopeTime())) setClockTimestamp();
  if (!doc.has(F.EVENT_ID)) {
    const s = doc.beginText();
    // A notification: its own fields, read the same way by both shippers.
    if (family == MONITOR_ALERT || family == SECURE_NOTIFICATION) writeNotificationEventIdHex(doc.text, tape);
    // Else the value itself: whitespace around it must not change the id.
    else writeTextEventIdHex(doc.text, tape.ptr(tape.start(0)), tape.end(0) - tape.start(0));
    doc.setText(F.EVENT_ID, s);
  }
  const time = eventTime.valid && doc.has(F.TIMESTAMP) ? eventTime : clock;
  if (target == TARGET_ECS) {
    out.byte(0x7b);
    writeEcsFields(out, doc);
    // The payload is kept under its product's name.
    out.ascii(family == FALCO_ALERT ? ",\"falco\":" : ",\"sysdig\":");
    out.bytes(payload.ptr, payload.len);
    out.byte(0x7d);
  } else if (target == TARGET_CEF) {
    writeCefRecord(out, doc, familySourcetype(family));
  } else if (target == TARGET_LEEF) {
    writeLeefRecord(out, doc, familySourcetype(family));
  } else {
    writeHecEnvelope(out, doc, time, tagPtr, tagLen, familySourcetype(family), payload);
  }
}

/** Says in the document what had to change to keep the payload valid and
 *  indexable; keeps the exact input in event.original where values were dropped. */
function noteLosses(tape: Tape): void {
  const loss = walker.loss;
  if (loss == 0) return;
  const s = doc.beginText();
  if (doc.has(F.ERROR_MESSAGE)) { doc.valueText(F.ERROR_MESSAGE, doc.text); doc.text.ascii("; "); }
  let first = true;
  if (loss & LOSS_REPAIRED) { note(first, "invalid UTF-8 or lone surrogates replaced by U+FFFD"); first = false; }
  if (loss & LOSS_NUMBER_AS_STRING) { note(first, "numbers beyond 64-bit or double range kept as strings"); first = false; }
  if (loss & LOSS_DEPTH_AS_STRING) { note(first, "objects nested too deep to index kept as JSON text"); first = false; }
  if (loss & LOSS_LONG_KEY_AS_STRING) { note(first, "objects with keys over 1024 bytes kept as JSON text"); first = false; }
  // Secrets are never copied anywhere: with a redaction, event.original
  // (which would carry them) is withheld, and the document says so.
  const redacted = (loss & LOSS_REDACTED) != 0;
  if (loss & LOSS_LONG_KEY_DROPPED) {
    note(first, redacted
      ? "top-level keys over 1024 bytes left out of the payload; event.original is withheld because it would carry the redacted secrets"
      : "top-level keys over 1024 bytes left out of the payload, event.original keeps them");
    first = false;
  }
  if (loss & LOSS_DUPLICATE_KEY) {
    note(first, redacted
      ? "duplicate keys: sysdig keeps the first value; event.original is withheld because it would carry the redacted secrets"
      : "duplicate keys: sysdig keeps the first value, event.original keeps all");
    first = false;
  }
  if (redacted) {
    note(first, REDACTION_NOTE);
    first = false;
    const keys = redactedKeys();
    doc.text.bytes(keys.ptr, keys.len);
  }
  // A second error.message cannot be added, so rebuild it as one text.
  docReplaceText(F.ERROR_MESSAGE, s);
  if (redacted) doc.addConst(F.TAGS, "_sysdig_redacted");
  if ((loss & (LOSS_DUPLICATE_KEY | LOSS_LONG_KEY_DROPPED)) != 0 && !redacted) setOriginal(tape.base, tape.size);
}

function note(first: bool, text: string): void {
  if (!first) doc.text.ascii("; ");
  doc.text.ascii(text);
}

function docReplaceText(f: i32, start: i32): void {
  if (!doc.has(f)) { doc.setText(f, start); return; }
  // Only the unknown-shape message can be there already; it was copied into
  // the new text above, so the old value is dropped by re-setting the field.
  doc.replaceText(f, start);
}

function setOriginal(ptr: usize, len: i32): void {
  const s = doc.beginText();
  doc.text.bytes(ptr, len);
  doc.setText(F.EVENT_ORIGINAL, s);
}

function setCommonFields(family: i32): void {
  doc.setConst(F.ECS_VERSION, ECS_VERSION);
  doc.setConst(F.EVENT_MODULE, "sysdig");
  doc.setConst(F.EVENT_DATASET, familyDataset(family));
  doc.setConst(F.OBSERVER_VENDOR, "Sysdig");
  const s = doc.beginText();
  writeRfc3339(doc.text, clock);
  doc.setText(F.EVENT_CREATED, s);
}

/** @timestamp from the HEC envelope's time, when the payload had none of
 *  its own: the time Sysdig gave the event when it sent it. */
function setEnvelopeTime(): bool {
  if (!hecClock.valid) return false;
  const s = doc.beginText();
  writeRfc3339(doc.text, hecClock);
  doc.setText(F.TIMESTAMP, s);
  eventTime.seconds = hecClock.seconds;
  eventTime.fracPtr = hecClock.fracPtr;
  eventTime.fracLen = hecClock.fracLen;
  eventTime.valid = true;
  return true;
}

/** Without a usable event time, @timestamp is when Fluent Bit received it,
 *  and the document says so. */
function setClockTimestamp(): void {
  const s = doc.beginText();
  writeRfc3339(doc.text, clock);
  doc.setText(F.TIMESTAMP, s);
  doc.addConst(F.TAGS, "_sysdig_no_event_time");
}

/** A document for input that is not a JSON object at all. */
function failure(target: i32, tagPtr: usize, tagLen: i32, message: string, ptr: usize, len: i32): void {
  doc.tape = recordTape;
  doc.setConst(F.EVENT_KIND, "pipeline_error");
  doc.setConst(F.ERROR_MESSAGE, message);
  if (len > 0) setOriginal(ptr, len);
  setCommonFields(UNKNOWN);
  setClockTimestamp();
  if (len > 0) {
    const s = doc.beginText();
    writeTextEventIdHex(doc.text, ptr, len);
    doc.setText(F.EVENT_ID, s);
  }
  if (target == TARGET_ECS) {
    out.byte(0x7b);
    writeEcsFields(out, doc);
    out.byte(0x7d);
  } else if (target == TARGET_CEF) {
    writeCefRecord(out, doc, familySourcetype(UNKNOWN));
  } else if (target == TARGET_LEEF) {
    writeLeefRecord(out, doc, familySourcetype(UNKNOWN));
  } else {
    // The event is the input as a string, since it is not JSON.
    payload.reset();
    payload.byte(0x22);
    if (len > 0) writeEscaped(payload, ptr, len);
    payload.byte(0x22);
    writeHecEnvelope(out, doc, clock, tagPtr, tagLen, familySourcetype(UNKNOWN), payload);
  }
}
