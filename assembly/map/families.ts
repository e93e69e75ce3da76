// One mapper per Sysdig shape. Each reads the payload's keys (found once by
// detect()) and sets fields of the normalized event; fields.ts says how each
// is typed and where it goes in Elasticsearch and Splunk.

import { Doc } from "../ecs/doc";
import { Tape, T_OBJ, T_ARR, T_STR } from "../json/tape";
import { KeyTable } from "../text/keytable";
import { Instant, readSmallInt } from "../text/time";
import { writeIpv4FromInt, transportName } from "../text/net";
import {
  top, RUNTIME_POLICY, LEGACY_POLICY, MONITOR_ALERT, AUDIT_COMMAND, AUDIT_CONNECTION, AUDIT_FILE, AUDIT_KUBE_EXEC,
  K_ID, K_TIMESTAMP, K_TIMESTAMP_NS, K_NAME, K_DESCRIPTION, K_SEVERITY, K_AGENT_ID, K_CONTAINER_ID,
  K_MACHINE_ID, K_HOST_MAC, K_CONTENT, K_LABELS, K_FIELDS, K_EVENT_LABELS, K_OUTPUT, K_RULE_TYPE,
  K_POLICY_VERSION, K_ORIGIN, K_ALERT, K_ENTITIES, K_EVENT, K_STATE, K_TIMESPAN, K_STAGES,
  K_RESOURCE, K_SUB_RESOURCE, K_NAMESPACE, K_SOURCE_ADDRESSES, K_USER, K_USER_AGENT, K_ARGS, K_CMDLINE,
  K_COMM, K_CWD, K_HOSTNAME, K_PID, K_PPID, K_UID, K_CLIENT_IPV4, K_CLIENT_IPV4_DOT, K_CLIENT_PORT,
  K_SERVER_IPV4, K_SERVER_IPV4_DOT, K_SERVER_PORT, K_L4PROTOCOL, K_DIRECTION, K_PROCESS_NAME,
  K_DIRECTORY, K_FILENAME, K_PERMISSIONS, K_SOURCE, K_DNS_DOMAINS,
} from "./detect";
import { mapFalcoFields, mapLabels, falcoNotes } from "./falco";
import { FALCO_ALERT } from "./detect";
import { mapFalcoAlert } from "./falco_alert";
import { decodeStringToken } from "../json/escape";
import { setEventTime, setDate, setSeverity, setTags, setMac, addStrings, deriveFields } from "./common";
import * as F from "./ids";
import {
  PLATFORM_AUDIT, BENCHMARK, HOST_SCANNING, SECURE_NOTIFICATION, MONITOR_EVENT, K_TIMESTAMP_RFC,
} from "./detect";
import { setExactEventTime } from "./clock";
import { mapPlatformAudit } from "./platform_audit";
import { mapBenchmark } from "./benchmark";
import { mapHostScanning } from "./host_scanning";
import { mapMonitorEvent } from "./monitor_event";
import { mapRuntimeFields, mapRuntimeLabels, mapRuntimeSource } from "./cloud_source";

const CONTENT = new KeyTable([
  "ruleName", "ruleType", "ruleTags", "output", "fields", "policyVersion", "policyOrigin",
]);
const C_RULE_NAME = 0, C_RULE_TYPE = 1, C_RULE_TAGS = 2, C_OUTPUT = 3, C_FIELDS = 4, C_POLICY_VERSION = 5, C_POLICY_ORIGIN = 6;
const content = CONTENT.newFound();

import { ALERT, A_ID, A_NAME, A_DESCRIPTION, A_SEVERITY, alert, EVENT, EV_ID, EV_URL, eventKeys } from "./alert_keys";

const ENTITY = new KeyTable(["policies", "policyEvents"]);
const EN_POLICIES = 0, EN_POLICY_EVENTS = 1;
const entity = ENTITY.newFound();

const POLICY = new KeyTable(["name", "version", "description"]);
const P_NAME = 0, P_VERSION = 1;
const policy = POLICY.newFound();

const POLICY_EVENT = new KeyTable(["id", "output", "containerId", "hostMac", "fields", "severity", "ruleType"]);
const PE_OUTPUT = 1, PE_CONTAINER_ID = 2, PE_HOST_MAC = 3, PE_FIELDS = 4, PE_RULE_TYPE = 6;
const policyEvent = POLICY_EVENT.newFound();

const STAGES = new KeyTable(["started", "completed"]);
const ST_STARTED = 0, ST_COMPLETED = 1;
const stages = STAGES.newFound();

const KUBE_USER = new KeyTable(["username", "uid"]);
const U_USERNAME = 0, U_UID = 1;
const kubeUser = KUBE_USER.newFound();

const KUBE_ARGS = new KeyTable(["command", "container"]);
const AR_COMMAND = 0, AR_CONTAINER = 1;
const kubeArgs = KUBE_ARGS.newFound();

const startTime = new Instant();
const endTime = new Instant();

@inline function t(k: i32): i32 { return unchecked(top[k]); }

/** Sets the fields of `doc` for a payload of `family`; false if unknown. */
export function mapFamily(doc: Doc, family: i32): bool {
  falcoNotes.reset();
  switch (family) {
    case RUNTIME_POLICY: mapRuntimePolicy(doc); return true;
    case LEGACY_POLICY: mapLegacyPolicy(doc); return true;
    case MONITOR_ALERT: mapMonitorAlert(doc); return true;
    case AUDIT_COMMAND:
    case AUDIT_CONNECTION:
    case AUDIT_FILE:
    case AUDIT_KUBE_EXEC: mapAudit(doc, family); return true;
    case PLATFORM_AUDIT: mapPlatformAudit(doc); return true;
    case BENCHMARK: mapBenchmark(doc); return true;
    case HOST_SCANNING: mapHostScanning(doc); return true;
    case SECURE_NOTIFICATION: doc.setConst(F.OBSERVER_PRODUCT, "Sysdig Secure"); mapMonitorAlert(doc); return true;
    case MONITOR_EVENT: mapMonitorEvent(doc); return true;
    case FALCO_ALERT: mapFalcoAlert(doc); return true;
  }
  return false;
}

/** Current (runtime) policy events: ns clock, content.fields, labels. */
function mapRuntimePolicy(doc: Doc): void {
  const tape = doc.tape;
  doc.setConst(F.EVENT_KIND, "alert");
  doc.setConst(F.OBSERVER_PRODUCT, "Sysdig Secure");
  doc.setToken(F.EVENT_ID, t(K_ID));
  setExactEventTime(doc, t(K_TIMESTAMP_RFC), -1, t(K_TIMESTAMP));
  setSeverity(doc, t(K_SEVERITY));
  doc.setToken(F.EVENT_PROVIDER, t(K_SOURCE));
  doc.setToken(F.RULE_RULESET, t(K_NAME));
  doc.setToken(F.RULE_DESCRIPTION, t(K_DESCRIPTION));
  doc.setToken(F.AGENT_ID, t(K_AGENT_ID));
  doc.setToken(F.CONTAINER_ID, t(K_CONTAINER_ID));
  // Sysdig's machine id is the agent host's MAC address.
  doc.setToken(F.HOST_ID, t(K_MACHINE_ID));
  setMac(doc, t(K_MACHINE_ID));
  CONTENT.collect(tape, t(K_CONTENT), content);
  doc.setToken(F.RULE_NAME, content[C_RULE_NAME]);
  setRuleCategory(doc, content[C_RULE_TYPE]);
  doc.setToken(F.RULE_VERSION, content[C_POLICY_VERSION]);
  doc.addToken(F.RULE_AUTHOR, content[C_POLICY_ORIGIN]);
  doc.setToken(F.MESSAGE, content[C_OUTPUT]);
  setTags(doc, content[C_RULE_TAGS]);
  mapRuntimeFields(doc, content[C_FIELDS]);
  mapRuntimeLabels(doc, t(K_LABELS));
  mapRuntimeSource(doc);
  deriveFields(doc, true);
}

/** Legacy policy events: µs clock plus timestampNs, [{key,value}] lists. */
function mapLegacyPolicy(doc: Doc): void {
  doc.setConst(F.EVENT_KIND, "alert");
  doc.setConst(F.OBSERVER_PRODUCT, "Sysdig Secure");
  doc.setToken(F.EVENT_ID, t(K_ID));
  setEventTime(doc, t(K_TIMESTAMP_NS), t(K_TIMESTAMP));
  setSeverity(doc, t(K_SEVERITY));
  doc.setToken(F.RULE_RULESET, t(K_NAME));
  doc.setToken(F.RULE_DESCRIPTION, t(K_DESCRIPTION));
  doc.setToken(F.RULE_CATEGORY, t(K_RULE_TYPE));
  doc.setToken(F.RULE_VERSION, t(K_POLICY_VERSION));
  doc.addToken(F.RULE_AUTHOR, t(K_ORIGIN));
  doc.setToken(F.MESSAGE, t(K_OUTPUT));
  doc.setToken(F.CONTAINER_ID, t(K_CONTAINER_ID));
  setMac(doc, t(K_HOST_MAC));
  mapFalcoFields(doc, t(K_FIELDS));
  mapLabels(doc, t(K_EVENT_LABELS));
  deriveFields(doc, true);
}

/** Monitor alert notifications: µs clock, alert, entities[]. The first
 *  entity's first policy and policy event describe the alert; all of them
 *  stay under sysdig.*. */
function mapMonitorAlert(doc: Doc): void {
  const tape = doc.tape;
  doc.setConst(F.EVENT_KIND, "alert");
  doc.setConst(F.OBSERVER_PRODUCT, "Sysdig Monitor");
  setEventTime(doc, t(K_TIMESTAMP));
  setMicrosAsNanos(doc, F.EVENT_DURATION, t(K_TIMESPAN));
  doc.setToken(F.EVENT_ACTION, t(K_STATE));
  EVENT.collect(tape, t(K_EVENT), eventKeys);
  doc.setToken(F.EVENT_ID, eventKeys[EV_ID]);
  doc.setToken(F.EVENT_URL, eventKeys[EV_URL]);
  ALERT.collect(tape, t(K_ALERT), alert);
  setSeverity(doc, alert[A_SEVERITY]);
  doc.setToken(F.RULE_ID, alert[A_ID]);
  doc.setToken(F.RULE_DESCRIPTION, alert[A_DESCRIPTION]);
  const entities = t(K_ENTITIES);
  const first = tape.next(entities) > entities + 1 ? entities + 1 : -1;
  ENTITY.collect(tape, first, entity);
  const policies = entity[EN_POLICIES];
  POLICY.collect(tape, firstElement(tape, policies), policy);
  doc.setToken(F.RULE_RULESET, policy[P_NAME]);
  doc.setToken(F.RULE_VERSION, policy[P_VERSION]);
  const events = entity[EN_POLICY_EVENTS];
  const isPolicyAlert = firstElement(tape, events) >= 0;
  POLICY_EVENT.collect(tape, firstElement(tape, events), policyEvent);
  doc.setToken(F.MESSAGE, policyEvent[PE_OUTPUT]);
  doc.setToken(F.CONTAINER_ID, policyEvent[PE_CONTAINER_ID]);
  doc.setToken(F.RULE_CATEGORY, policyEvent[PE_RULE_TYPE]);
  setMac(doc, policyEvent[PE_HOST_MAC]);
  mapFalcoFields(doc, policyEvent[PE_FIELDS]);
  // The alert's own name names the rule when no Falco rule was given.
  doc.setToken(F.RULE_NAME, alert[A_NAME]);
  doc.setToken(F.MESSAGE, alert[A_NAME]);
  if (!isPolicyAlert) {
    doc.addConst(F.EVENT_CATEGORY, "host");
    doc.addConst(F.EVENT_TYPE, "info");
  }
  deriveFields(doc, isPolicyAlert);
}

function firstElement(tape: Tape, arr: i32): i32 {
  if (arr < 0 || tape.kind(arr) != T_ARR || tape.next(arr) == arr + 1) return -1;
  return arr + 1;
}

/** A µs duration as ns: the digits with three zeros appended. */
function setMicrosAsNanos(doc: Doc, f: i32, tok: i32): void {
  const us = readSmallInt(doc.tape, tok);
  if (us < 0 || us > 9223372036854775) return;
  const s = doc.beginText();
  doc.text.int(us * 1000);
  doc.setText(f, s);
}

/** Activity audit: command, network connection, file access, kubectl exec. */
function mapAudit(doc: Doc, family: i32): void {
  const tape = doc.tape;
  doc.setConst(F.EVENT_KIND, "event");
  doc.setConst(F.OBSERVER_PRODUCT, "Sysdig Secure");
  doc.setToken(F.EVENT_ID, t(K_ID));
  setExactEventTime(doc, t(K_TIMESTAMP_RFC), -1, t(K_TIMESTAMP));
  doc.setToken(F.AGENT_ID, t(K_AGENT_ID));
  doc.setToken(F.CONTAINER_ID, t(K_CONTAINER_ID));
  doc.setToken(F.HOST_NAME, t(K_HOSTNAME));
  doc.setToken(F.HOST_HOSTNAME, t(K_HOSTNAME));
  doc.setToken(F.PROCESS_PID, t(K_PID));
  doc.setToken(F.PROCESS_NAME, t(K_COMM));
  doc.setToken(F.PROCESS_NAME, t(K_PROCESS_NAME));
  doc.setToken(F.PROCESS_COMMAND_LINE, t(K_CMDLINE));
  doc.setToken(F.PROCESS_CWD, t(K_CWD));
  doc.setToken(F.PROCESS_PARENT_PID, t(K_PPID));
  doc.setToken(F.USER_ID, t(K_UID));
  if (family == AUDIT_COMMAND) {
    doc.setConst(F.EVENT_ACTION, "command");
    doc.addConst(F.EVENT_CATEGORY, "process");
    doc.addConst(F.EVENT_TYPE, "start");
    if (!doc.setToken(F.MESSAGE, t(K_CMDLINE))) doc.setToken(F.MESSAGE, t(K_COMM));
  } else if (family == AUDIT_CONNECTION) {
    mapConnection(doc);
  } else if (family == AUDIT_FILE) {
    mapFileAccess(doc);
  } else {
    mapKubeExec(doc, tape);
  }
  // The host's and workload's labels (host name, Kubernetes cluster,
  // namespace, pod, workload); what the record says itself comes first.
  mapLabels(doc, t(K_LABELS));
  deriveFields(doc, false);
}

function mapConnection(doc: Doc): void {
  doc.setConst(F.EVENT_ACTION, "connection");
  doc.addConst(F.EVENT_CATEGORY, "network");
  doc.addConst(F.EVENT_TYPE, "connection");
  setIpv4(doc, F.SOURCE_IP, t(K_CLIENT_IPV4), t(K_CLIENT_IPV4_DOT));
  setIpv4(doc, F.DESTINATION_IP, t(K_SERVER_IPV4), t(K_SERVER_IPV4_DOT));
  doc.setToken(F.SOURCE_PORT, t(K_CLIENT_PORT));
  doc.setToken(F.DESTINATION_PORT, t(K_SERVER_PORT));
  const proto = readSmallInt(doc.tape, t(K_L4PROTOCOL));
  if (proto >= 0 && proto <= 255) {
    const s = doc.beginText();
    doc.text.int(proto);
    doc.setText(F.NETWORK_IANA, s);
    const name = transportName(proto);
    if (name.length > 0) doc.setConst(F.NETWORK_TRANSPORT, name);
  }
  // Sysdig sees connections from the host: "out" leaves it, "in" arrives.
  const tape = doc.tape;
  const dir = t(K_DIRECTION);
  if (tape.stringEquals(dir, "out")) doc.setConst(F.NETWORK_DIRECTION, "egress");
  else if (tape.stringEquals(dir, "in")) doc.setConst(F.NETWORK_DIRECTION, "ingress");
  addStrings(doc, F.RELATED_HOSTS, t(K_DNS_DOMAINS));
  // "kubectl egress tcp 172.17.0.21:60720 -> 10.96.0.1:443"
  const s = doc.beginText();
  appendWord(doc, s, F.PROCESS_NAME);
  appendWord(doc, s, F.NETWORK_DIRECTION);
  appendWord(doc, s, F.NETWORK_TRANSPORT);
  if (doc.has(F.SOURCE_IP) || doc.has(F.DESTINATION_IP)) {
    if (doc.text.len > s) doc.text.byte(0x20);
    endpoint(doc, F.SOURCE_IP, F.SOURCE_PORT);
    doc.text.ascii(" -> ");
    endpoint(doc, F.DESTINATION_IP, F.DESTINATION_PORT);
  }
  doc.setText(F.MESSAGE, s);
}

/** Appends a field's text to the message begun at `start`, space-separated. */
function appendWord(doc: Doc, start: i32, f: i32): void {
  if (!doc.has(f)) return;
  if (doc.text.len > start) doc.text.byte(0x20);
  doc.valueText(f, doc.text);
}

function endpoint(doc: Doc, ip: i32, port: i32): void {
  if (!doc.valueText(ip, doc.text)) doc.text.byte(0x3f);
  if (doc.has(port)) { doc.text.byte(0x3a); doc.valueText(port, doc.text); }
}

/** An IPv4 address from Sysdig's integer form, or from its dotted twin. */
function setIpv4(doc: Doc, f: i32, intTok: i32, dotTok: i32): void {
  const v = readSmallInt(doc.tape, intTok);
  if (v >= 0) {
    const s = doc.beginText();
    if (writeIpv4FromInt(doc.text, v)) { doc.setText(f, s); return; }
    doc.text.len = s;
  }
  doc.setToken(f, dotTok);
}

function mapFileAccess(doc: Doc): void {
  const tape = doc.tape;
  doc.setConst(F.EVENT_ACTION, "fileaccess");
  doc.addConst(F.EVENT_CATEGORY, "file");
  const perms = t(K_PERMISSIONS);
  let writes = false;
  if (perms >= 0 && tape.kind(perms) == T_STR) {
    for (let p = tape.innerStart(perms); p < tape.end(perms) - 1; p++) if (tape.byteAt(p) == 0x77) writes = true;
  }
  doc.addConst(F.EVENT_TYPE, writes ? "change" : "access");
  // file.path = directory + filename; the directory may or may not end in "/".
  const dir = t(K_DIRECTORY);
  const name = t(K_FILENAME);
  doc.setToken(F.FILE_NAME, name);
  if (doc.has(F.FILE_NAME) && dir >= 0 && tape.kind(dir) == T_STR && tape.innerLen(dir) > 0) {
    let s = doc.beginText();
    tokenText(doc, dir);
    const dirLen = doc.text.len - s;
    if (dirLen > 1 && doc.text.at(doc.text.len - 1) == 0x2f) doc.text.len--;
    doc.setText(F.FILE_DIRECTORY, s);
    s = doc.beginText();
    doc.valueText(F.FILE_DIRECTORY, doc.text);
    if (doc.text.at(doc.text.len - 1) != 0x2f) doc.text.byte(0x2f);
    doc.valueText(F.FILE_NAME, doc.text);
    doc.setText(F.FILE_PATH, s);
  }
  // "sv w /etc/service/enabled/confd/supervise/ok"
  const s = doc.beginText();
  appendWord(doc, s, F.PROCESS_NAME);
  if (perms >= 0 && tape.kind(perms) == T_STR) { if (doc.text.len > s) doc.text.byte(0x20); tokenText(doc, perms); }
  appendWord(doc, s, doc.has(F.FILE_PATH) ? F.FILE_PATH : F.FILE_NAME);
  doc.setText(F.MESSAGE, s);
}

function tokenText(doc: Doc, tok: i32): void { decodeStringToken(doc.text, doc.tape, tok); }

function mapKubeExec(doc: Doc, tape: Tape): void {
  const sub = t(K_SUB_RESOURCE);
  if (!doc.setToken(F.EVENT_ACTION, sub)) doc.setConst(F.EVENT_ACTION, "kubernetes");
  doc.addConst(F.EVENT_CATEGORY, "api");
  doc.addConst(F.EVENT_CATEGORY, "process");
  doc.addConst(F.EVENT_TYPE, "start");
  doc.setConst(F.ORCH_TYPE, "kubernetes");
  doc.setToken(F.ORCH_NAMESPACE, t(K_NAMESPACE));
  doc.setToken(F.ORCH_RESOURCE_NAME, t(K_NAME));
  doc.setToken(F.ORCH_RESOURCE_TYPE, t(K_RESOURCE));
  doc.setToken(F.USER_AGENT, t(K_USER_AGENT));
  KUBE_USER.collect(tape, t(K_USER), kubeUser);
  doc.setToken(F.USER_NAME, kubeUser[U_USERNAME]);
  KUBE_ARGS.collect(tape, t(K_ARGS), kubeArgs);
  doc.setToken(F.PROCESS_NAME, kubeArgs[AR_COMMAND]);
  doc.setToken(F.CONTAINER_NAME, kubeArgs[AR_CONTAINER]);
  const addresses = t(K_SOURCE_ADDRESSES);
  doc.setToken(F.SOURCE_IP, firstElement(tape, addresses));
  addStrings(doc, F.RELATED_IP, addresses);
  STAGES.collect(tape, t(K_STAGES), stages);
  const started = setDate(doc, F.EVENT_START, stages[ST_STARTED], startTime);
  const completed = setDate(doc, F.EVENT_END, stages[ST_COMPLETED], endTime);
  if (started && completed && endTime.seconds < 9223372035) {
    const d = endTime.nanos - startTime.nanos;
    if (d >= 0) {
      const s = doc.beginText();
      doc.text.int(d);
      doc.setText(F.EVENT_DURATION, s);
    }
  }
  // "kubectl exec bash in nginx/nginx-76f9cf7469-k5kf7 (container nginx) by …"
  const s = doc.beginText();
  doc.text.ascii("kubectl ");
  doc.valueText(F.EVENT_ACTION, doc.text);
  appendWord(doc, s, F.PROCESS_NAME);
  doc.text.ascii(" in ");
  if (doc.valueText(F.ORCH_NAMESPACE, doc.text)) doc.text.byte(0x2f);
  if (!doc.valueText(F.ORCH_RESOURCE_NAME, doc.text)) doc.text.byte(0x3f);
  if (doc.has(F.CONTAINER_NAME)) { doc.text.ascii(" (container "); doc.valueText(F.CONTAINER_NAME, doc.text); doc.text.byte(0x29); }
  if (doc.has(F.USER_NAME)) { doc.text.ascii(" by "); doc.valueText(F.USER_NAME, doc.text); }
  doc.setText(F.MESSAGE, s);
}

// The Secure Events API gives ruleType as a number; the names are those of
// Sysdig's API reference. The webhook sends a name ("RULE_TYPE_FALCO"),
// kept as it is.
const RULE_TYPE_NAMES: string[] = [
  "", "List matching - process", "List matching - container", "List matching - file",
  "List matching - network", "List matching - syscall", "Falco", "Drift detection", "Malware detection",
  "", "", "ML - Cryptominer detection", "", "ML - AWS anomalous login", "ML - Okta anomalous login",
];

/** rule.category from ruleType: a name as it is, a number by its name. */
function setRuleCategory(doc: Doc, tok: i32): void {
  const tape = doc.tape;
  if (tok >= 0 && tape.kind(tok) != T_STR) {
    const n = readSmallInt(tape, tok);
    if (n >= 0 && n < RULE_TYPE_NAMES.length && RULE_TYPE_NAMES[<i32>n].length > 0) {
      doc.setConst(F.RULE_CATEGORY, RULE_TYPE_NAMES[<i32>n]);
      return;
    }
  }
  doc.setToken(F.RULE_CATEGORY, tok);
}
