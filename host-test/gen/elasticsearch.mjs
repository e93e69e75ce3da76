// Builds what an operator installs on Elasticsearch from the field table
// (assembly/ecs/fields.ts), so the mapping can never disagree with what the
// filter writes:
//  - elasticsearch/component-template-mappings.json  → _component_template/sysdig@mappings
//  - elasticsearch/index-template.json               → _index_template/sysdig-events
//  - elasticsearch/data-stream-template.json         → _index_template/logs-sysdig
// and the same three for OpenSearch under elasticsearch/opensearch/ (see
// opensearch.mjs). `npm run gen` writes them; elasticsearch.test.mjs fails
// when they drift.
import { readFieldTable } from '../field-table.mjs';

/** Component template names, as installed by elasticsearch/install.sh. */
export const MAPPINGS_COMPONENT = 'sysdig@mappings';
/** Left to the operator (replicas, ILM policy, refresh interval); optional. */
export const CUSTOM_COMPONENT = 'sysdig@custom';

/** Payload roots: the whole event as sent, kept under one `flattened` field
 *  each (see elasticsearch/README.md for why). */
export const PAYLOAD_ROOTS = ['sysdig', 'falco'];

/** Fields the shipper adds, not the filter: the es output's `time_key`
 *  (fluent-bit/*.yaml set it to event.ingested with nanoseconds). */
export const SHIPPER_FIELDS = [{ path: 'event.ingested', type: 'date' }];

/** ECS keyword fields are cut for indexing at 1024 characters. */
const KEYWORD_IGNORE_ABOVE = 1024;
/** A flattened leaf longer than this is kept in _source but not indexed.
 *  With the filter's 1024-byte key limit and 16 levels, key path and value
 *  stay under Lucene's 32766-byte term limit (assembly/normalize.ts). */
const FLATTENED_IGNORE_ABOVE = 1024;

/** ECS fields that ECS itself keeps out of the index (only in _source). */
const NOT_INDEXED = new Set(['event.original']);
/** ECS fields that ECS gives a `.text` multi-field for full-text search. */
const WITH_TEXT = new Set([
  'file.path', 'process.command_line', 'process.executable', 'process.name',
  'process.parent.command_line', 'process.parent.executable', 'process.parent.name',
  'user.name', 'user_agent.original', 'url.original', 'url.full',
]);

function leafMapping(path, type) {
  switch (type) {
    case 'keyword': {
      if (NOT_INDEXED.has(path)) return { type: 'keyword', index: false, doc_values: false };
      const m = { type: 'keyword', ignore_above: KEYWORD_IGNORE_ABOVE };
      if (WITH_TEXT.has(path)) m.fields = { text: { type: 'text' } };
      return m;
    }
    // ECS says match_only_text; plain `text` needs no extra module and
    // answers the same queries (it also scores, which nobody here needs).
    case 'text': return { type: 'text' };
    case 'long': return { type: 'long' };
    // Nanoseconds are the point of this filter: `date` would keep ms.
    case 'date': return { type: 'date_nanos' };
    case 'ip': return { type: 'ip' };
    case 'boolean': return { type: 'boolean' };
    default: throw new Error(`field ${path}: no Elasticsearch type for "${type}"`);
  }
}

function insert(properties, path, mapping) {
  const segments = path.split('.');
  let node = properties;
  for (const seg of segments.slice(0, -1)) {
    node[seg] ??= { properties: {} };
    if (!node[seg].properties) throw new Error(`${path}: ${seg} is a leaf and an object`);
    node = node[seg].properties;
  }
  const leaf = segments.at(-1);
  if (node[leaf]) throw new Error(`${path} declared twice`);
  node[leaf] = mapping;
}

function sortDeep(value) {
  if (Array.isArray(value) || value === null || typeof value !== 'object') return value;
  return Object.fromEntries(Object.keys(value).sort().map((k) => [k, sortDeep(value[k])]));
}

/** Elasticsearch's mapping of a payload root. */
export const FLATTENED_PAYLOAD = { type: 'flattened', ignore_above: FLATTENED_IGNORE_ABOVE, depth_limit: 20 };

/** The `mappings` object shared by both templates; `payload` is the mapping
 *  of each payload root (OpenSearch has no `flattened`). */
export function buildMappings(fields = readFieldTable(), { payload = FLATTENED_PAYLOAD } = {}) {
  const properties = {};
  for (const f of [...fields, ...SHIPPER_FIELDS]) insert(properties, f.path, leafMapping(f.path, f.type));
  for (const root of PAYLOAD_ROOTS) insert(properties, root, { ...payload });
  return {
    // Anything the table does not declare stays in _source, unindexed:
    // no field explosion and no mapping conflict can reject an event.
    dynamic: false,
    date_detection: false,
    properties: sortDeep(properties),
  };
}

export function buildComponentTemplate(fields, mappingOptions) {
  return {
    template: { mappings: buildMappings(fields, mappingOptions) },
    _meta: {
      description: 'sysdig-normalizer: ECS fields and the kept payload, generated from assembly/ecs/fields.ts',
      managed_by: 'sysdig-normalizer',
    },
  };
}

function indexTemplate(patterns, extra) {
  return {
    index_patterns: patterns,
    composed_of: [MAPPINGS_COMPONENT, CUSTOM_COMPONENT],
    ignore_missing_component_templates: [CUSTOM_COMPONENT],
    ...extra,
    _meta: { description: 'sysdig-normalizer', managed_by: 'sysdig-normalizer' },
  };
}

/** For the pipelines' default index (ES_INDEX=sysdig-events, with or
 *  without a strftime suffix). */
export function buildIndexTemplate() {
  return indexTemplate(['sysdig-events', 'sysdig-events-*'], { priority: 200 });
}

/** For Elastic's data stream naming (logs-sysdig.<dataset>-<namespace>),
 *  written with `create`. Above the stack's own logs-*-* template (100),
 *  below Fleet's integration templates (200): Elastic's Sysdig integration
 *  keeps its logs-sysdig.alerts-*, and two overlapping templates of equal
 *  priority would be refused. */
export function buildDataStreamTemplate() {
  return indexTemplate(['logs-sysdig.*-*'], { priority: 150, data_stream: {} });
}

export function generatedFiles() {
  const json = (v) => JSON.stringify(v, null, 2) + '\n';
  return {
    'elasticsearch/component-template-mappings.json': json(buildComponentTemplate()),
    'elasticsearch/index-template.json': json(buildIndexTemplate()),
    'elasticsearch/data-stream-template.json': json(buildDataStreamTemplate()),
  };
}
