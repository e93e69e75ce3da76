// A key table of a syslog-borne format: which field of the normalized event
// (by its ECS path in ecs/fields.ts) goes under which key, how long its value
// may be, and in which form. The tables themselves sit beside the field table
// (cef/keys.ts, leef/keys.ts): a field is declared once, in fields.ts, and a
// format only names the fields it carries.
//
// Row: "<ECS path> <key> <limit|-> <form> [label words…]"
//   limit  most UTF-16 code units of the value; longer values are cut and
//          the cut is reported (see pairs.ts); "-" = none (numbers, addresses)
//   form   text   the first value
//          list   every value of a list field, joined with ","
//          int    a signed 64-bit integer   int32  a signed 32-bit integer
//          port   0–65535
//          ipv4 / ipv6 / ip          only a value of that address family
//          ms     epoch milliseconds of a date field
//          ms13   epoch milliseconds, only when they have 13 digits
//          dir01  network.direction as 0 (ingress) or 1 (egress)
//   label  for custom fields (CEF cs1…, flexString…): the `<key>Label` text
// A key may have several rows: the first row whose field has a usable value
// is written, the others are fallbacks.

import { field } from "../ecs/fields";
import { words } from "../text/words";

export const FORM_TEXT: i32 = 0;
export const FORM_LIST: i32 = 1;
export const FORM_INT: i32 = 2;
export const FORM_PORT: i32 = 3;
export const FORM_IPV4: i32 = 4;
export const FORM_IPV6: i32 = 5;
export const FORM_IP: i32 = 6;
export const FORM_MS: i32 = 7;
export const FORM_MS13: i32 = 8;
export const FORM_DIR01: i32 = 9;
export const FORM_INT32: i32 = 10;

export class KeyRow {
  field: i32 = -1;
  path: string = "";
  key: string = "";
  limit: i32 = 0;
  form: i32 = FORM_TEXT;
  label: string = "";
  /** Index of the first row with the same key (itself when it is first). */
  group: i32 = 0;
}

function parseForm(name: string): i32 {
  if (name == "text") return FORM_TEXT;
  if (name == "list") return FORM_LIST;
  if (name == "int") return FORM_INT;
  if (name == "port") return FORM_PORT;
  if (name == "ipv4") return FORM_IPV4;
  if (name == "ipv6") return FORM_IPV6;
  if (name == "ip") return FORM_IP;
  if (name == "ms") return FORM_MS;
  if (name == "ms13") return FORM_MS13;
  if (name == "dir01") return FORM_DIR01;
  if (name == "int32") return FORM_INT32;
  unreachable();
  return -1;
}

export function parseKeyRows(spec: string[]): KeyRow[] {
  const rows: KeyRow[] = [];
  for (let i = 0; i < spec.length; i++) {
    const w = words(spec[i]);
    const r = new KeyRow();
    r.path = w[0];
    r.field = field(w[0]);
    r.key = w[1];
    r.limit = w[2] == "-" ? 0 : I32.parseInt(w[2]);
    r.form = parseForm(w[3]);
    r.label = w.length > 4 ? w.slice(4).join(" ") : "";
    r.group = i;
    for (let j = 0; j < i; j++) if (rows[j].key == r.key) { r.group = rows[j].group; break; }
    rows.push(r);
  }
  return rows;
}
