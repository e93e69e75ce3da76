import { spawnSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

import asc from 'assemblyscript/asc';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { findDuplicateKeys, loadFilter, parseExact } from '../host.mjs';

// Test modules implement the filter ABI in several deliberately good and bad
// ways. They are compiled with the flags the real module uses, so the
// allocator exports (__new/__pin/__unpin) are the genuine AS runtime ones.
const ABI_PARAMS = 'tagPtr: usize, tagLen: i32, sec: u32, nsec: u32, recPtr: usize, recLen: i32';

const FLAVORS_SOURCE = `
function copyOut(src: usize, len: usize): usize {
  const out = heap.alloc(len + 1);
  memory.copy(out, src, len);
  store<u8>(out + len, 0);
  return out;
}

export function echo(${ABI_PARAMS}): usize {
  __collect();
  return copyOut(recPtr, <usize>recLen);
}

// Reports what the module itself sees, so the u32 view of sec/nsec and the
// NULs after the copies are checked from the inside.
export function describe(${ABI_PARAMS}): usize {
  __collect();
  const seen = '{"tagLen":' + tagLen.toString()
    + ',"recLen":' + recLen.toString()
    + ',"sec":' + sec.toString()
    + ',"nsec":' + nsec.toString()
    + ',"tagNul":' + load<u8>(tagPtr + <usize>tagLen).toString()
    + ',"recNul":' + load<u8>(recPtr + <usize>recLen).toString()
    + ',"tag":"' + String.UTF8.decodeUnsafe(tagPtr, <usize>tagLen) + '"}';
  const bytes = String.UTF8.encode(seen, true);
  return copyOut(changetype<usize>(bytes), <usize>bytes.byteLength - 1);
}

// Collects but allocates nothing itself: memory can only grow if the host
// leaves its record copies pinned.
export function fixed(${ABI_PARAMS}): usize {
  __collect();
  return memory.data<u8>([0x7b, 0x7d, 0]);
}

// The real module's export names, so the CLI can run against this module.
export function sysdig_to_ecs(${ABI_PARAMS}): usize {
  return echo(tagPtr, tagLen, sec, nsec, recPtr, recLen);
}

export function sysdig_to_splunk(${ABI_PARAMS}): usize {
  return describe(tagPtr, tagLen, sec, nsec, recPtr, recLen);
}

export function zero(${ABI_PARAMS}): usize {
  return 0;
}

export function trap(${ABI_PARAMS}): usize {
  unreachable();
  return 0;
}

export function past_end(${ABI_PARAMS}): usize {
  return (<usize>memory.size() << 16) + 16;
}

export function no_nul(${ABI_PARAMS}): usize {
  const end = <usize>memory.size() << 16;
  memory.fill(end - 4, 0x7b, 4);
  return end - 4;
}
`;

const IMPORTS_SOURCE = `
@external("env", "host_clock")
declare function hostClock(): f64;

export function uses_import(${ABI_PARAMS}): usize {
  return <usize>hostClock();
}
`;

const ASC_FLAGS = ['--runtime', 'minimal', '--exportRuntime', '--use', 'abort=', '-O3'];

let workDir;
let flavorsPath;
let filter;
let importingFilter;

async function compile(name, source) {
  await writeFile(join(workDir, `${name}.ts`), source);
  const stderr = [];
  // --baseDir keeps asc away from the project's asconfig.json.
  const { error } = await asc.main(
    [`${name}.ts`, '--baseDir', workDir, '--outFile', `${name}.wasm`, ...ASC_FLAGS],
    { stderr: { write: (chunk) => stderr.push(String(chunk)) } },
  );
  if (error) throw new Error(`asc failed for ${name}: ${error.message}\n${stderr.join('')}`);
  return join(workDir, `${name}.wasm`);
}

beforeAll(async () => {
  workDir = await mkdtemp(join(tmpdir(), 'host-test-'));
  flavorsPath = await compile('flavors', FLAVORS_SOURCE);
  filter = await loadFilter(flavorsPath);
  importingFilter = await loadFilter(await compile('imports', IMPORTS_SOURCE));
}, 120_000);

afterAll(async () => {
  if (workDir) await rm(workDir, { recursive: true, force: true });
});

// Records every allocator and filter call the host makes, in order, and
// snapshots the argument bytes as the filter function sees them.
function traceAbi(target, fnName) {
  const events = [];
  const original = { ...target.abi };
  const bytesAt = (ptr, length) =>
    Buffer.from(new Uint8Array(target.instance.exports.memory.buffer, ptr, length));

  target.abi.__new = (size, id) => {
    const ptr = original.__new(size, id);
    events.push({ op: '__new', size, id, ptr });
    return ptr;
  };
  target.abi.__pin = (ptr) => {
    events.push({ op: '__pin', ptr });
    return original.__pin(ptr);
  };
  target.abi.__unpin = (ptr) => {
    events.push({ op: '__unpin', ptr });
    return original.__unpin(ptr);
  };
  target.abi[fnName] = (...args) => {
    const [tagPtr, tagLen, sec, nsec, recPtr, recLen] = args;
    events.push({
      op: fnName,
      args,
      sec,
      nsec,
      tagWithNul: bytesAt(tagPtr, tagLen + 1),
      recordWithNul: bytesAt(recPtr, recLen + 1),
    });
    return original[fnName](...args);
  };
  return {
    events,
    restore: () => Object.assign(target.abi, original),
  };
}

describe('loadFilter', () => {
  it('lists imports and exports', () => {
    expect(filter.imports).toEqual([]);
    expect(filter.exports).toEqual(
      expect.arrayContaining(['echo', 'memory', '__new', '__pin', '__unpin', '__collect', '__rtti_base']),
    );
    expect(filter.memoryBytes()).toBe(filter.instance.exports.memory.buffer.byteLength);
  });

  it('stubs imports with functions that name themselves when called', () => {
    expect(importingFilter.imports).toEqual([{ module: 'env', name: 'host_clock', kind: 'function' }]);
    const result = importingFilter.call('uses_import', '{}');
    expect(result.status).toBe('trap');
    expect(result.error).toContain('env.host_clock');
  });

  it('rejects a function name the module does not export', () => {
    expect(() => filter.call('sysdig_to_nowhere', '{}')).toThrow(/sysdig_to_nowhere/);
  });
});

describe('call: copying arguments in and out', () => {
  it('copies tag and record with a trailing NUL, passes lengths without it, and unpins both afterwards', () => {
    const tag = 'kube.sysdig.é';
    const record = '{"event":"ünïcode","timestamp":1605540695178065200}';
    const trace = traceAbi(filter, 'echo');
    let result;
    try {
      result = filter.call('echo', record, { tag, sec: 1605540695, nsec: 178065200 });
    } finally {
      trace.restore();
    }

    const tagBytes = Buffer.from(tag);
    const recordBytes = Buffer.from(record);
    const ops = trace.events.map((event) => event.op);
    expect(ops).toEqual(['__new', '__pin', '__new', '__pin', 'echo', '__unpin', '__unpin']);

    const [tagNew, tagPin, recordNew, recordPin, call, ...unpins] = trace.events;
    expect(tagNew).toMatchObject({ size: tagBytes.length + 1, id: 0 });
    expect(recordNew).toMatchObject({ size: recordBytes.length + 1, id: 0 });
    expect(tagPin.ptr).toBe(tagNew.ptr);
    expect(recordPin.ptr).toBe(recordNew.ptr);

    const [tagPtr, tagLen, sec, nsec, recPtr, recLen] = call.args;
    expect([tagPtr, recPtr]).toEqual([tagNew.ptr, recordNew.ptr]);
    expect([tagLen, recLen]).toEqual([tagBytes.length, recordBytes.length]);
    expect([sec, nsec]).toEqual([1605540695, 178065200]);
    expect(call.tagWithNul).toEqual(Buffer.concat([tagBytes, Buffer.from([0])]));
    expect(call.recordWithNul).toEqual(Buffer.concat([recordBytes, Buffer.from([0])]));

    expect(unpins.map((event) => event.ptr).sort()).toEqual([tagNew.ptr, recordNew.ptr].sort());
    expect(result).toMatchObject({ status: 'ok', output: record });
  });

  it('hands sec and nsec over as u32 bit patterns', () => {
    const result = filter.call('describe', 'x', { tag: 'a.b', sec: 0xffffffff, nsec: 999_999_999 });
    expect(result.status).toBe('ok');
    expect(result.record).toEqual({
      tagLen: 3,
      recLen: 1,
      sec: 0xffffffff,
      nsec: 999_999_999,
      tagNul: 0,
      recNul: 0,
      tag: 'a.b',
    });
  });

  it('defaults sec/nsec to the current time and the tag to "sysdig"', () => {
    const before = Math.floor(Date.now() / 1000);
    const { record } = filter.call('describe', '{}');
    const after = Math.floor(Date.now() / 1000);
    expect(record.sec).toBeGreaterThanOrEqual(before);
    expect(record.sec).toBeLessThanOrEqual(after);
    expect(record.nsec).toBeGreaterThanOrEqual(0);
    expect(record.nsec).toBeLessThan(1e9);
    expect(record.tag).toBe('sysdig');
  });

  it('accepts the record as a string, Buffer or Uint8Array and returns the exact output string', () => {
    const text = '{"msg":"naïve ☃ 𝄞","rxTimestamp":1605540695537513500}';
    for (const record of [text, Buffer.from(text), new Uint8Array(Buffer.from(text))]) {
      const result = filter.call('echo', record);
      expect(result.status).toBe('ok');
      expect(result.output).toBe(text);
      expect(parseExact(result.output).rxTimestamp).toBe(1605540695537513500n);
    }
  });

  it('reports a trap while copying in, and unpins only what was pinned', () => {
    const trace = traceAbi(filter, 'echo');
    const realNew = filter.abi.__new;
    let calls = 0;
    filter.abi.__new = (size, id) => {
      if (++calls === 2) throw new WebAssembly.RuntimeError('unreachable');
      return realNew(size, id);
    };
    let result;
    try {
      result = filter.call('echo', '{}');
    } finally {
      trace.restore();
    }
    expect(result).toMatchObject({ status: 'trap', error: expect.stringMatching(/copying the record in/) });
    const pinned = trace.events.filter((event) => event.op === '__pin').map((event) => event.ptr);
    const unpinned = trace.events.filter((event) => event.op === '__unpin').map((event) => event.ptr);
    expect(pinned).toHaveLength(1);
    expect(unpinned).toEqual(pinned);
    expect(trace.events.some((event) => event.op === 'echo')).toBe(false);
  });

  it('unpins the copies after a trap too', () => {
    const trace = traceAbi(filter, 'trap');
    let result;
    try {
      result = filter.call('trap', '{"a":1}');
    } finally {
      trace.restore();
    }
    const pinned = trace.events.filter((event) => event.op === '__pin').map((event) => event.ptr);
    const unpinned = trace.events.filter((event) => event.op === '__unpin').map((event) => event.ptr);
    expect(result.status).toBe('trap');
    expect(unpinned.sort()).toEqual(pinned.sort());
    expect(pinned).toHaveLength(2);
  });

  it('frees the copies: memory stays flat over many calls with large records', () => {
    const record = JSON.stringify({ padding: 'x'.repeat(16 * 1024) });
    for (let i = 0; i < 50; i++) filter.call('fixed', record);
    const settled = filter.memoryBytes();
    for (let i = 0; i < 2000; i++) {
      expect(filter.call('fixed', record).status).toBe('ok');
    }
    // 2000 leaked copies would need over 32 MiB.
    expect(filter.memoryBytes()).toBe(settled);
  });
});

describe('call: classifying the result like filter_wasm.c', () => {
  const cases = [
    ['a JSON object', '{"a":1}', 'ok'],
    ['an object with surrounding whitespace', ' \n{"a":[1,{"b":null}]}\t', 'ok'],
    ['a properly paired surrogate escape', '{"a":"\\ud834\\udd1e"}', 'ok'],
    ['an empty string', '', 'dropped'],
    ['invalid JSON', '{"a":', 'invalid'],
    ['an array', '[{"a":1}]', 'invalid'],
    ['a number', '42', 'invalid'],
    ['a string', '"{}"', 'invalid'],
    ['null', 'null', 'invalid'],
    ['two concatenated objects', '{"a":1}{"b":2}', 'invalid'],
    ['a trailing comma', '{"a":1,}', 'invalid'],
    ['a lone high surrogate escape', '{"a":"\\ud800"}', 'invalid'],
    ['a high surrogate escape followed by a non-surrogate', '{"a":"\\ud800\\u0041"}', 'invalid'],
    ['a lone low surrogate escape', '{"a":"\\udc00x"}', 'invalid'],
    ['surrogate escapes in the wrong order', '{"a":"\\udc00\\ud800"}', 'invalid'],
    ['a lone surrogate escape in a key', '{"\\udbff":1}', 'invalid'],
    ['a number overflowing a double', '{"a":-1e400}', 'invalid'],
    ['a leading byte order mark', '\ufeff{"a":1}', 'invalid'],
  ];
  for (const [description, output, status] of cases) {
    it(`${description} → ${status}`, () => {
      const result = filter.call('echo', output);
      expect(result.status).toBe(status);
      if (status === 'invalid') expect(result.error).toEqual(expect.any(String));
      if (status === 'ok') expect(result.record).toEqual(JSON.parse(output));
    });
  }

  it('does not mistake an escaped backslash followed by "u" for a surrogate escape', () => {
    expect(filter.call('echo', '{"path":"C:\\\\ud800"}').status).toBe('ok');
  });

  it('invalid UTF-8 → invalid', () => {
    const result = filter.call('echo', Buffer.from([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xff, 0x22, 0x7d]));
    expect(result.status).toBe('invalid');
    expect(result.error).toMatch(/UTF-8/);
  });

  it('a CESU-8 encoded surrogate → invalid', () => {
    const result = filter.call('echo', Buffer.from('{"a":"\xed\xa0\x80"}', 'latin1'));
    expect(result.status).toBe('invalid');
  });

  it('a 0 pointer → dropped', () => {
    expect(filter.call('zero', '{}')).toMatchObject({ status: 'dropped', output: null });
  });

  it('a pointer past the end of memory → invalid', () => {
    expect(filter.call('past_end', '{}')).toMatchObject({ status: 'invalid', error: expect.stringMatching(/outside/) });
  });

  it('a string without a NUL before the end of memory → invalid', () => {
    expect(filter.call('no_nul', '{}')).toMatchObject({ status: 'invalid', error: expect.stringMatching(/NUL/) });
  });

  it('a trap → trap, and the instance keeps working afterwards', () => {
    const result = filter.call('trap', '{}');
    expect(result).toMatchObject({ status: 'trap', output: null, record: null });
    expect(result.error).toMatch(/unreachable/);
    expect(filter.call('echo', '{"after":"trap"}')).toMatchObject({ status: 'ok', record: { after: 'trap' } });
  });
});

describe('parseExact', () => {
  it('keeps integers beyond 2^53 exact as BigInt', () => {
    const value = parseExact('{"ts":1605540695537513500,"neg":-9223372036854775808,"big":18446744073709551615}');
    expect(value).toEqual({ ts: 1605540695537513500n, neg: -9223372036854775808n, big: 18446744073709551615n });
  });

  it('returns safe integers, fractions and exponents as numbers', () => {
    expect(parseExact('[9007199254740991,-9007199254740991,1.5,-0,1e3,12345678901234567890.5]')).toEqual([
      9007199254740991, -9007199254740991, 1.5, -0, 1000, 12345678901234567890.5,
    ]);
  });

  it('decodes strings and literals like JSON.parse', () => {
    const text = '{"s":"a\\"b\\\\c\\/d\\b\\f\\n\\r\\t\\u00e9\\ud83d\\ude00","t":true,"f":false,"n":null,"__proto__":{"x":1}}';
    expect(parseExact(text)).toEqual(JSON.parse(text));
    expect(Object.getPrototypeOf(parseExact(text))).toBe(Object.prototype);
  });

  it('agrees with JSON.parse on arbitrary JSON (unsafe integers compared as numbers)', () => {
    const asNumbers = (value) => JSON.parse(JSON.stringify(value, (_key, v) => (typeof v === 'bigint' ? Number(v) : v)));
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        const text = JSON.stringify(value, null, 1);
        expect(asNumbers(parseExact(text))).toEqual(JSON.parse(text));
      }),
    );
  });

  it('throws SyntaxError on invalid JSON', () => {
    for (const text of ['', '{', '{"a":1,}', '[1 2]', '"\\x"', '"a\nb"', '01', '{"a":1} x', 'nul']) {
      expect(() => parseExact(text), text).toThrow(SyntaxError);
    }
  });
});

describe('findDuplicateKeys', () => {
  it('returns nothing for objects without duplicates', () => {
    expect(findDuplicateKeys('{"a":{"a":1},"b":[{"a":1},{"a":2}],"c":"\\"a\\":1,\\"a\\":2"}')).toEqual([]);
  });

  it('reports every duplicate with its JSON pointer', () => {
    const text = '{"@timestamp":1,"event":{"kind":"alert","kind":"event"},"list":[{},{"x/y~z":1,"x/y~z":2}],"@timestamp":2}';
    expect(findDuplicateKeys(text)).toEqual(['/event/kind', '/list/1/x~1y~0z', '/@timestamp']);
  });

  it('treats keys that differ only in escaping as the same key', () => {
    expect(findDuplicateKeys('{"é":1,"\\u00e9":2}')).toEqual(['/é']);
  });

  it('handles deep nesting', () => {
    const depth = 40;
    const text = '{"a":'.repeat(depth) + '{"k":1,"k":2}' + '}'.repeat(depth);
    expect(findDuplicateKeys(text)).toEqual(['/a'.repeat(depth) + '/k']);
  });
});

describe('sysdig-normalize CLI', () => {
  const cliPath = fileURLToPath(new URL('../cli.mjs', import.meta.url));
  const runCli = (args, input = '') =>
    spawnSync(process.execPath, [cliPath, ...args], { input, encoding: 'utf8' });

  it('prints each output exactly, one per line, for arrays and NDJSON on stdin', () => {
    const input = '[{"t":1605540695537513500},{"a":"x,]"}]\n{"b":"é"}\n';
    const { status, stdout, stderr } = runCli(['--to', 'ecs', '--wasm', flavorsPath], input);
    expect(stderr).toBe('');
    expect(status).toBe(0);
    expect(stdout).toBe('{"t":1605540695537513500}\n{"a":"x,]"}\n{"b":"é"}\n');
  });

  it('passes --tag and --time through to the module', () => {
    const args = ['--to', 'splunk', '--wasm', flavorsPath, '--tag', 'sysdig.audit', '--time', '1605540695.1780652'];
    const { status, stdout } = runCli(args, '{}');
    expect(status).toBe(0);
    expect(JSON.parse(stdout)).toMatchObject({ sec: 1605540695, nsec: 178065200, tag: 'sysdig.audit' });
  });

  it('reports records that produce no document on stderr and exits 1', () => {
    const { status, stdout, stderr } = runCli(['--to', 'ecs', '--wasm', flavorsPath], '{"ok":1}\n[1]\n{"ok":2}\n');
    expect(status).toBe(1);
    expect(stdout).toBe('{"ok":1}\n{"ok":2}\n');
    expect(stderr).toMatch(/<stdin>: record 2: invalid: /);
  });

  it('tells the user to build when the module is missing', () => {
    const { status, stderr } = runCli(['--to', 'ecs', '--wasm', join(workDir, 'missing.wasm')]);
    expect(status).toBe(2);
    expect(stderr).toMatch(/npm run build/);
  });

  it('prints usage for --help and rejects an unknown format', () => {
    expect(runCli(['--help'])).toMatchObject({ status: 0, stdout: expect.stringMatching(/^Usage: sysdig-normalize/) });
    expect(runCli(['--to', 'xml'])).toMatchObject({ status: 2, stderr: expect.stringMatching(/--to/) });
  });
});
