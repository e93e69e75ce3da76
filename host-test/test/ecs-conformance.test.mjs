import { describe, it, expect, beforeAll } from 'vitest';
import { createRequire } from 'node:module';
import { readdirSync, readFileSync } from 'node:fs';
import { loadFilter } from '../host.mjs';

const require = createRequire(import.meta.url);
const { EcsFlat } = require('@elastic/ecs/build/commonjs/ecs_flat.js');

import { samples } from './samples.mjs';

const EXTENSION = /^process(\.parent)+\.(name|executable|command_line|pid)$/;
// A host-scanning report lists many CVEs in one document (host_scanning.ts);
// Elasticsearch keyword fields hold lists, ECS declares this one single.
const LIST_EXTENSIONS = new Set(['vulnerability.id']);
const STRING_TYPES = new Set(['keyword', 'wildcard', 'match_only_text', 'text', 'ip', 'date', 'constant_keyword']);
const INT_TYPES = new Set(['long', 'integer', 'short', 'byte', 'unsigned_long']);
const TS_RE = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,9})?Z$/;

function leaves(obj, prefix = '', out = []) {
  for (const [k, v] of Object.entries(obj)) {
    const path = prefix ? `${prefix}.${k}` : k;
    if (!prefix && (k === 'sysdig' || k === 'falco')) continue;
    if (v !== null && typeof v === 'object' && !Array.isArray(v)) {
      if (Object.keys(v).length === 0) out.push([path, v]);
      else leaves(v, path, out);
    } else {
      out.push([path, v]);
    }
  }
  return out;
}

function typeOk(ecsType, v) {
  if (STRING_TYPES.has(ecsType)) return typeof v === 'string';
  if (INT_TYPES.has(ecsType)) return typeof v === 'number' && Number.isInteger(v);
  if (ecsType === 'boolean') return typeof v === 'boolean';
  if (ecsType === 'float' || ecsType === 'scaled_float' || ecsType === 'double') return typeof v === 'number';
  if (ecsType === 'object' || ecsType === 'flattened') return v !== null && typeof v === 'object';
  return false;
}

function checkDoc(doc) {
  const problems = [];
  for (const [path, value] of leaves(doc)) {
    let def = EcsFlat[path];
    let isExtension = false;
    if (!def) {
      const m = EXTENSION.exec(path);
      if (m && EcsFlat[`process.parent.${m[2]}`]) {
        def = EcsFlat[`process.parent.${m[2]}`];
        isExtension = true;
      }
    }
    // ECS's `labels`: custom key/value pairs, each a keyword (the HEC
    // envelope's metadata, map/hec_envelope.ts).
    if (!def && /^labels\.[a-z0-9_]+$/.test(path)) def = { type: 'keyword', normalize: [] };
    if (!def) {
      problems.push(`${path}: not an ECS field`);
      continue;
    }
    const arrayAllowed = LIST_EXTENSIONS.has(path) || (!isExtension && (def.normalize ?? []).includes('array'));
    if (Array.isArray(value)) {
      if (!arrayAllowed) problems.push(`${path}: array value but ECS field is not an array`);
      value.forEach((item, i) => {
        if (!typeOk(def.type, item)) problems.push(`${path}[${i}]: ${JSON.stringify(item)} is not of ECS type ${def.type}`);
      });
    } else if (!typeOk(def.type, value)) {
      problems.push(`${path}: ${JSON.stringify(value)} is not of ECS type ${def.type}`);
    }
  }

  const allowed = (f) => new Set((EcsFlat[f].allowed_values ?? []).map((a) => a.name));
  const asArray = (v) => (v === undefined ? [] : Array.isArray(v) ? v : [v]);
  const ev = doc.event ?? {};
  for (const f of ['kind', 'category', 'type']) {
    const set = allowed(`event.${f}`);
    for (const v of asArray(ev[f])) if (!set.has(v)) problems.push(`event.${f}: ${JSON.stringify(v)} not an allowed value`);
  }
  const catDefs = new Map((EcsFlat['event.category'].allowed_values ?? []).map((a) => [a.name, a]));
  const cats = asArray(ev.category);
  for (const t of asArray(ev.type)) {
    const ok = cats.some((c) => (catDefs.get(c)?.expected_event_types ?? []).includes(t));
    if (!ok) problems.push(`event.type ${JSON.stringify(t)} not expected for any of categories ${JSON.stringify(cats)}`);
  }
  if (doc.ecs?.version !== '9.4.0') problems.push(`ecs.version is ${JSON.stringify(doc.ecs?.version)}`);
  if (typeof doc['@timestamp'] !== 'string' || !TS_RE.test(doc['@timestamp']))
    problems.push(`@timestamp ${JSON.stringify(doc['@timestamp'])} malformed`);
  return problems;
}

describe('ECS conformance of sysdig_to_ecs output', () => {
  let filter;
  beforeAll(async () => {
    filter = await loadFilter();
  });

  it('has samples', () => {
    expect(samples.length).toBeGreaterThan(0);
  });

  for (const { name, text } of samples) {
    it(`${name} conforms to ECS 9.4.0`, () => {
      const res = filter.call('sysdig_to_ecs', text, { tag: 'sysdig', sec: 1700000000, nsec: 0 });
      expect(res.status, res.error).toBe('ok');
      expect(checkDoc(res.record)).toEqual([]);
    });
  }
});

describe('ECS conformance of payloads in HEC envelopes (golden hec-envelope-*)', () => {
  let filter;
  beforeAll(async () => {
    filter = await loadFilter();
  });
  const golden = new URL('../golden/', import.meta.url);
  const names = readdirSync(golden).filter((n) => n.startsWith('hec-envelope-')).sort();
  it('has envelope cases', () => {
    expect(names.length).toBeGreaterThan(0);
  });
  for (const name of names) {
    it(`${name} conforms to ECS 9.4.0`, () => {
      const text = readFileSync(new URL(`${name}/input.json`, golden), 'utf8');
      const res = filter.call('sysdig_to_ecs', text, { tag: 'sysdig', sec: 1700000000, nsec: 0 });
      expect(res.status, res.error).toBe('ok');
      expect(checkDoc(res.record)).toEqual([]);
    });
  }
});

describe('ECS conformance of Falco alerts (shared sample 08, 19 lines)', () => {
  let filter;
  beforeAll(async () => {
    filter = await loadFilter();
  });
  const lines = readFileSync(new URL('../golden-ndjson/falco-08-elastic-test-log/input.ndjson', import.meta.url), 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '');
  lines.forEach((line, i) => {
    it(`line ${i + 1} conforms to ECS 9.4.0`, () => {
      const res = filter.call('sysdig_to_ecs', line, { tag: 'falco', sec: 1700000000, nsec: 0 });
      expect(res.status, res.error).toBe('ok');
      expect(checkDoc(res.record)).toEqual([]);
    });
  });
});
