// Strict readers for the CEF and LEEF lines of sysdig_to_cef/sysdig_to_leef,
// written from the specifications (CEF Implementation Standard rev 27, IBM's
// LEEF guide), and the key tables read from the module's own source (so a
// new key is checked as soon as it is declared). Each function throws with
// the reason on the first rule a line breaks.
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';

const assemblyFile = (path) => readFileSync(new URL(`../../assembly/${path}`, import.meta.url), 'utf8');

/** Rows of a key table (siem/keys.ts format) from its .ts source. */
export function readKeyTable(path) {
  const src = assemblyFile(path);
  const body = src.slice(src.indexOf('_SPEC: string[] = ['), src.indexOf('];'));
  return [...body.matchAll(/^\s*"([^"]+)",/gm)].map(([, row]) => {
    const [ecs, key, limit, form, ...label] = row.trim().split(/\s+/);
    return { ecs, key, limit: limit === '-' ? 0 : Number(limit), form, label: label.join(' ') };
  });
}

export const CEF_KEYS = readKeyTable('cef/keys.ts');
export const LEEF_KEYS = readKeyTable('leef/keys.ts');
const constant = (path, name) => assemblyFile(path).match(new RegExp(`${name} = "([^"]*)"`))[1];
export const CEF_CUT_KEY = constant('cef/keys.ts', 'CEF_CUT_KEY');
export const CEF_CUT_LABEL = constant('cef/keys.ts', 'CEF_CUT_LABEL');
export const LEEF_CUT_KEY = constant('leef/keys.ts', 'LEEF_CUT_KEY');
export const DEVICE_VERSION = constant('siem/version.ts', 'DEVICE_VERSION');

/** UTF-16 code units, as Java counts a String's length. */
export const units = (s) => s.length;

const fail = (why, line) => {
  throw new Error(`${why}: ${JSON.stringify(line.slice(0, 300))}`);
};

// --- CEF ------------------------------------------------------------------

const CEF_HEADER_LIMITS = [63, 63, 31, 1023, 512];
const CEF_TYPES = new Map(CEF_KEYS.map((r) => [r.key, r]));
CEF_TYPES.set(CEF_CUT_KEY, { key: CEF_CUT_KEY, limit: 1023, form: 'text', label: CEF_CUT_LABEL });

/**
 * Parses a CEF line strictly: header escapes only `\\` and `\|`, extension
 * escapes only `\\`, `\=`, `\n`, `\r`; no unescaped `=` in a value; no raw
 * CR/LF; keys unique and declared; values typed and within their limits;
 * every custom field with its label. Returns { version, header[6], ext }.
 */
export function parseCefStrict(line) {
  if (/[\r\n]/.test(line)) fail('raw CR or LF', line);
  if (!line.startsWith('CEF:')) fail('no CEF: prefix', line);
  const header = [];
  let cur = '';
  let i = 4;
  while (header.length < 7) {
    if (i >= line.length) fail('header has fewer than 7 fields', line);
    const c = line[i];
    if (c === '\\') {
      const e = line[i + 1];
      if (e !== '\\' && e !== '|') fail(`header escape \\${e}`, line);
      cur += e;
      i += 2;
    } else if (c === '|') {
      header.push(cur);
      cur = '';
      i++;
    } else {
      cur += c;
      i++;
    }
  }
  const [version, ...fields] = header;
  if (version !== '1') fail(`version ${version}`, line);
  fields.slice(0, 5).forEach((v, k) => {
    if (v.length === 0) fail(`empty header field ${k + 1}`, line);
    if (units(v) > CEF_HEADER_LIMITS[k]) fail(`header field ${k + 1} over ${CEF_HEADER_LIMITS[k]}`, line);
  });
  if (!/^(10|[0-9])$/.test(fields[5])) fail(`severity ${fields[5]}`, line);
  const rawExt = {};
  const ext = parseCefExtension(line.slice(i), line, rawExt);
  checkCefTypes(ext, line);
  return { version, header: fields, ext, rawHeader: line.slice(0, i), rawExt };
}

function parseCefExtension(text, line, rawExt) {
  const ext = {};
  if (text.length === 0) return ext;
  // Tokens: runs of raw text split at unescaped "=", unescaping as we go.
  const parts = []; // alternating raw pieces (escaped) and unescaped values
  let raw = '';
  let value = '';
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '\\') {
      const e = text[i + 1];
      const map = { '\\': '\\', '=': '=', n: '\n', r: '\r' };
      if (!(e in map)) fail(`extension escape \\${e ?? 'at end'}`, line);
      value += map[e];
      raw += c + e;
      i++;
    } else if (c === '=') {
      parts.push({ raw, value });
      raw = '';
      value = '';
    } else {
      raw += c;
      value += c;
    }
  }
  parts.push({ raw, value });
  // parts[0] is the first key; each later part is "value key" but the last.
  let key = parts[0].raw;
  for (let p = 1; p < parts.length; p++) {
    let v;
    let next = null;
    rawExt[key] = parts[p].raw;
    if (p === parts.length - 1) v = parts[p].value;
    else {
      const r = parts[p].raw;
      const sp = r.lastIndexOf(' ');
      if (sp < 0) fail(`unescaped "=" inside the value of ${key}`, line);
      next = r.slice(sp + 1);
      rawExt[key] = r.slice(0, sp);
      // The value is everything before the separating space, unescaped.
      v = parts[p].value.slice(0, parts[p].value.length - (r.length - sp));
    }
    if (!/^[A-Za-z][A-Za-z0-9]*$/.test(key)) fail(`bad key ${JSON.stringify(key)}`, line);
    if (key in ext) fail(`key ${key} twice`, line);
    if (v.length === 0) fail(`empty value for ${key}`, line);
    ext[key] = v;
    key = next;
  }
  return ext;
}

function checkCefTypes(ext, line) {
  for (const [key, v] of Object.entries(ext)) {
    const base = key.endsWith('Label') ? key.slice(0, -5) : key;
    const row = CEF_TYPES.get(base);
    if (!row) fail(`undeclared key ${key}`, line);
    if (key.endsWith('Label')) {
      if (!row.label || v !== row.label) fail(`label ${key}=${v}`, line);
      if (!(base in ext)) fail(`${key} without ${base}`, line);
      continue;
    }
    if (row.label && ext[`${key}Label`] !== row.label) fail(`${key} without its label`, line);
    const ok = {
      text: () => units(v) <= row.limit,
      list: () => units(v) <= row.limit,
      int: () => /^-?[0-9]{1,19}$/.test(v),
      int32: () => /^-?[0-9]{1,10}$/.test(v) && Number(v) >= -(2 ** 31) && Number(v) < 2 ** 31,
      port: () => /^[0-9]{1,5}$/.test(v) && Number(v) <= 65535,
      ipv4: () => isIP(v) === 4,
      ipv6: () => isIP(v) === 6,
      ip: () => isIP(v) !== 0,
      ms: () => /^[0-9]{1,16}$/.test(v),
      ms13: () => /^[0-9]{13}$/.test(v),
      dir01: () => v === '0' || v === '1',
    }[row.form];
    if (!ok()) fail(`${key}=${JSON.stringify(v.slice(0, 80))} is not a valid ${row.form}${row.limit ? ` of at most ${row.limit}` : ''}`, line);
  }
  if (!('rt' in ext)) fail('no rt', line);
}

// --- LEEF -----------------------------------------------------------------

const LEEF_TYPES = new Map(LEEF_KEYS.map((r) => [r.key, r]));
LEEF_TYPES.set('sev', { form: 'sev' });
LEEF_TYPES.set('identSrc', { form: 'ip' });
LEEF_TYPES.set(LEEF_CUT_KEY, { form: 'text', limit: 4000 });

/** Decodes a LEEF 2.0 delimiter field: one character, or x/0x and 1–4 hex digits. */
export function leefDelimiter(field) {
  const hex = field.match(/^(?:0x|x)([0-9A-Fa-f]{1,4})$/);
  if (hex) return String.fromCharCode(parseInt(hex[1], 16));
  if ([...field].length === 1) return field;
  throw new Error(`bad LEEF delimiter ${JSON.stringify(field)}`);
}

/**
 * Checks a LEEF line strictly: `LEEF:2.0|Vendor|Product|Version|EventID|Delim|`
 * with an explicit delimiter; no `|` inside header fields; EventID at most
 * 255; no CR/LF; every attribute key=value with a plain key, each key once,
 * no empty value; devTime 13 digits; src/dst/identSrc IP addresses; ports
 * 0–65535; sev 1–10; usrName at most 255; values within their limits.
 * Returns { header, delimiter, attrs }.
 */
export function checkLeefStrict(line) {
  if (/[\r\n]/.test(line)) fail('raw CR or LF', line);
  const m = line.match(/^LEEF:2\.0\|([^|]*)\|([^|]*)\|([^|]*)\|([^|]*)\|([^|]*)\|/);
  if (!m) fail('header is not LEEF:2.0|Vendor|Product|Version|EventID|Delimiter|', line);
  const header = m.slice(1, 5);
  header.forEach((v, k) => {
    if (v.length === 0) fail(`empty header field ${k + 1}`, line);
  });
  if (units(header[3]) > 255) fail('EventID over 255', line);
  const delimiter = leefDelimiter(m[5]);
  const body = line.slice(m[0].length);
  const attrs = {};
  for (const pair of body.split(delimiter)) {
    const eq = pair.indexOf('=');
    if (eq <= 0) fail(`attribute without key=value: ${JSON.stringify(pair)}`, line);
    const key = pair.slice(0, eq);
    const v = pair.slice(eq + 1);
    if (!/^[A-Za-z][A-Za-z0-9]*$/.test(key)) fail(`bad key ${JSON.stringify(key)}`, line);
    if (key in attrs) fail(`key ${key} twice`, line);
    if (v.length === 0) fail(`empty value for ${key}`, line);
    const row = LEEF_TYPES.get(key);
    if (!row) fail(`undeclared key ${key}`, line);
    const ok = {
      text: () => units(v) <= row.limit,
      list: () => units(v) <= row.limit,
      int: () => /^-?[0-9]{1,19}$/.test(v),
      port: () => /^[0-9]{1,5}$/.test(v) && Number(v) <= 65535,
      ip: () => isIP(v) !== 0,
      ms: () => /^[0-9]{1,16}$/.test(v),
      ms13: () => /^[0-9]{13}$/.test(v),
      sev: () => /^(10|[1-9])$/.test(v),
    }[row.form];
    if (!ok()) fail(`${key}=${JSON.stringify(v.slice(0, 80))} is not a valid ${row.form}`, line);
    attrs[key] = v;
  }
  if (!('sev' in attrs) || !('cat' in attrs)) fail('no sev or cat', line);
  return { header, delimiter, attrs };
}

/** Checks a sysdig_to_cef / sysdig_to_leef host result: one JSON object with
 *  the syslog keys, and a line that passes the strict reader. */
export function checkSyslogRecord(result, target) {
  if (result.status !== 'ok') throw new Error(`${target}: ${result.status}: ${result.error}`);
  const r = result.record;
  const keys = Object.keys(r).sort().join(',');
  if (keys !== 'message,syslog_appname,syslog_hostname,syslog_msgid,syslog_severity')
    throw new Error(`${target}: keys ${keys}`);
  if (!/^[0-7]$/.test(r.syslog_severity)) throw new Error(`${target}: syslog_severity ${r.syslog_severity}`);
  if (!/^[!-~]{1,255}$/.test(r.syslog_hostname)) throw new Error(`${target}: hostname ${r.syslog_hostname}`);
  if (!/^[!-~]{1,32}$/.test(r.syslog_msgid)) throw new Error(`${target}: msgid ${r.syslog_msgid}`);
  return target === 'cef' ? parseCefStrict(r.message) : checkLeefStrict(r.message);
}
