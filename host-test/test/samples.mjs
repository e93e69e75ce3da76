// The seven real Sysdig sample shapes, read from their golden folders so that
// every test works on the same inputs.
import { readFileSync } from 'node:fs';

export const SAMPLE_SHAPES = [
  'audit-cmd', 'audit-file', 'audit-kube-exec', 'audit-net',
  'legacy-policy-event', 'monitor-alert-secure-policy', 'runtime-policy-event',
];

const goldenInput = (name) => readFileSync(new URL(`../golden/${name}/input.json`, import.meta.url), 'utf8');

export const samples = SAMPLE_SHAPES.map((name) => ({ name, text: goldenInput(name) }));
export const runtimeSample = goldenInput('runtime-policy-event');
