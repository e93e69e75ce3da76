// What a Splunk search sees of one HEC envelope the filter writes, worked out
// from the add-on's own configuration (splunk/sysdig_normalizer/default):
// the envelope's indexed `fields`, then `KV_MODE = json` extraction of the
// event (nested keys joined with ".", list members under "key{}"), then the
// sourcetype's FIELDALIAS and EVAL settings, in Splunk's search-time order;
// the event types whose search names the sourcetype, and their tags. Then,
// against the CIM data model definitions that PyPI's pytest-splunk-addon
// ships (data_models/*.json), the datasets the event falls into and, for each,
// the required fields: present, single-valued, and in the expected values.
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

const APP = new URL('../splunk/sysdig_normalizer/default/', import.meta.url).pathname;

/** Stanzas of a .conf file: { name: { key: value } } (keys in order). */
export function readConf(name) {
  const out = {};
  let current = null;
  for (const raw of readFileSync(join(APP, name), 'utf8').split('\n')) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const stanza = /^\[(.*)\]$/.exec(line);
    if (stanza) { current = out[stanza[1]] = {}; continue; }
    const kv = /^([^=]+?)\s*=\s*(.*)$/.exec(line);
    if (kv && current) current[kv[1]] = kv[2];
  }
  return out;
}

/** Splunk's KV_MODE = json field names and values of a JSON value. */
function extractJson(value, prefix, out) {
  if (Array.isArray(value)) {
    for (const v of value) extractJson(v, `${prefix}{}`, out);
  } else if (value !== null && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) extractJson(v, prefix ? `${prefix}.${k}` : k, out);
  } else if (prefix) {
    (out[prefix] ??= []).push(value === null ? 'null' : String(value));
  }
}

/** The subset of SPL eval the add-on uses: "text", field, 'field.name',
 *  coalesce(…), if(match(f, "re"), a, b), case(cond, v, …) with f IN (…). */
export function evalSpl(expr, fields) {
  const s = expr.trim();
  let m;
  if ((m = /^"((?:[^"\\]|\\.)*)"$/.exec(s))) return [m[1]];
  if ((m = /^'([^']+)'$/.exec(s))) return fields[m[1]] ?? null;
  if (/^[A-Za-z_][\w.]*$/.test(s)) return fields[s] ?? null;
  const call = /^(\w+)\((.*)\)$/s.exec(s);
  if (!call) throw new Error(`eval not understood: ${expr}`);
  const args = splitArgs(call[2]);
  switch (call[1]) {
    case 'coalesce':
      for (const a of args) { const v = evalSpl(a, fields); if (v !== null && v.length) return v; }
      return null;
    case 'if': return evalSpl(evalCond(args[0], fields) ? args[1] : args[2], fields);
    case 'case':
      for (let i = 0; i + 1 < args.length; i += 2) if (evalCond(args[i], fields)) return evalSpl(args[i + 1], fields);
      return null;
    case 'lower': { const v = evalSpl(args[0], fields); return v && v.map((x) => x.toLowerCase()); }
    case 'mvdedup': { const v = evalSpl(args[0], fields); return v && [...new Set(v)]; }
    default: throw new Error(`eval function not understood: ${call[1]}`);
  }
}

function evalCond(expr, fields) {
  const s = expr.trim();
  let m;
  if ((m = /^match\((.+),\s*"(.*)"\)$/.exec(s))) {
    const v = evalSpl(m[1], fields);
    return v !== null && v.length === 1 && new RegExp(m[2]).test(v[0]);
  }
  if ((m = /^isnotnull\((.+)\)$/.exec(s))) return evalSpl(m[1], fields) !== null;
  if ((m = /^in\((.*)\)$/.exec(s))) {
    const [f, ...set] = splitArgs(m[1]);
    const v = evalSpl(f, fields);
    return v !== null && v.length === 1 && set.map((a) => a.replace(/^"|"$/g, '')).includes(v[0]);
  }
  if ((m = /^([\w.]+)\s+IN\s+\((.*)\)$/.exec(s))) {
    const v = fields[m[1]];
    const set = splitArgs(m[2]).map((a) => a.trim().replace(/^"|"$/g, ''));
    return v !== undefined && v.length === 1 && set.includes(v[0]);
  }
  if ((m = /^([\w.]+)\s*==?\s*"(.*)"$/.exec(s))) { const v = fields[m[1]]; return v !== undefined && v.length === 1 && v[0] === m[2]; }
  if (s === 'true()' || s === '1==1') return true;
  throw new Error(`condition not understood: ${expr}`);
}

function splitArgs(text) {
  const out = [];
  let depth = 0, quote = false, from = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '"' && text[i - 1] !== '\\') quote = !quote;
    if (quote) continue;
    if (c === '(') depth++;
    else if (c === ')') depth--;
    else if (c === ',' && depth === 0) { out.push(text.slice(from, i)); from = i + 1; }
  }
  out.push(text.slice(from));
  return out.map((a) => a.trim()).filter((a) => a.length);
}

/** The fields a search sees of an envelope, by name: lists of values. */
export function searchFields(envelope, props) {
  const fields = {};
  for (const [k, v] of Object.entries(envelope.fields ?? {})) fields[k] = (Array.isArray(v) ? v : [v]).map(String);
  const stanza = props[envelope.sourcetype] ?? {};
  if (stanza.KV_MODE === 'json') {
    const extracted = {};
    extractJson(envelope.event, '', extracted);
    for (const [k, v] of Object.entries(extracted)) fields[k] = [...(fields[k] ?? []), ...v];
  }
  fields.sourcetype = [envelope.sourcetype];
  // Field aliases, then calculated fields (each from the fields before it).
  for (const [key, value] of Object.entries(stanza)) {
    if (!key.startsWith('FIELDALIAS-')) continue;
    for (const m of value.matchAll(/(\S+)\s+AS\s+(\S+)/gi)) if (fields[m[1]]) fields[m[2]] = [...fields[m[1]]];
  }
  const before = { ...fields };
  for (const [key, value] of Object.entries(stanza)) {
    if (!key.startsWith('EVAL-')) continue;
    const v = evalSpl(value, before);
    if (v === null) delete fields[key.slice(5)];
    else fields[key.slice(5)] = v;
  }
  return fields;
}

/** Event types (whose search names the sourcetype) and their tags. */
export function eventTypesAndTags(sourcetype, eventtypes, tags) {
  const types = Object.entries(eventtypes)
    .filter(([, s]) => [...(s.search ?? '').matchAll(/sourcetype="([^"]+)"/g)].some((m) => m[1] === sourcetype))
    .map(([name]) => name);
  const tagSet = new Set();
  for (const t of types) {
    for (const [tag, state] of Object.entries(tags[`eventtype=${t}`] ?? {})) if (state === 'enabled') tagSet.add(tag);
  }
  return { types, tags: [...tagSet].sort() };
}

/** Every dataset of the CIM models with its tag sets and its required
 *  fields (its own and its parents'). */
export function readDataModels(dir) {
  const out = [];
  function walk(objects, model, inherited, parent) {
    for (const o of objects ?? []) {
      const required = [...inherited, ...o.fields.filter((f) => f.type === 'required')];
      const d = { name: `${model}.${o.name}`, tags: o.tags, required, parent };
      // A child with its parent's tags is a view of it (by action, by
      // severity…), not another set of requirements.
      if (!parent || JSON.stringify(parent.tags) !== JSON.stringify(o.tags)) out.push(d);
      walk(o.child_dataset, model, required, d);
    }
  }
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.json')).sort()) {
    const model = JSON.parse(readFileSync(join(dir, file), 'utf8'));
    walk(model.objects, model.model_name, [], null);
  }
  return out;
}

/** Datasets whose tag sets the event's tags satisfy, keeping the deepest:
 *  a parent is listed only when no child of it matches. Compute_Inventory's
 *  All_Inventory counts only through a child (each child names the kind of
 *  inventory; the parent alone is no dataset a search uses). */
export function datasetsOf(tagList, models) {
  const tags = new Set(tagList);
  const matched = models.filter((d) => d.tags.some((set) => set.every((t) => tags.has(t))));
  const isAncestor = (a, d) => { for (let p = d.parent; p; p = p.parent) if (p === a) return true; return false; };
  return matched.filter((d) => d.name !== 'Compute_Inventory.All_Inventory' &&
    !matched.some((o) => o !== d && isAncestor(d, o)));
}

/** For one dataset: each required field, present / single-valued / allowed. */
export function checkRequired(fields, dataset) {
  return dataset.required.map((f) => {
    const values = fields[f.name];
    const present = values !== undefined && values.length > 0;
    const single = present && values.length === 1;
    const allowed = !f.expected_values || (present && values.every((v) => f.expected_values.includes(v)));
    return { field: f.name, present, single, allowed, values: values ?? [], expected: f.expected_values ?? null };
  });
}
