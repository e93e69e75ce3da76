// Sysdig's HEC (Splunk) integration: every golden Sysdig payload wrapped in
// the Splunk HTTP Event Collector envelope Fluent Bit's `splunk` input keeps
// as the record (map/hec_envelope.ts), with `event` as an object and as a
// string holding the JSON, with and without the envelope's `time`, under
// Sysdig's default sourcetype for its data type. Each must give the golden
// output of the bare payload plus only what the envelope adds: labels.hec_*
// (Splunk: indexed fields sysdig_hec_*), the envelope's time where the payload has
// no clock of its own, and the envelope's text in event.original where the
// payload is not a Sysdig shape. The hec-envelope-* golden folders hold
// cases checked by hand (the golden suite runs them).
import { beforeAll, describe, expect, it } from 'vitest';
import { loadFilter, parseExact } from '../host.mjs';
import { isHecEnvelope } from '../vector/parity.mjs';
import { TARGETS, barePayloadCases, jsonStringBytes, trimOriginal } from './bare-payloads.mjs';

const CLOCK = { tag: 'sysdig', sec: 1700000000, nsec: 500000000 };

/** Sysdig's default HEC sourcetype per data type (its "Forwarding to Splunk" page). */
const SOURCETYPES = {
  'sysdig.policy': 'SysdigSecureEvents',
  'sysdig.benchmark': 'SysdigSecureEvents',
  'sysdig.host_scanning': 'SysdigSecureEvents',
  'sysdig.policy_legacy': 'SysdigPolicy',
  'sysdig.audit': 'SysdigActivityAudit',
  'sysdig.platform_audit': 'SysdigAuditTrail',
  'sysdig.monitor_alert': 'SysdigMonitor',
  'sysdig.monitor_event': 'SysdigMonitor',
  'sysdig.secure_notification': 'SysdigSecureEvents',
};

/** The envelope times used, as sent and as RFC 3339 (checked by hand). */
const TIMES = [
  { json: '"1600000000.123456789"', epoch: '1600000000.123456789', rfc3339: '2020-09-13T12:26:40.123456789Z' },
  { json: '1600000000.5', epoch: '1600000000.5', rfc3339: '2020-09-13T12:26:40.5Z' },
];

const cases = barePayloadCases();

/** The wire forms of one payload: [label, envelope bytes, what it carries]. */
function envelopes(payload, sourcetype) {
  const forms = [];
  for (const asString of [false, true]) {
    for (const time of [null, asString ? TIMES[1] : TIMES[0]]) {
      const meta = asString
        ? { sourcetype }
        : { host: 'secure.sysdig.example', source: 'sysdig-secure', sourcetype, index: 'sysdig' };
      const head = (time ? `{"time":${time.json},` : '{') +
        Object.entries(meta).map(([k, v]) => `${JSON.stringify(k)}:${JSON.stringify(v)},`).join('') + '"event":';
      const body = Buffer.concat([Buffer.from(head), asString ? jsonStringBytes(payload) : payload, Buffer.from('}')]);
      forms.push({ label: `event ${asString ? 'as a string' : 'as an object'}, ${time ? `time ${time.json}` : 'no time'}`, body, meta, time });
    }
  }
  return forms;
}

const withoutTag = (tags, tag) => {
  const rest = (tags ?? []).filter((t) => t !== tag);
  return rest.length ? rest : undefined;
};

/** The golden ECS document plus what the envelope adds. */
function expectedEcs(golden, form) {
  const doc = parseExact(golden);
  doc.labels = Object.fromEntries(Object.entries(form.meta).map(([k, v]) => [`hec_${k}`, v]));
  if (form.time && doc.tags?.includes('_sysdig_no_event_time')) {
    doc['@timestamp'] = form.time.rfc3339;
    doc.tags = withoutTag(doc.tags, '_sysdig_no_event_time');
    if (doc.tags === undefined) delete doc.tags;
  }
  if (doc.event.dataset === 'sysdig.unknown') doc.event.original = form.body.toString('utf8');
  else trimOriginal(doc);
  return doc;
}

/** The golden Splunk envelope plus what the envelope adds. */
function expectedSplunk(golden, form) {
  const env = parseExact(golden);
  for (const [k, v] of Object.entries(form.meta)) env.fields[`sysdig_hec_${k}`] = v;
  if (form.time && env.fields.tags?.includes('_sysdig_no_event_time')) {
    env.time = form.time.epoch;
    env.fields.tags = withoutTag(env.fields.tags, '_sysdig_no_event_time');
    if (env.fields.tags === undefined) delete env.fields.tags;
  }
  return env;
}

let filter;
beforeAll(async () => { filter = await loadFilter(); });

describe('HEC envelopes: every golden payload as Sysdig\'s HEC integration sends it', () => {
  it('covers the golden payloads and every default sourcetype', () => {
    expect(cases.length).toBeGreaterThanOrEqual(20);
    const used = new Set(cases.map((c) => SOURCETYPES[parseExact(c.expected.ecs).event.dataset]).filter(Boolean));
    expect([...used].sort()).toEqual(['SysdigActivityAudit', 'SysdigAuditTrail', 'SysdigMonitor', 'SysdigPolicy', 'SysdigSecureEvents']);
  });

  for (const c of cases) {
    const dataset = parseExact(c.expected.ecs).event.dataset;
    const sourcetype = SOURCETYPES[dataset] ?? 'SysdigSecureEvents';
    for (const form of envelopes(c.payload, sourcetype)) {
      it(`${c.name}, ${form.label}`, () => {
        const out = {};
        for (const [target, fn] of Object.entries(TARGETS)) {
          const result = filter.call(fn, form.body, CLOCK);
          expect(result.status).toBe('ok');
          out[target] = result.output;
        }
        expect(parseExact(out.ecs)).toEqual(expectedEcs(c.expected.ecs, form));
        const splunk = parseExact(out.splunk);
        expect(splunk).toEqual(expectedSplunk(c.expected.splunk, form));
        // One envelope out: the event is the payload, never the envelope.
        expect(isHecEnvelope(splunk.event)).toBe(false);
        // CEF and LEEF carry mapped fields only: the same line as the bare
        // payload's wherever the envelope changes no mapped field.
        const golden = parseExact(c.expected.ecs);
        if (dataset !== 'sysdig.unknown' && !(form.time && golden.tags?.includes('_sysdig_no_event_time'))) {
          expect(out.cef).toBe(c.expected.cef);
          expect(out.leef).toBe(c.expected.leef);
        }
      });
    }
  }
});
