// The corpus the CEF and LEEF checks run on: every golden input, and a fixed,
// seeded set of mutants of each in which values are replaced by what CEF and
// LEEF must escape, replace or cut (=, \, |, CR, LF, tab, controls, lone
// surrogates, non-BMP characters, values past every length limit, IPv6 and
// out-of-range ports, odd times), or the text is damaged. SIEM_CORPUS_RUNS
// sets the mutants per input (default 200).
import { readdirSync, readFileSync } from 'node:fs';
import fc from 'fast-check';
import { parseTree, pathsOf, stringifyExact, withValueAt } from './tree.mjs';

const RUNS = Number(process.env.SIEM_CORPUS_RUNS ?? 200);
const goldenDir = new URL('../golden/', import.meta.url);

const hostileString = fc.oneof(
  fc.constantFrom(
    'a=b', 'a\\b', 'a|b', '\\|=', 'line1\nline2', 'cr\rhere', 'tab\there', ' lead', 'trail ', '  ', 'k=v x=y',
    '\u0000\u0001\u001f\u007f', '\ud800', 'x\udc00y', 'é😀\u4e2d', '2001:db8::1', '::ffff:10.0.0.1', '10.0.0.256',
    '70000', '65535', '0', '-1', 'egress', 'ingress', 'TA0001', 'T1059.004', 'MITRE ATT&CK', '2020-11-25T16:49:08Z',
    '\\n', '\\=', 'CEF:0|x|y', 'LEEF:2.0|a|b|c|d|^|', '=', '\\', '|',
  ),
  fc.integer({ min: 30, max: 5000 }).map((n) => 'x='.repeat(n)),
  fc.integer({ min: 20, max: 3000 }).map((n) => '😀|\\'.repeat(n)),
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.string({ unit: fc.constantFrom('=', '\\', '|', '\n', '\r', '\t', ' ', 'a', '\u00e9', '\ud83d\ude00'), maxLength: 60 }),
);
const hostileValue = fc.oneof(
  hostileString,
  fc.constantFrom(0, 7, 8, -1, 65536, 1606322948648718268n, 1606322948, 1e21, null, true, [], {}),
  fc.array(hostileString, { maxLength: 3 }),
);

function mutants(text) {
  let tree;
  try {
    tree = parseTree(text);
  } catch {
    return [];
  }
  if (tree === null || typeof tree !== 'object') return [];
  const edit = fc.tuple(fc.nat(), hostileValue);
  const arb = fc.tuple(fc.array(edit, { minLength: 1, maxLength: 4 }), fc.nat({ max: 9 })).map(([edits, damage]) => {
    let t = tree;
    for (const [at, value] of edits) {
      // Paths of the tree as edited so far: an edit may have replaced a parent.
      const now = pathsOf(t);
      if (now.length > 0) t = withValueAt(t, now[at % now.length], value);
    }
    const out = stringifyExact(t);
    // One in ten is damaged text: cut, or wrapped in a log string.
    if (damage === 0) return out.slice(0, Math.floor(out.length / 2));
    if (damage === 1) return JSON.stringify({ log: out });
    return out;
  });
  return fc.sample(arb, { seed: 4242, numRuns: RUNS });
}

export const goldenInputs = readdirSync(goldenDir)
  .sort()
  .map((name) => ({ name, text: readFileSync(new URL(`${name}/input.json`, goldenDir), 'utf8') }));

export const corpus = goldenInputs.flatMap(({ name, text }) => [
  { name, text },
  ...mutants(text).map((t, i) => ({ name: `${name}#${i}`, text: t })),
]);
