// The shipped Fluent Bit pipeline (fluent-bit/sysdig-to-elasticsearch-and-splunk.yaml)
// delivering to Elasticsearch as 8.x runs by default: the secured node of
// host-test/es/secured.mjs, TLS verified against the test CA
// (ES_TLS_CA_FILE), with each credential kind (a file-realm user whose
// password has spaces and shell metacharacters; an API key made through the
// API), every setting from an env file sourced as fluent-bit/README.md says.
// A wrong credential loses nothing: the events wait in the buffer, the log
// says what is wrong, and after the env file is fixed and Fluent Bit
// restarted they arrive, each once. The Splunk side goes to the receiver
// Fluent Bit as in pipeline.e2e.test.mjs.
//
// Skipped, with the reason, without a fluent-bit binary or what the secured
// node needs (host-test/es/secured.mjs).

import { describe, it, beforeAll, afterAll, expect } from 'vitest';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

import { SAMPLE_SHAPES } from '../test/samples.mjs';
import { ES_VERSION } from '../es/node.mjs';
import { SECURED_PASSWORD, SECURED_USER, SecuredElasticsearchNode, prepareSecured } from '../es/secured.mjs';
import { REPO_ROOT, WASM_MODULE, findFluentBit, fluentBitVersion, makeTempDir, removeDir, waitFor } from './harness.mjs';
import { ES_TIME_KEY, LAYOUTS, Rig, loadShape, uniqueCopy } from './rig.mjs';
import { sourceEnvFile, writeEnvFile } from './env-file.mjs';

const fluentBit = findFluentBit();
const setup = fluentBit ? prepareSecured() : { skip: 'no fluent-bit binary (set FLUENT_BIT_BIN or put fluent-bit on PATH)' };
const report = [];

let nextCopy = 1;
/** Every sample shape under ids of its own (see elasticsearch.e2e.test.mjs). */
const freshShapes = () => SAMPLE_SHAPES.map((name) => {
  const copy = uniqueCopy(name, 0x5ec00000 + nextCopy++);
  return copy.text.includes(copy.ecs.event.id) ? copy : loadShape(name);
});
const batchOf = (list) => `[${list.map((s) => s.text).join(',')}]`;

describe.skipIf(setup.skip)(`Fluent Bit into a secured Elasticsearch ${ES_VERSION} node (TLS, credentials)`, () => {
  let node;
  let dir;
  let apiKey;
  let nextIndex = 1;

  /** The documents the node holds for these shapes in `index`. */
  async function stored(shapes, index) {
    await node.request('POST', `/${index}/_refresh`);
    const res = await node.request('POST', `/${index}/_search`, { size: 1000, query: { ids: { values: shapes.map((s) => s.ecs.event.id) } } });
    if (res.status === 404 || res.status === 503) return [];
    expect(res.status, res.text.slice(0, 1000)).toBe(200);
    return res.json.hits.hits;
  }

  /** Checks each stored document against its golden ECS document. */
  async function checkStored(shapes, index) {
    const hits = await stored(shapes, index);
    const byId = new Map(hits.map((h) => [h._id, h._source]));
    for (const shape of shapes) {
      const doc = byId.get(shape.ecs.event.id);
      expect(doc, `${shape.name} not indexed`).toBeDefined();
      const { [ES_TIME_KEY]: ingested, ...rest } = doc;
      expect(typeof ingested).toBe('string');
      const expected = structuredClone(shape.ecs);
      expected.event.created = rest.event.created;
      expect(rest).toEqual(expected);
    }
    return hits.length;
  }

  /** The env file an operator writes: the pipeline's Elasticsearch
   *  variables, with the rig's own (webhook, Splunk, buffer) beside. */
  function envFileFor(name, auth) {
    return writeEnvFile(join(dir, `${name}.env`), {
      ES_HOST: '127.0.0.1',
      ES_PORT: String(node.port),
      ES_TLS: 'on',
      ES_TLS_VERIFY: 'on',
      ES_TLS_CA_FILE: node.pki.caFile,
      ...auth,
    });
  }

  async function startRig(envFile, layout = LAYOUTS['one webhook']) {
    const rig = new Rig({ fluentBit, modulePath: WASM_MODULE, label: 'es-secured', layout });
    const index = `sysdig-events-secured-${nextIndex++}`;
    await rig.start({ env: { ...sourceEnvFile(envFile), ES_INDEX: index } });
    rig.index = index;
    return rig;
  }

  const waitStored = (rig, shapes) => waitFor(
    async () => (await stored(shapes, rig.index)).length === shapes.length,
    { limitMs: 120000, everyMs: 500, describe: () => `${shapes.length} documents in ${rig.index}\n${rig.pipeline.log.slice(-3000)}` },
  );

  beforeAll(async () => {
    if (!existsSync(WASM_MODULE)) throw new Error(`${WASM_MODULE} is missing; run npm run build`);
    console.log(`secured es e2e: ${fluentBitVersion(fluentBit)}; Elasticsearch ${ES_VERSION} with security`);
    dir = makeTempDir('sysdig-es-secured-e2e-');
    node = new SecuredElasticsearchNode({ ...setup, dir: join(dir, 'node') });
    await node.start();
    apiKey = (await node.createApiKey('sysdig-normalizer-fluent-bit')).encoded;
    // The templates, installed as the operator guide says: same env file.
    const envFile = envFileFor('install', { ES_USER: SECURED_USER, ES_PASSWORD: SECURED_PASSWORD });
    const install = spawnSync('sh', ['-c', 'set -a; . "$1"; set +a; exec sh "$2"', 'sh', envFile, join(REPO_ROOT, 'elasticsearch', 'install.sh')], {
      env: { PATH: process.env.PATH }, encoding: 'utf8',
    });
    if (install.status !== 0) throw new Error(`install.sh: ${install.stderr}`);
  }, 300_000);

  afterAll(async () => {
    if (report.length) console.log(`Fluent Bit → secured Elasticsearch ${ES_VERSION}:\n  ${report.join('\n  ')}`);
    await node?.stop();
    if (dir) await removeDir(dir);
  });

  const KINDS = {
    'user and password': () => ({ ES_USER: SECURED_USER, ES_PASSWORD: SECURED_PASSWORD }),
    'API key': () => ({ ES_API_KEY: apiKey }),
  };

  // An Elastic Cloud ID is "name:" and base64 of "<region>$<es id>[:port]$<kibana id>";
  // Fluent Bit connects to "<es id>.<region>:port", here 127.0.0.1 and the
  // node's port, with TLS on and no ES_HOST or ES_PORT.
  it('delivers every sample shape with an Elastic Cloud ID and an API key, TLS verified', async () => {
    const cloudId = `sysdig-test:${Buffer.from(`0.0.1$127:${node.port}$kibana`).toString('base64')}`;
    const envFile = writeEnvFile(join(dir, 'cloud.env'), {
      ES_HOST: '', ES_PORT: '', ES_CLOUD_ID: cloudId, ES_TLS: 'on', ES_TLS_VERIFY: 'on', ES_TLS_CA_FILE: node.pki.caFile, ES_API_KEY: apiKey,
    });
    const rig = await startRig(envFile);
    try {
      const shapes = freshShapes();
      expect((await rig.send(batchOf(shapes))).status).toBe(200);
      await waitStored(rig, shapes);
      const indexed = await checkStored(shapes, rig.index);
      report.push(`Cloud ID + API key: sent ${shapes.length}, indexed ${indexed}`);
      expect(indexed).toBe(shapes.length);
    } finally {
      await rig.cleanup();
    }
  }, 240_000);

  for (const [layoutName, layout] of Object.entries(LAYOUTS)) {
    for (const [kind, auth] of Object.entries(KINDS)) {
      it(`delivers every sample shape with ${kind}, TLS verified (${layoutName})`, async () => {
        const rig = await startRig(envFileFor(kind.replaceAll(' ', '-'), auth()), layout);
        try {
          const shapes = freshShapes();
          expect((await rig.send(batchOf(shapes))).status).toBe(200);
          await waitStored(rig, shapes);
          const indexed = await checkStored(shapes, rig.index);
          report.push(`${kind} (${layoutName}): sent ${shapes.length}, indexed ${indexed}`);
          expect(indexed).toBe(shapes.length);
          expect(rig.pipeline.log).not.toMatch(/HTTP status=40[13]/);
        } finally {
          await rig.cleanup();
        }
      }, 240_000);
    }
  }

  const WRONG = {
    'a wrong password': () => [{ ES_USER: SECURED_USER, ES_PASSWORD: `${SECURED_PASSWORD}-old` }, KINDS['user and password']()],
    'an invalidated API key': async () => {
      const old = await node.createApiKey('sysdig-normalizer-old');
      const del = await node.request('DELETE', '/_security/api_key', { ids: [old.id] });
      expect(del.status).toBe(200);
      return [{ ES_API_KEY: old.encoded }, KINDS['API key']()];
    },
    'a CA that did not sign the node certificate': () => [
      { ES_USER: SECURED_USER, ES_PASSWORD: SECURED_PASSWORD, ES_TLS_CA_FILE: node.pki.otherCaFile },
      KINDS['user and password'](),
    ],
  };

  for (const [what, make] of Object.entries(WRONG)) {
    it(`with ${what}: keeps the events, logs why, and delivers them once fixed and restarted`, async () => {
      const [wrong, right] = await make();
      const envFile = envFileFor('wrong', wrong);
      const rig = await startRig(envFile);
      try {
        const shapes = freshShapes();
        expect((await rig.send(batchOf(shapes))).status).toBe(200);
        await rig.waitForRetries({ outputs: ['es'] });
        const logged = rig.pipeline.log;
        expect((await stored(shapes, rig.index)).length).toBe(0);
        // The operator fixes the env file and restarts Fluent Bit.
        await rig.pipeline.stop('SIGTERM');
        rig.extraEnv = { ...sourceEnvFile(envFileFor('fixed', right)), ES_INDEX: rig.index };
        await rig.startPipeline();
        await waitStored(rig, shapes);
        const indexed = await checkStored(shapes, rig.index);
        const reason = (logged.match(/HTTP status=\d+[^\n]*\n[^\n]*|\[error\][^\n]*(?:tls|TLS|certificate|handshake)[^\n]*/) ?? ['(no line)'])[0];
        report.push(`${what}: sent ${shapes.length}, indexed 0 while wrong, ${indexed} after the fix and a restart; log: ${reason.slice(0, 200)}`);
        expect(indexed).toBe(shapes.length);
        if (what.includes('CA')) expect(logged).toMatch(/certificate verify failed|tls.*(?:error|fail)/i);
        else expect(logged).toMatch(/HTTP status=401/);
      } finally {
        await rig.cleanup();
      }
    }, 300_000);
  }
});
