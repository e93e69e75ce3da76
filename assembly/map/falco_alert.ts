// Falco's JSON alerts and Falcosidekick's forwarded payloads. The Falco
// fields in `output_fields` are the ones Sysdig's runtime policy events
// carry, so they go through the same mapper (falco.ts); the plugin fields
// only Falco sends follow (falco_plugin_fields.ts).
//
//   time           → @timestamp, digit for digit (and the Splunk time)
//   uuid           → event.id (Falcosidekick); else a hash of the alert's
//                    own fields (event_id.ts), the same in the VRL port
//   priority       → event.severity, log.level, log.syslog.severity.*
//   rule           → rule.name
//   output         → message (Falco's `message` when output is switched off)
//   tags           → tags, threat.* for the MITRE ones
//   source         → event.provider, event.dataset falco.<source>
//   hostname       → observer.hostname; host.name too for host events
//   output_fields  → process.*, user.*, container.*, orchestrator.*, …

import { Doc } from "../ecs/doc";
import { Tape, T_STR, F_ESCAPED } from "../json/tape";
import { writeRfc3339 } from "../text/time";
import { readRfc3339 } from "../text/rfc3339";
import {
  falcoTop, FK_RULE, FK_PRIORITY, FK_TIME, FK_OUTPUT, FK_OUTPUT_FIELDS, FK_SOURCE, FK_TAGS, FK_HOSTNAME,
  FK_UUID, FK_MESSAGE,
} from "./falco_detect";
import { falcoPriorityCode, syslogSeverityName } from "./falco_priority";
import { severityLabel } from "./severity";
import { mapFalcoFields } from "./falco";
import { mapFalcoPluginFields } from "./falco_plugin_fields";
import { eventTime, setTags, deriveFields } from "./common";
import { writeFalcoEventIdHex } from "./event_id";
import * as F from "./ids";

/** Longest source name used as a dataset suffix. */
const MAX_SOURCE_IN_DATASET = 64;

@inline function k(i: i32): i32 { return unchecked(falcoTop[i]); }

export function mapFalcoAlert(doc: Doc): void {
  const tape = doc.tape;
  doc.setConst(F.EVENT_KIND, "alert");
  doc.setConst(F.EVENT_MODULE, "falco");
  doc.setConst(F.OBSERVER_VENDOR, "Falcosecurity");
  doc.setConst(F.OBSERVER_PRODUCT, "Falco");
  if (!doc.setToken(F.EVENT_ID, k(FK_UUID))) {
    const s = doc.beginText();
    writeFalcoEventIdHex(doc.text, tape);
    doc.setText(F.EVENT_ID, s);
  }

  if (readRfc3339(tape, k(FK_TIME), eventTime)) {
    const s = doc.beginText();
    writeRfc3339(doc.text, eventTime);
    doc.setText(F.TIMESTAMP, s);
  }

  const code = falcoPriorityCode(tape, k(FK_PRIORITY));
  if (code >= 0) {
    let s = doc.beginText();
    doc.text.int(code);
    doc.setText(F.EVENT_SEVERITY, s);
    s = doc.beginText();
    doc.text.int(code);
    doc.setText(F.LOG_SYSLOG_SEVERITY_CODE, s);
    doc.setConst(F.LOG_SYSLOG_SEVERITY_NAME, syslogSeverityName(code));
    doc.setConst(F.LOG_LEVEL, severityLabel(code));
  }

  doc.setToken(F.RULE_NAME, k(FK_RULE));
  if (!doc.setToken(F.MESSAGE, k(FK_OUTPUT))) doc.setToken(F.MESSAGE, k(FK_MESSAGE));
  setTags(doc, k(FK_TAGS));

  const source = k(FK_SOURCE);
  doc.setToken(F.EVENT_PROVIDER, source);
  setDataset(doc, tape, source);

  // Falco names the machine it runs on. For system calls (and Falco's own
  // `internal` events) that is the host the event happened on; for plugin
  // sources (Kubernetes audit, CloudTrail, …) it is only the observer.
  const hostname = k(FK_HOSTNAME);
  doc.setToken(F.OBSERVER_HOSTNAME, hostname);
  if (source < 0 || isHostSource(tape, source)) {
    doc.setToken(F.HOST_NAME, hostname);
    doc.setToken(F.HOST_HOSTNAME, hostname);
  }

  const fields = k(FK_OUTPUT_FIELDS);
  mapFalcoFields(doc, fields);
  mapFalcoPluginFields(doc, fields);
  deriveFields(doc, true);
}

/** Falcosidekick sets a missing source (Falco before 0.30) to "syscalls". */
function isHostSource(tape: Tape, source: i32): bool {
  return tape.stringEquals(source, "syscall") || tape.stringEquals(source, "syscalls") ||
    tape.stringEquals(source, "internal");
}

/** event.dataset falco.<source> when the source is a plain lower-case name
 *  (every Falco source and plugin name is); falco.alert otherwise. */
function setDataset(doc: Doc, tape: Tape, source: i32): void {
  if (source >= 0 && tape.kind(source) == T_STR && (tape.flags(source) & F_ESCAPED) == 0 &&
      tape.innerLen(source) > 0 && tape.innerLen(source) <= MAX_SOURCE_IN_DATASET) {
    const p = tape.innerStart(source);
    const n = tape.innerLen(source);
    let plain = true;
    for (let i = 0; i < n; i++) {
      const c = tape.byteAt(p + i);
      if (!((c >= 0x61 && c <= 0x7a) || (c >= 0x30 && c <= 0x39) || c == 0x5f)) { plain = false; break; }
    }
    if (plain) {
      const s = doc.beginText();
      doc.text.ascii("falco.");
      // Falcosidekick's "syscalls" is Falco's "syscall".
      if (tape.stringEquals(source, "syscalls")) doc.text.ascii("syscall");
      else doc.text.bytes(tape.ptr(p), n);
      doc.setText(F.EVENT_DATASET, s);
      return;
    }
  }
  doc.setConst(F.EVENT_DATASET, "falco.alert");
}
