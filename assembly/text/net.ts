// Network values: Sysdig's integer IPv4 addresses, MAC addresses in the ECS
// form, IANA protocol numbers, and checks that keep Elasticsearch's `ip`
// fields from rejecting a whole document.

import { ByteBuf } from "../io/buffers";
import { ONES, HIGHS, LOWS } from "./swar";

/** Writes an IPv4 address given as an integer in network order
 *  (2886795285 → 172.17.0.21). False if it is out of range. */
export function writeIpv4FromInt(out: ByteBuf, v: i64): bool {
  if (v < 0 || v > 0xffffffff) return false;
  out.uint(<u64>((v >> 24) & 255)); out.byte(0x2e);
  out.uint(<u64>((v >> 16) & 255)); out.byte(0x2e);
  out.uint(<u64>((v >> 8) & 255)); out.byte(0x2e);
  out.uint(<u64>(v & 255));
  return true;
}

function isIpv4(ptr: usize, len: i32): bool {
  let parts = 0;
  let p = 0;
  while (p <= len) {
    let v = 0;
    let digits = 0;
    while (p < len && digits < 4) {
      const c = <i32>load<u8>(ptr + <usize>p);
      if (c < 0x30 || c > 0x39) break;
      v = v * 10 + c - 0x30;
      digits++;
      p++;
    }
    if (digits == 0 || digits > 3 || v > 255) return false;
    parts++;
    if (p == len) return parts == 4;
    if (load<u8>(ptr + <usize>p) != 0x2e || parts == 4) return false;
    p++;
  }
  return false;
}

@inline function isHex(c: i32): bool {
  return (c >= 0x30 && c <= 0x39) || ((c | 0x20) >= 0x61 && (c | 0x20) <= 0x66);
}

function isIpv6(ptr: usize, len: i32): bool {
  if (len < 2 || len > 45) return false;
  let groups = 0;
  let compressed = false;
  let p = 0;
  if (load<u8>(ptr) == 0x3a) {
    if (load<u8>(ptr + 1) != 0x3a) return false;
    compressed = true;
    p = 2;
    if (p == len) return true;
  }
  while (p < len) {
    // An embedded IPv4 address may end the text.
    let q = p;
    let hexDigits = 0;
    while (q < len && isHex(<i32>load<u8>(ptr + <usize>q))) { q++; hexDigits++; }
    if (q < len && load<u8>(ptr + <usize>q) == 0x2e) {
      if (!isIpv4(ptr + <usize>p, len - p)) return false;
      groups += 2;
      p = len;
      break;
    }
    if (hexDigits == 0 || hexDigits > 4) return false;
    groups++;
    p = q;
    if (p == len) break;
    if (load<u8>(ptr + <usize>p) != 0x3a) return false;
    p++;
    if (p < len && load<u8>(ptr + <usize>p) == 0x3a) {
      if (compressed) return false;
      compressed = true;
      p++;
      if (p == len) break;
    } else if (p == len) return false;
  }
  return compressed ? groups < 8 : groups == 8;
}

/** True for a textual IPv4 or IPv6 address Elasticsearch accepts. */
export function isIp(ptr: usize, len: i32): bool {
  return isIpv4(ptr, len) || isIpv6(ptr, len);
}

/** Writes a MAC address (08:00:27:54:f3:9d, 08-00-27-…, 080027…) in the ECS
 *  form 08-00-27-54-F3-9D. False if it is not 6 bytes of hex. */
export function writeMac(out: ByteBuf, ptr: usize, len: i32): bool {
  if (len == 17 && writeSeparatedMac(out, ptr)) return true;
  let digits = 0;
  for (let p = 0; p < len; p++) {
    const c = <i32>load<u8>(ptr + <usize>p);
    if (isHex(c)) digits++;
    else if (c != 0x3a && c != 0x2d && c != 0x2e) return false;
  }
  if (digits != 12) return false;
  let n = 0;
  for (let p = 0; p < len; p++) {
    let c = <i32>load<u8>(ptr + <usize>p);
    if (!isHex(c)) continue;
    if (n > 0 && (n & 1) == 0) out.byte(0x2d);
    if (c >= 0x61) c -= 0x20;
    out.byte(c);
    n++;
  }
  return true;
}

/** Bit 7 of the bytes that must be hex digits in the first 8 bytes of
 *  "08:00:27:54:f3:9d" (bytes 0, 1, 3, 4, 6, 7) and in the next 8 (9, 10,
 *  12, 13, 15; byte 16 is read alone); the separators' bytes. */
const HEX_FIRST: u64 = 0x8080008080008080;
const HEX_SECOND: u64 = 0x8000808000808000;
const SEP_FIRST: u64 = 0x0000ff0000ff0000;
const SEP_SECOND: u64 = 0x00ff0000ff0000ff;

/** Bit 7 of each byte of `w` (all below 0x80) that is in lo..hi: adding
 *  0x80 - lo sets it from lo up, adding 0x7f - hi from hi + 1 up, and no
 *  byte carries into the next. */
@inline function bytesInRange(w: u64, lo: u64, hi: u64): u64 {
  return (w + ONES * (0x80 - lo)) & ~(w + ONES * (0x7f - hi)) & HIGHS;
}

/** Bit 7 of each zero byte of x, exactly. */
@inline function zeroBytes(x: u64): u64 {
  return ~(((x & LOWS) + LOWS) | x | LOWS);
}

@inline function hexBytes(w: u64): u64 {
  return bytesInRange(w, 0x30, 0x39) | bytesInRange(w | (ONES * 0x20), 0x61, 0x66);
}

@inline function separatorBytes(w: u64): u64 {
  return zeroBytes(w ^ (ONES * 0x3a)) | zeroBytes(w ^ (ONES * 0x2d)) | zeroBytes(w ^ (ONES * 0x2e));
}

/** `w` with a..f made A..F (0x80 >> 2 is the 0x20 between them). */
@inline function upperHex(w: u64): u64 {
  return w - (bytesInRange(w, 0x61, 0x66) >> 2);
}

/** The usual form, six pairs with a separator between each, checked and
 *  written 8 bytes at a time (byte by byte, the interpreter paid some 400
 *  instructions for it). False, with nothing written, otherwise. */
function writeSeparatedMac(out: ByteBuf, ptr: usize): bool {
  const first = load<u64>(ptr);
  const second = load<u64>(ptr, 8);
  const last = <u64>load<u8>(ptr, 16);
  if (((first | second | last) & HIGHS) != 0) return false;
  if ((hexBytes(first) & HEX_FIRST) != HEX_FIRST || (hexBytes(second) & HEX_SECOND) != HEX_SECOND ||
      (hexBytes(last) & 0x80) == 0) return false;
  if ((separatorBytes(first) & SEP_FIRST & HIGHS) != (SEP_FIRST & HIGHS) ||
      (separatorBytes(second) & SEP_SECOND & HIGHS) != (SEP_SECOND & HIGHS)) return false;
  out.ensure(17);
  const dst = out.ptr + <usize>out.len;
  store<u64>(dst, (upperHex(first) & ~SEP_FIRST) | (ONES * 0x2d & SEP_FIRST));
  store<u64>(dst, (upperHex(second) & ~SEP_SECOND) | (ONES * 0x2d & SEP_SECOND), 8);
  store<u8>(dst, <u8>upperHex(last), 16);
  out.len += 17;
  return true;
}

/** ECS network.transport for an IANA protocol number; "" when unknown. */
export function transportName(proto: i64): string {
  switch (<i32>proto) {
    case 1: return "icmp";
    case 2: return "igmp";
    case 6: return "tcp";
    case 17: return "udp";
    case 47: return "gre";
    case 50: return "esp";
    case 51: return "ah";
    case 58: return "ipv6-icmp";
    case 132: return "sctp";
  }
  return "";
}
