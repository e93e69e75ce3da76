// The VRL port (vector/vrl/, as vector/vector.yaml runs it) against the wasm
// module, in a real VRL runtime: the stand-alone `vrl` CLI of the VRL version
// Vector 0.56.0 embeds. Every golden input, and mutants of them made by the
// fuzz suite's generators, go through both; the ECS documents and the Splunk
// envelopes must be equal as parsed JSON, except for the differences
// vector/README.md documents, each recognized and checked for what it is.
//
// The CLI is installed on first use into ~/.cache/sysdig-normalizer (cargo
// install, several minutes); without cargo these tests are skipped, saying why.

import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { loadFilter, parseExact } from '../host.mjs';
import { splitRecords } from '../split.mjs';
import { ensureVrl, runVrl, vrlVersion, VRL_VERSION } from '../vector/vrl-cli.mjs';
import { writeCliProgram } from '../vector/program.mjs';
import { readFieldTable } from '../../vector/tools/gen-fields-vrl.mjs';
import {
  CLOCK, VRL_NOT_PORTED_DATASETS, VRL_PORTED_DATASETS, cliLine, comparableEnvelopes, envelopeFromVectorEvent,
  inputDifferences, md5Hex, unwrapped,
} from '../vector/parity.mjs';
import { mutant } from './mutants.mjs';
import { parseTree } from './tree.mjs';

const MUTANTS_PER_CASE = Number(process.env.VRL_PARITY_MUTANTS ?? 60);
const SEED = Number(process.env.FUZZ_SEED ?? 42);
const INSTALL_LIMIT_MS = 40 * 60 * 1000;

const goldenDir = new URL('../golden/', import.meta.url);
const goldenCases = readdirSync(goldenDir).sort().map((name) => ({
  name,
  text: readFileSync(new URL(`${name}/input.json`, goldenDir), 'utf8'),
}));
const CIM_NAMES = readFieldTable().filter((f) => f.cim).map((f) => f.cim);

let vrl = null;
let skipReason = null;
let filter;
let workDir;
const programs = {};

beforeAll(async () => {
  filter = await loadFilter();
  const found = await ensureVrl();
  if (found.skip) {
    skipReason = found.skip;
    return;
  }
  vrl = found.bin;
  workDir = mkdtempSync(join(tmpdir(), 'sysdig-vrl-parity-'));
  programs.ecs = writeCliProgram('sysdig_to_ecs', workDir);
  programs.splunk = writeCliProgram('sysdig_to_splunk', workDir);
  programs.split = writeCliProgram('split_batch', workDir);
}, INSTALL_LIMIT_MS);

afterAll(() => {
  if (workDir) rmSync(workDir, { recursive: true, force: true });
});

const needVrl = (ctx) => {
  if (!vrl) ctx.skip(skipReason ?? 'VRL CLI unavailable');
};

/** Both sides for each record text: { wasm: {ecs, splunk}, vrl: {ecs, splunk} }. */
function runBoth(texts) {
  const lines = texts.map(cliLine);
  const vrlEcs = runVrl(vrl, programs.ecs, lines);
  const vrlSplunk = runVrl(vrl, programs.splunk, lines);
  return texts.map((text, i) => {
    const wasmEcs = filter.call('sysdig_to_ecs', text, CLOCK);
    const wasmSplunk = filter.call('sysdig_to_splunk', text, CLOCK);
    if (wasmEcs.status !== 'ok' || wasmSplunk.status !== 'ok') throw new Error(`module failed on ${text}`);
    return {
      text,
      wasm: { ecs: parseExact(wasmEcs.output), splunk: parseExact(wasmSplunk.output) },
      vrl: { ecs: vrlEcs.outputs[i], splunk: vrlSplunk.outputs[i] },
    };
  });
}

/**
 * Compares one record's outputs. Returns the documented differences that
 * excused a mismatch ([] when all was equal); throws on any other mismatch.
 */
function compare({ text, wasm, vrl: out }) {
  const vrlEcs = parseExact(out.ecs);
  const vrlEvent = parseExact(out.splunk);
  // The elasticsearch sink's id_key field: taken out of the document by Vector.
  expect(vrlEcs.es_document_id).toBe(vrlEcs.event.id);
  delete vrlEcs.es_document_id;
  const { wasm: wasmHec, vector: vrlHec } = comparableEnvelopes(wasm.splunk, envelopeFromVectorEvent(vrlEvent, CIM_NAMES));
  const wasmEcs = structuredClone(wasm.ecs);

  const excused = [];
  // No Sysdig id: the module hashes the event with MurmurHash3-128, VRL
  // (which has no MurmurHash) with MD5, of the same text.
  const eventText = unwrapped(text) ?? text;
  const fallbackIds = [md5Hex(eventText.trim()), md5Hex(text)];
  if (fallbackIds.includes(vrlEcs.event.id)) {
    expect(wasmEcs.event.id).toMatch(/^[0-9a-f]{32}$/);
    expect(vrlHec.fields.id).toBe(vrlEcs.event.id);
    for (const doc of [wasmEcs, vrlEcs]) delete doc.event.id;
    for (const env of [wasmHec, vrlHec]) delete env.fields.id;
    excused.push('hash id');
  }
  // Not JSON: both make a pipeline_error document with the input; the parse
  // error is worded by each JSON reader.
  if (wasmEcs.event.kind === 'pipeline_error' && /^invalid JSON: /.test(wasmEcs.error?.message ?? '')) {
    expect(vrlEcs.error.message).toMatch(/^invalid JSON: /);
    expect(vrlHec.fields.error_message).toBe(vrlEcs.error.message);
    for (const doc of [wasmEcs, vrlEcs]) delete doc.error.message;
    for (const env of [wasmHec, vrlHec]) delete env.fields.error_message;
    excused.push('parse error wording');
  }

  const differences = inputDifferences(text);
  let equal = true;
  try {
    expect(vrlEcs).toEqual(wasmEcs);
    expect(vrlHec).toEqual(wasmHec);
  } catch (error) {
    if (differences.length === 0) throw error;
    equal = false;
  }
  if (equal) return excused;
  // A documented difference: the VRL side must still keep the whole input.
  if (vrlEcs.event.kind === 'pipeline_error' && vrlEcs.event.original !== undefined) {
    expect(vrlEcs.event.original).toBe(text);
  } else {
    expect(vrlEcs.sysdig).toBeTypeOf('object');
  }
  expect([text, eventText]).toContain(vrlEvent.message);
  return [...excused, ...differences];
}

describe(`VRL port against the wasm module (vrl ${VRL_VERSION} CLI)`, () => {
  it('uses the pinned VRL version', (ctx) => {
    needVrl(ctx);
    expect(vrlVersion(vrl)).toContain(VRL_VERSION);
  });

  it('every golden input: the same ECS document and Splunk envelope', (ctx) => {
    needVrl(ctx);
    const results = runBoth(goldenCases.map((c) => c.text));
    const table = [];
    results.forEach((result, i) => {
      const { name } = goldenCases[i];
      const dataset = result.wasm.ecs.event.dataset;
      if (VRL_NOT_PORTED_DATASETS.includes(dataset)) {
        // Not ported yet: VRL must not lose it.
        const doc = parseExact(result.vrl.ecs);
        expect(doc.event.kind, name).toBe('pipeline_error');
        expect(doc.sysdig ?? doc.event.original, name).toBeDefined();
        expect([result.text, unwrapped(result.text)], name).toContain(parseExact(result.vrl.splunk).message);
        table.push({ name, dataset, status: 'not ported: pipeline_error, input kept' });
        return;
      }
      expect(VRL_PORTED_DATASETS, `${name}: dataset ${dataset} is neither ported to VRL nor listed in VRL_NOT_PORTED_DATASETS`).toContain(dataset);
      const excused = compare(result);
      table.push({ name, dataset, status: excused.length ? `equal but: ${excused.join(', ')}` : 'equal' });
    });
    console.log(`golden parity (ECS + Splunk each):\n${table.map((r) => `  ${r.name} [${r.dataset}]: ${r.status}`).join('\n')}`);
  });

  it(`${MUTANTS_PER_CASE} fuzz mutants of every golden input (seed ${SEED})`, (ctx) => {
    needVrl(ctx);
    const texts = [];
    for (const { name, text } of goldenCases) {
      let tree;
      try {
        tree = parseTree(text);
      } catch {
        continue;
      }
      if (tree === null || typeof tree !== 'object') continue;
      const dataset = parseExact(filter.call('sysdig_to_ecs', text, CLOCK).output).event.dataset;
      if (!VRL_PORTED_DATASETS.includes(dataset)) continue;
      texts.push(...fc.sample(mutant(tree), { seed: SEED + texts.length, numRuns: MUTANTS_PER_CASE }));
    }
    const counts = { compared: 0, equal: 0 };
    const byDifference = {};
    for (const result of runBoth(texts)) {
      counts.compared++;
      const excused = compare(result).filter((d) => d !== 'hash id' && d !== 'parse error wording');
      if (excused.length === 0) counts.equal++;
      for (const d of excused) byDifference[d] = (byDifference[d] ?? 0) + 1;
    }
    console.log(`fuzz parity: ${counts.compared} mutants × (ECS, Splunk), ${counts.equal} equal; documented differences: ${JSON.stringify(byDifference)}`);
    expect(counts.compared).toBe(texts.length);
    expect(counts.equal).toBeGreaterThan(counts.compared / 2);
  });
});
