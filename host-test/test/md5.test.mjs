// The module's MD5 (assembly/text/md5.ts; event.id of events without an id
// of their own) against Node's crypto, through build/json_probe.wasm: every
// length around the block and padding boundaries, and random byte strings.

import { createHash } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, test } from 'vitest';
import fc from 'fast-check';
import { loadFilter, parseExact } from '../host.mjs';

const PROBE_PATH = fileURLToPath(new URL('../../build/json_probe.wasm', import.meta.url));
const SEED = Number(process.env.FUZZ_SEED ?? 42);

let probe;
beforeAll(async () => {
  probe = await loadFilter(PROBE_PATH);
});

function moduleMd5(bytes) {
  const result = probe.call('md5_hex', bytes);
  expect(result.status, result.error ?? '').toBe('ok');
  return parseExact(result.output).md5;
}

const nodeMd5 = (bytes) => createHash('md5').update(bytes).digest('hex');

describe('MD5 (text/md5.ts)', () => {
  test("RFC 1321's test suite", () => {
    expect(moduleMd5(Buffer.from(''))).toBe('d41d8cd98f00b204e9800998ecf8427e');
    expect(moduleMd5(Buffer.from('abc'))).toBe('900150983cd24fb0d6963f7d28e17f72');
    expect(moduleMd5(Buffer.from('message digest'))).toBe('f96b697d7cb7938d525a2f31aaf161d0');
    expect(moduleMd5(Buffer.from('12345678901234567890123456789012345678901234567890123456789012345678901234567890')))
      .toBe('57edf4a22be3c955ac49da2e2107b67a');
  });

  test('every length from 0 to 300 bytes (one, two and several blocks; both padding cases) equals Node', () => {
    const all = Buffer.from(Array.from({ length: 300 }, (_, i) => (i * 131 + 7) & 0xff));
    for (let n = 0; n <= 300; n++) expect(moduleMd5(all.subarray(0, n)), `length ${n}`).toBe(nodeMd5(all.subarray(0, n)));
  });

  test('random byte strings, repeated to span several blocks, equal Node', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 4096 }), fc.nat(16), (bytes, repeat) => {
        const input = Buffer.concat(Array.from({ length: repeat + 1 }, () => Buffer.from(bytes)));
        expect(moduleMd5(input)).toBe(nodeMd5(input));
      }),
      { seed: SEED, numRuns: 300 },
    );
  });
});
