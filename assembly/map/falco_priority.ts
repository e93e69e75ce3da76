// Falco's priority names → the syslog severity code Falco itself documents
// (Emergency 0 … Debug 7), which is also Sysdig's severity scale, so Falco
// and Sysdig alerts sort and filter alike in one index:
//
//   priority       event.severity   log.level (CIM severity)   log.syslog.severity.name
//   Emergency      0                high                       emergency
//   Alert          1                high                       alert
//   Critical       2                high                       critical
//   Error          3                high                       error
//   Warning        4                medium                     warning
//   Notice         5                medium                     notice
//   Informational  6                low                        informational
//   Debug          7                informational              debug
//
// log.level uses Sysdig's own grouping of the same codes (severity.ts).
// Names are matched without regard to case; "Info" is Falco's short form.

import { Tape, T_STR } from "../json/tape";

const NAMES: string[] = [
  "emergency", "alert", "critical", "error", "warning", "notice", "informational", "debug",
];

/** The syslog name of a code from falcoPriorityCode. */
export function syslogSeverityName(code: i32): string { return NAMES[code]; }

/** The code of a priority string token, or -1 when it names none. */
export function falcoPriorityCode(tape: Tape, tok: i32): i32 {
  if (tok < 0 || tape.kind(tok) != T_STR) return -1;
  const p = tape.innerStart(tok);
  const n = tape.innerLen(tok);
  for (let code = 0; code < NAMES.length; code++) {
    if (equalsIgnoreCase(tape, p, n, NAMES[code])) return code;
  }
  if (equalsIgnoreCase(tape, p, n, "info")) return 6;
  return -1;
}

function equalsIgnoreCase(tape: Tape, p: i32, n: i32, s: string): bool {
  if (n != s.length) return false;
  for (let i = 0; i < n; i++) {
    let c = tape.byteAt(p + i);
    if (c >= 0x41 && c <= 0x5a) c += 32;
    if (c != <i32>s.charCodeAt(i)) return false;
  }
  return true;
}
