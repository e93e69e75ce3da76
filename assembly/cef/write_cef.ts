// One CEF line for Fluent Bit's `syslog` output (see siem/record.ts):
//   CEF:1|<vendor>|<product>|<version>|<event class id>|<name>|<severity>|<extension>
//   vendor           observer.vendor ("Sysdig")
//   product          observer.product, else "Sysdig"
//   version          this normalizer's release
//   event class id   the event kind (the Splunk sourcetype): one stable id per
//                    kind of event, e.g. sysdig:secure:policy
//   name             rule.name, else event.action, else message, else
//                    error.message, else the kind
//   severity         0–10, crosswalk in siem/severity.ts
//   extension        cef/keys.ts, escaped per the standard; cut values listed
//                    in flexString2

import { ByteBuf } from "../io/buffers";
import { Doc } from "../ecs/doc";
import { ESC_CEF_HEADER, ESC_CEF_EXT } from "../siem/text";
import { beginPairs, writePairs, writeTextPair, cutNote, trimPairs } from "../siem/pairs";
import { writeSyslogRecord, sysdigSeverity } from "../siem/record";
import { cefSeverity, syslogSeverity } from "../siem/severity";
import { DEVICE_VERSION } from "../siem/version";
import { writeHeaderField, trimHeader, NO_FIELDS } from "../siem/header";
import { cefKeyRows, CEF_CUT_KEY, CEF_CUT_LABEL, CEF_VENDOR, CEF_PRODUCT, CEF_NAME } from "./keys";

const line = new ByteBuf();
const notice = new ByteBuf();

export function writeCefRecord(out: ByteBuf, doc: Doc, kind: string): void {
  line.trim();
  trimHeader();
  const sev = sysdigSeverity(doc);
  line.ascii("CEF:1|");
  writeHeaderField(line, doc, CEF_VENDOR, "Sysdig", 63, ESC_CEF_HEADER);
  writeHeaderField(line, doc, CEF_PRODUCT, "Sysdig", 63, ESC_CEF_HEADER);
  line.ascii(DEVICE_VERSION);
  line.byte(0x7c);
  writeHeaderField(line, doc, NO_FIELDS, kind, 1023, ESC_CEF_HEADER);
  writeHeaderField(line, doc, CEF_NAME, kind, 512, ESC_CEF_HEADER);
  line.int(cefSeverity(sev));
  line.byte(0x7c);
  beginPairs();
  writePairs(line, doc, cefKeyRows(), 0x20, ESC_CEF_EXT, "Label");
  if (cutNote.len > 0) {
    notice.reset();
    notice.bytes(cutNote.ptr, cutNote.len);
    line.byte(0x20);
    line.ascii(CEF_CUT_KEY);
    line.ascii("Label=");
    line.ascii(CEF_CUT_LABEL);
    // A note longer than flexString2's 1023 is itself cut (and not noted again).
    writeTextPair(line, 0x20, ESC_CEF_EXT, CEF_CUT_KEY, notice, 1023);
  }
  writeSyslogRecord(out, line, doc, kind, syslogSeverity(sev));
  trimPairs();
  notice.trim();
}
