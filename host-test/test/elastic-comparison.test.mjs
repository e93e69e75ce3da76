// The comparison with Elastic's integrations in elasticsearch/README.md
// (host-test/gen/elastic-comparison.mjs) against the code: every field the
// table says we fill is in the named golden case's expected document, which
// golden.test.mjs holds to the module; every field it says we do not fill is
// in no golden document; and the README holds the table as generated.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ROWS, README, generatedFiles, goldenDocuments, valueAt } from '../gen/elastic-comparison.mjs';

const docs = goldenDocuments();

describe('comparison with Elastic\'s integrations', () => {
  it('is in the README as generated', () => {
    const committed = readFileSync(new URL(`../../${README}`, import.meta.url), 'utf8');
    expect(committed).toBe(generatedFiles()[README]);
  });

  it('names each field once', () => {
    const fields = ROWS.map((r) => r[0]);
    expect(new Set(fields).size).toBe(fields.length);
  });

  for (const [field, , , , ours, proof] of ROWS) {
    if (ours !== '') {
      it(`${field}: we fill it (${proof})`, () => {
        expect(docs[proof], `no golden case ${proof}`).toBeDefined();
        const values = docs[proof].map((d) => valueAt(d, field)).filter((v) => v !== undefined);
        expect(values.length, `${field} in ${proof}`).toBeGreaterThan(0);
      });
    } else {
      it(`${field}: we do not fill it`, () => {
        const found = Object.entries(docs).filter(([, ds]) => ds.some((d) => valueAt(d, field) !== undefined)).map(([n]) => n);
        expect(found).toEqual([]);
      });
    }
  }
});
