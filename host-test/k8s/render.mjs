// The Kubernetes bases as a cluster would take them, without a cluster:
// render a base with Kustomize, decode every object strictly with
// Kubernetes' own API types (the Go checker in this folder, built into the
// test cache), and lay a pod out on disk as the kubelet would (ConfigMap and
// Secret keys as files under their mount paths, a folder per claim, the
// container's environment from envFrom and env), so that the real shipper
// can be started with exactly the command, files and variables the pod gets.

import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { basename, dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

import { whichOnPath } from '../e2e/harness.mjs';

export const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));
const CHECKER_DIR = fileURLToPath(new URL('.', import.meta.url));
const CACHE_DIR = join(homedir(), '.cache', 'sysdig-normalizer', 'k8s-check');

/** How to run Kustomize here: `kubectl kustomize` or the `kustomize` CLI, or null. */
export function findKustomize() {
  const kubectl = whichOnPath('kubectl');
  if (kubectl) return { describe: 'kubectl kustomize', argv: (dir) => [kubectl, ['kustomize', dir]] };
  const kustomize = whichOnPath('kustomize');
  if (kustomize) return { describe: 'kustomize build', argv: (dir) => [kustomize, ['build', dir]] };
  return null;
}

export function kustomizeVersion() {
  const kubectl = whichOnPath('kubectl');
  if (kubectl) return execFileSync(kubectl, ['version', '--client'], { encoding: 'utf8' }).trim().replace(/\n/g, '; ');
  return execFileSync(whichOnPath('kustomize'), ['version'], { encoding: 'utf8' }).trim();
}

export const findGo = () => whichOnPath('go');

/** The k8s.io/api version the checker decodes with (from its go.mod). */
export function checkerApiVersion() {
  const mod = readFileSync(join(CHECKER_DIR, 'go.mod'), 'utf8');
  return mod.match(/^\s*k8s\.io\/api (v\S+)/m)[1];
}

/**
 * Builds the checker into the test cache (once per source: the folder name is
 * a hash of main.go, go.mod and go.sum) and returns its path. The modules come
 * from the Go module proxy, pinned by the committed go.sum.
 */
export function buildChecker(go = findGo()) {
  const hash = createHash('sha256');
  for (const file of ['main.go', 'go.mod', 'go.sum']) hash.update(readFileSync(join(CHECKER_DIR, file)));
  const out = join(CACHE_DIR, hash.digest('hex').slice(0, 16), 'k8s-check');
  if (existsSync(out)) return out;
  mkdirSync(dirname(out), { recursive: true });
  const partial = `${out}.partial-${process.pid}`;
  const built = spawnSync(go, ['build', '-mod=readonly', '-o', partial, '.'], {
    cwd: CHECKER_DIR,
    encoding: 'utf8',
    env: { ...process.env, GOFLAGS: '-buildvcs=false', GOTOOLCHAIN: process.env.GOTOOLCHAIN ?? 'local' },
  });
  if (built.status !== 0) throw new Error(`go build of the k8s checker failed:\n${built.stderr}`);
  renameSync(partial, out);
  return out;
}

/**
 * Copies what a base reads into `dir`, in the repository's layout: the
 * shipper's folder (without the .env and secret.env files a developer may
 * have) and, for Fluent Bit, the built module with its kustomization; then
 * writes `secretEnv` as the base's kubernetes/secret.env. Returns the staged
 * base root to render.
 */
export function stageBase(shipper, dir, secretEnv) {
  const repo = join(dir, 'repo');
  const keep = (path) => !['.env', 'secret.env'].includes(basename(path));
  cpSync(join(REPO_ROOT, shipper), join(repo, shipper), { recursive: true, filter: keep });
  if (shipper === 'fluent-bit') {
    for (const file of ['sysdig_normalizer.wasm', 'kustomization.yaml']) {
      const from = join(REPO_ROOT, 'build', file);
      if (!existsSync(from)) throw new Error(`${from} is missing; run npm run build`);
      cpSync(from, join(repo, 'build', file));
    }
  }
  writeFileSync(join(repo, shipper, 'kubernetes', 'secret.env'), secretEnv);
  return join(repo, shipper);
}

/** An overlay beside the staged repository that enables `components` (paths
 *  relative to the staged base) on top of the base; returns its folder. */
export function stageOverlay(baseDir, components) {
  const overlay = join(dirname(dirname(baseDir)), 'overlay');
  mkdirSync(overlay, { recursive: true });
  const rel = (path) => relative(overlay, join(baseDir, path));
  writeFileSync(
    join(overlay, 'kustomization.yaml'),
    `resources:\n  - ${rel('.')}\ncomponents:\n${components.map((c) => `  - ${rel(c)}\n`).join('')}`,
  );
  return overlay;
}

/** Renders a kustomization folder; returns the YAML stream. */
export function render(kustomize, dir) {
  const [cmd, args] = kustomize.argv(dir);
  const result = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 64 << 20 });
  if (result.status !== 0) throw new Error(`${kustomize.describe} ${dir} failed:\n${result.stderr}`);
  return result.stdout;
}

/**
 * Decodes a rendered stream with the checker. Returns { status, results }:
 * one { index, apiVersion, kind, name, ok, error, object } per object.
 */
export function decode(checker, yamlText) {
  const run = spawnSync(checker, [], { input: yamlText, encoding: 'utf8', maxBuffer: 64 << 20 });
  if (run.status !== 0 && run.status !== 1) throw new Error(`k8s checker failed (${run.status}):\n${run.stderr}`);
  const results = run.stdout.split('\n').filter((l) => l.trim() !== '').map((l) => JSON.parse(l));
  return { status: run.status, results };
}

export const find = (objects, kind, name) => objects.find((o) => o.kind === kind && o.metadata.name === name);

/** A ConfigMap's or Secret's keys as Buffers (Secret data and binaryData are base64 in the JSON). */
export function keysOf(object) {
  const out = new Map();
  if (object.kind === 'Secret') {
    for (const [k, v] of Object.entries(object.data ?? {})) out.set(k, Buffer.from(v, 'base64'));
    for (const [k, v] of Object.entries(object.stringData ?? {})) out.set(k, Buffer.from(v, 'utf8'));
  } else {
    for (const [k, v] of Object.entries(object.data ?? {})) out.set(k, Buffer.from(v, 'utf8'));
    for (const [k, v] of Object.entries(object.binaryData ?? {})) out.set(k, Buffer.from(v, 'base64'));
  }
  return out;
}

function projectInto(dir, source, items) {
  mkdirSync(dir, { recursive: true });
  const keys = keysOf(source);
  const wanted = items ?? [...keys.keys()].map((key) => ({ key, path: key }));
  for (const { key, path } of wanted) {
    if (!keys.has(key)) throw new Error(`${source.kind} ${source.metadata.name} has no key ${key}`);
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), keys.get(key));
  }
}

/**
 * Lays out a workload's pod under `root` as the kubelet mounts it: every
 * volumeMount of `containerName` becomes root + mountPath, holding the keys
 * of its ConfigMap/Secret (or projected sources) as files; a claim from
 * volumeClaimTemplates is the folder claims/<name> under `root` too, kept
 * across calls (the same claim for a restarted pod). Returns the container.
 */
export function mountPod(objects, workload, containerName, root) {
  const spec = workload.spec.template.spec;
  const container = spec.containers.find((c) => c.name === containerName);
  if (!container) throw new Error(`no container ${containerName} in ${workload.kind} ${workload.metadata.name}`);
  const claims = new Set((workload.spec.volumeClaimTemplates ?? []).map((t) => t.metadata.name));
  const lookup = (kind, name) => {
    const object = find(objects, kind, name);
    if (!object) throw new Error(`${workload.metadata.name} mounts ${kind} ${name}, which the base does not render`);
    return object;
  };
  for (const mount of container.volumeMounts ?? []) {
    const target = join(root, mount.mountPath);
    const volume = (spec.volumes ?? []).find((v) => v.name === mount.name);
    if (!volume && claims.has(mount.name)) {
      mkdirSync(target, { recursive: true });
      continue;
    }
    if (!volume) throw new Error(`volumeMount ${mount.name} has no volume`);
    if (volume.configMap) projectInto(target, lookup('ConfigMap', volume.configMap.name), volume.configMap.items);
    else if (volume.secret) projectInto(target, lookup('Secret', volume.secret.secretName), volume.secret.items);
    else if (volume.projected) {
      for (const source of volume.projected.sources) {
        if (source.configMap) projectInto(target, lookup('ConfigMap', source.configMap.name), source.configMap.items);
        else if (source.secret) projectInto(target, lookup('Secret', source.secret.name), source.secret.items);
        else throw new Error(`projected source ${Object.keys(source)} is not laid out by this test`);
      }
    } else if (volume.emptyDir || volume.persistentVolumeClaim) mkdirSync(target, { recursive: true });
    else throw new Error(`volume ${volume.name} (${Object.keys(volume)}) is not laid out by this test`);
  }
  return container;
}

/**
 * The container's environment as the kubelet builds it: envFrom sources in
 * order (a later source wins), then env (wins over envFrom), with $(NAME)
 * references to variables defined before expanded.
 */
export function containerEnv(objects, container) {
  const env = {};
  const source = (kind, name) => {
    const object = find(objects, kind, name);
    if (!object) throw new Error(`env of ${container.name} reads ${kind} ${name}, which the base does not render`);
    return keysOf(object);
  };
  for (const from of container.envFrom ?? []) {
    const keys = from.configMapRef ? source('ConfigMap', from.configMapRef.name) : source('Secret', from.secretRef.name);
    for (const [k, v] of keys) env[(from.prefix ?? '') + k] = v.toString('utf8');
  }
  for (const { name, value, valueFrom } of container.env ?? []) {
    if (valueFrom?.configMapKeyRef) env[name] = source('ConfigMap', valueFrom.configMapKeyRef.name).get(valueFrom.configMapKeyRef.key).toString('utf8');
    else if (valueFrom?.secretKeyRef) env[name] = source('Secret', valueFrom.secretKeyRef.name).get(valueFrom.secretKeyRef.key).toString('utf8');
    else if (valueFrom) throw new Error(`env ${name}: valueFrom ${Object.keys(valueFrom)} is not resolved by this test`);
    else env[name] = (value ?? '').replace(/\$\(([A-Za-z_][A-Za-z0-9_]*)\)/g, (m, ref) => (ref in env ? env[ref] : m));
  }
  return env;
}

/**
 * What changes between a pod and this machine, and nothing else: paths under
 * the container's mount paths move under `root`, the image's binary is the
 * local one, and the pod's own network namespace is emulated on loopback: in
 * the arguments and in the variables the container spec sets itself (env),
 * 0.0.0.0 becomes 127.0.0.1 and each containerPort the port `ports` maps its
 * name to (also in an address 0.0.0.0:port). `entrypoint` is the image's
 * ENTRYPOINT, for a container that sets no command. Returns { argv, env, rewrites } with every rewrite listed.
 */
export function onThisMachine({ container, env, root, binaries, ports, entrypoint = [] }) {
  const rewrites = [];
  const mountPaths = (container.volumeMounts ?? []).map((m) => m.mountPath.replace(/(.)\/+$/, '$1'));
  const portMap = new Map((container.ports ?? []).map((p) => [String(p.containerPort), String(ports[p.name])]));
  const ownNames = new Set((container.env ?? []).map((e) => e.name));
  const map = (where, value, own = true) => {
    let out = value;
    if (mountPaths.some((m) => value === m || value.startsWith(`${m}/`))) out = join(root, value);
    else if (own && value === '0.0.0.0') out = '127.0.0.1';
    else if (own && portMap.has(value)) out = portMap.get(value);
    else if (own && value.startsWith('0.0.0.0:') && portMap.has(value.slice(8))) out = `127.0.0.1:${portMap.get(value.slice(8))}`;
    if (out !== value) rewrites.push(`${where}: ${value} → ${out}`);
    return out;
  };
  // Without a command the image's own entrypoint runs, with the args.
  const command = [...(container.command?.length ? container.command : entrypoint), ...(container.args ?? [])];
  if (!binaries[command[0]]) throw new Error(`no local binary for the image's ${command[0]}`);
  rewrites.push(`command: ${command[0]} → ${binaries[command[0]]}`);
  const argv = [binaries[command[0]], ...command.slice(1).map((a, i) => map(`arg ${i + 1}`, a))];
  const local = {};
  for (const [k, v] of Object.entries(env)) local[k] = map(`env ${k}`, v, ownNames.has(k));
  return { argv, env: local, rewrites };
}
