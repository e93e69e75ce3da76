// The same Elasticsearch 8.19 node as node.mjs, with security on as every
// 8.x cluster starts: X-Pack security (x-pack-core and x-pack-security from
// Maven Central), TLS on HTTP with a CA the test makes (openssl), a user in
// the file realm whose password has spaces and shell metacharacters, and API
// keys made through the API.
//
// What it took beyond the bare node, each found by starting it:
//  - x-pack-core and x-pack-security as modules, each in a folder of its own
//    with the jars of its dependency tree that are not server jars (security
//    extends core, so none of core's either). Two pairs of jars in security's
//    tree hold the same classes (jakarta.activation and its -api; the two
//    jcip-annotations): one of each is left out, else "jar hell".
//  - OpenSAML, which the SAML realm uses, is not on Maven Central (only in
//    Shibboleth's repository). Guice links every transport action of the
//    plugin when the node starts, SAML's included, and verifying those
//    classes needs OpenSAML's: NoClassDefFoundError
//    org/opensaml/saml/saml2/core/StatusResponseType. The node runs with
//    -XX:-BytecodeVerificationRemote, so SAML's classes link without it; no
//    SAML code runs (no SAML realm is configured). A subclass of the plugin
//    that drops the SAML actions is refused: the plugin's extensions must
//    take the plugin's own class.
//  - The `.security` index (users' API keys live there) wants an analyzer
//    from the analysis-common module, not on Maven Central either:
//    SecurityIndexAnalysis.java provides its three parts.
//  - `transport.type` and `http.type` are `security4`, the plugin's own.
//
// Skipped, with the reason, like node.mjs, and also without openssl.

import { execFileSync } from 'node:child_process';
import { pbkdf2Sync, randomBytes } from 'node:crypto';
import {
  copyFileSync, cpSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync,
} from 'node:fs';
import { request as httpsRequest } from 'node:https';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { makeTestPki, whichOnPath } from '../e2e/harness.mjs';
import { parseExact } from '../host.mjs';
import { ES_VERSION, ElasticsearchNode, cacheRoot, prepare } from './node.mjs';

const here = dirname(fileURLToPath(import.meta.url));

/** The file-realm user the tests (and the installer, and the shippers) use. */
export const SECURED_USER = 'sysdig_writer';
/** Spaces, quotes of both kinds, a backslash, `$(...)`, backticks, `;&|<>*#!%`
 *  and a colon: whatever a shell, a config parser or Basic auth could split
 *  or expand. */
export const SECURED_PASSWORD = `p@ss w0rd $(id) \`id\` "dq" 'sq' \\ ;&|<>*#!% :x`;

/** Jars that duplicate another jar's classes in x-pack-security's tree. */
const DUPLICATE_JARS = [/^jakarta\.activation-api-/, /^jcip-annotations-1\.0-1\.jar$/];

function run(cmd, args, opts = {}) {
  try {
    return execFileSync(cmd, args, { encoding: 'utf8', maxBuffer: 64 << 20, stdio: ['ignore', 'pipe', 'pipe'], ...opts });
  } catch (err) {
    throw new Error(`${cmd} ${args.join(' ')} failed: ${err.message}\n${err.stdout ?? ''}\n${err.stderr ?? ''}`);
  }
}

/** A module folder's descriptor, taken from the plugin jar without its
 *  `modulename=` line (the modules load on the class path, not as named
 *  modules), optionally with another class name. */
function writeDescriptor(jarTool, moduleDir, pluginJar, name, work) {
  const inJar = `META-INF/es-plugins/${name}/plugin-descriptor.properties`;
  run(jarTool, ['xf', pluginJar, inJar], { cwd: work });
  const text = readFileSync(join(work, inJar), 'utf8');
  writeFileSync(join(moduleDir, 'plugin-descriptor.properties'),
    text.split('\n').filter((l) => !l.startsWith('modulename=')).join('\n'));
  rmSync(join(work, 'META-INF'), { recursive: true, force: true });
}

/**
 * The secured node's home in the cache, next to the bare node's:
 *   modules/transport-netty4/, x-pack-core/, x-pack-security/,
 *   security-index-analysis/
 * (the server jars and the launcher stay the bare node's). Returns what
 * SecuredElasticsearchNode takes, or { skip: reason }.
 */
export function prepareSecured() {
  const base = prepare();
  if (base.skip) return base;
  if (!whichOnPath('openssl')) return { skip: 'no openssl on PATH to make the test CA and certificates' };
  const jdkBin = dirname(base.java);
  const tool = (name) => (existsSync(join(jdkBin, name)) ? join(jdkBin, name) : whichOnPath(name));
  const [javac, jarTool, mvn] = [tool('javac'), tool('jar'), whichOnPath('mvn')];
  const home = join(cacheRoot(), 'secured-home');
  const ready = () => existsSync(join(home, 'modules', 'security-index-analysis', 'plugin-descriptor.properties'));
  const setup = { java: base.java, classes: base.classes, lib: join(base.home, 'lib'), home };
  if (ready()) return setup;
  if (!mvn) return { skip: 'no mvn on PATH to fetch x-pack-core and x-pack-security from Maven Central' };
  const work = `${home}.tmp-${process.pid}`;
  try {
    rmSync(work, { recursive: true, force: true });
    const fetchJars = (pom, into) => {
      mkdirSync(into, { recursive: true });
      run(mvn, ['-q', '-B', '-f', join(here, pom), 'dependency:copy-dependencies', `-DoutputDirectory=${into}`]);
      return readdirSync(into);
    };
    const coreTree = fetchJars('pom-x-pack-core.xml', join(work, 'core-jars'));
    const bothTrees = fetchJars('pom-x-pack-security.xml', join(work, 'all-jars'));
    const serverJars = new Set(readdirSync(setup.lib));
    const modules = join(work, 'modules');
    cpSync(join(base.home, 'modules', 'transport-netty4'), join(modules, 'transport-netty4'), { recursive: true });
    const core = join(modules, 'x-pack-core');
    const security = join(modules, 'x-pack-security');
    mkdirSync(core, { recursive: true });
    mkdirSync(security, { recursive: true });
    for (const jar of coreTree) {
      if (!serverJars.has(jar)) copyFileSync(join(work, 'core-jars', jar), join(core, jar));
    }
    for (const jar of bothTrees) {
      if (serverJars.has(jar) || coreTree.includes(jar) || DUPLICATE_JARS.some((re) => re.test(jar))) continue;
      copyFileSync(join(work, 'all-jars', jar), join(security, jar));
    }
    writeDescriptor(jarTool, core, join(core, `x-pack-core-${ES_VERSION}.jar`), 'x-pack-core', work);
    writeDescriptor(jarTool, security, join(security, `x-pack-security-${ES_VERSION}.jar`), 'x-pack-security', work);
    const analysis = join(modules, 'security-index-analysis');
    const analysisClasses = join(work, 'analysis-classes');
    mkdirSync(analysis, { recursive: true });
    run(javac, ['-nowarn', '-d', analysisClasses, '-cp', join(setup.lib, '*'), join(here, 'SecurityIndexAnalysis.java')]);
    run(jarTool, ['cf', join(analysis, 'security-index-analysis.jar'), '-C', analysisClasses, '.']);
    writeFileSync(join(analysis, 'plugin-descriptor.properties'), [
      'description=the analysis parts of the .security index (tests only)',
      'version=1', 'name=security-index-analysis', 'classname=SecurityIndexAnalysis',
      'java.version=17', `elasticsearch.version=${ES_VERSION}`, '',
    ].join('\n'));
    for (const dir of ['core-jars', 'all-jars', 'analysis-classes']) rmSync(join(work, dir), { recursive: true, force: true });
    try {
      renameSync(work, home);
    } catch (err) {
      if (!ready()) throw err;
    }
    return setup;
  } catch (err) {
    return { skip: `could not prepare the secured Elasticsearch ${ES_VERSION} node: ${err.message.slice(0, 2000)}` };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/** The file realm's hash of a password, in Elasticsearch's PBKDF2 format
 *  (PBKDF2WithHmacSHA512, 10000 rounds, 32-byte salt and key). */
export function pbkdf2Hash(password) {
  const salt = randomBytes(32);
  const key = pbkdf2Sync(Buffer.from(password, 'utf8'), salt, 10000, 32, 'sha512');
  return `{PBKDF2}10000$${salt.toString('base64')}$${key.toString('base64')}`;
}

/**
 * A secured node in `dir` (its config, certificates and data). `pki` holds
 * the CA that signed the node's certificate (`caFile`) and another CA's
 * certificate (`otherCaFile`), for the untrusted case.
 */
export class SecuredElasticsearchNode extends ElasticsearchNode {
  constructor({ dir, ...setup }) {
    const configDir = join(dir, 'config');
    super({
      ...setup,
      configDir,
      dataDir: join(dir, 'data'),
      logPath: join(dir, 'node.log'),
      jvmOptions: ['-XX:+UnlockDiagnosticVMOptions', '-XX:-BytecodeVerificationRemote'],
    });
    mkdirSync(configDir, { recursive: true });
    const pkiDir = join(dir, 'pki');
    mkdirSync(pkiDir, { recursive: true });
    const pki = makeTestPki(pkiDir);
    this.pki = { ...pki, otherCaFile: join(pkiDir, 'other-ca.crt') };
    this.ca = readFileSync(pki.caFile);
    copyFileSync(pki.serverCrt, join(configDir, 'node.crt'));
    copyFileSync(pki.serverKey, join(configDir, 'node.key'));
    copyFileSync(pki.caFile, join(configDir, 'ca.crt'));
    copyFileSync(join(here, 'log4j2.properties'), join(configDir, 'log4j2.properties'));
    writeFileSync(join(configDir, 'users'), `${SECURED_USER}:${pbkdf2Hash(SECURED_PASSWORD)}\n`);
    writeFileSync(join(configDir, 'users_roles'), `superuser:${SECURED_USER}\n`);
    writeFileSync(join(configDir, 'elasticsearch.yml'), [
      'xpack.security.enabled: true',
      'xpack.license.self_generated.type: basic',
      'transport.type: security4',
      'http.type: security4',
      'xpack.security.http.ssl.enabled: true',
      'xpack.security.http.ssl.key: node.key',
      'xpack.security.http.ssl.certificate: node.crt',
      'xpack.security.http.ssl.certificate_authorities: [ ca.crt ]',
      // One node, discovery.type single-node: no transport TLS needed.
      'xpack.security.transport.ssl.enabled: false',
      '',
    ].join('\n'));
    this.auth = { user: SECURED_USER, password: SECURED_PASSWORD };
  }

  get url() { return `https://127.0.0.1:${this.port}`; }

  /** The Authorization header for `auth`: { user, password } or { apiKey }. */
  static authorization(auth) {
    if (!auth) return null;
    if (auth.apiKey) return `ApiKey ${auth.apiKey}`;
    return `Basic ${Buffer.from(`${auth.user}:${auth.password}`, 'utf8').toString('base64')}`;
  }

  /** One REST call over TLS (verified against the test CA), as the file
   *  realm user unless `auth` says otherwise (null: none). */
  request(method, path, body, { auth = this.auth } = {}) {
    const headers = {};
    const authorization = SecuredElasticsearchNode.authorization(auth);
    if (authorization) headers.authorization = authorization;
    let data;
    if (body !== undefined) {
      data = typeof body === 'string' ? body : JSON.stringify(body);
      headers['content-type'] = path.includes('_bulk') ? 'application/x-ndjson' : 'application/json';
      // Node sends a DELETE body chunked unless told its length; the node
      // then reads no body and takes it for the next request.
      headers['content-length'] = Buffer.byteLength(data);
    }
    return new Promise((resolve, reject) => {
      const req = httpsRequest({
        host: '127.0.0.1', port: this.port, method, path, headers, ca: this.ca,
      }, (res) => {
        const chunks = [];
        res.on('data', (c) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let json = null;
          try { json = parseExact(text); } catch { /* not JSON */ }
          resolve({ status: res.statusCode, json, text, headers: res.headers });
        });
      });
      req.on('error', reject);
      req.end(data);
    });
  }

  /** A new API key of the file realm user (all of its privileges); the
   *  `encoded` form is what Authorization: ApiKey and the shippers take. */
  async createApiKey(name) {
    const res = await this.request('POST', '/_security/api_key', { name });
    if (res.status !== 200) throw new Error(`creating API key ${name}: ${res.status} ${res.text}`);
    return res.json;
  }
}
