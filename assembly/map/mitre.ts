// MITRE ATT&CK from rule tags into threat.*: every tactic and technique a
// rule names, in the forms Sysdig and Falco use:
//   mitre_persistence · MITRE_TA0003_persistence · MITRE_T1059_command_… ·
//   MITRE_T1548.001_setuid_and_setgid · T1059 · T1059.004

import { ByteBuf } from "../io/buffers";
import { Doc } from "../ecs/doc";
import { Tape, T_STR } from "../json/tape";
import { decodeStringToken } from "../json/escape";
import { KeyTable } from "../text/keytable";
import {
  THREAT_FRAMEWORK, TACTIC_ID, TACTIC_NAME, TACTIC_REFERENCE,
  TECHNIQUE_ID, TECHNIQUE_NAME, TECHNIQUE_REFERENCE,
  SUBTECHNIQUE_ID, SUBTECHNIQUE_NAME, SUBTECHNIQUE_REFERENCE,
} from "./ids";

/** Every field this file sets (map/tag_memo.ts replays them). */
export const THREAT_FIELDS: StaticArray<i32> = [
  THREAT_FRAMEWORK, TACTIC_ID, TACTIC_NAME, TACTIC_REFERENCE,
  TECHNIQUE_ID, TECHNIQUE_NAME, TECHNIQUE_REFERENCE,
  SUBTECHNIQUE_ID, SUBTECHNIQUE_NAME, SUBTECHNIQUE_REFERENCE,
];

// id, tag spelling, display name, reference (a literal, so that the
// document holds it as a constant, not as text composed per record)
const TACTICS: string[] = [
  "TA0043", "reconnaissance", "Reconnaissance", "https://attack.mitre.org/tactics/TA0043/",
  "TA0042", "resource_development", "Resource Development", "https://attack.mitre.org/tactics/TA0042/",
  "TA0001", "initial_access", "Initial Access", "https://attack.mitre.org/tactics/TA0001/",
  "TA0002", "execution", "Execution", "https://attack.mitre.org/tactics/TA0002/",
  "TA0003", "persistence", "Persistence", "https://attack.mitre.org/tactics/TA0003/",
  "TA0004", "privilege_escalation", "Privilege Escalation", "https://attack.mitre.org/tactics/TA0004/",
  "TA0005", "defense_evasion", "Defense Evasion", "https://attack.mitre.org/tactics/TA0005/",
  "TA0006", "credential_access", "Credential Access", "https://attack.mitre.org/tactics/TA0006/",
  "TA0007", "discovery", "Discovery", "https://attack.mitre.org/tactics/TA0007/",
  "TA0008", "lateral_movement", "Lateral Movement", "https://attack.mitre.org/tactics/TA0008/",
  "TA0009", "collection", "Collection", "https://attack.mitre.org/tactics/TA0009/",
  "TA0011", "command_and_control", "Command and Control", "https://attack.mitre.org/tactics/TA0011/",
  "TA0010", "exfiltration", "Exfiltration", "https://attack.mitre.org/tactics/TA0010/",
  "TA0040", "impact", "Impact", "https://attack.mitre.org/tactics/TA0040/",
];

const tag = new ByteBuf();

@inline function at(p: i32): i32 { return p < tag.len ? <i32>tag.at(p) : 0; }
@inline function isDigit(c: i32): bool { return c >= 0x30 && c <= 0x39; }
@inline function lower(c: i32): i32 { return c >= 0x41 && c <= 0x5a ? c + 32 : c; }

function digitsAt(p: i32, n: i32): bool {
  if (p + n > tag.len) return false;
  for (let i = 0; i < n; i++) if (!isDigit(at(p + i))) return false;
  return true;
}

const COLUMNS = 4;

function addTactic(doc: Doc, row: i32): void {
  if (!doc.addConst(TACTIC_ID, TACTICS[row * COLUMNS])) return;
  doc.addConst(TACTIC_NAME, TACTICS[row * COLUMNS + 2]);
  doc.addConst(TACTIC_REFERENCE, TACTICS[row * COLUMNS + 3]);
  doc.setConst(THREAT_FRAMEWORK, "MITRE ATT&CK");
}

/** Appends tag bytes [from, to) with underscores as spaces. */
function appendWords(doc: Doc, from: i32, to: i32): void {
  for (let i = from; i < to; i++) doc.text.byte(at(i) == 0x5f ? 0x20 : at(i));
}

/** Reads a tag token and adds the ATT&CK entries it names. A rule's tags
 *  are read twice: sub-techniques (`subTechniques`) after everything else,
 *  so that a parent technique named by its own tag is listed with its name
 *  first. A parent known only from a sub-technique is added to
 *  threat.technique.id only when no technique of the rule has a name:
 *  threat.technique.id and .name line up one to one, or there are no names.
 *  Returns whether the tag is a sub-technique left for the second reading. */
export function addThreatFromTag(doc: Doc, tape: Tape, tok: i32, subTechniques: bool = false): bool {
  if (tape.kind(tok) != T_STR || tape.innerLen(tok) < 2) return false;
  // Every form begins with "m", "t" or "T" (or an escape): other tags
  // ("NIST", "filesystem") are passed over without decoding them.
  const first = tape.byteAt(tape.innerStart(tok)) | 0x20;
  if (first != 0x6d && first != 0x74 && first != 0x7c /* backslash | 0x20 */) return false;
  tag.reset();
  decodeStringToken(tag, tape, tok);
  let p = 0;
  const prefixed = tag.len > 6 && startsWithMitre();
  if (prefixed) p = 6;
  // Tactic by id.
  if ((at(p) | 0x20) == 0x74 && (at(p + 1) | 0x20) == 0x61 && digitsAt(p + 2, 4)) {
    if (subTechniques) return false;
    for (let r = 0; r < TACTICS.length / COLUMNS; r++) {
      const id = TACTICS[r * COLUMNS];
      let same = true;
      for (let i = 2; i < 6; i++) if (at(p + i) != <i32>id.charCodeAt(i)) { same = false; break; }
      if (same) { addTactic(doc, r); return false; }
    }
    return false;
  }
  // Technique or sub-technique by id.
  if ((at(p) | 0x20) == 0x74 && digitsAt(p + 1, 4)) {
    let q = p + 5;
    const isSub = q < tag.len && at(q) == 0x2e && digitsAt(q + 1, 3);
    if (isSub) q += 4;
    if (q < tag.len && at(q) != 0x5f) return false;
    if (isSub != subTechniques) return isSub;
    const nameFrom = q + 1;
    // threat.technique.id is the parent technique.
    let s = doc.beginText();
    doc.text.byte(0x54);
    doc.text.bytes(tag.ptr + <usize>(p + 1), 4);
    let newTechnique = false;
    if (!isSub || !doc.has(TECHNIQUE_NAME)) newTechnique = doc.addText(TECHNIQUE_ID, s);
    else doc.text.len = s;
    if (newTechnique) {
      s = doc.beginText();
      doc.text.ascii("https://attack.mitre.org/techniques/T");
      doc.text.bytes(tag.ptr + <usize>(p + 1), 4);
      doc.text.byte(0x2f);
      doc.addText(TECHNIQUE_REFERENCE, s);
    }
    if (isSub) {
      s = doc.beginText();
      doc.text.byte(0x54);
      doc.text.bytes(tag.ptr + <usize>(p + 1), 8);
      if (doc.addText(SUBTECHNIQUE_ID, s)) {
        if (nameFrom < tag.len) { s = doc.beginText(); appendWords(doc, nameFrom, tag.len); doc.addText(SUBTECHNIQUE_NAME, s); }
        s = doc.beginText();
        doc.text.ascii("https://attack.mitre.org/techniques/T");
        doc.text.bytes(tag.ptr + <usize>(p + 1), 4);
        doc.text.byte(0x2f);
        doc.text.bytes(tag.ptr + <usize>(p + 6), 3);
        doc.text.byte(0x2f);
        doc.addText(SUBTECHNIQUE_REFERENCE, s);
      }
    } else if (newTechnique && nameFrom < tag.len) {
      s = doc.beginText(); appendWords(doc, nameFrom, tag.len); doc.addText(TECHNIQUE_NAME, s);
    }
    doc.setConst(THREAT_FRAMEWORK, "MITRE ATT&CK");
    return false;
  }
  // Tactic by name: "mitre_privilege_escalation", in any case: one lookup
  // of the lowercased rest instead of a comparison per tactic.
  if (!prefixed || subTechniques) return false;
  let r = TACTIC_NAMES.lookup(tag.ptr + <usize>p, tag.len - p);
  if (r < 0) {
    // Tags are lowercase as a rule; any other spelling is lowered first.
    lowered.reset();
    for (let i = p; i < tag.len; i++) lowered.byte(lower(at(i)));
    r = TACTIC_NAMES.lookup(lowered.ptr, lowered.len);
  }
  if (r >= 0) addTactic(doc, r);
  return false;
}

/** Tag spellings of the tactics, by TACTICS row. */
function tacticNames(): string[] {
  const names: string[] = [];
  for (let r = 0; r < TACTICS.length / COLUMNS; r++) names.push(TACTICS[r * COLUMNS + 1]);
  return names;
}
const TACTIC_NAMES = new KeyTable(tacticNames());
const lowered = new ByteBuf();

/** Whether the tag begins with "mitre_", in any case: "mitr" lowered in one
 *  step (x | 0x20 spells a lowercase letter only when x is that letter in
 *  either case), then "e" and "_". */
function startsWithMitre(): bool {
  if (tag.len < 6) return false;
  const p = tag.ptr;
  return (load<u32>(p) | 0x20202020) == 0x7274696d && (<i32>load<u8>(p, 4) | 0x20) == 0x65 && <i32>load<u8>(p, 5) == 0x5f;
}
