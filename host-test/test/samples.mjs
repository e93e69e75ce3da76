// The real Sysdig sample shapes and Falco alerts, read from their golden folders so that
// every test works on the same inputs.
import { readFileSync } from 'node:fs';

export const SAMPLE_SHAPES = [
  'audit-cmd', 'audit-file', 'audit-kube-exec', 'audit-net',
  'legacy-policy-event', 'monitor-alert-secure-policy', 'runtime-policy-event',
  // Falco alerts (shared samples 01, 02, 05, 07a)
  'falco-01-syscall-terminal-shell-k8s', 'falco-02-syscall-collector-aname-mitre',
  'falco-05-k8saudit-attach-exec', 'falco-07a-sidekick-uuid',
];

const goldenInput = (name) => readFileSync(new URL(`../golden/${name}/input.json`, import.meta.url), 'utf8');

export const samples = SAMPLE_SHAPES.map((name) => ({ name, text: goldenInput(name) }));
export const runtimeSample = goldenInput('runtime-policy-event');
export const falcoSample = goldenInput('falco-01-syscall-terminal-shell-k8s');
