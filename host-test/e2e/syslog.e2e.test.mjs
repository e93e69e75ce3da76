// End to end on a real Fluent Bit: the shipped syslog pipelines
// (fluent-bit/sysdig-to-arcsight-cef.yaml and sysdig-to-qradar-leef.yaml)
// receive every sample shape, plus events whose lines are far longer than the
// syslog output's default size limit, on their authenticated webhook, and must
// deliver each one to a local syslog receiver (a Node TCP or TLS server that
// records the bytes) whole, newline-framed, with the RFC 3164 header built
// from the record's syslog keys and the CEF/LEEF line exactly the golden one;
// through a receiver that is down and comes back, and a Fluent Bit restart
// with its filesystem buffer. The simple examples (LogDNA/Mezmo, generic
// webhook) deliver every shape's ECS document.
//
// Without a fluent-bit binary (FLUENT_BIT_BIN or PATH) every test here is
// reported as skipped, with the reason; without openssl, the TLS ones are.

import { describe, it, beforeAll, afterAll, expect } from 'vitest';
import { readFileSync } from 'node:fs';
import https from 'node:https';
import net from 'node:net';
import tls from 'node:tls';
import { join } from 'node:path';

import { SAMPLE_SHAPES } from '../test/samples.mjs';
import { parseExact } from '../host.mjs';
import { checkSyslogRecord } from '../test/syslog-lines.mjs';
import {
  envFileDefaults,
  REPO_ROOT, WASM_MODULE, FluentBitProcess, findFluentBit, fluentBitVersion, freePort, hasOpenssl,
  makeTempDir, makeTestPki, post, removeDir, sleep, waitFor,
} from './harness.mjs';
import { WEBHOOK_PATH, WEBHOOK_TOKEN } from './rig.mjs';

const fluentBit = findFluentBit();
const openssl = hasOpenssl();
const version = fluentBit ? fluentBitVersion(fluentBit) : null;
const NO_FLUENT_BIT = 'no fluent-bit binary (set FLUENT_BIT_BIN or put fluent-bit on PATH): the syslog e2e suite needs a real Fluent Bit';
const NO_OPENSSL = 'no openssl on PATH: cannot make the test certificates for the TLS cases';
const FACILITY = 16; // the configs' default: local0

const golden = (name, target) =>
  JSON.parse(readFileSync(join(REPO_ROOT, 'host-test', 'golden', name, `expected.${target}.json`), 'utf8'));
const inputOf = (name) => readFileSync(join(REPO_ROOT, 'host-test', 'golden', name, 'input.json'), 'utf8').trim();

/** A syslog receiver: TCP or TLS on 127.0.0.1, recording the bytes of every
 *  connection; can go down (connections refused) and come back on its port. */
class SyslogReceiver {
  constructor({ port, pki }) {
    this.port = port;
    this.pki = pki;
    this.connections = [];
    this.server = null;
    this.sockets = new Set();
  }

  async up() {
    const onSocket = (socket) => {
      const conn = { chunks: [] };
      this.connections.push(conn);
      this.sockets.add(socket);
      socket.on('data', (d) => conn.chunks.push(d));
      socket.on('error', () => {});
      socket.on('close', () => this.sockets.delete(socket));
    };
    this.server = this.pki
      ? tls.createServer({ key: readFileSync(this.pki.serverKey), cert: readFileSync(this.pki.serverCrt) }, onSocket)
      : net.createServer(onSocket);
    await new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(this.port, '127.0.0.1', resolve);
    });
  }

  async down() {
    if (!this.server) return;
    const server = this.server;
    this.server = null;
    for (const s of this.sockets) s.destroy();
    await new Promise((resolve) => server.close(() => resolve()));
  }

  /** Complete lines (ending in \n) and the bytes left over after the last
   *  newline of each connection (a cut message). */
  frames() {
    const lines = [];
    let partial = 0;
    for (const c of this.connections) {
      const text = Buffer.concat(c.chunks).toString('utf8');
      const parts = text.split('\n');
      partial += parts.pop().length;
      lines.push(...parts);
    }
    return { lines, partial };
  }
}

const MONTHS = 'Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec';
const RFC3164 = new RegExp(`^<(\\d{1,3})>(?:${MONTHS}) [ 1-3]\\d \\d\\d:\\d\\d:\\d\\d (\\S+) (.*)$`);

/** Expected syslog lines for a record: "<PRI> … host" and the message. */
function expectedFrame(record) {
  return { pri: FACILITY * 8 + Number(record.syslog_severity), host: record.syslog_hostname, message: record.message };
}

/** A runtime-policy event whose container and Kubernetes values are long
 *  (each custom string near its 4000 limit), so its line is far past the
 *  syslog output's default 1024/2048 bytes. n makes it unique. */
function longEvent(n) {
  const event = JSON.parse(inputOf('runtime-policy-event'));
  event.id = `long${String(n).padStart(28, '0')}`;
  event.content.output = `${'é'.repeat(900)}=${n}`;
  event.content.fields['container.id'] = 'c'.repeat(3990) + n;
  event.content.fields['container.name'] = 'n='.repeat(1990) + n;
  event.content.fields['k8s.ns.name'] = '\\'.repeat(3000) + n;
  event.content.fields['k8s.pod.name'] = 'p|'.repeat(1500) + n;
  return JSON.stringify(event);
}

const FORMATS = {
  cef: { config: 'sysdig-to-arcsight-cef.yaml', fn: 'sysdig_to_cef', prefix: 'ARCSIGHT' },
  leef: { config: 'sysdig-to-qradar-leef.yaml', fn: 'sysdig_to_leef', prefix: 'QRADAR' },
};

const counts = [];
let filter;
beforeAll(async () => {
  if (fluentBit) console.log(`syslog e2e with ${version}`);
  const { loadFilter } = await import('../host.mjs');
  filter = await loadFilter();
});
afterAll(() => {
  if (counts.length) console.log(`syslog e2e counts (${version}):\n${counts.map((c) => JSON.stringify(c)).join('\n')}`);
});

for (const [format, spec] of Object.entries(FORMATS)) {
  for (const mode of ['tcp', 'tls']) {
    describe(`${format} over ${mode}`, () => {
      let dir;
      let pki = null;
      let receiver;
      let pipeline;
      let webhookPort;
      let sent = [];
      const skipReason = !fluentBit ? NO_FLUENT_BIT : mode === 'tls' && !openssl ? NO_OPENSSL : null;

      const start = async (extraEnv = {}) => {
        pipeline = await new FluentBitProcess({
          bin: fluentBit,
          config: join(REPO_ROOT, 'fluent-bit', spec.config),
          env: {
            ...envFileDefaults(),
            SYSDIG_NORMALIZER_MODULE: WASM_MODULE,
            SYSDIG_WEBHOOK_LISTEN: '127.0.0.1',
            SYSDIG_WEBHOOK_PORT: String(webhookPort),
            SYSDIG_WEBHOOK_TOKEN: WEBHOOK_TOKEN,
            PIPELINE_STORAGE_PATH: join(dir, 'storage'),
            PIPELINE_FLUSH_INTERVAL: '0.5',
            PIPELINE_RETRY_BASE_SECONDS: '1',
            PIPELINE_RETRY_CAP_SECONDS: '2',
            PIPELINE_GRACE_SECONDS: '2',
            [`${spec.prefix}_HOST`]: '127.0.0.1',
            [`${spec.prefix}_PORT`]: String(receiver.port),
            [`${spec.prefix}_SYSLOG_MODE`]: mode,
            ...(pki ? { [`${spec.prefix}_TLS_CA_FILE`]: pki.caFile } : {}),
            ...extraEnv,
          },
          logPath: join(dir, 'fluent-bit.log'),
          readyPorts: [webhookPort],
        }).start();
      };

      /** Posts events (input texts) to the webhook; remembers what was sent
       *  (with `host` as the syslog host, when the config sets one). */
      const send = async (texts, host = null) => {
        for (const text of texts) {
          const res = await post(webhookPort, WEBHOOK_PATH, text, { Authorization: `Splunk ${WEBHOOK_TOKEN}` });
          expect(res.status, res.body).toBe(200);
          const record = filter.call(spec.fn, text, { sec: 0, nsec: 0 }).record;
          sent.push({ ...expectedFrame(record), ...(host ? { host } : {}) });
        }
      };

      /** Waits until everything sent arrived, then checks each line. */
      const expectAllDelivered = async (label) => {
        await waitFor(() => receiver.frames().lines.length >= sent.length, {
          limitMs: 90000,
          describe: () => `${sent.length} lines, got ${receiver.frames().lines.length}\n${pipeline.log.slice(-3000)}`,
        });
        await sleep(1500); // anything extra (duplicates) would arrive now
        const { lines, partial } = receiver.frames();
        const want = new Map();
        for (const f of sent) want.set(`${f.pri} ${f.host} ${f.message}`, (want.get(`${f.pri} ${f.host} ${f.message}`) ?? 0) + 1);
        let received = 0;
        let unexpected = 0;
        for (const line of lines) {
          const m = RFC3164.exec(line);
          expect(m, `not an RFC 3164 line: ${line.slice(0, 200)}`).not.toBeNull();
          const [, pri, host, message] = m;
          checkSyslogRecord({ status: 'ok', record: { message, syslog_severity: String(Number(pri) % 8), syslog_hostname: host, syslog_appname: 'x', syslog_msgid: 'x' } }, format);
          const key = `${pri} ${host} ${message}`;
          if ((want.get(key) ?? 0) > 0) {
            want.set(key, want.get(key) - 1);
            received++;
          } else unexpected++;
        }
        const lost = [...want.values()].reduce((a, b) => a + b, 0);
        counts.push({ case: `${format}/${mode}/${label}`, sent: sent.length, received, cut: partial > 0 ? 1 : 0, lost, duplicates: unexpected });
        expect({ lost, cut: partial, unexpected }).toEqual({ lost: 0, cut: 0, unexpected: 0 });
      };

      beforeAll(async () => {
        if (skipReason) return;
        dir = makeTempDir(`sysdig-syslog-${format}-${mode}-`);
        if (mode === 'tls') pki = makeTestPki(dir);
        receiver = new SyslogReceiver({ port: await freePort(), pki });
        webhookPort = await freePort();
        await receiver.up();
        await start();
      }, 120000);

      afterAll(async () => {
        if (skipReason) return;
        await pipeline?.stop();
        await receiver?.down();
        if (!process.env.E2E_KEEP_TEMP) await removeDir(dir);
      });

      it('every shape, and lines of tens of KB, arrive whole, framed, exactly the golden line', async (ctx) => {
        if (skipReason) ctx.skip(skipReason);
        sent = [];
        receiver.connections = [];
        await send(SAMPLE_SHAPES.map(inputOf));
        for (const name of SAMPLE_SHAPES) {
          const g = golden(name, format);
          expect(sent.find((f) => f.message === g.message), `${name}: golden ${format} line`).toBeDefined();
        }
        await send([1, 2, 3].map(longEvent));
        expect(Math.min(...sent.slice(-3).map((f) => Buffer.byteLength(f.message)))).toBeGreaterThan(10000);
        await expectAllDelivered('all shapes + long');
        expect(pipeline.errorLines()).toEqual([]);
      });

      it('receiver down, then back: everything buffered arrives once', async (ctx) => {
        if (skipReason) ctx.skip(skipReason);
        sent = [];
        await receiver.down();
        receiver.connections = [];
        await send([...SAMPLE_SHAPES.map(inputOf), longEvent(10)]);
        await sleep(3000); // retries fail meanwhile
        await receiver.up();
        await expectAllDelivered('receiver down then back');
      });

      it('Fluent Bit restarts with events buffered for a receiver that is down', async (ctx) => {
        if (skipReason) ctx.skip(skipReason);
        sent = [];
        await receiver.down();
        receiver.connections = [];
        await send([...SAMPLE_SHAPES.map(inputOf), longEvent(20)]);
        await sleep(1500);
        await pipeline.stop('SIGTERM');
        await start();
        await receiver.up();
        await expectAllDelivered('restart');
      });

      it(`with ${spec.prefix}_SYSLOG_HOSTNAME_KEY=none every event comes from the one preset host`, async (ctx) => {
        if (skipReason) ctx.skip(skipReason);
        sent = [];
        receiver.connections = [];
        await pipeline.stop('SIGTERM');
        await start({ [`${spec.prefix}_SYSLOG_HOSTNAME_KEY`]: 'none', [`${spec.prefix}_SYSLOG_HOSTNAME`]: 'sysdig-saas' });
        await send(SAMPLE_SHAPES.map(inputOf), 'sysdig-saas');
        await expectAllDelivered('one preset host');
      });
    });
  }
}

describe('simple examples: Mezmo (logdna output) and a generic webhook (http output)', () => {
  const skipReason = !fluentBit ? NO_FLUENT_BIT : !openssl ? NO_OPENSSL : null;
  let dir;
  let pki;
  beforeAll(() => {
    if (skipReason) return;
    dir = makeTempDir('sysdig-examples-');
    pki = makeTestPki(dir);
  });
  afterAll(async () => {
    if (dir && !process.env.E2E_KEEP_TEMP) await removeDir(dir);
  });

  /** An HTTPS server recording request bodies. */
  const receiver = async () => {
    const port = await freePort();
    const bodies = [];
    const server = https.createServer(
      { key: readFileSync(pki.serverKey), cert: readFileSync(pki.serverCrt) },
      (req, res) => {
        const chunks = [];
        req.on('data', (c) => chunks.push(c));
        req.on('end', () => {
          bodies.push({ path: req.url, headers: req.headers, text: Buffer.concat(chunks).toString('utf8') });
          res.writeHead(200, { 'content-type': 'application/json' });
          res.end('{}');
        });
      },
    );
    await new Promise((resolve) => server.listen(port, '127.0.0.1', resolve));
    return { port, bodies, close: () => new Promise((r) => { server.close(() => r()); server.closeAllConnections(); }) };
  };

  const run = async (config, env, documentsOf) => {
    const sink = await receiver();
    const webhookPort = await freePort();
    const pipeline = await new FluentBitProcess({
      bin: fluentBit,
      config: join(REPO_ROOT, 'fluent-bit', config),
      env: {
        ...envFileDefaults(),
        SYSDIG_NORMALIZER_MODULE: WASM_MODULE, SYSDIG_WEBHOOK_LISTEN: '127.0.0.1', SYSDIG_WEBHOOK_PORT: String(webhookPort),
        SYSDIG_WEBHOOK_TOKEN: WEBHOOK_TOKEN, PIPELINE_STORAGE_PATH: join(dir, `storage-${config}`), PIPELINE_FLUSH_INTERVAL: '0.5',
        ...env(sink.port),
      },
      logPath: join(dir, `${config}.log`),
      readyPorts: [webhookPort],
    }).start();
    try {
      for (const name of SAMPLE_SHAPES) {
        const res = await post(webhookPort, WEBHOOK_PATH, inputOf(name), { Authorization: `Splunk ${WEBHOOK_TOKEN}` });
        expect(res.status).toBe(200);
      }
      await waitFor(() => sink.bodies.flatMap(documentsOf).length >= SAMPLE_SHAPES.length, {
        limitMs: 60000, describe: () => `${SAMPLE_SHAPES.length} documents\n${pipeline.log.slice(-2000)}`,
      });
      const docs = sink.bodies.flatMap(documentsOf);
      for (const name of SAMPLE_SHAPES) {
        const want = parseExact(readFileSync(join(REPO_ROOT, 'host-test', 'golden', name, 'expected.ecs.json'), 'utf8'));
        const got = docs.filter((d) => d.event?.id === want.event.id && d.event?.dataset === want.event.dataset);
        expect(got, name).toHaveLength(1);
        const { created: _c, ingested: _i, ...gotEvent } = got[0].event;
        const { created: _wc, ...wantEvent } = want.event;
        expect({ ...got[0], event: gotEvent }, name).toEqual({ ...want, event: wantEvent });
      }
      // The webhook token stays in Fluent Bit: it is in no request sent on.
      expect(sink.bodies.filter((b) => b.text.includes(WEBHOOK_TOKEN))).toEqual([]);
      counts.push({ case: config, sent: SAMPLE_SHAPES.length, received: docs.length, lost: 0 });
      return sink.bodies;
    } finally {
      await pipeline.stop();
      await sink.close();
    }
  };

  it('Mezmo: every shape\'s ECS document arrives as one line', async (ctx) => {
    if (skipReason) ctx.skip(skipReason);
    const bodies = await run('sysdig-to-mezmo.yaml', (port) => ({
      MEZMO_HOST: '127.0.0.1', MEZMO_PORT: String(port), MEZMO_INGESTION_KEY: 'e2e-key', MEZMO_TLS_CA_FILE: pki.caFile,
    }), (b) => JSON.parse(b.text).lines.map((l) => parseExact(l.line)));
    expect(bodies[0].path).toMatch(/^\/logs\/ingest\?hostname=sysdig-normalizer/);
    expect(bodies[0].headers.authorization).toBe(`Basic ${Buffer.from('e2e-key:').toString('base64')}`);
  });

  it('generic webhook: every shape\'s ECS document arrives (NDJSON)', async (ctx) => {
    if (skipReason) ctx.skip(skipReason);
    const bodies = await run('sysdig-to-webhook.yaml', (port) => ({
      WEBHOOK_HOST: '127.0.0.1', WEBHOOK_PORT: String(port), WEBHOOK_URI: '/sysdig', WEBHOOK_TLS_CA_FILE: pki.caFile,
      WEBHOOK_AUTHORIZATION: 'Bearer e2e',
    }), (b) => b.text.split('\n').filter(Boolean).map((l) => parseExact(l)));
    expect(bodies[0].path).toBe('/sysdig');
    expect(bodies[0].headers.authorization).toBe('Bearer e2e');
  });
});
