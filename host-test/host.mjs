// A Node stand-in for Fluent Bit's `wasm` filter host (flb_wasm.c on WAMR).
//
// It repeats the per-record call sequence of
// flb_wasm_call_function_format_json() step for step, so a module that
// behaves here behaves the same way inside Fluent Bit:
//   1. copy tag and record in via dup_data: malloc(len + 1) (or, for a
//      module without malloc and free, __new(len + 1, 0) and __pin(ptr)),
//      bytes + trailing NUL; the lengths passed exclude the NUL;
//   2. call fn(tag_ptr, tag_len, sec, nsec, rec_ptr, rec_len) -> ptr;
//   3. validate the returned address and its NUL terminator, copy the string;
//   4. free both copies with free (or __unpin), also after a trap.
// filter_wasm.c then keeps the record only if the copy is exactly one JSON
// object, which is what the status classification below mirrors.

import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';

export const DEFAULT_WASM_PATH = fileURLToPath(
  new URL('../build/sysdig_normalizer.wasm', import.meta.url),
);

/**
 * The allocator WAMR finds in a module's exports (wasm_loader.c: malloc
 * `(i32)->i32` or __new `(i32,i32)->i32` with __pin or __retain; free, __unpin
 * or __release `(i32)->()`): `malloc` and `free`, or AssemblyScript's runtime.
 * A module that exports both kinds is refused: WAMR would pair one's malloc
 * with the other's pin (the later export wins), which it cannot call right.
 * @returns {{kind: 'malloc'|'__new', malloc: string, free: string}}
 */
export function hostAllocator(exportNames) {
  const has = (name) => exportNames.includes(name);
  const own = has('malloc') && has('free');
  const runtime = has('__new') && has('__pin') && has('__unpin');
  if (own && (has('__new') || has('__pin') || has('__unpin'))) {
    throw new Error('module exports both malloc/free and __new/__pin/__unpin; WAMR would mix them (build without --exportRuntime)');
  }
  if (own) return { kind: 'malloc', malloc: 'malloc', free: 'free' };
  if (runtime) return { kind: '__new', malloc: '__new', free: '__unpin' };
  throw new Error('module exports neither malloc and free nor __new, __pin and __unpin; WAMR needs one of them to copy records in');
}

// fatal: Fluent Bit's yyjson parser rejects invalid UTF-8 rather than
// replacing it. ignoreBOM: a leading BOM must stay visible so that it fails
// parsing here as it does there.
const strictUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
const utf8 = new TextEncoder();

/**
 * @typedef {object} CallResult
 * @property {'ok'|'dropped'|'invalid'|'trap'} status
 * @property {string|null} output  the returned string, exactly as returned
 * @property {object|null} record  JSON.parse(output) when status is 'ok'
 * @property {string|null} error   why the record would not be kept
 */

/**
 * Loads and instantiates a filter module.
 * @param {string|WebAssembly.Module} [wasmPath] the .wasm file, or a module compiled from it
 * @returns {Promise<{
 *   imports: WebAssembly.ModuleImportDescriptor[],
 *   exports: string[],
 *   instance: WebAssembly.Instance,
 *   abi: Record<string, Function>,
 *   memoryBytes: () => number,
 *   call: (fnName: string, record: string|Uint8Array,
 *          options?: {tag?: string|Uint8Array, sec?: number, nsec?: number}) => CallResult,
 * }>}
 */
export async function loadFilter(wasmPath = DEFAULT_WASM_PATH) {
  // A compiled module may be given instead of a path: a test that needs
  // many fresh instances compiles once.
  const module = wasmPath instanceof WebAssembly.Module ? wasmPath : await WebAssembly.compile(await readFile(wasmPath));
  const imports = WebAssembly.Module.imports(module);
  const exports = WebAssembly.Module.exports(module).map((entry) => entry.name);
  const instance = await WebAssembly.instantiate(module, stubImports(imports));

  if (!(instance.exports.memory instanceof WebAssembly.Memory)) {
    throw new Error(`${wasmPath} does not export its memory; WAMR needs it to copy records in`);
  }
  const allocator = hostAllocator(exports);

  // The host calls every export through this mutable table (the exports
  // object itself is frozen), so tests can interpose on the allocator's
  // exports or on a filter function to observe the ABI.
  const abi = { ...instance.exports, allocator };
  const memory = instance.exports.memory;

  return {
    imports,
    exports,
    instance,
    abi,
    memoryBytes: () => memory.buffer.byteLength,
    call: (fnName, record, options = {}) => callFilter(abi, memory, fnName, record, options),
  };
}

// Fluent Bit's WAMR leaves unresolved function imports unlinked and traps
// when one is called. A throwing stub that names the import reproduces
// that, and makes the call stand out in the error.
function stubImports(imports) {
  const importObject = {};
  for (const { module, name, kind } of imports) {
    if (kind !== 'function') {
      throw new Error(
        `module imports ${kind} ${module}.${name}; WAMR cannot link that and Fluent Bit would fail to start`,
      );
    }
    importObject[module] ??= {};
    importObject[module][name] = () => {
      throw new Error(`unexpected call to imported function ${module}.${name}`);
    };
  }
  return importObject;
}

function callFilter(abi, memory, fnName, record, { tag = 'sysdig', sec, nsec } = {}) {
  const filterFn = abi[fnName];
  if (typeof filterFn !== 'function') {
    throw new Error(`module does not export a function named ${fnName}`);
  }
  // Fluent Bit passes the record's own time; the clock only stands in when
  // the caller gives none (reading it costs more than a small record).
  const now = sec === undefined || nsec === undefined ? currentTime() : null;
  const tagBytes = toBytes(tag);
  const recordBytes = toBytes(record);

  const copies = [];
  let returnedPtr;
  let returned = null;
  let failure = null;
  let step = 'copying the tag in';
  try {
    const tagPtr = dupData(abi, memory, tagBytes);
    copies.push(tagPtr);
    step = 'copying the record in';
    const recordPtr = dupData(abi, memory, recordBytes);
    copies.push(recordPtr);
    step = `calling ${fnName}`;
    returnedPtr =
      filterFn(
        tagPtr | 0,
        tagBytes.length | 0,
        (sec ?? now.sec) | 0,
        (nsec ?? now.nsec) | 0,
        recordPtr | 0,
        recordBytes.length | 0,
      ) >>> 0;
    // Copied before the frees, as flb_wasm.c strdup's before module_free.
    if (returnedPtr !== 0) returned = readCString(memory, returnedPtr);
  } catch (error) {
    failure = { status: 'trap', output: null, record: null, error: `${describeError(error)} (while ${step})` };
  }

  for (const ptr of copies) {
    if (ptr === 0) continue;
    try {
      abi[abi.allocator.free](ptr);
    } catch (error) {
      // Fluent Bit would still keep the record here, but a runtime that
      // cannot free its own allocation is broken, so it is reported loudly.
      failure ??= {
        status: 'trap',
        output: null,
        record: null,
        error: `${abi.allocator.free}(${ptr}) after the call: ${describeError(error)}`,
      };
    }
  }
  if (failure) return failure;

  if (returnedPtr === 0) {
    return { status: 'dropped', output: null, record: null, error: 'filter returned 0' };
  }
  if (returned.error) {
    return { status: 'invalid', output: null, record: null, error: returned.error };
  }
  return classifyOutput(returned.bytes);
}

// WAMR's dup_data: malloc(size); or, on AssemblyScript's runtime, __new(size,
// 0) allocates an ArrayBuffer-like block and __pin keeps the collector off it
// until __unpin. WAMR treats 0 as a failed copy. Exported for the benchmark,
// which times the exports on copies made once.
export function dupData(abi, memory, bytes) {
  let ptr;
  if (abi.allocator.kind === 'malloc') {
    ptr = abi.malloc(bytes.length + 1) >>> 0;
  } else {
    ptr = abi.__new(bytes.length + 1, 0) >>> 0;
    abi.__pin(ptr);
  }
  // A failed copy: Fluent Bit passes the 0 on to the filter, and frees nothing.
  if (ptr === 0) return 0;
  // Read memory.buffer only now: the allocation may have grown (and detached) it.
  const view = new Uint8Array(memory.buffer, ptr, bytes.length + 1);
  view.set(bytes);
  view[bytes.length] = 0;
  return ptr;
}

// Mirrors wasm_runtime_validate_app_str_addr + strdup: the address must be
// inside linear memory and a NUL must follow it before the end of memory.
function readCString(memory, ptr) {
  const heap = new Uint8Array(memory.buffer);
  if (ptr >= heap.length) {
    return { error: `returned pointer ${ptr} is outside linear memory (${heap.length} bytes)` };
  }
  const end = heap.indexOf(0, ptr);
  if (end < 0) {
    return { error: `no NUL terminator between returned pointer ${ptr} and the end of memory` };
  }
  return { bytes: heap.slice(ptr, end) };
}

function classifyOutput(outputBytes) {
  let output;
  try {
    output = strictUtf8.decode(outputBytes);
  } catch {
    const preview = new TextDecoder().decode(outputBytes.subarray(0, 200));
    return {
      status: 'invalid',
      output: null,
      record: null,
      error: `output is not valid UTF-8 (lossy preview: ${JSON.stringify(preview)})`,
    };
  }
  if (output === '') {
    return { status: 'dropped', output, record: null, error: 'filter returned an empty string' };
  }
  const problem = { status: 'invalid', output, record: null, error: null };

  let record;
  try {
    record = JSON.parse(output);
  } catch (error) {
    return { ...problem, error: `output is not valid JSON: ${error.message}` };
  }
  if (record === null || typeof record !== 'object' || Array.isArray(record)) {
    const kind = record === null ? 'null' : Array.isArray(record) ? 'an array' : `a ${typeof record}`;
    return { ...problem, error: `output is ${kind}, not a JSON object` };
  }
  const yyjsonError = findYyjsonOnlyError(output, record);
  if (yyjsonError) return { ...problem, error: yyjsonError };
  return { status: 'ok', output, record, error: null };
}

// JSON.parse accepts two things that Fluent Bit's yyjson parser rejects:
// unpaired surrogate escapes and numbers that overflow a double.
function findYyjsonOnlyError(text, parsed) {
  if (text.includes('\\u')) {
    const surrogate = findLoneSurrogateEscape(text);
    if (surrogate) return surrogate;
  }
  // JSON.parse turns such a number into Infinity; walking the parsed values
  // costs less than any regular-expression prefilter over the text.
  if (containsNonFiniteNumber(parsed)) {
    return 'output has a number that overflows a double (yyjson rejects it)';
  }
  return null;
}

// Only valid JSON reaches here, so every backslash is inside a string and
// a linear walk over escape sequences is enough.
function findLoneSurrogateEscape(text) {
  let pendingHighAt = -1;
  const unpairedHigh = () =>
    `output has a high surrogate escape ${text.slice(pendingHighAt, pendingHighAt + 6)} ` +
    `at offset ${pendingHighAt} without a low surrogate escape after it`;

  for (let i = text.indexOf('\\'); i >= 0; i = text.indexOf('\\', i)) {
    const isUnicodeEscape = text[i + 1] === 'u';
    const unit = isUnicodeEscape ? parseInt(text.slice(i + 2, i + 6), 16) : -1;
    const isHigh = unit >= 0xd800 && unit <= 0xdbff;
    const isLow = unit >= 0xdc00 && unit <= 0xdfff;
    if (pendingHighAt >= 0) {
      if (!isLow || i !== pendingHighAt + 6) return unpairedHigh();
      pendingHighAt = -1;
    } else if (isLow) {
      return `output has a lone low surrogate escape ${text.slice(i, i + 6)} at offset ${i}`;
    } else if (isHigh) {
      pendingHighAt = i;
    }
    i += isUnicodeEscape ? 6 : 2;
  }
  return pendingHighAt >= 0 ? unpairedHigh() : null;
}

function containsNonFiniteNumber(root) {
  // Hot in the benchmarks: no spread, no Object.values arrays.
  const pending = [root];
  const isNonFinite = (x) => typeof x === 'number' && !Number.isFinite(x);
  while (pending.length > 0) {
    const value = pending.pop();
    if (Array.isArray(value)) {
      for (let i = 0; i < value.length; i++) {
        const x = value[i];
        if (isNonFinite(x)) return true;
        if (x !== null && typeof x === 'object') pending.push(x);
      }
    } else {
      for (const key in value) {
        const x = value[key];
        if (isNonFinite(x)) return true;
        if (x !== null && typeof x === 'object') pending.push(x);
      }
    }
  }
  return false;
}

// hrtime has nanoseconds but no epoch; anchor it to the wall clock once.
const hrtimeOrigin = process.hrtime.bigint();
const wallClockOriginNs = BigInt(Date.now()) * 1_000_000n;

// Callers truncate to u32 (`| 0`), as Fluent Bit casts tv_sec/tv_nsec.
function currentTime() {
  const nowNs = process.hrtime.bigint() - hrtimeOrigin + wallClockOriginNs;
  return { sec: Number(nowNs / 1_000_000_000n), nsec: Number(nowNs % 1_000_000_000n) };
}

function toBytes(value) {
  if (typeof value === 'string') return utf8.encode(value);
  if (value instanceof Uint8Array) return value;
  throw new TypeError('record and tag must be a string, Buffer or Uint8Array');
}

function describeError(error) {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}

// ---------------------------------------------------------------------------
// Exact JSON reading for tests. JSON.parse rounds integers beyond 2^53 and
// silently keeps the last of duplicate keys (Node 20's reviver has no
// `context.source`), so both helpers below share a small hand-written parser.

/**
 * The JSON text with the whitespace outside strings removed, nothing else
 * changed (numbers keep every digit, keys their order and spelling): a
 * record as Fluent Bit hands it to the filter.
 * @param {string} text
 * @returns {string}
 */
export function compactJson(text) {
  let out = '';
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (inString) {
      out += c;
      if (c === '\\') out += text[++i] ?? '';
      else if (c === '"') inString = false;
    } else if (c === '"') {
      inString = true;
      out += c;
    } else if (c !== ' ' && c !== '\n' && c !== '\r' && c !== '\t') out += c;
  }
  return out;
}

/**
 * Parses JSON like JSON.parse, except integers that are not safe JS integers
 * come back as BigInt with every digit intact.
 * @param {string} jsonText
 */
export function parseExact(jsonText) {
  return new ExactJsonParser(jsonText).parseDocument();
}

/**
 * Lists the JSON pointers (RFC 6901) of every object member whose key
 * already appeared earlier in the same object. Expects valid JSON.
 * @param {string} jsonText
 * @returns {string[]}
 */
export function findDuplicateKeys(jsonText) {
  const duplicates = [];
  new ExactJsonParser(jsonText, (pointer) => duplicates.push(pointer)).parseDocument();
  return duplicates;
}

const NUMBER_LITERAL = /-?(?:0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?/y;
const HEX4 = /^[0-9a-fA-F]{4}$/;
const SIMPLE_ESCAPES = { '"': '"', '\\': '\\', '/': '/', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t' };

class ExactJsonParser {
  constructor(text, onDuplicateKey = null) {
    this.text = text;
    this.pos = 0;
    this.path = [];
    this.onDuplicateKey = onDuplicateKey;
  }

  parseDocument() {
    this.skipWhitespace();
    const value = this.parseValue();
    this.skipWhitespace();
    if (this.pos < this.text.length) this.fail('unexpected content after the JSON value');
    return value;
  }

  // Iterative, with an explicit stack of open containers, so that nesting
  // of any depth (the adversarial tests send 100,000 levels) cannot
  // overflow the JavaScript stack.
  parseValue() {
    const open = []; // { container, key } per open object or array
    for (;;) {
      let value;
      const ch = this.text[this.pos];
      if (ch === '{' || ch === '[') {
        this.pos++;
        this.skipWhitespace();
        const container = ch === '{' ? {} : [];
        const close = ch === '{' ? '}' : ']';
        if (this.text[this.pos] === close) {
          this.pos++;
          value = container;
        } else {
          open.push({ container, key: null });
          if (ch === '{') this.beginMember(open.at(-1));
          else this.path.push(0);
          continue;
        }
      } else {
        value = this.parseScalar(ch);
      }
      // Store the value, then close every container it completes.
      for (;;) {
        const frame = open.at(-1);
        if (frame === undefined) return value;
        this.store(frame, value);
        this.path.pop();
        this.skipWhitespace();
        if (this.text[this.pos] === ',') {
          this.pos++;
          this.skipWhitespace();
          if (Array.isArray(frame.container)) this.path.push(frame.container.length);
          else this.beginMember(frame);
          break;
        }
        this.expect(Array.isArray(frame.container) ? ']' : '}');
        open.pop();
        value = frame.container;
      }
    }
  }

  /** Reads `"key":` of an object member and records duplicates. */
  beginMember(frame) {
    this.skipWhitespace();
    if (this.text[this.pos] !== '"') this.fail('expected a string key');
    const key = this.parseString();
    this.skipWhitespace();
    this.expect(':');
    this.skipWhitespace();
    if (Object.hasOwn(frame.container, key) && this.onDuplicateKey) {
      this.onDuplicateKey(toJsonPointer([...this.path, key]));
    }
    frame.key = key;
    this.path.push(key);
  }

  store(frame, value) {
    if (Array.isArray(frame.container)) frame.container.push(value);
    else {
      // defineProperty, not assignment, so a "__proto__" key stays a plain
      // member, as it does with JSON.parse.
      Object.defineProperty(frame.container, frame.key, { value, enumerable: true, writable: true, configurable: true });
    }
  }

  parseScalar(ch) {
    if (ch === '"') return this.parseString();
    if (ch === '-' || (ch >= '0' && ch <= '9')) return this.parseNumber();
    for (const [literal, value] of [['true', true], ['false', false], ['null', null]]) {
      if (this.text.startsWith(literal, this.pos)) {
        this.pos += literal.length;
        return value;
      }
    }
    return this.fail(ch === undefined ? 'unexpected end of input' : `unexpected character ${JSON.stringify(ch)}`);
  }

  parseString() {
    const { text } = this;
    let out = '';
    let chunkStart = ++this.pos;
    for (let i = chunkStart; ; ) {
      if (i >= text.length) {
        this.pos = i;
        this.fail('unterminated string');
      }
      const code = text.charCodeAt(i);
      if (code === 0x22) {
        this.pos = i + 1;
        return out + text.slice(chunkStart, i);
      }
      if (code < 0x20) {
        this.pos = i;
        this.fail('control character in string');
      }
      if (code !== 0x5c) {
        i++;
        continue;
      }
      out += text.slice(chunkStart, i);
      const escape = text[i + 1];
      if (escape === 'u') {
        const hex = text.slice(i + 2, i + 6);
        if (!HEX4.test(hex)) {
          this.pos = i;
          this.fail('invalid \\u escape');
        }
        out += String.fromCharCode(parseInt(hex, 16));
        i += 6;
      } else if (Object.hasOwn(SIMPLE_ESCAPES, escape ?? '')) {
        out += SIMPLE_ESCAPES[escape];
        i += 2;
      } else {
        this.pos = i;
        this.fail('invalid escape');
      }
      chunkStart = i;
    }
  }

  parseNumber() {
    NUMBER_LITERAL.lastIndex = this.pos;
    const match = NUMBER_LITERAL.exec(this.text);
    if (!match) this.fail('invalid number');
    this.pos += match[0].length;
    const [literal, fraction, exponent] = match;
    const value = Number(literal);
    if (fraction === undefined && exponent === undefined && !Number.isSafeInteger(value)) {
      return BigInt(literal);
    }
    return value;
  }

  skipWhitespace() {
    const { text } = this;
    let i = this.pos;
    for (;;) {
      const code = text.charCodeAt(i);
      if (code !== 0x20 && code !== 0x0a && code !== 0x0d && code !== 0x09) break;
      i++;
    }
    this.pos = i;
  }

  expect(ch) {
    if (this.text[this.pos] !== ch) this.fail(`expected ${JSON.stringify(ch)}`);
    this.pos++;
  }

  fail(message) {
    throw new SyntaxError(`${message} at position ${this.pos}`);
  }
}

function toJsonPointer(segments) {
  return segments
    .map((segment) => '/' + String(segment).replaceAll('~', '~0').replaceAll('/', '~1'))
    .join('');
}
