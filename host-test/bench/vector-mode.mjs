// The Vector mode of `npm run bench`: records/s and CPU per record of the VRL
// port in Vector's remap transform (vector/vector.yaml's programs, exactly the
// files it lists), beside a remap that only parses the event and encodes it
// again, and beside no transform at all, on the same sample, in one run.
// stdin source (one record per line) → remap → blackhole; Vector exits at the
// end of its input. Measured like the Fluent Bit mode: the rate while feeding,
// CPU of a run with the records minus a run with none (start-up, VRL
// compilation and shutdown taken out). Needs a release build of Vector
// (build-vector.sh --release); a dev build runs, but its numbers say little.

import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { samples } from '../test/samples.mjs';
import { programFiles } from '../vector/program.mjs';
import { median, printTable, fmtRate } from './measure.mjs';
import { findVector as findVectorBin } from '../e2e/harness.mjs';

const BLOCK_RECORDS = 256;
const RUN_TIMEOUT_MS = 600_000;
const CLOCK_TICKS = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout) || 100;

/** { vector } from VECTOR_BIN or PATH (the e2e suite's lookup), or { reason }. */
export function findVector() {
  const vector = findVectorBin();
  if (vector) return { vector };
  return { reason: process.env.VECTOR_BIN ? `VECTOR_BIN=${process.env.VECTOR_BIN} is not executable` : 'no vector binary (VECTOR_BIN or PATH)' };
}

export async function runVectorMode({ vector, root, records, repeat, families, log }) {
  const version = spawnSync(vector, ['--version'], { encoding: 'utf8' }).stdout.trim();
  log(`${version} (${vector})`);
  const work = join(root, 'build/bench/vector');
  mkdirSync(join(work, 'data'), { recursive: true });
  const subjects = {
    none: null,
    'parse + encode': { source: '.message = encode_json(parse_json!(.message))' },
    'ours ecs': { files: programFiles('sysdig_to_ecs') },
    'ours splunk': { files: programFiles('sysdig_to_splunk') },
  };
  log(`stdin → remap → blackhole, ${records} records per run minus a run with none, median of ${repeat} runs.`);
  const summary = {};
  for (const { name, text } of samples.filter((s) => !families || families.includes(s.name))) {
    for (const [label, remap] of Object.entries(subjects)) {
      const runs = [];
      for (let r = 0; r < repeat; r++) {
        const empty = await runRecords(vector, work, { remap, records: 0, record: text.trim() });
        const full = await runRecords(vector, work, { remap, records, record: text.trim() });
        runs.push({ rate: full.rate, cpu: (full.cpu - empty.cpu) / records });
      }
      (summary[name] ??= {})[label] = {
        rate: median(runs.map((m) => m.rate).sort((a, b) => a - b)),
        cpu: median(runs.map((m) => m.cpu).sort((a, b) => a - b)),
      };
    }
  }
  const rows = [];
  for (const [family, bySubject] of Object.entries(summary)) {
    for (const [label, { rate, cpu }] of Object.entries(bySubject)) {
      rows.push([family, label, fmtRate(rate), (cpu * 1e6).toFixed(2),
        label === 'none' ? '' : ((cpu - bySubject.none.cpu) * 1e6).toFixed(2)]);
    }
  }
  log('');
  printTable(['family', 'remap', 'rec/s', 'CPU µs/rec', 'minus none'], rows, log);
  const rt = summary['runtime-policy-event'] ?? {};
  const targets = [];
  if (rt['ours ecs'] && rt['parse + encode']) {
    targets.push(`Vector, remap ecs: ${fmtRate(rt['ours ecs'].rate)} rec/s, ` +
      `${((rt['ours ecs'].cpu - rt.none.cpu) * 1e6).toFixed(1)} µs CPU per record in the transform, ` +
      `vs parse + encode ${fmtRate(rt['parse + encode'].rate)} rec/s, ${((rt['parse + encode'].cpu - rt.none.cpu) * 1e6).toFixed(1)} µs`);
  }
  return { summary, targets };
}

async function runRecords(vector, work, { remap, records, record }) {
  const config = join(work, 'bench.yaml');
  writeFileSync(config, configText(work, remap));
  const child = spawn('sh', ['-c', '"$0" --quiet -c "$1" 2>"$2"; s=$?; cat /proc/$$/stat; exit $s',
    vector, config, join(work, 'stderr.txt')], { stdio: ['pipe', 'pipe', 'inherit'] });
  let stdout = '';
  child.stdout.on('data', (d) => { stdout += d; });
  const exited = new Promise((resolve) => child.on('exit', (code) => resolve(code)));
  child.stdin.on('error', () => {});
  const timer = setTimeout(() => child.kill('SIGKILL'), RUN_TIMEOUT_MS);
  const rate = await feed(child.stdin, record, records);
  const code = await exited;
  clearTimeout(timer);
  if (code !== 0) {
    throw new Error(`Vector run (${records} records): exit ${code}\n${readFileSync(join(work, 'stderr.txt'), 'utf8').slice(-2000)}`);
  }
  const stat = stdout.trim().split('\n').pop().split(' ');
  return { rate, cpu: (Number(stat[15]) + Number(stat[16])) / CLOCK_TICKS };
}

/** Writes `n` lines in blocks, minding back-pressure; records per second
 *  between the first block drained and the last written (as the Fluent Bit mode). */
async function feed(stream, record, n) {
  const line = `${record}\n`;
  const block = Buffer.from(line.repeat(BLOCK_RECORDS));
  let start = null;
  for (let left = n; left > 0; left -= BLOCK_RECORDS) {
    const chunk = left >= BLOCK_RECORDS ? block : Buffer.from(line.repeat(left));
    if (!stream.write(chunk)) await new Promise((resolve) => stream.once('drain', resolve));
    start ??= performance.now();
  }
  await new Promise((resolve) => stream.end(resolve));
  if (start === null) return 0;
  return (n - BLOCK_RECORDS) / ((performance.now() - start) / 1000);
}

function configText(work, remap) {
  const transform = remap === null ? '' : `transforms:
  t:
    type: remap
    inputs: [in]
${remap.source ? `    source: ${JSON.stringify(remap.source)}\n` : `    files:\n${remap.files.map((f) => `      - ${JSON.stringify(f)}\n`).join('')}`}`;
  return `data_dir: ${JSON.stringify(join(work, 'data'))}
sources:
  in:
    type: stdin
    decoding:
      codec: bytes
${transform}sinks:
  out:
    type: blackhole
    inputs: [${remap === null ? 'in' : 't'}]
    print_interval_secs: 0
`;
}
