// Editing sample events as trees without losing digits: parseExact gives
// BigInt for integers beyond 2^53, and stringifyExact writes them back.

import { parseExact } from '../host.mjs';

export const parseTree = parseExact;

/** JSON.stringify that writes BigInt as its digits. */
export function stringifyExact(value) {
  return JSON.stringify(value, (_, v) => (typeof v === 'bigint' ? `\u0000big:${v}` : v)).replace(
    /"\\u0000big:(-?\d+)"/g,
    '$1',
  );
}

/** Every path (array of keys/indexes) to a value in the tree, root excluded;
 *  objects for which `isLeaf` is true are not entered. */
export function pathsOf(tree, isLeaf = () => false) {
  const paths = [];
  const walk = (node, path) => {
    if (node === null || typeof node !== 'object' || isLeaf(node)) return;
    for (const key of Object.keys(node)) {
      const here = [...path, Array.isArray(node) ? Number(key) : key];
      paths.push(here);
      walk(node[key], here);
    }
  };
  walk(tree, []);
  return paths;
}

/** A deep copy of `tree` with the value at `path` replaced (or deleted when
 *  `value` is `undefined`). */
export function withValueAt(tree, path, value) {
  const copy = structuredClone(tree);
  let node = copy;
  for (const key of path.slice(0, -1)) node = node[key];
  const last = path.at(-1);
  if (value === undefined) {
    if (Array.isArray(node)) node.splice(last, 1);
    else delete node[last];
  } else node[last] = value;
  return copy;
}
