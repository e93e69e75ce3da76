// The Splunk add-on (splunk/sysdig_normalizer): every sourcetype the module
// can write has its props.conf stanza and event type (read from the module's
// source, so a family added later fails here until the add-on knows it), the
// versions agree, and the packaged .tgz passes `splunk-appinspect inspect
// --mode test` (PyPI splunk-appinspect, installed by the test into the cache
// venv, see py-tools.mjs) with no failures or errors.
import { describe, it, expect, beforeAll } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensurePyTools } from '../py-tools.mjs';
import { APP, appVersion, packageApp } from '../../splunk/package.mjs';

const repo = new URL('../../', import.meta.url);
const read = (path) => readFileSync(new URL(path, repo), 'utf8');
const appFile = (path) => read(`splunk/${APP}/${path}`);

/** Stanza names of a .conf file. */
const stanzas = (text) => [...text.matchAll(/^\[([^\]]+)\]\s*$/gm)].map((m) => m[1]);

/** Every sourcetype familySourcetype() in assembly/map/detect.ts can return. */
function moduleSourcetypes() {
  const src = read('assembly/map/detect.ts');
  const start = src.indexOf('export function familySourcetype');
  expect(start, 'familySourcetype in detect.ts').toBeGreaterThan(0);
  const body = src.slice(start, src.indexOf('\n}\n', start));
  return [...body.matchAll(/return "([^"]+)"/g)].map((m) => m[1]);
}

describe('Splunk add-on', () => {
  const sourcetypes = moduleSourcetypes();

  it('reads the sourcetypes from the module', () => {
    expect(sourcetypes).toContain('sysdig:secure:policy');
    expect(sourcetypes).toContain('sysdig:normalizer:unrecognized');
  });

  it('has a props.conf stanza and an event type for every sourcetype the module writes', () => {
    const props = stanzas(appFile('default/props.conf'));
    const eventtypes = appFile('default/eventtypes.conf');
    for (const st of sourcetypes) {
      expect(props, `props.conf [${st}]`).toContain(st);
      expect(eventtypes, `an event type searching sourcetype="${st}"`).toContain(`sourcetype="${st}"`);
    }
  });

  it('tags every event type but the unrecognized one into a CIM data model', () => {
    const tagged = stanzas(appFile('default/tags.conf')).map((s) => s.replace(/^eventtype=/, ''));
    const types = stanzas(appFile('default/eventtypes.conf')).filter((t) => t !== 'sysdig_unrecognized');
    expect(tagged.sort()).toEqual(types.sort());
  });

  it('has the package version and its folder name as its id', () => {
    const pkg = JSON.parse(read('package.json'));
    expect(appVersion()).toBe(pkg.version);
    expect(appFile('default/app.conf')).toMatch(new RegExp(`^\\[package\\]\\s*\\nid = ${APP}$`, 'm'));
  });

  describe('splunk-appinspect', () => {
    let tools;
    let dir;
    beforeAll(() => {
      tools = ensurePyTools();
      dir = mkdtempSync(join(tmpdir(), 'sysdig-appinspect-'));
      return () => rmSync(dir, { recursive: true, force: true });
    }, 900_000);

    it('passes inspect --mode test with no failures or errors', (ctx) => {
      if (tools.skip) ctx.skip(tools.skip);
      const tgz = packageApp(dir);
      const report = join(dir, 'report.json');
      // --skip-trusted-libraries-update: no network beyond the package registry.
      try {
        execFileSync(join(tools.bin, 'splunk-appinspect'), [
          'inspect', tgz, '--mode', 'test', '--ci', '--skip-trusted-libraries-update',
          '--output-file', report, '--data-format', 'json',
        ], { stdio: 'pipe', cwd: dir });
      } catch (error) {
        // Exit codes report failures/warnings; the report says which.
        if (!/report\.json/.test(String(error.stderr)) && error.status === null) throw error;
      }
      const result = JSON.parse(readFileSync(report, 'utf8'));
      const checks = result.reports[0].groups.flatMap((g) => g.checks);
      const listed = (kind) => checks.filter((c) => c.result === kind).map((c) => `${c.name}: ${c.messages.map((m) => m.message).join(' ')}`);
      console.log(`splunk-appinspect ${JSON.stringify(result.summary)}`);
      for (const w of listed('warning')) console.log(`warning ${w}`);
      expect(listed('failure')).toEqual([]);
      expect(listed('error')).toEqual([]);
      expect(result.summary.failure + result.summary.error).toBe(0);
    });
  });
});
