// Iterates name/value pairs whether Sysdig sent them as an object
// ({"proc.name": "touch"}) or as a legacy list ([{"key": …, "value": …}]).

import { Tape, T_OBJ, T_ARR } from "../json/tape";
import { isKeyValueList, kvKeyToken, kvValueToken } from "../json/walker";

export class Entries {
  tape: Tape;
  key: i32 = -1;
  value: i32 = -1;
  private cursor: i32 = 0;
  private end: i32 = 0;
  private isList: bool = false;

  constructor(tape: Tape) { this.tape = tape; }

  /** Starts on token `tok`; false if it holds no pairs. */
  start(tok: i32): bool {
    this.cursor = 0; this.end = 0;
    if (tok < 0) return false;
    const kind = this.tape.kind(tok);
    if (kind == T_OBJ) this.isList = false;
    else if (kind == T_ARR && isKeyValueList(this.tape, tok)) this.isList = true;
    else return false;
    this.cursor = tok + 1;
    this.end = this.tape.next(tok);
    return true;
  }

  @inline next(): bool {
    if (this.cursor >= this.end) return false;
    const tape = this.tape;
    if (this.isList) {
      this.key = kvKeyToken(tape, this.cursor);
      this.value = kvValueToken(tape, this.cursor);
      this.cursor = tape.next(this.cursor);
    } else {
      this.key = this.cursor;
      this.value = this.cursor + 1;
      this.cursor = tape.next(this.value);
    }
    return true;
  }
}

let listEntries: Entries | null = null;

/** Calls visitor.pair(tape, key, value) for each name/value pair of `tok`,
 *  an object or a {key, value} list (nothing for anything else). Generic
 *  over the visitor's class, so each mapper gets the loop compiled for its
 *  own visitor: no indirect call per pair (the interpreter pays for one). */
export function forEachPair<V>(tape: Tape, tok: i32, visitor: V): void {
  if (tok >= 0 && tape.kind(tok) == T_OBJ) {
    // An object, the usual shape: its members are walked here, with no
    // iterator between (the interpreter pays for every field it touches).
    const end = tape.next(tok);
    let c = tok + 1;
    while (c < end) {
      visitor.pair(tape, c, c + 1);
      c = tape.next(c + 1);
    }
    return;
  }
  let it = listEntries;
  if (it == null || it.tape != tape) { it = new Entries(tape); listEntries = it; }
  if (!it.start(tok)) return;
  while (it.next()) visitor.pair(tape, it.key, it.value);
}
