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
import { Tape, T_STR } from "../json/tape";
import { top, K_LABELS, K_SOURCE, K_RAW_EVENT_ORIGINATOR } from "./detect";
import { PairMapping, mapPairs, applyPairTarget } from "./pairs";
import { Mapping, falcoMapping, labelMapping, applyFalcoTarget } from "./falco";
import { forEachPair, Entries } from "./entries";
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
// (the workload), then, after the labels, CLOUD's; its `labels` by three:
// falco.ts's label table, then CLOUD's and CLOUD_LABELS'. One table of a
// pass's names serves all of them: each key is looked up once, the first
// table's fields are set at once, the pairs the others map are noted, and
// mapRuntimeSource maps those in their turn, in their order: what each
// field ends up with is what the separate passes give.
const NO_TARGET: i32 = i32.MIN_VALUE;

class MergedTable {
  keys: KeyTable;
  /** By name, a row of four: the target in the first table (set at once,
   *  falco.ts's targets), in the second and third (noted, PairMapping
   *  targets), or NO_TARGET, and a pad. One array, so that a name's row is
   *  one address (the interpreter pays for every load). */
  targets: StaticArray<i32>;
  constructor(a: Mapping, b: PairMapping, c: PairMapping | null) {
    const names: string[] = [];
    const first: i32[] = [];
    const second: i32[] = [];
    const third: i32[] = [];
    for (let table = 0; table < 3; table++) {
      const keys = table == 0 ? a.keys : table == 1 ? b.keys : c != null ? c.keys : null;
      if (keys == null) continue;
      const targets = table == 0 ? a.targets : table == 1 ? b.targets : c!.targets;
      for (let i = 0; i < keys.names.length; i++) {
        let at = names.indexOf(keys.names[i]);
        if (at < 0) {
          at = names.length;
          names.push(keys.names[i]);
          first.push(NO_TARGET);
          second.push(NO_TARGET);
          third.push(NO_TARGET);
        }
        // A name twice in one table: its first row is the one a lookup finds.
        const column = table == 0 ? first : table == 1 ? second : third;
        if (column[at] == NO_TARGET) column[at] = targets[i];
      }
    }
    this.keys = new KeyTable(names);
    this.targets = new StaticArray<i32>(names.length << 2);
    for (let i = 0; i < names.length; i++) {
      this.targets[i << 2] = first[i];
      this.targets[(i << 2) + 1] = second[i];
      this.targets[(i << 2) + 2] = third[i];
    }
  }
}
const fieldsTable = new MergedTable(falcoMapping, cloudMapping, null);
const labelsTable = new MergedTable(labelMapping, cloudMapping, cloudLabelMapping);
/** What the passes left for the second tables (fields, then labels) and
 *  the third (labels): value token, target; in order. */
const fieldsCloud = new IntBuf();
const labelsCloud = new IntBuf();
const labelsCloudLabels = new IntBuf();

/** Maps a runtime event's `content.fields` as mapFalcoFields does, and
 *  notes what mapRuntimeSource maps from it (see MergedTable). */
export function mapRuntimeFields(doc: Doc, tok: i32): void {
  fieldsCloud.reset();
  mergedPass(doc, tok, fieldsTable, fieldsCloud, fieldsCloud);
}

/** Maps a runtime event's `labels` as mapLabels does, and notes what
 *  mapRuntimeSource maps from them. */
export function mapRuntimeLabels(doc: Doc, tok: i32): void {
  labelsCloud.reset();
  labelsCloudLabels.reset();
  mergedPass(doc, tok, labelsTable, labelsCloud, labelsCloudLabels);
}

/** Maps each pair it is given through a MergedTable: the first table's
 *  target at once, the others' noted. */
class MergedVisitor {
  doc: Doc = changetype<Doc>(0);
  table: MergedTable = changetype<MergedTable>(0);
  second: IntBuf = changetype<IntBuf>(0);
  third: IntBuf = changetype<IntBuf>(0);
  @inline pair(tape: Tape, key: i32, value: i32): void {
    const table = this.table;
    const id = table.keys.lookupToken(tape, key);
    if (id < 0) return;
    const row = changetype<usize>(table.targets) + (<usize>id << 4);
    const a = load<i32>(row);
    if (a != NO_TARGET) applyFalcoTarget(this.doc, tape, a, value);
    const b = load<i32>(row, 4);
    if (b != NO_TARGET) { this.second.push(value); this.second.push(b); }
    const c = load<i32>(row, 8);
    if (c != NO_TARGET) { this.third.push(value); this.third.push(c); }
  }
}
const mergedVisitor = new MergedVisitor();

function mergedPass(doc: Doc, tok: i32, table: MergedTable, second: IntBuf, third: IntBuf): void {
  mergedVisitor.doc = doc;
  mergedVisitor.table = table;
  mergedVisitor.second = second;
  mergedVisitor.third = third;
  forEachPair(doc.tape, tok, mergedVisitor);
}

function applyNoted(doc: Doc, noted: IntBuf): void {
  const tape = doc.tape;
  for (let i = 0; i < noted.len; i += 2) applyPairTarget(doc, tape, noted.get(i + 1), noted.get(i));
}

/** Maps the cloud-source and current-payload fields of a runtime policy
 *  event, after mapRuntimeFields and mapRuntimeLabels read its
 *  `content.fields` and `labels`; runs before deriveFields so related.*
 *  sees them. */
export function mapRuntimeSource(doc: Doc): void {
  const tape = doc.tape;
  doc.setToken(F.OBSERVER_TYPE, unchecked(top[K_RAW_EVENT_ORIGINATOR]));
  applyNoted(doc, fieldsCloud);
  applyNoted(doc, labelsCloud);
  applyNoted(doc, labelsCloudLabels);
  setAwsProvider(doc, unchecked(top[K_LABELS]));
  setProviderFromSource(doc, tape, unchecked(top[K_SOURCE]));
  doc.addFrom(F.RELATED_HOSTS, F.SOURCE_DOMAIN);
}

/** aws.*, host.id and host.os.* labels, for any data type that has them. */
export function mapCloudLabels(doc: Doc, labels: i32): void {
  mapPairs(doc, labels, cloudLabelMapping);
  setAwsProvider(doc, labels);
}

/** cloud.provider "aws" when the cloud labels gave an account, region or
 *  instance and an aws.* label is there: only AWS names its labels aws.*;
 *  other providers come as cloudProvider.*. */
function setAwsProvider(doc: Doc, labels: i32): void {
  if (doc.has(F.CLOUD_ACCOUNT_ID) || doc.has(F.CLOUD_REGION) || doc.has(F.CLOUD_INSTANCE_ID)) {
    if (!doc.has(F.CLOUD_PROVIDER) && hasAwsLabel(doc, labels)) doc.setConst(F.CLOUD_PROVIDER, "aws");
  }
}

function hasAwsLabel(doc: Doc, labels: i32): bool {
  const tape = doc.tape;
  return hasKey(tape, labels, "aws.accountId") || hasKey(tape, labels, "aws.region") || hasKey(tape, labels, "aws.instanceId");
}

/** Whether `labels` (an object, or the [{key, value}] list Elasticsearch
 *  forwarding's KV_PAIRS option sends) has a member named `name`. */
function hasKey(tape: Tape, labels: i32, name: string): bool {
  if (labels < 0) return false;
  const it = labelEntries(tape);
  if (!it.start(labels)) return false;
  while (it.next()) if (tape.stringEquals(it.key, name)) return true;
  return false;
}

let keyEntries: Entries | null = null;

function labelEntries(tape: Tape): Entries {
  let it = keyEntries;
  if (it == null || it.tape != tape) { it = new Entries(tape); keyEntries = it; }
  return it;
}

/** cloud.provider from the source name when no label gave it. */
function setProviderFromSource(doc: Doc, tape: Tape, tok: i32): void {
  if (doc.has(F.CLOUD_PROVIDER) || tok < 0 || tape.kind(tok) != T_STR || tape.innerLen(tok) == 0) return;
  // Most sources ("syscall", "k8s_audit", "okta", …) are told by their first
  // byte: no comparison with each prefix.
  const first = tape.byteAt(tape.innerStart(tok));
  if (first != 0x61 /* a */ && first != 0x67 /* g */) return;
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
