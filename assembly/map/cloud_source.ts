// Where a runtime policy event came from, beyond the workload fields that
// falco.ts maps:
//  - cloud and SaaS sources (`source: aws_cloudtrail`, `gcp_auditlog`,
//    `azure_platformlogs`, `okta`, `github`, `k8s_audit`, …; `category:
//    remote`), whose fields name the cloud account, the calling user, the
//    calling address and the API action;
//  - the fields Sysdig's current runtime payload adds: `rawEventOriginator`
//    (the sensor that saw the raw event: linuxAgent, cloudConnector, …) →
//    observer.type. `rawEventCategory`, `sourceDetails` and `engine` have no
//    ECS field of their own (event.provider already carries `source`, and
//    rule.category `ruleType`); they stay under sysdig.*.

import { Doc } from "../ecs/doc";
import { Tape, T_OBJ, T_STR } from "../json/tape";
import { top, K_LABELS, K_SOURCE, K_RAW_EVENT_ORIGINATOR } from "./detect";
import { PairMapping, mapPairs, applyPairTarget } from "./pairs";
import { falcoMapping, applyFalcoTarget } from "./falco";
import { Entries } from "./entries";
import { KeyTable } from "../text/keytable";
import { IntBuf } from "../io/buffers";
import * as F from "./ids";

// The same names arrive in `content.fields` (Falco plugin fields and
// Sysdig's aws.*) and in `labels`; fields first, so the rule's own view wins.
const CLOUD: string[] = [
  // AWS CloudTrail, as Sysdig names it, and as Falco's cloudtrail plugin does
  "aws.accountId", "cloud.account.id",
  "aws.region", "cloud.region",
  "aws.user", "user.name",
  "aws.sourceIP", "=source",
  "aws.eventName", "event.action",
  "aws.instanceId", "cloud.instance.id",
  "ct.user", "user.name",
  "ct.user.accountid", "cloud.account.id",
  "ct.region", "cloud.region",
  "ct.srcip", "=source",
  "ct.name", "event.action",
  // Google Cloud audit logs (Falco's gcpaudit plugin)
  "gcp.user", "user.name",
  "gcp.callerIP", "=source",
  "gcp.methodName", "event.action",
  "gcp.serviceName", "cloud.service.name",
  "gcp.projectId", "cloud.project.id",
  // Okta and GitHub (Falco's okta and github plugins)
  "okta.actor.alternateid", "user.name",
  "okta.actor.id", "user.id",
  "okta.client.ip", "=source",
  "okta.evt.type", "event.action",
  "github.user", "user.name",
  "github.type", "event.action",
  // Kubernetes audit (Falco's k8saudit plugin)
  "ka.user.name", "user.name",
  "ka.verb", "event.action",
  "ka.target.namespace", "orchestrator.namespace",
  "ka.target.name", "orchestrator.resource.name",
  "ka.target.resource", "orchestrator.resource.type",
  // Sysdig's labels for any cloud source
  "cloudProvider.user", "user.name",
  "source.ip", "=source",
  "resourceType", "cloud.service.name",
];
const cloudMapping = new PairMapping(CLOUD);

/** Cloud labels also found on benchmark and host records. */
const CLOUD_LABELS: string[] = [
  "aws.accountId", "cloud.account.id",
  "aws.region", "cloud.region",
  "aws.instanceId", "cloud.instance.id",
  "cloudProvider.host.name", "host.name",
  "host.id", "host.id",
  "host.os.name", "host.os.name",
  "host.os.version", "host.os.version",
];
const cloudLabelMapping = new PairMapping(CLOUD_LABELS);

// A runtime event's `content.fields` is read by two tables: falco.ts's
// (the workload), then, after the labels, CLOUD's. One table of both
// tables' names serves the two: each key is looked up once
// (mapRuntimeFields), the pairs CLOUD maps are noted, and mapRuntimeSource
// maps those in their turn, in their order: what each field ends up with
// is what two passes give.
const NO_TARGET: i32 = i32.MIN_VALUE;

class FieldsTable {
  keys: KeyTable;
  /** By name: the target in falcoMapping and in cloudMapping, or NO_TARGET. */
  falcoTargets: StaticArray<i32>;
  cloudTargets: StaticArray<i32>;
  constructor() {
    const names: string[] = [];
    const falco: i32[] = [];
    const cloud: i32[] = [];
    const falcoNames = falcoMapping.keys.names;
    for (let i = 0; i < falcoNames.length; i++) {
      names.push(falcoNames[i]);
      falco.push(falcoMapping.targets[i]);
      cloud.push(NO_TARGET);
    }
    const cloudNames = cloudMapping.keys.names;
    for (let i = 0; i < cloudNames.length; i++) {
      const at = names.indexOf(cloudNames[i]);
      if (at >= 0) { cloud[at] = cloudMapping.targets[i]; continue; }
      names.push(cloudNames[i]);
      falco.push(NO_TARGET);
      cloud.push(cloudMapping.targets[i]);
    }
    this.keys = new KeyTable(names);
    this.falcoTargets = StaticArray.fromArray<i32>(falco);
    this.cloudTargets = StaticArray.fromArray<i32>(cloud);
  }
}
const fieldsTable = new FieldsTable();
/** What mapRuntimeFields left for CLOUD: value token, target; in order. */
const cloudPairs = new IntBuf();
let fieldEntries: Entries | null = null;

/** Maps a runtime event's `content.fields` as mapFalcoFields does, and
 *  notes what mapRuntimeSource maps from it (see FieldsTable). */
export function mapRuntimeFields(doc: Doc, tok: i32): void {
  const tape = doc.tape;
  cloudPairs.reset();
  const table = fieldsTable;
  if (tok >= 0 && tape.kind(tok) == T_OBJ) {
    const end = tape.next(tok);
    let c = tok + 1;
    while (c < end) {
      mapRuntimeField(doc, tape, table, c, c + 1);
      c = tape.next(c + 1);
    }
    return;
  }
  let it = fieldEntries;
  if (it == null || it.tape != tape) { it = new Entries(tape); fieldEntries = it; }
  if (!it.start(tok)) return;
  while (it.next()) mapRuntimeField(doc, tape, table, it.key, it.value);
}

@inline function mapRuntimeField(doc: Doc, tape: Tape, table: FieldsTable, key: i32, value: i32): void {
  const id = table.keys.lookupToken(tape, key);
  if (id < 0) return;
  const falco = unchecked(table.falcoTargets[id]);
  if (falco != NO_TARGET) applyFalcoTarget(doc, tape, falco, value);
  const cloud = unchecked(table.cloudTargets[id]);
  if (cloud != NO_TARGET) { cloudPairs.push(value); cloudPairs.push(cloud); }
}

/** Maps the cloud-source and current-payload fields of a runtime policy
 *  event, after mapRuntimeFields read its `content.fields`; runs before
 *  deriveFields so related.* sees them. */
export function mapRuntimeSource(doc: Doc): void {
  const tape = doc.tape;
  doc.setToken(F.OBSERVER_TYPE, unchecked(top[K_RAW_EVENT_ORIGINATOR]));
  for (let i = 0; i < cloudPairs.len; i += 2) applyPairTarget(doc, tape, cloudPairs.get(i + 1), cloudPairs.get(i));
  mapPairs(doc, unchecked(top[K_LABELS]), cloudMapping);
  mapCloudLabels(doc, unchecked(top[K_LABELS]));
  setProviderFromSource(doc, tape, unchecked(top[K_SOURCE]));
  doc.addFrom(F.RELATED_HOSTS, F.SOURCE_DOMAIN);
}

/** aws.*, host.id and host.os.* labels, for any data type that has them. */
export function mapCloudLabels(doc: Doc, labels: i32): void {
  mapPairs(doc, labels, cloudLabelMapping);
  if (doc.has(F.CLOUD_ACCOUNT_ID) || doc.has(F.CLOUD_REGION) || doc.has(F.CLOUD_INSTANCE_ID)) {
    // Only AWS names its labels aws.*; other providers come as cloudProvider.*.
    if (!doc.has(F.CLOUD_PROVIDER) && hasAwsLabel(doc, labels)) doc.setConst(F.CLOUD_PROVIDER, "aws");
  }
}

function hasAwsLabel(doc: Doc, labels: i32): bool {
  const tape = doc.tape;
  return hasKey(tape, labels, "aws.accountId") || hasKey(tape, labels, "aws.region") || hasKey(tape, labels, "aws.instanceId");
}

function hasKey(tape: Tape, obj: i32, name: string): bool {
  if (obj < 0 || tape.kind(obj) != T_OBJ) return false;
  const end = tape.next(obj);
  let c = obj + 1;
  while (c < end) {
    if (tape.stringEquals(c, name)) return true;
    c = tape.next(c + 1);
  }
  return false;
}

/** cloud.provider from the source name when no label gave it. */
function setProviderFromSource(doc: Doc, tape: Tape, tok: i32): void {
  if (doc.has(F.CLOUD_PROVIDER) || tok < 0 || tape.kind(tok) != T_STR) return;
  if (startsWith(tape, tok, "aws")) doc.setConst(F.CLOUD_PROVIDER, "aws");
  else if (startsWith(tape, tok, "gcp")) doc.setConst(F.CLOUD_PROVIDER, "gcp");
  else if (startsWith(tape, tok, "azure")) doc.setConst(F.CLOUD_PROVIDER, "azure");
}

function startsWith(tape: Tape, tok: i32, prefix: string): bool {
  const n = prefix.length;
  if (tape.innerLen(tok) < n) return false;
  const p = tape.innerStart(tok);
  for (let i = 0; i < n; i++) if (tape.byteAt(p + i) != prefix.charCodeAt(i)) return false;
  return true;
}
