// Falco field names (runtime `content.fields`, legacy `fields`) and Sysdig
// labels (`labels`, legacy `eventLabels`) → ECS. Plain renames are declared
// in the tables; the few that need judgement have a handler code.

import { Doc } from "../ecs/doc";
import { Tape, T_STR, T_ARR, T_NUM as T_NUM_KIND, F_ESCAPED } from "../json/tape";
import { ByteBuf } from "../io/buffers";
import { decodeStringToken } from "../json/escape";
import { readSmallInt, Instant, writeRfc3339 } from "../text/time";
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
const H_START = -9;          // proc.pid.ts: ns since the epoch → process.start
const H_PARENT_START = -10;  // proc.ppid.ts → process.parent.start
const H_ARGS = -11;          // proc.args: noted, process.args once the executable is known
const H_CMDNARGS = -12;      // proc.cmdnargs: noted, process.args_count
const H_ENV = -13;           // proc.env: "A=1 B=2" → process.env_vars
const H_FD_TYPE = -14;       // fd.type file/directory → file.type file/dir
const H_EVT_TYPE = -15;      // evt.type: noted, event.type (common.ts deriveFields)
const H_LIST = -16;          // k8s.pod.labels: a list, or one value
const H_FD_DIRECTORY = -17;  // fd.directory, fd.filename: noted, file.* when fd.name is no path
const H_FD_FILENAME = -18;
/** Targets "a|b" set two fields from one value: the first pair's index is
 *  DUAL_BASE - target (see DUALS). */
const DUAL_BASE = -1000;

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
  "user.name", "user.name|process.user.name",
  "user.uid", "user.id|process.user.id",
  "user.loginname", "=related_user",
  "group.gid", "user.group.id|process.group.id",
  "group.name", "user.group.name|process.group.name",
  "container.id", "=container_id",
  "container.name", "=container_name",
  "container.image.repository", "container.image.name",
  "container.image.tag", "container.image.tag",
  "container.image.digest", "container.image.hash.all",
  "container.privileged", "container.security_context.privileged",
  "fd.name", "=fd_name",
  // Falco's client and server ends of a connection; source and destination
  // follow the same ends (the client starts it).
  "fd.sip", "destination.ip|server.ip",
  "fd.sport", "destination.port|server.port",
  "fd.cip", "source.ip|client.ip",
  "fd.cport", "source.port|client.port",
  "fd.sip.name", "destination.domain|server.domain",
  "fd.cip.name", "source.domain|client.domain",
  "fd.l4proto", "network.transport",
  "fd.type", "=fd_type",
  "fd.ino", "file.inode",
  "fd.directory", "=fd_directory",
  "fd.filename", "=fd_filename",
  "k8s.ns.name", "orchestrator.namespace",
  "k8s.pod.name", "=pod",
  "k8s.pod.uid", "orchestrator.resource.id",
  "k8s.pod.labels", "=list:orchestrator.resource.label",
  "k8s.pod.ip", "=list:orchestrator.resource.ip",
  "evt.res", "=evt_res",
  "evt.num", "event.sequence",
  "evt.type", "=evt_type",
  "falco.rule", "rule.name",
  "proc.pid.ts", "=start",
  "proc.ppid.ts", "=parent_start",
  "proc.args", "=args",
  "proc.cmdnargs", "=cmdnargs",
  "proc.env", "=env",
  "proc.vpid", "process.vpid",
  "proc.pvpid", "process.parent.vpid",
  "proc.sid", "process.session_leader.pid",
  "proc.sname", "process.session_leader.name",
  "proc.sid.exepath", "process.session_leader.executable",
  "proc.vpgid", "process.group_leader.vpid",
  "proc.vpgid.name", "process.group_leader.name",
  "proc.vpgid.exepath", "process.group_leader.executable",
  "thread.tid", "process.thread.id",
  "container.type", "container.runtime",
];

const LABELS: string[] = [
  "host.hostName", "host.name|host.hostname",
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
  // The machine's own labels on Google Cloud and Azure
  "gcp.instanceId", "cloud.instance.id",
  "gcp.instanceName", "cloud.instance.name",
  "gcp.machineType", "cloud.machine.type",
  "gcp.availabilityZone", "cloud.availability_zone",
  "gcp.projectName", "cloud.project.name",
  "azure.instanceId", "cloud.instance.id",
  "azure.instanceName", "cloud.instance.name",
  "azure.instanceSize", "cloud.machine.type",
];

/** Field pairs of the "a|b" targets, and the list fields of "=list:…". */
const DUALS: i32[] = [];

function target(name: string): i32 {
  const bar = name.indexOf("|");
  if (bar > 0) {
    const at = DUALS.length;
    DUALS.push(field(name.substring(0, bar)));
    DUALS.push(field(name.substring(bar + 1)));
    return DUAL_BASE - at;
  }
  if (name.startsWith("=list:")) {
    const at = DUALS.length;
    DUALS.push(field(name.substring(6)));
    DUALS.push(H_LIST);
    return DUAL_BASE - at;
  }
  if (name == "=start") return H_START;
  if (name == "=fd_directory") return H_FD_DIRECTORY;
  if (name == "=fd_filename") return H_FD_FILENAME;
  if (name == "=parent_start") return H_PARENT_START;
  if (name == "=args") return H_ARGS;
  if (name == "=cmdnargs") return H_CMDNARGS;
  if (name == "=env") return H_ENV;
  if (name == "=fd_type") return H_FD_TYPE;
  if (name == "=evt_type") return H_EVT_TYPE;
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
    setField(doc, to, v);
    return;
  }
  applyHandler(doc, tape, to, v);
}

/** A plain rename: field `to` gets value `v`; a Kubernetes field also says
 *  the orchestrator is Kubernetes. */
@inline function setField(doc: Doc, to: i32, v: i32): void {
  if (doc.setToken(to, v) && (to == F.ORCH_CLUSTER || to == F.ORCH_NAMESPACE || to == F.ORCH_RESOURCE_PARENT_TYPE)) {
    doc.setConst(F.ORCH_TYPE, "kubernetes");
  }
}

function applyHandler(doc: Doc, tape: Tape, handler: i32, v: i32): void {
  if (handler <= DUAL_BASE) {
    const at = DUAL_BASE - handler;
    const a = unchecked(DUALS[at]);
    const b = unchecked(DUALS[at + 1]);
    if (b == H_LIST) { addList(doc, tape, a, v); return; }
    setField(doc, a, v);
    setField(doc, b, v);
    return;
  }
  switch (handler) {
    case H_START: { setNanosDate(doc, F.PROCESS_START, v); break; }
    case H_PARENT_START: { setNanosDate(doc, F.PROCESS_PARENT_START, v); break; }
    case H_ARGS: { if (tape.kind(v) == T_STR) falcoNotes.args = v; break; }
    case H_FD_DIRECTORY: { falcoNotes.directory = v; break; }
    case H_FD_FILENAME: { falcoNotes.filename = v; break; }
    case H_CMDNARGS: { falcoNotes.argCount = readSmallInt(tape, v); break; }
    case H_ENV: { addWords(doc, F.PROCESS_ENV_VARS, v); break; }
    case H_FD_TYPE: {
      if (tape.stringEquals(v, "file")) doc.setConst(F.FILE_TYPE, "file");
      else if (tape.stringEquals(v, "directory")) doc.setConst(F.FILE_TYPE, "dir");
      break;
    }
    case H_EVT_TYPE: {
      if (tape.kind(v) == T_STR && falcoNotes.eventType < 0) falcoNotes.eventType = eventTypeOf(tape, v);
      break;
    }
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


/** What the Falco fields said that is set only once the record is mapped
 *  (common.ts deriveFields): process.args needs process.executable, which
 *  may come later in the record; event.type needs the event's categories. */
export class FalcoNotes {
  args: i32 = -1;
  argCount: i64 = -1;
  eventType: i32 = -1;
  directory: i32 = -1;
  filename: i32 = -1;
  reset(): void {
    this.args = -1; this.argCount = -1; this.eventType = -1; this.directory = -1; this.filename = -1;
  }
}
export const falcoNotes = new FalcoNotes();

// event.type by the system call Falco saw (evt.type), grouped by what the
// call does: ECS's allowed values, each with the event categories that take
// it (deriveFields keeps it only when the event has one of them).
export const ET_START = 0, ET_END = 1, ET_CONNECTION = 2, ET_ACCESS = 3, ET_CREATION = 4, ET_DELETION = 5, ET_CHANGE = 6;
export const EVENT_TYPE_NAMES: string[] = ["start", "end", "connection", "access", "creation", "deletion", "change"];
const SYSCALLS: string[] = [
  // a process starts
  "execve", "execveat", "clone", "clone3", "fork", "vfork",
  // a process ends, or is ended
  "exit", "exit_group", "kill", "tkill", "tgkill",
  // a connection is made, accepted, or carries data
  "connect", "accept", "accept4", "listen", "sendto", "sendmsg", "sendmmsg", "recvfrom", "recvmsg", "recvmmsg",
  // a file is opened, read or looked at
  "open", "openat", "openat2", "open_by_handle_at", "read", "readv", "pread", "preadv", "readlink", "readlinkat",
  "stat", "lstat", "fstat", "newfstatat", "statx", "access", "faccessat", "faccessat2", "getdents", "getdents64",
  // a file or directory is made
  "creat", "mkdir", "mkdirat", "symlink", "symlinkat", "link", "linkat", "mknod", "mknodat", "memfd_create",
  // a file or directory is removed
  "unlink", "unlinkat", "rmdir",
  // something is changed: file contents, names, owners and modes, a process's
  // identity, namespaces, mounts, descriptors, the kernel
  "write", "writev", "pwrite", "pwritev", "rename", "renameat", "renameat2", "chmod", "fchmod", "fchmodat",
  "chown", "fchown", "fchownat", "lchown", "truncate", "ftruncate", "setuid", "setgid", "setresuid", "setresgid",
  "setreuid", "setregid", "setns", "unshare", "mount", "umount", "umount2", "ptrace", "prctl", "capset", "bpf",
  "init_module", "finit_module", "delete_module", "dup", "dup2", "dup3", "ioctl", "setsockopt", "fcntl", "chdir",
  "fchdir", "sethostname", "settimeofday", "chroot", "pivot_root",
];
const SYSCALL_FIRST_OF: i32[] = [0, 6, 11, 21, 41, 51, 54];
const SYSCALL_TABLE = new KeyTable(SYSCALLS);
const syscallName = new ByteBuf();

function eventTypeOf(tape: Tape, v: i32): i32 {
  if ((tape.flags(v) & F_ESCAPED) != 0) return -1;
  const i = SYSCALL_TABLE.lookup(tape.ptr(tape.innerStart(v)), tape.innerLen(v));
  if (i < 0) return -1;
  let type = 0;
  while (type + 1 < SYSCALL_FIRST_OF.length && i >= SYSCALL_FIRST_OF[type + 1]) type++;
  return type;
}

/** A value that is a list (of strings) or one string, into a list field. */
function addList(doc: Doc, tape: Tape, f: i32, v: i32): void {
  if (tape.kind(v) != T_ARR) { doc.addToken(f, v); return; }
  const end = tape.next(v);
  let c = v + 1;
  while (c < end) {
    doc.addToken(f, c);
    c = tape.next(c);
  }
}

/** The blank-separated words of a string token, each a value of list field f. */
export function addWords(doc: Doc, f: i32, v: i32): void {
  const tape = doc.tape;
  if (v < 0 || tape.kind(v) != T_STR) return;
  syscallName.reset();
  decodeStringToken(syscallName, tape, v);
  addWordsOf(doc, f, syscallName);
}

export function addWordsOf(doc: Doc, f: i32, words: ByteBuf): void {
  let i = 0;
  const n = words.len;
  while (i < n) {
    while (i < n && isBlank(words.at(i))) i++;
    const from = i;
    while (i < n && !isBlank(words.at(i))) i++;
    if (i > from) {
      const s = doc.beginText();
      doc.text.bytes(words.ptr + <usize>from, i - from);
      doc.addText(f, s);
    }
  }
}

@inline function isBlank(c: i32): bool { return c == 0x20 || c == 0x09 || c == 0x0a || c == 0x0d; }

/** A date field from nanoseconds since the epoch (a number, or a string of
 *  digits): Falco's and Sysdig's proc.pid.ts and proc.ppid.ts, which are
 *  nanoseconds whatever their number of digits. */
function setNanosDate(doc: Doc, f: i32, v: i32): void {
  const tape = doc.tape;
  const kind = tape.kind(v);
  let p: i32, end: i32;
  if (kind == T_NUM_KIND) { p = tape.start(v); end = tape.end(v); }
  else if (kind == T_STR && (tape.flags(v) & F_ESCAPED) == 0) { p = tape.innerStart(v); end = p + tape.innerLen(v); }
  else return;
  const n = end - p;
  if (n < 1 || n > 19) return;
  let ns: i64 = 0;
  for (let i = p; i < end; i++) {
    const c = tape.byteAt(i);
    if (c < 0x30 || c > 0x39) return;
    const d = <i64>(c - 0x30);
    if (ns > (i64.MAX_VALUE - d) / 10) return;
    ns = ns * 10 + d;
  }
  nanosInstant.seconds = ns / 1000000000;
  nanosDigits.reset();
  nanosDigits.padded(ns % 1000000000, 9);
  nanosInstant.fracPtr = nanosDigits.ptr;
  nanosInstant.fracLen = 9;
  nanosInstant.valid = true;
  const s = doc.beginText();
  writeRfc3339(doc.text, nanosInstant);
  doc.setText(f, s);
}
const nanosInstant = new Instant();
const nanosDigits = new ByteBuf();
