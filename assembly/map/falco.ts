// Falco field names (runtime `content.fields`, legacy `fields`) and Sysdig
// labels (`labels`, legacy `eventLabels`) → ECS. Plain renames are declared
// in the tables; the few that need judgement have a handler code.

import { Doc } from "../ecs/doc";
import { Tape, T_STR } from "../json/tape";
import { KeyTable } from "../text/keytable";
import { writeMac } from "../text/net";
import { forEachPair } from "./entries";
import { field } from "../ecs/fields";
import * as F from "./ids";

// Handler codes for values that are not plain renames.
const H_FD_NAME = -1;        // a path only when it is a file
const H_CONTAINER_ID = -2;   // "host" means no container
const H_CONTAINER_NAME = -3;
const H_POD = -4;            // also says the resource is a pod
const H_EVT_RES = -5;        // SUCCESS → success, else failure
const H_RELATED_USER = -6;
const H_MAC = -7;
const H_K8S = -8;            // any other Kubernetes label: orchestrator.type only

const FALCO: string[] = [
  "proc.name", "process.name",
  "proc.exepath", "process.executable",
  "proc.cmdline", "process.command_line",
  "proc.pid", "process.pid",
  "proc.cwd", "process.working_directory",
  "proc.hash.sha256", "process.hash.sha256",
  "proc.pname", "process.parent.name",
  "proc.pexepath", "process.parent.executable",
  "proc.pcmdline", "process.parent.command_line",
  "proc.ppid", "process.parent.pid",
  "proc.aname[1]", "process.parent.name",
  "proc.aname[2]", "process.parent.parent.name",
  "proc.aname[3]", "process.parent.parent.parent.name",
  "proc.aname[4]", "process.parent.parent.parent.parent.name",
  "proc.aexepath[1]", "process.parent.executable",
  "proc.aexepath[2]", "process.parent.parent.executable",
  "proc.aexepath[3]", "process.parent.parent.parent.executable",
  "proc.aexepath[4]", "process.parent.parent.parent.parent.executable",
  "proc.acmdline[1]", "process.parent.command_line",
  "proc.acmdline[2]", "process.parent.parent.command_line",
  "proc.acmdline[3]", "process.parent.parent.parent.command_line",
  "proc.acmdline[4]", "process.parent.parent.parent.parent.command_line",
  "proc.apid[1]", "process.parent.pid",
  "proc.apid[2]", "process.parent.parent.pid",
  "proc.apid[3]", "process.parent.parent.parent.pid",
  "proc.apid[4]", "process.parent.parent.parent.parent.pid",
  "user.name", "user.name",
  "user.uid", "user.id",
  "user.loginname", "=related_user",
  "group.gid", "user.group.id",
  "group.name", "user.group.name",
  "container.id", "=container_id",
  "container.name", "=container_name",
  "container.image.repository", "container.image.name",
  "container.image.tag", "container.image.tag",
  "container.image.digest", "container.image.hash.all",
  "container.privileged", "container.security_context.privileged",
  "fd.name", "=fd_name",
  "fd.sip", "destination.ip",
  "fd.sport", "destination.port",
  "fd.cip", "source.ip",
  "fd.cport", "source.port",
  "fd.l4proto", "network.transport",
  "k8s.ns.name", "orchestrator.namespace",
  "k8s.pod.name", "=pod",
  "evt.res", "=evt_res",
  "falco.rule", "rule.name",
];

const LABELS: string[] = [
  "host.hostName", "host.name",
  "host.mac", "=mac",
  "kubernetes.cluster.name", "orchestrator.cluster.name",
  "kubernetes.namespace.name", "orchestrator.namespace",
  "kubernetes.pod.name", "=pod",
  "kubernetes.workload.type", "orchestrator.resource.parent.type",
  "kubernetes.workload.name", "=k8s",
  "kubernetes.node.name", "=k8s",
  "container.id", "=container_id",
  "container.name", "=container_name",
  "container.image.repo", "container.image.name",
  "container.image.repository", "container.image.name",
  "container.image.tag", "container.image.tag",
  "container.image.digest", "container.image.hash.all",
  "cloudProvider.name", "cloud.provider",
  "cloudProvider.region", "cloud.region",
  "cloudProvider.account.id", "cloud.account.id",
  "cloudProvider.availabilityZone", "cloud.availability_zone",
];

function target(name: string): i32 {
  if (name == "=fd_name") return H_FD_NAME;
  if (name == "=container_id") return H_CONTAINER_ID;
  if (name == "=container_name") return H_CONTAINER_NAME;
  if (name == "=pod") return H_POD;
  if (name == "=evt_res") return H_EVT_RES;
  if (name == "=related_user") return H_RELATED_USER;
  if (name == "=mac") return H_MAC;
  if (name == "=k8s") return H_K8S;
  return field(name);
}

export class Mapping {
  keys: KeyTable = new KeyTable([]);
  targets: i32[] = [];
  constructor(pairs: string[]) {
    const names: string[] = [];
    for (let i = 0; i < pairs.length; i += 2) {
      names.push(pairs[i]);
      this.targets.push(target(pairs[i + 1]));
    }
    this.keys = new KeyTable(names);
  }
}

/** Falco field names → targets (applyFalcoTarget). */
export const falcoMapping = new Mapping(FALCO);
/** Sysdig label names → targets (applyFalcoTarget). */
export const labelMapping = new Mapping(LABELS);
/** Maps each pair it is given through one of this file's tables. */
class TableVisitor {
  doc: Doc = changetype<Doc>(0);
  constructor(public mapping: Mapping) {}
  @inline pair(tape: Tape, key: i32, value: i32): void {
    const id = this.mapping.keys.lookupToken(tape, key);
    if (id >= 0) applyFalcoTarget(this.doc, tape, unchecked(this.mapping.targets[id]), value);
  }
}
const falcoVisitor = new TableVisitor(falcoMapping);
const labelVisitor = new TableVisitor(labelMapping);

/** Maps Falco fields given as an object or a [{key,value}] list. */
export function mapFalcoFields(doc: Doc, tok: i32): void {
  falcoVisitor.doc = doc;
  forEachPair(doc.tape, tok, falcoVisitor);
}

/** Maps Sysdig labels given as an object or a [{key,value}] list. Any
 *  Kubernetes label also sets orchestrator.type. */
export function mapLabels(doc: Doc, tok: i32): void {
  labelVisitor.doc = doc;
  forEachPair(doc.tape, tok, labelVisitor);
}

/** Maps value `v` to `to`, a target of this file's tables (a field, or a
 *  handler code). */
@inline export function applyFalcoTarget(doc: Doc, tape: Tape, to: i32, v: i32): void {
  if (to >= 0) {
    if (doc.setToken(to, v) && (to == F.ORCH_CLUSTER || to == F.ORCH_NAMESPACE || to == F.ORCH_RESOURCE_PARENT_TYPE)) {
      doc.setConst(F.ORCH_TYPE, "kubernetes");
    }
    return;
  }
  applyHandler(doc, tape, to, v);
}

function applyHandler(doc: Doc, tape: Tape, handler: i32, v: i32): void {
  switch (handler) {
    case H_FD_NAME: {
      // fd.name is also set for sockets ("10.0.0.1:80->…"); only an absolute
      // path is a file.
      if (tape.kind(v) == T_STR && tape.innerLen(v) > 0 && tape.byteAt(tape.innerStart(v)) == 0x2f) doc.setToken(F.FILE_PATH, v);
      break;
    }
    case H_CONTAINER_ID: {
      if (!tape.stringEquals(v, "host")) doc.setToken(F.CONTAINER_ID, v);
      break;
    }
    case H_CONTAINER_NAME: {
      if (!tape.stringEquals(v, "host")) doc.setToken(F.CONTAINER_NAME, v);
      break;
    }
    case H_POD: {
      if (doc.setToken(F.ORCH_RESOURCE_NAME, v)) doc.setConst(F.ORCH_RESOURCE_TYPE, "pod");
      doc.setConst(F.ORCH_TYPE, "kubernetes");
      break;
    }
    case H_EVT_RES: {
      if (tape.kind(v) == T_STR && tape.innerLen(v) > 0) {
        doc.setConst(F.EVENT_OUTCOME, tape.stringEquals(v, "SUCCESS") ? "success" : "failure");
      }
      break;
    }
    case H_RELATED_USER: {
      doc.addToken(F.RELATED_USER, v);
      break;
    }
    case H_MAC: {
      if (tape.kind(v) != T_STR) break;
      const s = doc.beginText();
      if (writeMac(doc.text, tape.ptr(tape.innerStart(v)), tape.innerLen(v))) doc.addText(F.HOST_MAC, s);
      else doc.text.len = s;
      break;
    }
    case H_K8S: {
      // An empty label (host scanning sends "kubernetes.node.name": "") says nothing.
      if (tape.kind(v) != T_STR || tape.innerLen(v) > 0) doc.setConst(F.ORCH_TYPE, "kubernetes");
      break;
    }
  }
}

