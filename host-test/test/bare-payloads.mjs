// The golden inputs that are bare Sysdig (or Falco) payloads, for the suites
// that send each one in another wire form (an HEC envelope, a syslog record)
// and expect its golden outputs back.
import { readdirSync, readFileSync } from 'node:fs';
import { parseExact } from '../host.mjs';
import { isHecEnvelope, unwrapped } from '../vector/parity.mjs';

const goldenDir = new URL('../golden/', import.meta.url);
export const TARGETS = { ecs: 'sysdig_to_ecs', splunk: 'sysdig_to_splunk', cef: 'sysdig_to_cef', leef: 'sysdig_to_leef' };

/**
 * [{ name, payload, expected }]: every golden input that is a JSON object,
 * neither wrapped in a log field nor an envelope already; `payload` its bytes
 * without the file's trailing newline, `expected` the golden output text per
 * target (TARGETS), without its newline.
 */
export function barePayloadCases() {
  return readdirSync(goldenDir).sort().flatMap((name) => {
    const bytes = readFileSync(new URL(`${name}/input.json`, goldenDir));
    const text = bytes.toString('utf8');
    let tree;
    try {
      tree = parseExact(text);
    } catch {
      return [];
    }
    if (tree === null || typeof tree !== 'object' || Array.isArray(tree)) return [];
    if (unwrapped(text) !== null || isHecEnvelope(tree) || 'message' in tree) return [];
    let end = bytes.length;
    while (end > 0 && [0x0a, 0x0d, 0x20, 0x09].includes(bytes[end - 1])) end--;
    const expected = Object.fromEntries(Object.keys(TARGETS).map((t) =>
      [t, readFileSync(new URL(`${name}/expected.${t}.json`, goldenDir), 'utf8').trimEnd()]));
    return [{ name, payload: bytes.subarray(0, end), expected }];
  });
}

/** A JSON string holding these bytes as they are, escaping only what JSON
 *  must (invalid UTF-8 stays invalid, as a sender's bytes would). */
export function jsonStringBytes(bytes) {
  const out = [0x22];
  for (const b of bytes) {
    if (b === 0x22 || b === 0x5c) out.push(0x5c, b);
    else if (b < 0x20) out.push(...Buffer.from(`\\u${b.toString(16).padStart(4, '0')}`));
    else out.push(b);
  }
  out.push(0x22);
  return Buffer.from(out);
}

/** The golden ECS document's event.original as the payload alone gives it:
 *  the golden file's text ends in a newline the wire forms do not carry. */
export function trimOriginal(doc) {
  if (doc.event?.original !== undefined && doc.event.dataset !== 'sysdig.unknown') doc.event.original = doc.event.original.trimEnd();
  return doc;
}
