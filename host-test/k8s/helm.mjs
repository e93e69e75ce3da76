// The official Helm charts rendered with the real Helm, for the tests of the
// values in fluent-bit/kubernetes/helm/ and vector/kubernetes/helm/.
//
// Helm: HELM_BIN, `helm` on PATH, or Helm 4 built from the Go module proxy
// into the test cache (`go install helm.sh/helm/v4/cmd/helm`, once; several
// minutes). The charts are on GitHub, not in a registry this test can reach:
// point FLUENT_BIT_CHART, VECTOR_CHART and FALCO_CHART at the chart folders
// (charts/fluent-bit of fluent/helm-charts, charts/vector of
// vectordotdev/helm-charts, charts/falco of falcosecurity/charts with its
// dependencies in charts/, as `helm dependency build` leaves them). A test
// whose chart is not given reports itself skipped with the reason.

import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, renameSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

import { isExecutable, whichOnPath } from '../e2e/harness.mjs';

export const HELM_VERSION = 'v4.3.2';
const CACHED_HELM = join(homedir(), '.cache', 'sysdig-normalizer', `helm-${HELM_VERSION}`, 'helm');

export const CHARTS = {
  'fluent-bit': { variable: 'FLUENT_BIT_CHART', repository: 'fluent/helm-charts charts/fluent-bit' },
  vector: { variable: 'VECTOR_CHART', repository: 'vectordotdev/helm-charts charts/vector' },
  falco: { variable: 'FALCO_CHART', repository: 'falcosecurity/charts charts/falco (dependencies in charts/)' },
};

/** The chart folder for `name`, or null. */
export function chartDir(name) {
  const dir = process.env[CHARTS[name].variable];
  return dir && existsSync(join(dir, 'Chart.yaml')) ? dir : null;
}

/** Helm from HELM_BIN, PATH or the cache; null if none is there. */
export function findHelm() {
  if (process.env.HELM_BIN) return isExecutable(process.env.HELM_BIN) ? process.env.HELM_BIN : null;
  return whichOnPath('helm') ?? (isExecutable(CACHED_HELM) ? CACHED_HELM : null);
}

/** Builds Helm into the cache with the Go toolchain; returns its path. */
export function buildHelm(go) {
  const dir = join(homedir(), '.cache', 'sysdig-normalizer', `helm-${HELM_VERSION}`);
  const partial = `${dir}.partial-${process.pid}`;
  mkdirSync(partial, { recursive: true });
  const built = spawnSync(go, ['install', `helm.sh/helm/v4/cmd/helm@${HELM_VERSION}`], {
    encoding: 'utf8',
    env: { ...process.env, GOBIN: partial, GOFLAGS: '-buildvcs=false', GOTOOLCHAIN: process.env.GOTOOLCHAIN ?? 'local' },
  });
  if (built.status !== 0) throw new Error(`go install of Helm ${HELM_VERSION} failed:\n${built.stderr}`);
  mkdirSync(dir, { recursive: true });
  renameSync(join(partial, 'helm'), CACHED_HELM);
  return CACHED_HELM;
}

/** `helm template`: the chart rendered with the values files; returns the YAML stream. */
export function helmTemplate(helm, { release, chart, namespace, values }) {
  const args = ['template', release, chart, '--namespace', namespace, ...values.flatMap((v) => ['--values', v])];
  const run = spawnSync(helm, args, { encoding: 'utf8', maxBuffer: 64 << 20 });
  if (run.status !== 0) throw new Error(`helm ${args.join(' ')} failed:\n${run.stderr}`);
  return run.stdout;
}
