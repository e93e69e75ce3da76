// Checks of the Kibana saved objects (elasticsearch/kibana/*.ndjson) that
// need no Kibana: Kibana cannot run on these machines, so the file is read
// the way Kibana's import reads it, and every field a panel uses is checked
// against the index template (and, in elasticsearch.test.mjs, against a real
// node's field capabilities and aggregations).

/** Parses NDJSON; throws with the line number on the first bad line. */
export function readSavedObjects(text) {
  const lines = text.split('\n');
  if (lines.at(-1) === '') lines.pop();
  return lines.map((line, i) => {
    try {
      return JSON.parse(line);
    } catch (err) {
      throw new Error(`line ${i + 1}: ${err.message}`);
    }
  });
}

/** What each panel of each Lens object or saved search uses. */
export function usedFields(objects) {
  const uses = [];
  for (const o of objects) {
    if (o.type === 'lens') {
      for (const layer of Object.values(o.attributes.state.datasourceStates.formBased.layers)) {
        for (const col of Object.values(layer.columns)) {
          if (col.sourceField === '___records___') continue;
          uses.push({ object: o.id, field: col.sourceField, aggregated: col.isBucketed, operation: col.operationType, size: col.params?.size });
        }
      }
      for (const field of kqlFields(o.attributes.state.query.query)) uses.push({ object: o.id, field, aggregated: false, operation: 'query' });
    }
    if (o.type === 'search') {
      for (const field of o.attributes.columns) uses.push({ object: o.id, field, aggregated: false, operation: 'column' });
      for (const [field] of o.attributes.sort) uses.push({ object: o.id, field, aggregated: true, operation: 'sort' });
      const source = JSON.parse(o.attributes.kibanaSavedObjectMeta.searchSourceJSON);
      for (const field of kqlFields(source.query.query)) uses.push({ object: o.id, field, aggregated: false, operation: 'query' });
    }
  }
  return uses;
}

// The KQL these objects use: `field : "value"` clauses joined by `and`,
// each optionally negated with `not`. Anything else is refused, so the
// translation below stays exact.
const CLAUSE = /^(not )?([A-Za-z_@][\w.@]*) : "([^"\\]*)"$/;

function clauses(kql) {
  if (kql.trim() === '') return [];
  return kql.split(' and ').map((part) => {
    const m = CLAUSE.exec(part.trim());
    if (!m) throw new Error(`KQL outside the checked subset: ${part}`);
    return { negated: Boolean(m[1]), field: m[2], value: m[3] };
  });
}

export function kqlFields(kql) {
  return clauses(kql).map((c) => c.field);
}

/** The Elasticsearch query Kibana runs for one of these KQL strings. */
export function kqlToQuery(kql) {
  const must = [];
  const mustNot = [];
  for (const c of clauses(kql)) (c.negated ? mustNot : must).push({ match_phrase: { [c.field]: c.value } });
  return { bool: { filter: must, must_not: mustNot } };
}

/** Structural problems, as messages; none for a file Kibana imports as meant. */
export function structuralProblems(objects, dataViewId) {
  const problems = [];
  const keyOf = (type, id) => `${type}:${id}`;
  const byKey = new Map();
  for (const o of objects) {
    for (const key of ['type', 'id', 'attributes', 'references']) if (!(key in o)) problems.push(`${o.id ?? '?'}: no ${key}`);
    if (byKey.has(keyOf(o.type, o.id))) problems.push(`${o.type} ${o.id}: id used twice`);
    byKey.set(keyOf(o.type, o.id), o);
  }
  for (const o of objects) {
    for (const ref of o.references ?? []) {
      if (!byKey.has(keyOf(ref.type, ref.id))) problems.push(`${o.id}: reference ${ref.name} to missing ${ref.type} ${ref.id}`);
    }
    const names = new Set((o.references ?? []).map((r) => r.name));
    if (o.type === 'lens') {
      for (const layerId of Object.keys(o.attributes.state.datasourceStates.formBased.layers)) {
        const name = `indexpattern-datasource-layer-${layerId}`;
        if (!names.has(name)) problems.push(`${o.id}: layer ${layerId} has no ${name} reference`);
      }
      const layers = o.attributes.state.datasourceStates.formBased.layers;
      for (const vl of o.attributes.state.visualization.layers) {
        const cols = layers[vl.layerId]?.columns;
        if (!cols) { problems.push(`${o.id}: visualization layer ${vl.layerId} has no datasource layer`); continue; }
        for (const acc of [...vl.accessors, vl.xAccessor, vl.splitAccessor].filter(Boolean)) {
          if (!cols[acc]) problems.push(`${o.id}: accessor ${acc} is not a column`);
        }
      }
      for (const layer of Object.values(layers)) {
        for (const col of Object.values(layer.columns)) {
          const by = col.params?.orderBy;
          if (by?.type === 'column' && !layer.columns[by.columnId]) problems.push(`${o.id}: orders by missing column ${by.columnId}`);
        }
        if (layer.columnOrder.join() !== Object.keys(layer.columns).join()) problems.push(`${o.id}: columnOrder differs from columns`);
      }
    }
    if (o.type === 'search' || o.type === 'dashboard') {
      const source = JSON.parse(o.attributes.kibanaSavedObjectMeta.searchSourceJSON);
      if (source.indexRefName && !names.has(source.indexRefName)) problems.push(`${o.id}: no reference ${source.indexRefName}`);
    }
    if (o.type === 'dashboard') {
      const panels = JSON.parse(o.attributes.panelsJSON);
      JSON.parse(o.attributes.optionsJSON);
      const cells = new Set();
      for (const p of panels) {
        if (!names.has(p.panelRefName)) problems.push(`${o.id}: panel ${p.panelIndex} has no reference ${p.panelRefName}`);
        const ref = o.references.find((r) => r.name === p.panelRefName);
        if (ref && ref.type !== p.type) problems.push(`${o.id}: panel ${p.panelIndex} is ${p.type} but references a ${ref.type}`);
        const { x, y, w, h } = p.gridData;
        if (x < 0 || w < 1 || x + w > 48 || y < 0 || h < 1) problems.push(`${o.id}: panel ${p.panelIndex} is off the 48-column grid`);
        for (let i = x; i < x + w; i++) {
          for (let j = y; j < y + h; j++) {
            if (cells.has(`${i},${j}`)) problems.push(`${o.id}: panel ${p.panelIndex} overlaps another at ${i},${j}`);
            cells.add(`${i},${j}`);
          }
        }
      }
    }
    if (o.type === 'index-pattern' && o.id === dataViewId && o.attributes.timeFieldName !== '@timestamp') {
      problems.push(`${o.id}: time field is not @timestamp`);
    }
  }
  if (!byKey.has(keyOf('index-pattern', dataViewId))) problems.push(`no data view ${dataViewId}`);
  return problems;
}
