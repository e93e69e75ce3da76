// The "nothing the sender sent is lost" oracle shared by the adversarial and
// fuzz tests. It checks one filter result against its input:
//   - input that is not a JSON object (or does not parse) must come back whole:
//     ECS in event.original, Splunk as the event string;
//   - otherwise every scalar of the input must appear in the payload
//     (ECS `sysdig` or `falco`, Splunk `event`) or, where the filter says it dropped
//     values (duplicate keys), the exact input must be in event.original.
// Scalars are compared as they are written: strings by value (lone
// surrogates as U+FFFD, as the filter must repair them), numbers by their
// digits (a number the filter turned into a string keeps the same digits).
// The documented rewrites are allowed for: a {key, value} list element's key
// string becomes an object key (with `.`/`[` → `_`, `]` dropped), and a
// container cut at the depth limit is kept as JSON text, which is expanded.
// Platform Audit's entityPayload, a JSON string, may come out decoded: its
// scalars must then be there instead, except the values of the keys the
// document says it redacted (and only those).

import { expect } from 'vitest';
import { findDuplicateKeys, parseExact } from '../host.mjs';
import { isHecEnvelope } from '../vector/parity.mjs';

const NUMBER = /-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?/y;
const ESCAPES = { '"': '"', '\\': '\\', '/': '/', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t' };

/** Lists the scalars (and keys) of valid JSON text, numbers as their digits. */
export function scalarsOf(text) {
  const values = [];
  const keys = [];
  let i = 0;
  const ws = () => {
    while (i < text.length && ' \t\n\r'.includes(text[i])) i++;
  };
  const str = () => {
    let out = '';
    i++;
    for (;;) {
      // Copy the run up to the next quote or backslash in one slice.
      let stop = i;
      while (stop < text.length && text.charCodeAt(stop) !== 0x22 && text.charCodeAt(stop) !== 0x5c) stop++;
      out += text.slice(i, stop);
      i = stop;
      const c = text[i];
      if (c === undefined) throw new Error('scalarsOf: unterminated string');
      if (c === '"') {
        i++;
        return out.toWellFormed();
      }
      if (c === '\\') {
        const e = text[i + 1];
        if (e === 'u') {
          out += String.fromCharCode(parseInt(text.slice(i + 2, i + 6), 16));
          i += 6;
        } else {
          out += ESCAPES[e];
          i += 2;
        }
      }
    }
  };
  // Iterative, so 100,000-deep inputs do not overflow the JS stack.
  const stack = [];
  let expectKey = false;
  for (;;) {
    ws();
    const c = text[i];
    if (c === undefined) break;
    if (c === '{' || c === '[') {
      stack.push(c);
      i++;
      expectKey = c === '{';
      continue;
    }
    if (c === '}' || c === ']') {
      stack.pop();
      i++;
      continue;
    }
    if (c === ',') {
      i++;
      expectKey = stack.at(-1) === '{';
      continue;
    }
    if (c === ':') {
      i++;
      continue;
    }
    if (c === '"') {
      const s = str();
      if (expectKey) {
        keys.push(s);
        expectKey = false;
      } else values.push({ kind: 'string', value: s });
      continue;
    }
    NUMBER.lastIndex = i;
    const m = NUMBER.exec(text);
    if (m && m[0].length > 0) {
      values.push({ kind: 'number', value: m[0] });
      i += m[0].length;
      continue;
    }
    const literal = ['true', 'false', 'null'].find((l) => text.startsWith(l, i));
    if (!literal) throw new Error(`scalarsOf: not JSON at ${i}: ${text.slice(i, i + 20)}`);
    values.push({ kind: 'literal', value: literal });
    i += literal.length;
  }
  return { values, keys };
}

/** The filter's safe-key rule: "]" dropped, ".", "[" and NUL → "_", and a
 *  key left empty or blank (space, tab, CR, LF) gets a leading "_". */
function safeKey(key) {
  const kept = key.replace(/]/g, '');
  return (/^[ \t\n\r]*$/.test(kept) ? '_' : '') + kept.replace(/[.[\u0000]/g, '_');
}

function looksLikeContainer(s) {
  const t = s.trimStart();
  if (!t.startsWith('{') && !t.startsWith('[')) return false;
  try {
    JSON.parse(s);
    return true;
  } catch {
    return false;
  }
}

/** Scalars of the output payload text, with depth-cut JSON text expanded. */
function payloadScalars(payloadText) {
  const values = new Map();
  const keys = new Set();
  const pending = [payloadText];
  while (pending.length > 0) {
    const { values: vs, keys: ks } = scalarsOf(pending.pop());
    for (const k of ks) keys.add(k);
    for (const v of vs) {
      const id = `${v.kind}:${v.value}`;
      values.set(id, (values.get(id) ?? 0) + 1);
      if (v.kind === 'string' && looksLikeContainer(v.value)) pending.push(v.value);
    }
  }
  return { values, keys };
}

/** The raw JSON text of a top-level member of an output document (found
 *  in the text: re-serializing would round numbers). */
function memberText(output, name) {
  let i = output.indexOf('{') + 1;
  while (i < output.length) {
    while (' \t\n\r,'.includes(output[i])) i++;
    if (output[i] !== '"') return undefined;
    const keyEnd = endOfValue(output, i);
    const key = JSON.parse(output.slice(i, keyEnd));
    i = keyEnd;
    while (' \t\n\r:'.includes(output[i])) i++;
    const valueEnd = endOfValue(output, i);
    if (key === name) return output.slice(i, valueEnd);
    i = valueEnd;
  }
  return undefined;
}

function endOfValue(text, start) {
  let depth = 0;
  let inString = false;
  for (let i = start; i < text.length; i++) {
    const c = text[i];
    if (inString) {
      if (c === '\\') i++;
      else if (c === '"') {
        inString = false;
        if (depth === 0) return i + 1;
      }
    } else if (c === '"') inString = true;
    else if (c === '{' || c === '[') depth++;
    else if (c === '}' || c === ']') {
      depth--;
      if (depth === 0) return i + 1;
      if (depth < 0) return i;
    } else if (depth === 0 && c === ',') return i;
  }
  return text.length;
}

function isJsonObjectText(text) {
  try {
    const v = JSON.parse(text);
    return v !== null && typeof v === 'object' && !Array.isArray(v);
  } catch {
    return false;
  }
}

/** The fields Fluent Bit's stock syslog parsers make of the header, which
 *  the filter drops beside a `message` it unwraps (normalize.ts). */
const SYSLOG_HEADER_KEYS = ['pri', 'time', 'host', 'ident', 'pid', 'msgid', 'extradata'];
/** The HEC envelope's metadata the filter keeps as labels.hec_* (ECS) and
 *  fields.sysdig_hec_* (Splunk) (map/hec_envelope.ts). */
const HEC_KEPT_KEYS = ['host', 'source', 'sourcetype', 'index'];

/**
 * How the filter reads a record (normalize.ts): { event, envelope }, where
 * `event` is the text of the event it maps and `envelope` the HEC envelope
 * record it came in (else null). The event is the record itself, or the
 * JSON object inside its one `log` or `message` string (beside syslog header
 * fields only; a leading byte order mark dropped), or an HEC envelope's
 * `event` (an object, or a string holding one). A repeated `log`/`message`,
 * or any repeated envelope key, makes the record neither.
 */
function readRecord(inputText) {
  const record = JSON.parse(inputText);
  const names = Object.keys(record);
  const repeated = findDuplicateKeys(inputText).filter((p) => /^\/[^/]*$/.test(p));
  const wrappers = names.filter((n) => n === 'log' || n === 'message');
  if (wrappers.length === 1 && !repeated.includes(`/${wrappers[0]}`) &&
      names.every((n) => n === wrappers[0] || SYSLOG_HEADER_KEYS.includes(n)) && typeof record[wrappers[0]] === 'string') {
    const inner = record[wrappers[0]].replace(/^\ufeff/, '');
    return { event: isJsonObjectText(inner) ? inner : inputText, envelope: null };
  }
  if (repeated.length === 0 && isHecEnvelope(record)) {
    const inner = typeof record.event === 'string' ? record.event : memberText(inputText, 'event');
    if (isJsonObjectText(inner)) return { event: inner, envelope: record };
  }
  return { event: inputText, envelope: null };
}

/** The event a record carries (readRecord). */
function eventText(inputText) {
  return readRecord(inputText).event;
}

/**
 * Asserts that the output has no duplicate keys, except, for Splunk, exactly
 * those of the input's event: the HEC payload goes out as it came.
 */
export function expectOnlyInputDuplicates(input, result, target) {
  let allowed = [];
  if (target === 'splunk' && typeof input === 'string' && isJsonObjectText(input)) {
    allowed = findDuplicateKeys(eventText(input)).map((pointer) => `/event${pointer}`);
  }
  expect(findDuplicateKeys(result.output), `${target}: duplicate keys`).toEqual(allowed);
}

/**
 * Asserts that `result` (a host call result for `target`) keeps everything in
 * `inputText` (a JS string; byte-level damage is tested separately).
 */
export function expectKeepsInput(inputText, result, target) {
  expect(result.status, result.error ?? '').toBe('ok');
  const doc = result.record;
  const wellFormed = inputText.toWellFormed();
  if (!isJsonObjectText(inputText)) {
    if (target === 'ecs') {
      expect(doc.event.kind).toBe('pipeline_error');
      if (inputText.trim() !== '') expect(doc.event.original).toBe(wellFormed);
    } else if (inputText.trim() !== '') {
      expect(doc.event).toBe(wellFormed);
    }
    return;
  }
  const { envelope } = readRecord(inputText);
  if (envelope) {
    // The envelope's metadata is kept beside the event (its time is the
    // fallback clock only: the payload's own clock wins).
    for (const k of HEC_KEPT_KEYS) {
      if (typeof envelope[k] !== 'string' || envelope[k] === '') continue;
      const kept = target === 'ecs' ? doc.labels?.[`hec_${k}`] : doc.fields?.[`sysdig_hec_${k}`];
      expect(kept, `envelope ${k}`).toBe(envelope[k].toWellFormed());
    }
    // What the document has no place for (the envelope's indexed fields, or
    // its time beside an unrecognized payload's) is in event.original, the
    // envelope as sent. Splunk's output has no such field: there the
    // envelope's `fields` are not kept (README.md).
    if (target === 'ecs' && ('fields' in envelope || doc.event.dataset === 'sysdig.unknown')) {
      expect(doc.event.original).toBe(wellFormed);
      return;
    }
  }
  if (target === 'ecs' && doc.event?.original !== undefined) {
    // Values were dropped from sysdig (duplicate keys); the event is here
    // whole (unwrapped, when it came inside a log/message string).
    expect(doc.event.original).toBe(eventText(inputText).toWellFormed());
    expect(doc.error.message).toMatch(/duplicate keys/);
    return;
  }
  const statement = (target === 'ecs' ? doc.error?.message : doc.fields?.error_message) ?? '';
  if (/event\.original is withheld because it would carry the redacted secrets/.test(statement)) {
    // Duplicate keys dropped values and secrets were redacted: the filter
    // chose not to copy the secrets; it must say so, and keep no original.
    expect(doc.event?.original).toBeUndefined();
    return;
  }
  const redactedKeys = redactedKeysOf(statement);
  // ECS keeps the payload under its product's name: falco for Falco alerts.
  const ecsMember = doc.falco !== undefined ? 'falco' : 'sysdig';
  const payload = memberText(result.output, target === 'ecs' ? ecsMember : 'event');
  expect(payload, 'no payload in the output').toBeDefined();
  const have = payloadScalars(payload);
  const missing = [];
  for (const v of scalarsOf(eventText(inputText)).values) {
    const candidates = [`${v.kind}:${v.value}`];
    if (v.kind === 'number') candidates.push(`string:${v.value}`);
    const found = candidates.find((id) => (have.values.get(id) ?? 0) > 0);
    if (found) have.values.set(found, have.values.get(found) - 1);
    else if (v.kind === 'string' && (have.keys.has(safeKey(v.value)) || have.keys.has(v.value))) continue;
    else if (v.kind === 'string' && keptDecoded(v.value, have, redactedKeys)) continue;
    else missing.push(v);
  }
  expect(missing, `input values missing from the ${target} payload`).toEqual([]);
}

/** The key names a document lists as redacted (see normalize.ts). */
function redactedKeysOf(statement) {
  const m = /values of secret-looking keys replaced by "\[REDACTED\]": (.*?)(?:; |$)/.exec(statement);
  return new Set(m ? m[1].split(', ') : []);
}

const scalarId = (v) => {
  if (typeof v === 'string') return `string:${v.toWellFormed()}`;
  if (typeof v === 'number' || typeof v === 'bigint') return `number:${v}`;
  return `literal:${v}`;
};

/** Ids of every scalar inside `node`. */
function leafIds(node, out) {
  if (node !== null && typeof node === 'object') for (const v of Object.values(node)) leafIds(v, out);
  else out.push(scalarId(node));
  return out;
}

const isPairList = (a) =>
  a.length > 0 &&
  a.every((e) => e !== null && typeof e === 'object' && !Array.isArray(e) && Object.keys(e).length === 2 && typeof e.key === 'string' && 'value' in e);

/** Ids of the scalars held under the redacted keys (of objects, or of
 *  [{key,value}] lists); null and "" are never redacted. */
function redactedLeafIds(node, keys, out) {
  if (node === null || typeof node !== 'object') return out;
  const pairs = Array.isArray(node) ? (isPairList(node) ? node.map((e) => [e.key, e.value]) : null) : Object.entries(node);
  if (pairs === null) {
    for (const v of node) redactedLeafIds(v, keys, out);
    return out;
  }
  for (const [k, v] of pairs) {
    if (keys.has(k) && v !== null && v !== '') leafIds(v, out);
    else redactedLeafIds(v, keys, out);
  }
  return out;
}

/** Whether a JSON-container string of the input was written decoded: each
 *  of its scalars is in the payload, or is a key there, or was redacted. */
function keptDecoded(text, have, redactedKeys) {
  let tree;
  try {
    tree = parseExact(text);
  } catch {
    return false;
  }
  if (tree === null || typeof tree !== 'object') return false;
  const allowed = new Map();
  for (const id of redactedLeafIds(tree, redactedKeys, [])) allowed.set(id, (allowed.get(id) ?? 0) + 1);
  const taken = [];
  for (const v of scalarsOf(text).values) {
    const candidates = [`${v.kind}:${v.value}`];
    if (v.kind === 'number') candidates.push(`string:${v.value}`);
    const found = candidates.find((id) => (have.values.get(id) ?? 0) > 0);
    if (found) {
      have.values.set(found, have.values.get(found) - 1);
      taken.push(found);
      continue;
    }
    if (v.kind === 'string' && (have.keys.has(safeKey(v.value)) || have.keys.has(v.value))) continue;
    const id = candidates[0];
    if ((allowed.get(id) ?? 0) > 0) {
      allowed.set(id, allowed.get(id) - 1);
      continue;
    }
    for (const t of taken) have.values.set(t, have.values.get(t) + 1);
    return false;
  }
  return true;
}
