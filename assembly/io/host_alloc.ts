// The allocator the host copies each call's tag and record into. WAMR takes
// an exported `malloc (i32)->i32` and `free (i32)->()` for its dup_data and
// module_free (wasm_loader.c, the malloc/free lookup; the AOT loader does
// the same), in preference to AssemblyScript's __new/__pin/__unpin, which
// must then not be exported: with both, WAMR would pair our malloc with
// __pin and call it with two arguments.
//
// Why not __new/__pin: each copy was then a managed object, so every call
// cost two pins, two unpins, and the collector's bookkeeping and sweep of
// two dead objects; the host made one more call into the module per copy
// (__pin); and the garbage they left set how often the collector had to run
// (io/collect.ts). Here a copy is an unmanaged block, handed back at once by
// free() and reused by the next call: a few loads and stores per copy.

import { KEEP_BYTES } from "./buffers";

/** Blocks kept for reuse: the host holds two copies at a time. */
const SPARE_SLOTS: i32 = 4;
/** Each block starts with its capacity; the host's pointer is past it
 *  (16 bytes, so that it stays as aligned as heap.alloc's). */
const HEADER: usize = 16;
/** The least capacity of a block: a tag, and most records, fit. */
const MIN_CAP: usize = 1024;

/** The largest block AssemblyScript's heap gives (BLOCK_MAXSIZE, 1 GiB
 *  less its overhead), less the header. */
const MAX_SIZE: usize = (1 << 30) - 64;

/** Freed blocks (their start, not the host's pointer), for reuse. */
const spares = memory.data(SPARE_SLOTS << 3);
let spareCount: i32 = 0;

/** A block of at least `size` bytes for the host. Capacities are powers of
 *  two, so that records of about one size take the same block every call. */
export function malloc(size: usize): usize {
  // The smallest spare that fits.
  let best = -1;
  let bestCap: usize = 0;
  for (let i = 0; i < spareCount; i++) {
    const cap = load<usize>(load<usize>(spares + (<usize>i << 3)));
    if (cap >= size && (best < 0 || cap < bestCap)) { best = i; bestCap = cap; }
  }
  if (best >= 0) {
    const at = spares + (<usize>best << 3);
    const block = load<usize>(at);
    spareCount--;
    store<usize>(at, load<usize>(spares + (<usize>spareCount << 3)));
    return block + HEADER;
  }
  // More than the allocator can give: 0, which WAMR reports as a failed
  // copy (and the call then gets no record: an "empty record" document).
  if (size > MAX_SIZE) return 0;
  let cap = MIN_CAP;
  // Past KEEP_BYTES a block is not kept (see free), so it is made to size.
  if (size > <usize>KEEP_BYTES) cap = size;
  else while (cap < size) cap <<= 1;
  const block = heap.alloc(cap + HEADER);
  store<usize>(block, cap);
  return block + HEADER;
}

/** Takes back a block malloc gave (0 is ignored). It is kept for the next
 *  call unless it is bigger than a buffer is kept (KEEP_BYTES) or enough
 *  spares are kept already, so one huge record does not pin its size. */
export function free(ptr: usize): void {
  if (ptr < HEADER) return;
  const block = ptr - HEADER;
  if (spareCount < SPARE_SLOTS && load<usize>(block) <= <usize>KEEP_BYTES) {
    store<usize>(spares + (<usize>spareCount << 3), block);
    spareCount++;
    return;
  }
  heap.free(block);
}
