// Every valid Sysdig sample shape and the Falco alerts, read from their golden folders so that
// every test works on the same inputs.
import { readFileSync } from 'node:fs';

export const SAMPLE_SHAPES = [
  'audit-cmd', 'audit-file', 'audit-kube-exec', 'audit-net',
  'legacy-policy-event', 'monitor-alert-secure-policy', 'runtime-policy-event',
  // Falco alerts (shared samples 01, 02, 05, 07a)
  'falco-01-syscall-terminal-shell-k8s', 'falco-02-syscall-collector-aname-mitre',
  'falco-05-k8saudit-attach-exec', 'falco-07a-sidekick-uuid',
];

/** The other data types Sysdig forwards (the samples of more-data-types/,
 *  plus constructed cases). Not in SAMPLE_SHAPES, which the end-to-end suite
 *  sends as one stream keyed by event.id: runtime-policy-v2-fields is the
 *  same Sysdig event (same id) as runtime-policy-event. */
export const MORE_SHAPES = [
  'platform-audit-docs', 'platform-audit-real', 'platform-audit-entity-payload-redacted',
  'runtime-policy-v2-fields', 'runtime-policy-cloudtrail', 'audit-net-rounded-timestamp',
  'secure-notification-webhook', 'benchmark-control', 'hostscanning-repaired', 'monitor-event-alert',
];

const goldenInput = (name) => readFileSync(new URL(`../golden/${name}/input.json`, import.meta.url), 'utf8');

export const samples = [...SAMPLE_SHAPES, ...MORE_SHAPES].map((name) => ({ name, text: goldenInput(name) }));
export const runtimeSample = goldenInput('runtime-policy-event');
export const falcoSample = goldenInput('falco-01-syscall-terminal-shell-k8s');
