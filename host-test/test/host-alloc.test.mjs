// The allocator the host copies tag and record into (assembly/io/host_alloc.ts),
// through the real module's exports, and the host's use of it as WAMR's
// dup_data and module_free make it (host.mjs).

import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

import asc from 'assemblyscript/asc';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { DEFAULT_WASM_PATH, hostAllocator, loadFilter } from '../host.mjs';

const ASSEMBLY = fileURLToPath(new URL('../../assembly', import.meta.url));
const KEEP_BYTES = 1 << 20;
const ABI_PARAMS = 'tagPtr: usize, tagLen: i32, sec: u32, nsec: u32, recPtr: usize, recLen: i32';

let filter;
let workDir;
let compiled;

beforeAll(async () => {
  compiled = await WebAssembly.compile(await readFile(DEFAULT_WASM_PATH));
  filter = await loadFilter(compiled);
  workDir = await mkdtemp(join(tmpdir(), 'host-alloc-'));
}, 60_000);

afterAll(async () => {
  if (workDir) await rm(workDir, { recursive: true, force: true });
});

/** Compiles a module with the release build's runtime options (asconfig.json). */
async function compile(name, source, extraFlags = []) {
  await writeFile(join(workDir, `${name}.ts`), source);
  const stderr = [];
  const { error } = await asc.main(
    [`${name}.ts`, '--baseDir', workDir, '--outFile', `${name}.wasm`, '--runtime', 'minimal', '--use', 'abort=', '-O3', ...extraFlags],
    { stderr: { write: (chunk) => stderr.push(String(chunk)) } },
  );
  if (error) throw new Error(`asc failed for ${name}: ${error.message}\n${stderr.join('')}`);
  return join(workDir, `${name}.wasm`);
}

const malloc = (size) => filter.abi.malloc(size) >>> 0;
const free = (ptr) => filter.abi.free(ptr);
const bytes = () => new Uint8Array(filter.instance.exports.memory.buffer);

/** Runs `test` on a new instance of the module, whose allocator has no
 *  spare blocks yet (the shared one's spares depend on the tests before). */
async function onFreshInstance(test) {
  const shared = filter;
  filter = await loadFilter(compiled);
  try {
    await test();
  } finally {
    filter = shared;
  }
}

describe('the module exports the allocator WAMR takes for dup_data', () => {
  it('exports malloc and free, and none of the AssemblyScript runtime WAMR would pair with them', () => {
    expect(filter.exports).toEqual(expect.arrayContaining(['malloc', 'free', 'memory']));
    for (const name of ['__new', '__pin', '__unpin', '__retain', '__release']) expect(filter.exports).not.toContain(name);
    expect(hostAllocator(filter.exports)).toEqual({ kind: 'malloc', malloc: 'malloc', free: 'free' });
  });

  it('has the types WAMR checks: malloc (i32)->i32, free (i32)->()', () => {
    expect(filter.abi.malloc.length).toBe(1);
    expect(filter.abi.free.length).toBe(1);
    const ptr = malloc(10);
    expect(free(ptr)).toBeUndefined();
  });
});

describe('malloc and free', () => {
  it('gives 16-byte aligned blocks that hold what is written, past the end of the static data', () => {
    const ptr = malloc(100);
    expect(ptr % 16).toBe(0);
    expect(ptr).toBeGreaterThan(0);
    bytes().fill(0xab, ptr, ptr + 100);
    expect(bytes().subarray(ptr, ptr + 100).every((b) => b === 0xab)).toBe(true);
    free(ptr);
  });

  it('gives a freed block to the next call that fits in it, as a stream of records of one size needs', () => onFreshInstance(() => {
    const tag = malloc(7);
    const record = malloc(1347);
    free(tag);
    free(record);
    const tag2 = malloc(7);
    const record2 = malloc(1350);
    expect(new Set([tag2, record2])).toEqual(new Set([tag, record]));
    // The smallest spare that fits: the record's block is not taken for the tag.
    expect(tag2).toBe(tag);
    free(tag2);
    free(record2);
  }));

  it('keeps no block over 1 MiB: memory stays flat over many huge copies', () => {
    const huge = KEEP_BYTES + 1;
    for (let i = 0; i < 3; i++) free(malloc(huge));
    const settled = filter.memoryBytes();
    for (let i = 0; i < 200; i++) {
      const ptr = malloc(huge);
      expect(ptr).not.toBe(0);
      free(ptr);
    }
    expect(filter.memoryBytes()).toBe(settled);
  });

  it('returns 0 for more than the heap can give, which WAMR reports as a failed copy', () => {
    expect(malloc(0x7fffffff)).toBe(0);
    expect(malloc(0xffffffff)).toBe(0);
    expect(malloc((1 << 30) - 63)).toBe(0);
  });

  it('ignores free(0)', () => {
    expect(() => free(0)).not.toThrow();
    const ptr = malloc(8);
    expect(ptr).not.toBe(0);
    free(ptr);
  });

  it('never gives two live blocks that overlap, over any sequence of allocations and frees', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.oneof(
            fc.record({ op: fc.constant('malloc'), size: fc.oneof(fc.integer({ min: 0, max: 4096 }), fc.integer({ min: KEEP_BYTES - 16, max: KEEP_BYTES + 16 })) }),
            fc.record({ op: fc.constant('free'), index: fc.nat() }),
          ),
          { maxLength: 40 },
        ),
        (ops) => {
          const live = [];
          let mark = 1;
          const check = () => {
            const view = bytes();
            for (const block of live) {
              expect(view[block.ptr]).toBe(block.mark);
              if (block.size > 0) expect(view[block.ptr + block.size - 1]).toBe(block.mark);
            }
            const sorted = [...live].sort((a, b) => a.ptr - b.ptr);
            for (let i = 1; i < sorted.length; i++) {
              expect(sorted[i].ptr).toBeGreaterThanOrEqual(sorted[i - 1].ptr + Math.max(sorted[i - 1].size, 1));
            }
          };
          for (const step of ops) {
            if (step.op === 'malloc') {
              const ptr = malloc(step.size);
              expect(ptr).not.toBe(0);
              expect(ptr % 16).toBe(0);
              mark = (mark % 250) + 1;
              const view = bytes();
              view[ptr] = mark;
              if (step.size > 0) view[ptr + step.size - 1] = mark;
              live.push({ ptr, size: step.size, mark });
            } else if (live.length > 0) {
              const [block] = live.splice(step.index % live.length, 1);
              free(block.ptr);
            }
            check();
          }
          for (const block of live) free(block.ptr);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('keeps each block\'s size when the host fills it to the last byte', () => onFreshInstance(() => {
    // 1024 is a block's whole capacity: a write of all of it must leave the
    // next block's header (its size) intact.
    const a = malloc(1024);
    const b = malloc(1024);
    bytes().fill(0xff, a, a + 1024);
    bytes().fill(0xee, b, b + 1024);
    free(a);
    free(b);
    const again = [malloc(1024), malloc(1024)];
    expect(new Set(again)).toEqual(new Set([a, b]));
    // A request one byte larger does not fit them: a new block.
    const larger = malloc(1025);
    expect(again).not.toContain(larger);
    for (const ptr of [...again, larger]) free(ptr);
  }));
});

describe('the host copies in through malloc and frees through free, as WAMR does', () => {
  it('makes the calls in Fluent Bit order, with the sizes and NULs of dup_data', () => {
    const events = [];
    const original = { malloc: filter.abi.malloc, free: filter.abi.free, fn: filter.abi.sysdig_to_ecs };
    filter.abi.malloc = (size) => { const ptr = original.malloc(size); events.push({ op: 'malloc', size, ptr }); return ptr; };
    filter.abi.free = (ptr) => { events.push({ op: 'free', ptr }); return original.free(ptr); };
    filter.abi.sysdig_to_ecs = (...args) => {
      const view = bytes();
      events.push({ op: 'call', args, tagNul: view[args[0] + args[1]], recNul: view[args[4] + args[5]] });
      return original.fn(...args);
    };
    let result;
    try {
      result = filter.call('sysdig_to_ecs', '{"a":1}', { tag: 'sysdig.x', sec: 1, nsec: 2 });
    } finally {
      Object.assign(filter.abi, { malloc: original.malloc, free: original.free, sysdig_to_ecs: original.fn });
    }
    expect(events.map((e) => e.op)).toEqual(['malloc', 'malloc', 'call', 'free', 'free']);
    const [tagCopy, recordCopy, call, ...frees] = events;
    expect(tagCopy.size).toBe('sysdig.x'.length + 1);
    expect(recordCopy.size).toBe('{"a":1}'.length + 1);
    expect(call.args[0]).toBe(tagCopy.ptr);
    expect(call.args[4]).toBe(recordCopy.ptr);
    expect([call.tagNul, call.recNul]).toEqual([0, 0]);
    expect(frees.map((e) => e.ptr).sort()).toEqual([tagCopy.ptr, recordCopy.ptr].sort());
    expect(result.status).toBe('ok');
  });

  it('passes 0 on when malloc gives 0, and frees nothing for it, as Fluent Bit does', () => {
    const events = [];
    const original = { malloc: filter.abi.malloc, free: filter.abi.free };
    let calls = 0;
    filter.abi.malloc = (size) => (++calls === 2 ? 0 : original.malloc(size));
    filter.abi.free = (ptr) => { events.push(ptr); return original.free(ptr); };
    let result;
    try {
      result = filter.call('sysdig_to_ecs', '{"a":1}');
    } finally {
      Object.assign(filter.abi, original);
    }
    // The module sees no record and says so, in a document of its own.
    expect(result.status).toBe('ok');
    expect(result.record.event.kind).toBe('pipeline_error');
    expect(result.record.error.message).toMatch(/empty record/);
    expect(events).toHaveLength(1);
    expect(events).not.toContain(0);
  });

  it('keeps the module flat over many records: the copies are reused, not left to the collector', () => {
    const record = JSON.stringify({ padding: 'x'.repeat(16 * 1024) });
    for (let i = 0; i < 50; i++) filter.call('sysdig_to_ecs', record);
    const settled = filter.memoryBytes();
    for (let i = 0; i < 2000; i++) expect(filter.call('sysdig_to_ecs', record).status).toBe('ok');
    expect(filter.memoryBytes()).toBe(settled);
  });

  it('refuses a module that exports both malloc/free and the runtime\'s __new/__pin/__unpin', async () => {
    const rel = relative(workDir, join(ASSEMBLY, 'io', 'host_alloc')).split('\\').join('/');
    const both = await compile('both', `export { malloc, free } from "${rel}";
export function f(${ABI_PARAMS}): usize { return 0; }`, ['--exportRuntime']);
    await expect(loadFilter(both)).rejects.toThrow(/both malloc\/free and __new/);
    const neither = await compile('neither', `export function f(${ABI_PARAMS}): usize { return 0; }`);
    await expect(loadFilter(neither)).rejects.toThrow(/neither malloc and free nor __new/);
  }, 60_000);
});
