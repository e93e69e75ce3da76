// The Kubernetes bases (fluent-bit/Kustomization, vector/Kustomization,
// and their optional components) rendered with Kustomize, every object decoded strictly with
// Kubernetes' own API types (host-test/k8s/, built with Go into the test
// cache), and the rendered objects checked against the repository: the
// ConfigMaps carry the repository's files byte for byte, every reference
// between objects resolves, and the pod is locked down. Running what the base
// renders is host-test/e2e/kubernetes.e2e.test.mjs.
//
// Without kubectl (or kustomize) or without go, the tests report themselves
// skipped with the reason.

import { describe, it, beforeAll, afterAll, expect } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

import { makeTempDir, removeDir } from '../e2e/harness.mjs';
import {
  REPO_ROOT,
  buildChecker,
  checkerApiVersion,
  containerEnv,
  decode,
  find,
  findGo,
  findKustomize,
  keysOf,
  kustomizeVersion,
  mountPod,
  render,
  stageBase,
  stageOverlay,
} from '../k8s/render.mjs';
import { BASES, EXAMPLE_SECRET_ENV } from '../k8s/bases.mjs';
import { sidekickHeaders } from '../k8s/falcosidekick.mjs';
import { CHARTS, buildHelm, chartDir, findHelm, helmTemplate } from '../k8s/helm.mjs';

const kustomize = findKustomize();
const go = findGo();
const skipReason = !kustomize
  ? 'SKIPPED: neither kubectl nor kustomize on PATH; the Kubernetes bases were NOT rendered or checked'
  : !go
    ? 'SKIPPED: no go on PATH to build the strict decoder (host-test/k8s); the Kubernetes bases were NOT checked'
    : null;
if (skipReason) console.warn(`\n${'!'.repeat(78)}\n${skipReason}\n${'!'.repeat(78)}\n`);

/** Parses an env file the way the generator reads it: NAME=value lines. */
const envFile = (text) =>
  Object.fromEntries(
    text
      .split('\n')
      .filter((line) => /^[A-Za-z_][A-Za-z0-9_]*=/.test(line))
      .map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]),
  );

// Each base's rendered objects and its container, for the Helm values'
// tests to compare with.
const BASE_OBJECTS = {};
const BASE_POD = {};

const matches = (selector, labels) => Object.entries(selector).every(([k, v]) => labels?.[k] === v);

for (const [shipper, base] of Object.entries(BASES)) {
  describe.skipIf(skipReason)(`Kubernetes base ${shipper}/ rendered and decoded strictly`, () => {
    let checker;
    let dir;
    let baseDir;
    let objects;
    let decoded;

    beforeAll(() => {
      checker = buildChecker(go);
      dir = makeTempDir(`sysdig-k8s-${shipper}-`);
      baseDir = stageBase(shipper, dir, EXAMPLE_SECRET_ENV);
      const overlay = stageOverlay(baseDir, base.components);
      decoded = decode(checker, render(kustomize, overlay));
      objects = decoded.results.map((r) => r.object);
      BASE_OBJECTS[shipper] = objects;
      BASE_POD[shipper] = find(objects, 'StatefulSet', base.workload).spec.template.spec.containers.find((c) => c.name === base.container);
      console.log(
        `${shipper}: ${kustomizeVersion()}; strict decode with k8s.io/api ${checkerApiVersion()}\n` +
          decoded.results
            .map((r) => `  ${r.ok ? 'ok  ' : 'FAIL'} ${r.apiVersion} ${r.kind} ${r.name}${r.error ? `: ${r.error}` : ''}`)
            .join('\n'),
      );
    }, 600000);

    afterAll(async () => {
      if (dir) await removeDir(dir);
    });

    it('every rendered object decodes strictly with the Kubernetes API types', () => {
      expect(decoded.results.filter((r) => !r.ok)).toEqual([]);
      expect(decoded.status).toBe(0);
      const kinds = decoded.results.map((r) => `${r.apiVersion} ${r.kind} ${r.name.replace(/-[a-z0-9]{10}$/, '-<hash>')}`);
      expect(kinds.sort()).toEqual([...base.objects].sort());
    });

    it('the strict decoder fails a misspelled field and a misplaced one (the check can fail)', () => {
      const text = render(kustomize, baseDir);
      const misspelled = decode(checker, text.replace('readinessProbe:', 'readinesProbe:'));
      expect(misspelled.status).toBe(1);
      expect(misspelled.results.find((r) => !r.ok).error).toMatch(/unknown field "spec\.template\.spec\.containers\[0\]\.readinesProbe"/);
      // replicas belongs to the StatefulSet's spec, not the pod's.
      const misplaced = decode(checker, text.replace(/^( {6})automountServiceAccountToken: false$/m, '$1replicas: 2\n$&'));
      expect(misplaced.status).toBe(1);
      expect(misplaced.results.find((r) => !r.ok).error).toMatch(/unknown field "spec\.template\.spec\.replicas"/);
    });

    it('renders nothing without the secret env file (it is never committed)', () => {
      const bare = makeTempDir(`sysdig-k8s-${shipper}-nosecret-`);
      try {
        const staged = stageBase(shipper, bare, '');
        execFileSync('rm', [join(staged, 'kubernetes', 'secret.env')]);
        expect(() => render(kustomize, staged)).toThrow(/secret\.env/);
      } finally {
        execFileSync('rm', ['-rf', bare]);
      }
      const ignored = execFileSync('git', ['check-ignore', `${shipper}/kubernetes/secret.env`], { cwd: REPO_ROOT, encoding: 'utf8' });
      expect(ignored.trim()).toBe(`${shipper}/kubernetes/secret.env`);
    });

    it("the ConfigMaps carry the repository's files byte for byte, each under 1 MiB", () => {
      for (const [name, files] of Object.entries(base.configFiles)) {
        const configMap = objects.find((o) => o.kind === 'ConfigMap' && o.metadata.name.startsWith(`${name}-`));
        expect(configMap, name).toBeDefined();
        const keys = keysOf(configMap);
        // Kustomize takes no globs: a file added to the repository must be
        // named in the generator (fluent-bit/Kustomization, vector/Kustomization).
        const missing = Object.entries(files).filter(([key]) => !keys.has(key)).map(([, path]) => path);
        expect(missing, `not in the ${name} generator of ${shipper}/Kustomization`).toEqual([]);
        expect([...keys.keys()].sort()).toEqual(Object.keys(files).sort());
        for (const [key, path] of Object.entries(files)) {
          expect(keys.get(key).equals(readFileSync(join(REPO_ROOT, path))), `${name} ${key} = ${path}`).toBe(true);
        }
        expect(JSON.stringify(configMap).length).toBeLessThan(1 << 20);
      }
      if (base.settings) {
        const settings = objects.find((o) => o.kind === 'ConfigMap' && o.metadata.name.startsWith(`${base.settings.name}-`));
        expect(settings.data).toEqual(envFile(readFileSync(join(REPO_ROOT, base.settings.file), 'utf8')));
      }
    });

    it('every reference between the objects resolves', () => {
      const workload = find(objects, 'StatefulSet', base.workload);
      const pod = workload.spec.template;
      expect(matches(workload.spec.selector.matchLabels, pod.metadata.labels)).toBe(true);
      const service = find(objects, 'Service', workload.spec.serviceName);
      expect(service).toBeDefined();
      expect(matches(service.spec.selector, pod.metadata.labels)).toBe(true);
      const container = pod.spec.containers.find((c) => c.name === base.container);
      const portNames = container.ports.map((p) => p.name);
      for (const port of service.spec.ports) expect(portNames).toContain(port.targetPort);
      for (const probe of [container.readinessProbe, container.livenessProbe]) {
        expect(portNames).toContain(probe.httpGet.port);
      }
      const pdb = find(objects, 'PodDisruptionBudget', base.workload);
      expect(matches(pdb.spec.selector.matchLabels, pod.metadata.labels)).toBe(true);
      const ingress = objects.find((o) => o.kind === 'Ingress');
      const backend = ingress.spec.rules[0].http.paths[0].backend.service;
      expect(backend.name).toBe(service.metadata.name);
      expect(service.spec.ports.map((p) => p.name)).toContain(backend.port.name);
      expect(ingress.spec.tls[0].hosts).toEqual([ingress.spec.rules[0].host]);
      const hpa = objects.find((o) => o.kind === 'HorizontalPodAutoscaler');
      expect(hpa.spec.scaleTargetRef).toEqual({ apiVersion: 'apps/v1', kind: 'StatefulSet', name: base.workload });
      // Every volume, claim, ConfigMap and Secret the pod uses is rendered:
      // mountPod and containerEnv throw on a name the base does not have.
      const root = join(dir, 'pod');
      mkdirSync(root);
      mountPod(objects, workload, base.container, root);
      const env = containerEnv(objects, container);
      for (const [name, wanted] of Object.entries(EXAMPLE_SECRET_ENV_VALUES)) expect(env[name], name).toBe(wanted);
    });

    it('the buffer is on a claim per replica and the module and pipeline paths are in the mounts', () => {
      const workload = find(objects, 'StatefulSet', base.workload);
      const container = workload.spec.template.spec.containers.find((c) => c.name === base.container);
      const env = containerEnv(objects, container);
      const mountOf = (path) => container.volumeMounts.find((m) => path === m.mountPath || path.startsWith(`${m.mountPath}/`));
      const bufferMount = mountOf(env[base.bufferVariable]);
      expect(bufferMount, `${base.bufferVariable}=${env[base.bufferVariable]} is on a mount`).toBeDefined();
      expect(workload.spec.volumeClaimTemplates.map((t) => t.metadata.name)).toContain(bufferMount.name);
      expect(workload.spec.template.spec.volumes.map((v) => v.name)).not.toContain(bufferMount.name);
      for (const path of base.mountedPaths(container, env)) expect(mountOf(path), path).toBeDefined();
      expect(workload.spec.replicas).toBeGreaterThan(1);
    });

    it('the pod runs locked down, with requests and limits', () => {
      const workload = find(objects, 'StatefulSet', base.workload);
      const spec = workload.spec.template.spec;
      expect(spec.securityContext).toMatchObject({ runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } });
      expect(spec.securityContext.runAsUser).toBeGreaterThan(0);
      expect(spec.automountServiceAccountToken).toBe(false);
      for (const container of spec.containers) {
        expect(container.securityContext).toEqual({
          allowPrivilegeEscalation: false,
          readOnlyRootFilesystem: true,
          privileged: false,
          capabilities: { drop: ['ALL'] },
        });
        expect(Object.keys(container.resources.requests).sort()).toEqual(['cpu', 'memory']);
        expect(container.resources.limits.memory).toBeDefined();
        expect(container.image).toBe(base.image);
      }
    });
  });
}

const EXAMPLE_SECRET_ENV_VALUES = Object.fromEntries(
  EXAMPLE_SECRET_ENV.split('\n')
    .filter((l) => l.includes('='))
    .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
);

// --- The values for the official Helm charts ------------------------------------

const helmSkip =
  skipReason ??
  (Object.keys(CHARTS).every((name) => !chartDir(name))
    ? `SKIPPED: none of ${Object.values(CHARTS).map((c) => c.variable).join(', ')} names a chart folder ` +
      '(the official charts are on GitHub, not in a registry); the Helm values were NOT rendered'
    : !findHelm() && !go
      ? 'SKIPPED: no helm (HELM_BIN or PATH) and no go to build it; the Helm values were NOT rendered'
      : null);
if (helmSkip && !skipReason) console.warn(`\n${'!'.repeat(78)}\n${helmSkip}\n${'!'.repeat(78)}\n`);

/** Runs a staged objects.sh (kubectl create --dry-run=client) and returns its YAML. */
function objectsSh(stagedBase) {
  return execFileSync('sh', [join(stagedBase, 'kubernetes', 'helm', 'objects.sh')], { encoding: 'utf8', maxBuffer: 64 << 20 });
}

describe.skipIf(helmSkip)('Helm values rendered by the official charts and decoded strictly', () => {
  let helm;
  let checker;
  let dir;
  const rendered = {};

  beforeAll(() => {
    checker = buildChecker(go);
    helm = findHelm() ?? buildHelm(go);
    console.log(`helm: ${execFileSync(helm, ['version', '--short'], { encoding: 'utf8' }).trim()} at ${helm}`);
    dir = makeTempDir('sysdig-k8s-helm-');
  }, 1800000);

  afterAll(async () => {
    if (dir) await removeDir(dir);
  });

  /** objects.sh and the chart with the values, decoded; logs per object. */
  const renderChart = (ctx, shipper, chart, valuesFile, release) => {
    const chartPath = chartDir(chart);
    if (!chartPath) ctx.skip(`SKIPPED: ${CHARTS[chart].variable} does not name a chart folder (${CHARTS[chart].repository}); the ${chart} chart was NOT rendered`);
    const staged = stageBase(shipper, join(dir, `${chart}-${release}`), EXAMPLE_SECRET_ENV);
    const own = shipper && chart !== 'falco' ? decode(checker, objectsSh(staged)) : { status: 0, results: [] };
    const text = helmTemplate(helm, { release, chart: chartPath, namespace: 'sysdig-normalizer', values: [join(staged, valuesFile)] });
    const charted = decode(checker, text);
    const results = [...own.results, ...charted.results];
    console.log(
      `${chart} chart (${chartPath}) with ${shipper}/${valuesFile}; strict decode with k8s.io/api ${checkerApiVersion()}\n` +
        results.map((r) => `  ${r.ok ? 'ok  ' : 'FAIL'} ${r.apiVersion} ${r.kind} ${r.name}${r.error ? `: ${r.error}` : ''}`).join('\n'),
    );
    expect(results.filter((r) => !r.ok)).toEqual([]);
    return { staged, objects: results.map((r) => r.object) };
  };

  it('fluent/fluent-bit with fluent-bit-values.yaml: the same pipeline, module, settings and Secret as the base', (ctx) => {
    const { objects } = renderChart(ctx, 'fluent-bit', 'fluent-bit', 'kubernetes/helm/fluent-bit-values.yaml', 'sysdig-normalizer');
    rendered['fluent-bit'] = objects;
    const workload = find(objects, 'Deployment', 'sysdig-normalizer-fluent-bit');
    expect(workload.spec.replicas).toBe(1);
    expect(workload.spec.strategy.type).toBe('Recreate');
    const root = join(dir, 'fluent-bit-pod');
    mkdirSync(root);
    const container = mountPod(objects, workload, 'fluent-bit', root);
    expect(container.image).toBe(BASES['fluent-bit'].image);
    const env = containerEnv(objects, container);
    const configFile = container.args[container.args.indexOf('-c') + 1];
    expect(readFileSync(join(root, configFile)).equals(readFileSync(join(REPO_ROOT, 'fluent-bit/sysdig-to-elasticsearch-and-splunk.yaml')))).toBe(true);
    expect(readFileSync(join(root, env.SYSDIG_NORMALIZER_MODULE)).equals(readFileSync(join(REPO_ROOT, 'build/sysdig_normalizer.wasm')))).toBe(true);
    for (const [name, wanted] of Object.entries(EXAMPLE_SECRET_ENV_VALUES)) expect(env[name], name).toBe(wanted);
    const claim = container.volumeMounts.find((m) => env.PIPELINE_STORAGE_PATH.startsWith(`${m.mountPath}/`));
    const volume = workload.spec.template.spec.volumes.find((v) => v.name === claim.name);
    expect(find(objects, 'PersistentVolumeClaim', volume.persistentVolumeClaim.claimName)).toBeDefined();
    const service = find(objects, 'Service', 'sysdig-normalizer-fluent-bit');
    expect(service.spec.ports.find((p) => p.name === 'webhook')).toMatchObject({ port: 8088, targetPort: 'webhook' });
    expect(matches(service.spec.selector, workload.spec.template.metadata.labels)).toBe(true);
    const portNames = container.ports.map((p) => p.name);
    for (const probe of [container.readinessProbe, container.livenessProbe]) expect(portNames).toContain(probe.httpGet.port);
    // The same command line, probes and lock-down as the base's pod.
    const basePod = BASE_POD['fluent-bit'];
    expect(container.args.slice(2)).toEqual(basePod.args.slice(2));
    expect(container.readinessProbe.httpGet.path).toBe(basePod.readinessProbe.httpGet.path);
    expect(container.livenessProbe.httpGet.path).toBe(basePod.livenessProbe.httpGet.path);
    expect(container.securityContext).toEqual(basePod.securityContext);
    expect(container.resources).toEqual(basePod.resources);
  });

  it('vector/vector (Aggregator) with vector-values.yaml: a claim per replica, the same vector.yaml, program and Secret', (ctx) => {
    const { objects } = renderChart(ctx, 'vector', 'vector', 'kubernetes/helm/vector-values.yaml', 'sysdig-normalizer-vector');
    const workload = find(objects, 'StatefulSet', 'sysdig-normalizer-vector');
    expect(workload.spec.replicas).toBe(2);
    expect(workload.spec.volumeClaimTemplates.map((t) => t.metadata.name)).toEqual(['data']);
    const root = join(dir, 'vector-pod');
    mkdirSync(root);
    const container = mountPod(objects, workload, 'vector', root);
    expect(container.image).toBe(BASES.vector.image);
    const env = containerEnv(objects, container);
    for (const config of container.args.filter((_, i) => container.args[i - 1] === '--config')) {
      const repoFile = config.endsWith('vector.yaml') ? 'vector/vector.yaml' : 'vector/kubernetes/api.yaml';
      expect(readFileSync(join(root, config)).equals(readFileSync(join(REPO_ROOT, repoFile))), config).toBe(true);
    }
    for (const file of Object.keys(BASES.vector.configFiles['sysdig-normalizer-vector-vrl'])) {
      expect(readFileSync(join(root, env.SYSDIG_NORMALIZER_VRL_DIR, file)).equals(readFileSync(join(REPO_ROOT, 'vector/vrl', file))), file).toBe(true);
    }
    const data = container.volumeMounts.find((m) => m.name === 'data');
    expect(data.mountPath).toBe(env.VECTOR_DATA_DIR);
    const service = find(objects, 'Service', 'sysdig-normalizer-vector');
    expect(service.spec.ports).toEqual([{ name: 'webhook', port: 8088, targetPort: 'webhook', protocol: 'TCP' }]);
    const basePod = BASE_POD.vector;
    expect(container.args).toEqual(basePod.args.map((a) => a.replace('/etc/sysdig-normalizer/config/', '/etc/vector/')));
    expect(container.securityContext).toEqual(basePod.securityContext);
    expect(find(objects, 'PodDisruptionBudget', 'sysdig-normalizer-vector').spec.maxUnavailable).toBe(1);
  });

  it("falcosecurity/falco with falco-values.yaml: Falcosidekick posts to the webhook Service with the token of the shipper's Secret", (ctx) => {
    const { objects } = renderChart(ctx, 'fluent-bit', 'falco', 'kubernetes/helm/falco-values.yaml', 'falco');
    const sidekick = objects.find((o) => o.kind === 'Deployment' && o.metadata.name.endsWith('falcosidekick'));
    expect(sidekick, 'a Falcosidekick Deployment').toBeDefined();
    const shipper = BASE_OBJECTS['fluent-bit'];
    const container = sidekick.spec.template.spec.containers[0];
    const env = containerEnv([...objects, ...shipper], container);
    const token = EXAMPLE_SECRET_ENV_VALUES.SYSDIG_WEBHOOK_TOKEN;
    expect(env.WEBHOOK_CUSTOMHEADERS).toBe(`Authorization:Splunk ${token}`);
    expect(sidekickHeaders(env.WEBHOOK_CUSTOMHEADERS)).toEqual({ Authorization: `Splunk ${token}` });
    const address = new URL(env.WEBHOOK_ADDRESS);
    const service = find(shipper, 'Service', address.hostname);
    expect(service, `${address.hostname} is the shipper's Service`).toBeDefined();
    expect(service.spec.ports.map((p) => p.port)).toContain(Number(address.port));
    expect(address.pathname).toBe('/services/collector/event');
  });
});
