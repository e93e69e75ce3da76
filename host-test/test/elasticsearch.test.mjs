// What an operator installs on Elasticsearch (elasticsearch/), checked two
// ways: the committed templates must be what the field table generates, and
// on a real Elasticsearch 8.19 node (host-test/es/node.mjs) the templates
// must install, map every field as intended, and take every document the
// filter writes for a corpus of golden, fuzzed and adversarial inputs with
// zero rejections. Without Java and Maven (or Maven Central) the node tests
// are reported as skipped, with the reason.

import { describe, it, beforeAll, afterAll, expect } from 'vitest';
import { readFileSync, readdirSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

import { loadFilter } from '../host.mjs';
import { readFieldTable } from '../field-table.mjs';
import { generatedFiles, buildMappings, PAYLOAD_ROOTS, SHIPPER_FIELDS } from '../gen/elasticsearch.mjs';
import { generatedFiles as kibanaFiles, DATA_VIEW_ID, KIBANA_FILE } from '../gen/kibana.mjs';
import { generatedFiles as openSearchFiles } from '../gen/opensearch.mjs';
import { kqlToQuery, readSavedObjects, structuralProblems, usedFields } from './kibana.mjs';
import { ElasticsearchNode, prepare, ES_VERSION } from '../es/node.mjs';
import { REPO_ROOT, makeTempDir, removeDir } from '../e2e/harness.mjs';
import { buildCorpus } from './index-corpus.mjs';
import { goldenInputs } from './mutants.mjs';
import { parseTree, stringifyExact } from './tree.mjs';

const OPTS = { tag: 'sysdig', sec: 1700000000, nsec: 500000000 };
const goldenDir = join(REPO_ROOT, 'host-test', 'golden');
const golden = (name, file = 'input.json') => readFileSync(join(goldenDir, name, file), 'utf8');

/** Leaf paths of a mapping's properties with their types (multi-fields too). */
function mappedLeaves(properties, prefix = '', out = {}) {
  for (const [name, def] of Object.entries(properties)) {
    const path = prefix + name;
    if (def.properties) mappedLeaves(def.properties, `${path}.`, out);
    else {
      out[path] = def.type;
      for (const [sub, subDef] of Object.entries(def.fields ?? {})) out[`${path}.${sub}`] = subDef.type;
    }
  }
  return out;
}

describe('generated Elasticsearch templates', () => {
  it('are committed as the field table generates them (npm run gen)', () => {
    for (const [path, text] of Object.entries({ ...generatedFiles(), ...openSearchFiles(), ...kibanaFiles() })) {
      expect(readFileSync(join(REPO_ROOT, path), 'utf8'), `${path} is stale: run npm run gen`).toBe(text);
    }
  });

  it('map every field of the table with the type its values are checked against', () => {
    const leaves = mappedLeaves(buildMappings().properties);
    const want = { keyword: 'keyword', text: 'text', long: 'long', date: 'date_nanos', ip: 'ip', boolean: 'boolean' };
    for (const f of [...readFieldTable(), ...SHIPPER_FIELDS]) expect(leaves[f.path], f.path).toBe(want[f.type]);
    for (const root of PAYLOAD_ROOTS) expect(leaves[root]).toBe('flattened');
  });

  it('map every top-level member of every golden ECS document', () => {
    const mapped = new Set(Object.keys(buildMappings().properties));
    for (const name of goldenInputs.map((g) => g.name)) {
      for (const key of Object.keys(JSON.parse(golden(name, 'expected.ecs.json')))) expect(mapped, `${name}: ${key}`).toContain(key);
    }
  });

  it('go with a payload whose flattened terms always fit: long keys and late times are not indexed as such', async () => {
    filter = await loadFilter();
    const runtime = parseTree(golden('runtime-policy-event'));
    const longKey = 'k'.repeat(1025);
    // Below the root, an object with an over-long key is kept as its JSON text.
    const nestedInput = stringifyExact({ ...runtime, extra: { inner: { [longKey]: 1, b: 2 } } });
    const nested = JSON.parse(ecs(nestedInput));
    expect(nested.sysdig.extra.inner).toBe(JSON.stringify({ [longKey]: 1, b: 2 }));
    expect(nested.error.message).toBe('objects with keys over 1024 bytes kept as JSON text');
    expect(nested.event.original).toBeUndefined();
    // A 1024-byte key is still a key.
    expect(JSON.parse(ecs(stringifyExact({ ...runtime, extra: { ['k'.repeat(1024)]: 1 } }))).sysdig.extra).toEqual({ ['k'.repeat(1024)]: 1 });
    // At the root, the member is left out and event.original keeps the input.
    const rootInput = stringifyExact({ ...runtime, [longKey]: 'v' });
    const root = JSON.parse(ecs(rootInput));
    expect(Object.keys(root.sysdig)).not.toContain(longKey);
    expect(root.sysdig.content.ruleName).toBe(runtime.content.ruleName);
    expect(root.event.original).toBe(rootInput);
    expect(root.error.message).toBe('top-level keys over 1024 bytes left out of the payload, event.original keeps them');
    // date_nanos ends at 2262-04-11T23:47:16.854775807Z: the last instant is an
    // event time, the next one is not (the document falls back to the clock).
    const at = (timestamp) => JSON.parse(ecs(stringifyExact({ ...runtime, timestamp })));
    expect(at(9223372036854775807n)['@timestamp']).toBe('2262-04-11T23:47:16.854775807Z');
    expect(at(9223372036854775808n)['@timestamp']).toBe('2023-11-14T22:13:20.500000000Z');
    expect(at(9223372036854775808n).tags).toContain('_sysdig_no_event_time');
    expect(at(9999999999).tags).toContain('_sysdig_no_event_time');
    expect(at('9223372036.854775807')['@timestamp']).toBe('2262-04-11T23:47:16.854775807Z');
    expect(at('9223372036.854775808').tags).toContain('_sysdig_no_event_time');
  });

  it('fail to build when the table declares a path both as a leaf and as an object', () => {
    const rows = [{ path: 'a.b', type: 'keyword' }, { path: 'a.b.c', type: 'keyword' }];
    expect(() => buildMappings(rows)).toThrow(/leaf and an object/);
  });
});

describe('Kibana saved objects (elasticsearch/kibana/)', () => {
  const objects = readSavedObjects(readFileSync(join(REPO_ROOT, KIBANA_FILE), 'utf8'));
  const leaves = mappedLeaves(buildMappings().properties);
  const definition = (path) => path.split('.').reduce((node, seg, i, all) =>
    (i < all.length - 1 ? node?.[seg]?.properties : node?.[seg]), buildMappings().properties);
  // text has no doc values; a field with index: false can be neither searched nor aggregated.
  const notAggregatable = (path) => leaves[path] === 'text' || definition(path)?.index === false;

  it('are well-formed NDJSON with unique ids and references that all resolve', () => {
    expect(objects.map((o) => o.type).sort()).toEqual(
      ['dashboard', 'dashboard', 'dashboard', 'index-pattern', ...Array(14).fill('lens'), 'search', 'search', 'search'].sort(),
    );
    expect(structuralProblems(objects, DATA_VIEW_ID)).toEqual([]);
  });

  it('show their own column labels, and split stacked time charts before the time axis', () => {
    const lenses = objects.filter((o) => o.type === 'lens');
    for (const o of lenses) {
      for (const layer of Object.values(o.attributes.state.datasourceStates.formBased.layers)) {
        for (const col of Object.values(layer.columns)) if (col.operationType !== 'date_histogram') expect(col.customLabel, `${o.id}: ${col.label}`).toBe(true);
        const order = layer.columnOrder.map((id) => layer.columns[id].operationType);
        if (order.includes('date_histogram') && order.includes('terms')) {
          expect(order.indexOf('terms'), `${o.id}: terms before the date histogram`).toBeLessThan(order.indexOf('date_histogram'));
        }
      }
    }
  });

  it('include the Falco dashboard over observer.product: Falco', () => {
    const falco = objects.find((o) => o.id === 'falco-overview');
    expect(falco.type).toBe('dashboard');
    const panelIds = falco.references.map((r) => r.id);
    for (const id of panelIds) {
      const o = objects.find((x) => x.id === id);
      const query = o.type === 'lens' ? o.attributes.state.query.query : JSON.parse(o.attributes.kibanaSavedObjectMeta.searchSourceJSON).query.query;
      expect(query, id).toContain('observer.product : "Falco"');
    }
  });

  it('fail the structural check when a reference, a layer or a panel is broken', () => {
    const broken = structuredClone(objects);
    broken.find((o) => o.type === 'lens').references = [];
    const dash = broken.find((o) => o.type === 'dashboard');
    dash.references[0].id = 'missing';
    const panels = JSON.parse(dash.attributes.panelsJSON);
    panels[1].gridData = { ...panels[0].gridData };
    dash.attributes.panelsJSON = JSON.stringify(panels);
    broken.push(structuredClone(broken[0]));
    const problems = structuralProblems(broken, DATA_VIEW_ID).join('\n');
    expect(problems).toMatch(/has no indexpattern-datasource-layer-/);
    expect(problems).toMatch(/reference panel_1 to missing/);
    expect(problems).toMatch(/overlaps another/);
    expect(problems).toMatch(/id used twice/);
  });

  it('use only fields the template maps, and aggregate only aggregatable ones', () => {
    const uses = usedFields(objects);
    expect(uses.length).toBeGreaterThan(20);
    for (const use of uses) {
      expect(leaves[use.field], `${use.object} uses ${use.field}, which the template does not map`).toBeDefined();
      if (use.aggregated) expect(notAggregatable(use.field), `${use.object} aggregates ${use.field}`).toBe(false);
    }
  });
});

// ---------------------------------------------------------------------------

const setup = prepare();
const dataDir = makeTempDir('sysdig-es-test-');
let node;
let filter;

/** The ECS document the filter writes for `input`. */
const ecs = (input) => {
  const result = filter.call('sysdig_to_ecs', input, OPTS);
  if (result.status !== 'ok') throw new Error(`${result.status}: ${result.error}`);
  return result.output;
};

/** Indexes documents (JSON texts) with `_bulk`; returns the items that failed. */
async function bulkIndex(index, docs, { ids = [] } = {}) {
  const failed = [];
  let body = '';
  let batch = [];
  const flush = async () => {
    if (!body) return;
    const res = await node.request('POST', '/_bulk', body);
    expect(res.status, res.text.slice(0, 2000)).toBe(200);
    res.json.items.forEach((item, i) => {
      const answer = Object.values(item)[0];
      if (answer.error) failed.push({ status: answer.status, error: answer.error, doc: batch[i].slice(0, 500) });
    });
    body = '';
    batch = [];
  };
  for (let i = 0; i < docs.length; i++) {
    const action = { index: { _index: index, ...(ids[i] ? { _id: ids[i] } : {}) } };
    body += `${JSON.stringify(action)}\n${docs[i]}\n`;
    batch.push(docs[i]);
    if (body.length > 8_000_000) await flush();
  }
  await flush();
  return failed;
}

const search = async (index, query, extra = {}) => {
  const res = await node.request('POST', `/${index}/_search`, { query, ...extra });
  expect(res.status, res.text.slice(0, 2000)).toBe(200);
  return res.json.hits;
};

function installTemplates(env = {}) {
  return spawnSync('sh', [join(REPO_ROOT, 'elasticsearch', 'install.sh')], {
    env: { PATH: process.env.PATH, ES_URL: node.url, ...env },
    encoding: 'utf8',
  });
}

describe.skipIf(setup.skip)(`on a real Elasticsearch ${ES_VERSION} node`, () => {
  beforeAll(async () => {
    filter = await loadFilter();
    node = new ElasticsearchNode({ ...setup, dataDir, logPath: join(dataDir, 'node.log') });
    await node.start();
    const install = installTemplates();
    if (install.status !== 0) throw new Error(`install.sh failed:\n${install.stdout}\n${install.stderr}`);
  }, 300_000);

  afterAll(async () => {
    await node?.stop();
    await removeDir(dataDir);
  });

  it('has the templates installed by elasticsearch/install.sh', async () => {
    for (const path of ['/_component_template/sysdig@mappings', '/_index_template/sysdig-events', '/_index_template/logs-sysdig']) {
      expect((await node.request('GET', path)).status, path).toBe(200);
    }
    // No custom settings were asked for, so sysdig@custom does not exist.
    expect((await node.request('GET', '/_component_template/sysdig@custom')).status).toBe(404);
  });

  it('maps an index of the pipelines as generated: date_nanos, ip, flattened payload', async () => {
    expect((await node.request('PUT', '/sysdig-events-mapping')).status).toBe(200);
    const res = await node.request('GET', '/sysdig-events-mapping/_mapping');
    const mapping = res.json['sysdig-events-mapping'].mappings;
    const leaves = mappedLeaves(mapping.properties);
    expect(leaves).toEqual(mappedLeaves(buildMappings().properties));
    expect(mapping.dynamic).toBe('false');
    expect(mapping.properties['@timestamp']).toEqual({ type: 'date_nanos' });
    expect(mapping.properties.event.properties.ingested).toEqual({ type: 'date_nanos' });
    expect(mapping.properties.source.properties.ip).toEqual({ type: 'ip' });
    // depth_limit 20 is the default, so the node does not echo it.
    expect(mapping.properties.sysdig).toEqual({ type: 'flattened', ignore_above: 1024 });
    console.log(`template: ${Object.keys(leaves).length} mapped leaf fields; @timestamp ${JSON.stringify(mapping.properties['@timestamp'])}, ` +
      `source.ip ${JSON.stringify(mapping.properties.source.properties.ip)}, sysdig ${JSON.stringify(mapping.properties.sysdig)}`);
    // Replicas are Elasticsearch's default unless the operator sets them.
    const settings = (await node.request('GET', '/sysdig-events-mapping/_settings')).json['sysdig-events-mapping'].settings;
    expect(settings.index.number_of_replicas).toBe('1');
  });

  it('takes ES_REPLICAS and ES_ILM_POLICY into sysdig@custom, only when set', async () => {
    const install = installTemplates({ ES_REPLICAS: '0' });
    expect(install.status, install.stderr).toBe(0);
    expect((await node.request('PUT', '/sysdig-events-replicas')).status).toBe(200);
    const settings = (await node.request('GET', '/sysdig-events-replicas/_settings')).json['sysdig-events-replicas'].settings;
    expect(settings.index.number_of_replicas).toBe('0');
    const custom = (await node.request('GET', '/_component_template/sysdig@custom')).json.component_templates[0];
    expect(custom.component_template.template.settings).toEqual({ index: { number_of_replicas: '0' } });
    // This node has no ILM module, so it refuses the setting: the script
    // must pass that refusal on and fail, not carry on.
    const ilm = installTemplates({ ES_REPLICAS: '0', ES_ILM_POLICY: 'sysdig-30d' });
    expect(ilm.status).not.toBe(0);
    expect(ilm.stderr).toMatch(/sysdig@custom failed \(HTTP 400\).*unknown setting \[index\.lifecycle\.name\]/);
    const unreachable = installTemplates({ ES_URL: 'http://127.0.0.1:1' });
    expect(unreachable.status).not.toBe(0);
  });

  it('indexes every document of the golden, wrong-type, fuzz and limits corpus with zero rejections', async () => {
    const corpus = buildCorpus();
    const docs = corpus.map((c) => ecs(c.text));
    const failed = await bulkIndex('sysdig-events-corpus', docs);
    expect(failed).toEqual([]);
    await node.request('POST', '/sysdig-events-corpus/_refresh');
    const count = (await node.request('GET', '/sysdig-events-corpus/_count')).json.count;
    expect(count).toBe(docs.length);
    // dynamic: false — the corpus added no field to the mapping.
    const mapping = (await node.request('GET', '/sysdig-events-corpus/_mapping')).json['sysdig-events-corpus'].mappings;
    expect(mappedLeaves(mapping.properties)).toEqual(mappedLeaves(buildMappings().properties));
    const kinds = {};
    for (const c of corpus) kinds[c.kind] = (kinds[c.kind] ?? 0) + 1;
    console.log(`corpus: ${docs.length} inputs (${JSON.stringify(kinds)}), ${count} indexed, ${failed.length} rejected`);
  }, 300_000);

  it('keeps the event time to the nanosecond: an exact range query hits, one nanosecond off misses', async () => {
    const doc = ecs(golden('runtime-policy-event'));
    expect(JSON.parse(doc)['@timestamp']).toBe('2020-11-25T16:49:08.648718268Z');
    expect(await bulkIndex('sysdig-events-ns', [doc])).toEqual([]);
    await node.request('POST', '/sysdig-events-ns/_refresh');
    const hits = async (gte, lte) => (await search('sysdig-events-ns', { range: { '@timestamp': { gte, lte } } })).total.value;
    expect(await hits('2020-11-25T16:49:08.648718268Z', '2020-11-25T16:49:08.648718268Z')).toBe(1);
    expect(await hits('2020-11-25T16:49:08.648718269Z', '2020-11-25T16:49:08.648718269Z')).toBe(0);
    expect(await hits('2020-11-25T16:49:08.648718267Z', '2020-11-25T16:49:08.648718267Z')).toBe(0);
    expect(await hits('2020-11-25T16:49:08.648718269Z', '2020-11-25T16:49:09Z')).toBe(0);
    const read = await search('sysdig-events-ns', { match_all: {} }, {
      fields: [{ field: '@timestamp', format: 'strict_date_optional_time_nanos' }], _source: false,
    });
    expect(read.hits[0].fields['@timestamp']).toEqual(['2020-11-25T16:49:08.648718268Z']);
  });

  it('answers a CIDR query on source.ip and a term query on a sysdig.* leaf', async () => {
    const docs = ['audit-net', 'runtime-policy-event', 'audit-cmd'].map((name) => ecs(golden(name)));
    expect(await bulkIndex('sysdig-events-queries', docs)).toEqual([]);
    await node.request('POST', '/sysdig-events-queries/_refresh');
    const cidr = await search('sysdig-events-queries', { term: { 'source.ip': '172.17.0.0/16' } });
    expect(cidr.hits.map((h) => h._source.event.dataset)).toEqual(['sysdig.audit']);
    expect(cidr.hits[0]._source.source.ip).toBe('172.17.0.21');
    const miss = await search('sysdig-events-queries', { term: { 'source.ip': '10.0.0.0/8' } });
    expect(miss.total.value).toBe(0);
    const leaf = await search('sysdig-events-queries', { term: { 'sysdig.content.fields.proc_aname_2': 'su' } });
    expect(leaf.hits.map((h) => h._source.rule?.name)).toEqual(['Write below etc']);
  });

  it('serves every Kibana panel: its fields are searchable and aggregatable, its aggregation runs on the samples', async () => {
    const objects = readSavedObjects(readFileSync(join(REPO_ROOT, KIBANA_FILE), 'utf8'));
    const docs = readdirSync(goldenDir).sort().map((name) => ecs(golden(name)));
    expect(await bulkIndex('sysdig-events-kibana', docs)).toEqual([]);
    await node.request('POST', '/sysdig-events-kibana/_refresh');
    const uses = usedFields(objects);
    const fieldNames = [...new Set(uses.map((u) => u.field))];
    const caps = (await node.request('GET', `/sysdig-events-kibana/_field_caps?fields=${fieldNames.join(',')}`)).json.fields;
    for (const use of uses) {
      const cap = Object.values(caps[use.field] ?? {})[0];
      expect(cap, `${use.object}: no field capabilities for ${use.field}`).toBeDefined();
      if (use.operation === 'query') expect(cap.searchable, `${use.object} queries ${use.field}`).toBe(true);
      if (use.aggregated) expect(cap.aggregatable, `${use.object} aggregates ${use.field}`).toBe(true);
    }
    const buckets = {};
    for (const o of objects.filter((x) => x.type === 'lens')) {
      const layer = Object.values(o.attributes.state.datasourceStates.formBased.layers)[0];
      const aggs = {};
      for (const [id, col] of Object.entries(layer.columns)) {
        if (col.operationType === 'terms') aggs[id] = { terms: { field: col.sourceField, size: col.params.size } };
        if (col.operationType === 'date_histogram') aggs[id] = { date_histogram: { field: col.sourceField, calendar_interval: 'year' } };
      }
      const res = await node.request('POST', '/sysdig-events-kibana/_search', {
        size: 0, query: kqlToQuery(o.attributes.state.query.query), aggs,
      });
      expect(res.status, `${o.id}: ${res.text.slice(0, 500)}`).toBe(200);
      buckets[o.id] = Object.fromEntries(Object.entries(res.json.aggregations).map(([k, v]) => [k, v.buckets.length]));
    }
    for (const o of objects.filter((x) => x.type === 'search')) {
      const source = JSON.parse(o.attributes.kibanaSavedObjectMeta.searchSourceJSON);
      const res = await node.request('POST', '/sysdig-events-kibana/_search', {
        query: kqlToQuery(source.query.query), sort: o.attributes.sort.map(([f, d]) => ({ [f]: d })), _source: o.attributes.columns,
      });
      expect(res.status, `${o.id}: ${res.text.slice(0, 500)}`).toBe(200);
      buckets[o.id] = { hits: res.json.hits.hits.length };
    }
    console.log(`Kibana panels on the golden documents: ${JSON.stringify(buckets)}`);
    // The bundled samples carry these, so their panels must not be empty.
    for (const id of ['sysdig-secure-events-over-time', 'sysdig-secure-top-rules', 'sysdig-secure-top-hosts',
      'sysdig-secure-audit-over-time', 'sysdig-monitor-alerts-by-severity', 'sysdig-monitor-alerts-by-state', 'sysdig-monitor-top-alerts']) {
      for (const [col, n] of Object.entries(buckets[id])) expect(n, `${id} ${col}`).toBeGreaterThan(0);
    }
    expect(buckets['sysdig-secure-latest-events'].hits).toBeGreaterThan(0);
    expect(buckets['sysdig-monitor-latest-alerts'].hits).toBeGreaterThan(0);
  });

  it('writes to a logs-sysdig.*-* data stream with create, and answers a replay with 409', async () => {
    const doc = ecs(golden('runtime-policy-event'));
    const id = JSON.parse(doc).event.id;
    const create = `${JSON.stringify({ create: { _index: 'logs-sysdig.alerts-default', _id: id } })}\n${doc}\n`;
    const first = await node.request('POST', '/_bulk', create);
    expect(first.json.items[0].create.status).toBe(201);
    expect(first.json.items[0].create._index).toMatch(/^\.ds-logs-sysdig\.alerts-default-/);
    const replay = await node.request('POST', '/_bulk', create);
    expect(replay.status).toBe(200);
    expect(replay.json.errors).toBe(true);
    expect(replay.json.items[0].create.status).toBe(409);
    expect(replay.json.items[0].create.error.type).toBe('version_conflict_engine_exception');
    await node.request('POST', '/logs-sysdig.alerts-default/_refresh');
    expect((await node.request('GET', '/logs-sysdig.alerts-default/_count')).json.count).toBe(1);
    const mapping = (await node.request('GET', '/logs-sysdig.alerts-default/_mapping')).json;
    const backing = Object.values(mapping)[0].mappings;
    expect(backing.properties['@timestamp'].type).toBe('date_nanos');
  });
});

if (setup.skip) {
  describe('on a real Elasticsearch node', () => {
    it.skip(`skipped: ${setup.skip}`, () => {});
  });
}
