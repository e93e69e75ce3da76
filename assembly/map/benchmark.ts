// Benchmark results (`type: benchmark`; Sysdig's compliance v1, deprecated
// but still forwardable): one record per control (`content.subType:
// control`) or per run. A compliance finding is a state, not an alert:
// event.kind state, category configuration, the control as rule.*, and
// its result as event.outcome.

import { Doc } from "../ecs/doc";
import { KeyTable } from "../text/keytable";
import { T_STR } from "../json/tape";
import { decodeStringToken } from "../json/escape";
import { readSmallInt } from "../text/time";
import {
  top, K_ID, K_TIMESTAMP, K_TIMESTAMP_RFC, K_SEVERITY, K_AGENT_ID, K_MACHINE_ID, K_CONTENT, K_LABELS,
  K_DESCRIPTION, K_NAME, K_ORIGINATOR,
} from "./detect";
import { setExactEventTime } from "./clock";
import { setSeverity, setMac, deriveFields } from "./common";
import { mapLabels } from "./falco";
import { mapCloudLabels } from "./cloud_source";
import * as F from "./ids";

const CONTENT = new KeyTable(["schema", "subType", "control", "runId"]);
const C_SCHEMA = 0, C_SUB_TYPE = 1, C_CONTROL = 2;
const content = CONTENT.newFound();

const CONTROL = new KeyTable(["id", "title", "description", "familyName", "result"]);
const CT_ID = 0, CT_TITLE = 1, CT_DESCRIPTION = 2, CT_FAMILY = 3, CT_RESULT = 4;
const control = CONTROL.newFound();

@inline function t(k: i32): i32 { return unchecked(top[k]); }

/** Appends a non-empty string token's text to doc.text. */
function appendToken(doc: Doc, tok: i32): bool {
  const tape = doc.tape;
  if (tok < 0 || tape.kind(tok) != T_STR || tape.innerLen(tok) == 0) return false;
  decodeStringToken(doc.text, tape, tok);
  return true;
}

export function mapBenchmark(doc: Doc): void {
  const tape = doc.tape;
  doc.setConst(F.EVENT_KIND, "state");
  doc.setConst(F.OBSERVER_PRODUCT, "Sysdig Secure");
  doc.addConst(F.EVENT_CATEGORY, "configuration");
  doc.addConst(F.EVENT_TYPE, "info");
  doc.setToken(F.EVENT_ID, t(K_ID));
  setExactEventTime(doc, t(K_TIMESTAMP_RFC), -1, t(K_TIMESTAMP));
  setSeverity(doc, t(K_SEVERITY));
  doc.setToken(F.EVENT_PROVIDER, t(K_ORIGINATOR));
  // agentId 0 means no agent sent it (the backend ran the benchmark).
  if (readSmallInt(tape, t(K_AGENT_ID)) > 0) doc.setToken(F.AGENT_ID, t(K_AGENT_ID));
  setMac(doc, t(K_MACHINE_ID));
  CONTENT.collect(tape, t(K_CONTENT), content);
  doc.setToken(F.EVENT_ACTION, content[C_SUB_TYPE]);
  doc.setToken(F.RULE_RULESET, content[C_SCHEMA]);
  CONTROL.collect(tape, content[C_CONTROL], control);
  doc.setToken(F.RULE_ID, control[CT_ID]);
  doc.setToken(F.RULE_NAME, control[CT_TITLE]);
  doc.setToken(F.RULE_DESCRIPTION, control[CT_DESCRIPTION]);
  doc.setToken(F.RULE_CATEGORY, control[CT_FAMILY]);
  const result = control[CT_RESULT];
  if (result >= 0) {
    if (tape.stringEquals(result, "Pass")) doc.setConst(F.EVENT_OUTCOME, "success");
    else if (tape.stringEquals(result, "Fail")) doc.setConst(F.EVENT_OUTCOME, "failure");
    else doc.setConst(F.EVENT_OUTCOME, "unknown");
  }
  // "Kubernetes benchmark kube_bench_cis-1.6.0 control 4.1.8 completed. Result: Pass"
  const s = doc.beginText();
  const described = appendToken(doc, t(K_DESCRIPTION)) || appendToken(doc, t(K_NAME));
  if (result >= 0 && tape.kind(result) == T_STR && tape.innerLen(result) > 0) {
    if (described) doc.text.byte(0x20);
    doc.text.ascii("Result: ");
    appendToken(doc, result);
  }
  doc.setText(F.MESSAGE, s);
  mapLabels(doc, t(K_LABELS));
  mapCloudLabels(doc, t(K_LABELS));
  deriveFields(doc, false);
}
