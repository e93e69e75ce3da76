// The ways a Sysdig admin can point Event Forwarding at the Fluent Bit
// pipelines, end to end on a real Fluent Bit: every golden input in each
// integration's wire form, built to the protocol's specification
// (wire-forms.mjs), must arrive at the Elasticsearch and Splunk HEC
// receivers equal to its golden output; wrong or missing credentials must be
// refused with nothing of them stored anywhere (receivers, wire, buffer).
// Where a listener cannot check a credential, a test pins that too, so the
// guide's "cannot" stays true.
//   - HEC listener (every config): wrong or missing token refused; Sysdig's
//     Webhook authentications Basic and Bearer cannot be verified: refused;
//   - Webhook, Certificate → sysdig-webhook-certificate-to-elasticsearch-and-splunk.yaml
//     (mutual TLS), both readings of Sysdig's documentation;
//   - Syslog → sysdig-syslog-to-elasticsearch-and-splunk.yaml: util-linux
//     logger (RFC 5424, TCP, octet counting), openssl s_client (TLS), and
//     hand-built RFC 5424/5425/6587 and RFC 3164 frames (TCP, TLS, UDP);
//   - Elasticsearch → sysdig-elasticsearch-api-to-elasticsearch-and-splunk.yaml:
//     _bulk bodies; no credential is checked (pinned).
// No live Sysdig tenant is used: the forms follow Sysdig's documented
// options.
//
// Without a fluent-bit binary (FLUENT_BIT_BIN or PATH), or without openssl
// for the test certificates, each test is reported as skipped, with the
// reason. The counts are printed at the end and written to
// build/e2e-front-doors-report.json.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import dgram from 'node:dgram';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { join } from 'node:path';
import tls from 'node:tls';
import { isDeepStrictEqual } from 'node:util';

import { MORE_SHAPES, SAMPLE_SHAPES } from '../test/samples.mjs';
import {
  REPO_ROOT,
  WASM_MODULE,
  findFluentBit,
  fluentBitVersion,
  hasOpenssl,
  makeTempDir,
  makeTestPki,
  post,
  removeDir,
  sleep,
  whichOnPath,
} from './harness.mjs';
import { FRONT_DOORS, FrontDoorRig } from './front-door-rig.mjs';
import {
  Rig,
  WEBHOOK_PATH,
  WEBHOOK_TOKEN,
  checkEsDocument,
  checkHecEnvelope,
  esKeyOf,
  hecKeyOf,
  loadShape,
  tally,
  uniqueCopy,
} from './rig.mjs';
import {
  bulkBody,
  exactJson,
  hecBody,
  hecEnvelope,
  hecEnvelopeFields,
  kvPairs,
  kvPairsChanges,
  kvPairsDocument,
  newlineFramed,
  octetCounted,
  rfc3164Message,
  rfc5424Message,
} from './wire-forms.mjs';
import { compactJson, findDuplicateKeys, loadFilter, parseExact } from '../host.mjs';
import { CLOCK } from '../vector/parity.mjs';

const fluentBit = findFluentBit();
const openssl = hasOpenssl();
const logger = whichOnPath('logger');
const version = fluentBit ? fluentBitVersion(fluentBit) : null;
const keepTemp = Boolean(process.env.E2E_KEEP_TEMP);

const SKIP = !fluentBit
  ? 'SKIPPED: no fluent-bit binary (set FLUENT_BIT_BIN or put fluent-bit on PATH); the front-door suite did NOT run'
  : !openssl
    ? 'SKIPPED: no openssl on PATH to make test certificates; the front-door suite did NOT run'
    : null;

// Every golden Sysdig and Falco input. runtime-policy-v2-fields is the same
// Sysdig event (same id) as runtime-policy-event, so it goes under an id of
// its own to be told apart at the receivers.
const GOLDEN_SHAPES = [...SAMPLE_SHAPES, ...MORE_SHAPES].map((name) =>
  name === 'runtime-policy-v2-fields' ? { ...uniqueCopy(name, 1), name } : loadShape(name),
);
/** The shapes as each kind of front door hands them to the normalizer:
 *   raw          the payload's own (compact) text: syslog MSG, an HEC
 *                envelope whose event is a string;
 *   fluent-bit   Fluent Bit's re-serialisation of the parsed payload: the
 *                webhook, an HEC event object, _bulk documents. Its JSON
 *                parser keeps the last of duplicate keys.
 * Each is the golden shape, unless the wire form changes the payload's
 * text in a way the output depends on: an event without an id of its own
 * has a hash of its text as event.id (secure-notification-webhook's golden
 * input is pretty-printed), and duplicate keys are reported with the text
 * in event.original (hostscanning-repaired; through Fluent Bit's parser
 * they are gone). For those, and only those (TEXT_DEPENDENT, checked), the
 * expected outputs are the module's for the text the wire delivers. */
let SHAPES = null;
const DELIVERED = {};
const TEXT_DEPENDENT = ['secure-notification-webhook', 'hostscanning-repaired'];

function deliveredShape(filter, shape, wire) {
  const text = wire === 'fluent-bit' && findDuplicateKeys(shape.text).length > 0
    ? exactJson(parseExact(shape.text))
    : compactJson(shape.text);
  const ecs = parseExact(filter.call('sysdig_to_ecs', text, CLOCK).output);
  const splunk = parseExact(filter.call('sysdig_to_splunk', text, CLOCK).output);
  const created = (doc) => ({ ...doc, event: { ...doc.event, created: null } });
  if (isDeepStrictEqual(created(ecs), created(shape.ecs)) && isDeepStrictEqual(splunk, shape.splunk)) return shape;
  return { ...shape, ecs, splunk, esKey: `${ecs.event.id}|${ecs.event.dataset}`, hecKey: `${splunk.fields.id}|${splunk.sourcetype}`, textDependent: true };
}

/** Sysdig's form value for each integration × what the test sent: the rows of
 *  the report (accepted / equal to golden / refused without credentials). */
const report = [];
function record(integration, wireForm, counts) {
  report.push({ integration, wireForm, ...counts });
}

// The rig's readiness check connects to every TCP port without speaking TLS;
// Fluent Bit logs that for the TLS syslog ports.
const TLS_PROBE_ERRORS = /\[tls\] error|could not accept new connection/;

const marker = (name) => `front-door-probe-${name}`;
/** A golden input under a marker id that must never arrive anywhere. */
function probeBody(name) {
  const base = SHAPES.find((s) => s.name === 'audit-cmd');
  return compactJson(base.text).replace(base.ecs.event.id, marker(name));
}

describe(`Connect Sysdig: the front doors on a real Fluent Bit${version ? ` (${version})` : ''}`, () => {
  let pkiDir = null;
  let pki = null;
  beforeAll(async () => {
    if (SKIP) {
      console.warn(`\n${'!'.repeat(78)}\n${SKIP}\n${'!'.repeat(78)}\n`);
      return;
    }
    if (!existsSync(WASM_MODULE)) throw new Error(`${WASM_MODULE} is missing; run npm run build`);
    pkiDir = makeTempDir('sysdig-front-door-pki-');
    pki = makeTestPki(pkiDir);
    const filter = await loadFilter(WASM_MODULE);
    for (const wire of ['raw', 'fluent-bit']) {
      DELIVERED[wire] = GOLDEN_SHAPES.map((shape) => deliveredShape(filter, shape, wire));
      const changed = DELIVERED[wire].filter((s) => s.textDependent).map((s) => s.name);
      console.log(`front-door e2e: ${wire} wire, expected outputs differ from golden for ${JSON.stringify(changed)}`);
      expect(changed.every((name) => TEXT_DEPENDENT.includes(name)), `unexpected difference from golden: ${changed}`).toBe(true);
    }
    SHAPES = DELIVERED['fluent-bit'];
  });
  afterAll(async () => {
    if (pkiDir) await removeDir(pkiDir);
  });

  /** Runs body(rig) on a fresh rig for `door` (null: the HEC pipeline
   *  itself), then checks what it returns: { shapes } that must each arrive
   *  once at both receivers equal to the golden output, and { probes }, the
   *  marker names that must be found nowhere. */
  const frontDoorCase = (title, door, body, { allowedErrors = null, timeout = 180000 } = {}) => {
    it(title, async (ctx) => {
      if (SKIP) ctx.skip(SKIP);
      const label = `front-door-${title.replace(/\W+/g, '-').slice(0, 60)}`;
      const rig = door
        ? new FrontDoorRig({ fluentBit, modulePath: WASM_MODULE, label, door: FRONT_DOORS[door], pki })
        : new Rig({ fluentBit, modulePath: WASM_MODULE, label });
      let failed = true;
      try {
        await rig.start();
        const { shapes = [], probes = [] } = (await body(rig)) ?? {};
        if (shapes.length > 0) await expectDelivered(rig, shapes);
        // Room for anything refused to show up if it had been let through.
        await sleep(1500);
        await expectProbesNowhere(rig, probes);
        for (const p of [...rig.pipelines, rig.receiver]) {
          const errors = p.errorLines().filter((line) => !(allowedErrors && allowedErrors.test(line)));
          expect(errors, `errors in ${p.logPath}`).toEqual([]);
        }
        failed = false;
      } finally {
        const keep = keepTemp || failed;
        await rig.cleanup({ keep });
        if (keep) console.error(`front-door e2e: kept ${rig.dir} for inspection`);
      }
    }, timeout);
  };

  // --- HEC integration (recommended) -----------------------------------------------------------

  const hecAuth = { authorization: `Splunk ${WEBHOOK_TOKEN}` };
  const sendHec = async (rig, body) => {
    const res = await post(rig.ports.webhook, WEBHOOK_PATH, body, hecAuth);
    expect(res.status, res.body).toBe(200);
  };

  frontDoorCase('HEC: each golden input in its own envelope (event an object) arrives equal to its golden output', null, async (rig) => {
    for (const shape of SHAPES) await sendHec(rig, hecEnvelope(shape));
    record('HEC', 'one envelope per request, event an object', { sent: SHAPES.length });
    return { shapes: SHAPES.map(throughHec) };
  });

  frontDoorCase('HEC: all envelopes concatenated in one body (event a JSON string)', null, async (rig) => {
    // A string event reaches the normalizer as its own text.
    await sendHec(rig, hecBody(DELIVERED.raw, { join: 'concatenated', eventAs: 'string' }));
    record('HEC', 'all envelopes concatenated in one body, event a string', { sent: DELIVERED.raw.length });
    return { shapes: DELIVERED.raw.map(throughHec) };
  });

  frontDoorCase('HEC: one envelope per line in one body', null, async (rig) => {
    await sendHec(rig, hecBody(SHAPES, { join: 'lines' }));
    record('HEC', 'one envelope per line in one body, event an object', { sent: SHAPES.length });
    return { shapes: SHAPES.map(throughHec) };
  });

  frontDoorCase('HEC and Webhook Basic/Bearer: a wrong, missing or non-Splunk credential is refused and stored nowhere', null, async (rig) => {
    const base = SHAPES.find((s) => s.name === 'audit-cmd');
    const attempts = [
      ['hec-no-header', {}, [401]],
      ['hec-wrong-token', { authorization: 'Splunk not-the-token' }, [403]],
      ['hec-token-prefix', { authorization: `Splunk ${WEBHOOK_TOKEN.slice(0, -1)}` }, [403]],
      // Sysdig's Webhook authentications Basic and Bearer with the right secret:
      // the splunk input knows only "Splunk <token>", so it cannot verify them.
      ['webhook-basic', { authorization: `Basic ${Buffer.from(`sysdig:${WEBHOOK_TOKEN}`).toString('base64')}` }, [401]],
      ['webhook-bearer', { authorization: `Bearer ${WEBHOOK_TOKEN}` }, [401]],
    ];
    const refused = {};
    for (const [name, headers, statuses] of attempts) {
      const envelope = hecEnvelope({ ...base, text: probeBody(name) });
      const res = await post(rig.ports.webhook, WEBHOOK_PATH, envelope, headers);
      expect(statuses, `${name}: ${res.status} ${res.body}`).toContain(res.status);
      refused[name] = res.status;
    }
    console.log(`front-door e2e: HEC listener answers ${JSON.stringify(refused)}`);
    record('HEC', 'wrong or missing token (3 probes)', { refused: 3, of: 3 });
    record('Webhook, Basic (Fluent Bit cannot verify)', 'right user:password', { refused: 1, of: 1 });
    record('Webhook, Bearer (Fluent Bit cannot verify)', 'right token', { refused: 1, of: 1 });
    // The right token after the probes: once it is delivered, so would they be.
    await sendHec(rig, hecEnvelope(SHAPES[0]));
    return { shapes: [throughHec(SHAPES[0])], probes: attempts.map(([name]) => name) };
  });

  // --- Webhook, Certificate ----------------------------------------------------------------------

  frontDoorCase(
    'Webhook, Certificate presented as a client certificate: trusted accepted equal to golden, others refused',
    'webhook certificate',
    async (rig) => {
      const port = rig.port('SYSDIG_WEBHOOK_MTLS_PORT');
      const outcomes = {};
      const attempt = async (name, tlsOptions) => {
        try {
          outcomes[name] = (await post(port, WEBHOOK_PATH, probeBody(name), {}, tlsOptions)).status;
        } catch (error) {
          outcomes[name] = error.code ?? error.message;
        }
      };
      await attempt('mtls-plain-http', null);
      await attempt('mtls-no-client-cert', { ca: pki.ca });
      await attempt('mtls-untrusted-client-cert', { ca: pki.ca, ...pki.rogueClient });
      console.log(`front-door e2e: client-certificate webhook probes ${JSON.stringify(outcomes)}`);
      for (const [name, outcome] of Object.entries(outcomes)) {
        expect(typeof outcome === 'number' && outcome < 400, `${name} got through: ${outcome}`).toBe(false);
      }
      // Sysdig's webhook body: a JSON array per batch, or NDJSON.
      const trusted = { ca: pki.ca, ...pki.client };
      const half = Math.ceil(SHAPES.length / 2);
      const batch = `[${SHAPES.slice(0, half).map((s) => compactJson(s.text)).join(',')}]`;
      const ndjson = SHAPES.slice(half).map((s) => `${compactJson(s.text)}\n`).join('');
      expect((await post(port, WEBHOOK_PATH, batch, {}, trusted)).status).toBe(200);
      expect((await post(port, WEBHOOK_PATH, ndjson, { 'content-type': 'application/x-ndjson' }, trusted)).status).toBe(200);
      record('Webhook, Certificate (client certificate)', 'JSON array + NDJSON, trusted client certificate', { sent: SHAPES.length });
      record('Webhook, Certificate (client certificate)', 'plain HTTP, no or untrusted certificate (3 probes)', { refused: 3, of: 3 });
      return { shapes: SHAPES, probes: Object.keys(outcomes) };
    },
    // Fluent Bit logs each refused handshake as an error.
    { allowedErrors: /tls|handshake|certificate|ssl/i },
  );

  frontDoorCase(
    'Webhook, Certificate as a CA that Sysdig trusts: no client certificate, so neither listener accepts the webhook',
    'webhook certificate',
    async (rig) => {
      // Reading 2: Sysdig verifies this server with the uploaded CA and sends no
      // client certificate and (the form cannot set one) no Authorization header.
      const verifiesServerOnly = { ca: pki.ca, checkServerIdentity: () => undefined };
      let mtls;
      try {
        mtls = (await post(rig.port('SYSDIG_WEBHOOK_MTLS_PORT'), WEBHOOK_PATH, probeBody('ca-only-mtls'), {}, verifiesServerOnly)).status;
      } catch (error) {
        mtls = error.code ?? error.message;
      }
      expect(typeof mtls === 'number' && mtls < 400, `the client-certificate listener let it through: ${mtls}`).toBe(false);
      // The token listener (TLS is optional there; plain here) wants the token.
      const hec = await post(rig.ports.webhook, WEBHOOK_PATH, probeBody('ca-only-hec'), {});
      expect(hec.status).toBe(401);
      console.log(`front-door e2e: CA-only webhook → client-certificate listener ${mtls}, HEC listener ${hec.status}`);
      record('Webhook, Certificate (CA trusted by Sysdig)', 'no client certificate, no token (2 probes)', { refused: 2, of: 2 });
      return { probes: ['ca-only-mtls', 'ca-only-hec'] };
    },
    { allowedErrors: /tls|handshake|certificate|ssl/i },
  );

  // --- Syslog ----------------------------------------------------------------------------------

  frontDoorCase('Syslog: util-linux logger, RFC 5424 over TCP with octet counting', 'syslog', async (rig) => {
    const skipped = !logger;
    if (skipped) {
      console.warn('front-door e2e: no util-linux logger on PATH; the logger case sends nothing');
      return {};
    }
    const lines = DELIVERED.raw.map((s) => compactJson(s.text)).join('\n') + '\n';
    await run(logger, [
      '--server', '127.0.0.1', '--port', String(rig.port('SYSDIG_SYSLOG_TCP_OCTET_COUNTING_PORT')), '--tcp',
      '--octet-count', '--rfc5424', '--size', '1048576', '--tag', 'sysdig', '--msgid', 'policy',
    ], lines);
    record('Syslog', 'RFC 5424, TCP, octet counting (util-linux logger)', { sent: DELIVERED.raw.length });
    return { shapes: DELIVERED.raw.map(throughSyslog) };
  }, { allowedErrors: TLS_PROBE_ERRORS });

  frontDoorCase('Syslog: RFC 5425 over TLS, octet counting, with openssl s_client', 'syslog', async (rig) => {
    const frames = DELIVERED.raw.map((s) => octetCounted(rfc5424Message(s))).join('');
    await run('openssl', [
      's_client', '-connect', `127.0.0.1:${rig.port('SYSDIG_SYSLOG_TLS_OCTET_COUNTING_PORT')}`,
      '-CAfile', pki.caFile, '-verify_return_error', '-quiet', '-no_ign_eof',
    ], frames);
    record('Syslog', 'RFC 5425, TLS, octet counting (openssl s_client)', { sent: DELIVERED.raw.length });
    return { shapes: DELIVERED.raw.map(throughSyslog) };
  }, { allowedErrors: TLS_PROBE_ERRORS });

  frontDoorCase('Syslog: hand-built RFC 5424 frames over TCP (both framings), TLS (line feed) and UDP; RFC 3164 over UDP', 'syslog', async (rig) => {
    // Five copies of the inputs, one per transport and framing, each under ids
    // of its own (the input without a Sysdig id goes only once, over TCP).
    const withId = DELIVERED.raw.filter((s) => !TEXT_DEPENDENT.includes(s.name) && s.text.includes(s.ecs.event.id));
    const copies = (n) => withId.map((s, i) => ({ ...uniqueCopy(s.name, n * 100 + i), name: s.name }));
    const forms = [
      ['RFC 5424, TCP, octet counting, BOM and structured data', 'SYSDIG_SYSLOG_TCP_OCTET_COUNTING_PORT', DELIVERED.raw,
        (s) => octetCounted(rfc5424Message(s, { bom: true, structuredData: '[origin ip="10.0.0.1"][meta sequenceId="1" x="a\\]b"]' }))],
      ['RFC 5424, TCP, line feed', 'SYSDIG_SYSLOG_TCP_NEWLINE_PORT', copies(1), (s) => newlineFramed(rfc5424Message(s))],
      ['RFC 5424, TLS, line feed', 'SYSDIG_SYSLOG_TLS_NEWLINE_PORT', copies(2), (s) => newlineFramed(rfc5424Message(s))],
      ['RFC 5424, UDP', 'SYSDIG_SYSLOG_UDP_PORT', copies(3), (s) => rfc5424Message(s)],
      ['RFC 3164, UDP', 'SYSDIG_SYSLOG_UDP_RFC3164_PORT', copies(4), (s) => rfc3164Message(s)],
    ];
    const sent = [];
    for (const [form, portName, shapes, frame] of forms) {
      const port = rig.port(portName);
      const payloads = shapes.map(frame);
      if (portName.includes('UDP')) await sendUdp(port, payloads);
      else await sendStream(port, payloads.join(''), portName.includes('TLS') ? { ca: pki.ca } : null);
      record('Syslog', form, { sent: shapes.length });
      sent.push(...shapes);
    }
    return { shapes: sent.map(throughSyslog) };
  }, { allowedErrors: TLS_PROBE_ERRORS });

  // --- Elasticsearch ---------------------------------------------------------------------------

  frontDoorCase('Elasticsearch: _bulk bodies, plain and KV_PAIRS, give the same documents', 'elasticsearch', async (rig) => {
    const port = rig.port('SYSDIG_ELASTICSEARCH_PORT');
    const bulk = async (docs) => {
      const res = await post(port, '/_bulk', bulkBody(docs), { 'content-type': 'application/x-ndjson' });
      expect(res.status, res.body).toBe(200);
      const answer = JSON.parse(res.body);
      expect(answer.errors, res.body).toBe(false);
      expect(answer.items).toHaveLength(docs.length);
    };
    // Plain: the payload as it is. KV_PAIRS: the inputs it changes, under ids
    // of their own.
    await bulk(SHAPES.map((s) => compactJson(s.text)));
    const kvShapes = SHAPES.filter(kvPairsChanges)
      .filter((s) => !TEXT_DEPENDENT.includes(s.name) && s.text.includes(s.ecs.event.id))
      .map((s, i) => ({ ...uniqueCopy(s.name, 500 + i), name: s.name }))
      // The same ECS document as the plain option; the Splunk event stays the
      // payload as it was sent (the HEC writer's contract), lists and all.
      .map((s) => ({ ...s, splunk: { ...s.splunk, event: kvPairs(s.splunk.event) } }));
    expect(kvShapes.length).toBeGreaterThan(0);
    await bulk(kvShapes.map(kvPairsDocument));
    record('Elasticsearch', '_bulk, plain documents', { sent: SHAPES.length });
    record('Elasticsearch', `_bulk, KV_PAIRS documents (the ${kvShapes.length} inputs whose labels or content.fields it turns into lists)`, { sent: kvShapes.length });
    return { shapes: [...SHAPES, ...kvShapes] };
  });

  frontDoorCase('Elasticsearch: the input checks no credential (documented; the guide says so)', 'elasticsearch', async (rig) => {
    const port = rig.port('SYSDIG_ELASTICSEARCH_PORT');
    const shape = SHAPES.find((s) => s.name === 'audit-net');
    const res = await post(port, '/_bulk', bulkBody([compactJson(shape.text)]), {
      'content-type': 'application/x-ndjson',
      authorization: `Basic ${Buffer.from('anyone:anything').toString('base64')}`,
    });
    expect(res.status).toBe(200);
    // An index in the path is not served (Fluent Bit 5.1.1 answers 400).
    const inPath = await post(port, '/sysdig-events/_bulk', bulkBody([probeBody('es-index-in-path')]), { 'content-type': 'application/x-ndjson' });
    expect(inPath.status).toBe(400);
    record('Elasticsearch', 'wrong Basic credential', { refused: 0, of: 1 });
    return { shapes: [shape], probes: ['es-index-in-path'] };
  });
});

afterAll(() => {
  if (report.length === 0) return;
  const rows = report.map((r) => `${r.integration} | ${r.wireForm} | ${r.sent ?? '-'} | ${r.refused !== undefined ? `${r.refused}/${r.of}` : '-'}`);
  console.log(`\n${version}\nintegration | wire form | sent (each arrived once, equal to golden) | refused\n${rows.join('\n')}\n`);
  const outDir = join(REPO_ROOT, 'build');
  mkdirSync(outDir, { recursive: true });
  writeFileSync(join(outDir, 'e2e-front-doors-report.json'), JSON.stringify({ version, report }, null, 2));
});

// --- expectations -----------------------------------------------------------------------------

/** What the pipeline makes of a golden input that came in an HEC envelope:
 *  the golden output, plus the envelope's host, index, source and
 *  sourcetype, kept as labels.hec_* (ECS) and indexed fields sysdig_hec_*
 *  (Splunk). */
function throughHec(shape) {
  const { host, index, source, sourcetype } = hecEnvelopeFields(shape);
  const ecs = structuredClone(shape.ecs);
  ecs.labels = { ...(ecs.labels ?? {}), hec_host: host, hec_index: index, hec_source: source, hec_sourcetype: sourcetype };
  const splunk = structuredClone(shape.splunk);
  splunk.fields = {
    ...(splunk.fields ?? {}),
    sysdig_hec_host: host, sysdig_hec_index: index, sysdig_hec_source: source, sysdig_hec_sourcetype: sourcetype,
  };
  return { ...shape, ecs, splunk };
}

/** What the pipeline makes of a golden input that came as a syslog MSG: the
 *  record holds only "message", which the normalizer reads the event from,
 *  so exactly the golden output. */
function throughSyslog(shape) {
  return shape;
}

async function expectDelivered(rig, shapes) {
  await rig.waitForDelivery(shapes);
  const es = tally(rig.esRecords(), esKeyOf, shapes);
  const hec = tally(rig.hecRecords(), hecKeyOf, shapes);
  for (const [name, t] of [['elasticsearch', es], ['splunk', hec]]) {
    expect(t.unexpected, `${name}: unexpected events`).toEqual([]);
    expect(t.lost, `${name}: lost events`).toBe(0);
    expect(t.duplicated, `${name}: duplicated events`).toBe(0);
    expect(t.received).toBe(shapes.length);
  }
  const byEsKey = new Map(shapes.map((s) => [s.esKey, s]));
  const byHecKey = new Map(shapes.map((s) => [s.hecKey, s]));
  for (const doc of rig.esRecords()) checkEsDocument(expect, doc, byEsKey.get(esKeyOf(doc)), 'index');
  for (const envelope of rig.hecRecords()) checkHecEnvelope(expect, envelope, byHecKey.get(hecKeyOf(envelope)));
}

async function expectProbesNowhere(rig, probes) {
  for (const name of probes) {
    const needle = marker(name);
    expect(rig.receivedText(), `${name} reached a receiver`).not.toContain(needle);
    for (const proxy of [rig.esProxy, rig.hecProxy]) {
      for (const request of proxy.requests) expect(request.text, `${name} was sent on`).not.toContain(needle);
    }
    expect(bufferContains(join(rig.dir, 'storage'), needle), `${name} is in the buffer`).toBe(false);
  }
}

function bufferContains(root, needle) {
  if (!existsSync(root)) return false;
  const walk = (dir) =>
    readdirSync(dir).some((name) => {
      const path = join(dir, name);
      return statSync(path).isDirectory() ? walk(path) : readFileSync(path).includes(needle);
    });
  return walk(root);
}

// --- senders ----------------------------------------------------------------------------------

/** Runs a program with `input` on stdin; rejects on a non-zero exit. */
function run(bin, args, input) {
  return new Promise((resolve, reject) => {
    const child = spawn(bin, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (c) => { output += c; });
    child.stderr.on('data', (c) => { output += c; });
    const timer = setTimeout(() => child.kill('SIGKILL'), 30000);
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolve(output);
      else reject(new Error(`${bin} ${args.join(' ')} exited ${code ?? signal}:\n${output}`));
    });
    child.stdin.end(input);
  });
}

/** Writes `text` on one TCP (or, with tlsOptions, TLS) connection and closes it. */
function sendStream(port, text, tlsOptions = null) {
  return new Promise((resolve, reject) => {
    const socket = tlsOptions
      ? tls.connect({ host: '127.0.0.1', port, ...tlsOptions }, () => socket.end(text))
      : net.connect({ host: '127.0.0.1', port }, () => socket.end(text));
    socket.on('error', reject);
    socket.on('close', () => resolve());
    socket.resume();
  });
}

/** One datagram per message, paced so the loopback socket buffer never drops one. */
async function sendUdp(port, messages) {
  const socket = dgram.createSocket('udp4');
  try {
    for (const message of messages) {
      await new Promise((resolve, reject) => socket.send(Buffer.from(message), port, '127.0.0.1', (e) => (e ? reject(e) : resolve())));
      await sleep(20);
    }
  } finally {
    socket.close();
  }
}

