// The normalized event: values by output field (see fields.ts). A value is a
// token of the parsed input (written in the field's type, digits untouched),
// text the normalizer composed, or one of its own constants. Every value is
// checked against its field's type when it is set, so the writers never
// produce a document Elasticsearch would reject.

import { ByteBuf, KEEP_BYTES } from "../io/buffers";
import {
  Tape, T_STR, T_NUM, T_TRUE, T_FALSE,
  F_ESCAPED, F_INT, F_UNSAFE, F_NEG,
} from "../json/tape";
import { decodeStringToken } from "../json/escape";
import { isIp } from "../text/net";
import { sameBytes } from "../text/keytable";
import { FIELDS, fieldType, TY_KEYWORD, TY_TEXT, TY_LONG, TY_DATE, TY_IP, TY_BOOL } from "./fields";

export const V_TOKEN: i32 = 1;
export const V_TEXT: i32 = 2;
export const V_CONST: i32 = 3;

/** Bytes of a node: kind, a, b, next (the node after it in its field's
 *  list, or -1). Kind 0 is no value. */
const NODE_BYTES: i32 = 16;
/** Node f is field f's first value, so that setting a field (most have
 *  one value) writes its node in place, with no list to link it into; the
 *  further values of list fields are appended after the FIELDS.length
 *  first ones. */
const FIRST_NODES: i32 = FIELDS.length;

const I64_MAX_DIGITS = "9223372036854775807";

/** Doc.view's answer. */
let viewPtr: usize = 0;
let viewLen: i32 = 0;

export class Doc {
  tape: Tape = new Tape();
  /** Composed text values live here, as UTF-8 (unescaped). */
  text: ByteBuf = new ByteBuf();
  /** Where the nodes are (node n at nodes + n * NODE_BYTES), how many
   *  are used (at least FIRST_NODES), and room for how many. */
  private nodes: usize = heap.alloc(<usize>(FIRST_NODES + 64) * NODE_BYTES);
  private nodeCount: i32 = FIRST_NODES;
  private nodeRoom: i32 = FIRST_NODES + 64;
  private scratchA: ByteBuf = new ByteBuf();
  private scratchB: ByteBuf = new ByteBuf();
  /** Bit f of word f >> 6: field f got a value since the last reset. A
   *  record sets a few dozen of the table's fields; scanning all of them
   *  costs the writers' loops more than visiting the set bits, which come
   *  out in table order. */
  private setBits: StaticArray<u64> = new StaticArray<u64>((FIELDS.length + 63) >> 6);

  reset(): void {
    // No field's first node holding a value and no bit set, one
    // memory.fill each: a fill is one instruction to the interpreter, a
    // loop over the set fields is some eight per field.
    memory.fill(this.nodes, 0, <usize>FIRST_NODES * NODE_BYTES);
    memory.fill(changetype<usize>(this.setBits), 0, <usize>this.setBits.length << 3);
    this.nodeCount = FIRST_NODES;
    this.text.reset();
  }

  trim(): void {
    this.text.trim();
    if (this.nodeRoom * NODE_BYTES > KEEP_BYTES) {
      this.nodes = heap.realloc(this.nodes, <usize>(FIRST_NODES + 64) * NODE_BYTES);
      this.nodeRoom = FIRST_NODES + 64;
    }
    this.scratchA.trim();
    this.scratchB.trim();
  }

  /** Fields f with a value set since the last reset are the set bits of
   *  setWord(f >> 6), for word indexes below setWords (see setBits). */
  @inline get setWords(): i32 { return this.setBits.length; }
  @inline setWord(w: i32): u64 { return unchecked(this.setBits[w]); }

  @inline has(f: i32): bool { return load<i32>(this.nodes + (<usize>f << 4)) != 0; }
  @inline first(f: i32): i32 { return this.has(f) ? f : -1; }
  /** Where node n is (kind, a, b, next: four i32s), for a reader of
   *  several of them. */
  @inline nodeAt(n: i32): usize { return this.nodes + (<usize>n << 4); }
  @inline nodeKind(n: i32): i32 { return load<i32>(this.nodeAt(n)); }
  @inline nodeA(n: i32): i32 { return load<i32>(this.nodeAt(n), 4); }
  @inline nodeB(n: i32): i32 { return load<i32>(this.nodeAt(n), 8); }
  @inline nodeNext(n: i32): i32 { return load<i32>(this.nodeAt(n), 12); }
  /** The node's constant. Constants are the module's own literals (static
   *  data, see appendConst), so the node holds the string's address, not a
   *  managed reference: no array push per value, and an address that names
   *  the same text for the life of the instance. */
  @inline constOf(n: i32): string { return changetype<string>(<usize>this.nodeA(n)); }

  /** Sets a token value if the field has none yet and the token fits the
   *  field's type. Returns whether it was set. */
  setToken(f: i32, tok: i32): bool {
    if (this.has(f) || !this.tokenFits(f, tok)) return false;
    this.putFirst(f, V_TOKEN, tok, 0);
    return true;
  }

  /** Adds a token value to a list field, unless an equal value is there. */
  addToken(f: i32, tok: i32): bool {
    if (!this.tokenFits(f, tok)) return false;
    if (this.hasEqualValue(f, V_TOKEN, tok, 0)) return false;
    this.append(f, V_TOKEN, tok, 0);
    return true;
  }

  /** Begins composing a text value; finish it with setText or addText. */
  @inline beginText(): i32 { return this.text.len; }

  /** Sets the text composed since `start` (or drops it if the field is set
   *  or the text does not fit the field's type). */
  setText(f: i32, start: i32): bool {
    if (this.has(f) || !this.textFits(f, start)) { this.text.len = start; return false; }
    this.putFirst(f, V_TEXT, start, this.text.len);
    return true;
  }

  addText(f: i32, start: i32): bool {
    if (!this.textFits(f, start) || this.hasEqualValue(f, V_TEXT, start, this.text.len)) {
      this.text.len = start;
      return false;
    }
    this.append(f, V_TEXT, start, this.text.len);
    return true;
  }

  /** Replaces a single field's value with the text composed since `start`. */
  replaceText(f: i32, start: i32): void {
    this.putFirst(f, V_TEXT, start, this.text.len);
  }

  /** Sets one of the normalizer's own constant strings. */
  setConst(f: i32, s: string): bool {
    if (this.has(f)) return false;
    this.appendConst(f, s);
    return true;
  }

  addConst(f: i32, s: string): bool {
    // The first value of a list needs no comparison, nor its text made.
    if (!this.has(f)) { this.appendConst(f, s); return true; }
    if (this.hasEqualValue(f, V_CONST, <i32>changetype<usize>(s), 0)) return false;
    this.appendConst(f, s);
    return true;
  }

  /** Copies another field's values into a list field (for related.*). */
  addFrom(to: i32, from: i32): void {
    let n = this.first(from);
    while (n >= 0) {
      const k = this.nodeKind(n);
      if (k == V_TOKEN) this.addToken(to, this.nodeA(n));
      else if (k == V_CONST) this.addConst(to, this.constOf(n));
      else {
        const start = this.beginText();
        this.text.bytes(this.text.ptr + <usize>this.nodeA(n), this.nodeB(n) - this.nodeA(n));
        this.addText(to, start);
      }
      n = this.nodeNext(n);
    }
  }

  /** Adds a value as it was taken before for an input of the same bytes
   *  (map/tag_memo.ts): no type check and no comparison, which gave the
   *  same answer then. A V_TEXT value's bytes are the text composed since
   *  `a` (beginText). */
  appendKept(f: i32, kind: i32, a: i32): void {
    this.append(f, kind, a, kind == V_TEXT ? this.text.len : 0);
  }

  /** Appends the decoded text of a field's first value to `out`. */
  valueText(f: i32, out: ByteBuf): bool {
    const n = this.first(f);
    if (n < 0) return false;
    this.nodeText(n, out);
    return true;
  }

  nodeText(n: i32, out: ByteBuf): void {
    const k = this.nodeKind(n);
    if (k == V_TEXT) out.bytes(this.text.ptr + <usize>this.nodeA(n), this.nodeB(n) - this.nodeA(n));
    else if (k == V_CONST) out.ascii(this.constOf(n));
    else this.tokenText(this.nodeA(n), out);
  }

  @inline private appendConst(f: i32, s: string): void {
    const at = changetype<usize>(s);
    if (at < __heap_base) { this.append(f, V_CONST, <i32>at, 0); return; }
    // A string made at run time (a message naming a byte position) lives
    // on the heap, where after a collection another text can take its
    // address: it is kept as composed text, so a constant is always a
    // literal (the ECS writer caches literals with their steps).
    const start = this.text.len;
    const n = String.UTF8.byteLength(s);
    this.text.ensure(n);
    String.UTF8.encodeUnsafe(at, s.length, this.text.ptr + <usize>start);
    this.text.len = start + n;
    this.append(f, V_TEXT, start, this.text.len);
  }

  /** Makes value (kind, a, b) field f's first and only one, in node f. */
  @inline private putFirst(f: i32, kind: i32, a: i32, b: i32): void {
    const p = this.nodes + (<usize>f << 4);
    store<i32>(p, kind); store<i32>(p, a, 4); store<i32>(p, b, 8); store<i32>(p, -1, 12);
    unchecked(this.setBits[f >> 6] |= (<u64>1) << <u64>(f & 63));
  }

  /** Adds value (kind, a, b) after field f's values. A list is found
   *  by its links (lists are short, and most fields are set once: keeping
   *  each field's last node would cost every set a store). */
  @inline private append(f: i32, kind: i32, a: i32, b: i32): void {
    if (!this.has(f)) { this.putFirst(f, kind, a, b); return; }
    const n = this.nodeCount;
    if (n >= this.nodeRoom) this.growNodes();
    const nodes = this.nodes;
    const p = nodes + (<usize>n << 4);
    store<i32>(p, kind); store<i32>(p, a, 4); store<i32>(p, b, 8); store<i32>(p, -1, 12);
    this.nodeCount = n + 1;
    let last = f;
    while (true) {
      const next = load<i32>(nodes + (<usize>last << 4), 12);
      if (next < 0) break;
      last = next;
    }
    store<i32>(nodes + (<usize>last << 4), n, 12);
  }

  private growNodes(): void {
    const room = this.nodeRoom << 1;
    this.nodes = heap.realloc(this.nodes, <usize>room * NODE_BYTES);
    this.nodeRoom = room;
  }

  /** Whether list field `f` already holds a value with the same text. */
  private hasEqualValue(f: i32, kind: i32, a: i32, b: i32): bool {
    let n = this.first(f);
    if (n < 0) return false;
    // Two constants are told apart without making their bytes: the same
    // string is equal, and (constants being ASCII) a different length is
    // not. Lists of constants (event.category, tags) are the usual case.
    const isConst = kind == V_CONST;
    let wantLen = isConst ? changetype<string>(<usize>a).length : 0;
    let wantPtr: usize = 0;
    let made = false;
    while (n >= 0) {
      const node = this.nodeAt(n);
      const nodeKind = load<i32>(node);
      const nodeA = load<i32>(node, 4);
      n = load<i32>(node, 12);
      if (isConst && nodeKind == V_CONST) {
        if (nodeA == a) return true;
        if (changetype<string>(<usize>nodeA).length != wantLen) continue;
      }
      if (!made) {
        this.view(kind, a, b, this.scratchA);
        wantPtr = viewPtr;
        wantLen = viewLen;
        made = true;
      }
      this.view(nodeKind, nodeA, load<i32>(node, 8), this.scratchB);
      if (viewLen == wantLen && sameBytes(viewPtr, wantPtr, wantLen)) return true;
    }
    return false;
  }

  /** Sets viewPtr/viewLen to a value's text: where it already is when it
   *  can be read in place (composed text, an unescaped string or any other
   *  token of the record), else decoded into `scratch`. */
  @inline private view(kind: i32, a: i32, b: i32, scratch: ByteBuf): void {
    if (kind == V_TEXT) { viewPtr = this.text.ptr + <usize>a; viewLen = b - a; return; }
    if (kind == V_TOKEN) {
      const tape = this.tape;
      const cell = tape.cell(a);
      const kindAndFlags = load<i32>(cell);
      const start = load<i32>(cell, 4);
      const end = load<i32>(cell, 8);
      if ((kindAndFlags & 0xff) != T_STR) { viewPtr = tape.ptr(start); viewLen = end - start; return; }
      if ((kindAndFlags & (F_ESCAPED << 8)) == 0) { viewPtr = tape.ptr(start + 1); viewLen = end - start - 2; return; }
    }
    scratch.reset();
    if (kind == V_TOKEN) this.tokenText(a, scratch);
    else scratch.ascii(changetype<string>(<usize>a));
    viewPtr = scratch.ptr;
    viewLen = scratch.len;
  }

  private tokenText(tok: i32, out: ByteBuf): void {
    const tape = this.tape;
    if (tape.kind(tok) == T_STR) decodeStringToken(out, tape, tok);
    else out.bytes(tape.ptr(tape.start(tok)), tape.end(tok) - tape.start(tok));
  }

  @inline private tokenFits(f: i32, tok: i32): bool {
    if (tok < 0) return false;
    const tape = this.tape;
    // The token's parts, read from one address.
    const cell = tape.cell(tok);
    const kindAndFlags = load<i32>(cell);
    const kind = kindAndFlags & 0xff;
    const fl = kindAndFlags >> 8;
    const ty = fieldType(f);
    if (ty == TY_KEYWORD || ty == TY_TEXT) {
      if (kind == T_STR) {
        const start = load<i32>(cell, 4);
        return !isPlaceholder(tape, tok, start, load<i32>(cell, 8) - start - 2);
      }
      return kind == T_NUM || kind == T_TRUE || kind == T_FALSE;
    }
    if (ty == TY_LONG) {
      if (kind == T_NUM) {
        return (fl & F_INT) != 0 && (fl & F_UNSAFE) == 0 && fitsI64(tape, load<i32>(cell, 4), load<i32>(cell, 8));
      }
      if (kind == T_STR && (fl & F_ESCAPED) == 0) {
        return isInteger(tape, load<i32>(cell, 4) + 1, load<i32>(cell, 8) - 1);
      }
      return false;
    }
    if (ty == TY_BOOL) {
      return kind == T_TRUE || kind == T_FALSE || tape.stringEquals(tok, "true") || tape.stringEquals(tok, "false");
    }
    if (ty == TY_IP) {
      return kind == T_STR && (fl & F_ESCAPED) == 0 &&
        isIp(tape.ptr(load<i32>(cell, 4) + 1), load<i32>(cell, 8) - load<i32>(cell, 4) - 2);
    }
    return false; // dates are always composed text
  }

  private textFits(f: i32, start: i32): bool {
    const len = this.text.len - start;
    if (len <= 0) return false;
    const ty = fieldType(f);
    if (ty == TY_IP) return isIp(this.text.ptr + <usize>start, len);
    return true;
  }
}

/** Sysdig's and Falco's ways of saying "no value". The length decides for
 *  most values, inline; the rest are compared. */
@inline function isPlaceholder(tape: Tape, tok: i32, start: i32, n: i32): bool {
  if (n == 0) return true;
  if (n < 3 || n > 5) return false;
  // All three begin with "<" or "N": most values of 3 to 5 bytes stop here.
  const c = tape.byteAt(start + 1);
  return (c == 0x3c || c == 0x4e) && isPlaceholderText(tape, tok, n);
}

/** Whether a string token of 3 to 5 bytes is one of the placeholders: its
 *  length says which one it can be ("NIST" is compared with "<NA>" only). */
function isPlaceholderText(tape: Tape, tok: i32, n: i32): bool {
  return tape.stringEquals(tok, n == 3 ? "N/A" : n == 4 ? "<NA>" : "<N/A>");
}

/** An optional minus and 1–19 digits within the i64 range. */
function isInteger(tape: Tape, p: i32, end: i32): bool {
  let q = p;
  if (q < end && tape.byteAt(q) == 0x2d) q++;
  if (q >= end) return false;
  for (let i = q; i < end; i++) {
    const c = tape.byteAt(i);
    if (c < 0x30 || c > 0x39) return false;
  }
  if (end - q > 1 && tape.byteAt(q) == 0x30) return false;
  return fitsI64(tape, p, end);
}

function fitsI64(tape: Tape, p: i32, end: i32): bool {
  const neg = tape.byteAt(p) == 0x2d;
  const q = neg ? p + 1 : p;
  const n = end - q;
  if (n < 19) return true;
  if (n > 19) return false;
  for (let k = 0; k < 19; k++) {
    const d = tape.byteAt(q + k) - <i32>I64_MAX_DIGITS.charCodeAt(k);
    if (d != 0) return d < 0 || (neg && k == 18 && d == 1);
  }
  return true;
}
