// Processes and loopback plumbing for the end-to-end suite: finds the Fluent
// Bit binaries, starts the shipped pipeline and the receiver Fluent Bit, and
// puts a small fault-injecting HTTP proxy in front of each receiver.

import { execFileSync } from 'node:child_process';
import { existsSync, accessSync, constants, mkdtempSync, readFileSync, createWriteStream, writeFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import os, { tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { spawnTracked, stopChild } from '../children.mjs';

export const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const PIPELINE_CONFIG = join(REPO_ROOT, 'fluent-bit', 'sysdig-to-elasticsearch-and-splunk.yaml');
export const TWO_WEBHOOKS_CONFIG = join(REPO_ROOT, 'fluent-bit', 'sysdig-two-webhooks-to-elasticsearch-and-splunk.yaml');
export const RECEIVER_CONFIG = fileURLToPath(new URL('./receivers.yaml', import.meta.url));
export const WASM_MODULE = join(REPO_ROOT, 'build', 'sysdig_normalizer.wasm');
export const ENV_EXAMPLE = join(REPO_ROOT, 'fluent-bit', '.env.example');

/**
 * The variables of fluent-bit/.env.example, as a user gets them by copying
 * the file: the shipped pipelines have no defaults of their own, so every
 * test starts from these and overrides only what it must (ports, hosts,
 * paths, tokens). A line is NAME=VALUE, taken literally.
 */
export function envFileDefaults(path = ENV_EXAMPLE) {
  const env = {};
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    if (line.trim() === '' || line.startsWith('#')) continue;
    const match = /^([A-Z][A-Z0-9_]*)=(.*)$/.exec(line);
    if (!match) throw new Error(`${path}: not NAME=VALUE: ${line}`);
    env[match[1]] = match[2];
  }
  return env;
}

export function isExecutable(path) {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** The first executable `name` on PATH, or null. */
export function whichOnPath(name) {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (dir && isExecutable(join(dir, name))) return join(dir, name);
  }
  return null;
}

export function hasOpenssl() {
  return whichOnPath('openssl') !== null;
}

/** Fluent Bit from FLUENT_BIT_BIN or PATH, or null. */
export function findFluentBit() {
  const fromEnv = process.env.FLUENT_BIT_BIN;
  if (fromEnv) return isExecutable(fromEnv) ? fromEnv : null;
  return whichOnPath('fluent-bit');
}

/** Vector from VECTOR_BIN or PATH, or null. */
export function findVector() {
  const fromEnv = process.env.VECTOR_BIN;
  if (fromEnv) return isExecutable(fromEnv) ? fromEnv : null;
  return whichOnPath('vector');
}

/** flb-wamrc from FLB_WAMRC_BIN, PATH, or next to the fluent-bit binary. */
export function findWamrc(fluentBit = findFluentBit()) {
  const fromEnv = process.env.FLB_WAMRC_BIN;
  if (fromEnv) return isExecutable(fromEnv) ? fromEnv : null;
  const onPath = whichOnPath('flb-wamrc');
  if (onPath) return onPath;
  if (fluentBit) {
    const beside = join(dirname(fluentBit), 'flb-wamrc');
    if (isExecutable(beside)) return beside;
  }
  return null;
}

export function fluentBitVersion(bin) {
  return execFileSync(bin, ['--version'], { encoding: 'utf8' }).split('\n')[0].trim();
}

/** Flags per architecture for a portable .aot: x86-64-v2 (SSE4.2, POPCNT:
 *  Intel since Nehalem, 2008, AMD since Bulldozer, 2011; RHEL 9's
 *  baseline) and the ARMv8.0 base (every 64-bit ARM server). */
export const PORTABLE_AOT_TARGETS = {
  x86_64: ['--target=x86_64', '--cpu=x86-64-v2'],
  aarch64: ['--target=aarch64', '--cpu=generic'],
};
export const HOST_ARCH = { x64: 'x86_64', arm64: 'aarch64' }[os.arch()] ?? null;
/** The portable flags for this machine's architecture. */
export const PORTABLE_AOT_FLAGS = HOST_ARCH ? PORTABLE_AOT_TARGETS[HOST_ARCH] : [];

/** Compiles the .wasm ahead of time into dir, with the portable flags that
 *  `npm run aot` uses, so the suites run the .aot users are told to make;
 *  returns the .aot path. */
export function compileAot(wamrc, wasmPath, dir) {
  const out = join(dir, 'sysdig_normalizer.aot');
  execFileSync(wamrc, [...PORTABLE_AOT_FLAGS, '-o', out, wasmPath], { stdio: ['ignore', 'pipe', 'pipe'] });
  if (!existsSync(out)) throw new Error(`${wamrc} did not write ${out}`);
  return out;
}

export function makeTempDir(prefix) {
  return mkdtempSync(join(tmpdir(), prefix));
}

export async function removeDir(dir) {
  await rm(dir, { recursive: true, force: true });
}

/** A TCP port that was free a moment ago on 127.0.0.1. */
export function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Polls check() until it returns a truthy value, or throws after `limitMs`
 * with describe() in the message. The limit only bounds a hung test; no
 * test asserts on how long anything took.
 */
export async function waitFor(check, { limitMs = 60000, everyMs = 100, describe = () => '' } = {}) {
  const deadline = Date.now() + limitMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`gave up waiting: ${describe()}`);
    await sleep(everyMs);
  }
}

function canConnect(port) {
  return new Promise((resolve) => {
    const socket = net.connect({ port, host: '127.0.0.1' });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/**
 * A running fluent-bit (or another server started as `bin -c config`, such
 * as Vector). Its stdout and stderr go to logPath and are kept in memory for
 * log checks. start() resolves once every port of readyPorts accepts a
 * connection; when it throws, the process has been stopped.
 */
export class FluentBitProcess {
  /** args: the whole command line after bin; default `-c config`.
   *  readyLimitMs: how long start() waits for readyPorts; name: what the
   *  process is called in messages. */
  constructor({ bin, config, args = null, env, logPath, readyPorts, name = 'fluent-bit', readyLimitMs = 30000 }) {
    this.bin = bin;
    this.config = config;
    this.args = args ?? ['-c', config];
    this.env = env;
    this.logPath = logPath;
    this.readyPorts = readyPorts;
    this.name = name;
    this.readyLimitMs = readyLimitMs;
    this.log = '';
    this.child = null;
    this.exit = null;
  }

  async start() {
    const logStream = createWriteStream(this.logPath, { flags: 'a' });
    // Only the variables given: the suite must not depend on the caller's
    // environment, and the shipped config must not pick up stray values.
    this.child = spawnTracked(this.name, this.bin, this.args, {
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...this.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const append = (chunk) => {
      this.log += chunk.toString();
      logStream.write(chunk);
    };
    this.child.stdout.on('data', append);
    this.child.stderr.on('data', append);
    this.exited = new Promise((resolve) => {
      this.child.on('exit', (code, signal) => {
        this.exit = { code, signal };
        logStream.end();
        resolve(this.exit);
      });
    });
    const started = Date.now();
    try {
      await waitFor(
        async () => {
          if (this.exit) throw new Error(`${this.name} exited during start (${JSON.stringify(this.exit)}):\n${this.log}`);
          for (const port of this.readyPorts) if (!(await canConnect(port))) return false;
          return true;
        },
        { limitMs: this.readyLimitMs, describe: () => `${this.name} to listen on ${this.readyPorts} within ${this.readyLimitMs} ms\n${this.log}` },
      );
    } catch (error) {
      // Nobody holds this process yet (the caller's start() threw): stop it here.
      await stopChild(this.child);
      throw error;
    }
    this.startMs = Date.now() - started;
    return this;
  }

  /** Stops it with `signal` and waits for the exit. */
  async stop(signal = 'SIGTERM') {
    if (!this.child || this.exit) return this.exit;
    this.child.kill(signal);
    const exit = await Promise.race([this.exited, sleep(30000).then(() => null)]);
    if (!exit) {
      this.child.kill('SIGKILL');
      return this.exited;
    }
    return exit;
  }

  /** Log lines that look like errors Fluent Bit should never print here. */
  errorLines() {
    return this.log.split('\n').filter((line) => /\[ ?error\]|exception|invalid JSON|corrupt/i.test(line));
  }
}

/**
 * An HTTP proxy in front of a receiver. It records every request it gets
 * (method, path, decoded body, status, and the receiver's answer text) and can refuse requests with a status
 * code or be "down" (listening socket closed: connection refused).
 */
export class FaultProxy {
  constructor({ name, port, upstreamPort }) {
    this.name = name;
    this.port = port;
    this.upstreamPort = upstreamPort;
    this.requests = [];
    this.failNext = 0;
    this.failStatus = 503;
    this.failBody = null;
    this.loseAnswers = 0;
    this.server = null;
  }

  /**
   * Answers the next `count` requests with `status` (and `body`, a function
   * of the request text) instead of forwarding them.
   */
  failRequests(count, status, body = null) {
    this.failNext = count;
    this.failStatus = status;
    this.failBody = body;
  }

  /**
   * Forwards the next `count` requests, but answers 503 instead of the
   * receiver's answer: the data got stored, the acknowledgement got lost.
   */
  loseAnswersAfterStoring(count) {
    this.loseAnswers = count;
  }

  async up() {
    if (this.server) return;
    const server = http.createServer((req, res) => this.handle(req, res));
    // Longer than Fluent Bit keeps idle upstream connections (net.keepalive_idle_timeout 30s).
    server.keepAliveTimeout = 60000;
    await new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, '127.0.0.1', resolve);
    });
    this.server = server;
  }

  async down() {
    const { server } = this;
    if (!server) return;
    this.server = null;
    await new Promise((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  }

  handle(req, res) {
    const chunks = [];
    req.on('data', (chunk) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      let text;
      try {
        text = (req.headers['content-encoding'] === 'gzip' ? gunzipSync(body) : body).toString('utf8');
      } catch (error) {
        text = `<undecodable body: ${error.message}>`;
      }
      const entry = { method: req.method, path: req.url, headers: req.headers, text, status: null };
      this.requests.push(entry);
      if (this.failNext > 0) {
        this.failNext--;
        entry.status = this.failStatus;
        entry.injected = true;
        res.writeHead(this.failStatus, { 'content-type': 'application/json' });
        res.end(
          this.failBody
            ? this.failBody(text)
            : JSON.stringify({ error: `injected ${this.failStatus} by the e2e fault proxy` }),
        );
        return;
      }
      const loseAnswer = this.loseAnswers > 0;
      if (loseAnswer) this.loseAnswers--;
      const upstream = http.request(
        { host: '127.0.0.1', port: this.upstreamPort, method: req.method, path: req.url, headers: req.headers },
        (upstreamRes) => {
          if (loseAnswer) {
            upstreamRes.resume();
            upstreamRes.on('end', () => {
              entry.status = 503;
              entry.injected = true;
              entry.storedStatus = upstreamRes.statusCode;
              res.writeHead(503, { 'content-type': 'application/json' });
              res.end(JSON.stringify({ error: 'answer lost (injected by the e2e fault proxy)' }));
            });
            return;
          }
          entry.status = upstreamRes.statusCode;
          res.writeHead(upstreamRes.statusCode, upstreamRes.headers);
          // Kept for the tests that read what the receiver answered.
          const answer = [];
          upstreamRes.on('data', (chunk) => answer.push(chunk));
          upstreamRes.on('end', () => { entry.answer = Buffer.concat(answer).toString('utf8'); });
          upstreamRes.pipe(res);
        },
      );
      upstream.on('error', (error) => {
        entry.status = 502;
        res.writeHead(502, { 'content-type': 'text/plain' });
        res.end(`e2e proxy: upstream error ${error.message}`);
      });
      upstream.end(body);
    });
  }

  /** Requests answered with a fault (an error status or error items). */
  refusedCount() {
    return this.requests.filter((r) => r.injected || (r.status !== null && r.status >= 400)).length;
  }
}

/** Reads the complete lines of a JSON-lines file written by the receiver's
 *  file output. Text after the last newline is a line still being written
 *  (a poll can land mid-write: seen once in CI as a parse error); it is read
 *  on a later poll, once whole. */
export function readJsonLines(path, parse) {
  if (!existsSync(path)) return [];
  const text = readFileSync(path, 'utf8');
  return text
    .slice(0, text.lastIndexOf('\n') + 1)
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => parse(line));
}

/**
 * POSTs a body to the webhook; resolves to { status, body }. With `tls`
 * ({ ca, cert?, key? }) it speaks HTTPS.
 */
export function post(port, path, body, headers = {}, tls = null) {
  return new Promise((resolve, reject) => {
    const data = Buffer.from(body);
    const req = (tls ? https : http).request(
      {
        host: '127.0.0.1',
        port,
        path,
        method: 'POST',
        headers: { 'content-type': 'application/json', 'content-length': data.length, ...headers },
        agent: false,
        ...(tls ?? {}),
      },
      (res) => {
        const chunks = [];
        res.on('data', (chunk) => chunks.push(chunk));
        res.on('end', () => resolve({ status: res.statusCode, body: Buffer.concat(chunks).toString('utf8') }));
      },
    );
    req.on('error', reject);
    req.end(data);
  });
}

/**
 * Makes a throwaway PKI with openssl: a server certificate for 127.0.0.1,
 * a client certificate from the trusted CA, and one from another CA.
 */
export function makeTestPki(dir) {
  const run = (...args) => execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  const ca = (name) => {
    run('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', `/CN=${name}`,
      '-keyout', `${name}.key`, '-out', `${name}.crt`);
  };
  const leaf = (name, caName, extensions) => {
    run('req', '-newkey', 'rsa:2048', '-nodes', '-subj', `/CN=${name}`, '-keyout', `${name}.key`, '-out', `${name}.csr`);
    writeFileSync(join(dir, `${name}.ext`), extensions);
    run('x509', '-req', '-in', `${name}.csr`, '-CA', `${caName}.crt`, '-CAkey', `${caName}.key`,
      '-CAcreateserial', '-days', '2', '-extfile', `${name}.ext`, '-out', `${name}.crt`);
  };
  ca('trusted-ca');
  ca('other-ca');
  leaf('server', 'trusted-ca', 'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n');
  leaf('client', 'trusted-ca', 'extendedKeyUsage=clientAuth\n');
  leaf('rogue-client', 'other-ca', 'extendedKeyUsage=clientAuth\n');
  const file = (name) => join(dir, name);
  const read = (name) => readFileSync(file(name));
  return {
    serverCrt: file('server.crt'),
    serverKey: file('server.key'),
    caFile: file('trusted-ca.crt'),
    ca: read('trusted-ca.crt'),
    client: { cert: read('client.crt'), key: read('client.key') },
    rogueClient: { cert: read('rogue-client.crt'), key: read('rogue-client.key') },
  };
}
