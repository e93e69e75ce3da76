// LEEF 2.0 (IBM QRadar) keys of the normalized event, by ECS path (the fields
// are declared in ecs/fields.ts; row format in siem/keys.ts). QRadar's
// predefined keys first (devTime, src, dst, srcPort, dstPort, proto, usrName,
// cat, policy, url, identSrc, sev), then custom keys named in camelCase.
// Limits: usrName 255 as QRadar's table says; every other text value 4000,
// the size of a CEF custom string, so that a line has a known largest size.

import { KeyRow, parseKeyRows } from "../siem/keys";
import { field } from "../ecs/fields";

const LEEF_SPEC: string[] = [
  // ECS path                                  key                limit form
  "@timestamp                                  devTime            -     ms13",
  "rule.name                                   cat                4000  text",
  "event.action                                cat                4000  text",
  "event.kind                                  cat                4000  text",
  "source.ip                                   src                -     ip",
  "source.port                                 srcPort            -     port",
  "destination.ip                              dst                -     ip",
  "destination.port                            dstPort            -     port",
  "network.transport                           proto              4000  text",
  "user.name                                   usrName            255   text",
  "rule.ruleset                                policy             4000  text",
  "event.url                                   url                4000  text",
  "event.id                                    externalId         4000  text",
  "message                                     msg                4000  text",
  "event.original                              msg                4000  text",
  "error.message                               reason             4000  text",
  "event.action                                action             4000  text",
  "event.category                              eventCategory      4000  list",
  "event.dataset                               dataset            4000  text",
  "event.severity                              sysdigSeverity     -     int",
  "host.name                                   hostName           4000  text",
  "agent.id                                    agentId            4000  text",
  "network.direction                           direction          4000  text",
  "user.id                                     userId             4000  text",
  "process.name                                processName        4000  text",
  "process.pid                                 processId          -     int",
  "process.command_line                        commandLine        4000  text",
  "process.parent.name                         parentProcessName  4000  text",
  "process.parent.pid                          parentProcessId    -     int",
  "file.path                                   filePath           4000  text",
  "file.name                                   fileName           4000  text",
  "user_agent.original                         userAgent          4000  text",
  "container.id                                containerId        4000  text",
  "container.name                              containerName      4000  text",
  "container.image.name                        containerImage     4000  text",
  "orchestrator.namespace                      k8sNamespace       4000  text",
  "orchestrator.resource.type                  k8sResourceType    4000  text",
  "orchestrator.resource.name                  k8sResourceName    4000  text",
  "orchestrator.cluster.name                   k8sCluster         4000  text",
  "threat.framework                            threatFramework    4000  text",
  "threat.tactic.id                            threatTacticId     4000  list",
  "threat.technique.id                         threatTechniqueId  4000  list",
  "threat.technique.subtechnique.id            threatSubtechniqueId 4000 list",
  "event.start                                 startTime          -     ms",
  "event.end                                   endTime            -     ms",
];

let leefKeys: KeyRow[] | null = null;

/** The key table, parsed at its first use: only sysdig_to_leef needs it,
 *  and Fluent Bit before 4.1 instantiates the module afresh for every
 *  filter call, so what the start function builds is paid on every call. */
export function leefKeyRows(): KeyRow[] {
  let rows = leefKeys;
  if (rows === null) {
    rows = parseKeyRows(LEEF_SPEC);
    leefKeys = rows;
  }
  return rows;
}

/** Which values were cut: `cutValues=msg:4000/5321` (key, code units kept,
 *  code units sent). */
export const LEEF_CUT_KEY = "cutValues";

/** identSrc (QRadar's identity address) is written, from the source address,
 *  only when the event also names its user: then the address is the one the
 *  user acted from. */
export const LEEF_IDENT_SRC = field("source.ip");
export const LEEF_IDENT_USER = field("user.name");

export const LEEF_VENDOR: i32[] = [field("observer.vendor")];
export const LEEF_PRODUCT: i32[] = [field("observer.product")];
