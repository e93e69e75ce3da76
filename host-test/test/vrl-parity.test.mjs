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

const CIM_ID = 'id';

/** The record as Fluent Bit's re-encoding from msgpack could spell it: no
 *  whitespace between tokens, "/" escaped, non-ASCII as \\u escapes (the
 *  integers keep their digits). Parsed exactly, so integers beyond 2^53 stay. */
function fluentBitSpelling(text) {
  const escape = (s) => JSON.stringify(s).replace(/\//g, '\\/').replace(/[\u0080-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
  const write = (v) => {
    if (typeof v === 'bigint') return String(v);
    if (Array.isArray(v)) return `[${v.map(write).join(',')}]`;
    if (v !== null && typeof v === 'object') return `{${Object.entries(v).map(([k, x]) => `${escape(k)}:${write(x)}`).join(',')}}`;
    if (typeof v === 'string') return escape(v);
    return JSON.stringify(v);
  };
  return write(parseExact(text));
}

/** Both sides for each record text: { wasm: {ecs, splunk}, vrl: {ecs, splunk} }. */
async function runBoth(texts) {
  const lines = texts.map(cliLine);
  const vrlEcs = await runVrl(vrl, programs.ecs, lines);
  const vrlSplunk = await runVrl(vrl, programs.splunk, lines);
  // A runtime error goes to stderr while the CLI exits 0: there must be none.
  expect(vrlEcs.stderr + vrlSplunk.stderr).toBe('');
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
  const eventText = unwrapped(text) ?? text;
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
  if (equal) return { equal, excused };
  // A documented difference: the VRL side must still keep the whole input.
  if (vrlEcs.event.kind === 'pipeline_error' && vrlEcs.event.original !== undefined) {
    expect(vrlEcs.event.original).toBe(text);
  } else {
    expect(vrlEcs.sysdig ?? vrlEcs.falco).toBeTypeOf('object');
  }
  expect([text, eventText]).toContain(vrlEvent.message);
  return { equal, excused: [...excused, ...differences] };
}

/** Each case runs the CLI, seconds each on a loaded machine. */
const CASE_LIMIT = { timeout: 600_000 };

describe(`VRL port against the wasm module (vrl ${VRL_VERSION} CLI)`, CASE_LIMIT, () => {
  it('uses the pinned VRL version', async (ctx) => {
    needVrl(ctx);
    const version = vrlVersion(vrl);
    if (version === null) ctx.skip(`VRL_BIN=${vrl}: version not known (the CLI has no --version)`);
    expect(version).toBe(`vrl ${VRL_VERSION}`);
  });

  it('every golden input: the same ECS document and Splunk envelope', async (ctx) => {
    needVrl(ctx);
    const results = await runBoth(goldenCases.map((c) => c.text));
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
      const { equal, excused } = compare(result);
      const status = equal ? (excused.length ? `equal, except as documented: ${excused.join(', ')}` : 'equal')
        : `differs only as documented: ${excused.join(', ')}`;
      table.push({ name, dataset, status });
    });
    console.log(`golden parity (ECS + Splunk each):\n${table.map((r) => `  ${r.name} [${r.dataset}]: ${r.status}`).join('\n')}`);
  });

  it('event.id: the same from both for every golden input, also as Fluent Bit re-encodes it', async (ctx) => {
    needVrl(ctx);
    // Fluent Bit hands the module the record re-encoded from msgpack; Vector
    // hands the program the body as sent. For the events that carry no id of
    // their own (Falco alerts without uuid, notifications) both hash the same
    // fields of the parsed event (assembly/map/event_id.ts, finish.vrl), so
    // the module must give the re-spelled record the same id as VRL the original.
    const results = await runBoth(goldenCases.map((c) => c.text));
    const table = [];
    results.forEach((result, i) => {
      const { name, text } = goldenCases[i];
      const vrlId = parseExact(result.vrl.ecs).event.id;
      const wasmId = result.wasm.ecs.event.id;
      const hashed = !text.includes(wasmId);
      const dataset = result.wasm.ecs.event.dataset;
      if (VRL_NOT_PORTED_DATASETS.includes(dataset) || inputDifferences(text).length > 0) {
        table.push(`${name}: not compared (${VRL_NOT_PORTED_DATASETS.includes(dataset) ? 'not ported' : inputDifferences(text).join(', ')})`);
        return;
      }
      expect(vrlId, name).toBe(wasmId);
      expect(parseExact(result.vrl.splunk)[CIM_ID], name).toBe(wasmId);
      let respelled = 'no';
      if (hashed && /^(falco|sysdig\.(monitor_alert|secure_notification))/.test(dataset)) {
        const reencoded = fluentBitSpelling(text);
        expect(reencoded).not.toBe(text);
        expect(parseExact(filter.call('sysdig_to_ecs', reencoded, CLOCK).output).event.id, `${name} re-encoded`).toBe(vrlId);
        respelled = 'yes';
      }
      table.push(`${name}: ${hashed ? 'hashed' : 'own'} id ${wasmId} equal${respelled === 'yes' ? ', re-encoded too' : ''}`);
    });
    console.log(`event.id, module vs VRL:\n  ${table.join('\n  ')}`);
  });

  it(`${MUTANTS_PER_CASE} fuzz mutants of every golden input (seed ${SEED})`, async (ctx) => {
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
    const counts = { compared: 0, equal: 0, withoutDocumentedCause: 0 };
    const byDifference = {};
    for (const result of await runBoth(texts)) {
      counts.compared++;
      if (inputDifferences(result.text).length === 0) counts.withoutDocumentedCause++;
      const { equal, excused } = compare(result);
      if (equal) counts.equal++;
      else for (const d of excused.filter((x) => x !== 'parse error wording')) byDifference[d] = (byDifference[d] ?? 0) + 1;
    }
    console.log(`fuzz parity: ${counts.compared} mutants × (ECS, Splunk): ${counts.equal} equal ` +
      `(all ${counts.withoutDocumentedCause} without a documented cause among them); the rest differ only as documented: ${JSON.stringify(byDifference)}`);
    expect(counts.compared).toBe(texts.length);
    // compare() threw on any mismatch without a documented cause.
    expect(counts.equal).toBeGreaterThanOrEqual(counts.withoutDocumentedCause);
    expect(counts.withoutDocumentedCause).toBeGreaterThan(0);
  });
});

describe('documented differences, pinned (vector/README.md)', CASE_LIMIT, () => {
  const AUDIT = '"cmdline":"ls","comm":"ls","timestamp":1605540695178065200';
  /** Both sides for one input, parsed: { wasm: {ecs, splunk}, vrl: {ecs, event, envelope} }. */
  const both = async (text) => {
    const [r] = await runBoth([text]);
    const event = parseExact(r.vrl.splunk);
    return {
      wasm: r.wasm,
      vrl: { ecs: parseExact(r.vrl.ecs), event, envelope: envelopeFromVectorEvent(event, CIM_NAMES) },
    };
  };

  it('integers beyond i64 become doubles', async (ctx) => {
    needVrl(ctx);
    const { wasm, vrl: out } = await both(`{"id":"pin-big",${AUDIT},"big":18446744073709551615}`);
    expect(wasm.ecs.sysdig.big).toBe(18446744073709551615n);
    expect(out.ecs.sysdig.big).toBe(18446744073709552000);
    expect(out.event.message).toContain('"big":18446744073709551615');
  });

  it('non-integer numbers: the double, and its text where a field takes text', async (ctx) => {
    needVrl(ctx);
    const { wasm, vrl: out } = await both(`{"id":"pin-float",${AUDIT},"agentId":91.70}`);
    expect(wasm.ecs.agent.id).toBe('91.70');
    expect(out.ecs.agent.id).toBe('91.7');
    expect(out.ecs.sysdig.agentId).toBe(wasm.ecs.sysdig.agentId);
  });

  it('-0 is a double to VRL, so no integer field takes it', async (ctx) => {
    needVrl(ctx);
    const { wasm, vrl: out } = await both(`{"id":"pin-minus-zero",${AUDIT},"pid":-0,"agentId":-0}`);
    expect(Object.is(wasm.ecs.process.pid, -0)).toBe(true);
    expect(out.ecs.process.pid).toBeUndefined();
    expect(out.ecs.agent.id).toBe(wasm.ecs.agent.id);
  });

  it('a lone surrogate: pipeline_error carrying the input', async (ctx) => {
    needVrl(ctx);
    const text = `{"id":"pin-surrogate",${AUDIT},"x":"\\ud800"}`;
    const { wasm, vrl: out } = await both(text);
    expect(wasm.ecs.sysdig.x).toBe('\ufffd');
    expect(out.ecs.event.kind).toBe('pipeline_error');
    expect(out.ecs.event.original).toBe(text);
    expect(out.ecs.error.message).toMatch(/^invalid JSON: unable to parse json: /);
    expect(out.event.message).toBe(text);
  });

  it('nesting of 128 and more: pipeline_error carrying the input', async (ctx) => {
    needVrl(ctx);
    const text = `{"id":"pin-deep",${AUDIT},"deep":${'['.repeat(130)}${']'.repeat(130)}}`;
    const { wasm, vrl: out } = await both(text);
    expect(wasm.ecs.event.dataset).toBe('sysdig.audit');
    expect(out.ecs.event.kind).toBe('pipeline_error');
    expect(out.ecs.event.original).toBe(text);
  });

  it('nesting deeper than 16 (and below 128): equal, kept as JSON text', async (ctx) => {
    needVrl(ctx);
    const text = `{"id":"pin-16",${AUDIT},"deep":${'['.repeat(20)}1, 2${']'.repeat(20)}}`;
    const { wasm, vrl: out } = await both(text);
    expect(out.ecs).toEqual({ ...wasm.ecs, es_document_id: 'pin-16' });
    expect(typeof wasm.ecs.sysdig.deep[0][0][0][0][0][0][0][0][0][0][0][0][0][0][0]).toBe('string');
  });

  it('duplicate keys: VRL keeps the last value and cannot say so', async (ctx) => {
    needVrl(ctx);
    const text = `{"id":"pin-dup",${AUDIT},"x":1,"x":2}`;
    const { wasm, vrl: out } = await both(text);
    expect(wasm.ecs.sysdig.x).toBe(1);
    expect(wasm.ecs.event.original).toBe(text);
    expect(out.ecs.sysdig.x).toBe(2);
    expect(out.ecs.event.original).toBeUndefined();
    expect(out.event.message).toBe(text);
  });

  it('input that is not JSON: the parse error is worded by serde_json', async (ctx) => {
    needVrl(ctx);
    const { wasm, vrl: out } = await both('not json{');
    expect(wasm.ecs.error.message).toBe('invalid JSON: unexpected character at byte 1');
    expect(out.ecs.error.message).toBe('invalid JSON: unable to parse json: expected ident at line 1 column 2');
    expect(out.ecs.event.original).toBe('not json{');
    expect(out.ecs.event.id).toBe(md5Hex('not json{'));
  });

  it('Splunk: time in milliseconds, the event as its exact text', async (ctx) => {
    needVrl(ctx);
    const text = goldenCases.find((c) => c.name === 'runtime-policy-event').text;
    const { wasm, vrl: out } = await both(text);
    expect(wasm.splunk.time).toBe('1606322948.648718268');
    expect(out.envelope.time).toBe('1606322948.648');
    expect(typeof wasm.splunk.event).toBe('object');
    expect(out.envelope.event).toBe(text);
  });

  it('Falco fields given as an object: the key that sorts first wins where the module takes the first sent', async (ctx) => {
    needVrl(ctx);
    const text = '{"id":"pin-order","timestamp":1606322948648718268,"content":{"fields":{"proc.pname":"sent-first","proc.aname[1]":"sorts-first"}}}';
    const { wasm, vrl: out } = await both(text);
    expect(wasm.ecs.process.parent.name).toBe('sent-first');
    expect(out.ecs.process.parent.name).toBe('sorts-first');
  });

  it('split_batch splits a JSON array body on its raw text, as the module host does', async (ctx) => {
    needVrl(ctx);
    const body = '[{"a":1.50,"n":18446744073709551615},\n {"b" : [1, {"c":2}]}, "s", 7]';
    const { outputs } = await runVrl(vrl, programs.split, [cliLine(body)]);
    const events = parseExact(outputs[0]);
    expect(events.map((e) => e.message)).toEqual(['{"a":1.50,"n":18446744073709551615}', '{"b" : [1, {"c":2}]}', 's', '7']);
    expect(splitRecords(body).slice(0, 2)).toEqual(events.slice(0, 2).map((e) => e.message));
  });

  it('split_batch splits NDJSON and back-to-back objects (HEC envelopes) on their raw text, as the module host does', async (ctx) => {
    needVrl(ctx);
    const bodies = [
      // Sysdig's webhook output "ndjson"; HEC envelopes one per line.
      '{"a":1.50,"n":18446744073709551615}\n{"b":"x}{y"}\r\n\n{"c":{"d":[1]}}\n',
      // HEC envelopes back to back, one holding "}{" inside a string.
      '{"time":1,"event":{"id":"a"}}{"time":2,"event":"{\\"id\\":\\"b}{c\\"}"}{"event":{"x":{}}}',
    ];
    const { outputs } = await runVrl(vrl, programs.split, bodies.map((body) => cliLine(body)));
    for (const [i, body] of bodies.entries()) {
      const events = parseExact(outputs[i]);
      expect(Array.isArray(events), body).toBe(true);
      expect(events.map((e) => e.message)).toEqual(splitRecords(body));
    }
    // One object, pretty-printed or not, and text that is no JSON pass through whole.
    const whole = ['{\n  "a": 1\n}', '{"a":1}{"b":', 'not json'];
    const { outputs: passed } = await runVrl(vrl, programs.split, whole.map((body) => cliLine(body)));
    whole.forEach((body, i) => expect(parseExact(passed[i]).message).toBe(body));
  });
});
