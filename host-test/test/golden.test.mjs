// Golden pairs, in the style of elastic/integrations pipeline tests: each
// folder holds an input and the exact documents expected for each target.
// The expected files were checked by hand against the mapping (README).
// Regenerate only after a deliberate mapping change: UPDATE_GOLDEN=1.
import { describe, it, expect, beforeAll } from 'vitest';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadFilter } from '../host.mjs';

const goldenDir = join(dirname(fileURLToPath(import.meta.url)), '..', 'golden');
const cases = readdirSync(goldenDir).sort();
const clock = { tag: 'sysdig', sec: 1700000000, nsec: 500000000 };
const targets = { ecs: 'sysdig_to_ecs', splunk: 'sysdig_to_splunk', cef: 'sysdig_to_cef', leef: 'sysdig_to_leef' };

let filter;
beforeAll(async () => { filter = await loadFilter(); });

describe('golden pairs', () => {
  it('has a case for every sample shape', () => {
    expect(cases.length).toBeGreaterThanOrEqual(7);
  });
  for (const name of cases) {
    for (const [target, fn] of Object.entries(targets)) {
      it(`${name} → ${target}`, () => {
        const input = readFileSync(join(goldenDir, name, 'input.json'));
        const result = filter.call(fn, input, clock);
        expect(result.status).toBe('ok');
        const expectedPath = join(goldenDir, name, `expected.${target}.json`);
        if (process.env.UPDATE_GOLDEN) writeFileSync(expectedPath, result.output + '\n');
        expect(result.output + '\n').toBe(readFileSync(expectedPath, 'utf8'));
      });
    }
  }
});
