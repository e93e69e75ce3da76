// The shipped Fluent Bit pipeline (fluent-bit/sysdig-to-elasticsearch-and-splunk.yaml)
// delivering into a real Elasticsearch 8.19 node with the index template of
// elasticsearch/ installed: every sample shape arrives as its golden ECS
// document, counted by querying the node, through an outage of the node and
// a SIGKILL of Fluent Bit while it is down; and what the node and Fluent Bit
// 5.1.1 do with a replayed `create`, measured. The Splunk side goes to the
// receiver Fluent Bit as in pipeline.e2e.test.mjs.
//
// Skipped, with the reason, without a fluent-bit binary or without what the
// node needs (a JDK and Maven, see host-test/es/node.mjs).

import { describe, it, beforeAll, afterAll, expect } from 'vitest';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

import { SAMPLE_SHAPES } from '../test/samples.mjs';
import { ElasticsearchNode, prepare, ES_VERSION } from '../es/node.mjs';
import { REPO_ROOT, WASM_MODULE, findFluentBit, fluentBitVersion, makeTempDir, removeDir, sleep, waitFor } from './harness.mjs';
import { ES_INDEX, ES_TIME_KEY, Rig, loadShape, uniqueCopy } from './rig.mjs';

const fluentBit = findFluentBit();
const setup = prepare();
const skipReason = !fluentBit
  ? 'no fluent-bit binary (set FLUENT_BIT_BIN or put fluent-bit on PATH)'
  : setup.skip ?? null;
const report = [];

/** Every sample shape, the legacy and runtime samples under ids of their
 *  own (they share one Sysdig id, and would be one document in one index).
 *  The Monitor alert's id is a hash of its payload, so it stays as it is:
 *  each test writes to an index of its own. */
let nextCopy = 1;
const freshShapes = () => SAMPLE_SHAPES.map((name) => {
  const copy = uniqueCopy(name, nextCopy++);
  return copy.text.includes(copy.ecs.event.id) ? copy : loadShape(name);
});
let nextIndex = 1;

/** Nanoseconds since the epoch of an RFC 3339 UTC time, exactly. */
const nanosOf = (text) => {
  const [, whole, fraction = ''] = /^(.*?:\d\d)(?:\.(\d+))?Z$/.exec(text);
  return BigInt(Date.parse(`${whole}Z`)) * 1000000n + BigInt(fraction.padEnd(9, '0'));
};
const batchOf = (list) => `[${list.map((s) => s.text).join(',')}]`;

describe.skipIf(skipReason)(`Fluent Bit into a real Elasticsearch ${ES_VERSION} node`, () => {
  let node;
  let dir;

  /** Documents the node holds for these shapes, by _id. */
  async function stored(shapes, index) {
    await node.request('POST', `/${index}/_refresh`);
    const ids = shapes.map((s) => s.ecs.event.id);
    const res = await node.request('POST', `/${index}/_search`, {
      size: 1000, query: { ids: { values: ids } },
      fields: [{ field: '@timestamp', format: 'strict_date_optional_time_nanos' }],
    });
    // Not created yet, or its shard not started yet (after a restart).
    if (res.status === 404 || res.status === 503) return [];
    expect(res.status, res.text.slice(0, 1000)).toBe(200);
    return res.json.hits.hits;
  }

  const waitStored = (rig, shapes, limitMs = 120000) => waitFor(
    async () => (await stored(shapes, rig.index)).length === shapes.length,
    { limitMs, everyMs: 500, describe: () => `${shapes.length} documents in ${rig.index}\n${rig.pipeline.log.slice(-3000)}` },
  );

  /** Checks every stored document against its golden ECS document and
   *  returns the per-case counts. */
  async function countAndCheck(name, shapes, rig) {
    const hits = await stored(shapes, rig.index);
    const byId = new Map(hits.map((h) => [h._id, h]));
    for (const shape of shapes) {
      const hit = byId.get(shape.ecs.event.id);
      expect(hit, `${shape.name} ${shape.ecs.event.id} not indexed`).toBeDefined();
      const { [ES_TIME_KEY]: ingested, ...doc } = hit._source;
      expect(typeof ingested).toBe('string');
      const expected = structuredClone(shape.ecs);
      expected.event.created = doc.event.created;
      expect(doc).toEqual(expected);
      // Read back through the date_nanos field (which prints trailing zeros
      // its own way): the same instant, to the nanosecond.
      expect(hit.fields['@timestamp'].map(nanosOf)).toEqual([nanosOf(shape.ecs['@timestamp'])]);
    }
    const ids = shapes.map((s) => s.ecs.event.id);
    const bulkLines = rig.esProxy.requests
      .filter((r) => r.path.endsWith('/_bulk'))
      .flatMap((r) => r.text.split('\n').filter((l) => ids.some((id) => l.includes(`"_id":"${id}"`))));
    const counts = { sent: shapes.length, indexed: hits.length, duplicated: hits.length - byId.size, deliveries: bulkLines.length };
    report.push(`${name}: sent ${counts.sent}, indexed ${counts.indexed}, duplicated ${counts.duplicated}, bulk attempts ${counts.deliveries}`);
    expect(counts.indexed).toBe(counts.sent);
    expect(counts.duplicated).toBe(0);
    return counts;
  }

  const startRig = async (env = {}) => {
    const rig = new Rig({ fluentBit, modulePath: WASM_MODULE, label: 'es-node' });
    rig.index = `${ES_INDEX}-${nextIndex++}`;
    await rig.start({ esUpstreamPort: node.port, env: { ES_INDEX: rig.index, ...env } });
    return rig;
  };

  beforeAll(async () => {
    if (!existsSync(WASM_MODULE)) throw new Error(`${WASM_MODULE} is missing; run npm run build`);
    console.log(`es e2e: ${fluentBitVersion(fluentBit)}; Elasticsearch ${ES_VERSION}`);
    dir = makeTempDir('sysdig-es-e2e-');
    node = new ElasticsearchNode({ ...setup, dataDir: join(dir, 'data'), logPath: join(dir, 'node.log') });
    await node.start();
    const install = spawnSync('sh', [join(REPO_ROOT, 'elasticsearch', 'install.sh')], {
      env: { PATH: process.env.PATH, ES_URL: node.url }, encoding: 'utf8',
    });
    if (install.status !== 0) throw new Error(`install.sh: ${install.stderr}`);
    // The pipelines' index is sysdig-events unless ES_INDEX says otherwise;
    // the rig's name must fall under the template too.
    const put = await node.request('PUT', '/_index_template/sysdig-e2e', {
      index_patterns: [`${ES_INDEX}-*`], composed_of: ['sysdig@mappings'], priority: 300,
    });
    expect(put.status).toBe(200);
  }, 300_000);

  afterAll(async () => {
    if (report.length) console.log(`Fluent Bit → Elasticsearch ${ES_VERSION} counts:\n  ${report.join('\n  ')}`);
    await node?.stop();
    if (dir) await removeDir(dir);
  });

  it('delivers every sample shape as its golden document, mapped by the template', async () => {
    const rig = await startRig();
    try {
      const shapes = freshShapes();
      expect((await rig.send(batchOf(shapes))).status).toBe(200);
      await waitStored(rig, shapes);
      await countAndCheck('samples', shapes, rig);
      const mapping = (await node.request('GET', `/${rig.index}/_mapping`)).json[rig.index].mappings;
      expect(mapping.properties['@timestamp'].type).toBe('date_nanos');
      expect(mapping.properties.event.properties.ingested.type).toBe('date_nanos');
      expect(mapping.properties.sysdig.type).toBe('flattened');
    } finally {
      await rig.cleanup();
    }
  }, 240_000);

  /** Events sent while the node is down, optionally through a SIGKILL and
   *  restart of Fluent Bit, then the node back: each delivered once. */
  async function outage(name, { killFluentBit }) {
    const rig = await startRig();
    try {
      await node.stop();
      const shapes = freshShapes();
      expect((await rig.send(batchOf(shapes))).status).toBe(200);
      await rig.waitForRetries({ outputs: ['es'] });
      if (killFluentBit) {
        await rig.pipeline.stop('SIGKILL');
        await rig.startPipeline();
      }
      await node.start();
      await waitStored(rig, shapes);
      await sleep(3000); // any late resend would show up as a second delivery
      await countAndCheck(name, shapes, rig);
    } finally {
      if (!node.child) await node.start();
      await rig.cleanup();
    }
  }

  it('keeps what arrives while the node is down, and delivers it once when it is back',
    () => outage('node down, then back', { killFluentBit: false }), 300_000);

  it('keeps what arrives while the node is down through a SIGKILL of Fluent Bit',
    () => outage('node down, Fluent Bit SIGKILLed and restarted, node back', { killFluentBit: true }), 300_000);

  it('measures a replayed create: the node answers 409, Fluent Bit 5.1.1 retries the chunk, nothing is stored twice', async () => {
    const rig = await startRig({ ES_WRITE_OPERATION: 'create' });
    try {
      const [first] = freshShapes();
      expect((await rig.send(first.text)).status).toBe(200);
      await waitStored(rig, [first]);
      // The same event again, as Sysdig would resend it.
      const bulkBefore = rig.esProxy.requests.length;
      expect((await rig.send(first.text)).status).toBe(200);
      const conflictAnswers = () => rig.esProxy.requests.slice(bulkBefore).filter((r) => /"status":409/.test(r.answer ?? ''));
      await waitFor(() => conflictAnswers().length > 0, { limitMs: 30000, describe: () => rig.pipeline.log.slice(-3000) });
      await sleep(8000); // watch what Fluent Bit does with the 409 for a while
      const replays = rig.esProxy.requests.slice(bulkBefore).filter((r) => r.text.includes(first.ecs.event.id)).length;
      const conflicts = conflictAnswers().length;
      // A later, new event still gets through while the replay is retried.
      const [later] = freshShapes();
      expect((await rig.send(later.text)).status).toBe(200);
      await waitStored(rig, [later]);
      const hits = await stored([first, later], rig.index);
      expect(hits.length).toBe(2);
      const logged409 = (rig.pipeline.log.match(/version_conflict_engine_exception|"status":409/g) ?? []).length;
      report.push(`replayed create: node stored 1 of 2 copies; Fluent Bit sent the replay ${replays} time(s) in ~8 s, ` +
        `${conflicts} answered with item status 409, ${logged409} conflict line(s) logged; a later event was delivered meanwhile`);
      expect(replays).toBeGreaterThanOrEqual(1);
    } finally {
      await rig.cleanup();
    }
  }, 240_000);
});

if (skipReason) {
  describe('Fluent Bit into a real Elasticsearch node', () => {
    it.skip(`SKIPPED: ${skipReason}`, () => {});
  });
}
