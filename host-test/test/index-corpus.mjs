// The corpus that the index templates are proven on, on a real
// Elasticsearch node (elasticsearch.test.mjs) and a real OpenSearch node
// (opensearch.test.mjs): inputs, to be turned into documents by the filter.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';

import { REPO_ROOT } from '../e2e/harness.mjs';
import { goldenInputs, mutant } from './mutants.mjs';
import { parseTree, pathsOf, stringifyExact, withValueAt } from './tree.mjs';

export const goldenDir = join(REPO_ROOT, 'host-test', 'golden');
export const golden = (name, file = 'input.json') => readFileSync(join(goldenDir, name, file), 'utf8');

/**
 * The corpus: every golden input; every field of every golden input replaced
 * by each wrong-typed value (as the adversarial suite does); fuzzed mutants
 * of every golden input (the fuzz suite's generator, fixed seed); and inputs
 * aimed at Elasticsearch's own limits.
 */
export function buildCorpus() {
  const corpus = readdirSync(goldenDir).sort().map((name) => ({ kind: 'golden', text: golden(name) }));
  const replacements = [null, '', 'text', 0, -1, 1e300, true, {}, [], { key: 'k', value: 'v' }, [{ key: 'a.b', value: 1 }], [null], undefined];
  for (const { tree } of goldenInputs) {
    for (const path of pathsOf(tree)) {
      for (const value of replacements) corpus.push({ kind: 'wrong type', text: stringifyExact(withValueAt(tree, path, value)) });
    }
  }
  for (const [i, { tree }] of goldenInputs.entries()) {
    for (const text of fc.sample(mutant(tree), { seed: 4200 + i, numRuns: 200 })) corpus.push({ kind: 'fuzz', text });
  }
  const runtime = parseTree(golden('runtime-policy-event'));
  const withRuntime = (extra) => stringifyExact({ ...runtime, ...extra });
  const nest = (depth, leaf) => { let v = leaf; for (let i = 0; i < depth; i++) v = { k: v }; return v; };
  const specials = [
    // Lucene refuses terms over 32766 bytes; a flattened leaf is one term of its key path and value.
    withRuntime({ ['k'.repeat(40000)]: 'v' }),
    withRuntime({ content: { ...runtime.content, ['k'.repeat(1025)]: 'v' } }),
    withRuntime({ content: { ...runtime.content, ['k'.repeat(1024)]: 'v'.repeat(1024) } }),
    withRuntime({ deep: nest(14, { ['\u4e00'.repeat(400)]: '\u4e00'.repeat(1024) }) }),
    withRuntime({ deep: nest(15, { ['k'.repeat(1024)]: '\u{1F600}'.repeat(600) }) }),
    withRuntime({ wide: '\u4e00'.repeat(1025), huge: 'x'.repeat(10_000_000) }),
    withRuntime({ deep: 'DEEP' }).replace('"DEEP"', `${'{"k":'.repeat(100_000)}"bottom"${'}'.repeat(100_000)}`),
    withRuntime({ many: Object.fromEntries(Array.from({ length: 100_000 }, (_, i) => [`key${i}`, i])) }),
    // date_nanos holds 1970-01-01 up to 2262-04-11T23:47:16.854775807Z.
    withRuntime({ timestamp: 9223372036854775807n }),
    withRuntime({ timestamp: 9223372036854775808n }),
    withRuntime({ timestamp: 9223372036854775 }),
    withRuntime({ timestamp: 9999999999 }),
    withRuntime({ timestamp: 0 }),
    withRuntime({ timestamp: '9223372036.854775807' }),
    withRuntime({ timestamp: '9223372036.854775808' }),
    // Numbers and text Elasticsearch would map or parse differently.
    withRuntime({ n: 123456789012345678901234567890n, f: 1e308, g: -0 }),
    '{"id":"a\\ud800b","content":{"fields":{"proc.pid":"12x","fd.sip":"999.1.1.1","proc.ppid":99999999999999999999}}}',
    withRuntime({ severity: 'high', labels: { 'host.mac': 'zz:zz', 'kubernetes.namespace.name': { a: 1 } } }),
  ];
  for (const text of specials) corpus.push({ kind: 'limits', text });
  return corpus;
}

