// Runs what the Kubernetes manifests render, without a cluster. The Fluent
// Bit base (fluent-bit/Kustomization) and the fluent/fluent-bit chart with
// fluent-bit/kubernetes/helm/fluent-bit-values.yaml (and what objects.sh
// prints) are rendered and decoded strictly with the Kubernetes API types
// (host-test/k8s/); the rendered ConfigMaps are written out as the kubelet
// mounts them, the environment is built from the rendered ConfigMaps, Secret
// and container spec, and the real Fluent Bit is started with the
// container's command line. The only changes are the ones that stand for the
// pod itself (host-test/k8s/render.mjs, onThisMachine): mount paths under a
// temp root, the image's binary → the local one, and the pod's network
// namespace on loopback (0.0.0.0 → 127.0.0.1, container ports → free ports).
// Every change is printed. The same for the Vector base with the real Vector,
// and for Falcosidekick as falco-values.yaml sets it up (the header and URL
// of the rendered Deployment, Falcosidekick's real payloads).
//
// The secret.env the bases are rendered with is what a user writes from
// kubernetes/secret.env.example, pointed at the suite's receivers, plus
// shorter retry intervals, set the way a user sets any variable of
// .env.example.
//
// Skipped, with the reason, without fluent-bit (or vector), kubectl/kustomize
// or go; the chart cases without the chart folders (host-test/k8s/helm.mjs).

import { describe, it, beforeAll, afterAll, expect } from 'vitest';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { join } from 'node:path';

import { SAMPLE_SHAPES } from '../test/samples.mjs';
import { loadFilter, parseExact } from '../host.mjs';
import { splitRecords } from '../split.mjs';
import { sidekickHeaders } from '../k8s/falcosidekick.mjs';
import { CHARTS, chartDir, findHelm, helmTemplate } from '../k8s/helm.mjs';
import {
  FaultProxy,
  FluentBitProcess,
  findFluentBit,
  findVector,
  fluentBitVersion,
  freePort,
  makeTempDir,
  removeDir,
  sleep,
  waitFor,
} from './harness.mjs';
import { BulkReceiver, HecReceiver, NUDGE_ID_PREFIX } from './vector-receivers.mjs';
import { comparableEnvelopes, millisecondTime } from '../vector/parity.mjs';
import {
  ES_INDEX,
  HEC_TOKEN,
  Rig,
  WEBHOOK_PATH,
  checkEsDocument,
  checkHecEnvelope,
  esKeyOf,
  hecKeyOf,
  loadShape,
  post,
  tally,
  uniqueCopy,
} from './rig.mjs';
import {
  buildChecker,
  containerEnv,
  decode,
  find,
  findGo,
  findKustomize,
  mountPod,
  onThisMachine,
  render,
  stageBase,
} from '../k8s/render.mjs';
import { BASES } from '../k8s/bases.mjs';

const fluentBit = findFluentBit();
const kustomize = findKustomize();
const go = findGo();
const skipReason = !fluentBit
  ? 'SKIPPED: no fluent-bit binary (FLUENT_BIT_BIN or PATH); the Kubernetes base was NOT run'
  : !kustomize
    ? 'SKIPPED: neither kubectl nor kustomize on PATH; the Kubernetes base was NOT rendered or run'
    : !go
      ? 'SKIPPED: no go on PATH to build the strict decoder (host-test/k8s); the Kubernetes base was NOT run'
      : null;
if (skipReason) console.warn(`\n${'!'.repeat(78)}\n${skipReason}\n${'!'.repeat(78)}\n`);
else console.log(`kubernetes e2e: ${fluentBitVersion(fluentBit)} at ${fluentBit}`);

const base = BASES['fluent-bit'];
const shapes = SAMPLE_SHAPES.map((name) => loadShape(name));
const batchOf = (list) => `[${list.map((s) => s.text).join(',')}]`;

/** The secret.env a user writes from kubernetes/secret.env.example, pointed
 *  at the rig's receivers, with retries within seconds instead of a minute
 *  (any variable of .env.example may be set there). */
function testSecretEnv(rig) {
  return [
    `SYSDIG_WEBHOOK_TOKEN=${rig.webhookToken}`,
    'ES_HOST=127.0.0.1',
    `ES_PORT=${rig.ports.proxyEs}`,
    'ES_TLS=off',
    `ES_INDEX=${ES_INDEX}`,
    'SPLUNK_HEC_HOST=127.0.0.1',
    `SPLUNK_HEC_PORT=${rig.ports.proxyHec}`,
    'SPLUNK_HEC_TLS=off',
    `SPLUNK_HEC_TOKEN=${HEC_TOKEN}`,
    'PIPELINE_FLUSH_INTERVAL=0.5',
    'PIPELINE_RETRY_BASE_SECONDS=1',
    'PIPELINE_RETRY_CAP_SECONDS=2',
    'PIPELINE_GRACE_SECONDS=2',
    '',
  ].join('\n');
}

/** Decodes a rendered stream strictly; fails the test on any object that
 *  does not decode. Returns the typed objects. */
function decodeAll(yamlText) {
  const decoded = decode(buildChecker(go), yamlText);
  expect(decoded.results.filter((r) => !r.ok)).toEqual([]);
  return decoded.results.map((r) => r.object);
}

/** Where the pod comes from: the Kustomize base as `kubectl apply -k` takes it. */
const KUSTOMIZE_SOURCE = {
  name: 'the Kustomize base',
  monitoringPort: 'monitoring',
  pod(rig, stageDir) {
    const baseDir = stageBase('fluent-bit', stageDir, testSecretEnv(rig));
    const objects = decodeAll(render(kustomize, baseDir));
    return { objects, workload: find(objects, 'StatefulSet', base.workload), container: base.container };
  },
};

/**
 * A rig whose pipeline is the rendered pod: rendered once, at the first
 * start (the receivers' ports go into secret.env), laid out under the rig's
 * folder; every later start is the same pod again over the same claim.
 */
class RenderedPodRig extends Rig {
  constructor({ source, ...options }) {
    super(options);
    this.source = source;
  }

  async startPipeline() {
    if (!this.pod) this.pod = await this.renderPod();
    const pipeline = new FluentBitProcess({
      bin: this.pod.argv[0],
      args: this.pod.argv.slice(1),
      env: this.pod.env,
      logPath: join(this.dir, `pipeline-${this.pipelines.length}.log`),
      readyPorts: [this.ports.webhook, this.pod.monitoringPort],
    });
    this.pipelines.push(pipeline);
    this.pipeline = pipeline;
    await pipeline.start();
    return pipeline;
  }

  async renderPod() {
    const { objects, workload, container: name } = this.source.pod(this, join(this.dir, 'stage'));
    this.objects = objects;
    const root = join(this.dir, 'pod');
    mkdirSync(root, { recursive: true });
    const container = mountPod(objects, workload, name, root);
    const monitoringPort = await freePort();
    const local = onThisMachine({
      container,
      env: containerEnv(objects, container),
      root,
      binaries: { '/fluent-bit/bin/fluent-bit': this.fluentBit },
      ports: { webhook: this.ports.webhook, [this.source.monitoringPort]: monitoringPort },
    });
    console.log(`${this.source.name}, the pod on this machine:\n  ${local.rewrites.join('\n  ')}`);
    const probes = ['readinessProbe', 'livenessProbe'].map((probe) => ({ name: probe, path: container[probe].httpGet.path }));
    return { ...local, monitoringPort, probes };
  }

  /** GETs each probe's path on the monitoring port; returns name → status. */
  async probe() {
    const out = {};
    for (const { name, path } of this.pod.probes) {
      out[name] = await new Promise((resolve, reject) => {
        http
          .get({ host: '127.0.0.1', port: this.pod.monitoringPort, path, agent: false }, (res) => {
            res.resume();
            res.on('end', () => resolve(res.statusCode));
          })
          .on('error', reject);
      });
    }
    return out;
  }
}

/** Where the pod comes from: the fluent/fluent-bit chart rendered by Helm
 *  with fluent-bit-values.yaml, beside what objects.sh prints. */
const HELM_SOURCE = {
  name: 'the fluent/fluent-bit chart with fluent-bit-values.yaml',
  monitoringPort: 'http',
  skipReason: () =>
    !chartDir('fluent-bit')
      ? `SKIPPED: ${CHARTS['fluent-bit'].variable} does not name a chart folder (${CHARTS['fluent-bit'].repository}); the Helm values were NOT run`
      : !findHelm()
        ? 'SKIPPED: no helm (HELM_BIN, PATH, or the one kubernetes.test.mjs builds into the cache); the Helm values were NOT run'
        : null,
  pod(rig, stageDir) {
    const staged = stageBase('fluent-bit', stageDir, testSecretEnv(rig));
    const own = execFileSync('sh', [join(staged, 'kubernetes', 'helm', 'objects.sh')], { encoding: 'utf8', maxBuffer: 64 << 20 });
    const chart = helmTemplate(findHelm(), {
      release: 'sysdig-normalizer',
      chart: chartDir('fluent-bit'),
      namespace: 'sysdig-normalizer',
      values: [join(staged, 'kubernetes', 'helm', 'fluent-bit-values.yaml')],
    });
    const objects = [...decodeAll(own), ...decodeAll(chart)];
    return { objects, workload: find(objects, 'Deployment', base.workload), container: 'fluent-bit' };
  },
};

/** Falcosidekick's payloads (shared samples 07a and 08 line 19), with their
 *  expected outputs from the module as the host runs it. */
const filter = await loadFilter();
function shapeOf(name, text) {
  const opts = { tag: 'sysdig', sec: 1700000000, nsec: 0 };
  const ecs = parseExact(filter.call('sysdig_to_ecs', text, opts).output);
  const splunk = parseExact(filter.call('sysdig_to_splunk', text, opts).output);
  return { name, text, ecs, splunk, esKey: `${ecs.event.id}|${ecs.event.dataset}`, hecKey: `${splunk.fields.id}|${splunk.sourcetype}` };
}
const elasticLog = splitRecords(
  readFileSync(new URL('../golden-ndjson/falco-08-elastic-test-log/input.ndjson', import.meta.url), 'utf8'),
);
const sidekickPayloads = [loadShape('falco-07a-sidekick-uuid'), shapeOf('08 line 19', elasticLog[18])];

const counts = [];

// The strict decoder is built once, before any case's clock starts (a first
// build fetches its Go modules: a minute or more).
beforeAll(() => {
  if (!skipReason || !vectorSkip) buildChecker(go);
}, 900000);

for (const source of [KUSTOMIZE_SOURCE, HELM_SOURCE]) {
  const sourceSkip = skipReason ?? source.skipReason?.() ?? null;
  if (sourceSkip && !skipReason) console.warn(`\n${'!'.repeat(78)}\n${sourceSkip}\n${'!'.repeat(78)}\n`);

  describe.skipIf(sourceSkip)(`Fluent Bit runs what ${source.name} renders`, () => {
    const run = (title, body, timeout = 240000) =>
      it(title, async () => {
        const rig = new RenderedPodRig({ fluentBit, modulePath: null, label: 'k8s', source });
        let failed = true;
        try {
          await rig.start();
          const sent = await body(rig);
          // Any duplicate has every chance to arrive before counting.
          await sleep(2000);
          const es = tally(rig.esRecords(), esKeyOf, sent);
          const hec = tally(rig.hecRecords(), hecKeyOf, sent);
          counts.push({ case: `${source.name}: ${title}`, es, hec });
          expect(es).toMatchObject({ lost: 0, duplicated: 0, unexpected: [] });
          expect(hec).toMatchObject({ lost: 0, duplicated: 0, unexpected: [] });
          const byEs = new Map(sent.map((s) => [s.esKey, s]));
          const byHec = new Map(sent.map((s) => [s.hecKey, s]));
          for (const doc of rig.esRecords()) checkEsDocument(expect, doc, byEs.get(esKeyOf(doc)), 'index');
          for (const envelope of rig.hecRecords()) checkHecEnvelope(expect, envelope, byHec.get(hecKeyOf(envelope)));
          expect(rig.pipelines.flatMap((p) => p.errorLines()).filter((l) => !DESTINATION_DOWN.test(l))).toEqual([]);
          failed = false;
        } finally {
          await rig.cleanup({ keep: failed && Boolean(process.env.E2E_KEEP_TEMP) });
        }
      }, timeout);

    run('every sample shape posted to the webhook arrives equal to its golden output; the probes answer 200', async (rig) => {
      expect(await rig.probe()).toEqual({ readinessProbe: 200, livenessProbe: 200 });
      // A request without the token, or with another, is refused and stores nothing.
      expect((await post(rig.ports.webhook, WEBHOOK_PATH, shapes[0].text, {})).status).toBeGreaterThanOrEqual(400);
      expect((await post(rig.ports.webhook, WEBHOOK_PATH, shapes[0].text, { authorization: 'Splunk wrong' })).status).toBeGreaterThanOrEqual(400);
      for (const shape of shapes.slice(0, 4)) expect((await rig.send(shape.text)).status).toBe(200);
      expect((await rig.send(batchOf(shapes.slice(4)))).status).toBe(200);
      await rig.waitForDelivery(shapes);
      return shapes;
    });

    for (const signal of ['SIGTERM', 'SIGKILL']) {
      run(`a restart (${signal}) over the same claim while both destinations are down loses and duplicates nothing`, async (rig) => {
        const stream = Array.from({ length: 40 }, (_, i) => uniqueCopy(SAMPLE_SHAPES[i % 4], 0x6b00 + i));
        const sent = [...stream, ...shapes.slice(4)];
        await rig.esProxy.down();
        await rig.hecProxy.down();
        for (const event of stream.slice(0, 30)) expect((await rig.send(event.text)).status).toBe(200);
        await rig.waitForRetries();
        // A destination outage is retries, not errors: the pod stays ready
        // and keeps taking events into its buffer.
        expect(await rig.probe()).toEqual({ readinessProbe: 200, livenessProbe: 200 });
        await rig.pipeline.stop(signal);
        await rig.startPipeline();
        for (const event of stream.slice(30)) expect((await rig.send(event.text)).status).toBe(200);
        expect((await rig.send(batchOf(shapes.slice(4)))).status).toBe(200);
        await rig.esProxy.up();
        await rig.hecProxy.up();
        await rig.waitForDelivery(sent);
        return sent;
      });
    }

    if (source === KUSTOMIZE_SOURCE) {
      // falco-values.yaml rendered by the falcosecurity/falco chart: the
      // header and the URL its Falcosidekick would post with, resolved from
      // the rendered Deployment and the base's own Secret.
      const falcoSkip = !chartDir('falco')
        ? `SKIPPED: ${CHARTS.falco.variable} does not name a chart folder (${CHARTS.falco.repository}); the Falcosidekick values were NOT run`
        : !findHelm()
          ? 'SKIPPED: no helm; the Falcosidekick values were NOT run'
          : null;
      it.skipIf(falcoSkip)('Falcosidekick as falco-values.yaml sets it up: its payloads arrive, with the token from the Secret', async () => {
        const rig = new RenderedPodRig({ fluentBit, modulePath: null, label: 'k8s-falco', source });
        let failed = true;
        try {
          await rig.start();
          const staged = stageBase('fluent-bit', join(rig.dir, 'falco-stage'), '');
          const chart = helmTemplate(findHelm(), {
            release: 'falco',
            chart: chartDir('falco'),
            namespace: 'sysdig-normalizer',
            values: [join(staged, 'kubernetes', 'helm', 'falco-values.yaml')],
          });
          const objects = decodeAll(chart);
          const sidekick = objects.find((o) => o.kind === 'Deployment' && o.metadata.name.endsWith('falcosidekick'));
          const env = containerEnv([...objects, ...rig.objects], sidekick.spec.template.spec.containers[0]);
          const headers = { 'content-type': 'application/json', 'user-agent': 'Falcosidekick/2.31.1', ...lowerKeys(sidekickHeaders(env.WEBHOOK_CUSTOMHEADERS)) };
          const address = new URL(env.WEBHOOK_ADDRESS);
          expect(find(rig.objects, 'Service', address.hostname)).toBeDefined();
          for (const shape of sidekickPayloads) {
            expect((await post(rig.ports.webhook, address.pathname, shape.text, headers)).status).toBe(200);
          }
          await rig.waitForDelivery(sidekickPayloads);
          await sleep(2000);
          const es = tally(rig.esRecords(), esKeyOf, sidekickPayloads);
          const hec = tally(rig.hecRecords(), hecKeyOf, sidekickPayloads);
          counts.push({ case: 'falco-values.yaml: Falcosidekick payloads (07a, 08 line 19) to the Kustomize base', es, hec });
          expect(es).toMatchObject({ lost: 0, duplicated: 0, unexpected: [] });
          expect(hec).toMatchObject({ lost: 0, duplicated: 0, unexpected: [] });
          const byEs = new Map(sidekickPayloads.map((s) => [s.esKey, s]));
          const byHec = new Map(sidekickPayloads.map((s) => [s.hecKey, s]));
          for (const doc of rig.esRecords()) checkEsDocument(expect, doc, byEs.get(esKeyOf(doc)), 'index');
          for (const envelope of rig.hecRecords()) checkHecEnvelope(expect, envelope, byHec.get(hecKeyOf(envelope)));
          failed = false;
        } finally {
          await rig.cleanup({ keep: failed && Boolean(process.env.E2E_KEEP_TEMP) });
        }
      }, 240000);
    }
  });
}

// --- Vector ----------------------------------------------------------------------

const vector = findVector();
const vectorSkip = !vector
  ? 'SKIPPED: no vector binary (VECTOR_BIN or PATH); the Vector base was NOT run'
  : !kustomize
    ? 'SKIPPED: neither kubectl nor kustomize on PATH; the Vector base was NOT rendered or run'
    : !go
      ? 'SKIPPED: no go on PATH to build the strict decoder; the Vector base was NOT run'
      : null;
if (vectorSkip) console.warn(`\n${'!'.repeat(78)}\n${vectorSkip}\n${'!'.repeat(78)}\n`);

/**
 * The Vector base's pod on this machine, between the loopback receivers of
 * vector-receivers.mjs behind fault proxies. The local Vector is the
 * minimal test build, which parses the pod's api.yaml but has no API, so
 * the probes (GET /health) are not tried here; the webhook's port is what
 * tells the pod started.
 */
class VectorPod {
  /** source: { name, objects(secretEnv, stageDir) → { objects, workload } }. */
  constructor(source) {
    this.source = source;
  }

  async start() {
    this.dir = makeTempDir('sysdig-k8s-vector-');
    this.es = await new BulkReceiver().start();
    this.hec = await new HecReceiver(HEC_TOKEN).start();
    this.esProxy = new FaultProxy({ name: 'elasticsearch', port: await freePort(), upstreamPort: this.es.port });
    this.hecProxy = new FaultProxy({ name: 'splunk-hec', port: await freePort(), upstreamPort: this.hec.port });
    await this.esProxy.up();
    await this.hecProxy.up();
    this.webhookPort = await freePort();
    this.processes = [];
    this.nudged = 0;
    const secretEnv = [
      `SYSDIG_WEBHOOK_TOKEN=${VECTOR_TOKEN}`,
      `ES_ENDPOINT=http://127.0.0.1:${this.esProxy.port}`,
      `ES_INDEX=${ES_INDEX}`,
      `SPLUNK_HEC_ENDPOINT=http://127.0.0.1:${this.hecProxy.port}`,
      `SPLUNK_HEC_TOKEN=${HEC_TOKEN}`,
      // Retries within seconds, and a short shutdown (what is buffered stays on the claim).
      'ES_RETRY_MAX_BACKOFF_SECS=2',
      'SPLUNK_HEC_RETRY_MAX_BACKOFF_SECS=2',
      'VECTOR_GRACEFUL_SHUTDOWN_LIMIT_SECS=3',
      '',
    ].join('\n');
    const { objects, workload } = this.source.pod(secretEnv, join(this.dir, 'stage'));
    const root = join(this.dir, 'pod');
    mkdirSync(root, { recursive: true });
    const container = mountPod(objects, workload, BASES.vector.container, root);
    this.local = onThisMachine({
      container,
      env: containerEnv(objects, container),
      root,
      binaries: { '/usr/bin/vector': vector },
      ports: { webhook: this.webhookPort, api: await freePort() },
      // timberio/vector's ENTRYPOINT.
      entrypoint: ['/usr/bin/vector'],
    });
    if (!vectorHasApi()) {
      // The local test build of Vector has no API (its `api` section is an
      // unknown field there); the release image has it. The pod's second
      // config file (api.yaml: the API for the probes) is left out here.
      const at = this.local.argv.findIndex((a, i) => this.local.argv[i - 1] === '--config' && a.endsWith('/api.yaml'));
      if (at > 0) {
        this.local.rewrites.push(`args --config ${this.local.argv[at]}: left out (this Vector build has no API; the probes' /health is not tried)`);
        this.local.argv.splice(at - 1, 2);
      }
    }
    console.log(`${this.source.name}, the pod on this machine:\n  ${this.local.rewrites.join('\n  ')}`);
    await this.startVector();
    return this;
  }

  async startVector() {
    this.process = new FluentBitProcess({
      bin: this.local.argv[0],
      args: this.local.argv.slice(1),
      env: this.local.env,
      logPath: join(this.dir, `vector-${this.processes.length}.log`),
      readyPorts: [this.webhookPort],
      // The test build of Vector (dev profile) compiles the VRL program for
      // a minute or more on a loaded 2-core machine.
      readyLimitMs: 240000,
    });
    this.processes.push(this.process);
    await this.process.start();
  }

  send(body) {
    return post(this.webhookPort, WEBHOOK_PATH, body, { authorization: `Splunk ${VECTOR_TOKEN}` });
  }

  /** Waits for the counts; after 8 s with nothing new it sends a nudge event
   *  (its own id, not counted) to wake a disk buffer reader that missed a
   *  write (vectordotdev/vector#22946), as vector.e2e.test.mjs does. */
  async waitFor(esCount, hecCount) {
    let seen = -1;
    let quietSince = Date.now();
    await waitFor(async () => {
      if (this.es.items.length >= esCount && this.hec.events.length >= hecCount) return true;
      const now = this.es.items.length + this.hec.events.length;
      if (now !== seen) {
        seen = now;
        quietSince = Date.now();
      } else if (Date.now() - quietSince > 8000) {
        const nudge = { type: 'command', cmdline: 'true', comm: 'true', timestamp: 1605540695178065200, id: `${NUDGE_ID_PREFIX}${++this.nudged}` };
        await this.send(JSON.stringify(nudge));
        quietSince = Date.now();
      }
      return false;
    }, {
      limitMs: 180000,
      describe: () => `${this.es.items.length}/${esCount} bulk items, ${this.hec.events.length}/${hecCount} HEC events\n${this.process.log.slice(-3000)}`,
    });
  }

  async stop() {
    for (const p of this.processes ?? []) await p.stop('SIGTERM');
    await this.esProxy?.down();
    await this.hecProxy?.down();
    await this.es?.stop();
    await this.hec?.stop();
    if (this.dir) await removeDir(this.dir);
  }
}

const VECTOR_TOKEN = 'k8s-vector-webhook-0a1b2c3d4e5f6a7b';

/** Whether the local Vector was built with its API (the `api` feature):
 *  `vector validate` of a config with an api section. */
let vectorApi = null;
function vectorHasApi() {
  if (vectorApi === null) {
    const dir = makeTempDir('sysdig-k8s-vector-api-');
    try {
      const config = join(dir, 'api.yaml');
      writeFileSync(config, 'api:\n  enabled: false\nsources:\n  in: {type: stdin}\nsinks:\n  out: {type: blackhole, inputs: [in]}\n');
      const run = spawnSync(vector, ['validate', '--no-environment', config], { encoding: 'utf8' });
      vectorApi = run.status === 0;
      if (!vectorApi && !/unknown field `api`/.test(run.stdout + run.stderr)) {
        throw new Error(`vector validate failed for another reason:\n${run.stdout}${run.stderr}`);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
  return vectorApi;
}
// The Sysdig shapes with an id of their own: an event without one gets an
// id the VRL port computes its own way (vector/README.md).
const VECTOR_SHAPES = SAMPLE_SHAPES.filter((n) => !n.startsWith('falco-') && n !== 'monitor-alert-secure-policy').map((n) => loadShape(n));

const withoutReceiveClock = (doc) => {
  const copy = structuredClone(doc);
  delete copy.event.created;
  return copy;
};

const VECTOR_SOURCES = [
  {
    name: 'the Vector base',
    pod(secretEnv, stageDir) {
      const objects = decodeAll(render(kustomize, stageBase('vector', stageDir, secretEnv)));
      return { objects, workload: find(objects, 'StatefulSet', BASES.vector.workload) };
    },
  },
  {
    name: 'the vector chart with vector-values.yaml',
    skipReason: () =>
      !chartDir('vector')
        ? `SKIPPED: ${CHARTS.vector.variable} does not name a chart folder (${CHARTS.vector.repository}); the Vector chart values were NOT run`
        : !findHelm()
          ? 'SKIPPED: no helm; the Vector chart values were NOT run'
          : null,
    pod(secretEnv, stageDir) {
      const staged = stageBase('vector', stageDir, secretEnv);
      const own = execFileSync('sh', [join(staged, 'kubernetes', 'helm', 'objects.sh')], { encoding: 'utf8', maxBuffer: 64 << 20 });
      const chart = helmTemplate(findHelm(), {
        release: 'sysdig-normalizer-vector',
        chart: chartDir('vector'),
        namespace: 'sysdig-normalizer',
        values: [join(staged, 'kubernetes', 'helm', 'vector-values.yaml')],
      });
      const objects = [...decodeAll(own), ...decodeAll(chart)];
      return { objects, workload: find(objects, 'StatefulSet', BASES.vector.workload) };
    },
  },
];

for (const source of VECTOR_SOURCES) {
  const sourceSkip = vectorSkip ?? source.skipReason?.() ?? null;
  if (sourceSkip && !vectorSkip) console.warn(`\n${'!'.repeat(78)}\n${sourceSkip}\n${'!'.repeat(78)}\n`);
  describe.skipIf(sourceSkip)(`Vector runs what ${source.name} renders`, () => {
    it('the sample shapes arrive equal to golden; a SIGTERM restart over the same claim while both destinations are down loses and duplicates nothing', async () => {
      const pod = new VectorPod(source);
      try {
        await pod.start();
        for (const shape of VECTOR_SHAPES) expect((await pod.send(shape.text)).status).toBe(200);
        await pod.waitFor(VECTOR_SHAPES.length, VECTOR_SHAPES.length);
        for (const shape of VECTOR_SHAPES) {
          const item = pod.es.items.find((i) => i.id === shape.ecs.event.id && i.source.event.dataset === shape.ecs.event.dataset);
          expect(item, shape.name).toBeDefined();
          expect(withoutReceiveClock(item.source), shape.name).toEqual(withoutReceiveClock(shape.ecs));
          const envelope = pod.hec.events.find((e) => e.fields.id === shape.splunk.fields.id && e.sourcetype === shape.splunk.sourcetype);
          expect(envelope, shape.name).toBeDefined();
          const { wasm, vector: got } = comparableEnvelopes(shape.splunk, { ...envelope, time: millisecondTime(String(envelope.time)) });
          expect(got, shape.name).toEqual(wasm);
        }
        const es0 = pod.es.items.length;
        const hec0 = pod.hec.events.length;
        const copies = Array.from({ length: 12 }, (_, n) => uniqueCopy(VECTOR_SHAPES[n % VECTOR_SHAPES.length].name, 0x6c00 + n));
        await pod.esProxy.down();
        await pod.hecProxy.down();
        for (const copy of copies) expect((await pod.send(copy.text)).status).toBe(200);
        await pod.process.stop('SIGTERM');
        await pod.startVector();
        await pod.esProxy.up();
        await pod.hecProxy.up();
        await pod.waitFor(es0 + copies.length, hec0 + copies.length);
        await sleep(2000);
        const esKeys = pod.es.items.slice(es0).map((i) => `${i.id}|${i.source.event.dataset}`);
        const hecKeys = pod.hec.events.slice(hec0).map((e) => `${e.fields.id}|${e.sourcetype}`);
        const sent = [...VECTOR_SHAPES, ...copies];
        const all = {
          es: pod.es.items.map((i) => `${i.id}|${i.source.event.dataset}`),
          hec: pod.hec.events.map((e) => `${e.fields.id}|${e.sourcetype}`),
        };
        const count = (keys, wanted) => {
          const received = wanted.filter((k) => keys.includes(k)).length;
          return { sent: wanted.length, received, duplicated: keys.length - new Set(keys).size, lost: wanted.length - received };
        };
        const es = count(all.es, sent.map((s) => s.esKey));
        const hec = count(all.hec, sent.map((s) => s.hecKey));
        counts.push({ case: `${source.name}: the sample shapes, then a SIGTERM restart over the same claim while both destinations are down`, es: { ...es, replayed: 0 }, hec });
        expect(es).toMatchObject({ received: sent.length, duplicated: 0, lost: 0 });
        expect(hec).toMatchObject({ received: sent.length, duplicated: 0, lost: 0 });
        expect(new Set(esKeys).size).toBe(copies.length);
        expect(new Set(hecKeys).size).toBe(copies.length);
      } finally {
        await pod.stop();
      }
    }, 600000);
  });
}

const lowerKeys = (headers) => Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v]));

// With both destinations down the outputs log their failed connections.
const DESTINATION_DOWN = /connection refused|no upstream connections/i;

afterAll(() => {
  if (counts.length === 0) return;
  console.log(
    'Kubernetes, Fluent Bit running what was rendered; per destination: sent / received / duplicated / lost\n' +
      counts
        .map(({ case: c, es, hec }) => `  ${c}\n    Elasticsearch ${es.sent} / ${es.received} / ${es.duplicated} / ${es.lost} (replays stored once: ${es.replayed})\n    Splunk HEC    ${hec.sent} / ${hec.received} / ${hec.duplicated} / ${hec.lost}`)
        .join('\n'),
  );
});
