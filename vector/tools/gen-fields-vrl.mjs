#!/usr/bin/env node
// Writes vector/vrl/fields.vrl from the one field table, assembly/ecs/fields.ts:
// the VRL port types, lists and indexes every field exactly as the module does.
// `npm run gen` (or `node vector/tools/gen-fields-vrl.mjs`) rewrites it; `--check` exits 1 on drift
// (the vrl-fields test runs the same comparison).
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { readFieldTable as readSharedFieldTable } from '../../host-test/field-table.mjs';

const repo = fileURLToPath(new URL('../..', import.meta.url));
export const FIELDS_VRL = `${repo}vector/vrl/fields.vrl`;

/** The rows of the field table ({ path, type, isList, cim }), by path. */
export function readFieldTable() {
  return readSharedFieldTable().sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

export function renderFieldsVrl(rows = readFieldTable()) {
  const list = (name, pick) => [
    `${name} = unique([`,
    ...rows.filter(pick).map((r) => `  ${JSON.stringify(r.path)},`),
    '])',
  ];
  const width = Math.max(...rows.filter((r) => r.cim).map((r) => r.path.length)) + 3;
  return [
    '# GENERATED from assembly/ecs/fields.ts by vector/tools/gen-fields-vrl.mjs: do not edit.',
    '# The field table as apply.vrl and to_splunk.vrl read it: the fields of each',
    '# type other than keyword/text/date, the fields that hold a list, and the',
    '# Splunk CIM name of each indexed field. Small separate lists, because VRL',
    '# copies a value passed to a function: one big table looked up per field',
    '# cost more than the rest of the mapping. unique()/compact() hide the',
    '# literals\' types from the compiler (init.vrl).',
    ...list('LONG_FIELDS', (r) => r.type === 'long'),
    ...list('IP_FIELDS', (r) => r.type === 'ip'),
    ...list('BOOLEAN_FIELDS', (r) => r.type === 'boolean'),
    ...list('LIST_FIELDS', (r) => r.isList),
    'CIM_NAMES = compact({',
    ...rows.filter((r) => r.cim).map((r) => `  ${JSON.stringify(r.path).padEnd(width)}: ${JSON.stringify(r.cim)},`),
    '}, recursive: false)',
    '',
  ].join('\n');
}

/** For `npm run gen` (host-test/gen/generate.mjs). */
export function generatedFiles() {
  return { 'vector/vrl/fields.vrl': renderFieldsVrl() };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const text = renderFieldsVrl();
  if (process.argv.includes('--check')) {
    if (readFileSync(FIELDS_VRL, 'utf8') !== text) {
      console.error(`${FIELDS_VRL} is out of date: run node vector/tools/gen-fields-vrl.mjs`);
      process.exit(1);
    }
  } else writeFileSync(FIELDS_VRL, text);
}
