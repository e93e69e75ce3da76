// The key tables of a Monitor alert's `alert` and `event` objects, shared by
// their mapper (families.ts) and event_id.ts. One table per object: a key the
// parser planned keeps the answer of one table only (json/key_plan.ts), so
// two tables reading the same keys would each look them up again every record.

import { KeyTable } from "../text/keytable";

export const ALERT = new KeyTable(["id", "name", "description", "severity"]);
export const A_ID = 0, A_NAME = 1, A_DESCRIPTION = 2, A_SEVERITY = 3;
export const alert = ALERT.newFound();

export const EVENT = new KeyTable(["id", "url"]);
export const EV_ID = 0, EV_URL = 1;
export const eventKeys = EVENT.newFound();
