// The record handed to Fluent Bit's `syslog` output: the CEF or LEEF line in
// `message` (the output adds the syslog header), and the keys its
// syslog_severity_key, syslog_hostname_key, syslog_appname_key and
// syslog_msgid_key options read:
//   syslog_severity  0–7 (siem/severity.ts)
//   syslog_hostname  host.name in printable ASCII (RFC 5424 HOSTNAME: bytes
//                    outside ! … ~ become "_", at most 255), else "sysdig"
//   syslog_appname   "sysdig"
//   syslog_msgid     the event kind (the Splunk sourcetype), at most 32 bytes

import { ByteBuf } from "../io/buffers";
import { Doc } from "../ecs/doc";
import { writeEscaped } from "../json/escape";
import * as F from "../map/ids";
import { SEV_NONE, SEV_PIPELINE_ERROR } from "./severity";

const host = new ByteBuf();
const scratch = new ByteBuf();

export function writeSyslogRecord(out: ByteBuf, line: ByteBuf, doc: Doc, kind: string, syslogSev: i32): void {
  out.ascii("{\"message\":\"");
  writeEscaped(out, line.ptr, line.len);
  out.ascii("\",\"syslog_severity\":\"");
  out.byte(0x30 + syslogSev);
  out.ascii("\",\"syslog_hostname\":\"");
  host.reset();
  if (doc.valueText(F.HOST_NAME, host) && host.len > 0) {
    const n = host.len < 255 ? host.len : 255;
    for (let i = 0; i < n; i++) {
      const c = <i32>load<u8>(host.ptr + <usize>i);
      // Only ! … ~ is left: none of it needs escaping in JSON but " and \.
      out.byte(c < 0x21 || c > 0x7e || c == 0x22 || c == 0x5c ? 0x5f : c);
    }
  } else {
    out.ascii("sysdig");
  }
  out.ascii("\",\"syslog_appname\":\"sysdig\",\"syslog_msgid\":\"");
  // Kinds are the module's own ASCII constants: nothing to escape.
  out.ascii(kind.length > 32 ? kind.substring(0, 32) : kind);
  out.ascii("\"}");
  host.trim();
}

/** Sysdig's severity of the event (0–7), SEV_NONE, or SEV_PIPELINE_ERROR. */
export function sysdigSeverity(doc: Doc): i32 {
  scratch.reset();
  if (doc.valueText(F.EVENT_KIND, scratch) && equals(scratch, "pipeline_error")) return SEV_PIPELINE_ERROR;
  scratch.reset();
  if (!doc.valueText(F.EVENT_SEVERITY, scratch) || scratch.len != 1) return SEV_NONE;
  const d = <i32>load<u8>(scratch.ptr) - 0x30;
  return d >= 0 && d <= 7 ? d : SEV_NONE;
}

/** Appends the first of `fields` that the event has (decoded UTF-8) to `to`;
 *  false if none. */
export function firstValue(doc: Doc, fields: i32[], to: ByteBuf): bool {
  for (let i = 0; i < fields.length; i++) {
    const start = to.len;
    if (doc.valueText(unchecked(fields[i]), to) && to.len > start) return true;
    to.len = start;
  }
  return false;
}

function equals(b: ByteBuf, s: string): bool {
  if (b.len != s.length) return false;
  for (let i = 0; i < b.len; i++) if (<i32>load<u8>(b.ptr + <usize>i) != s.charCodeAt(i)) return false;
  return true;
}
