// The exact clock. Sysdig's payloads carry the event time up to three times:
// `timestampRFC3339Nano` (a string), `content.timestampNs` (Platform Audit,
// an integer) and `timestamp` (an integer in the unit the user picked).
// Real records show the integer `timestamp` already rounded by a float
// conversion upstream (…637554200 beside "…637554146Z"), while the RFC 3339
// string is exact to the nanosecond (Go's RFC3339Nano drops only trailing
// zeros). So the rule is: the RFC 3339 string when it is valid, else the
// nanosecond integer, else `timestamp`. Every target reads `eventTime`.

import { Doc } from "../ecs/doc";
import { Instant, writeRfc3339 } from "../text/time";
import { readRfc3339 } from "../text/rfc3339";
import { eventTime, setEventTime } from "./common";
import * as F from "./ids";

/** Sets @timestamp (and eventTime) from the most exact of the candidates. */
export function setExactEventTime(doc: Doc, rfcTok: i32, nsTok: i32, intTok: i32): bool {
  if (setRfc3339Date(doc, F.TIMESTAMP, rfcTok, eventTime)) return true;
  return setEventTime(doc, nsTok, intTok);
}

/** Sets a date field from an RFC 3339 string token; false if it is not one. */
export function setRfc3339Date(doc: Doc, f: i32, tok: i32, into: Instant): bool {
  if (!readRfc3339(doc.tape, tok, into)) return false;
  const s = doc.beginText();
  writeRfc3339(doc.text, into);
  return doc.setText(f, s);
}
