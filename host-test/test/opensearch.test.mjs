// The OpenSearch templates (elasticsearch/opensearch/, generated from the
// field table by host-test/gen/opensearch.mjs) on a real OpenSearch 2.19 node
// (host-test/opensearch/node.mjs): elasticsearch/install.sh installs them,
// telling OpenSearch from the root answer or told by --opensearch; the
// templates read back as committed; the corpus of elasticsearch.test.mjs
// (golden, wrong-typed, fuzzed and limit inputs) is indexed with zero
// rejections and no new field; the event time keeps its nanoseconds; and the
// payload queries elasticsearch/README.md promises work on flat_object.
// Skipped, with the reason, without a JDK and Maven (or Maven Central).

import { describe, it, beforeAll, afterAll, expect } from 'vitest';
import { readFileSync, readdirSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

import { loadFilter } from '../host.mjs';
import { buildOpenSearchComponentTemplate } from '../gen/opensearch.mjs';
import { OpenSearchNode, OPENSEARCH_VERSION, prepareOpenSearch } from '../opensearch/node.mjs';
import { REPO_ROOT, makeTempDir, removeDir } from '../e2e/harness.mjs';
import { buildCorpus, golden, goldenDir } from './index-corpus.mjs';

const OPTS = { tag: 'sysdig', sec: 1700000000, nsec: 500000000 };
const TEMPLATES = ['/_component_template/sysdig@mappings', '/_index_template/sysdig-events', '/_index_template/logs-sysdig'];
const setup = prepareOpenSearch();
const report = [];
let node;
let dir;
let filter;

const ecs = (input) => {
  const result = filter.call('sysdig_to_ecs', input, OPTS);
  if (result.status !== 'ok') throw new Error(`${result.status}: ${result.error}`);
  return result.output;
};

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

/** UTF-8 length of the longest string or number under the payload roots. */
function longestPayloadValue(doc) {
  let longest = 0;
  const walk = (v) => {
    if (v !== null && typeof v === 'object') for (const x of Object.values(v)) walk(x);
    else if (v !== null) longest = Math.max(longest, Buffer.byteLength(String(v)));
  };
  walk(doc.sysdig ?? {});
  walk(doc.falco ?? {});
  return longest;
}

/** Indexes documents with `_bulk` under their event ids; returns the failed items. */
async function bulkIndex(index, docs) {
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
  for (const doc of docs) {
    body += `${JSON.stringify({ index: { _index: index } })}\n${doc}\n`;
    batch.push(doc);
    if (body.length > 8_000_000) await flush();
  }
  await flush();
  return failed;
}

const search = async (index, query, extra = {}) => {
  const res = await node.request('POST', `/${index}/_search`, { query, ...extra });
  return { status: res.status, text: res.text, hits: res.json?.hits, aggregations: res.json?.aggregations };
};

const install = (args = [], env = {}) => spawnSync('sh', [join(REPO_ROOT, 'elasticsearch', 'install.sh'), ...args], {
  env: { PATH: process.env.PATH, ES_URL: node.url, ...env }, encoding: 'utf8',
});

describe.skipIf(setup.skip)(`the OpenSearch templates on a real OpenSearch ${OPENSEARCH_VERSION} node`, () => {
  beforeAll(async () => {
    filter = await loadFilter();
    dir = makeTempDir('sysdig-opensearch-test-');
    node = new OpenSearchNode({ ...setup, dataDir: join(dir, 'data'), logPath: join(dir, 'node.log') });
    await node.start();
  }, 300_000);

  afterAll(async () => {
    if (report.length) console.log(`OpenSearch ${OPENSEARCH_VERSION}:\n  ${report.join('\n  ')}`);
    await node?.stop();
    if (dir) await removeDir(dir);
  });

  it('refuses the Elasticsearch template (no flattened type), as measured', async () => {
    const es = JSON.parse(readFileSync(join(REPO_ROOT, 'elasticsearch', 'component-template-mappings.json'), 'utf8'));
    const res = await node.request('PUT', '/_component_template/sysdig-es-probe', es);
    expect(res.status).toBe(400);
    expect(res.text).toMatch(/No handler for type \[flattened\]/);
    const forced = install(['--elasticsearch']);
    expect(forced.status).not.toBe(0);
    expect(forced.stderr).toMatch(/sysdig@mappings failed \(HTTP 400\).*flattened/);
    report.push(`Elasticsearch template on OpenSearch: HTTP ${res.status}, ${res.json.error.reason.slice(0, 120)}`);
  });

  it('installs with install.sh, telling OpenSearch from the root answer, and with --opensearch', async () => {
    const detected = install();
    expect(detected.stderr).toBe('');
    expect(detected.status).toBe(0);
    expect(detected.stdout).toContain('GET /: 200, opensearch');
    // No sysdig@custom yet: an empty one, since OpenSearch cannot ignore a missing one.
    expect(detected.stdout).toContain('PUT /_component_template/sysdig@custom: 200');
    for (const path of TEMPLATES) expect(detected.stdout).toContain(`PUT ${path}: 200`);
    const custom = await node.request('PUT', '/_component_template/sysdig@custom', { template: { settings: { index: { number_of_replicas: 0 } } } });
    expect(custom.status).toBe(200);
    const flagged = install(['--opensearch']);
    expect(flagged.status, flagged.stderr).toBe(0);
    expect(flagged.stdout).not.toContain('GET /:');
    // The operator's own sysdig@custom is kept.
    expect(flagged.stdout).toContain('sysdig@custom: 200, kept');
    const kept = (await node.request('GET', '/_component_template/sysdig@custom')).json.component_templates[0];
    expect(kept.component_template.template.settings).toEqual({ index: { number_of_replicas: '0' } });
    const replicas = install(['--opensearch'], { ES_REPLICAS: '0' });
    expect(replicas.status, replicas.stderr).toBe(0);
  });

  it('reads the templates back as committed: flat_object payload, date_nanos, ip', async () => {
    const back = (await node.request('GET', '/_component_template/sysdig@mappings')).json.component_templates[0].component_template;
    const committed = JSON.parse(readFileSync(join(REPO_ROOT, 'elasticsearch', 'opensearch', 'component-template-mappings.json'), 'utf8'));
    expect(committed).toEqual(buildOpenSearchComponentTemplate());
    expect(JSON.parse(JSON.stringify(back.template.mappings))).toEqual(committed.template.mappings);
    const indexTemplate = (await node.request('GET', '/_index_template/sysdig-events')).json.index_templates[0].index_template;
    expect(indexTemplate.composed_of).toEqual(['sysdig@mappings', 'sysdig@custom']);
    const dataStream = (await node.request('GET', '/_index_template/logs-sysdig')).json.index_templates[0].index_template;
    expect(dataStream.index_patterns).toEqual(['logs-sysdig.*-*']);
    expect(dataStream.data_stream).toBeDefined();
    // An index of the pipelines gets it all.
    expect((await node.request('PUT', '/sysdig-events-mapping')).status).toBe(200);
    const mapping = (await node.request('GET', '/sysdig-events-mapping/_mapping')).json['sysdig-events-mapping'].mappings;
    expect(mappedLeaves(mapping.properties)).toEqual(mappedLeaves(committed.template.mappings.properties));
    const props = mapping.properties;
    expect(props['@timestamp']).toEqual({ type: 'date_nanos' });
    expect(props.source.properties.ip).toEqual({ type: 'ip' });
    expect(props.sysdig).toEqual({ type: 'flat_object' });
    expect(props.falco).toEqual({ type: 'flat_object' });
    report.push(`template read back: ${Object.keys(mappedLeaves(mapping.properties)).length} mapped leaf fields; ` +
      `@timestamp ${JSON.stringify(props['@timestamp'])}, event.ingested ${JSON.stringify(props.event.properties.ingested)}, ` +
      `source.ip ${JSON.stringify(props.source.properties.ip)}, sysdig ${JSON.stringify(props.sysdig)}, falco ${JSON.stringify(props.falco)}, ` +
      `dynamic ${JSON.stringify(mapping.dynamic)}; index templates sysdig-events (${indexTemplate.index_patterns}) and logs-sysdig (data stream)`);
  });

  it('indexes every document of the corpus but those with a payload value over Lucene\'s term limit', async () => {
    const corpus = buildCorpus();
    const docs = corpus.map((c) => ecs(c.text));
    const failed = await bulkIndex('sysdig-events-corpus', docs);
    await node.request('POST', '/sysdig-events-corpus/_refresh');
    const count = (await node.request('GET', '/sysdig-events-corpus/_count')).json.count;
    const kinds = {};
    for (const c of corpus) kinds[c.kind] = (kinds[c.kind] ?? 0) + 1;
    // flat_object indexes every leaf value as one keyword term and takes no
    // ignore_above (nor any other parameter): a value longer than 32766
    // UTF-8 bytes cannot be indexed, and the document is refused.
    const immense = docs.filter((d) => longestPayloadValue(JSON.parse(d)) > 32766);
    const reasons = [...new Set(failed.map((f) => `${f.status} ${f.error.type}: ${f.error.reason?.slice(0, 100)}`))];
    report.push(`corpus: ${docs.length} documents (${JSON.stringify(kinds)}), ${count} indexed, ${failed.length} rejected ` +
      `(${immense.length} have a payload value over 32766 bytes: ${immense.map((d) => longestPayloadValue(JSON.parse(d))).join(', ')} bytes) ${JSON.stringify(reasons)}`);
    expect(failed.map((f) => f.error.type)).toEqual(immense.map(() => 'illegal_argument_exception'));
    expect(failed.every((f) => /immense term in field="(sysdig|falco)\._value/.test(f.error.reason))).toBe(true);
    expect(count).toBe(docs.length - immense.length);
    const mapping = (await node.request('GET', '/sysdig-events-corpus/_mapping')).json['sysdig-events-corpus'].mappings;
    const committed = JSON.parse(readFileSync(join(REPO_ROOT, 'elasticsearch', 'opensearch', 'component-template-mappings.json'), 'utf8'));
    expect(mappedLeaves(mapping.properties)).toEqual(mappedLeaves(committed.template.mappings.properties));
  }, 300_000);

  it('keeps the event time to the nanosecond: an exact range query hits, one nanosecond off misses', async () => {
    const doc = ecs(golden('runtime-policy-event'));
    expect(JSON.parse(doc)['@timestamp']).toBe('2020-11-25T16:49:08.648718268Z');
    expect(await bulkIndex('sysdig-events-ns', [doc])).toEqual([]);
    await node.request('POST', '/sysdig-events-ns/_refresh');
    const hits = async (gte, lte) => (await search('sysdig-events-ns', { range: { '@timestamp': { gte, lte } } })).hits.total.value;
    const counts = {
      exact: await hits('2020-11-25T16:49:08.648718268Z', '2020-11-25T16:49:08.648718268Z'),
      plus1: await hits('2020-11-25T16:49:08.648718269Z', '2020-11-25T16:49:08.648718269Z'),
      minus1: await hits('2020-11-25T16:49:08.648718267Z', '2020-11-25T16:49:08.648718267Z'),
    };
    report.push(`nanosecond range on @timestamp: exact ${counts.exact} hit, +1 ns ${counts.plus1}, -1 ns ${counts.minus1}`);
    expect(counts).toEqual({ exact: 1, plus1: 0, minus1: 0 });
    const read = await search('sysdig-events-ns', { match_all: {} }, {
      fields: [{ field: '@timestamp', format: 'strict_date_optional_time_nanos' }], _source: false,
    });
    expect(read.hits.hits[0].fields['@timestamp']).toEqual(['2020-11-25T16:49:08.648718268Z']);
  });

  it('answers the payload queries the README promises, and a CIDR query on source.ip', async () => {
    const names = readdirSync(goldenDir).sort();
    const docs = names.map((name) => ecs(golden(name)));
    expect(await bulkIndex('sysdig-events-queries', docs)).toEqual([]);
    await node.request('POST', '/sysdig-events-queries/_refresh');
    const datasetsOf = async (query) => {
      const r = await search('sysdig-events-queries', query, { size: 100 });
      expect(r.status, r.text.slice(0, 1000)).toBe(200);
      return r.hits.hits.map((h) => `${h._source.event.dataset}:${h._source.rule?.name ?? ''}`).sort();
    };
    const results = {
      term: await datasetsOf({ term: { 'sysdig.content.fields.proc_name': 'touch' } }),
      prefix: await datasetsOf({ prefix: { 'sysdig.content.fields.fd_name': '/etc/' } }),
      wildcard: await datasetsOf({ wildcard: { 'sysdig.labels.host_hostName': 'ard*' } }),
      exists: await datasetsOf({ exists: { field: 'sysdig.content.fields.proc_aname_2' } }),
      range: await datasetsOf({ range: { 'sysdig.content.policyId': { gte: '540', lte: '549' } } }),
      anyLeaf: await datasetsOf({ term: { sysdig: 'Write below etc' } }),
      cidr: await datasetsOf({ term: { 'source.ip': '172.17.0.0/16' } }),
    };
    const agg = await node.request('POST', '/sysdig-events-queries/_search', {
      size: 0, aggs: { rules: { terms: { field: 'sysdig.content.ruleName' } } },
    });
    report.push(`payload queries: ${JSON.stringify(results)}; terms aggregation on sysdig.content.ruleName: HTTP ${agg.status} ` +
      `${agg.status === 200 ? JSON.stringify(agg.json.aggregations.rules.buckets) : agg.json.error.root_cause?.[0]?.reason?.slice(0, 160)}`);
    // What each query must find, worked out from the golden documents.
    const parsed = docs.map((d) => JSON.parse(d));
    const at = (doc, path) => path.split('.').reduce((v, k) => v?.[k], doc);
    const leaves = (v) => (v !== null && typeof v === 'object' ? Object.values(v).flatMap(leaves) : [v]);
    const rows = (pred) => parsed.filter(pred).map((d) => `${d.event.dataset}:${d.rule?.name ?? ''}`).sort();
    const inCidr = (ip) => typeof ip === 'string' && ip.startsWith('172.17.');
    const want = {
      term: rows((d) => at(d, 'sysdig.content.fields.proc_name') === 'touch'),
      prefix: rows((d) => String(at(d, 'sysdig.content.fields.fd_name') ?? '').startsWith('/etc/')),
      wildcard: rows((d) => String(at(d, 'sysdig.labels.host_hostName') ?? '').startsWith('ard')),
      range: rows((d) => { const v = at(d, 'sysdig.content.policyId'); return v !== undefined && String(v) >= '540' && String(v) <= '549'; }),
      anyLeaf: rows((d) => leaves(d.sysdig ?? {}).includes('Write below etc')),
      cidr: rows((d) => inCidr(at(d, 'source.ip'))),
    };
    for (const [name, expected] of Object.entries(want)) {
      expect(expected.length, `${name}: the golden documents have matches`).toBeGreaterThan(0);
      expect(results[name], name).toEqual(expected);
    }
    // Measured limits of flat_object on 2.19 (elasticsearch/README.md says so):
    // `exists` on a leaf finds nothing, a terms aggregation on a leaf gives
    // no buckets.
    expect(rows((d) => at(d, 'sysdig.content.fields.proc_aname_2') !== undefined).length).toBeGreaterThan(0);
    expect(results.exists).toEqual([]);
    expect(agg.json.aggregations.rules.buckets).toEqual([]);
    expect(agg.status).toBe(200);
    const rootExists = await datasetsOf({ exists: { field: 'sysdig' } });
    report.push(`exists on the root sysdig: ${rootExists.length} hits`);
  });
});

if (setup.skip) {
  describe('on a real OpenSearch node', () => {
    it.skip(`skipped: ${setup.skip}`, () => {});
  });
}
