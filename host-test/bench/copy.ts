// The copy floor: a filter with the same ABI, runtime and build options as
// the normalizer that only copies the record into its own NUL-terminated
// buffer. Nothing that reads a record and returns a new one can be cheaper
// through the same host, so the bench divides by this.

// The normalizer's allocator for the host's copies (io/host_alloc.ts), so
// that Fluent Bit copies records in the same way for both.
export { malloc, free } from "../../assembly/io/host_alloc";

// Reused across calls, as the normalizer reuses its output buffer; grown
// only when a record is bigger than any before.
let out: usize = 0;
let cap: usize = 0;

function copyRecord(recPtr: usize, recLen: i32): usize {
  // Same runtime as the normalizer (minimal: nothing is freed unless
  // collected). With almost no live objects a collection costs this module
  // next to nothing, so it simply collects on every call (the normalizer
  // batches them, see assembly/io/collect.ts).
  __collect();
  const n: usize = recLen > 0 ? <usize>recLen : 0;
  if (n + 1 > cap) {
    cap = n + 1 < 1024 ? 1024 : n + 1;
    out = out == 0 ? heap.alloc(cap) : heap.realloc(out, cap);
  }
  memory.copy(out, recPtr, n);
  store<u8>(out + n, 0);
  return out;
}

// Both of the normalizer's export names, so configurations can swap modules.
export function sysdig_to_ecs(tagPtr: usize, tagLen: i32, sec: u32, nsec: u32, recPtr: usize, recLen: i32): usize {
  return copyRecord(recPtr, recLen);
}

export function sysdig_to_splunk(tagPtr: usize, tagLen: i32, sec: u32, nsec: u32, recPtr: usize, recLen: i32): usize {
  return copyRecord(recPtr, recLen);
}
