// Vector with vector/vector.yaml as shipped, for the end-to-end suites: its
// webhook on loopback, a Splunk HEC receiver and, for Elasticsearch, either
// the _bulk receiver (vector-receivers.mjs) or a real node, each behind a
// fault proxy (harness.mjs) that can take it down and bring it back.

import { mkdirSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { FaultProxy, FluentBitProcess, REPO_ROOT, findVector, freePort, makeTempDir, post, removeDir, waitFor } from './harness.mjs';
import { BulkReceiver, HecReceiver, NUDGE_ID_PREFIX } from './vector-receivers.mjs';

export const VECTOR_CONFIG = join(REPO_ROOT, 'vector', 'vector.yaml');
const VRL_DIR = join(REPO_ROOT, 'vector', 'vrl');
export const WEBHOOK_PATH = '/services/collector/event';
export const WEBHOOK_TOKEN = 'e2e-vector-webhook-5c1d9e7a3b2f4d60';
const HEC_TOKEN = 'e2e-vector-hec-8a7b6c5d4e3f2a1b';
export const ES_INDEX = 'sysdig-vector-e2e';
/** How long Vector may take to listen: a dev-profile Vector compiles the
 *  remap programs for some 40 s on an idle 2-core machine, several times that
 *  while other suites load the cores. Readiness is the webhook accepting
 *  connections: Vector starts its sources only once every transform is built. */
export const START_LIMIT_MS = Number(process.env.VECTOR_START_LIMIT_MS ?? 360000);
export const CASE_LIMIT_MS = 240000;
/** A case that starts Vector (or restarts it) may take its start too. */
export const START_CASE_LIMIT_MS = CASE_LIMIT_MS + START_LIMIT_MS;
/** How long the receivers may get nothing new before a wait sends a nudge
 *  event (VectorRig.waitFor), and the event (an audit command). */
const NUDGE_AFTER_MS = 8000;
const NUDGE_EVENT = { type: 'command', cmdline: 'true', comm: 'true', timestamp: 1605540695178065200 };
export const AUTH = { authorization: `Splunk ${WEBHOOK_TOKEN}` };

export const VECTOR = findVector();
export const SKIP = VECTOR ? null : 'no vector binary: set VECTOR_BIN or put vector on PATH (Vector 0.55 or later with the features vector/README.md lists)';


/** Vector with vector.yaml, two receivers and a fault proxy in front of each. */
/** "path size" of every file under Vector's data dir (the disk buffers). */
function bufferFiles(dir) {
  const out = [];
  const walk = (d) => {
    let entries = [];
    try { entries = readdirSync(d, { withFileTypes: true }); } catch { return; }
    for (const e of entries) {
      const path = join(d, e.name);
      if (e.isDirectory()) walk(path);
      else out.push(`${path.slice(dir.length + 1)} ${statSync(path, { throwIfNoEntry: false })?.size ?? '?'}`);
    }
  };
  walk(dir);
  return out;
}

export class VectorRig {
  constructor(label) {
    this.dir = makeTempDir(`sysdig-vector-e2e-${label}-`);
    this.processes = [];
    this.nudged = 0;
    /** What was seen each time a wait had to nudge (waitUntil). */
    this.stalls = [];
  }

  /** Starts everything; when a part fails to start, stops what did and throws. */
  async start(options = {}) {
    try {
      await this.startParts(options);
    } catch (error) {
      await this.stop();
      throw error;
    }
    return this;
  }

  /** esUpstreamPort: a real Elasticsearch node's port (else the _bulk receiver). */
  async startParts({ webhookToken = WEBHOOK_TOKEN, env = {}, esUpstreamPort = null }) {
    this.extraEnv = env;
    this.es = esUpstreamPort === null ? await new BulkReceiver().start() : null;
    this.hec = await new HecReceiver(HEC_TOKEN).start();
    this.esProxy = new FaultProxy({ name: 'elasticsearch', port: await freePort(), upstreamPort: esUpstreamPort ?? this.es.port });
    this.hecProxy = new FaultProxy({ name: 'splunk-hec', port: await freePort(), upstreamPort: this.hec.port });
    await this.esProxy.up();
    await this.hecProxy.up();
    this.webhookPort = await freePort();
    this.webhookToken = webhookToken;
    await this.startVector();
  }

  env() {
    const env = {
      HOME: this.dir,
      SYSDIG_NORMALIZER_VRL_DIR: VRL_DIR,
      VECTOR_DATA_DIR: join(this.dir, 'data'),
      SYSDIG_WEBHOOK_ADDRESS: `127.0.0.1:${this.webhookPort}`,
      ES_ENDPOINT: `http://127.0.0.1:${this.esProxy.port}`,
      ES_INDEX,
      ES_RETRY_MAX_BACKOFF_SECS: '2',
      SPLUNK_HEC_ENDPOINT: `http://127.0.0.1:${this.hecProxy.port}`,
      SPLUNK_HEC_TOKEN: HEC_TOKEN,
      SPLUNK_HEC_RETRY_MAX_BACKOFF_SECS: '2',
      // Short shutdown: with the receivers down, what is buffered stays on disk.
      VECTOR_GRACEFUL_SHUTDOWN_LIMIT_SECS: '3',
      VECTOR_LOG: 'info',
    };
    if (this.webhookToken !== null) env.SYSDIG_WEBHOOK_TOKEN = this.webhookToken;
    return { ...env, ...this.extraEnv };
  }

  async startVector() {
    mkdirSync(join(this.dir, 'data'), { recursive: true });
    this.vector = new FluentBitProcess({
      name: 'vector',
      bin: VECTOR,
      // Vector reads a comma-separated list of config files.
      config: (this.configPaths ?? [VECTOR_CONFIG]).join(','),
      env: this.env(),
      logPath: join(this.dir, `vector-${this.processes.length}.log`),
      readyPorts: [this.webhookPort, ...(this.extraReadyPorts ?? [])],
      readyLimitMs: START_LIMIT_MS,
    });
    this.processes.push(this.vector);
    await this.vector.start();
    console.log(`vector e2e: Vector listened ${this.vector.startMs} ms after it was started`);
  }

  async restartVector() {
    await this.vector.stop('SIGTERM');
    await this.startVector();
  }

  send(body, headers = AUTH, tls = null) {
    return post(this.webhookPort, WEBHOOK_PATH, body, headers, tls);
  }

  /** Waits until the receivers hold esCount items and hecCount events.
   *  Vector's disk buffer reader can miss the notice of a write and leave
   *  the event in the buffer until the next write or a restart
   *  (vectordotdev/vector#22946; seen here as a sink that sent nothing for
   *  minutes while the other delivered). A stream's next event wakes it;
   *  these tests send one event at a time, so after NUDGE_AFTER_MS with
   *  nothing new arriving, a nudge event (its own id, which the receivers
   *  keep out of what the tests count) is sent to do what the next event
   *  would. What the test sent must still arrive, each exactly as counted. */
  async waitFor(esCount, hecCount, what) {
    await this.waitUntil(
      () => this.es.items.length >= esCount && this.hec.events.length >= hecCount,
      () => this.es.items.length + this.hec.events.length,
      () => `${what}: ${this.es.items.length}/${esCount} bulk items, ${this.hec.events.length}/${hecCount} HEC events`,
    );
  }

  /** Waits until done() holds, nudging (as above) while progress() stays
   *  the same for NUDGE_AFTER_MS. */
  async waitUntil(done, progress, describe) {
    let seen = -1;
    let quietSince = Date.now();
    await waitFor(async () => {
      if (await done()) return true;
      const now = await progress();
      if (now !== seen) {
        seen = now;
        quietSince = Date.now();
      } else if (Date.now() - quietSince > NUDGE_AFTER_MS) {
        // What a stall looks like from outside, before the nudge ends it:
        // the disk buffers' files and what each sink has sent so far.
        this.stalls.push({
          what: describe(),
          esRequests: this.esProxy.requests.length,
          hecRequests: this.hecProxy.requests.length,
          buffers: bufferFiles(join(this.dir, 'data')),
        });
        await this.send(JSON.stringify({ ...NUDGE_EVENT, id: `${NUDGE_ID_PREFIX}${++this.nudged}` }));
        quietSince = Date.now();
      }
      return false;
    }, {
      limitMs: Number(process.env.VECTOR_E2E_WAIT_MS ?? 180000),
      describe: () => `${describe()} (${this.nudged} nudges sent); ` +
        `proxy answers: es ${this.esProxy.requests.map((r) => `${r.method} ${r.path} ${r.status}`).join(', ')}; ` +
        `hec ${this.hecProxy.requests.map((r) => `${r.method} ${r.path} ${r.status}`).join(', ')}\n${this.vector.log.slice(-3000)}`,
    });
  }

  async stop() {
    await this.vector?.stop('SIGTERM');
    await this.esProxy?.down();
    await this.hecProxy?.down();
    await this.es?.stop();
    await this.hec?.stop();
    await removeDir(this.dir);
  }
}
