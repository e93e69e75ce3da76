// CEF and LEEF lines, checked three ways on every golden input and a seeded
// mutant corpus (siem-corpus.mjs):
//   1. parsed back by an independent parser, PyPI `cefp` (installed by the
//      test into ~/.cache/sysdig-normalizer/py, see py-tools.mjs): header
//      fields intact, every key there and no other, every value equal after
//      unescaping to what the key table says it must be, computed here from
//      the same event's ECS document (the rules written again, in JS);
//   2. rebuilt by PyPI `cefevent` in strict mode from the parsed values, which
//      validates types and lengths and escapes on its own: its line must be
//      ours, byte for byte (less the keys cefevent does not know);
//   3. LEEF: the strict checker of syslog-lines.mjs, and the same value
//      comparison against the ECS document.
import { beforeAll, describe, expect, it, test } from 'vitest';
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { loadFilter, parseExact } from '../host.mjs';
import { corpus, goldenInputs } from './siem-corpus.mjs';
import {
  CEF_KEYS, LEEF_KEYS, CEF_CUT_KEY, CEF_CUT_LABEL, LEEF_CUT_KEY, DEVICE_VERSION,
  parseCefStrict, checkLeefStrict, checkSyslogRecord,
} from './syslog-lines.mjs';
import { ensurePyTools, runPyScript } from '../py-tools.mjs';
import { envFileDefaults } from '../e2e/harness.mjs';

const OPTS = { tag: 'sysdig', sec: 1700000000, nsec: 500000000 };

// The crosswalks as documented in assembly/siem/severity.ts.
const CEF_SEV = [10, 9, 8, 7, 6, 4, 3, 0];
const LEEF_SEV = [10, 9, 8, 7, 6, 4, 3, 1];
const severityOf = (ecs, table, none, error) => {
  if (ecs.event?.kind === 'pipeline_error') return error;
  const s = ecs.event?.severity;
  return Number.isInteger(s) && s >= 0 && s <= 7 ? table[s] : none;
};

let filter;
let results;
beforeAll(async () => {
  filter = await loadFilter();
  results = corpus.map(({ name, text }) => {
    const call = (fn) => filter.call(fn, text, OPTS);
    return { name, text, ecs: call('sysdig_to_ecs'), splunk: call('sysdig_to_splunk'), cef: call('sysdig_to_cef'), leef: call('sysdig_to_leef') };
  });
});

// --- the rules, written again from the documentation -------------------------

const getPath = (doc, path) => {
  if (path in doc) return doc[path];
  let node = doc;
  for (const seg of path.split('.')) {
    if (node === null || typeof node !== 'object' || !(seg in node)) return undefined;
    node = node[seg];
  }
  return node;
};

/** C0 controls other than tab/LF/CR, and DEL, become U+FFFD; then per format. */
const sanitize = (s) => s.toWellFormed().replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/g, '\ufffd');
const leefText = (s) => sanitize(s).replace(/[\t\r\n]/g, ' ');
const cefHeaderText = (s) => sanitize(s).replace(/[\r\n]/g, ' ');

/** Cuts at `limit` UTF-16 code units, never inside a surrogate pair. */
function cut(s, limit) {
  if (!limit || s.length <= limit) return { value: s, cut: false, units: s.length };
  let end = limit;
  if (/[\ud800-\udbff]/.test(s[end - 1])) end--;
  return { value: s.slice(0, end), cut: true, units: s.length };
}

function epochMs(rfc3339) {
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?Z$/.exec(rfc3339);
  if (!m) return null;
  const [, y, mo, d, h, mi, s, frac = ''] = m;
  if (Number(y) < 1970) return null;
  const secs = BigInt(Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s)) / 1000);
  return secs * 1000n + BigInt((frac + '000').slice(0, 3));
}

/** The value a key table row takes from an ECS document, or undefined. */
function rowValue(ecs, row) {
  let v = getPath(ecs, row.ecs);
  if (v === undefined || v === null) return undefined;
  const list = Array.isArray(v) ? v : [v];
  if (list.length === 0) return undefined;
  const text = (x) => (typeof x === 'string' ? x : String(x));
  const first = text(list[0]);
  switch (row.form) {
    case 'text': return first.length ? first : undefined;
    case 'list': return list.map(text).join(',');
    case 'int': return /^-?\d{1,19}$/.test(first) ? first : undefined;
    case 'int32': return /^-?\d{1,10}$/.test(first) && BigInt(first) >= -(2n ** 31n) && BigInt(first) < 2n ** 31n ? first : undefined;
    case 'port': return /^\d{1,5}$/.test(first) && Number(first) <= 65535 ? first : undefined;
    case 'ipv4': return isIP(first) === 4 ? first : undefined;
    case 'ipv6': return isIP(first) === 6 ? first : undefined;
    case 'ip': return isIP(first) ? first : undefined;
    case 'ms': { const ms = epochMs(first); return ms === null ? undefined : String(ms); }
    case 'ms13': { const ms = epochMs(first); return ms === null || String(ms).length !== 13 ? undefined : String(ms); }
    case 'dir01': return first === 'ingress' ? '0' : first === 'egress' ? '1' : undefined;
    default: throw new Error(`unknown form ${row.form}`);
  }
}

/** The event's text when nothing was mapped from it (the line's msg then). */
function unmappedText(input) {
  let text = input.trim();
  try {
    const rec = JSON.parse(text);
    const keys = Object.keys(rec);
    if (keys.length === 1 && (keys[0] === 'log' || keys[0] === 'message') && typeof rec[keys[0]] === 'string') {
      const inner = JSON.parse(rec[keys[0]]);
      if (inner && typeof inner === 'object' && !Array.isArray(inner)) text = rec[keys[0]].trim();
    }
  } catch { /* the record itself */ }
  return text;
}

/** Expected pairs for a key table: { key → value } in table order, labels
 *  included, and the cut note. `clean` is the format's value rule. */
function expectedPairs(ecs, input, rows, clean, labelSuffix) {
  const pairs = {};
  const cuts = [];
  const done = new Set();
  const withOriginal = { ...ecs };
  // An unmapped event carries its text, as event.original does for broken input.
  if (ecs.event?.kind === 'pipeline_error' && ecs.event?.original === undefined && ecs.message === undefined) {
    withOriginal['event.original'] = unmappedText(input);
  }
  for (const row of rows) {
    if (done.has(row.key)) continue;
    const v = rowValue(withOriginal, row);
    if (v === undefined) continue;
    done.add(row.key);
    if (row.label) pairs[row.key + labelSuffix] = row.label;
    const c = cut(clean(v), row.limit);
    pairs[row.key] = c.value;
    if (c.cut) cuts.push(`${row.key}:${row.limit}/${c.units}`);
  }
  return { pairs, cuts };
}

// --- tests -------------------------------------------------------------------

describe('CEF', () => {
  it(`every line of the corpus passes the strict reader (${corpus.length} inputs)`, () => {
    for (const r of results) checkSyslogRecord(r.cef, 'cef');
  });

  it('values and header are what the key table makes of the same event', () => {
    let compared = 0;
    for (const r of results) {
      const ecs = parseExact(r.ecs.output);
      const kind = r.splunk.record.sourcetype;
      const { header, ext } = parseCefStrict(r.cef.record.message);
      const name = ecs.rule?.name ?? ecs.event?.action ?? ecs.message ?? ecs.error?.message ?? kind;
      expect(header, r.name).toEqual([
        cut(cefHeaderText(ecs.observer?.vendor ?? 'Sysdig'), 63).value,
        cut(cefHeaderText(ecs.observer?.product ?? 'Sysdig'), 63).value,
        DEVICE_VERSION,
        kind,
        cut(cefHeaderText(String(name)), 512).value,
        String(severityOf(ecs, CEF_SEV, 3, 5)),
      ]);
      const { pairs, cuts } = expectedPairs(ecs, r.text, CEF_KEYS, sanitize, 'Label');
      if (cuts.length) {
        pairs[`${CEF_CUT_KEY}Label`] = CEF_CUT_LABEL;
        pairs[CEF_CUT_KEY] = cut(cuts.join(','), 1023).value;
      }
      expect(ext, r.name).toEqual(pairs);
      compared++;
    }
    expect(compared).toBe(corpus.length);
  });

  describe('independent parse-back (PyPI cefp) and rebuild (PyPI cefevent, strict)', () => {
    let tools;
    let checked;
    beforeAll(() => {
      tools = ensurePyTools();
      if (!tools.skip) checked = runPyScript(tools, 'cef_check.py', results.map((r) => r.cef.record.message));
    }, 900_000);

    it('cefp reads back every header field and every value, no key more or less', (ctx) => {
      if (tools.skip) ctx.skip(tools.skip);
      results.forEach((r, i) => {
        const ours = parseCefStrict(r.cef.record.message);
        const { parsed, parse_error: error } = checked[i];
        expect(error, r.name).toBeNull();
        expect(parsed.version).toBe('1');
        expect([parsed.device.vendor, parsed.device.product, parsed.device.version, parsed.device.event_class_id,
          parsed.name, parsed.severity], r.name).toEqual(ours.header);
        expect(parsed.extension, r.name).toEqual(ours.ext);
      });
      console.log(`cefp: ${results.length} CEF lines parsed back, all values equal`);
    });

    it('cefevent (strict) accepts every value and writes the same line', (ctx) => {
      if (tools.skip) ctx.skip(tools.skip);
      let same = 0;
      let notComparable = 0;
      const unknown = new Set();
      results.forEach((r, i) => {
        const { cefevent, cefevent_error: error, unknown_keys: unknownKeys } = checked[i];
        expect(error, `${r.name}: ${r.cef.record.message.slice(0, 200)}`).toBeNull();
        const ours = parseCefStrict(r.cef.record.message);
        // cefevent strips every value and does not escape CR: lines with
        // such values cannot be compared byte for byte.
        const values = [...ours.header, ...Object.values(ours.ext)];
        if (values.some((v) => v !== v.trim() || v.includes('\r'))) {
          notComparable++;
          return;
        }
        unknownKeys.forEach((k) => unknown.add(k));
        const kept = Object.entries(ours.rawExt).filter(([k]) => !unknownKeys.includes(k));
        expect(cefevent, r.name).toBe(ours.rawHeader + kept.map(([k, v]) => `${k}=${v}`).join(' '));
        same++;
      });
      console.log(
        `cefevent strict: ${results.length} lines accepted; ${same} identical byte for byte, ` +
          `${notComparable} not comparable (values with leading/trailing space or CR, which cefevent changes); ` +
          `keys cefevent does not know: ${[...unknown].sort().join(', ')}`,
      );
      expect(same).toBeGreaterThan(results.length / 2);
    });
  });
});

describe('LEEF', () => {
  it(`every line of the corpus passes the strict checker (${corpus.length} inputs)`, () => {
    for (const r of results) checkSyslogRecord(r.leef, 'leef');
    console.log(`strict LEEF check: ${results.length} lines, all pass`);
  });

  it('values and header are what the key table makes of the same event', () => {
    for (const r of results) {
      const ecs = parseExact(r.ecs.output);
      const kind = r.splunk.record.sourcetype;
      const { header, delimiter, attrs } = checkLeefStrict(r.leef.record.message);
      const headerText = (s) => leefText(s).replace(/\|/g, '\u00a6');
      expect(delimiter).toBe('\t');
      expect(header, r.name).toEqual([
        headerText(ecs.observer?.vendor ?? 'Sysdig'),
        headerText(ecs.observer?.product ?? 'Sysdig'),
        DEVICE_VERSION,
        kind,
      ]);
      const { pairs, cuts } = expectedPairs(ecs, r.text, LEEF_KEYS, leefText, '');
      pairs.sev = String(severityOf(ecs, LEEF_SEV, 3, 5));
      const src = ecs.source?.ip;
      if (ecs.user?.name !== undefined && src !== undefined && isIP(src)) pairs.identSrc = src;
      if (cuts.length) pairs[LEEF_CUT_KEY] = cut(cuts.join(','), 4000).value;
      expect(attrs, r.name).toEqual(pairs);
    }
  });
});

describe('rules at their edges', () => {
  const runtime = goldenInputs.find((g) => g.name === 'runtime-policy-event').text;
  const withRule = (name) => runtime.replace('"ruleName":"Write below etc"', `"ruleName":${JSON.stringify(name)}`);

  test('the runtime sample has the rule name the edits go into', () => {
    expect(withRule('X')).not.toBe(runtime);
  });

  test('header: | and \\ escaped in CEF, | replaced by ¦ nowhere but LEEF header fields; CR/LF become spaces', () => {
    const cef = filter.call('sysdig_to_cef', withRule('a|b\\c\nd=e'), OPTS).record.message;
    expect(cef).toContain('|a\\|b\\\\c d=e|10|');
    const leef = filter.call('sysdig_to_leef', withRule('a|b\\c\nd=e\tf'), OPTS).record.message;
    expect(leef).toContain('\tcat=a|b\\c d=e f\t');
  });

  test('a 10 MB message is cut to msg\'s 1023 (CEF) and 4000 (LEEF), and the line says so', () => {
    const big = 'é'.repeat(5_000_000);
    const input = runtime.replace(/"output":"[^"]*"/, `"output":"${big}"`);
    const cef = parseCefStrict(filter.call('sysdig_to_cef', input, OPTS).record.message);
    expect(cef.ext.msg).toBe('é'.repeat(1023));
    expect(cef.ext.flexString2).toBe('msg:1023/5000000');
    expect(cef.ext.flexString2Label).toBe(CEF_CUT_LABEL);
    const leef = checkLeefStrict(filter.call('sysdig_to_leef', input, OPTS).record.message);
    expect(leef.attrs.msg).toBe('é'.repeat(4000));
    expect(leef.attrs.cutValues).toBe('msg:4000/5000000');
  });

  test('a cut never splits a character outside the BMP', () => {
    const input = runtime.replace(/"output":"[^"]*"/, `"output":"a${'😀'.repeat(600)}"`);
    const cef = parseCefStrict(filter.call('sysdig_to_cef', input, OPTS).record.message);
    expect(cef.ext.msg).toBe(`a${'😀'.repeat(511)}`);
    expect(cef.ext.flexString2).toBe('msg:1023/1201');
  });

  test('severity crosswalks for every Sysdig severity', () => {
    for (let s = 0; s <= 7; s++) {
      const input = runtime.replace('"severity":0', `"severity":${s}`);
      const cef = filter.call('sysdig_to_cef', input, OPTS).record;
      const leef = filter.call('sysdig_to_leef', input, OPTS).record;
      expect(parseCefStrict(cef.message).header[5]).toBe(String(CEF_SEV[s]));
      expect(checkLeefStrict(leef.message).attrs.sev).toBe(String(LEEF_SEV[s]));
      expect(cef.syslog_severity).toBe(String(s));
    }
  });

  test('IPv6 goes to c6a2/c6a3 (labelled), never to src/dst; LEEF src/dst take it', () => {
    const net = goldenInputs.find((g) => g.name === 'audit-net').text;
    const input = net.replace(/"clientIpv4":\d+/, '"clientIpv4":"x","clientIpv4Dot":"2001:db8::7"')
      .replace(/"serverPort":\d+/, '"serverPort":70000');
    const ecs = filter.call('sysdig_to_ecs', input, OPTS).record;
    expect(ecs.source.ip).toBe('2001:db8::7');
    const { ext } = parseCefStrict(filter.call('sysdig_to_cef', input, OPTS).record.message);
    expect(ext.src).toBeUndefined();
    expect(ext.c6a2).toBe('2001:db8::7');
    expect(ext.c6a2Label).toBe('Source IPv6 address');
    expect(ext.dst).toBe('10.96.0.1');
    expect(ext.dpt).toBeUndefined();
    const { attrs } = checkLeefStrict(filter.call('sysdig_to_leef', input, OPTS).record.message);
    expect(attrs.src).toBe('2001:db8::7');
    expect(attrs.dstPort).toBeUndefined();
  });

  test('rt and devTime are the event\'s own time in ms, cut not rounded', () => {
    const input = runtime.replace(/"timestamp":\d+/, '"timestamp":1606322948999999999');
    expect(parseCefStrict(filter.call('sysdig_to_cef', input, OPTS).record.message).ext.rt).toBe('1606322948999');
    expect(checkLeefStrict(filter.call('sysdig_to_leef', input, OPTS).record.message).attrs.devTime).toBe('1606322948999');
  });

  test('syslog hostname is printable ASCII', () => {
    const input = runtime.replace('"host.hostName":"ardbox"', '"host.hostName":"ard box\\"é"');
    const rec = filter.call('sysdig_to_cef', input, OPTS).record;
    expect(rec.syslog_hostname).toMatch(/^ard_box__+$/);
  });

  test('the device version is the package version', () => {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8'));
    expect(DEVICE_VERSION).toBe(pkg.version);
  });
});

describe('the shipped syslog pipelines never cut a line', () => {
  // Bytes per UTF-16 code unit, at most: 3 (a BMP character, U+FFFD for a
  // control character or an invalid byte, or a 2-byte escape).
  const PER_UNIT = 3;
  const NUMBER = { int: 20, int32: 11, port: 5, ipv4: 15, ipv6: 45, ip: 45, ms: 16, ms13: 13, dir01: 1 };
  /** The longest extension a key table can give: every key at its limit. */
  const longest = (rows, labelSuffix) => {
    const seen = new Set();
    let bytes = 0;
    for (const r of rows) {
      if (seen.has(r.key)) continue;
      seen.add(r.key);
      const fallbacks = rows.filter((x) => x.key === r.key);
      const value = Math.max(...fallbacks.map((x) => (x.limit ? x.limit * PER_UNIT : NUMBER[x.form])));
      bytes += r.key.length + 2 + value;
      if (r.label) bytes += r.key.length + labelSuffix.length + 2 + r.label.length;
    }
    return bytes;
  };
  // The syslog header Fluent Bit adds (RFC 3164: PRI, timestamp, hostname of
  // at most 255) and the kind, a constant of at most 64 bytes.
  const HEADER = 5 + 16 + 256 + 64;
  // The config takes syslog_maxsize from the variable; the value is the
  // one fluent-bit/.env.example ships.
  const maxsize = (config, variable) => {
    const text = readFileSync(new URL(`../../fluent-bit/${config}`, import.meta.url), 'utf8');
    expect(text).toContain(`syslog_maxsize: \${${variable}}`);
    return Number(envFileDefaults()[variable]);
  };

  test('CEF: syslog_maxsize of sysdig-to-arcsight-cef.yaml is above the longest line', () => {
    const line = HEADER + 6 + (63 + 63 + 512) * PER_UNIT + 16 + 1023 + 10 +
      longest(CEF_KEYS, 'Label') + CEF_CUT_KEY.length * 2 + 8 + CEF_CUT_LABEL.length + 1023;
    console.log(`longest CEF syslog message: ${line} bytes`);
    expect(maxsize('sysdig-to-arcsight-cef.yaml', 'ARCSIGHT_SYSLOG_MAXSIZE')).toBeGreaterThan(line);
  });

  test('LEEF: syslog_maxsize of sysdig-to-qradar-leef.yaml is above the longest line', () => {
    const line = HEADER + 9 + (255 + 255) * PER_UNIT + 16 + 255 + 10 +
      longest(LEEF_KEYS, '') + 'sev=10'.length + 1 + 'identSrc='.length + 45 + LEEF_CUT_KEY.length + 2 + 4000;
    console.log(`longest LEEF syslog message: ${line} bytes`);
    expect(maxsize('sysdig-to-qradar-leef.yaml', 'QRADAR_SYSLOG_MAXSIZE')).toBeGreaterThan(line);
  });
});

describe('the strict readers refuse what the specifications forbid', () => {
  const cef = JSON.parse(readFileSync(new URL('../golden/audit-net/expected.cef.json', import.meta.url), 'utf8')).message;
  const leef = JSON.parse(readFileSync(new URL('../golden/audit-net/expected.leef.json', import.meta.url), 'utf8')).message;

  test('the golden lines pass', () => {
    expect(() => parseCefStrict(cef)).not.toThrow();
    expect(() => checkLeefStrict(leef)).not.toThrow();
  });

  test.each([
    ['an unescaped = in a value', cef.replace('act=connection', 'act=conn=ection')],
    ['an escape CEF does not have', cef.replace('act=connection', 'act=conn\\qection')],
    ['a key twice', cef.replace('act=connection', 'act=connection act=again')],
    ['IPv6 in src', cef.replace('src=172.17.0.21', 'src=2001:db8::1')],
    ['a port past 65535', cef.replace('dpt=443', 'dpt=70000')],
    ['severity 11', cef.replace('|connection|3|', '|connection|11|')],
    ['a raw line break', cef.replace('act=connection', 'act=conn\nection')],
    ['an undeclared key', cef.replace('act=connection', 'act=connection foo=bar')],
    ['a custom string without its label', cef.replace('cs1Label=Container ID ', '')],
    ['an unescaped | in the header', cef.replace('|connection|', '|conn|ection|')],
    ['a value over its limit', cef.replace('act=connection', `act=${'a'.repeat(64)}`)],
    ['CEF:0', cef.replace('CEF:1|', 'CEF:0|')],
  ])('CEF: %s', (_, line) => {
    expect(line).not.toBe(cef);
    expect(() => parseCefStrict(line)).toThrow();
  });

  test.each([
    ['no explicit delimiter', leef.replace('|x09|', '|')],
    ['LEEF 1.0', leef.replace('LEEF:2.0|', 'LEEF:1.0|')],
    ['a | in a header field', leef.replace('|Sysdig Secure|', '|Sysdig|Secure|')],
    ['sev 0', leef.replace('sev=3', 'sev=0')],
    ['devTime of 12 digits', leef.replace('devTime=1605540913194', 'devTime=160554091319')],
    ['a bad src', leef.replace('src=172.17.0.21', 'src=172.17.0.256')],
    ['a port past 65535', leef.replace('dstPort=443', 'dstPort=65536')],
    ['a key twice', leef.replace('\tsev=3', '\tsev=3\tsev=4')],
    ['a raw CR', leef.replace('action=connection', 'action=conn\rection')],
    ['an empty value', leef.replace('action=connection', 'action=')],
    ['usrName over 255', leef.replace('\tsev=3', `\tusrName=${'u'.repeat(256)}\tsev=3`)],
  ])('LEEF: %s', (_, line) => {
    expect(line).not.toBe(leef);
    expect(() => checkLeefStrict(line)).toThrow();
  });
});
