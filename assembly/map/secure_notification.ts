// The Sysdig Secure notification-channel webhook (the format of 2018 and
// later): Monitor's alert envelope (`alert`, `entities[]`, `state`), sent by
// Secure, with `source: "Sysdig Secure"` and each entity's `policies` and
// `policyEvents`. families.ts maps it as a Monitor alert whose observer is
// Sysdig Secure; this module only tells it apart.

import { Tape, T_ARR, T_OBJ } from "../json/tape";

/** Whether the first entity of `entities` carries Secure's policyEvents. */
export function firstEntityHasPolicyEvents(tape: Tape, entities: i32): bool {
  if (entities < 0 || tape.kind(entities) != T_ARR || tape.next(entities) == entities + 1) return false;
  const entity = entities + 1;
  if (tape.kind(entity) != T_OBJ) return false;
  const end = tape.next(entity);
  for (let c = entity + 1; c < end; c = tape.next(c + 1)) {
    if (tape.stringEquals(c, "policyEvents") && tape.kind(c + 1) == T_ARR && tape.next(c + 1) > c + 2) return true;
  }
  return false;
}
