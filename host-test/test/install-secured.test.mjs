// elasticsearch/install.sh against Elasticsearch as 8.x runs by default:
// the secured node of host-test/es/secured.mjs (TLS on HTTP with the test's
// CA, a file-realm user whose password has spaces and shell metacharacters,
// API keys made through the API). Each credential kind installs the
// templates; a wrong one, a missing or wrong CA stop the script with a
// message and a non-zero exit before anything is written; and no secret
// appears on any command line the script runs (curl is run through a
// wrapper on PATH that records its arguments, then runs the real curl).
//
// Skipped, with the reason, without a JDK, Maven (or Maven Central), openssl
// or curl.

import { describe, it, beforeAll, afterAll, expect } from 'vitest';
import { spawnSync } from 'node:child_process';
import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { REPO_ROOT, makeTempDir, removeDir, whichOnPath } from '../e2e/harness.mjs';
import { ES_VERSION } from '../es/node.mjs';
import { SECURED_PASSWORD, SECURED_USER, SecuredElasticsearchNode, prepareSecured } from '../es/secured.mjs';

const curl = whichOnPath('curl');
const setup = curl ? prepareSecured() : { skip: 'no curl on PATH (install.sh uses it)' };
const INSTALL = join(REPO_ROOT, 'elasticsearch', 'install.sh');
const TEMPLATES = ['/_component_template/sysdig@mappings', '/_index_template/sysdig-events', '/_index_template/logs-sysdig'];
const report = [];

/** Shell single quotes around any text (for an env file a shell sources). */
const shellQuoted = (text) => `'${text.replaceAll("'", "'\\''")}'`;

describe.skipIf(setup.skip)(`install.sh against a secured Elasticsearch ${ES_VERSION} node`, () => {
  let dir;
  let node;
  let apiKey;
  let argvLog;
  let wrapperDir;

  /** Runs install.sh with exactly these variables (plus PATH with the
   *  recording curl first); returns { status, stdout, stderr }. */
  function install(env, args = []) {
    const r = spawnSync('sh', [INSTALL, ...args], {
      env: { PATH: `${wrapperDir}:${process.env.PATH}`, CURL_ARGV_LOG: argvLog, ...env },
      encoding: 'utf8',
      timeout: 60000,
    });
    return { status: r.status, stdout: r.stdout, stderr: r.stderr };
  }

  /** Runs install.sh the way the operator guide says: the pipelines' env
   *  file sourced with `set -a`. */
  function installFromEnvFile(lines) {
    const envFile = join(dir, `env-${Math.random().toString(16).slice(2)}`);
    writeFileSync(envFile, `${lines.join('\n')}\n`);
    const r = spawnSync('sh', ['-c', `set -a; . "$1"; set +a; exec sh "$2"`, 'sh', envFile, INSTALL], {
      env: { PATH: `${wrapperDir}:${process.env.PATH}`, CURL_ARGV_LOG: argvLog },
      encoding: 'utf8',
      timeout: 60000,
    });
    return { status: r.status, stdout: r.stdout, stderr: r.stderr };
  }

  const installed = async () => {
    const out = {};
    for (const path of TEMPLATES) out[path] = (await node.request('GET', path)).status;
    return out;
  };
  const deleteTemplates = async () => {
    for (const path of [...TEMPLATES].reverse()) await node.request('DELETE', path);
  };

  beforeAll(async () => {
    dir = makeTempDir('sysdig-install-secured-');
    argvLog = join(dir, 'curl-argv.log');
    wrapperDir = join(dir, 'bin');
    spawnSync('mkdir', ['-p', wrapperDir]);
    // Records every argument curl is started with, one per line, then runs
    // the real curl with them.
    writeFileSync(join(wrapperDir, 'curl'), `#!/bin/sh\nfor a in "$@"; do printf '%s\\n' "$a" >> "$CURL_ARGV_LOG"; done\nexec ${curl} "$@"\n`);
    chmodSync(join(wrapperDir, 'curl'), 0o755);
    node = new SecuredElasticsearchNode({ ...setup, dir: join(dir, 'node') });
    await node.start();
    apiKey = (await node.createApiKey('sysdig-normalizer-installer')).encoded;
  }, 300_000);

  afterAll(async () => {
    if (report.length) console.log(`install.sh → secured Elasticsearch ${ES_VERSION}:\n  ${report.join('\n  ')}`);
    await node?.stop();
    if (dir) await removeDir(dir);
  });

  it('refuses plain HTTP and anonymous requests (the node is really secured)', async () => {
    expect((await node.request('GET', '/_security/_authenticate', undefined, { auth: null })).status).toBe(401);
    const me = await node.request('GET', '/_security/_authenticate');
    expect(me.status).toBe(200);
    expect(me.json.username).toBe(SECURED_USER);
    expect(me.json.authentication_realm.type).toBe('file');
    const byKey = await node.request('GET', '/_security/_authenticate', undefined, { auth: { apiKey } });
    expect(byKey.status).toBe(200);
    expect(byKey.json.authentication_type).toBe('api_key');
    const plain = spawnSync(curl, ['-sS', '-o', '/dev/null', '-w', '%{http_code}', `http://127.0.0.1:${node.port}/`], { encoding: 'utf8' });
    expect(plain.stdout).not.toMatch(/^2/);
  });

  it('stops on a wrong password with a message and a non-zero exit, installing nothing', async () => {
    const r = install({ ES_URL: node.url, ES_USER: SECURED_USER, ES_PASSWORD: `${SECURED_PASSWORD}x`, ES_TLS_CA_FILE: node.pki.caFile });
    report.push(`wrong password: exit ${r.status}; ${r.stderr.trim().split('\n').at(-1)}`);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/HTTP 401/);
    expect(r.stderr).toContain(`The server refused the credentials: user ${SECURED_USER}`);
    expect(Object.values(await installed())).toEqual([404, 404, 404]);
  });

  it('stops on a revoked API key with a message and a non-zero exit', async () => {
    const revoked = await node.createApiKey('revoked');
    const del = await node.request('DELETE', '/_security/api_key', { ids: [revoked.id] });
    expect(del.status).toBe(200);
    const r = install({ ES_URL: node.url, ES_API_KEY: revoked.encoded, ES_TLS_CA_FILE: node.pki.caFile });
    report.push(`revoked API key: exit ${r.status}; ${r.stderr.trim().split('\n').at(-1)}`);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/HTTP 401/);
    expect(r.stderr).toContain('the API key in ES_API_KEY');
    expect(Object.values(await installed())).toEqual([404, 404, 404]);
  });

  it('stops on a certificate it cannot trust: no CA given, or another CA', async () => {
    const noCa = install({ ES_URL: node.url, ES_USER: SECURED_USER, ES_PASSWORD: SECURED_PASSWORD });
    report.push(`no CA file: exit ${noCa.status}; ${noCa.stderr.trim().split('\n').at(-1)}`);
    expect(noCa.status).not.toBe(0);
    expect(noCa.stderr).toContain('not trusted by this system: set ES_TLS_CA_FILE');
    const otherCa = install({ ES_URL: node.url, ES_USER: SECURED_USER, ES_PASSWORD: SECURED_PASSWORD, ES_TLS_CA_FILE: node.pki.otherCaFile });
    report.push(`another CA: exit ${otherCa.status}; ${otherCa.stderr.trim().split('\n').at(-1)}`);
    expect(otherCa.status).not.toBe(0);
    expect(otherCa.stderr).toContain('is not signed by the CA in ES_TLS_CA_FILE');
    expect(Object.values(await installed())).toEqual([404, 404, 404]);
  });

  it('stops on a user without the privilege to install templates', async () => {
    const role = await node.request('PUT', '/_security/role/sysdig_reader', { cluster: ['monitor'] });
    expect(role.status).toBe(200);
    const key = await node.request('POST', '/_security/api_key', {
      name: 'monitor-only', role_descriptors: { monitor_only: { cluster: ['monitor'] } },
    });
    expect(key.status).toBe(200);
    const r = install({ ES_URL: node.url, ES_API_KEY: key.json.encoded, ES_TLS_CA_FILE: node.pki.caFile });
    report.push(`API key without manage_index_templates: exit ${r.status}; ${r.stderr.trim().split('\n').at(-1)}`);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/HTTP 403/);
    expect(r.stderr).toContain('manage_index_templates');
  });

  for (const kind of ['user and password', 'API key', 'env file (user and password)', 'env file (API key)', 'env file (Elastic Cloud ID and API key)']) {
    it(`installs every template with ${kind}, TLS verified against ES_TLS_CA_FILE`, async () => {
      await deleteTemplates();
      let r;
      if (kind === 'user and password') {
        r = install({ ES_URL: node.url, ES_USER: SECURED_USER, ES_PASSWORD: SECURED_PASSWORD, ES_TLS_CA_FILE: node.pki.caFile });
      } else if (kind === 'API key') {
        r = install({ ES_URL: node.url, ES_API_KEY: apiKey, ES_TLS_CA_FILE: node.pki.caFile });
      } else if (kind.includes('Cloud ID')) {
        // A Cloud ID whose endpoint is the node: https://127.0.0.1:<port>.
        const cloudId = `sysdig-test:${Buffer.from(`0.0.1$127:${node.port}$kibana`).toString('base64')}`;
        r = installFromEnvFile([
          'ES_HOST=', 'ES_PORT=', `ES_CLOUD_ID=${shellQuoted(cloudId)}`, 'ES_TLS=on',
          `ES_TLS_CA_FILE=${shellQuoted(node.pki.caFile)}`, `ES_API_KEY=${shellQuoted(apiKey)}`,
        ]);
      } else {
        // The pipelines' variables: host, port and TLS instead of ES_URL.
        const auth = kind.includes('API key')
          ? [`ES_API_KEY=${shellQuoted(apiKey)}`]
          : [`ES_USER=${shellQuoted(SECURED_USER)}`, `ES_PASSWORD=${shellQuoted(SECURED_PASSWORD)}`];
        r = installFromEnvFile([
          'ES_HOST=127.0.0.1', `ES_PORT=${node.port}`, 'ES_TLS=on', 'ES_TLS_VERIFY=on',
          `ES_TLS_CA_FILE=${shellQuoted(node.pki.caFile)}`, ...auth,
        ]);
      }
      expect(r.stderr).toBe('');
      expect(r.status).toBe(0);
      expect(r.stdout).toContain('GET /: 405, elasticsearch');
      for (const path of TEMPLATES) expect(r.stdout).toContain(`PUT ${path}: 200`);
      expect(Object.values(await installed())).toEqual([200, 200, 200]);
      // As generated: the mapping read back is the committed one.
      const committed = JSON.parse(readFileSync(join(REPO_ROOT, 'elasticsearch', 'component-template-mappings.json'), 'utf8'));
      const back = (await node.request('GET', '/_component_template/sysdig@mappings')).json.component_templates[0];
      expect(JSON.parse(JSON.stringify(back.component_template.template.mappings))).toEqual(committed.template.mappings);
      report.push(`${kind}: exit 0, ${TEMPLATES.length} templates installed and read back`);
    });
  }

  it('put no secret on any command line it ran', () => {
    const argv = readFileSync(argvLog, 'utf8');
    // The wrapper saw every curl the script started (one per call, several runs).
    expect(argv.split('\n').filter((a) => a === '-K').length).toBeGreaterThanOrEqual(20);
    for (const secret of [SECURED_PASSWORD, 'p@ss w0rd', apiKey, Buffer.from(apiKey, 'base64').toString().split(':')[1]]) {
      expect(argv.includes(secret), `a secret on curl's command line: ${secret}`).toBe(false);
    }
  });
});
