// Runs what the Kubernetes base renders, without a cluster: the base
// (fluent-bit/Kustomization) is rendered with Kustomize and decoded strictly
// with the Kubernetes API types (host-test/k8s/), the rendered ConfigMaps are
// written out as the kubelet mounts them, the environment is built from the
// rendered settings ConfigMap, Secret and container spec, and the real Fluent
// Bit is started with the container's command line. The only changes are the
// ones that stand for the pod itself (host-test/k8s/render.mjs,
// onThisMachine): mount paths under a temp root, the image's binary → the local
// fluent-bit, and the pod's network namespace on loopback (0.0.0.0 →
// 127.0.0.1, container ports → free ports). Every change is printed.
//
// The secret.env the base is rendered with is what a user writes from
// kubernetes/secret.env.example, pointed at the suite's receivers (Fluent
// Bit's own elasticsearch and splunk inputs behind the fault proxies of
// rig.mjs), plus shorter retry intervals, set the way a user sets any
// variable of .env.example.
//
// Skipped, with the reason, without fluent-bit, kubectl/kustomize or go.

import { describe, it, afterAll, expect } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import http from 'node:http';
import { join } from 'node:path';

import { SAMPLE_SHAPES } from '../test/samples.mjs';
import { loadFilter, parseExact } from '../host.mjs';
import { splitRecords } from '../split.mjs';
import { sidekickHeaders } from '../k8s/falcosidekick.mjs';
import { CHARTS, chartDir, findHelm, helmTemplate } from '../k8s/helm.mjs';
import { FluentBitProcess, findFluentBit, fluentBitVersion, freePort, sleep } from './harness.mjs';
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
