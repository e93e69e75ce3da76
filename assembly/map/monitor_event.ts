// Monitor events as Sysdig's events API (and the Monitor events channel of
// Event Forwarding) describes them: `id`, `createdOn` and `occurredAt`
// (RFC 3339), `name`, `description`, `severity` (0–7, 0 most severe),
// `scopeLabels` [{key, value: [..]}], `scope`, and for alert events
// `alertId`, `alertState` (TRIGGERED, RESOLVED) and `endedAt`. Custom events
// add `source`. An alert event is an ECS alert; a custom event an event.
// (Source: sysdiglabs/sysdig-sdk-python docs/reference/AlertMonitorEvent.md
// and CustomMonitorEvent.md; no real forwarded record was available.)

import { Doc } from "../ecs/doc";
import { Instant } from "../text/time";
import {
  top, K_ID, K_TYPE, K_NAME, K_DESCRIPTION, K_SEVERITY, K_SOURCE, K_OCCURRED_AT, K_CREATED_ON, K_ENDED_AT,
  K_ALERT_ID, K_ALERT_STATE, K_SCOPE_LABELS,
} from "./detect";
import { setRfc3339Date } from "./clock";
import { eventTime, setSeverity, deriveFields } from "./common";
import { PairMapping, mapPairs } from "./pairs";
import * as F from "./ids";

// Sysdig's scope label names (Prometheus style) → ECS.
const SCOPE: string[] = [
  "host_hostname", "host.name",
  "host.hostName", "host.name",
  "kube_cluster_name", "orchestrator.cluster.name",
  "kubernetes.cluster.name", "orchestrator.cluster.name",
  "kube_namespace_name", "orchestrator.namespace",
  "kubernetes.namespace.name", "orchestrator.namespace",
  "kube_pod_name", "=pod",
  "kubernetes.pod.name", "=pod",
  "container_name", "container.name",
  "container.name", "container.name",
  "container_id", "container.id",
  "container.id", "container.id",
  "cloud_provider_region", "cloud.region",
  "cloud_provider_account_id", "cloud.account.id",
];
const scopeMapping = new PairMapping(SCOPE);

const endTime = new Instant();

@inline function t(k: i32): i32 { return unchecked(top[k]); }

export function mapMonitorEvent(doc: Doc): void {
  const tape = doc.tape;
  const isAlert = tape.stringEquals(t(K_TYPE), "ALERT") || t(K_ALERT_ID) >= 0 || t(K_ALERT_STATE) >= 0;
  doc.setConst(F.EVENT_KIND, isAlert ? "alert" : "event");
  doc.setConst(F.OBSERVER_PRODUCT, "Sysdig Monitor");
  doc.addConst(F.EVENT_CATEGORY, "host");
  doc.addConst(F.EVENT_TYPE, "info");
  doc.setToken(F.EVENT_ID, t(K_ID));
  // When it happened, else when Sysdig recorded it.
  if (!setRfc3339Date(doc, F.TIMESTAMP, t(K_OCCURRED_AT), eventTime)) setRfc3339Date(doc, F.TIMESTAMP, t(K_CREATED_ON), eventTime);
  setRfc3339Date(doc, F.EVENT_END, t(K_ENDED_AT), endTime);
  setSeverity(doc, t(K_SEVERITY));
  doc.setToken(F.EVENT_PROVIDER, t(K_SOURCE));
  doc.setToken(F.EVENT_ACTION, t(K_ALERT_STATE));
  doc.setToken(F.RULE_ID, t(K_ALERT_ID));
  if (isAlert) doc.setToken(F.RULE_NAME, t(K_NAME));
  if (!doc.setToken(F.MESSAGE, t(K_DESCRIPTION))) doc.setToken(F.MESSAGE, t(K_NAME));
  mapPairs(doc, t(K_SCOPE_LABELS), scopeMapping);
  deriveFields(doc, false);
}
