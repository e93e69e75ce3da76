#!/usr/bin/env node
// Writes vector/vrl/fields.vrl from the one field table, assembly/ecs/fields.ts:
// the VRL port types, lists and indexes every field exactly as the module does.
// `node vector/tools/gen-fields-vrl.mjs` rewrites it; `--check` exits 1 on drift
// (the vrl-fields test runs the same comparison).
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const repo = fileURLToPath(new URL('../..', import.meta.url));
export const FIELDS_TS = `${repo}assembly/ecs/fields.ts`;
export const FIELDS_VRL = `${repo}vector/vrl/fields.vrl`;

/** The rows of SPEC in fields.ts: { path, type, isList, cim }. */
export function readFieldTable(source = readFileSync(FIELDS_TS, 'utf8')) {
  const spec = source.slice(source.indexOf('const SPEC'), source.indexOf('];', source.indexOf('const SPEC')));
  const rows = [];
  for (const [, line] of spec.matchAll(/^\s*"([^"]+)",/gm)) {
    const [path, type, list, cim] = line.trim().split(/\s+/);
    if (!['keyword', 'text', 'long', 'date', 'ip', 'boolean'].includes(type) || !['1', 'n'].includes(list)) {
      throw new Error(`unexpected row in fields.ts SPEC: ${line}`);
    }
    rows.push({ path, type, isList: list === 'n', cim: cim === '-' ? '' : cim });
  }
  return rows.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
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

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const text = renderFieldsVrl();
  if (process.argv.includes('--check')) {
    if (readFileSync(FIELDS_VRL, 'utf8') !== text) {
      console.error(`${FIELDS_VRL} is out of date: run node vector/tools/gen-fields-vrl.mjs`);
      process.exit(1);
    }
  } else writeFileSync(FIELDS_VRL, text);
}
