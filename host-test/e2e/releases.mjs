// Which Fluent Bit releases are on this machine, and which pipeline files
// each one runs. Used by the compatibility suite (releases.e2e.test.mjs)
// and the benchmark (bench/), so both report the same releases.
//
// A release is found as: every binary in FLUENT_BIT_RELEASES (a list of
// paths separated by ":" or ","), or else the fluent-bit on PATH (or
// FLUENT_BIT_BIN) plus every /opt/fluent-bit-*/bin/fluent-bit, as
// shared/tools/fluent-bit/build-fluent-bit.sh installs them.

import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, realpathSync } from 'node:fs';
import { dirname, join } from 'node:path';

import { REPO_ROOT, findFluentBit, isExecutable } from './harness.mjs';

/** The release lines the project supports, newest first, with the
 *  directory of their pipeline files and the WAMR each one bundles. */
export const SUPPORTED_LINES = [
  { line: '5.1', dir: 'fluent-bit', wamr: '2.4.1' },
  { line: '5.0', dir: 'fluent-bit', wamr: '2.4.1' },
  { line: '4.2', dir: 'fluent-bit/4.x', wamr: '2.4.1' },
  { line: '4.1', dir: 'fluent-bit/4.x', wamr: '2.4.1' },
  { line: '4.0', dir: 'fluent-bit/4.x', wamr: '1.3.3' },
];

/** "Fluent Bit v4.0.14" → { version: '4.0.14', line: '4.0', major: 4, minor: 0, patch: 14 }. */
export function parseVersion(text) {
  const match = /v?(\d+)\.(\d+)\.(\d+)/.exec(text);
  if (!match) return null;
  const [major, minor, patch] = match.slice(1).map(Number);
  return { version: `${major}.${minor}.${patch}`, line: `${major}.${minor}`, major, minor, patch };
}

function versionOf(bin) {
  try {
    return parseVersion(execFileSync(bin, ['--version'], { encoding: 'utf8', timeout: 20000 }).split('\n')[0]);
  } catch {
    return null;
  }
}

function candidates() {
  const fromEnv = process.env.FLUENT_BIT_RELEASES;
  if (fromEnv) return fromEnv.split(/[:,]/).map((s) => s.trim()).filter(Boolean);
  const found = [];
  const onPath = findFluentBit();
  if (onPath) found.push(onPath);
  if (existsSync('/opt')) {
    for (const name of readdirSync('/opt').sort()) {
      if (!name.startsWith('fluent-bit-')) continue;
      const bin = join('/opt', name, 'bin', 'fluent-bit');
      if (isExecutable(bin)) found.push(bin);
    }
  }
  return found;
}

/**
 * Every release found, oldest first: { bin, version, line, major, minor,
 * patch, supported (the line entry or null), pipelineDir (absolute, or
 * null), wamrc (flb-wamrc beside it, or null), isDefault (the one on PATH) }.
 * A path that is not an executable Fluent Bit is returned with `problem`.
 */
export function findReleases() {
  const onPath = findFluentBit();
  const defaultReal = onPath ? realpathSync(onPath) : null;
  const seen = new Set();
  const releases = [];
  for (const bin of candidates()) {
    if (!isExecutable(bin)) {
      releases.push({ bin, problem: 'not an executable file' });
      continue;
    }
    const real = realpathSync(bin);
    if (seen.has(real)) continue;
    seen.add(real);
    const version = versionOf(bin);
    if (!version) {
      releases.push({ bin, problem: '--version printed no Fluent Bit version' });
      continue;
    }
    const supported = SUPPORTED_LINES.find((l) => l.line === version.line) ?? null;
    const wamrc = join(dirname(bin), 'flb-wamrc');
    releases.push({
      bin,
      ...version,
      supported,
      pipelineDir: supported ? join(REPO_ROOT, supported.dir) : null,
      wamrc: isExecutable(wamrc) ? wamrc : null,
      isDefault: real === defaultReal,
    });
  }
  const key = (r) => (r.problem ? [999, 0, 0] : [r.major, r.minor, r.patch]);
  return releases.sort((a, b) => {
    const [x, y] = [key(a), key(b)];
    return x[0] - y[0] || x[1] - y[1] || x[2] - y[2];
  });
}

/** Supported lines with no installed release: each is reported as skipped. */
export function missingLines(releases) {
  const have = new Set(releases.filter((r) => !r.problem).map((r) => r.line));
  return SUPPORTED_LINES.filter((l) => !have.has(l.line));
}
