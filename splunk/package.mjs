#!/usr/bin/env node
// `npm run package:splunk`: packs splunk/sysdig_normalizer into
// build/sysdig_normalizer-<version>.tgz, the form Splunk installs from
// (Apps > Install app from file) and splunk-appinspect checks. Owner and
// modes are normalized so the archive is the same on every machine.
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
export const APP = 'sysdig_normalizer';

export function appVersion() {
  const conf = readFileSync(join(root, 'splunk', APP, 'default', 'app.conf'), 'utf8');
  return conf.match(/^\[launcher\][^[]*?^version\s*=\s*(\S+)/m)[1];
}

export function packageApp(outDir = join(root, 'build')) {
  mkdirSync(outDir, { recursive: true });
  const out = join(outDir, `${APP}-${appVersion()}.tgz`);
  execFileSync('tar', [
    '--owner=0', '--group=0', '--numeric-owner', '--mode=u+rwX,go+rX,go-w', '--sort=name',
    '--mtime=2026-01-01 00:00:00Z', '-czf', out, '-C', join(root, 'splunk'), APP,
  ]);
  return out;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) console.log(packageApp());
