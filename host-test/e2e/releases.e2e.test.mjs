// The compatibility suite: the module and the shipped pipelines on every
// Fluent Bit release this machine has (releases.mjs: FLUENT_BIT_RELEASES,
// or the fluent-bit on PATH plus every /opt/fluent-bit-*/bin/fluent-bit),
// each release with the pipeline files of its line (fluent-bit/ for 5.x,
// fluent-bit/4.x/ for 4.0 to 4.2). Per release:
//   starts     every shipped pipeline file starts and listens
//   module     every golden input, one request each, through the webhook
//              into the Elasticsearch and Splunk receivers, each document
//              compared with its golden output
//   one/two webhooks   the sample shapes as one batch, each layout
//   Falco      file_output lines (tail), Falcosidekick through the webhook,
//              and on 5.x http_output over mutual TLS
//   restart    receivers down, a SIGTERM restart over the same buffer,
//              receivers back: everything delivered once
// and it prints (and writes to build/releases-report.json) started,
// delivered, equal to golden, lost and duplicated per case, with the time
// each release took. Supported lines with no release installed, and
// releases outside the supported lines, are reported as skipped with the
// reason. The receivers are the default Fluent Bit (PATH) when there is
// one, so a release is not its own judge.
//
// On a machine with only the default Fluent Bit this runs one release,
// within about a minute.

import { describe, it, beforeAll, afterAll, expect } from 'vitest';
import { appendFileSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { isDeepStrictEqual } from 'node:util';

import { findDuplicateKeys, parseExact } from '../host.mjs';
import { SAMPLE_SHAPES } from '../test/samples.mjs';
import {
  REPO_ROOT,
  WASM_MODULE,
  FluentBitProcess,
  envFileDefaults,
  findFluentBit,
  freePort,
  hasOpenssl,
  makeTempDir,
  makeTestPki,
  post,
  removeDir,
  waitFor,
} from './harness.mjs';
import { ES_TIME_KEY, Rig, WEBHOOK_PATH, WEBHOOK_TOKEN } from './rig.mjs';
import { findReleases, missingLines } from './releases.mjs';

const releases = findReleases();
const reference = findFluentBit();
const openssl = hasOpenssl();
const keepTemp = Boolean(process.env.E2E_KEEP_TEMP);
const AUTH = { authorization: `Splunk ${WEBHOOK_TOKEN}` };

const GOLDEN_DIR = join(REPO_ROOT, 'host-test', 'golden');
const goldenNames = readdirSync(GOLDEN_DIR).filter((n) => existsSync(join(GOLDEN_DIR, n, 'input.json'))).sort();
const readGolden = (name, file) => readFileSync(join(GOLDEN_DIR, name, file), 'utf8');
const golden = goldenNames.map((name) => {
  const text = readGolden(name, 'input.json').trim();
  const ecsText = readGolden(name, 'expected.ecs.json');
  const splunkText = readGolden(name, 'expected.splunk.json');
  const ecs = parseExact(ecsText);
  return {
    name,
    text,
    ecsText,
    splunkText,
    ecs,
    splunk: parseExact(splunkText),
    // An event without an id of its own gets a hash of its text as event.id;
    // the webhook hands the module the JSON that Fluent Bit re-serialised,
    // so that id is Fluent Bit's, and the rest is compared.
    hashId: typeof ecs.event?.id === 'string' && !text.includes(ecs.event.id) ? ecs.event.id : null,
    // What Fluent Bit's JSON parser changes before any filter runs (it keeps
    // one of duplicate keys, refuses invalid JSON, replaces a lone
    // surrogate): the same on every release, not the module's doing.
    changedByFluentBit: changedByParser(text),
  };
});
const shapes = SAMPLE_SHAPES.map((name) => golden.find((g) => g.name === name));
const batchOf = (list) => `[${list.map((s) => s.text).join(',')}]`;

function changedByParser(text) {
  let duplicates;
  try {
    duplicates = findDuplicateKeys(text);
  } catch {
    return 'not valid JSON';
  }
  if (duplicates.length > 0) return `duplicate keys (${duplicates.join(', ')})`;
  if (/\\ud[89ab][0-9a-f]{2}(?!\\ud[c-f])|(?<!\\ud[89ab][0-9a-f]{2})\\ud[c-f][0-9a-f]{2}/i.test(text)) return 'a lone surrogate';
  return null;
}

/** The golden output of `g` for a received document: for a hashed id, with
 *  the id the document carries (for Elasticsearch, also its _id). */
function expectedFor(g, which, receivedId) {
  const text = which === 'es' ? g.ecsText : g.splunkText;
  return parseExact(g.hashId && receivedId ? text.replaceAll(g.hashId, receivedId) : text);
}

/** A received Elasticsearch document as the golden file has it: without the
 *  bulk action and the es output's time key, and with event.created (the
 *  record's receive time) taken from the document. */
function esAsGolden(doc, g) {
  const { '@meta': _meta, [ES_TIME_KEY]: _ingested, ...rest } = doc;
  const want = expectedFor(g, 'es', rest.event?.id);
  if (want.event && rest.event && 'created' in want.event) want.event.created = rest.event.created;
  // Without an event time (tag _sysdig_no_event_time), @timestamp is the
  // receive time too.
  if (want.tags?.includes(NO_EVENT_TIME)) want['@timestamp'] = rest['@timestamp'];
  return isDeepStrictEqual(rest, want);
}
const NO_EVENT_TIME = '_sysdig_no_event_time';
/** A received HEC envelope as the golden file has it; without an event time
 *  its `time` is the receive time. */
function hecAsGolden(envelope, g) {
  const want = expectedFor(g, 'hec', envelope.fields?.id);
  if (g.ecs.tags?.includes(NO_EVENT_TIME)) want.time = envelope.time;
  return isDeepStrictEqual(envelope, want);
}
const esKey = (doc) => `${doc.event?.id}|${doc.event?.dataset}`;
const hecKey = (env) => `${env.fields?.id}|${env.sourcetype}`;

/**
 * Counts for one destination: each sent input is matched with at most one
 * received document equal to its golden output; a document for a sent
 * input's key that equals nothing is "different"; repeats are duplicates.
 */
function count(received, sent, which) {
  const same = which === 'es' ? esAsGolden : hecAsGolden;
  const keyOfDoc = which === 'es' ? esKey : hecKey;
  const keyOfSent = (s) => keyOfDoc(which === 'es' ? s.ecs : s.splunk);
  const matched = new Array(sent.length).fill(false);
  let equal = 0;
  let duplicated = 0;
  const different = [];
  for (const doc of received) {
    const i = sent.findIndex((s, j) => !matched[j] && same(doc, s));
    if (i >= 0) {
      matched[i] = true;
      equal++;
    } else if (sent.some((s) => same(doc, s))) {
      duplicated++;
    } else {
      different.push(keyOfDoc(doc));
    }
  }
  const receivedKeys = new Set(received.map(keyOfDoc));
  const delivered = sent.filter((s, j) => matched[j] || receivedKeys.has(keyOfSent(s))).length;
  return { sent: sent.length, delivered, equal, lost: sent.length - delivered, duplicated, different };
}

const report = [];
const started = Date.now();

if (releases.length === 0) {
  console.warn('\nSKIPPED: no Fluent Bit found (FLUENT_BIT_RELEASES, PATH, /opt/fluent-bit-*/bin); the compatibility suite did NOT run\n');
}

// Only when something is missing or unsupported: vitest fails a describe with no test.
const notRun = missingLines(releases).length + releases.filter((r) => r.problem || !r.supported).length;
(notRun > 0 ? describe : () => {})('Fluent Bit releases', () => {
  for (const missing of missingLines(releases)) {
    it.skip(`${missing.line}.x: not installed (put its fluent-bit in /opt/fluent-bit-<version>/bin or FLUENT_BIT_RELEASES)`, () => {});
    report.push({ release: `${missing.line}.x`, skipped: 'not installed' });
  }
  for (const release of releases.filter((r) => r.problem || !r.supported)) {
    const why = release.problem ?? `release line ${release.line} is not supported (fluent-bit/README.md, section 16)`;
    it.skip(`${release.bin}: ${why}`, () => {});
    report.push({ release: release.version ?? release.bin, skipped: why });
  }
});

for (const release of releases.filter((r) => !r.problem && r.supported)) {
  describe(`Fluent Bit ${release.version} (${release.bin}) with ${relative(REPO_ROOT, release.pipelineDir)}/`, () => {
    const dir = release.pipelineDir;
    const config = (name) => join(dir, name);
    const hasFalcoListener = existsSync(config('falco/http-output-listener.yaml'));
    const entry = { release: release.version, bin: release.bin, pipelines: relative(REPO_ROOT, dir), cases: {}, seconds: 0 };
    let pki = null;
    let pkiDir = null;
    let began = 0;

    beforeAll(() => {
      began = Date.now();
      report.push(entry);
      if (openssl) {
        pkiDir = makeTempDir('releases-e2e-pki-');
        pki = makeTestPki(pkiDir);
      }
    });
    afterAll(async () => {
      entry.seconds = Math.round((Date.now() - began) / 100) / 10;
      if (pkiDir) await removeDir(pkiDir);
    });

    const newRig = (label, layoutConfig, twoWebhooks = false) =>
      new Rig({
        fluentBit: release.bin,
        receiverBin: reference ?? release.bin,
        modulePath: WASM_MODULE,
        label: `rel-${release.version}-${label}`,
        layout: { config: config(layoutConfig), twoWebhooks },
      });

    /** Runs body(rig) and records its counts under `name`; the case fails
     *  on any loss, duplicate or document unequal to its golden output. */
    const deliveryCase = (name, layoutConfig, body, { twoWebhooks = false, env = () => ({}), falco = false } = {}) => {
      it(name, async (ctx) => {
        if (falco && !pki) ctx.skip('no openssl on PATH for the certificates');
        const rig = newRig(name.replace(/\W+/g, '-'), layoutConfig, twoWebhooks);
        let failed = true;
        const t0 = Date.now();
        try {
          const sent = await body(rig);
          const es = count(rig.esRecords(), sent, 'es');
          const hec = count(rig.hecRecords(), sent, 'hec');
          entry.cases[name] = { started: true, es, hec, seconds: Math.round((Date.now() - t0) / 100) / 10 };
          for (const [dest, c] of [['elasticsearch', es], ['splunk', hec]]) {
            expect(c.different, `${dest}: documents unequal to golden`).toEqual([]);
            expect(c.lost, `${dest}: lost`).toBe(0);
            expect(c.duplicated, `${dest}: duplicated`).toBe(0);
            expect(c.equal).toBe(c.sent);
          }
          failed = false;
        } catch (error) {
          entry.cases[name] ??= { started: Boolean(rig.pipeline?.child), error: String(error.message).split('\n')[0] };
          throw error;
        } finally {
          await rig.cleanup({ keep: keepTemp || failed });
          if (failed) console.error(`releases e2e: kept ${rig.dir}`);
        }
      }, 240000);
    };

    it('starts every shipped pipeline file', async (ctx) => {
      if (!pki) ctx.skip('no openssl on PATH for the certificates the Falco listener requires');
      const tmp = makeTempDir(`rel-${release.version}-starts-`);
      const results = {};
      try {
        const files = readdirSync(dir).filter((f) => f.endsWith('.yaml') && f !== 'sysdig-to-stdout.yaml').sort();
        for (const file of files) {
          const [webhook, second, falcoPort, ...doorPorts] = await Promise.all(Array.from({ length: 11 }, () => freePort()));
          const twoWebhooks = /two-webhooks/.test(file);
          const env = {
            ...envFileDefaults(),
            SYSDIG_NORMALIZER_MODULE: WASM_MODULE,
            SYSDIG_WEBHOOK_TOKEN: WEBHOOK_TOKEN,
            SYSDIG_WEBHOOK_LISTEN: '127.0.0.1',
            SYSDIG_WEBHOOK_PORT: String(webhook),
            SYSDIG_WEBHOOK_ES_PORT: String(webhook),
            SYSDIG_WEBHOOK_SPLUNK_PORT: String(second),
            PIPELINE_STORAGE_PATH: join(tmp, file, 'storage'),
            ES_HOST: '127.0.0.1', SPLUNK_HEC_HOST: '127.0.0.1', SPLUNK_HEC_TOKEN: 'x',
            ARCSIGHT_HOST: '127.0.0.1', QRADAR_HOST: '127.0.0.1', WEBHOOK_HOST: '127.0.0.1', MEZMO_HOST: '127.0.0.1',
            MEZMO_INGESTION_KEY: 'x',
            FALCO_HTTP_OUTPUT_LISTEN: '127.0.0.1',
            FALCO_HTTP_OUTPUT_PORT: String(falcoPort),
            FALCO_HTTP_OUTPUT_TLS_CRT_FILE: pki.serverCrt,
            FALCO_HTTP_OUTPUT_TLS_KEY_FILE: pki.serverKey,
            FALCO_HTTP_OUTPUT_TLS_CA_FILE: pki.caFile,
            FALCO_FILE_OUTPUT_PATH: join(tmp, file, 'events.json'),
            FALCO_FILE_OUTPUT_DB: join(tmp, file, 'tail.db'),
            FALCO_FILE_OUTPUT_DB_ES: join(tmp, file, 'tail-es.db'),
            FALCO_FILE_OUTPUT_DB_SPLUNK: join(tmp, file, 'tail-splunk.db'),
            // The front doors of fluent-bit/front-door/: ports and certificates of their own.
            SYSDIG_WEBHOOK_MTLS_LISTEN: '127.0.0.1',
            SYSDIG_WEBHOOK_MTLS_PORT: String(doorPorts[0]),
            SYSDIG_WEBHOOK_MTLS_CRT_FILE: pki.serverCrt,
            SYSDIG_WEBHOOK_MTLS_KEY_FILE: pki.serverKey,
            SYSDIG_WEBHOOK_MTLS_CA_FILE: pki.caFile,
            SYSDIG_SYSLOG_LISTEN: '127.0.0.1',
            SYSDIG_SYSLOG_TCP_OCTET_COUNTING_PORT: String(doorPorts[1]),
            SYSDIG_SYSLOG_TCP_NEWLINE_PORT: String(doorPorts[2]),
            SYSDIG_SYSLOG_TLS_OCTET_COUNTING_PORT: String(doorPorts[3]),
            SYSDIG_SYSLOG_TLS_NEWLINE_PORT: String(doorPorts[4]),
            SYSDIG_SYSLOG_UDP_PORT: String(doorPorts[5]),
            SYSDIG_SYSLOG_UDP_RFC3164_PORT: String(doorPorts[6]),
            SYSDIG_SYSLOG_TLS_CRT_FILE: pki.serverCrt,
            SYSDIG_SYSLOG_TLS_KEY_FILE: pki.serverKey,
            SYSDIG_ELASTICSEARCH_LISTEN: '127.0.0.1',
            SYSDIG_ELASTICSEARCH_PORT: String(doorPorts[7]),
          };
          mkdirSync(join(tmp, file), { recursive: true });
          const fb = new FluentBitProcess({
            bin: release.bin,
            config: config(file),
            env,
            logPath: join(tmp, `${file}.log`),
            readyPorts: [webhook, ...(twoWebhooks ? [second] : [])],
          });
          try {
            await fb.start();
            results[file] = { started: true };
          } catch (error) {
            results[file] = { started: false, error: (fb.log.match(/\[error\][^\n]*/) ?? [String(error.message)])[0] };
          } finally {
            await fb.stop();
          }
        }
        entry.cases.starts = results;
        const failedFiles = Object.entries(results).filter(([, r]) => !r.started);
        expect(failedFiles, JSON.stringify(failedFiles)).toEqual([]);
      } finally {
        if (!keepTemp) await removeDir(tmp);
      }
    }, 240000);

    deliveryCase('module: every golden input, one request each', 'sysdig-to-elasticsearch-and-splunk.yaml', async (rig) => {
      await rig.start();
      const sent = golden.filter((g) => !g.changedByFluentBit);
      entry.notCompared = golden.filter((g) => g.changedByFluentBit).map((g) => `${g.name} (${g.changedByFluentBit})`);
      for (const g of sent) expect((await rig.send(g.text, AUTH)).status, g.name).toBe(200);
      await waitForCounts(rig, sent);
      return sent;
    });

    deliveryCase('one webhook: the sample shapes as one batch', 'sysdig-to-elasticsearch-and-splunk.yaml', async (rig) => {
      await rig.start();
      expect((await rig.send(batchOf(shapes), AUTH)).status).toBe(200);
      await waitForCounts(rig, shapes);
      return shapes;
    });

    deliveryCase(
      'two webhooks: the sample shapes as one batch',
      'sysdig-two-webhooks-to-elasticsearch-and-splunk.yaml',
      async (rig) => {
        await rig.start();
        expect((await rig.send(batchOf(shapes), AUTH)).status).toBe(200);
        await waitForCounts(rig, shapes);
        return shapes;
      },
      { twoWebhooks: true },
    );

    deliveryCase(
      `Falco: file_output, Falcosidekick${hasFalcoListener ? ', http_output (mutual TLS)' : ''}`,
      'sysdig-and-falco-to-elasticsearch-and-splunk.yaml',
      async (rig) => {
        const falcoPort = await freePort();
        const falcoFile = join(rig.dir, 'events.json');
        await rig.start({
          env: {
            FALCO_HTTP_OUTPUT_LISTEN: '127.0.0.1',
            FALCO_HTTP_OUTPUT_PORT: String(falcoPort),
            FALCO_HTTP_OUTPUT_TLS_CRT_FILE: pki.serverCrt,
            FALCO_HTTP_OUTPUT_TLS_KEY_FILE: pki.serverKey,
            FALCO_HTTP_OUTPUT_TLS_CA_FILE: pki.caFile,
            FALCO_FILE_OUTPUT_PATH: falcoFile,
            FALCO_FILE_OUTPUT_DB: join(rig.dir, 'tail.db'),
          },
        });
        const byName = (n) => golden.find((g) => g.name === n);
        const viaFile = ['falco-01-syscall-terminal-shell-k8s', 'falco-02-syscall-collector-aname-mitre'].map(byName);
        const viaHttp = ['falco-05-k8saudit-attach-exec'].map(byName);
        const viaSidekick = [byName('falco-07a-sidekick-uuid')];
        const line = (g) => JSON.stringify(JSON.parse(g.text.replace(/(\d{16,})/g, '"$1n"'))).replace(/"(\d{16,})n"/g, '$1');
        for (const g of hasFalcoListener ? viaFile : [...viaFile, ...viaHttp]) appendFileSync(falcoFile, `${line(g)}\n`);
        if (hasFalcoListener) {
          await waitFor(async () => {
            try {
              const res = await post(falcoPort, WEBHOOK_PATH, viaHttp[0].text, { 'user-agent': 'falcosecurity/falco' }, { ca: pki.ca, ...pki.client });
              return res.status === 200;
            } catch {
              return false;
            }
          }, { limitMs: 30000, describe: () => 'the Falco listener to accept the alert' });
        }
        for (const g of viaSidekick) expect((await rig.send(g.text, AUTH)).status).toBe(200);
        const sent = [...viaFile, ...viaHttp, ...viaSidekick];
        await waitForCounts(rig, sent);
        return sent;
      },
      { falco: true },
    );

    deliveryCase('restart (SIGTERM) over the same buffer while both receivers are down', 'sysdig-to-elasticsearch-and-splunk.yaml', async (rig) => {
      await rig.start();
      await rig.esProxy.down();
      await rig.hecProxy.down();
      const [before, after] = [shapes.slice(0, 5), shapes.slice(5)];
      for (const g of before) expect((await rig.send(g.text, AUTH)).status).toBe(200);
      await rig.waitForRetries();
      await rig.pipeline.stop('SIGTERM');
      await rig.startPipeline();
      expect((await rig.send(batchOf(after), AUTH)).status).toBe(200);
      await rig.esProxy.up();
      await rig.hecProxy.up();
      await waitForCounts(rig, shapes);
      return shapes;
    });
  });
}

/** Waits until each destination has a document for every sent input's key
 *  (or gives up after the limit; the counts then show what is missing). */
async function waitForCounts(rig, sent) {
  await waitFor(
    () => rig.esRecords().length >= sent.length && rig.hecRecords().length >= sent.length,
    {
      limitMs: 120000,
      everyMs: 250,
      describe: () => `delivery of ${sent.length}; ES ${rig.esRecords().length}, HEC ${rig.hecRecords().length}\n${rig.pipeline.log.slice(-3000)}`,
    },
  ).catch(() => {});
  // A moment for a duplicate to show up, if there is one.
  await new Promise((resolve) => setTimeout(resolve, 1500));
}

afterAll(() => {
  const lines = [`\nFluent Bit releases (suite took ${Math.round((Date.now() - started) / 1000)} s)`];
  lines.push('release | case | started | Elasticsearch sent/delivered/equal/lost/duplicated | Splunk HEC sent/delivered/equal/lost/duplicated');
  for (const r of report) {
    if (r.skipped) {
      lines.push(`${r.release} | skipped: ${r.skipped}`);
      continue;
    }
    lines.push(`${r.release} (${r.pipelines}/, ${r.seconds} s) | ${r.bin}`);
    if (r.cases.starts) {
      const s = Object.entries(r.cases.starts);
      lines.push(`${r.release} | starts | ${s.filter(([, x]) => x.started).length}/${s.length} files | ${s.filter(([, x]) => !x.started).map(([f, x]) => `${f}: ${x.error}`).join('; ')}`);
    }
    for (const [name, c] of Object.entries(r.cases)) {
      if (name === 'starts') continue;
      const fmt = (x) => (x ? `${x.sent}/${x.delivered}/${x.equal}/${x.lost}/${x.duplicated}` : '-');
      lines.push(`${r.release} | ${name} | ${c.started === false ? 'no' : 'yes'} | ${fmt(c.es)} | ${fmt(c.hec)}${c.seconds ? ` | ${c.seconds} s` : ''}${c.error ? ` | ${c.error}` : ''}`);
    }
    if (r.notCompared?.length) lines.push(`${r.release} | not sent (Fluent Bit's JSON parser changes them before any filter): ${r.notCompared.join(', ')}`);
  }
  console.log(lines.join('\n'));
  mkdirSync(join(REPO_ROOT, 'build'), { recursive: true });
  writeFileSync(join(REPO_ROOT, 'build', 'releases-report.json'), JSON.stringify(report, null, 2));
});
