#!/usr/bin/env node
// sysdig-normalize: runs Sysdig events through the filter module the way
// Fluent Bit's wasm filter would, and prints each output document as is.

import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';

import { DEFAULT_WASM_PATH, loadFilter } from './host.mjs';
import { splitRecords } from './split.mjs';

const FILTER_FUNCTIONS = { ecs: 'sysdig_to_ecs', splunk: 'sysdig_to_splunk', cef: 'sysdig_to_cef', leef: 'sysdig_to_leef' };
const MAX_U32 = 0xffffffff;
const UTF8_BOM = Buffer.from([0xef, 0xbb, 0xbf]);

const USAGE = `Usage: sysdig-normalize --to ecs|splunk|cef|leef [options] [FILE...]

Runs Sysdig events through the normalizer wasm module exactly as Fluent Bit's
wasm filter calls it, and prints one output JSON document per line.

Each FILE (stdin when there is none, or for "-") may hold one JSON object, a
JSON array of events, or NDJSON.

Options:
  --to ecs|splunk|cef|leef
                     output format (calls sysdig_to_ecs, sysdig_to_splunk,
                     sysdig_to_cef or sysdig_to_leef)
  --tag TAG          Fluent Bit tag passed to the filter (default: sysdig)
  --time SEC[.FRAC]  record time in epoch seconds, up to 9 fraction digits,
                     e.g. 1605540695.178065200 (default: now)
  --wasm PATH        module to load (default: build/sysdig_normalizer.wasm)
  -h, --help         show this help

Exit status: 0 if every record produced a document; 1 if any record was
dropped, invalid or trapped (each is reported on stderr); 2 on usage or
setup errors.
`;

class UsageError extends Error {}

async function main(argv) {
  const options = parseOptions(argv);
  if (options.help) {
    process.stdout.write(USAGE);
    return 0;
  }

  const wasmPath = resolve(options.wasm ?? DEFAULT_WASM_PATH);
  if (!existsSync(wasmPath)) {
    throw new Error(`wasm module not found: ${wasmPath}\nRun \`npm run build\` first to build it.`);
  }
  const filter = await loadFilter(wasmPath);
  if (!filter.exports.includes(options.fnName)) {
    throw new Error(`${wasmPath} does not export ${options.fnName}`);
  }

  // Read everything first so an unreadable file fails before any output.
  const inputs = await readInputs(options.files);
  let failedRecords = 0;
  for (const input of inputs) {
    const documents = [];
    splitRecords(input.latin1Text).forEach((recordText, index) => {
      // latin1 round-trips bytes exactly, so the filter gets the input bytes.
      const recordBytes = Buffer.from(recordText, 'latin1');
      const result = filter.call(options.fnName, recordBytes, options.callOptions);
      if (result.status === 'ok') {
        documents.push(result.output + '\n');
      } else {
        failedRecords++;
        process.stderr.write(`sysdig-normalize: ${input.name}: record ${index + 1}: ${result.status}: ${result.error}\n`);
      }
    });
    process.stdout.write(documents.join(''));
  }
  return failedRecords > 0 ? 1 : 0;
}

function parseOptions(argv) {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        to: { type: 'string' },
        tag: { type: 'string' },
        time: { type: 'string' },
        wasm: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (error) {
    throw new UsageError(error.message);
  }
  const { values, positionals } = parsed;
  if (values.help) return { help: true };

  const fnName = FILTER_FUNCTIONS[values.to];
  if (!fnName) {
    throw new UsageError(values.to === undefined ? '--to is required' : `--to must be ecs, splunk, cef or leef, not ${values.to}`);
  }
  const callOptions = { tag: values.tag ?? 'sysdig' };
  if (values.time !== undefined) Object.assign(callOptions, parseTime(values.time));

  return { fnName, callOptions, wasm: values.wasm, files: positionals.length > 0 ? positionals : ['-'] };
}

// "1605540695.1780652" means 1605540695 s + 178065200 ns: the part after the
// dot is a decimal fraction, padded to nanoseconds.
function parseTime(text) {
  const match = /^(\d+)(?:\.(\d{1,9}))?$/.exec(text);
  if (!match || Number(match[1]) > MAX_U32) {
    throw new UsageError(`--time must be SEC[.FRAC] with SEC <= ${MAX_U32} and up to 9 fraction digits, not ${text}`);
  }
  return { sec: Number(match[1]), nsec: Number((match[2] ?? '').padEnd(9, '0')) };
}

async function readInputs(files) {
  const inputs = [];
  for (const file of files) {
    const isStdin = file === '-';
    let bytes;
    try {
      bytes = isStdin ? await readStdin() : await readFile(file);
    } catch (error) {
      throw new Error(`cannot read ${file}: ${error.message}`);
    }
    if (bytes.subarray(0, 3).equals(UTF8_BOM)) bytes = bytes.subarray(3);
    inputs.push({ name: isStdin ? '<stdin>' : file, latin1Text: bytes.toString('latin1') });
  }
  return inputs;
}

async function readStdin() {
  const chunks = [];
  for await (const chunk of process.stdin) chunks.push(chunk);
  return Buffer.concat(chunks);
}

// Quietly stop when the reader goes away (e.g. `| head`).
process.stdout.on('error', (error) => {
  if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw error;
});

try {
  process.exitCode = await main(process.argv.slice(2));
} catch (error) {
  process.stderr.write(`sysdig-normalize: ${error.message}\n`);
  if (error instanceof UsageError) process.stderr.write('Try sysdig-normalize --help\n');
  process.exitCode = 2;
}
