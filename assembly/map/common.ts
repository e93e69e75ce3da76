// Mapping steps every family shares: event time, severity, and the fields
// derived from others once a family is mapped (file name, related.*, …).

import { ByteBuf } from "../io/buffers";
import { Doc } from "../ecs/doc";
import { Tape, T_ARR, T_STR } from "../json/tape";
import { Instant, readInstant, writeRfc3339, readSmallInt } from "../text/time";
import { severityLabel } from "./severity";
import { syslogSeverityName } from "./falco_priority";
import { addThreatFromTag } from "./mitre";
import { tagFieldsEmpty, replayTags, keepTags } from "./tag_memo";
import { writeMac } from "../text/net";
import * as F from "./ids";
import { V_TEXT } from "../ecs/doc";
import { falcoNotes, ET_START, ET_END, ET_CONNECTION, ET_ACCESS, ET_CREATION, ET_DELETION, ET_CHANGE, EVENT_TYPE_NAMES } from "./falco";
import { decodeStringToken } from "../json/escape";

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

/** event.severity keeps Sysdig's number; log.level gets its label, and
 *  log.syslog.severity.* the syslog code and name: Sysdig's 0–7 scale is
 *  syslog's (0 emergency … 7 debug), as Falco's priorities are. */
export function setSeverity(doc: Doc, tok: i32): void {
  if (!doc.setToken(F.EVENT_SEVERITY, tok)) return;
  const code = readSmallInt(doc.tape, tok);
  const label = severityLabel(code);
  if (label.length == 0) return;
  doc.setConst(F.LOG_LEVEL, label);
  const s = doc.beginText();
  doc.text.int(code);
  doc.setText(F.LOG_SYSLOG_SEVERITY_CODE, s);
  doc.setConst(F.LOG_SYSLOG_SEVERITY_NAME, syslogSeverityName(<i32>code));
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
  let subTechniques = false;
  while (c < end) {
    if (tape.kind(c) == T_STR) {
      doc.addToken(F.TAGS, c);
      if (addThreatFromTag(doc, tape, c)) subTechniques = true;
    }
    c = tape.next(c);
  }
  // Sub-techniques last (mitre.ts says why).
  if (!subTechniques) return;
  c = tok + 1;
  while (c < end) {
    if (tape.kind(c) == T_STR) addThreatFromTag(doc, tape, c, true);
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
  // Falco's fd.directory and fd.filename, when fd.name gave no path to
  // split (Sysdig's samples pair a path with another directory).
  if (!doc.has(F.FILE_PATH)) {
    doc.setToken(F.FILE_DIRECTORY, falcoNotes.directory);
    doc.setToken(F.FILE_NAME, falcoNotes.filename);
  }
  setProcessArgs(doc);
  if (isPolicyAlert) {
    doc.addConst(F.EVENT_CATEGORY, "intrusion_detection");
    const isProcess = doc.has(F.PROCESS_NAME) || doc.has(F.PROCESS_PID) || doc.has(F.PROCESS_COMMAND_LINE);
    const isFile = doc.has(F.FILE_PATH);
    const isNetwork = doc.has(F.SOURCE_IP) || doc.has(F.DESTINATION_IP);
    if (isProcess) doc.addConst(F.EVENT_CATEGORY, "process");
    if (isFile) doc.addConst(F.EVENT_CATEGORY, "file");
    if (isNetwork) doc.addConst(F.EVENT_CATEGORY, "network");
    // The system call's kind (evt.type), when one of the categories takes
    // it (ECS's expected types per category); else the alert is "info".
    const type = falcoNotes.eventType;
    let fits = false;
    if (type == ET_START || type == ET_END) fits = isProcess || isNetwork;
    else if (type == ET_CONNECTION) fits = isNetwork;
    else if (type == ET_ACCESS) fits = isProcess || isFile || isNetwork;
    else if (type == ET_CREATION || type == ET_DELETION) fits = isFile;
    else if (type == ET_CHANGE) fits = isProcess || isFile;
    doc.addConst(F.EVENT_TYPE, fits ? EVENT_TYPE_NAMES[type] : "info");
  }
  doc.addFrom(F.RELATED_USER, F.USER_NAME);
  doc.addFrom(F.RELATED_HOSTS, F.HOST_NAME);
  doc.addFrom(F.RELATED_IP, F.SOURCE_IP);
  doc.addFrom(F.RELATED_IP, F.DESTINATION_IP);
  addRelatedHashes(doc);
}

/** process.args from Falco's proc.args (the arguments after the program):
 *  the executable first, as ECS has it, then each blank-separated word;
 *  process.args_count their number, else Falco's proc.cmdnargs (which does
 *  not count the program) plus one. */
function setProcessArgs(doc: Doc): void {
  const notes = falcoNotes;
  if (notes.args >= 0 && doc.has(F.PROCESS_EXECUTABLE)) {
    // Appended as they are: an argument given twice stays twice.
    const s = doc.beginText();
    doc.valueText(F.PROCESS_EXECUTABLE, doc.text);
    doc.appendKept(F.PROCESS_ARGS, V_TEXT, s);
    let count = 1;
    argsText.reset();
    decodeStringToken(argsText, doc.tape, notes.args);
    let i = 0;
    const n = argsText.len;
    while (i < n) {
      while (i < n && isBlank(argsText.at(i))) i++;
      const from = i;
      while (i < n && !isBlank(argsText.at(i))) i++;
      if (i > from) {
        const w = doc.beginText();
        doc.text.bytes(argsText.ptr + <usize>from, i - from);
        doc.appendKept(F.PROCESS_ARGS, V_TEXT, w);
        count++;
      }
    }
    const c = doc.beginText();
    doc.text.int(count);
    doc.setText(F.PROCESS_ARGS_COUNT, c);
  } else if (notes.argCount >= 0 && notes.argCount < 1000000000) {
    const c = doc.beginText();
    doc.text.int(notes.argCount + 1);
    doc.setText(F.PROCESS_ARGS_COUNT, c);
  }
}
const argsText = new ByteBuf();

@inline function isBlank(c: i32): bool { return c == 0x20 || c == 0x09 || c == 0x0a || c == 0x0d; }

/** related.hash: the process's hash, and the image digest's hex (what
 *  follows "sha256:"). */
function addRelatedHashes(doc: Doc): void {
  doc.addFrom(F.RELATED_HASH, F.PROCESS_HASH_SHA256);
  let n = doc.first(F.CONTAINER_IMAGE_HASH);
  while (n >= 0) {
    argsText.reset();
    doc.nodeText(n, argsText);
    let colon = -1;
    for (let i = 0; i < argsText.len; i++) if (argsText.at(i) == 0x3a) { colon = i; break; }
    const s = doc.beginText();
    doc.text.bytes(argsText.ptr + <usize>(colon + 1), argsText.len - colon - 1);
    doc.addText(F.RELATED_HASH, s);
    n = doc.nodeNext(n);
  }
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
