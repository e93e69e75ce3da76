// The e2e rig (rig.mjs) for the pipelines that add a front door to the
// Sysdig pipeline: the syslog listeners, the Elasticsearch _bulk listener and
// the client-certificate webhook. Each such config includes
// sysdig-to-elasticsearch-and-splunk.yaml, so the HEC listener, the buffer,
// the outputs and the receivers are those of the main rig; this one only
// gives the extra listeners their ports and settings and waits for them.

import { join } from 'node:path';

import { FluentBitProcess, REPO_ROOT, freePort } from './harness.mjs';
import { Rig } from './rig.mjs';

const config = (name) => join(REPO_ROOT, 'fluent-bit', name);

export const FRONT_DOORS = {
  syslog: {
    config: config('sysdig-syslog-to-elasticsearch-and-splunk.yaml'),
    tcpPorts: ['SYSDIG_SYSLOG_TCP_OCTET_COUNTING_PORT', 'SYSDIG_SYSLOG_TCP_NEWLINE_PORT',
      'SYSDIG_SYSLOG_TLS_OCTET_COUNTING_PORT', 'SYSDIG_SYSLOG_TLS_NEWLINE_PORT'],
    udpPorts: ['SYSDIG_SYSLOG_UDP_PORT', 'SYSDIG_SYSLOG_UDP_RFC3164_PORT'],
    env: (pki) => ({
      SYSDIG_SYSLOG_LISTEN: '127.0.0.1',
      SYSDIG_SYSLOG_MAX_MESSAGE: '4M',
      SYSDIG_SYSLOG_TLS_CRT_FILE: pki.serverCrt,
      SYSDIG_SYSLOG_TLS_KEY_FILE: pki.serverKey,
    }),
  },
  elasticsearch: {
    config: config('sysdig-elasticsearch-api-to-elasticsearch-and-splunk.yaml'),
    tcpPorts: ['SYSDIG_ELASTICSEARCH_PORT'],
    udpPorts: [],
    env: () => ({
      SYSDIG_ELASTICSEARCH_LISTEN: '127.0.0.1',
      SYSDIG_ELASTICSEARCH_MAX_BODY: '16M',
      SYSDIG_ELASTICSEARCH_TLS: 'off',
      SYSDIG_ELASTICSEARCH_TLS_CRT_FILE: '',
      SYSDIG_ELASTICSEARCH_TLS_KEY_FILE: '',
    }),
  },
  'webhook certificate': {
    config: config('sysdig-webhook-certificate-to-elasticsearch-and-splunk.yaml'),
    tcpPorts: ['SYSDIG_WEBHOOK_MTLS_PORT'],
    udpPorts: [],
    env: (pki) => ({
      SYSDIG_WEBHOOK_MTLS_LISTEN: '127.0.0.1',
      SYSDIG_WEBHOOK_MAX_BODY: '16M',
      SYSDIG_WEBHOOK_MTLS_CRT_FILE: pki.serverCrt,
      SYSDIG_WEBHOOK_MTLS_KEY_FILE: pki.serverKey,
      SYSDIG_WEBHOOK_MTLS_CA_FILE: pki.caFile,
    }),
  },
};

export class FrontDoorRig extends Rig {
  /** door: a FRONT_DOORS entry; pki: makeTestPki's certificates. */
  constructor({ door, pki, ...options }) {
    super({ ...options, layout: { config: door.config, twoWebhooks: false } });
    this.door = door;
    this.pki = pki;
  }

  async start(options = {}) {
    this.doorPorts = {};
    for (const name of [...this.door.tcpPorts, ...this.door.udpPorts]) this.doorPorts[name] = await freePort();
    return super.start(options);
  }

  pipelineEnv() {
    const ports = Object.fromEntries(Object.entries(this.doorPorts).map(([k, v]) => [k, String(v)]));
    return { ...super.pipelineEnv(), ...this.door.env(this.pki), ...ports, ...this.extraEnv };
  }

  async startPipeline() {
    const pipeline = new FluentBitProcess({
      bin: this.fluentBit,
      config: this.layout.config,
      env: this.pipelineEnv(),
      logPath: join(this.dir, `pipeline-${this.pipelines.length}.log`),
      // The UDP listeners cannot be probed by connecting; they start with the rest.
      readyPorts: [...this.webhookPorts, ...this.door.tcpPorts.map((name) => this.doorPorts[name])],
    });
    this.pipelines.push(pipeline);
    this.pipeline = pipeline;
    await pipeline.start();
    return pipeline;
  }

  port(name) {
    return this.doorPorts[name];
  }
}
