// Sysdig Platform Audit (`type: audittrail`): one record per call to Sysdig's
// own API, by a user or a service account. It is an audit event, not an
// alert: its `severity: 0` means nothing here and is not mapped (on Sysdig's
// scale 0 would read as the most severe).

import { Doc } from "../ecs/doc";
import { KeyTable } from "../text/keytable";
import { readSmallInt } from "../text/time";
import { top, K_ID, K_TIMESTAMP, K_TIMESTAMP_RFC, K_SOURCE, K_CONTENT } from "./detect";
import { setExactEventTime } from "./clock";
import { deriveFields } from "./common";
import * as F from "./ids";

export const AUDIT_CONTENT = new KeyTable([
  "timestampNs", "customerId", "userId", "username", "teamId", "teamName", "requestMethod", "requestUri",
  "userOriginIP", "queryString", "responseStatusCode", "entityType", "entityId", "entityPayload",
  "serviceAccountId", "serviceAccountName",
]);
const C_TIMESTAMP_NS = 0, C_CUSTOMER_ID = 1, C_USER_ID = 2, C_USERNAME = 3, C_TEAM_ID = 4, C_TEAM_NAME = 5;
const C_METHOD = 6, C_URI = 7, C_ORIGIN_IP = 8, C_QUERY = 9, C_STATUS = 10, C_ENTITY_TYPE = 11, C_ENTITY_ID = 12;
export const C_ENTITY_PAYLOAD = 13;
const C_SA_ID = 14, C_SA_NAME = 15;
export const auditContent = AUDIT_CONTENT.newFound();

@inline function t(k: i32): i32 { return unchecked(top[k]); }

export function mapPlatformAudit(doc: Doc): void {
  const tape = doc.tape;
  AUDIT_CONTENT.collect(tape, t(K_CONTENT), auditContent);
  const c = auditContent;
  doc.setConst(F.EVENT_KIND, "event");
  doc.setConst(F.OBSERVER_PRODUCT, "Sysdig Platform");
  doc.setToken(F.EVENT_ID, t(K_ID));
  setExactEventTime(doc, t(K_TIMESTAMP_RFC), c[C_TIMESTAMP_NS], t(K_TIMESTAMP));
  doc.setToken(F.EVENT_PROVIDER, t(K_SOURCE));
  doc.addConst(F.EVENT_CATEGORY, "api");
  const method = c[C_METHOD];
  doc.addConst(F.EVENT_TYPE, methodType(doc, method));
  doc.setToken(F.HTTP_REQUEST_METHOD, method);
  doc.setToken(F.URL_PATH, c[C_URI]);
  doc.setToken(F.URL_QUERY, c[C_QUERY]);
  if (doc.has(F.URL_PATH)) {
    const s = doc.beginText();
    doc.valueText(F.URL_PATH, doc.text);
    if (doc.has(F.URL_QUERY)) { doc.text.byte(0x3f); doc.valueText(F.URL_QUERY, doc.text); }
    doc.setText(F.URL_ORIGINAL, s);
  }
  const statusTok = c[C_STATUS];
  if (doc.setToken(F.HTTP_RESPONSE_STATUS, statusTok)) {
    const status = readSmallInt(tape, statusTok);
    if (status >= 100 && status <= 399) doc.setConst(F.EVENT_OUTCOME, "success");
    else if (status >= 400 && status <= 599) doc.setConst(F.EVENT_OUTCOME, "failure");
    else doc.setConst(F.EVENT_OUTCOME, "unknown");
  }
  doc.setToken(F.SOURCE_IP, c[C_ORIGIN_IP]);
  // The caller: a user, else the service account whose key was used.
  doc.setToken(F.USER_ID, c[C_USER_ID]);
  doc.setToken(F.USER_NAME, c[C_USERNAME]);
  doc.setToken(F.USER_ID, c[C_SA_ID]);
  doc.setToken(F.USER_NAME, c[C_SA_NAME]);
  // A Sysdig team is the group the caller acted in.
  doc.setToken(F.USER_GROUP_ID, c[C_TEAM_ID]);
  doc.setToken(F.USER_GROUP_NAME, c[C_TEAM_NAME]);
  doc.setToken(F.ORGANIZATION_ID, c[C_CUSTOMER_ID]);
  doc.setToken(F.ENTITY_TARGET_ID, c[C_ENTITY_ID]);
  doc.setToken(F.ENTITY_TARGET_SUB_TYPE, c[C_ENTITY_TYPE]);
  // "GET /api/integrations/discovery/?cluster=… 200 by jane@example.com";
  // a record without a request line (Sysdig forwards some with no content)
  // gets no message.
  if (doc.has(F.HTTP_REQUEST_METHOD) || doc.has(F.URL_ORIGINAL)) {
    const s = doc.beginText();
    if (doc.valueText(F.HTTP_REQUEST_METHOD, doc.text)) doc.text.byte(0x20);
    if (!doc.valueText(F.URL_ORIGINAL, doc.text)) doc.text.byte(0x3f);
    if (doc.has(F.HTTP_RESPONSE_STATUS)) { doc.text.byte(0x20); doc.valueText(F.HTTP_RESPONSE_STATUS, doc.text); }
    if (doc.has(F.USER_NAME)) { doc.text.ascii(" by "); doc.valueText(F.USER_NAME, doc.text); }
    else if (doc.has(F.USER_ID)) { doc.text.ascii(" by user "); doc.valueText(F.USER_ID, doc.text); }
    doc.setText(F.MESSAGE, s);
  }
  deriveFields(doc, false);
}

/** event.type of an API call, from its HTTP method. */
function methodType(doc: Doc, tok: i32): string {
  const tape = doc.tape;
  if (tape.stringEquals(tok, "GET") || tape.stringEquals(tok, "HEAD") || tape.stringEquals(tok, "OPTIONS")) return "access";
  if (tape.stringEquals(tok, "POST")) return "creation";
  if (tape.stringEquals(tok, "PUT") || tape.stringEquals(tok, "PATCH")) return "change";
  if (tape.stringEquals(tok, "DELETE")) return "deletion";
  return "info";
}

