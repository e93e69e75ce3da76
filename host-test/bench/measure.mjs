// Timing helpers shared by the bench modes. Each subject is timed in
// batches sized to take about `batchMs`; rounds interleave the subjects, so
// a slow phase of the machine hits all of them alike, and the median batch
// stands for the subject.

const now = () => process.hrtime.bigint();

/** Calls `fn` `n` times; returns seconds taken. */
export function timeBatch(fn, n) {
  const t0 = now();
  for (let i = 0; i < n; i++) fn();
  return Number(now() - t0) / 1e9;
}

/** How many calls of `fn` take about `batchMs`, after `warmupMs` of calls. */
export function calibrate(fn, { warmupMs, batchMs }) {
  let n = 16;
  let spent = 0;
  // Warm-up: lets V8 tier the JavaScript and the wasm (Liftoff → TurboFan).
  while (spent * 1000 < warmupMs) {
    spent += timeBatch(fn, n);
    if (n < 1 << 20) n *= 2;
  }
  const perCall = timeBatch(fn, n) / n;
  return Math.max(1, Math.round(batchMs / 1000 / perCall));
}

/**
 * Times every subject `rounds` times, interleaved.
 * @param {{name: string, fn: () => void}[]} subjects
 * @returns {Map<string, {perSecond: number, secondsPerCall: number, spread: number}>}
 */
export function measure(subjects, { rounds = 7, warmupMs = 300, batchMs = 100 } = {}) {
  const sizes = subjects.map((s) => calibrate(s.fn, { warmupMs, batchMs }));
  const samples = subjects.map(() => []);
  for (let r = 0; r < rounds; r++) {
    subjects.forEach((s, i) => samples[i].push(sizes[i] / timeBatch(s.fn, sizes[i])));
  }
  const result = new Map();
  subjects.forEach((s, i) => {
    const sorted = samples[i].sort((a, b) => a - b);
    const med = median(sorted);
    result.set(s.name, {
      perSecond: med,
      secondsPerCall: 1 / med,
      // Half the range between the quartiles, relative to the median.
      spread: (sorted[Math.floor((sorted.length * 3) / 4)] - sorted[Math.floor(sorted.length / 4)]) / 2 / med,
    });
  });
  return result;
}

export function median(sorted) {
  const m = sorted.length >> 1;
  return sorted.length % 2 ? sorted[m] : (sorted[m - 1] + sorted[m]) / 2;
}

// Formatting -----------------------------------------------------------------

export const fmtRate = (v) =>
  v >= 1e6 ? `${(v / 1e6).toFixed(2)}M` : v >= 1e3 ? `${(v / 1e3).toFixed(1)}k` : v.toFixed(0);
export const fmtMB = (v) => v.toFixed(v >= 100 ? 0 : 1);
export const fmtRatio = (v) => (v >= 10 ? v.toFixed(1) : v.toFixed(2)) + '×';
export const fmtUs = (seconds) => (seconds * 1e6).toFixed(2);

/** Prints rows (arrays of cells) as a table with a header and aligned columns. */
export function printTable(header, rows, log = console.log) {
  const widths = header.map((h, c) => Math.max(h.length, ...rows.map((r) => String(r[c]).length)));
  const line = (cells) =>
    cells.map((cell, c) => (c === 0 ? String(cell).padEnd(widths[c]) : String(cell).padStart(widths[c]))).join('  ');
  log(line(header));
  log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const r of rows) log(line(r));
}
