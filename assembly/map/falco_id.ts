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

@inline function u32le(v: i32): void {
  canonical.byte(v & 0xff); canonical.byte((v >> 8) & 0xff);
  canonical.byte((v >> 16) & 0xff); canonical.byte((v >> 24) & 0xff);
}

/** Appends the 32 hex digits of the canonical hash of the value at `root`. */
export function writeCanonicalHashHex(out: ByteBuf, tape: Tape, root: i32): void {
  canonical.trim();
  const end = tape.next(root);
  for (let i = root; i < end; i++) {
    const kind = tape.kind(i);
    canonical.byte(kind);
    if (kind == T_OBJ || kind == T_ARR) {
      u32le(tape.next(i) - i);
    } else if (kind == T_STR) {
      const lenAt = canonical.len;
      u32le(0);
      decodeStringToken(canonical, tape, i);
      const n = canonical.len - lenAt - 4;
      store<u8>(canonical.ptr + <usize>lenAt, <u8>(n & 0xff));
      store<u8>(canonical.ptr + <usize>lenAt + 1, <u8>((n >> 8) & 0xff));
      store<u8>(canonical.ptr + <usize>lenAt + 2, <u8>((n >> 16) & 0xff));
      store<u8>(canonical.ptr + <usize>lenAt + 3, <u8>((n >> 24) & 0xff));
    } else if (kind == T_NUM) {
      const n = tape.end(i) - tape.start(i);
      u32le(n);
      canonical.bytes(tape.ptr(tape.start(i)), n);
    }
  }
  writeMurmur3Hex(out, canonical.ptr, canonical.len);
}
