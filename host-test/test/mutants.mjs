// Structured mutations of the golden inputs: values swapped for hostile
// ones, members deleted, renamed, duplicated or added, numbers pushed out of
// range, whole records wrapped in a `log` string. Shared by fuzz.test.mjs
// (the module keeps everything), vrl-parity.test.mjs (the VRL port says the
// same as the module) and the corpus indexed into a real Elasticsearch.

import { readFileSync, readdirSync } from 'node:fs';
import fc from 'fast-check';
import { parseTree, pathsOf } from './tree.mjs';

const goldenDir = new URL('../golden/', import.meta.url);
export const goldenInputs = readdirSync(goldenDir)
  .map((name) => ({ name, text: readFileSync(new URL(`${name}/input.json`, goldenDir), 'utf8') }))
  .flatMap(({ name, text }) => {
    try {
      const tree = parseTree(text);
      return tree !== null && typeof tree === 'object' ? [{ name, tree }] : [];
    } catch {
      return []; // not JSON: nothing to mutate structurally
    }
  });

// Members appended after an object's own, to write duplicate keys.
export const EXTRA = Symbol('duplicate members');

/** Serializes a mutated tree: BigInt as digits, EXTRA members as duplicates. */
export function serialize(node) {
  if (typeof node === 'bigint') return node.toString();
  if (node instanceof RawNumber) return node.digits;
  if (node === null || typeof node !== 'object') return JSON.stringify(node) ?? 'null';
  if (Array.isArray(node)) return `[${node.map(serialize).join(',')}]`;
  const members = Object.keys(node).map((k) => `${JSON.stringify(k)}:${serialize(node[k])}`);
  for (const [k, v] of node[EXTRA] ?? []) members.push(`${JSON.stringify(k)}:${serialize(v)}`);
  return `{${members.join(',')}}`;
}

/** A number written with exactly these digits (beyond what JS numbers hold). */
export class RawNumber {
  constructor(digits) {
    this.digits = digits;
  }
}

const deepArray = (depth, leaf) => {
  let v = leaf;
  for (let i = 0; i < depth; i++) v = [v];
  return v;
};

const hostileKey = fc.oneof(
  fc.constantFrom('', '.', 'a.b', 'proc.aname[2]', '[]', ']', 'timestamp', 'content', 'key', 'value', '__proto__'),
  fc.string({ unit: 'binary', maxLength: 12 }),
);

const hostileValue = fc.oneof(
  fc.jsonValue({ maxDepth: 3 }),
  fc.constantFrom(
    null, '', {}, [], true, '\ud800', 'a\udc00b', '\u0000\u001f\u007f', '<NA>', 'N/A',
    new RawNumber('1e400'), new RawNumber('-0'), new RawNumber('1234567890123456789012345678901234567890'),
    new RawNumber('18446744073709551616'), new RawNumber('1606322948648718268'), new RawNumber('-1'),
  ),
  fc.integer({ min: 17, max: 120 }).map((depth) => deepArray(depth, 'bottom')),
  fc.array(fc.record({ key: hostileKey, value: fc.jsonValue({ maxDepth: 1 }) }), { maxLength: 4 }),
  fc.bigInt({ min: -(10n ** 25n), max: 10n ** 25n }),
);

// One edit, given as data so fast-check can shrink it; applied to a copy.
const edit = fc.oneof(
  fc.record({ op: fc.constant('replace'), at: fc.nat(), value: hostileValue }),
  fc.record({ op: fc.constant('delete'), at: fc.nat() }),
  fc.record({ op: fc.constant('rename'), at: fc.nat(), key: hostileKey }),
  fc.record({ op: fc.constant('add'), at: fc.nat(), key: hostileKey, value: hostileValue }),
  fc.record({ op: fc.constant('duplicate'), at: fc.nat(), value: hostileValue }),
);

/** A fresh copy of a generated value: fast-check hands out the same constant
 *  objects again, and an edit must never make the tree share (or contain) itself. */
function fresh(value) {
  if (value === null || typeof value !== 'object') return value;
  if (value instanceof RawNumber) return new RawNumber(value.digits);
  if (Array.isArray(value)) return value.map(fresh);
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, fresh(v)]));
}

function applyEdit(tree, { op, at, key, value: generated }) {
  const value = fresh(generated);
  const paths = pathsOf(tree, (node) => node instanceof RawNumber);
  if (paths.length === 0) return tree;
  const path = paths[at % paths.length];
  const parentPath = path.slice(0, -1);
  let parent = tree;
  for (const step of parentPath) parent = parent[step];
  const last = path.at(-1);
  if (op === 'replace') parent[last] = value;
  else if (op === 'delete') {
    if (Array.isArray(parent)) parent.splice(last, 1);
    else delete parent[last];
  } else if (op === 'rename' && !Array.isArray(parent)) {
    const v = parent[last];
    delete parent[last];
    Object.defineProperty(parent, key, { value: v, enumerable: true, writable: true, configurable: true });
  } else if (op === 'add' && !Array.isArray(parent)) {
    Object.defineProperty(parent, key, { value, enumerable: true, writable: true, configurable: true });
  } else if (op === 'duplicate' && !Array.isArray(parent)) {
    (parent[EXTRA] ??= []).push([String(last), value]);
  }
  return tree;
}

/** An arbitrary of mutated copies of `tree`, as JSON text. */
export const mutant = (tree) =>
  fc
    .tuple(fc.array(edit, { minLength: 1, maxLength: 4 }), fc.constantFrom('none', 'log', 'message'))
    .map(([edits, wrap]) => {
      const copy = structuredClone(tree);
      const text = serialize(edits.reduce(applyEdit, copy));
      return wrap === 'none' ? text : JSON.stringify({ [wrap]: text });
    });
