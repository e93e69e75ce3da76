// Every field the normalizer can write, declared once: its ECS path, the type
// Elasticsearch maps it to, whether it holds a list, and the Splunk CIM field
// that carries it as an indexed field of the HEC envelope (none when "-").
// The mapping code sets values by these fields; the ECS and HEC writers only
// read this table, so both targets always agree.

import { words } from "../text/words";

export const TY_KEYWORD: i32 = 0; // any string; numbers and booleans become their text
export const TY_TEXT: i32 = 1;    // like keyword, for full-text fields
export const TY_LONG: i32 = 2;    // an integer in the i64 range
export const TY_DATE: i32 = 3;    // RFC 3339 text made by the normalizer
export const TY_IP: i32 = 4;      // IPv4 or IPv6 text, checked
export const TY_BOOL: i32 = 5;

const SPEC: string[] = [
  // path                                        type       list  cim
  "@timestamp                                    date       1     -",
  "agent.id                                      keyword    1     -",
  "cloud.account.id                              keyword    1     -",
  "cloud.availability_zone                       keyword    1     -",
  "cloud.provider                                keyword    1     -",
  "cloud.region                                  keyword    1     -",
  "container.id                                  keyword    1     container_id",
  "container.image.hash.all                      keyword    n     -",
  "container.image.name                          keyword    1     container_image",
  "container.image.tag                           keyword    n     -",
  "container.name                                keyword    1     container_name",
  "container.security_context.privileged         boolean    1     -",
  "destination.ip                                ip         1     dest_ip",
  "destination.port                              long       1     dest_port",
  "ecs.version                                   keyword    1     -",
  "error.message                                 text       1     error_message",
  "event.action                                  keyword    1     -",
  "event.category                                keyword    n     event_category",
  "event.created                                 date       1     -",
  "event.dataset                                 keyword    1     -",
  "event.duration                                long       1     duration",
  "event.end                                     date       1     -",
  "event.id                                      keyword    1     id",
  "event.kind                                    keyword    1     -",
  "event.module                                  keyword    1     -",
  "event.original                                keyword    1     -",
  "event.outcome                                 keyword    1     -",
  "event.provider                                keyword    1     -",
  "event.severity                                long       1     severity_id",
  "event.start                                   date       1     -",
  "event.type                                    keyword    n     -",
  "event.url                                     keyword    1     url",
  "file.directory                                keyword    1     -",
  "file.name                                     keyword    1     file_name",
  "file.path                                     keyword    1     file_path",
  "host.hostname                                 keyword    1     -",
  "host.mac                                      keyword    n     -",
  "host.name                                     keyword    1     dest",
  "log.level                                     keyword    1     severity",
  "message                                       text       1     -",
  "network.direction                             keyword    1     -",
  "network.iana_number                           keyword    1     -",
  "network.transport                             keyword    1     transport",
  "observer.product                              keyword    1     vendor_product",
  "observer.vendor                               keyword    1     -",
  "orchestrator.cluster.name                     keyword    1     cluster",
  "orchestrator.namespace                        keyword    1     namespace",
  "orchestrator.resource.name                    keyword    1     -",
  "orchestrator.resource.parent.type             keyword    1     -",
  "orchestrator.resource.type                    keyword    1     -",
  "orchestrator.type                             keyword    1     -",
  "process.command_line                          keyword    1     process",
  "process.executable                            keyword    1     process_path",
  "process.hash.sha256                           keyword    1     process_hash",
  "process.name                                  keyword    1     process_name",
  "process.parent.command_line                   keyword    1     -",
  "process.parent.executable                     keyword    1     -",
  "process.parent.name                           keyword    1     parent_process_name",
  "process.parent.parent.command_line            keyword    1     -",
  "process.parent.parent.executable              keyword    1     -",
  "process.parent.parent.name                    keyword    1     -",
  "process.parent.parent.parent.command_line     keyword    1     -",
  "process.parent.parent.parent.executable       keyword    1     -",
  "process.parent.parent.parent.name             keyword    1     -",
  "process.parent.parent.parent.parent.command_line keyword 1     -",
  "process.parent.parent.parent.parent.executable keyword   1     -",
  "process.parent.parent.parent.parent.name      keyword    1     -",
  "process.parent.parent.parent.parent.pid       long       1     -",
  "process.parent.parent.parent.pid              long       1     -",
  "process.parent.parent.pid                     long       1     -",
  "process.parent.pid                            long       1     parent_process_id",
  "process.pid                                   long       1     process_id",
  "process.working_directory                     keyword    1     process_current_directory",
  "related.hosts                                 keyword    n     -",
  "related.ip                                    ip         n     -",
  "related.user                                  keyword    n     -",
  "rule.author                                   keyword    n     -",
  "rule.category                                 keyword    1     -",
  "rule.description                              keyword    1     -",
  "rule.id                                       keyword    1     signature_id",
  "rule.name                                     keyword    1     signature",
  "rule.ruleset                                  keyword    1     rule",
  "rule.version                                  keyword    1     -",
  "source.ip                                     ip         1     src_ip",
  "source.port                                   long       1     src_port",
  "tags                                          keyword    n     tags",
  "threat.framework                              keyword    1     -",
  "threat.tactic.id                              keyword    n     mitre_tactic_id",
  "threat.tactic.name                            keyword    n     mitre_tactic",
  "threat.tactic.reference                       keyword    n     -",
  "threat.technique.id                           keyword    n     mitre_technique_id",
  "threat.technique.name                         keyword    n     mitre_technique",
  "threat.technique.reference                    keyword    n     -",
  "threat.technique.subtechnique.id              keyword    n     mitre_subtechnique_id",
  "threat.technique.subtechnique.name            keyword    n     -",
  "threat.technique.subtechnique.reference       keyword    n     -",
  "user.group.id                                 keyword    1     -",
  "user.group.name                               keyword    1     -",
  "user.id                                       keyword    1     user_id",
  "user.name                                     keyword    1     user",
  "user_agent.original                           keyword    1     http_user_agent",
  // Platform Audit, Benchmark, Host Scanning, cloud sources, Monitor events:
  "cloud.instance.id                             keyword    1     -",
  "cloud.project.id                              keyword    1     -",
  "cloud.service.name                            keyword    1     -",
  "entity.target.id                              keyword    1     -",
  "entity.target.sub_type                        keyword    1     -",
  "host.id                                       keyword    1     -",
  "host.os.name                                  keyword    1     os",
  "host.os.version                               keyword    1     -",
  "http.request.method                           keyword    1     http_method",
  "http.response.status_code                     long       1     status",
  "observer.type                                 keyword    1     -",
  "organization.id                               keyword    1     -",
  "source.domain                                 keyword    1     src",
  "url.original                                  keyword    1     -",
  "url.path                                      keyword    1     uri_path",
  "url.query                                     keyword    1     uri_query",
  "vulnerability.id                              keyword    n     cve",
  "vulnerability.scanner.vendor                  keyword    1     -",
  "vulnerability.severity                        keyword    1     -",
  // Falco alerts (map/falco_alert.ts)
  "log.syslog.severity.code                      long       1     -",
  "log.syslog.severity.name                      keyword    1     -",
  "observer.hostname                             keyword    1     dvc",
  // What Elastic's Sysdig and Falco integrations fill too (elasticsearch/README.md compares them):
  "client.domain                                 keyword    1     -",
  "client.ip                                     ip         1     -",
  "client.port                                   long       1     -",
  "cloud.instance.name                           keyword    1     -",
  "cloud.machine.type                            keyword    1     -",
  "cloud.project.name                            keyword    1     -",
  "container.runtime                             keyword    1     -",
  "destination.domain                            keyword    1     -",
  "event.sequence                                long       1     -",
  "file.inode                                    keyword    1     -",
  "file.type                                     keyword    1     -",
  "orchestrator.resource.id                      keyword    1     -",
  "orchestrator.resource.ip                      ip         n     -",
  "orchestrator.resource.label                   keyword    n     -",
  "process.args                                  keyword    n     -",
  "process.args_count                            long       1     -",
  "process.env_vars                              keyword    n     -",
  "process.group.id                              keyword    1     -",
  "process.group.name                            keyword    1     -",
  "process.group_leader.executable               keyword    1     -",
  "process.group_leader.name                     keyword    1     -",
  "process.group_leader.vpid                     long       1     -",
  "process.parent.start                          date       1     -",
  "process.parent.vpid                           long       1     -",
  "process.session_leader.executable             keyword    1     -",
  "process.session_leader.name                   keyword    1     -",
  "process.session_leader.pid                    long       1     -",
  "process.start                                 date       1     -",
  "process.thread.id                             long       1     -",
  "process.user.id                               keyword    1     -",
  "process.user.name                             keyword    1     -",
  "process.vpid                                  long       1     -",
  "related.hash                                  keyword    n     -",
  "server.domain                                 keyword    1     -",
  "server.ip                                     ip         1     -",
  "server.port                                   long       1     -",
  // The HEC envelope of Sysdig's HEC (Splunk) integration (map/hec_envelope.ts):
  // the forwarder's delivery metadata, kept in ECS's key/value labels.
  "labels.hec_host                               keyword    1     sysdig_hec_host",
  "labels.hec_index                              keyword    1     sysdig_hec_index",
  "labels.hec_source                             keyword    1     sysdig_hec_source",
  "labels.hec_sourcetype                         keyword    1     sysdig_hec_sourcetype",
];

/** One empty buffer for every field without a CIM name: the table's
 *  objects live as long as the module, and the collector visits every one
 *  of them on each cycle. */
const NO_KEY = new ArrayBuffer(0);

export class Field {
  path: string = "";
  type: i32;
  isList: bool;
  /** Splunk CIM name, or "" when the field is not indexed for Splunk. */
  cim: string = "";
  // Precomputed for the writers, which run on every record:
  /** One id per enclosing object (segments but the last), the same for
   *  every field inside the same object, so nesting is compared as ints. */
  parentIds: StaticArray<i32> = new StaticArray<i32>(0);
  /** `"segment":` in UTF-8, for every segment. */
  keys: StaticArray<ArrayBuffer> = new StaticArray<ArrayBuffer>(0);
  /** `"cim":` in UTF-8 (empty when cim is). */
  cimKey: ArrayBuffer = NO_KEY;
}

/** `"name":` in UTF-8, written byte by byte (no intermediate strings: the
 *  table is built on every instantiation). Paths and CIM names are ASCII. */
function jsonKey(name: string): ArrayBuffer {
  const n = name.length;
  const out = new ArrayBuffer(n + 3);
  const p = changetype<usize>(out);
  store<u8>(p, 0x22);
  for (let i = 0; i < n; i++) {
    const c = name.charCodeAt(i);
    if (c > 0x7e || c < 0x20 || c == 0x22 || c == 0x5c) unreachable();
    store<u8>(p + 1 + <usize>i, <u8>c);
  }
  store<u8>(p + 1 + <usize>n, 0x22);
  store<u8>(p + 2 + <usize>n, 0x3a);
  return out;
}

function parseType(name: string): i32 {
  if (name == "keyword") return TY_KEYWORD;
  if (name == "text") return TY_TEXT;
  if (name == "long") return TY_LONG;
  if (name == "date") return TY_DATE;
  if (name == "ip") return TY_IP;
  if (name == "boolean") return TY_BOOL;
  unreachable();
  return -1;
}

function buildFields(): Field[] {
  // Each row parsed once, then sorted by path: sorted paths keep the fields
  // of one object together, which lets the writer nest them in a single
  // pass.
  const rows: string[][] = [];
  for (let i = 0; i < SPEC.length; i++) rows.push(words(SPEC[i]));
  rows.sort((a: string[], b: string[]): i32 => {
    const pa = a[0];
    const pb = b[0];
    return pa < pb ? -1 : pa > pb ? 1 : 0;
  });
  const out: Field[] = [];
  const objectIds = new Map<string, i32>();
  for (let i = 0; i < rows.length; i++) {
    const w = rows[i];
    const f = new Field();
    const path = w[0];
    f.path = path;
    f.type = parseType(w[1]);
    f.isList = w[2] == "n";
    f.cim = w[3] == "-" ? "" : w[3];
    // Path segments, the last the leaf key (kept only as the writers' keys).
    let parents = 0;
    for (let c = 0; c < path.length; c++) if (path.charCodeAt(c) == 0x2e) parents++;
    f.parentIds = new StaticArray<i32>(parents);
    f.keys = new StaticArray<ArrayBuffer>(parents + 1);
    let from = 0;
    for (let s = 0; s <= parents; s++) {
      const to = s == parents ? path.length : path.indexOf(".", from);
      f.keys[s] = jsonKey(path.substring(from, to));
      if (s == parents) break;
      // The enclosing object's path with its dot, e.g. "process.parent.".
      const prefix = path.substring(0, to + 1);
      if (!objectIds.has(prefix)) objectIds.set(prefix, objectIds.size + 1);
      f.parentIds[s] = objectIds.get(prefix);
      from = to + 1;
    }
    if (f.cim.length > 0) f.cimKey = jsonKey(f.cim);
    FIELD_INDEX.set(f.path, out.length);
    out.push(f);
  }
  return out;
}

/** Field index by path, for field(): the mapping tables look up a few
 *  hundred paths when the module is instantiated. */
const FIELD_INDEX = new Map<string, i32>();
export const FIELDS: Field[] = buildFields();

/** Per field, one byte: its type, FIELD_LIST for a list, FIELD_CIM when it
 *  has a Splunk CIM name. The hot loops (type checks, the writers) read
 *  these for every field of every record; from FIELDS they take a chain of
 *  loads. */
export const FIELD_LIST: i32 = 0x10;
export const FIELD_CIM: i32 = 0x20;
export const FIELD_FLAGS: usize = fieldFlags();

function fieldFlags(): usize {
  const table = heap.alloc(<usize>FIELDS.length);
  for (let f = 0; f < FIELDS.length; f++) {
    const field = FIELDS[f];
    store<u8>(table + <usize>f, <u8>(field.type | (field.isList ? FIELD_LIST : 0) | (field.cim.length > 0 ? FIELD_CIM : 0)));
  }
  return table;
}

/** Field f's type (TY_*), from FIELD_FLAGS. */
@inline export function fieldType(f: i32): i32 { return <i32>load<u8>(FIELD_FLAGS + <usize>f) & 0xf; }

/** Index of the field with this ECS path. An unknown path is a programming
 *  error, caught when the module is instantiated in the tests. */
export function field(path: string): i32 {
  if (!FIELD_INDEX.has(path)) unreachable();
  return FIELD_INDEX.get(path);
}
