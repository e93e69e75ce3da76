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
