// Growable buffers in unmanaged memory. They live for the whole life of the
// module instance, so the garbage collector never scans or moves them, and a
// call never pays for allocating them again.

/** Bytes above which a buffer is given back after a call, so that one huge
 *  record does not pin its peak memory for the rest of the run. */
export const KEEP_BYTES: i32 = 1 << 20;

export class ByteBuf {
  ptr: usize = 0;
  len: i32 = 0;
  cap: i32 = 0;

  @inline reset(): void { this.len = 0; }

  /** Makes room for `extra` more bytes. Inlined: it runs for every byte
   *  written, and only the rare growth is a call. The room left is
   *  compared, not len + extra (which could overflow): len never passes cap. */
  @inline ensure(extra: i32): void {
    if (extra > this.cap - this.len) this.grow(extra);
  }

  private grow(extra: i32): void {
    const need = <i64>this.len + <i64>extra;
    let cap: i64 = this.cap < 1024 ? 1024 : <i64>this.cap;
    while (cap < need) cap <<= 1;
    this.ptr = this.ptr == 0 ? heap.alloc(<usize>cap) : heap.realloc(this.ptr, <usize>cap);
    this.cap = <i32>cap;
  }

  /** Frees the storage when a huge record made it grow past KEEP_BYTES. */
  trim(): void {
    if (this.cap > KEEP_BYTES) {
      heap.free(this.ptr);
      this.ptr = 0;
      this.cap = 0;
    }
    this.len = 0;
  }

  @inline byte(b: i32): void {
    this.ensure(1);
    store<u8>(this.ptr + <usize>this.len, <u8>b);
    this.len++;
  }

  /** Appends `n` bytes from `src`, which may lie in this buffer itself. */
  @inline bytes(src: usize, n: i32): void {
    if (n <= 0) return;
    if (n > this.cap - this.len) {
      // Growing may move the storage; a source inside it moves along.
      const inside = src >= this.ptr && src < this.ptr + <usize>this.cap;
      const offset = src - this.ptr;
      this.grow(n);
      if (inside) src = this.ptr + offset;
    }
    const dst = this.ptr + <usize>this.len;
    this.len += n;
    // Most runs are short keys and values. Fluent Bit's interpreter pays
    // per wasm instruction, and memory.copy is one instruction (a native
    // memmove), where copying a 20-byte run in words and bytes takes ~60.
    // The shortest runs take two overlapping 4-byte copies or up to three
    // byte copies (the source never overlaps the end it is copied to).
    if (n > 8) { memory.copy(dst, src, <usize>n); return; }
    if (n >= 4) {
      store<u32>(dst, load<u32>(src));
      store<u32>(dst + <usize>(n - 4), load<u32>(src + <usize>(n - 4)));
      return;
    }
    store<u8>(dst, load<u8>(src));
    if (n > 1) store<u8>(dst + 1, load<u8>(src + 1));
    if (n > 2) store<u8>(dst + 2, load<u8>(src + 2));
  }

  /** Appends a string known to be ASCII (the module's own constants). */
  ascii(s: string): void {
    const at = changetype<usize>(s);
    if (at < __heap_base) {
      // A literal of the module: its bytes once made are reused (a copy is
      // one instruction; narrowing UTF-16 is a loop the interpreter pays for
      // at every write).
      const entry = literalEntry(s);
      this.bytes(load<usize>(entry, 4), load<i32>(entry, 8));
      return;
    }
    const n = s.length;
    this.ensure(n);
    const src = changetype<usize>(s);
    const dst = this.ptr + <usize>this.len;
    let i = 0;
    // Four UTF-16 code units (ASCII: low bytes only) to four bytes per step.
    for (; i + 4 <= n; i += 4) {
      const w = load<u64>(src + (<usize>i << 1));
      store<u32>(dst + <usize>i, <u32>((w & 0xff) | ((w >> 8) & 0xff00) | ((w >> 16) & 0xff0000) | ((w >> 24) & 0xff000000)));
    }
    for (; i < n; i++) {
      store<u8>(dst + <usize>i, <u8>load<u16>(src + (<usize>i << 1)));
    }
    this.len += n;
  }

  /** Appends a non-negative integer in decimal. */
  uint(v: u64): void {
    if (v >= 10) this.uint(v / 10);
    this.byte(<i32>(v % 10) + 0x30);
  }

  /** Appends a signed integer in decimal. */
  int(v: i64): void {
    if (v < 0) {
      this.byte(0x2d);
      this.uint(<u64>(-(v + 1)) + 1);
    } else {
      this.uint(<u64>v);
    }
  }

  /** Appends `v` as exactly `width` digits, zero-padded (the last `width`
 *  digits of a larger v). Two digits per step, from a table. */
  padded(v: i64, width: i32): void {
    this.ensure(width);
    const at = this.ptr + <usize>this.len;
    let i = width;
    for (; i >= 2; i -= 2) {
      store<u16>(at + <usize>(i - 2), digitPair(<i32>(v % 100)));
      v /= 100;
    }
    if (i == 1) store<u8>(at, <u8>(v % 10) + 0x30);
    this.len += width;
  }

  @inline at(i: i32): u8 { return load<u8>(this.ptr + <usize>i); }
}

export class IntBuf {
  ptr: usize = 0;
  len: i32 = 0;
  cap: i32 = 0;

  @inline reset(): void { this.len = 0; }

  @inline ensure(extra: i32): void {
    if (extra > this.cap - this.len) this.grow(extra);
  }

  private grow(extra: i32): void {
    const need = <i64>this.len + <i64>extra;
    let cap: i64 = this.cap < 256 ? 256 : <i64>this.cap;
    while (cap < need) cap <<= 1;
    const bytes = <usize>cap << 2;
    this.ptr = this.ptr == 0 ? heap.alloc(bytes) : heap.realloc(this.ptr, bytes);
    this.cap = <i32>cap;
  }

  trim(): void {
    if ((this.cap << 2) > KEEP_BYTES) {
      heap.free(this.ptr);
      this.ptr = 0;
      this.cap = 0;
    }
    this.len = 0;
  }

  @inline push(v: i32): void {
    this.ensure(1);
    store<i32>(this.ptr + (<usize>this.len << 2), v);
    this.len++;
  }

  @inline pop(): i32 {
    this.len--;
    return load<i32>(this.ptr + (<usize>this.len << 2));
  }

  @inline get(i: i32): i32 { return load<i32>(this.ptr + (<usize>i << 2)); }
  @inline set(i: i32, v: i32): void { store<i32>(this.ptr + (<usize>i << 2), v); }
  @inline top(): i32 { return load<i32>(this.ptr + (<usize>(this.len - 1) << 2)); }
}

// The bytes of the module's own string literals, as ByteBuf.ascii writes
// them. Literals live below __heap_base and never change, so a literal's
// address names its text for the life of the instance, and there are only
// so many of them: every one written is kept (open addressing, 16 bytes an
// entry: address, bytes, length), so none is ever made again. (A table
// that evicted could make two literals that meet in every record, as
// layout decides, trade places on every write.)
let literalCap: i32 = 512;
let literalCount: i32 = 0;
let literalTable: usize = newLiteralTable(literalCap);

function newLiteralTable(cap: i32): usize {
  const table = heap.alloc(<usize>cap << 4);
  memory.fill(table, 0, <usize>cap << 4);
  return table;
}

@inline function literalSlot(at: usize, cap: i32): i32 {
  return <i32>((<u32>at * 0x9e3779b1) >> 16) & (cap - 1);
}

/** The entry of literal `s`, made on its first use. */
@inline function literalEntry(s: string): usize {
  const at = changetype<usize>(s);
  let slot = literalSlot(at, literalCap);
  while (true) {
    const entry = literalTable + (<usize>slot << 4);
    const key = load<usize>(entry);
    if (key == at) return entry;
    if (key == 0) return addLiteral(s);
    slot = (slot + 1) & (literalCap - 1);
  }
}

function addLiteral(s: string): usize {
  if ((literalCount + 1) * 2 > literalCap) growLiterals();
  const n = s.length;
  const bytes = heap.alloc(<usize>max(n, 1));
  const src = changetype<usize>(s);
  for (let i = 0; i < n; i++) store<u8>(bytes + <usize>i, <u8>load<u16>(src + (<usize>i << 1)));
  const entry = placeLiteral(changetype<usize>(s), bytes, n);
  literalCount++;
  return entry;
}

function placeLiteral(at: usize, bytes: usize, n: i32): usize {
  let slot = literalSlot(at, literalCap);
  while (load<usize>(literalTable + (<usize>slot << 4)) != 0) slot = (slot + 1) & (literalCap - 1);
  const entry = literalTable + (<usize>slot << 4);
  store<usize>(entry, at);
  store<usize>(entry, bytes, 4);
  store<i32>(entry, n, 8);
  return entry;
}

function growLiterals(): void {
  const old = literalTable;
  const oldCap = literalCap;
  literalCap = oldCap << 1;
  literalTable = newLiteralTable(literalCap);
  for (let i = 0; i < oldCap; i++) {
    const entry = old + (<usize>i << 4);
    const at = load<usize>(entry);
    if (at != 0) placeLiteral(at, load<usize>(entry, 4), load<i32>(entry, 8));
  }
  heap.free(old);
}

// "00" to "99" as little-endian u16s: two digits in one store.
const DIGIT_PAIRS: usize = heap.alloc(200);
for (let i = 0; i < 100; i++) store<u16>(DIGIT_PAIRS + (<usize>i << 1), <u16>((0x30 + i / 10) | ((0x30 + i % 10) << 8)));

/** The two ASCII digits of 0 <= v < 100, as a u16 to store. */
@inline export function digitPair(v: i32): u16 {
  return load<u16>(DIGIT_PAIRS + (<usize>v << 1));
}
