// The environment an operator's env file gives a shipper, as the guides say
// to load it: `set -a; . FILE; set +a` in sh. The file is written with every
// value in single quotes, so any password survives the shell.

import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';

/** Text in shell single quotes. */
export const shellQuoted = (text) => `'${String(text).replaceAll("'", "'\\''")}'`;

/** Writes `vars` as an env file of NAME='value' lines. */
export function writeEnvFile(path, vars) {
  writeFileSync(path, Object.entries(vars).map(([k, v]) => `${k}=${shellQuoted(v)}\n`).join(''));
  return path;
}

/** The variables `path` sets once sourced by sh with `set -a` (and nothing
 *  else of this process's environment). */
export function sourceEnvFile(path) {
  const out = execFileSync('sh', ['-c', 'set -a; . "$1"; set +a; exec env -0', 'sh', path], {
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin' },
  }).toString('utf8');
  const vars = {};
  for (const entry of out.split('\0')) {
    const eq = entry.indexOf('=');
    if (eq > 0) vars[entry.slice(0, eq)] = entry.slice(eq + 1);
  }
  for (const name of ['PATH', 'PWD', 'SHLVL', '_', 'OLDPWD']) delete vars[name];
  return vars;
}
