#!/usr/bin/env node
// `npm run gen`: writes every generated artifact; the tests fail when a
// committed one differs from what this would write.
import { writeFileSync, mkdirSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { generatedFiles as elasticsearch } from './elasticsearch.mjs';
import { generatedFiles as kibana } from './kibana.mjs';
import { generatedFiles as opensearch } from './opensearch.mjs';
import { generatedFiles as vrlFields } from '../../vector/tools/gen-fields-vrl.mjs';
import { generatedFiles as fluentBitReleases } from './fluent-bit-releases.mjs';
import { generatedFiles as elasticComparison } from './elastic-comparison.mjs';
import { generatedFiles as splunkFields } from './splunk-fields.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const generators = [elasticsearch, opensearch, kibana, vrlFields, fluentBitReleases, elasticComparison, splunkFields];
for (const gen of generators) {
  for (const [path, text] of Object.entries(await gen())) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
    console.log(`wrote ${path}`);
  }
}
