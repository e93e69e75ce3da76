// vector/vector.yaml as shipped, delivering into a real Elasticsearch node
// (host-test/es/node.mjs) with the templates elasticsearch/install.sh
// installs: every sample shape, the Falco alerts among them, is read back by
// query equal to its golden ECS document, @timestamp to the nanosecond;
// events sent while the node is down, and while it is down through a restart
// of Vector, are each indexed once when it is back. The Splunk side goes to
// the HEC receiver (vector-receivers.mjs).
//
// Skipped, with the reason, without a vector binary or without what the node
// needs (a JDK and Maven, see host-test/es/node.mjs).

import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SAMPLE_SHAPES } from '../test/samples.mjs';
import { ElasticsearchNode, ES_VERSION, prepare } from '../es/node.mjs';
import { REPO_ROOT, makeTempDir, removeDir, sleep } from './harness.mjs';
import { loadShape, uniqueCopy } from './rig.mjs';
import { CASE_LIMIT_MS, SKIP, START_CASE_LIMIT_MS, VectorRig } from './vector-rig.mjs';

const setup = SKIP ? {} : prepare();
const skipReason = SKIP ?? setup.skip ?? null;
const INDEX = 'sysdig-vector-node-e2e';
const report = [];

/** Nanoseconds since the epoch of an RFC 3339 UTC time, exactly. */
const nanosOf = (text) => {
  const [, whole, fraction = ''] = /^(.*?:\d\d)(?:\.(\d+))?Z$/.exec(text);
  return BigInt(Date.parse(`${whole}Z`)) * 1000000n + BigInt(fraction.padEnd(9, '0'));
};

/** Copies with ids of their own where the id is in the text (the legacy and
 *  runtime samples are one Sysdig event); hashed ids stay as they are. */
let nextCopy = 1;
const freshShapes = () => SAMPLE_SHAPES.map((name) => {
  const copy = uniqueCopy(name, 0x7e000 + nextCopy++);
  return copy.text.includes(copy.ecs.event.id) ? copy : loadShape(name);
});
const ownIdShapes = () => freshShapes().filter((s) => s.text.includes(s.ecs.event.id));

describe.skipIf(skipReason)(`Vector into a real Elasticsearch ${ES_VERSION} node`, () => {
  let node;
  let dir;
  let rig;

  /** The node's documents with these ids. */
  async function stored(shapes) {
    await node.request('POST', `/${INDEX}/_refresh`);
    const res = await node.request('POST', `/${INDEX}/_search`, {
      size: 1000, query: { ids: { values: shapes.map((s) => s.ecs.event.id) } },
      fields: [{ field: '@timestamp', format: 'strict_date_optional_time_nanos' }],
    });
    if (res.status === 404 || res.status === 503) return [];
    expect(res.status, res.text.slice(0, 1000)).toBe(200);
    return res.json.hits.hits;
  }

  const waitStored = (shapes, what) => rig.waitUntil(
    async () => (await stored(shapes)).length === shapes.length,
    async () => (await stored(shapes)).length,
    () => `${what}: ${shapes.length} documents in ${INDEX}`,
  );

  /** Every stored document against its golden ECS document; the counts. */
  async function countAndCheck(name, shapes, bulkFrom) {
    const hits = await stored(shapes);
    const byId = new Map(hits.map((h) => [h._id, h]));
    for (const shape of shapes) {
      const hit = byId.get(shape.ecs.event.id);
      expect(hit, `${shape.name} ${shape.ecs.event.id} not indexed`).toBeDefined();
      const expected = structuredClone(shape.ecs);
      // event.created is Vector's receive clock.
      expect(hit._source.event.created).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z$/);
      expected.event.created = hit._source.event.created;
      expect(hit._source, shape.name).toEqual(expected);
      expect(hit.fields['@timestamp'].map(nanosOf), shape.name).toEqual([nanosOf(shape.ecs['@timestamp'])]);
    }
    const ids = shapes.map((s) => s.ecs.event.id);
    const attempts = rig.esProxy.requests.slice(bulkFrom)
      .filter((r) => r.path.split('?')[0].endsWith('/_bulk'))
      .flatMap((r) => r.text.split('\n').filter((l) => ids.some((id) => l.includes(`"_id":"${id}"`)))).length;
    const counts = { sent: shapes.length, indexed: hits.length, duplicated: hits.length - byId.size, attempts };
    report.push(`${name}: sent ${counts.sent}, indexed ${counts.indexed}, duplicated ${counts.duplicated}, ` +
      `bulk items sent ${counts.attempts}, nudges so far ${rig.nudged}`);
    expect(counts.indexed).toBe(counts.sent);
    expect(counts.duplicated).toBe(0);
  }

  beforeAll(async () => {
    dir = makeTempDir('sysdig-vector-es-');
    node = new ElasticsearchNode({ ...setup, dataDir: join(dir, 'data'), logPath: join(dir, 'node.log') });
    await node.start();
    const install = spawnSync('sh', [join(REPO_ROOT, 'elasticsearch', 'install.sh')], {
      env: { PATH: process.env.PATH, ES_URL: node.url }, encoding: 'utf8',
    });
    if (install.status !== 0) throw new Error(`install.sh: ${install.stderr}`);
    // vector.yaml writes to ES_INDEX; the test's name must fall under the templates too.
    const put = await node.request('PUT', '/_index_template/sysdig-vector-e2e', {
      index_patterns: [`${INDEX}*`], composed_of: ['sysdig@mappings'], priority: 300,
    });
    expect(put.status).toBe(200);
    rig = new VectorRig('es-node');
    await rig.start({ esUpstreamPort: node.port, env: { ES_INDEX: INDEX } });
  }, START_CASE_LIMIT_MS + 300_000);

  afterAll(async () => {
    if (report.length) console.log(`Vector → Elasticsearch ${ES_VERSION} counts:\n  ${report.join('\n  ')}`);
    if (rig?.stalls.length) console.log(`Vector → Elasticsearch: waits that had to nudge:\n${JSON.stringify(rig.stalls, null, 1)}`);
    await rig?.stop();
    await node?.stop();
    if (dir) await removeDir(dir);
  }, CASE_LIMIT_MS);

  it('delivers every sample shape, Falco alerts included, as its golden document', async () => {
    const shapes = freshShapes();
    const from = rig.esProxy.requests.length;
    for (const shape of shapes) expect((await rig.send(shape.text)).status).toBe(200);
    await waitStored(shapes, 'samples');
    await countAndCheck('samples', shapes, from);
    const mapping = (await node.request('GET', `/${INDEX}/_mapping`)).json[INDEX].mappings;
    expect(mapping.properties['@timestamp'].type).toBe('date_nanos');
    expect(mapping.properties.sysdig.type).toBe('flattened');
  }, CASE_LIMIT_MS);

  it('keeps what arrives while the node is down, and indexes it once when it is back', async () => {
    const shapes = ownIdShapes();
    const from = rig.esProxy.requests.length;
    await rig.esProxy.down();
    for (const shape of shapes) expect((await rig.send(shape.text)).status).toBe(200);
    await sleep(3000);
    await rig.esProxy.up();
    await waitStored(shapes, 'node back');
    await sleep(3000); // a late resend would show as a second bulk item
    await countAndCheck('node unreachable, then back', shapes, from);
  }, CASE_LIMIT_MS);

  it('keeps it through a restart of Vector while the node is down', async () => {
    const shapes = ownIdShapes();
    const from = rig.esProxy.requests.length;
    await rig.esProxy.down();
    for (const shape of shapes) expect((await rig.send(shape.text)).status).toBe(200);
    await rig.restartVector();
    await rig.esProxy.up();
    await waitStored(shapes, 'after restart');
    await sleep(3000);
    await countAndCheck('node unreachable, Vector restarted, node back', shapes, from);
  }, START_CASE_LIMIT_MS);
});

if (skipReason) {
  describe('Vector into a real Elasticsearch node', () => {
    it.skip(`SKIPPED: ${skipReason}`, () => {});
  });
}
