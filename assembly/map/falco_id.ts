// event.id for a Falco alert that has no Falcosidekick uuid: a hash of what
// the alert says, not of how its JSON was spelled. Fluent Bit re-encodes a
// record between its input and this filter (whitespace dropped, escapes and
// non-ASCII spelled its own way), so hashing the raw bytes would give the
// same alert a different id depending on the path it came by. The hash runs
// over a canonical form instead: every token in document order as its kind,
// then for a container the number of tokens it spans, for a string its
// decoded UTF-8 with its length, for a number its digits as written.

import { ByteBuf } from "../io/buffers";
import { Tape, T_OBJ, T_ARR, T_STR, T_NUM } from "../json/tape";
import { decodeStringToken } from "../json/escape";
import { writeMurmur3Hex } from "../text/hash";

const canonical = new ByteBuf();

/** Appends the 32 hex digits of the canonical hash of the value at `root`. */
export function writeCanonicalHashHex(out: ByteBuf, tape: Tape, root: i32): void {
  canonical.trim();
  const end = tape.next(root);
  for (let i = root; i < end; i++) {
    const kind = tape.kind(i);
    // The kind byte and, but for true, false and null, a little-endian u32
    // (one store each: wasm stores are little-endian).
    canonical.ensure(5);
    const at = canonical.ptr + <usize>canonical.len;
    store<u8>(at, <u8>kind);
    if (kind == T_OBJ || kind == T_ARR) {
      store<u32>(at, <u32>(tape.next(i) - i), 1);
      canonical.len += 5;
    } else if (kind == T_STR) {
      canonical.len += 5;
      const lenAt = canonical.len - 4;
      decodeStringToken(canonical, tape, i);
      // The decoded length, where it was left (the buffer may have moved).
      store<u32>(canonical.ptr + <usize>lenAt, <u32>(canonical.len - lenAt - 4));
    } else if (kind == T_NUM) {
      const n = tape.end(i) - tape.start(i);
      store<u32>(at, <u32>n, 1);
      canonical.len += 5;
      canonical.bytes(tape.ptr(tape.start(i)), n);
    } else {
      canonical.len += 1;
    }
  }
  writeMurmur3Hex(out, canonical.ptr, canonical.len);
}
