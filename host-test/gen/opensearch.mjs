// The same templates for OpenSearch (self-managed, or Amazon OpenSearch
// Service), written under elasticsearch/opensearch/ and installed by
// elasticsearch/install.sh (--opensearch, or when the server's root answer
// says "distribution": "opensearch"). Two differences, each measured on an
// OpenSearch 2.19 node (host-test/test/opensearch.test.mjs):
//  - OpenSearch has no `flattened` type ("No handler for type [flattened]");
//    its `flat_object` keeps the payload the same way: one mapping entry,
//    every leaf queryable by its dotted path as a keyword. It takes none of
//    flattened's parameters (ignore_above, depth_limit).
//  - It has no `ignore_missing_component_templates`: the index templates
//    name sysdig@custom, and install.sh makes an empty one when there is none.
import { buildComponentTemplate, buildDataStreamTemplate, buildIndexTemplate } from './elasticsearch.mjs';

export const FLAT_OBJECT_PAYLOAD = { type: 'flat_object' };

const forOpenSearch = ({ ignore_missing_component_templates: _, ...template }) => template;

export function buildOpenSearchComponentTemplate(fields) {
  return buildComponentTemplate(fields, { payload: FLAT_OBJECT_PAYLOAD });
}

export function generatedFiles() {
  const json = (v) => JSON.stringify(v, null, 2) + '\n';
  return {
    'elasticsearch/opensearch/component-template-mappings.json': json(buildOpenSearchComponentTemplate()),
    'elasticsearch/opensearch/index-template.json': json(forOpenSearch(buildIndexTemplate())),
    'elasticsearch/opensearch/data-stream-template.json': json(forOpenSearch(buildDataStreamTemplate())),
  };
}
