// Into a real OpenSearch 2.19 node (host-test/opensearch/node.mjs) with the
// OpenSearch templates installed by elasticsearch/install.sh (told apart
// from the root answer), Fluent Bit with fluent-bit/sysdig-to-opensearch.yaml
// (the opensearch output), every setting from fluent-bit/.env.example and
// the rig's own: every sample shape arrives as its golden ECS document,
// counted by querying the node. Skipped, with the reason, without a
// fluent-bit binary or what the node needs.

import { describe, it, beforeAll, afterAll, expect } from 'vitest';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

import { SAMPLE_SHAPES } from '../test/samples.mjs';
import { OpenSearchNode, OPENSEARCH_VERSION, prepareOpenSearch } from '../opensearch/node.mjs';
import { REPO_ROOT, WASM_MODULE, findFluentBit, fluentBitVersion, makeTempDir, removeDir, waitFor } from './harness.mjs';
import { ES_TIME_KEY, Rig, loadShape, uniqueCopy } from './rig.mjs';

const OPENSEARCH_PIPELINE = join(REPO_ROOT, 'fluent-bit', 'sysdig-to-opensearch.yaml');
const fluentBit = findFluentBit();
const setup = fluentBit ? prepareOpenSearch() : { skip: 'no fluent-bit binary (set FLUENT_BIT_BIN or put fluent-bit on PATH)' };
const report = [];

let nextCopy = 1;
const freshShapes = () => SAMPLE_SHAPES.map((name) => {
  const copy = uniqueCopy(name, 0x05000000 + nextCopy++);
  return copy.text.includes(copy.ecs.event.id) ? copy : loadShape(name);
});
const batchOf = (list) => `[${list.map((s) => s.text).join(',')}]`;

describe.skipIf(setup.skip)(`Fluent Bit's opensearch output into a real OpenSearch ${OPENSEARCH_VERSION} node`, () => {
  let node;
  let dir;

  async function stored(shapes, index) {
    await node.request('POST', `/${index}/_refresh`);
    const res = await node.request('POST', `/${index}/_search`, {
      size: 1000, query: { ids: { values: shapes.map((s) => s.ecs.event.id) } },
      fields: [{ field: '@timestamp', format: 'strict_date_optional_time_nanos' }],
    });
    if (res.status === 404 || res.status === 503) return [];
    expect(res.status, res.text.slice(0, 1000)).toBe(200);
    return res.json.hits.hits;
  }

  beforeAll(async () => {
    if (!existsSync(WASM_MODULE)) throw new Error(`${WASM_MODULE} is missing; run npm run build`);
    console.log(`opensearch e2e: ${fluentBitVersion(fluentBit)}; OpenSearch ${OPENSEARCH_VERSION}`);
    dir = makeTempDir('sysdig-opensearch-e2e-');
    node = new OpenSearchNode({ ...setup, dataDir: join(dir, 'data'), logPath: join(dir, 'node.log') });
    await node.start();
    const install = spawnSync('sh', [join(REPO_ROOT, 'elasticsearch', 'install.sh')], {
      env: { PATH: process.env.PATH, ES_HOST: '127.0.0.1', ES_PORT: String(node.port), ES_TLS: 'off' }, encoding: 'utf8',
    });
    if (install.status !== 0 || !install.stdout.includes('opensearch')) throw new Error(`install.sh: ${install.stdout}${install.stderr}`);
  }, 300_000);

  afterAll(async () => {
    if (report.length) console.log(`→ OpenSearch ${OPENSEARCH_VERSION}:\n  ${report.join('\n  ')}`);
    await node?.stop();
    if (dir) await removeDir(dir);
  });

  it('delivers every sample shape as its golden document, mapped by the OpenSearch template', async () => {
    const rig = new Rig({ fluentBit, modulePath: WASM_MODULE, label: 'opensearch', layout: { config: OPENSEARCH_PIPELINE, twoWebhooks: false } });
    const index = 'sysdig-events-fluent-bit';
    await rig.start({ env: { ES_HOST: '127.0.0.1', ES_PORT: String(node.port), ES_TLS: 'off', ES_INDEX: index } });
    try {
      const shapes = freshShapes();
      expect((await rig.send(batchOf(shapes))).status).toBe(200);
      await waitFor(async () => (await stored(shapes, index)).length === shapes.length, {
        limitMs: 120000, everyMs: 500, describe: () => `${shapes.length} documents in ${index}\n${rig.pipeline.log.slice(-3000)}`,
      });
      const hits = await stored(shapes, index);
      const byId = new Map(hits.map((h) => [h._id, h]));
      for (const shape of shapes) {
        const hit = byId.get(shape.ecs.event.id);
        expect(hit, `${shape.name} not indexed`).toBeDefined();
        const { [ES_TIME_KEY]: ingested, ...doc } = hit._source;
        expect(typeof ingested).toBe('string');
        const expected = structuredClone(shape.ecs);
        expected.event.created = doc.event.created;
        expect(doc).toEqual(expected);
        expect(hit.fields['@timestamp'][0].replace(/\.?0*Z$/, '')).toBe(shape.ecs['@timestamp'].replace(/\.?0*Z$/, ''));
      }
      const mapping = (await node.request('GET', `/${index}/_mapping`)).json[index].mappings;
      expect(mapping.properties.sysdig).toEqual({ type: 'flat_object' });
      expect(mapping.properties['@timestamp']).toEqual({ type: 'date_nanos' });
      expect(rig.pipeline.errorLines()).toEqual([]);
      report.push(`${fluentBitVersion(fluentBit)} opensearch output: sent ${shapes.length}, indexed ${hits.length}`);
      expect(hits.length).toBe(shapes.length);
    } finally {
      await rig.cleanup();
    }
  }, 240_000);
});
