// One end-to-end rig: a receiver Fluent Bit (elasticsearch + splunk inputs
// writing JSON lines to files), a fault proxy in front of each receiver, and
// the shipped pipeline config pointed at the proxies, all on loopback ports,
// with its filesystem buffer in a fresh temp dir.

import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

import { findDuplicateKeys, parseExact } from '../host.mjs';
import {
  FaultProxy,
  FluentBitProcess,
  PIPELINE_CONFIG,
  TWO_WEBHOOKS_CONFIG,
  RECEIVER_CONFIG,
  envFileDefaults,
  freePort,
  makeTempDir,
  post,
  readJsonLines,
  removeDir,
  waitFor,
} from './harness.mjs';

export const WEBHOOK_PATH = '/services/collector/event';
export const WEBHOOK_TOKEN = 'e2e-webhook-secret-7f3c9a1b5d2e4f60';
export const HEC_TOKEN = 'e2e-hec-token-0d9e8f7a6b5c4d3e';
export const ES_INDEX = 'sysdig-e2e';
export const ES_TIME_KEY = 'event.ingested';

const GOLDEN_DIR = new URL('../golden/', import.meta.url);
const readGolden = (name, file) => readFileSync(new URL(`${name}/${file}`, GOLDEN_DIR), 'utf8');

/** A sample shape with its input text and golden outputs, parsed exactly. */
export function loadShape(name, rewrite = (text) => text) {
  const ecs = parseExact(rewrite(readGolden(name, 'expected.ecs.json')));
  const splunk = parseExact(rewrite(readGolden(name, 'expected.splunk.json')));
  return {
    name,
    text: rewrite(readGolden(name, 'input.json').trim()),
    ecs,
    splunk,
    // event.id alone is not unique across shapes: the legacy and the runtime
    // policy samples are the same Sysdig event (same id) in two formats.
    esKey: `${ecs.event.id}|${ecs.event.dataset}`,
    hecKey: `${splunk.fields.id}|${splunk.sourcetype}`,
  };
}

/**
 * The n-th copy of a sample that has a Sysdig id, under an id of its own:
 * the id is replaced in the input and in both golden outputs, which hold it
 * verbatim (event.id, sysdig.id, the HEC event and fields.id).
 */
export function uniqueCopy(name, n) {
  const original = loadShape(name).ecs.event.id;
  const id = original.slice(0, -8) + n.toString(16).padStart(8, '0');
  return loadShape(name, (text) => text.replaceAll(original, id));
}

/**
 * The two shipped layouts: one webhook feeding both destinations from one
 * buffer, or one webhook (port, buffer) per destination.
 */
export const LAYOUTS = {
  'one webhook': { config: PIPELINE_CONFIG, twoWebhooks: false },
  'two webhooks': { config: TWO_WEBHOOKS_CONFIG, twoWebhooks: true },
};

export class Rig {
  /** receiverBin: the Fluent Bit that plays Elasticsearch and Splunk
   *  (default: fluentBit), so that a release under test is not also its own
   *  judge. */
  constructor({ fluentBit, modulePath, label, layout = LAYOUTS['one webhook'], receiverBin = fluentBit }) {
    this.layout = layout;
    this.fluentBit = fluentBit;
    this.receiverBin = receiverBin;
    this.modulePath = modulePath;
    this.label = label;
    this.dir = makeTempDir(`sysdig-e2e-${label}-`);
    this.pipelines = [];
  }

  /**
   * esUpstreamPort: forward the Elasticsearch side to this port (a real
   * Elasticsearch node) instead of the receiver Fluent Bit's es input.
   */
  async start({ webhookToken = WEBHOOK_TOKEN, env = {}, tls = null, esUpstreamPort = null } = {}) {
    this.extraEnv = env;
    // The config's default, unless a test overrides it.
    this.writeOperation = env.ES_WRITE_OPERATION ?? 'index';
    this.tls = tls;
    const [receiverEs, receiverHec, proxyEs, proxyHec, webhook, webhookHec] = await Promise.all(
      Array.from({ length: 6 }, () => freePort()),
    );
    // With two webhooks, `webhook` is the Elasticsearch one.
    this.ports = { receiverEs, receiverHec, proxyEs, proxyHec, webhook, webhookHec };
    this.webhookPorts = this.layout.twoWebhooks ? [webhook, webhookHec] : [webhook];
    this.outDir = join(this.dir, 'received');
    mkdirSync(this.outDir, { recursive: true });
    this.receiver = await new FluentBitProcess({
      bin: this.receiverBin,
      config: RECEIVER_CONFIG,
      env: {
        RECEIVER_ES_PORT: String(receiverEs),
        RECEIVER_HEC_PORT: String(receiverHec),
        RECEIVER_HEC_TOKEN: HEC_TOKEN,
        RECEIVER_OUT_DIR: this.outDir,
      },
      logPath: join(this.dir, 'receiver.log'),
      readyPorts: [receiverEs, receiverHec],
    }).start();
    this.esProxy = new FaultProxy({ name: 'elasticsearch', port: proxyEs, upstreamPort: esUpstreamPort ?? receiverEs });
    this.hecProxy = new FaultProxy({ name: 'splunk-hec', port: proxyHec, upstreamPort: receiverHec });
    await this.esProxy.up();
    await this.hecProxy.up();
    this.webhookToken = webhookToken;
    await this.startPipeline();
    return this;
  }

  /**
   * The pipeline's environment: fluent-bit/.env.example as shipped, with
   * this rig's ports, hosts, paths and tokens. webhookToken null leaves
   * SYSDIG_WEBHOOK_TOKEN out entirely (unset); '' keeps the file's empty line.
   */
  pipelineEnv() {
    const env = {
      ...envFileDefaults(),
      SYSDIG_NORMALIZER_MODULE: this.modulePath,
      SYSDIG_WEBHOOK_LISTEN: '127.0.0.1',
      ...(this.layout.twoWebhooks
        ? { SYSDIG_WEBHOOK_ES_PORT: String(this.ports.webhook), SYSDIG_WEBHOOK_SPLUNK_PORT: String(this.ports.webhookHec) }
        : { SYSDIG_WEBHOOK_PORT: String(this.ports.webhook) }),
      ES_HOST: '127.0.0.1',
      ES_PORT: String(this.ports.proxyEs),
      ES_TLS: 'off',
      ES_INDEX,
      ES_TIME_KEY,
      SPLUNK_HEC_HOST: '127.0.0.1',
      SPLUNK_HEC_PORT: String(this.ports.proxyHec),
      SPLUNK_HEC_TLS: 'off',
      SPLUNK_HEC_TOKEN: HEC_TOKEN,
      PIPELINE_STORAGE_PATH: join(this.dir, 'storage'),
      // Short intervals so retries happen within seconds.
      PIPELINE_FLUSH_INTERVAL: '0.5',
      PIPELINE_RETRY_BASE_SECONDS: '1',
      PIPELINE_RETRY_CAP_SECONDS: '2',
      PIPELINE_GRACE_SECONDS: '2',
      PIPELINE_LOG_LEVEL: 'info',
    };
    if (this.webhookToken === null) delete env.SYSDIG_WEBHOOK_TOKEN;
    else env.SYSDIG_WEBHOOK_TOKEN = this.webhookToken;
    return { ...env, ...this.extraEnv };
  }

  async startPipeline() {
    const pipeline = new FluentBitProcess({
      bin: this.fluentBit,
      config: this.layout.config,
      env: this.pipelineEnv(),
      logPath: join(this.dir, `pipeline-${this.pipelines.length}.log`),
      readyPorts: this.webhookPorts,
    });
    this.pipelines.push(pipeline);
    this.pipeline = pipeline;
    await pipeline.start();
    return pipeline;
  }

  /**
   * Posts one body to the webhook, by default with the right token (and,
   * when the rig runs TLS, the trusted client certificate). With two
   * webhooks it posts to each, as two Sysdig integrations would, and returns
   * the first answer that is not 200 (else the last one).
   */
  async send(body, headers = { authorization: `Splunk ${WEBHOOK_TOKEN}` }, tls = this.tls) {
    let answer;
    for (const port of this.webhookPorts) {
      answer = await post(port, WEBHOOK_PATH, body, headers, tls);
      if (answer.status !== 200) return answer;
    }
    return answer;
  }

  esRecords() {
    return readJsonLines(join(this.outDir, 'es.jsonl'), parseExact);
  }

  hecRecords() {
    return readJsonLines(join(this.outDir, 'hec.jsonl'), parseExact);
  }

  receivedText() {
    return ['es.jsonl', 'hec.jsonl']
      .map((file) => {
        try {
          return readFileSync(join(this.outDir, file), 'utf8');
        } catch {
          return '';
        }
      })
      .join('');
  }

  /** Waits until every expected key arrived at both receivers. */
  async waitForDelivery(shapes, limitMs = 90000) {
    const esWanted = new Set(shapes.map((s) => s.esKey));
    const hecWanted = new Set(shapes.map((s) => s.hecKey));
    await waitFor(
      () => {
        const es = new Set(this.esRecords().map(esKeyOf));
        const hec = new Set(this.hecRecords().map(hecKeyOf));
        return [...esWanted].every((k) => es.has(k)) && [...hecWanted].every((k) => hec.has(k));
      },
      {
        limitMs,
        everyMs: 200,
        describe: () =>
          `delivery of ${esWanted.size} ES and ${hecWanted.size} HEC events; ` +
          `have ES ${this.esRecords().length}, HEC ${this.hecRecords().length}\n` +
          `--- pipeline log ---\n${this.pipeline.log.slice(-4000)}`,
      },
    );
  }

  /**
   * Waits until the pipeline log shows a failed flush scheduled for retry
   * on each of the given outputs, i.e. the events are waiting in the buffer.
   */
  async waitForRetries({ outputs = ['es', 'splunk'], process = this.pipeline } = {}) {
    const patterns = outputs.map((name) => new RegExp(`retry in \\d+ seconds?.*output=${name}\\.\\d+`));
    await waitFor(() => patterns.every((pattern) => pattern.test(process.log)), {
      limitMs: 60000,
      describe: () => `retries on ${outputs}\n${process.log.slice(-3000)}`,
    });
  }

  async stop() {
    for (const p of this.pipelines) await p.stop();
    await this.esProxy?.down();
    await this.hecProxy?.down();
    await this.receiver?.stop();
  }

  async cleanup({ keep = false } = {}) {
    await this.stop();
    if (!keep) await removeDir(this.dir);
  }
}

const actionOf = (meta) => Object.values(meta ?? {})[0];
export const esKeyOf = (doc) => `${actionOf(doc['@meta'])?._id}|${doc.event?.dataset}`;
export const hecKeyOf = (envelope) => `${envelope.fields?.id}|${envelope.sourcetype}`;

/**
 * Per-destination tally of what arrived against what was sent.
 *   received:   sent events that arrived at least once
 *   lost:       sent events that never arrived
 *   deliveries: documents the receiver got, replays included
 *   replayed:   (Elasticsearch only) repeat deliveries of a document with
 *               the same _id and identical content, which Elasticsearch
 *               stores once (index: rewritten in place; create: 409)
 *   duplicated: repeat deliveries that the destination would store as a
 *               second copy: every repeat for Splunk HEC, which cannot tell;
 *               for Elasticsearch, a repeat whose content differs
 *   duplicatedKeys: the keys of those
 */
export function tally(records, keyOf, shapes) {
  const isEs = keyOf === esKeyOf;
  const wanted = new Set(shapes.map((s) => (isEs ? s.esKey : s.hecKey)));
  const seen = new Map();
  for (const record of records) {
    const key = keyOf(record);
    if (!seen.has(key)) seen.set(key, []);
    seen.get(key).push(canonical(record));
  }
  let replayed = 0;
  let duplicated = 0;
  const duplicatedKeys = [];
  for (const [key, copies] of seen) {
    const repeats = copies.length - 1;
    if (isEs && copies.every((c) => c === copies[0])) replayed += repeats;
    else if (repeats > 0) {
      duplicated += repeats;
      duplicatedKeys.push(key);
    }
  }
  const received = [...wanted].filter((k) => seen.has(k)).length;
  return {
    sent: shapes.length,
    received,
    deliveries: records.length,
    replayed,
    duplicated,
    duplicatedKeys,
    lost: wanted.size - received,
    unexpected: [...seen.keys()].filter((k) => !wanted.has(k)),
  };
}

const canonical = (value) => JSON.stringify(value, (_, v) => (typeof v === 'bigint' ? `${v}n` : v));

/** Every bulk document line the es output put on the wire to "Elasticsearch". */
export function bulkDocumentLines(proxy) {
  const lines = [];
  for (const request of proxy.requests) {
    if (!request.path.endsWith('/_bulk')) continue;
    const parts = request.text.split('\n').filter((l) => l.trim() !== '');
    for (let i = 1; i < parts.length; i += 2) lines.push({ action: parts[i - 1], doc: parts[i] });
  }
  return lines;
}

/** Checks a document as the es output sent it (raw bulk line) and as received. */
export function checkEsDocument(expect, received, shape, writeOperation) {
  const { '@meta': meta, [ES_TIME_KEY]: ingested, ...doc } = received;
  expect(meta).toEqual({ [writeOperation]: { _index: ES_INDEX, _id: shape.ecs.event.id } });
  expect(doc['@timestamp']).toBe(shape.ecs['@timestamp']);
  // event.created is Fluent Bit's record time (when the webhook request
  // arrived), which the es output also writes under its time key.
  expect(typeof ingested).toBe('string');
  expect(doc.event.created).toBe(ingested);
  const expected = structuredClone(shape.ecs);
  expected.event.created = doc.event.created;
  expect(doc).toEqual(expected);
}

export function checkRawBulkLine(expect, { action, doc }, shapesById, writeOperation) {
  expect(findDuplicateKeys(doc)).toEqual([]);
  const parsed = parseExact(doc);
  const topLevelTimestamps = Object.keys(parsed).filter((k) => k === '@timestamp');
  expect(topLevelTimestamps).toHaveLength(1);
  expect(parseExact(action)).toEqual({ [writeOperation]: { _index: ES_INDEX, _id: parsed.event.id } });
  const shape = shapesById.get(`${parsed.event.id}|${parsed.event.dataset}`);
  expect(shape, `bulk document for an unknown event ${parsed.event.id}`).toBeDefined();
  expect(parsed['@timestamp']).toBe(shape.ecs['@timestamp']);
}

export function checkHecEnvelope(expect, received, shape) {
  expect(received.time).toBe(shape.splunk.time);
  expect(received.sourcetype).toBe(shape.splunk.sourcetype);
  expect(received.event).toEqual(shape.splunk.event);
  expect(received).toEqual(shape.splunk);
}

export { post };
