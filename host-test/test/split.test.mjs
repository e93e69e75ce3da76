import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import { splitRecords } from '../split.mjs';

describe('splitRecords: a single object', () => {
  it('returns the object text trimmed', () => {
    expect(splitRecords('  \n{"a": 1, "b": [1, 2]}\n\n')).toEqual(['{"a": 1, "b": [1, 2]}']);
  });

  it('keeps a pretty-printed object whole', () => {
    const text = '{\n  "a": {\n    "b": "}"\n  }\n}\n';
    expect(splitRecords(text)).toEqual([text.trim()]);
  });

  it('ignores a leading byte order mark', () => {
    expect(splitRecords('\ufeff{"a":1}')).toEqual(['{"a":1}']);
  });
});

describe('splitRecords: a top-level array', () => {
  it('slices each element out of the original text', () => {
    const elements = [
      '{"a":"],[{\\"}","n":1}',
      '{"b":"\\\\","c":["x",{"d":"}"}]}',
      '{ "e" : [ [ ] , { } ] , "f":"\\u005d,\\"[" }',
    ];
    expect(splitRecords(`[${elements.join(' ,\n ')}]`)).toEqual(elements);
  });

  it('splits a pretty-printed array and keeps each element verbatim', () => {
    const first = '{\n    "id": 1,\n    "tags": ["a,b", "[c]"]\n  }';
    const second = '{\n    "id": 2\n  }';
    expect(splitRecords(`[\n  ${first},\n  ${second}\n]\n`)).toEqual([first, second]);
  });

  it('keeps 19-digit integers digit for digit', () => {
    const text = '[{"timestamp":1605540695178065200,"rxTimestamp":1605540695537513500},{"n":-9223372036854775807}]';
    expect(splitRecords(text)).toEqual([
      '{"timestamp":1605540695178065200,"rxTimestamp":1605540695537513500}',
      '{"n":-9223372036854775807}',
    ]);
  });

  it('yields nothing for an empty array and skips a trailing comma', () => {
    expect(splitRecords('[]')).toEqual([]);
    expect(splitRecords('[ \n ]')).toEqual([]);
    expect(splitRecords('[{"a":1},]')).toEqual(['{"a":1}']);
  });

  it('splits only the top level: nested arrays and scalars stay single records', () => {
    expect(splitRecords('[[{"a":1},{"b":2}], 42, "s,t", null]')).toEqual(['[{"a":1},{"b":2}]', '42', '"s,t"', 'null']);
  });

  it('splits several arrays in sequence', () => {
    expect(splitRecords('[{"a":1}]\n[{"b":2},{"c":3}]')).toEqual(['{"a":1}', '{"b":2}', '{"c":3}']);
  });
});

describe('splitRecords: NDJSON and concatenated documents', () => {
  it('returns one record per line, skipping blank lines and CRs', () => {
    expect(splitRecords('{"a":1}\r\n\r\n{"b":"x\\ny"}\n   \n{"c":3}')).toEqual(['{"a":1}', '{"b":"x\\ny"}', '{"c":3}']);
  });

  it('splits a line that is an array', () => {
    expect(splitRecords('{"a":1}\n[{"b":2},{"c":3}]\n{"d":4}\n')).toEqual(['{"a":1}', '{"b":2}', '{"c":3}', '{"d":4}']);
  });

  it('separates concatenated pretty-printed objects', () => {
    expect(splitRecords('{\n "a": 1\n}\n{\n "b": 2\n}{"c":3}')).toEqual(['{\n "a": 1\n}', '{\n "b": 2\n}', '{"c":3}']);
  });

  it('keeps 19-digit integers exact in NDJSON', () => {
    expect(splitRecords('{"t":1605540695178065200}\n{"t":1605540695178065201}\n')).toEqual([
      '{"t":1605540695178065200}',
      '{"t":1605540695178065201}',
    ]);
  });
});

describe('splitRecords: invalid input is passed through', () => {
  it('passes broken lines through as records, next to the good ones', () => {
    expect(splitRecords('{"a":1}\nnot json\n{"b":\n{"c":"unterminated}\n{"d":4}')).toEqual([
      '{"a":1}',
      'not json',
      '{"b":',
      '{"c":"unterminated}',
      '{"d":4}',
    ]);
  });

  it('passes a single broken document through whole', () => {
    expect(splitRecords('{bad json}')).toEqual(['{bad json}']);
    expect(splitRecords('{"a":1} trailing')).toEqual(['{"a":1} trailing']);
    expect(splitRecords('{"a":[1}')).toEqual(['{"a":[1}']);
    expect(splitRecords('plain text')).toEqual(['plain text']);
  });

  it('passes invalid array elements through as records', () => {
    expect(splitRecords('[{"a":1}, {oops}, tru]')).toEqual(['{"a":1}', '{oops}', 'tru']);
  });

  it('passes an unterminated array line through whole', () => {
    expect(splitRecords('[{"a":1},\n{"b":2}')).toEqual(['[{"a":1},', '{"b":2}']);
  });

  it('returns nothing for empty or whitespace-only input', () => {
    expect(splitRecords('')).toEqual([]);
    expect(splitRecords(' \n\r\n\t')).toEqual([]);
    expect(splitRecords(undefined)).toEqual([]);
  });

  it('does not trim non-JSON whitespace, which may be part of latin1-decoded UTF-8', () => {
    // "à" is C3 A0 in UTF-8; decoded as latin1 it ends in U+00A0.
    const latin1Text = Buffer.from('{"a":1} à').toString('latin1');
    const [record] = splitRecords(latin1Text);
    expect(Buffer.from(record, 'latin1').toString('utf8')).toBe('{"a":1} à');
  });
});

describe('splitRecords: properties', () => {
  // Normalized through JSON once, because -0 does not survive JSON.
  const objectArbitrary = fc
    .dictionary(fc.string(), fc.jsonValue({ maxDepth: 3 }))
    .map((object) => JSON.parse(JSON.stringify(object)));

  it('never throws, and every record is a piece of the input', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), (text) => {
        for (const record of splitRecords(text)) {
          expect(record.length).toBeGreaterThan(0);
          expect(text).toContain(record);
        }
      }),
    );
  });

  it('never throws on JSON-ish noise', () => {
    const jsonish = fc.string({ unit: fc.constantFrom('{', '}', '[', ']', '"', '\\', ',', ':', ' ', '\n', 'a', '1') });
    fc.assert(
      fc.property(jsonish, (text) => {
        expect(Array.isArray(splitRecords(text))).toBe(true);
      }),
    );
  });

  it('round-trips an array of objects, compact or pretty-printed', () => {
    fc.assert(
      fc.property(fc.array(objectArbitrary), fc.constantFrom(undefined, 2), (objects, indent) => {
        const records = splitRecords(JSON.stringify(objects, null, indent));
        expect(records.map((record) => JSON.parse(record))).toEqual(objects);
      }),
    );
  });

  it('round-trips NDJSON', () => {
    fc.assert(
      fc.property(fc.array(objectArbitrary), (objects) => {
        const text = objects.map((object) => JSON.stringify(object) + '\n').join('');
        expect(splitRecords(text).map((record) => JSON.parse(record))).toEqual(objects);
      }),
    );
  });
});
