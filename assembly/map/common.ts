// Mapping steps every family shares: event time, severity, and the fields
// derived from others once a family is mapped (file name, related.*, …).

import { ByteBuf } from "../io/buffers";
import { Doc } from "../ecs/doc";
import { Tape, T_ARR, T_STR } from "../json/tape";
import { Instant, readInstant, writeRfc3339, readSmallInt } from "../text/time";
import { severityLabel } from "./severity";
import { addThreatFromTag } from "./mitre";
import { tagFieldsEmpty, replayTags, keepTags } from "./tag_memo";
import { writeMac } from "../text/net";
import * as F from "./ids";

/** The event's own time, once read (the caller falls back to Fluent Bit's). */
export const eventTime = new Instant();

/** Sets a date field from an epoch clock token; false if it is not one. */
export function setDate(doc: Doc, f: i32, tok: i32, into: Instant): bool {
  if (!readInstant(doc.tape, tok, into)) return false;
  const s = doc.beginText();
  writeRfc3339(doc.text, into);
  return doc.setText(f, s);
}

/** @timestamp from the first of `candidates` that is a valid clock value. */
export function setEventTime(doc: Doc, a: i32, b: i32 = -1): bool {
  if (setDate(doc, F.TIMESTAMP, a, eventTime)) return true;
  return setDate(doc, F.TIMESTAMP, b, eventTime);
}

export function setSeverity(doc: Doc, tok: i32): void {
  if (!doc.setToken(F.EVENT_SEVERITY, tok)) return;
  const label = severityLabel(readSmallInt(doc.tape, tok));
  if (label.length > 0) doc.setConst(F.LOG_LEVEL, label);
}

/** Tags from a list of strings, with the ATT&CK entries they name. A list
 *  with the bytes of the last one gets the values that one got
 *  (map/tag_memo.ts). */
export function setTags(doc: Doc, tok: i32): void {
  const tape = doc.tape;
  if (tok < 0 || tape.kind(tok) != T_ARR) return;
  const fresh = tagFieldsEmpty(doc);
  if (fresh && replayTags(doc, tape, tok)) return;
  addTags(doc, tape, tok);
  if (fresh) keepTags(doc, tape, tok);
}

function addTags(doc: Doc, tape: Tape, tok: i32): void {
  const end = tape.next(tok);
  let c = tok + 1;
  while (c < end) {
    if (tape.kind(c) == T_STR) {
      doc.addToken(F.TAGS, c);
      addThreatFromTag(doc, tape, c);
    }
    c = tape.next(c);
  }
}

/** Adds every string of a list token to a list field. */
export function addStrings(doc: Doc, f: i32, tok: i32): void {
  const tape = doc.tape;
  if (tok < 0 || tape.kind(tok) != T_ARR) return;
  const end = tape.next(tok);
  let c = tok + 1;
  while (c < end) {
    if (tape.kind(c) == T_STR) doc.addToken(f, c);
    c = tape.next(c);
  }
}

/** Writes a MAC-address token into host.mac. */
export function setMac(doc: Doc, tok: i32): void {
  const tape = doc.tape;
  if (tok < 0 || tape.kind(tok) != T_STR) return;
  const s = doc.beginText();
  if (writeMac(doc.text, tape.ptr(tape.innerStart(tok)), tape.innerLen(tok))) doc.addText(F.HOST_MAC, s);
  else doc.text.len = s;
}

/** Fields that follow from others: file name and directory from the path,
 *  categories from the entities present, and related.*. */
export function deriveFields(doc: Doc, isPolicyAlert: bool): void {
  if (doc.has(F.FILE_PATH) && (!doc.has(F.FILE_NAME) || !doc.has(F.FILE_DIRECTORY))) splitPath(doc);
  if (isPolicyAlert) {
    doc.addConst(F.EVENT_CATEGORY, "intrusion_detection");
    if (doc.has(F.PROCESS_NAME) || doc.has(F.PROCESS_PID) || doc.has(F.PROCESS_COMMAND_LINE)) doc.addConst(F.EVENT_CATEGORY, "process");
    if (doc.has(F.FILE_PATH)) doc.addConst(F.EVENT_CATEGORY, "file");
    if (doc.has(F.SOURCE_IP) || doc.has(F.DESTINATION_IP)) doc.addConst(F.EVENT_CATEGORY, "network");
    doc.addConst(F.EVENT_TYPE, "info");
  }
  doc.addFrom(F.RELATED_USER, F.USER_NAME);
  doc.addFrom(F.RELATED_HOSTS, F.HOST_NAME);
  doc.addFrom(F.RELATED_IP, F.SOURCE_IP);
  doc.addFrom(F.RELATED_IP, F.DESTINATION_IP);
}

const pathText = new ByteBuf();

function splitPath(doc: Doc): void {
  pathText.reset();
  doc.valueText(F.FILE_PATH, pathText);
  const n = pathText.len;
  let slash = -1;
  for (let i = n - 1; i >= 0; i--) if (pathText.at(i) == 0x2f) { slash = i; break; }
  if (slash < 0 || slash == n - 1) return;
  let s = doc.beginText();
  doc.text.bytes(pathText.ptr + <usize>(slash + 1), n - slash - 1);
  doc.setText(F.FILE_NAME, s);
  s = doc.beginText();
  doc.text.bytes(pathText.ptr, slash == 0 ? 1 : slash);
  doc.setText(F.FILE_DIRECTORY, s);
}
