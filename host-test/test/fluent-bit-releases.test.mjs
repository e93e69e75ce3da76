// The shipped pipeline files start on every supported Fluent Bit release
// only if they use nothing a release lacks. These checks need no Fluent
// Bit: the variable form every release understands, the environment file
// as the one place for values, the fail-closed webhook token, and the
// per-release copies that `npm run gen` writes. The e2e suites run them.

import { describe, it, expect } from 'vitest';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';

import { REPO_ROOT, envFileDefaults } from '../e2e/harness.mjs';
import { RELEASE_LINES, generatedFiles } from '../gen/fluent-bit-releases.mjs';

const FLUENT_BIT_DIR = join(REPO_ROOT, 'fluent-bit');

// Fluent Bit's pipeline files; kubernetes/ holds Kubernetes objects.
function yamlFiles(dir) {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return name === 'kubernetes' ? [] : yamlFiles(path);
    return name.endsWith('.yaml') ? [path] : [];
  });
}

const files = yamlFiles(FLUENT_BIT_DIR).map((path) => ({
  path,
  name: relative(REPO_ROOT, path),
  text: readFileSync(path, 'utf8'),
}));
// Comments may mention anything; only settings count.
const settingsOf = (text) => text.replace(/^\s*#.*$/gm, '');
const variablesOf = (text) => [...settingsOf(text).matchAll(/\$\{([^}]*)\}/g)].map((m) => m[1]);

// The minimal stdout example is run from a checkout without the env file.
const OUTSIDE_ENV_FILE = new Set(['SYSDIG_NORMALIZER_WASM']);

describe('fluent-bit/ pipeline files', () => {
  it('are found, the 5.x ones and each release line\'s copies', () => {
    expect(files.filter((f) => !/fluent-bit\/\d/.test(f.name)).length).toBeGreaterThanOrEqual(9);
    for (const line of RELEASE_LINES) {
      expect(files.filter((f) => f.name.startsWith(`fluent-bit/${line.dir}/`)).length).toBeGreaterThanOrEqual(9);
    }
  });

  it('use only ${VAR}: the ${VAR:-default} form exists from Fluent Bit 5.0.6 and 4.2.5 only', () => {
    for (const { name, text } of files) {
      for (const variable of variablesOf(text)) {
        expect(variable, `${name}: \${${variable}}`).toMatch(/^[A-Z][A-Z0-9_]*$/);
      }
    }
  });

  it('take every variable from fluent-bit/.env.example, and the file declares none that no pipeline uses', () => {
    const declared = envFileDefaults();
    const used = new Set();
    for (const { name, text } of files) {
      for (const variable of variablesOf(text)) {
        if (OUTSIDE_ENV_FILE.has(variable)) continue;
        used.add(variable);
        expect(Object.keys(declared), `${name} uses \${${variable}}, missing from .env.example`).toContain(variable);
      }
    }
    expect(Object.keys(declared).filter((v) => !used.has(v))).toEqual([]);
  });

  it('keep the webhook token fail-closed: a token no header can carry always comes first in the list', () => {
    let webhooks = 0;
    for (const { name, text } of files) {
      for (const match of settingsOf(text).matchAll(/^\s*splunk_token: (.*)$/gm)) {
        const value = match[1];
        if (value === '${SPLUNK_HEC_TOKEN}') continue; // the splunk output's HEC token
        webhooks++;
        expect(value, name).toBe('"SYSDIG_WEBHOOK_TOKEN is not set\\nso every request is refused,${SYSDIG_WEBHOOK_TOKEN}"');
      }
    }
    expect(webhooks).toBeGreaterThanOrEqual(14);
  });

  it('include only files that exist beside them', () => {
    for (const { path, name, text } of files) {
      const block = /^includes:\n((?:\s+- .*\n?)+)/m.exec(text);
      if (!block) continue;
      for (const include of block[1].matchAll(/- (.*)/g)) {
        expect(existsSync(join(dirname(path), include[1].trim())), `${name} includes ${include[1]}`).toBe(true);
      }
    }
  });

  it('are generated for each release line as `npm run gen` writes them, and nothing else is in those directories', () => {
    const generated = generatedFiles();
    for (const [path, text] of Object.entries(generated)) {
      expect(readFileSync(join(REPO_ROOT, path), 'utf8'), `${path} is stale: run npm run gen`).toBe(text);
    }
    for (const line of RELEASE_LINES) {
      const onDisk = files.filter((f) => f.name.startsWith(`fluent-bit/${line.dir}/`)).map((f) => f.name);
      expect(onDisk.sort()).toEqual(Object.keys(generated).filter((p) => p.startsWith(`fluent-bit/${line.dir}/`)).sort());
    }
  });

  it('for 4.x set no client-certificate check (4.x has no tls.verify_client_cert) and leave out the Falco listener that needs one', () => {
    const fourX = files.filter((f) => f.name.startsWith('fluent-bit/4.x/'));
    for (const { name, text } of fourX) expect(settingsOf(text), name).not.toMatch(/verify_client_cert/);
    expect(fourX.map((f) => f.name)).not.toContain('fluent-bit/4.x/falco/http-output-listener.yaml');
    // Everything else is as in the 5.x file it was made from.
    const five = readFileSync(join(FLUENT_BIT_DIR, 'sysdig-to-elasticsearch-and-splunk.yaml'), 'utf8');
    const four = readFileSync(join(FLUENT_BIT_DIR, '4.x', 'sysdig-to-elasticsearch-and-splunk.yaml'), 'utf8');
    const settingLines = (text) => settingsOf(text).split('\n').filter((l) => l.trim() !== '');
    expect(settingLines(four)).toEqual(settingLines(five).filter((l) => !/verify_client_cert/.test(l)));
  });
});
