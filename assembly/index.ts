// The Fluent Bit `wasm` filter entry points (event_format json):
//   fn(tag_ptr, tag_len, sec, nsec, rec_ptr, rec_len) -> NUL-terminated JSON
// Fluent Bit copies the tag and the record in through our malloc (WAMR's
// dup_data), passes lengths without the trailing NUL, copies our result out
// before anything else runs in the module, then frees its copies.

import { normalize, TARGET_ECS, TARGET_SPLUNK, TARGET_CEF, TARGET_LEEF } from "./normalize";
import { collectGarbage, startDone } from "./io/collect";

// Last in the start function (the entry file's statements run after every
// import's): the tables are built.
startDone();

// The allocator WAMR copies the tag and the record into (io/host_alloc.ts).
export { malloc, free } from "./io/host_alloc";

/** An Elasticsearch document in ECS. */
export function sysdig_to_ecs(tagPtr: usize, tagLen: i32, sec: u32, nsec: u32, recPtr: usize, recLen: i32): usize {
  collectGarbage();
  return normalize(TARGET_ECS, tagPtr, tagLen, sec, nsec, recPtr, recLen);
}

/** A complete Splunk HEC event envelope, for `splunk_send_raw on`. */
export function sysdig_to_splunk(tagPtr: usize, tagLen: i32, sec: u32, nsec: u32, recPtr: usize, recLen: i32): usize {
  collectGarbage();
  return normalize(TARGET_SPLUNK, tagPtr, tagLen, sec, nsec, recPtr, recLen);
}

/** A record for the `syslog` output: a CEF line (ArcSight) in `message`. */
export function sysdig_to_cef(tagPtr: usize, tagLen: i32, sec: u32, nsec: u32, recPtr: usize, recLen: i32): usize {
  collectGarbage();
  return normalize(TARGET_CEF, tagPtr, tagLen, sec, nsec, recPtr, recLen);
}

/** A record for the `syslog` output: a LEEF 2.0 line (QRadar) in `message`. */
export function sysdig_to_leef(tagPtr: usize, tagLen: i32, sec: u32, nsec: u32, recPtr: usize, recLen: i32): usize {
  collectGarbage();
  return normalize(TARGET_LEEF, tagPtr, tagLen, sec, nsec, recPtr, recLen);
}
