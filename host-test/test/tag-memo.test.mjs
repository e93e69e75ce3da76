// A rule's tag list, mapped once, is set again for the next record whose
// list has the same bytes (assembly/map/tag_memo.ts). That may never change
// what a record becomes: one long-lived instance, fed records whose tag
// lists repeat, differ by a byte, move, hold duplicates, escapes, ATT&CK
// forms and non-strings, must answer each record exactly as a fresh
// instance, which has kept nothing, does.

import { readFile } from 'node:fs/promises';
import { readFileSync } from 'node:fs';

import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';

import { DEFAULT_WASM_PATH, compactJson, loadFilter } from '../host.mjs';

const EXPORTS = ['sysdig_to_ecs', 'sysdig_to_splunk', 'sysdig_to_cef', 'sysdig_to_leef'];
const OPTS = { tag: 'sysdig', sec: 1700000000, nsec: 123456789 };

const golden = (name) => JSON.parse(readFileSync(new URL(`../golden/${name}/input.json`, import.meta.url), 'utf8'));
const runtime = golden('runtime-policy-event');
const falco = golden('falco-02-syscall-collector-aname-mitre');

/** Tag spellings: every ATT&CK form the mapper reads, and others. */
const POOL = [
  'mitre_persistence', 'MITRE_TA0003_persistence', 'mitre_privilege_escalation', 'MITRE_Defense_Evasion',
  'T1059', 'T1059.004', 'MITRE_T1059_command_and_scripting_interpreter', 'MITRE_T1548.001_setuid_and_setgid',
  'TA0002', 'NIST', 'NIST_3.4.4', 'filesystem', 'container', 'mitre_persistencf', '', '<NA>', 'N/A',
];

/** The runtime record with `tags` as its rule's tags (raw JSON text of the
 *  list), and `variant` changing something else. */
function runtimeWith(tags, variant = 0) {
  const record = structuredClone(runtime);
  record.content.ruleTags = '__TAGS__';
  if (variant === 1) record.content.output = `${record.content.output} (again)`;
  if (variant === 2) delete record.timestamp; // no event time: tags gets one more value after mapping
  if (variant === 3) record.content = { ruleTags: '__TAGS__', ...record.content }; // the list first
  return compactJson(JSON.stringify(record)).replace('"__TAGS__"', tags);
}

function falcoWith(tags) {
  const record = structuredClone(falco);
  record.tags = '__TAGS__';
  return compactJson(JSON.stringify(record)).replace('"__TAGS__"', tags);
}

let module;
beforeAll(async () => {
  module = await WebAssembly.compile(await readFile(DEFAULT_WASM_PATH));
});

async function expectAsFresh(records, exports = EXPORTS) {
  const longLived = await loadFilter(module);
  for (const record of records) {
    for (const fn of exports) {
      const want = (await loadFilter(module)).call(fn, record, OPTS);
      const got = longLived.call(fn, record, OPTS);
      expect(got.status, `${fn} ${record}`).toBe(want.status);
      expect(got.output, `${fn} ${record}`).toBe(want.output);
    }
  }
}

describe('tag memo', () => {
  it('sets the same values for a repeated list, and the right ones for every change around it', async () => {
    const base = '["mitre_persistence","NIST","NIST_3.4.4","filesystem"]';
    const records = [
      runtimeWith(base), runtimeWith(base), runtimeWith(base, 1),
      // a byte changed, then the list again
      runtimeWith('["mitre_persistencf","NIST","NIST_3.4.4","filesystem"]'), runtimeWith(base),
      // the same list elsewhere in the record
      runtimeWith(base, 3), runtimeWith(base),
      // no event time: the document's tags get one more value after the list's
      runtimeWith(base, 2), runtimeWith(base), runtimeWith(base, 2),
      // duplicates, escapes (the same tag text, other bytes), non-strings, nesting
      runtimeWith('["NIST","NIST","mitre_persistence","mitre_persistence"]'), runtimeWith('["NIST","NIST","mitre_persistence","mitre_persistence"]'),
      runtimeWith('["\\u006ditre_persistence","NIST"]'), runtimeWith('["mitre_persistence","NIST"]'), runtimeWith('["\\u006ditre_persistence","NIST"]'),
      runtimeWith('[1,null,{"a":"T1059"},["mitre_execution"],"T1059.004",true]'), runtimeWith('[1,null,{"a":"T1059"},["mitre_execution"],"T1059.004",true]'),
      runtimeWith('[]'), runtimeWith('[]'), runtimeWith(base),
      // techniques and sub-techniques, whose ids, names and references are composed text
      runtimeWith('["MITRE_T1548.001_setuid_and_setgid","T1059","TA0002"]'), runtimeWith('["MITRE_T1548.001_setuid_and_setgid","T1059","TA0002"]', 1),
      // another family's list, with the same bytes as the runtime one's
      falcoWith(base), falcoWith(base), runtimeWith(base), falcoWith('["T1059.004","mitre_execution"]'), falcoWith('["T1059.004","mitre_execution"]'),
      // not a list
      runtimeWith('"mitre_persistence"'), runtimeWith(base),
    ];
    await expectAsFresh(records);
  }, 120_000);

  it('answers as a fresh instance for any sequence of lists drawn from the ATT&CK forms', async () => {
    const list = fc.array(fc.constantFrom(...POOL), { maxLength: 6 }).map((tags) => JSON.stringify(tags));
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.record({ tags: fc.oneof(list, fc.constant('["mitre_persistence","NIST"]')), variant: fc.integer({ min: 0, max: 3 }), falco: fc.boolean() }), { minLength: 2, maxLength: 8 }),
        async (steps) => {
          const records = steps.map(({ tags, variant, falco: isFalco }) => (isFalco ? falcoWith(tags) : runtimeWith(tags, variant)));
          await expectAsFresh(records, ['sysdig_to_ecs', 'sysdig_to_cef']);
        },
      ),
      { numRuns: 40 },
    );
  }, 120_000);
});
