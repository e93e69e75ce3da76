// The VRL programs exactly as vector/vector.yaml gives them to Vector's remap
// transforms: the files a transform lists, read from vector/vrl and joined
// the way remap joins them (each followed by a newline), so the CLI runs the
// program Vector runs.

import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const VECTOR_CONFIG = join(REPO_ROOT, 'vector', 'vector.yaml');
export const VRL_DIR = join(REPO_ROOT, 'vector', 'vrl');

const DIR_VARIABLE = '${SYSDIG_NORMALIZER_VRL_DIR:-vector/vrl}';

/** The VRL file paths of a remap transform in vector.yaml (`file` or `files`). */
export function remapFiles(transform, configText = readFileSync(VECTOR_CONFIG, 'utf8')) {
  const lines = configText.split('\n');
  const start = lines.findIndex((l) => l === `  ${transform}:`);
  if (start < 0) throw new Error(`no transform ${transform} in vector.yaml`);
  const files = [];
  for (let i = start + 1; i < lines.length && !/^ {0,2}\S/.test(lines[i]); i++) {
    const one = lines[i].match(/^ {4}file: "(.*)"$/);
    const item = lines[i].match(/^ {6}- "(.*)"$/);
    const path = one?.[1] ?? item?.[1];
    if (path) files.push(path.replace(DIR_VARIABLE, VRL_DIR));
  }
  if (files.length === 0) throw new Error(`transform ${transform} lists no VRL files`);
  return files;
}

/** The remaps an event goes through to become a transform's output, in
 *  order: the target transforms pick their event from the pair the shared
 *  `normalize` program makes (emit.vrl). */
const CHAINS = {
  sysdig_to_ecs: ['normalize', 'sysdig_to_ecs'],
  sysdig_to_splunk: ['normalize', 'sysdig_to_splunk'],
};

/** The VRL files of `transform`'s chain, in the order they run: one program
 *  with the same result as the remaps in a row. */
export function programFiles(transform) {
  return (CHAINS[transform] ?? [transform]).flatMap((t) => remapFiles(t));
}

/** The program text for `transform` (its chain's remaps joined as remap joins files). */
export function remapSource(transform) {
  return programFiles(transform).map((path) => `${readFileSync(path, 'utf8')}\n`).join('');
}

/**
 * Writes the program for the CLI to `dir`: the chain's program, then
 * encode_json(.) so the CLI prints the resulting event as JSON.
 */
export function writeCliProgram(transform, dir) {
  const path = join(dir, `${transform}.vrl`);
  writeFileSync(path, `${remapSource(transform)}encode_json(.)\n`);
  return path;
}
