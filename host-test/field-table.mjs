// The field table of assembly/ecs/fields.ts, read from its source for the
// generators and tests that run in Node. The module parses the same rows at
// start-up, so both sides always see one table.
import { readFileSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

export const FIELDS_SOURCE = join(dirname(fileURLToPath(import.meta.url)), '..', 'assembly', 'ecs', 'fields.ts');

/** [{path, type, isList, cim}] in the order of the table. */
export function readFieldTable(source = readFileSync(FIELDS_SOURCE, 'utf8')) {
  const block = /const SPEC: string\[\] = \[([\s\S]*?)\n\];/.exec(source);
  if (!block) throw new Error(`no SPEC table in ${FIELDS_SOURCE}`);
  const rows = [];
  for (const m of block[1].matchAll(/^\s*"([^"]*)",/gm)) {
    const [path, type, list, cim, ...rest] = m[1].trim().split(/\s+/);
    if (!path || !type || !list || !cim || rest.length) throw new Error(`malformed field row: ${m[1]}`);
    rows.push({ path, type, isList: list === 'n', cim: cim === '-' ? '' : cim });
  }
  if (rows.length === 0) throw new Error('empty field table');
  return rows;
}
