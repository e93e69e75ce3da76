// Sysdig's Syslog integration with JSON content: Fluent Bit's `syslog` input
// parses the header and keeps MSG, the JSON event, as a string in `message`.
// Every golden Sysdig payload in each record form the parsers make must give
// exactly its golden outputs, as from the webhook, the header adding nothing:
//   - `message` alone (the parsers of fluent-bit/front-door/syslog-parsers.yaml)
//   - Fluent Bit's stock syslog-rfc5424 parser: pri, time, host, ident, pid,
//     msgid, extradata, message; MSG starting with a UTF-8 byte order mark,
//     as RFC 5424 allows
//   - its stock syslog-rfc3164 parser: pri, time, host, ident, pid, message
// The golden folders syslog-rfc5424-* and syslog-rfc3164-* hold cases checked
// by hand; records with other fields stay unknown shapes, losing nothing.
import { beforeAll, describe, expect, it } from 'vitest';
import { loadFilter, parseExact } from '../host.mjs';
import { TARGETS, barePayloadCases, jsonStringBytes, trimOriginal } from './bare-payloads.mjs';

const CLOCK = { tag: 'sysdig', sec: 1700000000, nsec: 500000000 };
const BOM = Buffer.from([0xef, 0xbb, 0xbf]);
const cases = barePayloadCases();

/** [label, record bytes] for one payload. */
function records(payload) {
  const record = (head, msg) => Buffer.concat([Buffer.from(head), jsonStringBytes(msg), Buffer.from('}')]);
  return [
    ['message alone', record('{"message":', payload)],
    ['stock RFC 5424 parser, MSG with a BOM', record(
      '{"pri":"14","time":"2020-11-25T16:49:09.000000Z","host":"secure.sysdig.example","ident":"sysdig",' +
      '"pid":"-","msgid":"-","extradata":"-","message":', Buffer.concat([BOM, payload]))],
    ['stock RFC 3164 parser', record(
      '{"pri":"14","time":"Nov 25 16:49:09","host":"secure.sysdig.example","ident":"sysdig","pid":"4242","message":', payload)],
  ];
}

let filter;
beforeAll(async () => { filter = await loadFilter(); });

const run = (fn, body) => {
  const result = filter.call(fn, body, CLOCK);
  expect(result.status).toBe('ok');
  return result.output;
};

describe('syslog records: every golden payload as Sysdig\'s Syslog integration sends it', () => {
  it('covers the golden payloads', () => {
    expect(cases.length).toBeGreaterThanOrEqual(20);
  });

  for (const c of cases) {
    for (const [label, body] of records(c.payload)) {
      it(`${c.name}, ${label}`, () => {
        expect(parseExact(run(TARGETS.ecs, body))).toEqual(trimOriginal(parseExact(c.expected.ecs)));
        expect(parseExact(run(TARGETS.splunk, body))).toEqual(parseExact(c.expected.splunk));
        if (parseExact(c.expected.ecs).event.dataset !== 'sysdig.unknown') {
          expect(run(TARGETS.cef, body)).toBe(c.expected.cef);
          expect(run(TARGETS.leef, body)).toBe(c.expected.leef);
        }
      });
    }
  }

  it('a record with a field no syslog parser makes is not unwrapped: kept whole', () => {
    const body = Buffer.concat([Buffer.from('{"facility":"user","message":'), jsonStringBytes(cases[0].payload), Buffer.from('}')]);
    const doc = parseExact(run(TARGETS.ecs, body));
    expect(doc.event.kind).toBe('pipeline_error');
    expect(doc.sysdig.facility).toBe('user');
    expect(doc.sysdig.message).toBe(cases[0].payload.toString('utf8'));
  });
});
