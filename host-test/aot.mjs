#!/usr/bin/env node
// npm run aot [-- --arch x86_64|aarch64] [--native] [--out FILE]
// Compiles build/sysdig_normalizer.wasm ahead of time with flb-wamrc, for a
// portable CPU baseline, so that one .aot runs on every machine of that
// architecture. What an .aot is tied to (measured on Fluent Bit 5.1.1, WAMR
// 2.4.1; see the operator guide, section 3):
//   - the AOT file version of the runtime's WAMR (5 in WAMR 2.4.1; another
//     version fails to load: "unknown binary version");
//   - the architecture, ABI, endianness and word size ("invalid target type,
//     expected x86_64 but got aarch64v8");
//   - the CPU features it was compiled for, which WAMR does NOT check: an
//     .aot built for a feature the CPU lacks kills Fluent Bit with SIGILL
//     ("Illegal instruction", exit 132) at start-up, with no log line. Hence
//     the baseline below instead of flb-wamrc's default (the host's CPU).

import { existsSync, mkdirSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

import {
  findFluentBit, findWamrc, PORTABLE_AOT_TARGETS, PORTABLE_AOT_FLAGS, HOST_ARCH,
} from './e2e/harness.mjs';

export { PORTABLE_AOT_TARGETS, PORTABLE_AOT_FLAGS };

const USAGE = `Usage: npm run aot -- [--arch x86_64|aarch64] [--native] [--out FILE]

Compiles build/sysdig_normalizer.wasm with flb-wamrc into build/sysdig_normalizer.aot
(or build/sysdig_normalizer.<arch>.aot for another architecture).
  --arch A    compile for architecture A (default: this machine's, ${HOST_ARCH ?? 'unknown'})
  --native    compile for this machine's exact CPU (flb-wamrc's default): a little
              faster, but it may crash Fluent Bit (SIGILL) on an older CPU
  --out FILE  where to write the .aot

flb-wamrc is looked for in FLB_WAMRC_BIN, then on PATH, then beside fluent-bit. It must come from
the same Fluent Bit release as the fluent-bit that loads the .aot.`;

function main() {
  const { values } = parseArgs({
    options: {
      arch: { type: 'string' }, native: { type: 'boolean' }, out: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) return console.log(USAGE);
  const root = fileURLToPath(new URL('../', import.meta.url));
  const wasm = `${root}build/sysdig_normalizer.wasm`;
  if (!existsSync(wasm)) fail(`${wasm} is missing: run npm run build first`);
  const wamrc = findWamrc(findFluentBit());
  if (!wamrc) {
    fail('flb-wamrc was not found (FLB_WAMRC_BIN, PATH, beside fluent-bit).\n' +
      'Fluent Bit packages and images do not ship it: it is built only with -DFLB_WAMRC=On and LLVM.\n' +
      'Without it, use build/sysdig_normalizer.wasm (interpreted, slower; see BENCHMARKS.md).');
  }
  const arch = values.arch ?? HOST_ARCH;
  if (!PORTABLE_AOT_TARGETS[arch]) fail(`unknown architecture ${arch}: use ${Object.keys(PORTABLE_AOT_TARGETS).join(' or ')}`);
  if (values.native && arch !== HOST_ARCH) fail('--native compiles for this machine only; leave out --arch');
  const flags = values.native ? [] : PORTABLE_AOT_TARGETS[arch];
  const out = resolve(values.out ?? `${root}build/sysdig_normalizer${arch === HOST_ARCH ? '' : `.${arch}`}.aot`);
  mkdirSync(dirname(out), { recursive: true });
  const r = spawnSync(wamrc, [...flags, '-o', out, wasm], { encoding: 'utf8' });
  if (r.status !== 0 || !existsSync(out)) fail(`${wamrc} ${[...flags, '-o', out, wasm].join(' ')} failed:\n${r.stdout}${r.stderr}`);
  const version = spawnSync(wamrc, ['--version'], { encoding: 'utf8' }).stdout.trim();
  console.log(`${out}\n  ${version}, ${flags.length ? flags.join(' ') : 'this machine\'s CPU (--native)'}\n` +
    '  Load it only in the Fluent Bit release this flb-wamrc came from (see fluent-bit/README.md, section 3).');
}

function fail(message) {
  console.error(`npm run aot: ${message}`);
  process.exit(1);
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) main();
