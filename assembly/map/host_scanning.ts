// Host scanning reports (`type: hostscanning`; Sysdig's scanner v1,
// deprecated but still forwardable): one record per host and report, with
// the CVEs `added`, `updated` and `removed` since the last one, and a
// timestamp in milliseconds. Sysdig's published example is not valid JSON
// (a missing comma) and is a JSON array: as published it becomes a
// pipeline_error that keeps it whole; a valid record is mapped here.
//
// ECS's vulnerability.* describes one vulnerability, and a report holds
// many; one record in gives one document out, so:
//  - vulnerability.id lists the CVEs the host has now (added and updated;
//    removed ones are fixed), an extension of ECS (a keyword field holds a
//    list in Elasticsearch);
//  - vulnerability.severity is the most severe of those;
//  - every CVE, with its package and fix, stays under sysdig.content.*.

import { Doc } from "../ecs/doc";
import { Tape, T_ARR, T_OBJ, T_STR } from "../json/tape";
import { KeyTable } from "../text/keytable";
import { decodeStringToken } from "../json/escape";
import {
  top, K_ID, K_TIMESTAMP, K_TIMESTAMP_RFC, K_SEVERITY, K_MACHINE_ID, K_CONTENT, K_LABELS, K_NAME, K_ORIGINATOR,
} from "./detect";
import { setExactEventTime } from "./clock";
import { setSeverity, setMac, deriveFields } from "./common";
import { mapLabels } from "./falco";
import { mapCloudLabels } from "./cloud_source";
import * as F from "./ids";

const CONTENT = new KeyTable(["hostname", "mac", "reportType", "added", "updated", "removed"]);
const C_HOSTNAME = 0, C_MAC = 1, C_REPORT_TYPE = 2, C_ADDED = 3, C_UPDATED = 4, C_REMOVED = 5;
const content = CONTENT.newFound();

const CVE = new KeyTable(["cve", "severity"]);
const V_CVE = 0, V_SEVERITY = 1;
const cve = CVE.newFound();

/** Sysdig's severity words, least severe first. */
const SEVERITIES: string[] = ["Unknown", "Negligible", "Low", "Medium", "High", "Critical"];

@inline function t(k: i32): i32 { return unchecked(top[k]); }

let worstRank: i32 = -1;
let worstTok: i32 = -1;

export function mapHostScanning(doc: Doc): void {
  const tape = doc.tape;
  doc.setConst(F.EVENT_KIND, "state");
  doc.setConst(F.OBSERVER_PRODUCT, "Sysdig Secure");
  doc.addConst(F.EVENT_CATEGORY, "vulnerability");
  doc.addConst(F.EVENT_TYPE, "info");
  doc.setConst(F.VULNERABILITY_SCANNER_VENDOR, "Sysdig");
  doc.setToken(F.EVENT_ID, t(K_ID));
  setExactEventTime(doc, t(K_TIMESTAMP_RFC), -1, t(K_TIMESTAMP));
  setSeverity(doc, t(K_SEVERITY));
  doc.setToken(F.EVENT_PROVIDER, t(K_ORIGINATOR));
  CONTENT.collect(tape, t(K_CONTENT), content);
  doc.setToken(F.EVENT_ACTION, content[C_REPORT_TYPE]);
  doc.setToken(F.HOST_NAME, content[C_HOSTNAME]);
  setMac(doc, content[C_MAC]);
  setMac(doc, t(K_MACHINE_ID));
  worstRank = -1;
  worstTok = -1;
  const added = addCves(doc, tape, content[C_ADDED]);
  const updated = addCves(doc, tape, content[C_UPDATED]);
  if (worstTok >= 0) doc.setToken(F.VULNERABILITY_SEVERITY, worstTok);
  // "Vulnerability updates - Host dev-vm: 2 added, 4 updated, 3 removed"
  const s = doc.beginText();
  const name = t(K_NAME);
  if (name >= 0 && tape.kind(name) == T_STR && tape.innerLen(name) > 0) {
    decodeStringToken(doc.text, tape, name);
    doc.text.ascii(": ");
  }
  doc.text.int(added); doc.text.ascii(" added, ");
  doc.text.int(updated); doc.text.ascii(" updated, ");
  doc.text.int(count(tape, content[C_REMOVED])); doc.text.ascii(" removed");
  doc.setText(F.MESSAGE, s);
  mapLabels(doc, t(K_LABELS));
  mapCloudLabels(doc, t(K_LABELS));
  deriveFields(doc, false);
}

/** Adds the CVE ids of a list to vulnerability.id; returns how many entries it has. */
function addCves(doc: Doc, tape: Tape, list: i32): i32 {
  if (list < 0 || tape.kind(list) != T_ARR) return 0;
  const end = tape.next(list);
  let n = 0;
  for (let c = list + 1; c < end; c = tape.next(c)) {
    n++;
    if (tape.kind(c) != T_OBJ) continue;
    CVE.collect(tape, c, cve);
    doc.addToken(F.VULNERABILITY_ID, cve[V_CVE]);
    const sev = cve[V_SEVERITY];
    for (let r = SEVERITIES.length - 1; r > worstRank; r--) {
      if (tape.stringEquals(sev, SEVERITIES[r])) { worstRank = r; worstTok = sev; break; }
    }
  }
  return n;
}

function count(tape: Tape, list: i32): i32 {
  if (list < 0 || tape.kind(list) != T_ARR) return 0;
  return tape.childCount(list);
}
