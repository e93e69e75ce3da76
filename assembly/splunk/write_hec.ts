// The Splunk HTTP Event Collector envelope, complete, to be sent with the
// splunk output's `splunk_send_raw on`:
//   time        epoch seconds with every sub-second digit of the event, as a
//               string (a number would be rounded to a double in Fluent Bit)
//   host        host.name, when the event names one, else observer.hostname
//   source      the Fluent Bit tag the record came in with
//   sourcetype  sysdig:<product>:<family>, or falco:alert
//   event       the Sysdig payload (or Falco alert) as it was sent
//   fields      indexed fields under their CIM names (strings only)

import { ByteBuf } from "../io/buffers";
import { Doc } from "../ecs/doc";
import { FIELDS, FIELD_FLAGS, FIELD_CIM } from "../ecs/fields";
import { writeNode } from "../ecs/values";
import { writeEscaped } from "../json/escape";
import { Instant, writeEpochSeconds } from "../text/time";
import * as F from "../map/ids";

export function writeHecEnvelope(
  out: ByteBuf, doc: Doc, time: Instant, tagPtr: usize, tagLen: i32,
  sourcetype: string, event: ByteBuf,
): void {
  out.ascii("{\"time\":\"");
  writeEpochSeconds(out, time);
  out.byte(0x22);
  // Falco's plugin events name no host, only the Falco that saw them.
  let host = doc.first(F.HOST_NAME);
  if (host < 0) host = doc.first(F.OBSERVER_HOSTNAME);
  if (host >= 0) {
    out.ascii(",\"host\":");
    writeNode(out, doc, host, 0, true);
  }
  out.ascii(",\"source\":\"");
  if (tagLen > 0) writeEscaped(out, tagPtr, tagLen);
  else out.ascii("sysdig");
  // Sourcetypes are the module's own ASCII constants: nothing to escape.
  out.ascii("\",\"sourcetype\":\"");
  out.ascii(sourcetype);
  out.byte(0x22);
  out.ascii(",\"event\":");
  out.bytes(event.ptr, event.len);
  out.ascii(",\"fields\":{");
  let first = true;
  // The fields with a value, in table order: the set bits, lowest first
  // (a record sets a few dozen of the table's fields).
  for (let w = 0, base = 0, bits: u64 = 0; ; ) {
    while (bits == 0 && w < doc.setWords) {
      bits = doc.setWord(w);
      base = w << 6;
      w++;
    }
    if (bits == 0) break;
    const f = base + <i32>ctz(bits);
    bits &= bits - 1;
    // Most set fields have no CIM name: passed over on their flags byte.
    if ((<i32>load<u8>(FIELD_FLAGS + <usize>f) & FIELD_CIM) == 0) continue;
    const field = unchecked(FIELDS[f]);
    // A set field's first value is its own node (Doc.first(f) == f).
    let n = f;
    if (!first) out.byte(0x2c);
    first = false;
    out.bytes(changetype<usize>(field.cimKey), field.cimKey.byteLength);
    if (field.isList) {
      out.byte(0x5b);
      let firstValue = true;
      while (n >= 0) {
        if (!firstValue) out.byte(0x2c);
        firstValue = false;
        writeNode(out, doc, n, field.type, true);
        n = doc.nodeNext(n);
      }
      out.byte(0x5d);
    } else {
      writeNode(out, doc, n, field.type, true);
    }
  }
  out.ascii("}}");
}
