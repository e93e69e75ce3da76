// Test records with exact bytes: strings as UTF-8, arrays as raw bytes, so
// invalid UTF-8 can sit between valid text.
export const bytes = (...parts) =>
  Uint8Array.from(parts.flatMap((p) => (typeof p === 'string' ? [...Buffer.from(p, 'utf8')] : p)));
