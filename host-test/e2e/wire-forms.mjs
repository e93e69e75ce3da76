// The wire forms of Sysdig's Event Forwarding integrations, built to the
// protocols' specifications, for the front-door end-to-end suites:
//   - Splunk HEC: envelopes {time, host, source, sourcetype, index, event},
//     `event` an object or a string holding JSON; several envelopes per body,
//     concatenated or one per line (both allowed by HEC's /services/collector/event);
//   - syslog: RFC 5424 messages (RFC 3164 for UDP too), framed by octet
//     counting (RFC 6587 3.4.1, required by RFC 5425 for TLS) or by a line
//     feed (RFC 6587 3.4.2);
//   - the Elasticsearch bulk API: an action line and a document line each,
//     every line ending in "\n"; Sysdig's KV_PAIRS option turns `labels` and
//     `content.fields` into [{"key": …, "value": …}] lists.
// Every payload goes on the wire as its compact text (compactJson), so its
// numbers keep every digit.

import { compactJson, parseExact } from '../host.mjs';

/** Sysdig's default HEC sourcetype for each data type (its "Forwarding to
 *  Splunk" page), keyed by the dataset the normalizer gives the event. */
const SYSDIG_SOURCETYPES = {
  'sysdig.policy': 'SysdigSecureEvents',
  'sysdig.benchmark': 'SysdigSecureEvents',
  'sysdig.host_scanning': 'SysdigSecureEvents',
  'sysdig.secure_notification': 'SysdigSecureEvents',
  'sysdig.policy_legacy': 'SysdigPolicy',
  'sysdig.audit': 'SysdigActivityAudit',
  'sysdig.platform_audit': 'SysdigAuditTrail',
  'sysdig.monitor_event': 'SysdigMonitor',
  'sysdig.monitor_alert': 'SysdigMonitor',
};

/** The sourcetype Sysdig's HEC integration gives a shape by default. Falco
 *  alerts are not a Sysdig data type; they get the runtime events' one. */
export function sysdigSourcetype(shape) {
  const dataset = shape.ecs.event.dataset;
  return SYSDIG_SOURCETYPES[dataset] ?? (dataset.startsWith('falco.') ? 'SysdigSecureEvents' : null);
}

/** The envelope fields an HEC sender sets around the event, as Sysdig's
 *  form fills them: the index and sourcetype from the integration, the
 *  host and source of its own choosing, `time` as epoch seconds. */
export function hecEnvelopeFields(shape) {
  return {
    time: 1606322948.648,
    host: 'sysdig-secure.example',
    source: 'sysdig-event-forwarding',
    sourcetype: sysdigSourcetype(shape),
    index: 'sysdig',
  };
}

/** One HEC envelope (compact JSON text) holding the shape's payload,
 *  `event` as the object itself or as a string holding its JSON text. */
export function hecEnvelope(shape, { eventAs = 'object' } = {}) {
  const fields = hecEnvelopeFields(shape);
  const payload = compactJson(shape.text);
  const event = eventAs === 'string' ? JSON.stringify(payload) : payload;
  return `{"time":${fields.time},"host":${JSON.stringify(fields.host)},"source":${JSON.stringify(fields.source)},` +
    `"sourcetype":${JSON.stringify(fields.sourcetype)},"index":${JSON.stringify(fields.index)},"event":${event}}`;
}

/** Several envelopes in one body: back to back ("concatenated", as HEC
 *  clients batch them) or one per line. */
export function hecBody(shapes, { join = 'concatenated', eventAs = 'object' } = {}) {
  const envelopes = shapes.map((shape) => hecEnvelope(shape, { eventAs }));
  return join === 'lines' ? `${envelopes.join('\n')}\n` : envelopes.join('');
}

/** An RFC 5424 message carrying the payload as MSG (Sysdig's content
 *  "JSON"). With bom, MSG starts with the UTF-8 byte order mark
 *  (MSG-UTF8); structured data is "-" or the element given. */
export function rfc5424Message(shape, { bom = false, structuredData = '-', msgid = 'policy' } = {}) {
  // <PRI> = facility local0 (16) * 8 + severity warning (4).
  const header = `<132>1 2020-11-25T16:49:08.648718Z sysdig-secure.example sysdig - ${msgid} ${structuredData}`;
  return `${header} ${bom ? '\u{feff}' : ''}${compactJson(shape.text)}`;
}

/** An RFC 3164 message carrying the payload after the tag. */
export function rfc3164Message(shape) {
  return `<132>Nov 25 16:49:08 sysdig-secure.example sysdig: ${compactJson(shape.text)}`;
}

/** RFC 6587 octet counting: "<MSG-LEN> <message>", the length in octets. */
export function octetCounted(message) {
  return `${Buffer.byteLength(message, 'utf8')} ${message}`;
}

/** RFC 6587 non-transparent framing: the message, then a line feed. */
export function newlineFramed(message) {
  return `${message}\n`;
}

/** A _bulk request body: an `index` action naming the index, then the
 *  document, each on its own line ending in "\n". */
export function bulkBody(documents, { index = 'sysdig-events', action = 'index' } = {}) {
  return documents.map((doc) => `{"${action}":{"_index":${JSON.stringify(index)}}}\n${doc}\n`).join('');
}

/** The payload as Sysdig's Elasticsearch integration sends it with the
 *  KV_PAIRS option: `labels` and `content.fields`, where they are objects,
 *  become [{"key": k, "value": v}] lists in the same order. Compact JSON;
 *  integers keep every digit. */
export function kvPairsDocument(shape) {
  return exactJson(kvPairs(parseExact(shape.text)));
}

/** The KV_PAIRS change on a parsed payload (a copy). */
export function kvPairs(payload) {
  const doc = structuredClone(payload);
  const toPairs = (object) => Object.entries(object).map(([key, value]) => ({ key, value }));
  const isObject = (v) => v !== null && typeof v === 'object' && !Array.isArray(v);
  if (isObject(doc.labels)) doc.labels = toPairs(doc.labels);
  if (isObject(doc.content) && isObject(doc.content.fields)) doc.content.fields = toPairs(doc.content.fields);
  return doc;
}

/** Whether Sysdig's KV_PAIRS option changes this payload at all. */
export function kvPairsChanges(shape) {
  return kvPairsDocument(shape) !== exactJson(parseExact(shape.text));
}

/** JSON text of a value from parseExact: BigInts are written as their
 *  digits. */
export function exactJson(value) {
  if (typeof value === 'bigint') return value.toString();
  if (Array.isArray(value)) return `[${value.map(exactJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    return `{${Object.entries(value).map(([k, v]) => `${JSON.stringify(k)}:${exactJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}
