// CEF (ArcSight Common Event Format) keys of the normalized event, by ECS
// path (the fields are declared in ecs/fields.ts; row format in siem/keys.ts).
// Limits are the CEF Implementation Standard's. `src`/`dst` take IPv4 only;
// an IPv6 address goes to c6a2 (source) or c6a3 (destination), labelled.
// Container and Kubernetes values go to labelled custom strings. frameworkName
// and threatAttackID are CEF 1.2 keys, hence the `CEF:1` header.
// `rt` comes last: it is always there and ends in a digit, so the last value
// never ends in a space (CEF does not keep trailing spaces of the last value).

import { KeyRow, parseKeyRows } from "../siem/keys";
import { field } from "../ecs/fields";

const CEF_SPEC: string[] = [
  // ECS path                                  key                limit form   label
  "event.id                                    externalId         40    text",
  "message                                     msg                1023  text",
  "event.original                              msg                1023  text",
  "error.message                               reason             1023  text",
  "event.action                                act                63    text",
  "event.outcome                               outcome            63    text",
  "rule.ruleset                                cat                1023  text",
  "event.dataset                               cat                1023  text",
  "host.name                                   dvchost            100   text",
  "agent.id                                    deviceExternalId   255   text",
  "source.ip                                   src                -     ipv4",
  "source.ip                                   c6a2               -     ipv6   Source IPv6 address",
  "source.port                                 spt                -     port",
  "destination.ip                              dst                -     ipv4",
  "destination.ip                              c6a3               -     ipv6   Destination IPv6 address",
  "destination.port                            dpt                -     port",
  "source.domain                               shost              1023  text",
  "destination.domain                          dhost              1023  text",
  "network.transport                           proto              31    text",
  "network.direction                           deviceDirection    -     dir01",
  "user.name                                   suser              1023  text",
  "user.id                                     suid               1023  text",
  "process.name                                sproc              1023  text",
  "process.pid                                 spid               -     int32",
  "file.path                                   filePath           1023  text",
  "file.name                                   fname              1023  text",
  "file.inode                                  fileId             1023  text",
  "file.type                                   fileType           1023  text",
  "event.url                                   request            1023  text",
  "user_agent.original                         requestClientApplication 1023 text",
  "threat.framework                            frameworkName      256   text",
  "threat.technique.subtechnique.id            threatAttackID     32    text",
  "threat.technique.id                         threatAttackID     32    text",
  "threat.tactic.id                            threatAttackID     32    text",
  "container.id                                cs1                4000  text   Container ID",
  "container.image.name                        cs2                4000  text   Container image",
  "container.name                              cs3                4000  text   Container name",
  "orchestrator.namespace                      cs4                4000  text   Kubernetes namespace",
  "orchestrator.resource.name                  cs5                4000  text   Kubernetes resource",
  "process.command_line                        cs6                4000  text   Command line",
  "orchestrator.cluster.name                   flexString1        1023  text   Kubernetes cluster",
  "event.severity                              cn1                -     int    Sysdig severity",
  "process.parent.pid                          cn2                -     int    Parent process ID",
  "event.start                                 start              -     ms",
  "event.end                                   end                -     ms",
  "@timestamp                                  rt                 -     ms",
];

let cefKeys: KeyRow[] | null = null;

/** The key table, parsed at its first use: only sysdig_to_cef needs it,
 *  and Fluent Bit before 4.1 instantiates the module afresh for every
 *  filter call, so what the start function builds is paid on every call. */
export function cefKeyRows(): KeyRow[] {
  let rows = cefKeys;
  if (rows === null) {
    rows = parseKeyRows(CEF_SPEC);
    cefKeys = rows;
  }
  return rows;
}

/** Where the line says which values were cut: `flexString2=msg:1023/5321`
 *  (key, code units kept, code units sent). */
export const CEF_CUT_KEY = "flexString2";
export const CEF_CUT_LABEL = "Cut values (key:kept/sent)";

/** Header sources, first present wins. */
export const CEF_VENDOR: i32[] = [field("observer.vendor")];
export const CEF_PRODUCT: i32[] = [field("observer.product")];
export const CEF_NAME: i32[] = [field("rule.name"), field("event.action"), field("message"), field("error.message")];
