// The stand-alone VRL CLI (the `vrl` crate, the VRL that Vector 0.56.0
// embeds), for the parity tests: found at VRL_BIN, or in the project's cache
// outside the repository, or installed there with cargo on first use (about
// six minutes on two cores). Without cargo the caller skips, with the reason.

import { spawnTracked } from '../children.mjs';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { isExecutable, whichOnPath } from '../e2e/harness.mjs';

export const VRL_VERSION = '0.33.1';
export const VRL_CACHE_ROOT = join(
  process.env.SYSDIG_NORMALIZER_CACHE ?? join(homedir(), '.cache', 'sysdig-normalizer'),
  `vrl-${VRL_VERSION}`,
);

/** The vrl CLI on PATH, else where `cargo install` put it. */
function onPath(name) {
  const found = whichOnPath(name);
  if (found) return found;
  const cargoHome = join(process.env.CARGO_HOME ?? join(homedir(), '.cargo'), 'bin', name);
  return isExecutable(cargoHome) ? cargoHome : null;
}

/**
 * { bin } of a working VRL CLI, installing it into the cache when needed, or
 * { skip } saying why there is none.
 */
export async function ensureVrl() {
  if (process.env.VRL_BIN) {
    return isExecutable(process.env.VRL_BIN) ? { bin: process.env.VRL_BIN } : { skip: `VRL_BIN=${process.env.VRL_BIN} is not executable` };
  }
  const cached = join(VRL_CACHE_ROOT, 'bin', 'vrl');
  if (isExecutable(cached)) return { bin: cached };
  const cargo = onPath('cargo');
  if (!cargo) return { skip: `no VRL CLI: VRL_BIN unset, nothing at ${cached}, and no cargo to install vrl ${VRL_VERSION} with` };
  mkdirSync(VRL_CACHE_ROOT, { recursive: true });
  const args = ['install', 'vrl', '--version', VRL_VERSION, '--locked', '--root', VRL_CACHE_ROOT];
  const log = [];
  const code = await new Promise((resolve) => {
    const child = spawnTracked('cargo install vrl', cargo, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.on('data', (c) => log.push(c));
    child.stderr.on('data', (c) => log.push(c));
    child.on('exit', resolve);
  });
  writeFileSync(join(VRL_CACHE_ROOT, 'install.log'), Buffer.concat(log));
  if (code !== 0 || !isExecutable(cached)) {
    throw new Error(`cargo ${args.join(' ')} failed (exit ${code}); see ${join(VRL_CACHE_ROOT, 'install.log')}`);
  }
  return { bin: cached };
}

/**
 * The version cargo recorded for the cached install ("vrl 0.33.1"), or null
 * for a CLI from VRL_BIN (the CLI has no --version).
 */
export function vrlVersion(bin) {
  if (bin !== join(VRL_CACHE_ROOT, 'bin', 'vrl')) return null;
  const installed = readFileSync(join(VRL_CACHE_ROOT, '.crates.toml'), 'utf8').match(/"vrl (\d+\.\d+\.\d+) /);
  return installed ? `vrl ${installed[1]}` : null;
}

/**
 * Runs a VRL program file over NDJSON input lines. The program must end with
 * an expression that is a JSON text (encode_json(.)); the CLI prints it as a
 * JSON string literal per line. Per-event runtime errors go to stderr while
 * the exit status stays 0, so they are returned, not hidden. Asynchronous: a
 * run of seconds on a loaded machine must not block the test worker (vitest's
 * own calls to it time out).
 * @returns {Promise<{ outputs: string[], stderr: string }>}
 */
export function runVrl(bin, programPath, inputLines) {
  return new Promise((resolve, reject) => {
    const child = spawnTracked('vrl', bin, ['-p', programPath], { stdio: ['pipe', 'pipe', 'pipe'] });
    const out = [];
    const err = [];
    child.stdout.on('data', (c) => out.push(c));
    child.stderr.on('data', (c) => err.push(c));
    child.on('error', reject);
    child.on('close', (status) => {
      const stdout = Buffer.concat(out).toString('utf8');
      const stderr = Buffer.concat(err).toString('utf8');
      if (status !== 0) {
        reject(new Error(`${bin} -p ${programPath} exited ${status}:\n${stderr}`));
        return;
      }
      const outputs = stdout.split('\n').filter((line) => line !== '').map((line) => JSON.parse(line));
      if (outputs.length !== inputLines.length) {
        reject(new Error(`${inputLines.length} inputs gave ${outputs.length} outputs; stderr:\n${stderr}`));
        return;
      }
      resolve({ outputs, stderr });
    });
    child.stdin.end(inputLines.map((l) => `${l}\n`).join(''));
  });
}
