// A real single-node Elasticsearch (8.19, the server jars from Maven Central)
// for the tests, on 127.0.0.1. No registry here has an Elasticsearch
// distribution, so the first use fetches the jars with Maven and lays out a
// home folder in a cache outside the repository; later uses start in seconds.
// When Java, javac or Maven is missing, or the fetch fails, `prepare()` says
// why, and the tests that need the node report themselves skipped.

import { spawnSync } from 'node:child_process';
import { spawnTracked } from '../children.mjs';
import {
  copyFileSync, createWriteStream, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync,
} from 'node:fs';
import { createHash } from 'node:crypto';
import { homedir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort, sleep, waitFor } from '../e2e/harness.mjs';
import { parseExact } from '../host.mjs';

export const ES_VERSION = '8.19.21';
const here = dirname(fileURLToPath(import.meta.url));

export function cacheRoot() {
  const base = process.env.SYSDIG_NORMALIZER_CACHE
    ?? join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'sysdig-normalizer');
  return join(base, `elasticsearch-${ES_VERSION}`);
}

function onPath(name) {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (dir && existsSync(join(dir, name))) return join(dir, name);
  }
  return null;
}

/** Java 17 or later from JAVA_HOME or PATH (8.19 runs on 17). */
function findJava() {
  const fromHome = process.env.JAVA_HOME && join(process.env.JAVA_HOME, 'bin');
  const tool = (name) => (fromHome && existsSync(join(fromHome, name)) ? join(fromHome, name) : onPath(name));
  return { java: tool('java'), javac: tool('javac'), jar: tool('jar') };
}

function run(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 64 << 20, ...opts });
  if (r.error || r.status !== 0) {
    throw new Error(`${cmd} ${args.join(' ')} failed (${r.error?.message ?? `exit ${r.status}`}):\n${r.stdout}\n${r.stderr}`);
  }
  return r.stdout;
}

/**
 * Makes sure the node's home folder exists in the cache:
 *   lib/      the server jars (class path)
 *   modules/transport-netty4/  the netty layer, loaded as a module; its netty
 *             jars must not also be on the class path (jar hell)
 *   config/   log4j2.properties
 *   classes-<hash of EsNode.java>/  EsNode.class (see compileLauncher)
 * Returns { home, java, classes } or { skip: reason }. Built in a temporary
 * folder and renamed into place, so two test files preparing at once cannot
 * collide.
 */
export function prepare() {
  const { java, javac, jar } = findJava();
  if (!java || !javac || !jar) return { skip: 'no java, javac and jar (JDK 17 or later) on PATH or in JAVA_HOME' };
  const home = join(cacheRoot(), 'home');
  try {
    if (existsSync(join(home, 'lib'))) return { home, java, classes: compileLauncher(home, javac) };
  } catch (err) {
    return { skip: `could not compile the node's launcher: ${err.message.slice(0, 2000)}` };
  }
  const mvn = onPath('mvn');
  if (!mvn) return { skip: 'no mvn on PATH to fetch the Elasticsearch server jars from Maven Central' };
  const work = `${home}.tmp-${process.pid}`;
  try {
    rmSync(work, { recursive: true, force: true });
    const jars = join(work, 'jars');
    mkdirSync(jars, { recursive: true });
    run(mvn, ['-q', '-B', '-f', join(here, 'pom.xml'), 'dependency:copy-dependencies', `-DoutputDirectory=${jars}`]);
    const lib = join(work, 'lib');
    const module = join(work, 'modules', 'transport-netty4');
    mkdirSync(lib, { recursive: true });
    mkdirSync(module, { recursive: true });
    for (const jar of readdirSync(jars)) {
      const inModule = jar.startsWith('netty-') || jar.startsWith('transport-netty4-');
      copyFileSync(join(jars, jar), join(inModule ? module : lib, jar));
    }
    // The descriptor ships inside the plugin jar. Loaded as a module it would
    // need a named module layer; on the class path it needs no modulename.
    const pluginJar = join(module, `transport-netty4-${ES_VERSION}.jar`);
    const inJar = 'META-INF/es-plugins/transport-netty4/plugin-descriptor.properties';
    run(jar, ['xf', pluginJar, inJar], { cwd: work });
    const descriptor = readFileSync(join(work, inJar), 'utf8');
    writeFileSync(join(module, 'plugin-descriptor.properties'),
      descriptor.split('\n').filter((l) => !l.startsWith('modulename=')).join('\n'));
    rmSync(join(work, 'META-INF'), { recursive: true, force: true });
    mkdirSync(join(work, 'config'), { recursive: true });
    copyFileSync(join(here, 'log4j2.properties'), join(work, 'config', 'log4j2.properties'));
    writeFileSync(join(work, 'config', 'elasticsearch.yml'), '');
    rmSync(jars, { recursive: true, force: true });
    mkdirSync(dirname(home), { recursive: true });
    try {
      renameSync(work, home);
    } catch (err) {
      if (!existsSync(join(home, 'lib'))) throw err;
    }
    return { home, java, classes: compileLauncher(home, javac) };
  } catch (err) {
    return { skip: `could not prepare Elasticsearch ${ES_VERSION} from Maven Central: ${err.message.slice(0, 2000)}` };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/** The launcher's classes, compiled once per version of EsNode.java into a
 *  folder named by its hash: the cache is shared by checkouts of different
 *  versions. */
function compileLauncher(home, javac) {
  const source = join(here, 'EsNode.java');
  const hash = createHash('sha256').update(readFileSync(source)).digest('hex').slice(0, 12);
  const classes = join(home, `classes-${hash}`);
  if (existsSync(join(classes, 'EsNode.class'))) return classes;
  const work = `${classes}.tmp-${process.pid}`;
  try {
    run(javac, ['-d', work, '-cp', join(home, 'lib', '*'), source]);
    try {
      renameSync(work, classes);
    } catch (err) {
      if (!existsSync(join(classes, 'EsNode.class'))) throw err;
    }
    return classes;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/** A node on a port of its own, with its data in `dataDir`. It can be
 *  stopped and started again on the same port and data (an outage). */
export class ElasticsearchNode {
  constructor({
    home, java, classes, dataDir, logPath, lib = join(home, 'lib'), configDir = null, jvmOptions = [], mainClass = 'EsNode',
  }) {
    Object.assign(this, { home, java, classes, dataDir, logPath, lib, configDir, jvmOptions, mainClass });
    this.child = null;
    this.log = '';
  }

  get url() { return `http://127.0.0.1:${this.port}`; }

  async start() {
    this.port ??= await freePort();
    this.transportPort ??= await freePort();
    const log = createWriteStream(this.logPath, { flags: 'a' });
    this.child = spawnTracked('elasticsearch node', this.java, [
      '-Xms512m', '-Xmx512m', '-XX:+UseSerialGC', '-Djava.awt.headless=true', ...this.jvmOptions,
      '-cp', `${join(this.lib, '*')}${delimiter}${this.classes}`,
      this.mainClass, this.home, String(this.port), String(this.transportPort), this.dataDir,
      ...(this.configDir ? [this.configDir] : []),
    ], { stdio: ['ignore', 'pipe', 'pipe'] });
    const append = (chunk) => { this.log += chunk; log.write(chunk); };
    this.child.stdout.on('data', append);
    this.child.stderr.on('data', append);
    const child = this.child;
    this.exited = new Promise((resolve) => child.on('exit', (code, signal) => { log.end(); resolve({ code, signal }); }));
    let exit = null;
    this.exited.then((e) => { exit = e; });
    // When the wait fails the caller holds no started node: stop it here.
    await waitFor(async () => {
      if (exit) throw new Error(`Elasticsearch exited during start (${JSON.stringify(exit)}):\n${this.log.slice(-4000)}`);
      try {
        const res = await this.request('GET', '/_cluster/health?wait_for_status=yellow&timeout=1s');
        return res.status === 200;
      } catch {
        return false;
      }
    }, { limitMs: 180000, everyMs: 250, describe: () => `Elasticsearch on ${this.port}\n${this.log.slice(-4000)}` })
      .catch(async (error) => { await this.stop(); throw error; });
    return this;
  }

  async stop(signal = 'SIGTERM') {
    if (!this.child) return;
    const child = this.child;
    this.child = null;
    child.kill(signal);
    const done = await Promise.race([this.exited, sleep(30000).then(() => null)]);
    if (!done) {
      child.kill('SIGKILL');
      await this.exited;
    }
  }

  /** One REST call; the answer with its status, parsed exactly (integers
   *  beyond 2^53 as BigInt), as the documents were sent. */
  async request(method, path, body) {
    const init = { method, headers: {} };
    if (body !== undefined) {
      init.body = typeof body === 'string' ? body : JSON.stringify(body);
      init.headers['content-type'] = path.includes('_bulk') ? 'application/x-ndjson' : 'application/json';
    }
    const res = await fetch(`${this.url}${path}`, init);
    const text = await res.text();
    let json = null;
    try { json = parseExact(text); } catch { /* not JSON */ }
    return { status: res.status, json, text };
  }
}

