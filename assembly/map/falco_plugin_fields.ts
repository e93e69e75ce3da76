// The Falco output fields that Sysdig's runtime events do not carry, so the
// shared Falco-field mapper (falco.ts) has no row for them: the k8s_audit
// plugin's `ka.*`, the aws_cloudtrail plugin's `ct.*`, and `evt.type`.
// Each goes where ECS has a place for it; everything stays under falco.*.

import { Doc } from "../ecs/doc";
import { Tape, T_ARR, T_STR } from "../json/tape";
import { KeyTable } from "../text/keytable";
import { addStrings } from "./common";
import * as F from "./ids";

const KEYS = new KeyTable([
  "evt.type",
  "ka.user.name", "ka.target.namespace", "ka.target.name", "ka.target.resource", "ka.target.subresource",
  "ka.verb", "ka.useragent", "ka.sourceips", "ka.uri", "ka.response.code",
  "ka.uri.param[command]", "ka.uri.param[container]",
  "ct.user", "ct.srcip", "ct.useragent", "ct.region", "ct.user.accountid", "ct.name", "ct.src",
  "container.image.digest",
]);
const EVT_TYPE = 0;
const KA_USER = 1, KA_NAMESPACE = 2, KA_NAME = 3, KA_RESOURCE = 4, KA_SUBRESOURCE = 5, KA_VERB = 6,
  KA_USERAGENT = 7, KA_SOURCEIPS = 8, KA_URI = 9, KA_RESPONSE_CODE = 10, KA_COMMAND = 11, KA_CONTAINER = 12;
const CT_USER = 13, CT_SRCIP = 14, CT_USERAGENT = 15, CT_REGION = 16, CT_ACCOUNT = 17, CT_NAME = 18, CT_SRC = 19;
const IMAGE_DIGEST = 20;
const FIRST_KA = KA_USER, LAST_KA = KA_CONTAINER, FIRST_CT = CT_USER, LAST_CT = CT_SRC;

const found = KEYS.newFound();

@inline function v(k: i32): i32 { return unchecked(found[k]); }

function anyOf(from: i32, to: i32): bool {
  for (let k = from; k <= to; k++) if (unchecked(found[k]) >= 0) return true;
  return false;
}

/** Maps the plugin and event-type fields of Falco's `output_fields` object.
 *  Runs after the shared mapper, so a value it set (user.name from
 *  `user.name`, say) is not replaced. */
export function mapFalcoPluginFields(doc: Doc, outputFields: i32): void {
  const tape = doc.tape;
  KEYS.collect(tape, outputFields, found);

  // Kubernetes audit (k8s_audit, k8saudit-eks/-gke/-aks/-ovh …).
  if (anyOf(FIRST_KA, LAST_KA)) {
    doc.setConst(F.ORCH_TYPE, "kubernetes");
    doc.addConst(F.EVENT_CATEGORY, "api");
    doc.setToken(F.USER_NAME, v(KA_USER));
    doc.setToken(F.ORCH_NAMESPACE, v(KA_NAMESPACE));
    doc.setToken(F.ORCH_RESOURCE_NAME, v(KA_NAME));
    doc.setToken(F.ORCH_RESOURCE_TYPE, v(KA_RESOURCE));
    // The verb is the action; an exec or attach request names its
    // subresource instead, as Sysdig's kubectl-exec audit event does.
    if (!doc.setToken(F.EVENT_ACTION, v(KA_SUBRESOURCE))) doc.setToken(F.EVENT_ACTION, v(KA_VERB));
    doc.setToken(F.USER_AGENT, v(KA_USERAGENT));
    setIpList(doc, v(KA_SOURCEIPS));
    doc.setToken(F.URL_ORIGINAL, v(KA_URI));
    doc.setToken(F.HTTP_RESPONSE_STATUS, v(KA_RESPONSE_CODE));
    doc.setToken(F.PROCESS_NAME, v(KA_COMMAND));
    doc.setToken(F.CONTAINER_NAME, v(KA_CONTAINER));
  }

  // AWS CloudTrail (aws_cloudtrail plugin).
  if (anyOf(FIRST_CT, LAST_CT)) {
    doc.setConst(F.CLOUD_PROVIDER, "aws");
    doc.addConst(F.EVENT_CATEGORY, "api");
    doc.setToken(F.USER_NAME, v(CT_USER));
    doc.setToken(F.SOURCE_IP, v(CT_SRCIP));
    doc.setToken(F.USER_AGENT, v(CT_USERAGENT));
    doc.setToken(F.CLOUD_REGION, v(CT_REGION));
    doc.setToken(F.CLOUD_ACCOUNT_ID, v(CT_ACCOUNT));
    doc.setToken(F.EVENT_ACTION, v(CT_NAME));
    doc.setToken(F.CLOUD_SERVICE_NAME, v(CT_SRC));
  }

  // The system call (execve, openat, …).
  doc.setToken(F.EVENT_ACTION, v(EVT_TYPE));

  // A digest list (the shared mapper takes only a single string).
  const digest = v(IMAGE_DIGEST);
  if (digest >= 0 && tape.kind(digest) == T_ARR) addStrings(doc, F.CONTAINER_IMAGE_HASH, digest);
}

/** `ka.sourceips` is a list: Falco writes it as a JSON array of addresses
 *  (older releases as one string). The first is source.ip; all go to
 *  related.ip. Values that are not addresses are left in falco.* only. */
function setIpList(doc: Doc, tok: i32): void {
  if (tok < 0) return;
  const tape: Tape = doc.tape;
  if (tape.kind(tok) == T_STR) { doc.setToken(F.SOURCE_IP, tok); return; }
  if (tape.kind(tok) != T_ARR) return;
  const end = tape.next(tok);
  let c = tok + 1;
  while (c < end) {
    if (tape.kind(c) == T_STR) {
      doc.setToken(F.SOURCE_IP, c);
      doc.addToken(F.RELATED_IP, c);
    }
    c = tape.next(c);
  }
}
