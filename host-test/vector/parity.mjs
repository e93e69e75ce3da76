// Comparing the VRL port with the wasm module, output for output, as parsed
// JSON. Everything must be equal except the differences documented in
// vector/README.md, each of which is named here, recognized from the input or
// the outputs, and checked for what it is (nothing else is excused).

import { createHash } from 'node:crypto';
import { findDuplicateKeys, parseExact } from '../host.mjs';

/** event.dataset values the VRL port maps (the module's families on main). */
export const VRL_PORTED_DATASETS = [
  'sysdig.policy',
  'sysdig.policy_legacy',
  'sysdig.monitor_alert',
  'sysdig.audit',
  'sysdig.secure_notification',
  'sysdig.unknown',
  'sysdig.monitor_event',
  'sysdig.benchmark',
  'sysdig.host_scanning',
  // Falco alerts: falco.<source>
  'falco.alert', 'falco.syscall', 'falco.k8s_audit', 'falco.aws_cloudtrail', 'falco.okta', 'falco.github',
];

/**
 * Families the module maps and the VRL port does not yet, keyed by the
 * module's event.dataset. For these the VRL side must still lose nothing: a
 * pipeline_error document carrying the input. Add a dataset here when a new
 * family lands in the module before its VRL port does (vector/README.md).
 */
export const VRL_NOT_PORTED_DATASETS = [
  'sysdig.platform_audit',
];

/** The webhook clock every test feeds both sides (as the golden tests do). */
export const CLOCK = { tag: 'sysdig', sec: 1700000000, nsec: 500000000 };
export const CLOCK_RFC3339 = '2023-11-14T22:13:20.500000000Z';

/** The CLI input line for one record: what http_server gives the program. */
export const cliLine = (text) => JSON.stringify({ message: text, timestamp: CLOCK_RFC3339 });

export const md5Hex = (text) => createHash('md5').update(text, 'utf8').digest('hex');

const I64_MAX = 9223372036854775807n;
const I64_MIN = -9223372036854775808n;

/** Number tokens of a JSON text (strings skipped), as written. */
function numberTokens(text) {
  const tokens = [];
  const number = /-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?/y;
  for (let i = 0; i < text.length; ) {
    const c = text[i];
    if (c === '"') {
      i++;
      while (i < text.length && text[i] !== '"') i += text[i] === '\\' ? 2 : 1;
      i++;
    } else if (c === '-' || (c >= '0' && c <= '9')) {
      number.lastIndex = i;
      const m = number.exec(text);
      if (!m) { i++; continue; }
      tokens.push(m[0]);
      i += m[0].length;
    } else i++;
  }
  return tokens;
}

function maxDepth(text) {
  let depth = 0;
  let max = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '"') {
      i++;
      while (i < text.length && text[i] !== '"') i += text[i] === '\\' ? 2 : 1;
    } else if (c === '{' || c === '[') max = Math.max(max, ++depth);
    else if (c === '}' || c === ']') depth--;
  }
  return max;
}

const isKvList = (v) =>
  Array.isArray(v) && v.length > 0 &&
  v.every((el) => el && typeof el === 'object' && !Array.isArray(el) && Object.keys(el).length === 2 &&
    typeof el.key === 'string' && 'value' in el);

const safeKey = (k) => (/^[ \t\n\r\]]*$/.test(k) ? '_' : '') + k.replace(/[.[]/g, '_').replace(/\]/g, '');

/** Keys that collide once made safe, or repeat in a [{key,value}] list. */
function hasKeyCollision(tree) {
  const stack = [tree];
  while (stack.length) {
    const node = stack.pop();
    if (node === null || typeof node !== 'object') continue;
    let keys;
    if (isKvList(node)) {
      keys = node.map((el) => el.key);
      for (const el of node) stack.push(el.value);
    } else if (Array.isArray(node)) {
      stack.push(...node);
      continue;
    } else {
      keys = Object.keys(node);
      stack.push(...Object.values(node));
    }
    const safe = keys.map(safeKey);
    if (new Set(safe).size !== safe.length) return true;
  }
  return false;
}

/** Whether the tree holds a [{key,value}] list anywhere. */
function hasKvList(tree) {
  const stack = [tree];
  while (stack.length) {
    const node = stack.pop();
    if (node === null || typeof node !== 'object') continue;
    if (isKvList(node)) return true;
    stack.push(...(Array.isArray(node) ? node : Object.values(node)));
  }
  return false;
}

/** A JSON text with a lone UTF-16 surrogate escape (serde_json refuses it). */
const LONE_SURROGATE = /\\u[dD][89abAB][0-9a-fA-F]{2}(?!\\u[dD][c-fC-F][0-9a-fA-F]{2})|(?<!\\u[dD][89abAB][0-9a-fA-F]{2})\\u[dD][c-fC-F][0-9a-fA-F]{2}/;

/**
 * The documented differences an input can bring out, by name. An empty list
 * means VRL and the module must say exactly the same.
 */
export function inputDifferences(text) {
  const found = new Set();
  const inner = unwrapped(text);
  for (const t of [text, inner]) {
    if (t === null) continue;
    for (const token of numberTokens(t)) {
      if (/[.eE]/.test(token)) found.add('non-integer numbers');
      else if (token === '-0') found.add('-0');
      else {
        const n = BigInt(token);
        if (n > I64_MAX || n < I64_MIN) found.add('integers beyond i64');
      }
    }
    if (LONE_SURROGATE.test(t)) found.add('lone surrogates');
    const depth = maxDepth(t);
    if (depth >= 128) found.add('nesting of 128 and more');
    else if (depth > 64) found.add('nesting deeper than 64 (Splunk)');
    try {
      if (findDuplicateKeys(t).length > 0) found.add('duplicate keys');
      const tree = parseExact(t);
      if (hasKeyCollision(tree)) found.add('duplicate keys');
      // The module counts depth on its output, where a [{key,value}] list is
      // one level less; VRL's parse_json stops on the input's depth.
      if (depth > 16 && depth < 128 && hasKvList(tree)) found.add('key/value lists above depth 16');
    } catch {
      // not JSON: nothing more to find
    }
  }
  return [...found];
}

/**
 * The event text inside a {"log"|"message": "<json>"} wrapper (syslog header
 * fields beside it allowed, a leading byte order mark dropped), or inside an
 * HEC envelope (its `event`, an object as written or a string holding one),
 * or null.
 */
export function unwrapped(text) {
  try {
    const outer = JSON.parse(text);
    if (outer && typeof outer === 'object' && !Array.isArray(outer)) {
      const keys = Object.keys(outer);
      const wrappers = keys.filter((k) => k === 'log' || k === 'message');
      if (wrappers.length === 1 && typeof outer[wrappers[0]] === 'string' &&
          keys.every((k) => k === wrappers[0] || SYSLOG_HEADER_KEYS.includes(k))) {
        const event = outer[wrappers[0]].replace(/^\ufeff/, '');
        const inner = JSON.parse(event);
        if (inner && typeof inner === 'object' && !Array.isArray(inner)) return event;
        return null;
      }
      if (isHecEnvelope(outer)) {
        const event = typeof outer.event === 'string' ? outer.event : memberText(text, 'event');
        const inner = JSON.parse(event);
        if (inner && typeof inner === 'object' && !Array.isArray(inner)) return event;
      }
    }
  } catch {
    // not a wrapper
  }
  return null;
}

const HEC_STRING_KEYS = ['host', 'source', 'sourcetype', 'index'];
/** The header fields of Fluent Bit's stock syslog parsers, beside `message`. */
const SYSLOG_HEADER_KEYS = ['pri', 'time', 'host', 'ident', 'pid', 'msgid', 'extradata'];

/** An HEC envelope as the module tells one (map/hec_envelope.ts). */
export function isHecEnvelope(record) {
  if (!('event' in record)) return false;
  return Object.entries(record).every(([k, v]) => {
    if (k === 'event') return (typeof v === 'object' && v !== null && !Array.isArray(v)) || typeof v === 'string';
    if (k === 'time') return typeof v === 'number' || typeof v === 'string';
    if (k === 'fields') return typeof v === 'object' && v !== null && !Array.isArray(v);
    return HEC_STRING_KEYS.includes(k) && typeof v === 'string';
  });
}

/** The text, as written, of top-level member `name` of a JSON object text. */
export function memberText(text, name) {
  let depth = 0;
  let key = null;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '"') {
      const start = i;
      for (i++; text[i] !== '"'; i++) if (text[i] === '\\') i++;
      if (depth === 1 && key === null) key = JSON.parse(text.slice(start, i + 1));
      else if (depth === 1 && key === name) return text.slice(start, i + 1);
    } else if (c === ':' && depth === 1) {
      continue;
    } else if (c === '{' || c === '[') {
      if (depth === 1 && key === name) return text.slice(i, closing(text, i) + 1);
      depth++;
    } else if (c === '}' || c === ']') {
      depth--;
    } else if (c === ',' && depth === 1) {
      key = null;
    } else if (depth === 1 && key === name && !/\s/.test(c)) {
      const m = /^[^,}\s]+/.exec(text.slice(i));
      return m[0];
    }
  }
  return null;
}

/** The index of the bracket closing the container opened at `open`. */
function closing(text, open) {
  let depth = 0;
  for (let i = open; i < text.length; i++) {
    const c = text[i];
    if (c === '"') {
      for (i++; text[i] !== '"'; i++) if (text[i] === '\\') i++;
    } else if (c === '{' || c === '[') depth++;
    else if ((c === '}' || c === ']') && --depth === 0) return i;
  }
  return -1;
}

/** "1606322948.648718268" → "1606322948.648": what Vector's HEC sink sends. */
export function millisecondTime(epochText) {
  const [sec, frac = ''] = epochText.split('.');
  return `${sec}.${(frac + '000').slice(0, 3)}`;
}

/** Epoch seconds with milliseconds from an RFC 3339 UTC text with any digits. */
export function epochMillisText(rfc3339) {
  const m = rfc3339.match(/^(.*T\d\d:\d\d:\d\d)(?:\.(\d+))?Z$/);
  if (!m) throw new Error(`not an RFC 3339 UTC time: ${rfc3339}`);
  const seconds = Date.parse(`${m[1]}Z`) / 1000;
  return `${seconds}.${((m[2] ?? '') + '000').slice(0, 3)}`;
}

/**
 * The HEC envelope Vector's splunk_hec_logs sink makes of the program's
 * event (vector.yaml: text codec on .message, timestamp_key hec_time,
 * host_key hec_host, sourcetype "{{ hec_sourcetype }}", the CIM names as
 * indexed_fields), with `time` as the sink writes it: epoch seconds cut to
 * milliseconds (kept here as text, compared as text).
 */
export function envelopeFromVectorEvent(event, cimNames, source = 'sysdig') {
  const envelope = { time: epochMillisText(event.hec_time) };
  if (event.hec_host !== undefined) envelope.host = event.hec_host;
  envelope.source = source;
  envelope.sourcetype = event.hec_sourcetype;
  envelope.event = event.message;
  envelope.fields = {};
  for (const name of cimNames) if (event[name] !== undefined) envelope.fields[name] = event[name];
  return envelope;
}

/**
 * The module's envelope brought to what the Vector sink can say: time cut to
 * milliseconds; `event` as text when Vector sends the payload's text (the
 * sink's text codec), compared by parsing that text.
 */
export function comparableEnvelopes(wasmEnvelope, vectorEnvelope) {
  const wasm = { ...wasmEnvelope, time: millisecondTime(wasmEnvelope.time) };
  const vector = { ...vectorEnvelope };
  if (typeof wasm.event !== 'string' && typeof vector.event === 'string') {
    vector.event = parseExact(vector.event);
  }
  return { wasm, vector };
}
