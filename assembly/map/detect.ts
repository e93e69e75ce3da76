// Which Sysdig shape a payload is, told from its content (never from the
// Fluent Bit tag, which only says where it came in).

import { Tape, T_OBJ, T_ARR } from "../json/tape";
import { KeyTable } from "../text/keytable";
import { firstEntityHasPolicyEvents } from "./secure_notification";
import { isFalcoAlert } from "./falco_detect";

export const UNKNOWN: i32 = 0;
export const RUNTIME_POLICY: i32 = 1;
export const LEGACY_POLICY: i32 = 2;
export const MONITOR_ALERT: i32 = 3;
export const AUDIT_COMMAND: i32 = 4;
export const AUDIT_CONNECTION: i32 = 5;
export const AUDIT_FILE: i32 = 6;
export const AUDIT_KUBE_EXEC: i32 = 7;
export const PLATFORM_AUDIT: i32 = 8;
export const BENCHMARK: i32 = 9;
export const HOST_SCANNING: i32 = 10;
export const SECURE_NOTIFICATION: i32 = 11;
export const MONITOR_EVENT: i32 = 12;
/** Falco's JSON alert or Falcosidekick's payload (numbered apart from the
 *  Sysdig families so that families added alongside do not collide). */
export const FALCO_ALERT: i32 = 64;

// Top-level keys read by detection and by the family mappers.
export const K_ID = 0;
export const K_TYPE = 1;
export const K_TIMESTAMP = 2;
export const K_TIMESTAMP_NS = 3;
export const K_NAME = 4;
export const K_DESCRIPTION = 5;
export const K_SEVERITY = 6;
export const K_AGENT_ID = 7;
export const K_CONTAINER_ID = 8;
export const K_MACHINE_ID = 9;
export const K_HOST_MAC = 10;
export const K_CONTENT = 11;
export const K_LABELS = 12;
export const K_FIELDS = 13;
export const K_EVENT_LABELS = 14;
export const K_OUTPUT = 15;
export const K_RULE_TYPE = 16;
export const K_POLICY_ID = 17;
export const K_POLICY_VERSION = 18;
export const K_ORIGIN = 19;
export const K_ALERT = 20;
export const K_ENTITIES = 21;
export const K_EVENT = 22;
export const K_STATE = 23;
export const K_TIMESPAN = 24;
export const K_AUDIT_ID = 25;
export const K_STAGES = 26;
export const K_RESOURCE = 27;
export const K_SUB_RESOURCE = 28;
export const K_NAMESPACE = 29;
export const K_SOURCE_ADDRESSES = 30;
export const K_USER = 31;
export const K_USER_AGENT = 32;
export const K_ARGS = 33;
export const K_CMDLINE = 34;
export const K_COMM = 35;
export const K_CWD = 36;
export const K_HOSTNAME = 37;
export const K_PID = 38;
export const K_PPID = 39;
export const K_UID = 40;
export const K_CLIENT_IPV4 = 41;
export const K_CLIENT_IPV4_DOT = 42;
export const K_CLIENT_PORT = 43;
export const K_SERVER_IPV4 = 44;
export const K_SERVER_IPV4_DOT = 45;
export const K_SERVER_PORT = 46;
export const K_L4PROTOCOL = 47;
export const K_DIRECTION = 48;
export const K_PROCESS_NAME = 49;
export const K_DIRECTORY = 50;
export const K_FILENAME = 51;
export const K_PERMISSIONS = 52;
export const K_SOURCE = 53;
export const K_DNS_DOMAINS = 54;
export const K_TIMESTAMP_RFC = 55;
export const K_ORIGINATOR = 56;
export const K_CATEGORY = 57;
export const K_RAW_EVENT_ORIGINATOR = 58;
export const K_RAW_EVENT_CATEGORY = 59;
export const K_SOURCE_DETAILS = 60;
export const K_ENGINE = 61;
export const K_OCCURRED_AT = 62;
export const K_CREATED_ON = 63;
export const K_ENDED_AT = 64;
export const K_ALERT_ID = 65;
export const K_ALERT_STATE = 66;
export const K_SCOPE_LABELS = 67;

export const TOP_KEYS = new KeyTable([
  "id", "type", "timestamp", "timestampNs", "name", "description", "severity", "agentId",
  "containerId", "machineId", "hostMac", "content", "labels", "fields", "eventLabels", "output",
  "ruleType", "policyId", "policyVersion", "origin", "alert", "entities", "event", "state",
  "timespan", "auditId", "stages", "resource", "subResource", "namespace", "sourceAddresses",
  "user", "userAgent", "args", "cmdline", "comm", "cwd", "hostname", "pid", "ppid", "uid",
  "clientIpv4", "clientIpv4Dot", "clientPort", "serverIpv4", "serverIpv4Dot", "serverPort",
  "l4protocol", "direction", "processName", "directory", "filename", "permissions", "source",
  "dnsDomains",
  "timestampRFC3339Nano", "originator", "category", "rawEventOriginator", "rawEventCategory", "sourceDetails",
  "engine", "occurredAt", "createdOn", "endedAt", "alertId", "alertState", "scopeLabels",
]);

/** Value tokens of the payload's top-level keys, by K_* index. */
export const top = TOP_KEYS.newFound();

@inline function has(k: i32): bool { return unchecked(top[k]) >= 0; }

/** Reads the payload's top-level keys into `top` and names its shape. */
export function detect(tape: Tape, root: i32): i32 {
  TOP_KEYS.collect(tape, root, top);
  const type = top[K_TYPE];
  // Data types whose `content` object would otherwise read as a runtime policy event:
  if (tape.stringEquals(type, "audittrail") || tape.stringEquals(top[K_SOURCE], "auditTrail")) return PLATFORM_AUDIT;
  if (tape.stringEquals(type, "benchmark")) return BENCHMARK;
  if (tape.stringEquals(type, "hostscanning")) return HOST_SCANNING;
  // The Secure notification-channel webhook: the Monitor envelope, sent by Secure.
  if (has(K_ALERT) && tape.kind(top[K_ALERT]) == T_OBJ && has(K_ENTITIES) && tape.kind(top[K_ENTITIES]) == T_ARR &&
      (tape.stringEquals(top[K_SOURCE], "Sysdig Secure") || firstEntityHasPolicyEvents(tape, top[K_ENTITIES]))) return SECURE_NOTIFICATION;
  // A Monitor event (alert or custom) as Sysdig's events API and forwarding give it.
  if (has(K_OCCURRED_AT) && (has(K_ALERT_STATE) || has(K_SCOPE_LABELS) || has(K_ALERT_ID) || has(K_CREATED_ON)) && !has(K_CONTENT)) return MONITOR_EVENT;
  if (has(K_CONTENT) && tape.kind(top[K_CONTENT]) == T_OBJ) return RUNTIME_POLICY;
  if (has(K_ALERT) && tape.kind(top[K_ALERT]) == T_OBJ && has(K_ENTITIES) && tape.kind(top[K_ENTITIES]) == T_ARR) return MONITOR_ALERT;
  if (has(K_POLICY_ID) && (has(K_FIELDS) || has(K_OUTPUT) || has(K_TIMESTAMP_NS))) return LEGACY_POLICY;
  if (tape.stringEquals(type, "kubernetes") || has(K_AUDIT_ID) || (has(K_STAGES) && has(K_RESOURCE))) return AUDIT_KUBE_EXEC;
  if (tape.stringEquals(type, "connection") || has(K_L4PROTOCOL) || has(K_CLIENT_IPV4) || has(K_SERVER_IPV4)) return AUDIT_CONNECTION;
  if (tape.stringEquals(type, "fileaccess") || has(K_FILENAME) || has(K_PERMISSIONS)) return AUDIT_FILE;
  if (tape.stringEquals(type, "command") || (has(K_CMDLINE) && has(K_COMM))) return AUDIT_COMMAND;
  if (isFalcoAlert(tape, root)) return FALCO_ALERT;
  return UNKNOWN;
}

export function familyDataset(family: i32): string {
  switch (family) {
    case RUNTIME_POLICY: return "sysdig.policy";
    case LEGACY_POLICY: return "sysdig.policy_legacy";
    case MONITOR_ALERT: return "sysdig.monitor_alert";
    case AUDIT_COMMAND:
    case AUDIT_CONNECTION:
    case AUDIT_FILE:
    case AUDIT_KUBE_EXEC: return "sysdig.audit";
    case PLATFORM_AUDIT: return "sysdig.platform_audit";
    case BENCHMARK: return "sysdig.benchmark";
    case HOST_SCANNING: return "sysdig.host_scanning";
    case SECURE_NOTIFICATION: return "sysdig.secure_notification";
    case MONITOR_EVENT: return "sysdig.monitor_event";
    case FALCO_ALERT: return "falco.alert"; // the mapper sets falco.<source>
  }
  return "sysdig.unknown";
}

/** Splunk sourcetype, in Splunk's vendor:product:technology style. */
export function familySourcetype(family: i32): string {
  switch (family) {
    case RUNTIME_POLICY: return "sysdig:secure:policy";
    case LEGACY_POLICY: return "sysdig:secure:policy:legacy";
    case MONITOR_ALERT: return "sysdig:monitor:alert";
    case AUDIT_COMMAND: return "sysdig:secure:audit:command";
    case AUDIT_CONNECTION: return "sysdig:secure:audit:connection";
    case AUDIT_FILE: return "sysdig:secure:audit:file";
    case AUDIT_KUBE_EXEC: return "sysdig:secure:audit:kubernetes";
    case PLATFORM_AUDIT: return "sysdig:platform:audit";
    case BENCHMARK: return "sysdig:secure:benchmark";
    case HOST_SCANNING: return "sysdig:secure:hostscanning";
    case SECURE_NOTIFICATION: return "sysdig:secure:notification";
    case MONITOR_EVENT: return "sysdig:monitor:event";
    // One sourcetype for every Falco source: the JSON layout is the same, so
    // one props.conf stanza parses them all; the source is event.source.
    case FALCO_ALERT: return "falco:alert";
  }
  return "sysdig:normalizer:unrecognized";
}
