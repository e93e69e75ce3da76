// One header field of a CEF or LEEF line: the first of the event's `fields`
// that has a value (else `fallback`), escaped for the format's header and
// cut at its limit, then the "|" that ends it.

import { ByteBuf } from "../io/buffers";
import { Doc } from "../ecs/doc";
import { appendValue } from "./text";
import { firstValue } from "./record";

const headerText = new ByteBuf();

/** For a field that is always its fallback (the event kind). */
export const NO_FIELDS: i32[] = [];

export function writeHeaderField(line: ByteBuf, doc: Doc, fields: i32[], fallback: string, limit: i32, mode: i32): void {
  headerText.reset();
  if (!firstValue(doc, fields, headerText)) headerText.ascii(fallback);
  appendValue(line, headerText.ptr, headerText.len, limit, mode);
  line.byte(0x7c);
}

/** Gives back the memory a huge header value took. */
export function trimHeader(): void { headerText.trim(); }
