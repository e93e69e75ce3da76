// Falco's JSON alert (json_output: true) and Falcosidekick's forwarded copy
// of it, told from their top-level keys. Every layout since Falco 0.30 has
// `rule`, `priority` and `time`; `output`, `output_fields`, `tags` can be
// switched off; `source` and `tags` exist from 0.30, `hostname` from 0.32,
// `message` from 0.39 (json_include_message_property); Falcosidekick adds
// `uuid`. Key order changed in 0.39 (sorted): only names are read here.

import { Tape, T_STR } from "../json/tape";
import { KeyTable } from "../text/keytable";

export const FK_RULE = 0;
export const FK_PRIORITY = 1;
export const FK_TIME = 2;
export const FK_OUTPUT = 3;
export const FK_OUTPUT_FIELDS = 4;
export const FK_SOURCE = 5;
export const FK_TAGS = 6;
export const FK_HOSTNAME = 7;
export const FK_UUID = 8;
export const FK_MESSAGE = 9;

const FALCO_KEYS = new KeyTable([
  "rule", "priority", "time", "output", "output_fields", "source", "tags", "hostname", "uuid", "message",
]);

/** Value tokens of a Falco alert's top-level keys, by FK_* index. */
export const falcoTop = FALCO_KEYS.newFound();

/** Whether the object at `root` is a Falco alert: `rule` and `priority` are
 *  strings, and it has the time, the output text or the output fields. */
export function isFalcoAlert(tape: Tape, root: i32): bool {
  FALCO_KEYS.collect(tape, root, falcoTop);
  const rule = unchecked(falcoTop[FK_RULE]);
  const priority = unchecked(falcoTop[FK_PRIORITY]);
  if (rule < 0 || priority < 0 || tape.kind(rule) != T_STR || tape.kind(priority) != T_STR) return false;
  return unchecked(falcoTop[FK_TIME]) >= 0 || unchecked(falcoTop[FK_OUTPUT]) >= 0 ||
    unchecked(falcoTop[FK_OUTPUT_FIELDS]) >= 0;
}
