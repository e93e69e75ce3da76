// Every golden Splunk envelope against Splunk's CIM data model definitions
// (PyPI's pytest-splunk-addon 7.0.5, data_models/*.json, installed into the
// test cache): the event types and tags our eventtypes.conf and tags.conf
// give it, the datasets those tags put it in, and the fields a search sees
// (indexed fields, KV_MODE = json, FIELDALIAS, EVAL: host-test/splunk-cim.mjs).
// Required fields must be single-valued and hold expected values where
// present; which are present is the table in splunk/README.md, computed here.
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ensureCimModels, CIM_PACKAGE } from '../py-tools.mjs';
import { generatedFiles as splunkFieldsConf, FIELDS_CONF } from '../gen/splunk-fields.mjs';
import { readConf, searchFields, eventTypesAndTags, readDataModels, datasetsOf, checkRequired } from '../splunk-cim.mjs';

const models = ensureCimModels();
const skip = models.skip ? `${CIM_PACKAGE}: ${models.skip}` : null;
const README = new URL('../../splunk/README.md', import.meta.url);
const BEGIN = '<!-- cim-table: computed by host-test/test/splunk-cim.test.mjs (UPDATE_GOLDEN=1 writes it) -->';
const END = '<!-- /cim-table -->';
// A host scanning report lists every CVE it found: one event, many values.
const MANY_BY_DESIGN = new Set(['Vulnerabilities.Vulnerabilities cve']);

function envelopes() {
  const out = [];
  const dir = new URL('../golden/', import.meta.url);
  for (const name of readdirSync(dir).sort()) {
    const text = readFileSync(new URL(`${name}/expected.splunk.json`, dir), 'utf8');
    let list;
    try { list = [JSON.parse(text)]; } catch { list = text.trim().split('\n').map((l) => JSON.parse(l)); }
    for (const envelope of list) out.push({ name, envelope });
  }
  return out;
}

describe('Splunk fields.conf', () => {
  it('is as npm run gen writes it', () => {
    const committed = readFileSync(new URL(`../../${FIELDS_CONF}`, import.meta.url), 'utf8');
    expect(committed).toBe(splunkFieldsConf()[FIELDS_CONF]);
  });
});

describe.skipIf(skip)(`Splunk CIM data models (${CIM_PACKAGE})${skip ? ` — skipped: ${skip}` : ''}`, () => {
  const props = readConf('props.conf');
  const eventtypes = readConf('eventtypes.conf');
  const tags = readConf('tags.conf');
  const datasets = skip ? [] : readDataModels(models.dir);
  const results = [];
  for (const { name, envelope } of envelopes()) {
    const fields = searchFields(envelope, props);
    const et = eventTypesAndTags(envelope.sourcetype, eventtypes, tags);
    const matched = skip ? [] : datasetsOf(et.tags, datasets);
    results.push({ name, envelope, fields, et, matched });
  }

  for (const { name, envelope, fields, et, matched } of results) {
    it(`${name} (${envelope.sourcetype}): ${et.types.join(', ')} → ${matched.map((d) => d.name).join(', ') || 'no dataset'}`, () => {
      if (et.types.includes('sysdig_unrecognized')) { expect(matched).toEqual([]); return; }
      expect(et.types.length, 'an event type').toBeGreaterThan(0);
      expect(matched.length, `a dataset for tags ${et.tags.join(' ')}`).toBeGreaterThan(0);
      for (const d of matched) {
        for (const c of checkRequired(fields, d)) {
          if (!c.present) continue;
          if (!MANY_BY_DESIGN.has(`${d.name} ${c.field}`)) expect(c.values, `${d.name}: ${c.field} single-valued`).toHaveLength(1);
          expect(c.allowed, `${d.name}: ${c.field}=${c.values.join('|')} in ${JSON.stringify(c.expected)}`).toBe(true);
        }
      }
    });
  }

  it('splunk/README.md has the table of required fields present', () => {
    const rows = new Map();
    for (const { fields, et, matched } of results) {
      for (const d of matched) {
        const checks = checkRequired(fields, d);
        const present = checks.filter((c) => c.present).length;
        const key = `${et.types.join(', ')}|${d.name}`;
        const row = rows.get(key) ?? { min: Infinity, max: -Infinity, total: checks.length, missing: new Set() };
        row.min = Math.min(row.min, present);
        row.max = Math.max(row.max, present);
        for (const c of checks) if (!c.present) row.missing.add(c.field);
        rows.set(key, row);
      }
    }
    const lines = ['| event type | dataset | required fields present / total (fewest–most over the golden events) | missing in some |', '| --- | --- | --- | --- |'];
    for (const [key, r] of [...rows].sort()) {
      const [type, dataset] = key.split('|');
      const range = r.min === r.max ? `${r.min}` : `${r.min}–${r.max}`;
      lines.push(`| \`${type}\` | ${dataset} | ${range} / ${r.total} | ${[...r.missing].sort().map((f) => `\`${f}\``).join(', ') || '—'} |`);
    }
    const text = readFileSync(README, 'utf8');
    const from = text.indexOf(BEGIN);
    const to = text.indexOf(END);
    expect(from, 'markers in splunk/README.md').toBeGreaterThanOrEqual(0);
    const want = `${text.slice(0, from + BEGIN.length)}\n${lines.join('\n')}\n${text.slice(to)}`;
    if (process.env.UPDATE_GOLDEN && want !== text) writeFileSync(README, want);
    else expect(text).toBe(want);
  });
});
