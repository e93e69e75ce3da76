// What each Kubernetes base must render, for the tests that render and run
// it: the objects, the workload and its container, which ConfigMap carries
// which repository files, and the components an overlay can add.

import { readdirSync } from 'node:fs';

const vrlFiles = readdirSync(new URL('../../vector/vrl/', import.meta.url)).filter((f) => f.endsWith('.vrl'));

export const BASES = {
  'fluent-bit': {
    image: 'fluent/fluent-bit:5.1.1',
    workload: 'sysdig-normalizer-fluent-bit',
    container: 'fluent-bit',
    components: ['kubernetes/ingress', 'kubernetes/autoscaling'],
    objects: [
      'v1 ConfigMap sysdig-normalizer-fluent-bit-pipeline-<hash>',
      'v1 ConfigMap sysdig-normalizer-fluent-bit-settings-<hash>',
      'v1 ConfigMap sysdig-normalizer-module-<hash>',
      'v1 Secret sysdig-normalizer-fluent-bit',
      'v1 Service sysdig-normalizer-fluent-bit',
      'apps/v1 StatefulSet sysdig-normalizer-fluent-bit',
      'policy/v1 PodDisruptionBudget sysdig-normalizer-fluent-bit',
      'networking.k8s.io/v1 Ingress sysdig-normalizer-fluent-bit',
      'autoscaling/v2 HorizontalPodAutoscaler sysdig-normalizer-fluent-bit',
    ],
    // ConfigMap name → { key: repository file }.
    configFiles: {
      'sysdig-normalizer-fluent-bit-pipeline': {
        'sysdig-to-elasticsearch-and-splunk.yaml': 'fluent-bit/sysdig-to-elasticsearch-and-splunk.yaml',
      },
      'sysdig-normalizer-module': { 'sysdig_normalizer.wasm': 'build/sysdig_normalizer.wasm' },
    },
    settings: { name: 'sysdig-normalizer-fluent-bit-settings', file: 'fluent-bit/.env.example' },
    bufferVariable: 'PIPELINE_STORAGE_PATH',
    // Paths the pod must find in its mounts: the config file it is started
    // with and the module.
    mountedPaths: (container, env) => [container.args[container.args.indexOf('-c') + 1], env.SYSDIG_NORMALIZER_MODULE],
  },
  vector: {
    image: 'timberio/vector:0.56.0-debian',
    workload: 'sysdig-normalizer-vector',
    container: 'vector',
    components: ['kubernetes/ingress', 'kubernetes/autoscaling'],
    objects: [
      'v1 ConfigMap sysdig-normalizer-vector-pipeline-<hash>',
      'v1 ConfigMap sysdig-normalizer-vector-vrl-<hash>',
      'v1 Secret sysdig-normalizer-vector',
      'v1 Service sysdig-normalizer-vector',
      'apps/v1 StatefulSet sysdig-normalizer-vector',
      'policy/v1 PodDisruptionBudget sysdig-normalizer-vector',
      'networking.k8s.io/v1 Ingress sysdig-normalizer-vector',
      'autoscaling/v2 HorizontalPodAutoscaler sysdig-normalizer-vector',
    ],
    configFiles: {
      'sysdig-normalizer-vector-pipeline': {
        'vector.yaml': 'vector/vector.yaml',
        'api.yaml': 'vector/kubernetes/api.yaml',
      },
      // Every file of vector/vrl/: one left out of the generator fails here.
      'sysdig-normalizer-vector-vrl': Object.fromEntries(vrlFiles.map((f) => [f, `vector/vrl/${f}`])),
    },
    // Vector's defaults are in vector.yaml itself (${VAR:-default}).
    settings: null,
    bufferVariable: 'VECTOR_DATA_DIR',
    mountedPaths: (container, env) => [
      ...container.args.filter((_, i) => container.args[i - 1] === '--config'),
      `${env.SYSDIG_NORMALIZER_VRL_DIR}/read.vrl`,
    ],
  },
};

/** A secret.env as a user writes it from kubernetes/secret.env.example
 *  (the Fluent Bit and the Vector names in one file; each takes its own). */
export const EXAMPLE_SECRET_ENV = [
  'SYSDIG_WEBHOOK_TOKEN=0f5e3c8a1d7b9e2f4a6c8e0b2d4f6a8c0e2b4d6f8a0c2e4b6d8f0a2c4e6b8d0f',
  'ES_HOST=elasticsearch.example.internal',
  'ES_USER=sysdig-writer',
  'ES_PASSWORD=example-password',
  'SPLUNK_HEC_HOST=splunk.example.internal',
  'SPLUNK_HEC_TOKEN=00000000-1111-2222-3333-444444444444',
  'ES_ENDPOINT=https://elasticsearch.example.internal:9200',
  'ES_AUTHORIZATION=ApiKey ZXhhbXBsZTprZXk=',
  'SPLUNK_HEC_ENDPOINT=https://splunk.example.internal:8088',
  '',
].join('\n');
