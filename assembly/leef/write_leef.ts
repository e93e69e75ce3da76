// One LEEF 2.0 line for Fluent Bit's `syslog` output (see siem/record.ts):
//   LEEF:2.0|<vendor>|<product>|<version>|<EventID>|x09|<key=value>\t<key=value>…
//   vendor     observer.vendor ("Sysdig")
//   product    observer.product, else "Sysdig"
//   version    this normalizer's release
//   EventID    the event kind (the Splunk sourcetype), one stable id per kind,
//              e.g. sysdig:secure:policy; `cat` subdivides it (the rule name
//              for alerts, the action for activity audit), which makes the
//              pair a QRadar QID map entry
//   x09        the attribute delimiter, stated explicitly: tab
//   sev        1–10, crosswalk in siem/severity.ts
// LEEF has no escapes, so (siem/text.ts) a tab, CR or LF in a value becomes a
// space, `|` in a header field becomes `¦` (U+00A6), other control
// characters become U+FFFD. Keys are the table's own, so none holds `=`.

import { ByteBuf } from "../io/buffers";
import { Doc } from "../ecs/doc";
import { ESC_LEEF_HEADER, ESC_LEEF_VALUE } from "../siem/text";
import { beginPairs, writePairs, writeRawPair, writeTextPair, cutNote, trimPairs } from "../siem/pairs";
import { writeSyslogRecord, sysdigSeverity } from "../siem/record";
import { leefSeverity, syslogSeverity } from "../siem/severity";
import { isIp } from "../text/net";
import { DEVICE_VERSION } from "../siem/version";
import { writeHeaderField, trimHeader, NO_FIELDS } from "../siem/header";
import { leefKeyRows, LEEF_CUT_KEY, LEEF_VENDOR, LEEF_PRODUCT, LEEF_IDENT_SRC, LEEF_IDENT_USER } from "./keys";

const TAB: i32 = 0x09;
const line = new ByteBuf();
const text = new ByteBuf();
const notice = new ByteBuf();

export function writeLeefRecord(out: ByteBuf, doc: Doc, kind: string): void {
  line.trim();
  text.trim();
  trimHeader();
  const sev = sysdigSeverity(doc);
  line.ascii("LEEF:2.0|");
  writeHeaderField(line, doc, LEEF_VENDOR, "Sysdig", 255, ESC_LEEF_HEADER);
  writeHeaderField(line, doc, LEEF_PRODUCT, "Sysdig", 255, ESC_LEEF_HEADER);
  line.ascii(DEVICE_VERSION);
  line.byte(0x7c);
  writeHeaderField(line, doc, NO_FIELDS, kind, 255, ESC_LEEF_HEADER);
  line.ascii("x09|");
  beginPairs();
  writePairs(line, doc, leefKeyRows(), TAB, ESC_LEEF_VALUE, "");
  writeRawPair(line, TAB, "sev", leefSeverity(sev).toString());
  text.reset();
  if (doc.has(LEEF_IDENT_USER) && doc.valueText(LEEF_IDENT_SRC, text) && isIp(text.ptr, text.len)) {
    writeTextPair(line, TAB, ESC_LEEF_VALUE, "identSrc", text, 0);
  }
  if (cutNote.len > 0) {
    notice.reset();
    notice.bytes(cutNote.ptr, cutNote.len);
    writeTextPair(line, TAB, ESC_LEEF_VALUE, LEEF_CUT_KEY, notice, 4000);
  }
  writeSyslogRecord(out, line, doc, kind, syslogSeverity(sev));
  trimPairs();
  notice.trim();
}
