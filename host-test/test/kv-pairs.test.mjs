// Sysdig's Elasticsearch forwarding has an option, KV_PAIRS, that sends
// `labels` and `content.fields` as [{"key": …, "value": …}] lists instead of
// objects. The module reads both forms alike (map/entries.ts), and the ECS
// copy under sysdig.* folds such lists back to objects (json/walker.ts,
// keyValueLists), so either option gives the same ECS document, CEF and LEEF
// line, and Splunk indexed fields. The Splunk event keeps the payload as
// Sysdig sent it (lists as lists): it carries the event as it came.
// Every golden input with labels or content.fields as an object is checked.
import { beforeAll, describe, expect, it } from 'vitest';
import { readdirSync, readFileSync } from 'node:fs';
import { loadFilter, parseExact } from '../host.mjs';
import { stringifyExact } from './tree.mjs';

const goldenDir = new URL('../golden/', import.meta.url);
const CLOCK = { tag: 'sysdig', sec: 1700000000, nsec: 500000000 };

const isObject = (v) => v !== null && typeof v === 'object' && !Array.isArray(v);
const asPairs = (o) => Object.entries(o).map(([key, value]) => ({ key, value }));

/** [name, bare payload text, KV_PAIRS payload text, the members turned into lists]. */
const cases = readdirSync(goldenDir).sort().flatMap((name) => {
  let tree;
  try {
    tree = parseExact(readFileSync(new URL(`${name}/input.json`, goldenDir), 'utf8'));
  } catch {
    return [];
  }
  if (!isObject(tree)) return [];
  // The payload itself, or the event of an HEC envelope.
  const payload = isObject(tree.event) && 'sourcetype' in tree ? tree.event : tree;
  const kv = structuredClone(tree);
  const kvPayload = payload === tree ? kv : kv.event;
  const changed = [];
  if (isObject(payload.labels)) {
    kvPayload.labels = asPairs(payload.labels);
    changed.push('labels');
  }
  if (isObject(payload.content) && isObject(payload.content.fields)) {
    kvPayload.content.fields = asPairs(payload.content.fields);
    changed.push('content.fields');
  }
  if (changed.length === 0) return [];
  return [{ name, bare: stringifyExact(tree), kv: stringifyExact(kv), changed }];
});

let filter;
beforeAll(async () => { filter = await loadFilter(); });

const run = (fn, text) => {
  const result = filter.call(fn, text, CLOCK);
  expect(result.status).toBe('ok');
  return result.output;
};

describe('Elasticsearch forwarding with KV_PAIRS: the same documents as without', () => {
  it('covers labels and content.fields', () => {
    expect(cases.filter((c) => c.changed.includes('labels')).length).toBeGreaterThanOrEqual(5);
    expect(cases.filter((c) => c.changed.includes('content.fields')).length).toBeGreaterThanOrEqual(3);
  });

  for (const c of cases) {
    it(`${c.name} (${c.changed.join(', ')} as lists)`, () => {
      const bareEcs = parseExact(run('sysdig_to_ecs', c.bare));
      const kvEcs = parseExact(run('sysdig_to_ecs', c.kv));
      expect(bareEcs.event.kind).not.toBe('pipeline_error');
      expect(kvEcs).toEqual(bareEcs);
      expect(run('sysdig_to_cef', c.kv)).toBe(run('sysdig_to_cef', c.bare));
      expect(run('sysdig_to_leef', c.kv)).toBe(run('sysdig_to_leef', c.bare));
      const bareHec = parseExact(run('sysdig_to_splunk', c.bare));
      const kvHec = parseExact(run('sysdig_to_splunk', c.kv));
      // The event as Sysdig sent it: the lists stay lists.
      if (c.changed.includes('labels')) expect(Array.isArray(kvHec.event.labels)).toBe(true);
      if (c.changed.includes('content.fields')) expect(Array.isArray(kvHec.event.content.fields)).toBe(true);
      delete bareHec.event;
      delete kvHec.event;
      expect(kvHec).toEqual(bareHec);
    });
  }
});
