// When to run the garbage collector. The minimal runtime frees nothing by
// itself, and one __collect marks every live object of the module (the
// field table, the key tables, their strings): that costs more than
// normalizing a small record. The garbage a call leaves is the host's two
// copies (tag and record, unpinned after the call) and at most a few small
// objects of ours, so collecting once enough has piled up keeps memory
// bounded for a fraction of the cost.

/** Collect after this many calls... (A collection marks some 8,000
 *  objects, about 2 % of a runtime event's interpreted work at this cadence.
 *  Every 1,024 calls halved that, but Fluent Bit's resident memory in the
 *  soak then settled 50 to 90 MiB higher: 170 to 190 MiB in two runs,
 *  against 85 to 130 MiB at 256; BENCHMARKS.md, "Third pass".) */
const MAX_CALLS: i32 = 256;
/** ...or as soon as the host's copies since the last collection reach this. */
const MAX_BYTES: i64 = 1 << 20;
/** What one call leaves besides the copies' bytes: block headers and our
 *  own small objects, counted generously. */
const PER_CALL_BYTES: i64 = 256;

let calls: i32 = 0;
let pending: i64 = 0;

/** Call first thing in every export. Collecting then is safe: the host has
 *  pinned this call's arguments and already copied the previous result. */
export function collectGarbage(tagLen: i32, recLen: i32): void {
  if (calls >= MAX_CALLS || pending >= MAX_BYTES) {
    __collect();
    calls = 0;
    pending = 0;
  }
  // This call's copies are freed no earlier than the next collection.
  calls++;
  pending += <i64>max(tagLen, 0) + <i64>max(recLen, 0) + PER_CALL_BYTES;
}
