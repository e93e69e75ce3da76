// Falco alerts and Falcosidekick payloads: every JSON layout from Falco 0.30
// to today, the time digit for digit, the priority crosswalk, event ids,
// the plugin sources, and the payload kept whole under falco.*.
// The layouts are made from the real shared samples by the changes Falco's
// options and versions make (a key absent, keys sorted, `message` added),
// so each case differs from a real alert in exactly one documented way.
import { beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { readFileSync, writeFileSync } from 'node:fs';
import { loadFilter, parseExact } from '../host.mjs';
import { splitRecords } from '../split.mjs';

const OPTS = { tag: 'falco', sec: 1700000000, nsec: 500000000 };
const golden = (name) => readFileSync(new URL(`../golden/${name}/input.json`, import.meta.url), 'utf8');
const s01 = golden('falco-01-syscall-terminal-shell-k8s');
const s02 = golden('falco-02-syscall-collector-aname-mitre');
const s05 = golden('falco-05-k8saudit-attach-exec');
const s07a = golden('falco-07a-sidekick-uuid');

let filter;
beforeAll(async () => {
  filter = await loadFilter();
});

const ecs = (input) => {
  const res = filter.call('sysdig_to_ecs', typeof input === 'string' ? input : JSON.stringify(input), OPTS);
  expect(res.status, res.error).toBe('ok');
  return res;
};
const splunk = (input) => {
  const res = filter.call('sysdig_to_splunk', typeof input === 'string' ? input : JSON.stringify(input), OPTS);
  expect(res.status, res.error).toBe('ok');
  return res;
};
/** The sample as an object (its integers fit JSON.parse only when safe, so
 *  cases built this way drop output_fields with big numbers first). */
const without = (text, ...keys) => {
  const o = JSON.parse(text);
  for (const k of keys) delete o[k];
  return o;
};
const sortedKeys = (o) => Object.fromEntries(Object.entries(o).sort(([a], [b]) => (a < b ? -1 : 1)));

describe('the shared samples in one file (08: Elastic pipeline-test input, 19 lines)', () => {
  const dir = new URL('../golden-ndjson/falco-08-elastic-test-log/', import.meta.url);
  const lines = splitRecords(readFileSync(new URL('input.ndjson', dir), 'utf8'));
  it('has all 19 lines', () => expect(lines).toHaveLength(19));
  for (const [target, fn] of [['ecs', 'sysdig_to_ecs'], ['splunk', 'sysdig_to_splunk']]) {
    it(`→ ${target} matches expected.${target}.ndjson`, () => {
      const out = lines.map((line) => {
        const res = filter.call(fn, line, OPTS);
        expect(res.status, res.error).toBe('ok');
        return res.output;
      }).join('\n') + '\n';
      const expectedPath = new URL(`expected.${target}.ndjson`, dir);
      if (process.env.UPDATE_GOLDEN) writeFileSync(expectedPath, out);
      expect(out).toBe(readFileSync(expectedPath, 'utf8'));
    });
  }
  it('every line is a Falco alert, none is a pipeline error', () => {
    for (const line of lines) {
      const { record } = ecs(line);
      expect(record.event.module).toBe('falco');
      expect(record.event.kind).toBe('alert');
      expect(record.falco).toBeDefined();
      expect(record.sysdig).toBeUndefined();
    }
  });
});

describe('layouts by Falco version and option', () => {
  it('Falco ≤ 0.38 order (sample 01) and ≥ 0.39 sorted keys (same alert) map alike', () => {
    const old = ecs(s01).record;
    // Sorting needs JSON.parse; the one unsafe integer is put back verbatim.
    const sorted = JSON.stringify(sortedKeys(JSON.parse(s01)));
    const resorted = ecs(sorted.replace(/"evt\.time":\d+/, '"evt.time":1685022245478445995')).record;
    for (const r of [old, resorted]) delete r.event.id;
    delete old.falco; delete resorted.falco;
    expect(resorted).toEqual(old);
  });
  it('hostname absent (Falco 0.30, 0.31): no host, no observer.hostname; Splunk has no host', () => {
    const o = without(s02, 'hostname');
    const doc = ecs(o).record;
    expect(doc.host).toBeUndefined();
    expect(doc.observer).toEqual({ product: 'Falco', vendor: 'Falcosecurity' });
    expect(doc.rule.name).toBe('Read sensitive file untrusted');
    expect(splunk(o).record.host).toBeUndefined();
  });
  it('source absent (before 0.30): dataset falco.alert, the host is still the host', () => {
    const doc = ecs(without(s02, 'source')).record;
    expect(doc.event.provider).toBeUndefined();
    expect(doc.event.dataset).toBe('falco.alert');
    expect(doc.host.name).toBe('x86');
  });
  it('Falcosidekick\'s "syscalls" for a missing source: provider as sent, dataset falco.syscall', () => {
    const doc = ecs({ ...without(s02, 'source'), source: 'syscalls' }).record;
    expect(doc.event.provider).toBe('syscalls');
    expect(doc.event.dataset).toBe('falco.syscall');
    expect(doc.host.name).toBe('x86');
  });
  it('`message` (0.39+, json_include_message_property): output still wins; used when output is off', () => {
    const withMessage = { ...JSON.parse(s02), message: 'Sensitive file opened (file=/etc/shadow)' };
    expect(ecs(withMessage).record.message).toMatch(/^14:50:34\.502309868: Warning/);
    const outputOff = without(JSON.stringify(withMessage), 'output');
    expect(ecs(outputOff).record.message).toBe('Sensitive file opened (file=/etc/shadow)');
    expect(ecs(outputOff).record.falco.message).toBe('Sensitive file opened (file=/etc/shadow)');
  });
  it('output, tags and output_fields switched off: still an alert with rule, time and severity', () => {
    const doc = ecs(without(s02, 'output', 'tags', 'output_fields')).record;
    expect(doc.event.module).toBe('falco');
    expect(doc['@timestamp']).toBe('2025-05-07T12:50:34.502309868Z');
    expect(doc.rule.name).toBe('Read sensitive file untrusted');
    expect(doc.event.severity).toBe(4);
    expect(doc.message).toBeUndefined();
    expect(doc.tags).toBeUndefined();
    expect(doc.threat).toBeUndefined();
  });
  it('empty tags and an empty-string tag are kept in falco.* and add nothing', () => {
    const doc = ecs({ ...JSON.parse(s02), tags: ['', 'TA0003'] }).record;
    expect(doc.tags).toEqual(['TA0003']);
    expect(doc.threat.tactic.id).toEqual(['TA0003']);
    expect(doc.falco.tags).toEqual(['', 'TA0003']);
    expect(ecs({ ...JSON.parse(s02), tags: [] }).record.tags).toBeUndefined();
  });
  it('needs rule and priority as strings: otherwise it is not taken for Falco', () => {
    const doc = ecs(without(s02, 'priority')).record;
    expect(doc.event.kind).toBe('pipeline_error');
    expect(doc.sysdig.rule).toBe('Read sensitive file untrusted');
    expect(ecs({ ...JSON.parse(s02), rule: 7 }).record.event.kind).toBe('pipeline_error');
  });
});

describe('time: @timestamp and Splunk time digit for digit', () => {
  const at = (time) => ({ ...without(s02, 'output_fields'), time });
  it.each([
    ['2025-05-07T12:50:34.502309868Z', '2025-05-07T12:50:34.502309868Z', '1746622234.502309868'],
    ['2025-05-07T12:50:34.50230986Z', '2025-05-07T12:50:34.50230986Z', '1746622234.50230986'],
    ['2024-08-28T21:35:04.82302759Z', '2024-08-28T21:35:04.82302759Z', '1724880904.82302759'],
    ['2025-05-07T12:50:34.5Z', '2025-05-07T12:50:34.5Z', '1746622234.5'],
    ['2025-05-07T12:50:34Z', '2025-05-07T12:50:34Z', '1746622234'],
    ['2025-02-10T09:29:46.302906000Z', '2025-02-10T09:29:46.302906000Z', '1739179786.302906000'],
    ['2025-05-07T14:50:34.502309868+02:00', '2025-05-07T12:50:34.502309868Z', '1746622234.502309868'],
    ['2025-05-07T00:50:34.1-01:30', '2025-05-07T02:20:34.1Z', '1746584434.1'],
    ['2025-05-07t12:50:34.502309868z', '2025-05-07T12:50:34.502309868Z', '1746622234.502309868'],
    ['2024-02-29T23:59:59.999999999Z', '2024-02-29T23:59:59.999999999Z', '1709251199.999999999'],
    ['1970-01-01T00:00:00Z', '1970-01-01T00:00:00Z', '0'],
    ['2025-05-07T12:50:34.1234567891234Z', '2025-05-07T12:50:34.123456789Z', '1746622234.123456789'],
  ])('%s', (time, want, splunkTime) => {
    expect(ecs(at(time)).record['@timestamp']).toBe(want);
    expect(splunk(at(time)).record.time).toBe(splunkTime);
  });
  it.each([
    '2025-02-30T00:00:00Z', '2023-02-29T00:00:00Z', '2025-05-07T24:00:00Z', '2016-12-31T23:59:60Z',
    '2025-05-07T12:50:34.Z', '2025-05-07T12:50:34', '2025-05-07 12:50:34.5+0000', '1969-12-31T23:59:59Z',
    '2025-05-07T12:50:34.5Z ', '', 1746622234,
  ])('refuses %j: receive time, tagged, the text kept', (time) => {
    const doc = ecs(at(time)).record;
    expect(doc['@timestamp']).toBe('2023-11-14T22:13:20.500000000Z');
    expect(doc.tags).toContain('_sysdig_no_event_time');
    expect(doc.falco.time).toBe(time);
  });
  it('takes instants up to the end of date_nanos, and none after it', () => {
    expect(ecs(at('2262-04-11T23:47:16.854775807Z')).record['@timestamp']).toBe('2262-04-11T23:47:16.854775807Z');
    expect(ecs(at('2262-04-11T23:47:16.854775808Z')).record.tags).toContain('_sysdig_no_event_time');
    expect(ecs(at('9999-12-31T23:59:59Z')).record.tags).toContain('_sysdig_no_event_time');
  });
  it('matches a BigInt reference over generated instants and precisions', () => {
    fc.assert(
      // Event times end where Elasticsearch's date_nanos does (2262-04-11T23:47:16.854775807Z).
      fc.property(fc.bigInt({ min: 0n, max: 9223372035n }), fc.integer({ min: 0, max: 9 }), fc.nat(), (secs, digits, f) => {
        const frac = digits === 0 ? '' : '.' + String(f).padStart(9, '0').slice(-digits);
        const time = new Date(Number(secs) * 1000).toISOString().slice(0, 19) + frac + 'Z';
        const doc = ecs(at(time)).record;
        expect(doc['@timestamp']).toBe(time);
        expect(splunk(at(time)).record.time).toBe(`${secs}${frac}`);
      }),
      { seed: 11, numRuns: 300 },
    );
  });
});

describe('priority crosswalk', () => {
  it.each([
    ['Emergency', 0, 'high', 'emergency'], ['Alert', 1, 'high', 'alert'], ['Critical', 2, 'high', 'critical'],
    ['Error', 3, 'high', 'error'], ['Warning', 4, 'medium', 'warning'], ['Notice', 5, 'medium', 'notice'],
    ['Informational', 6, 'low', 'informational'], ['Info', 6, 'low', 'informational'],
    ['Debug', 7, 'informational', 'debug'], ['WARNING', 4, 'medium', 'warning'],
  ])('%s → %i, %s', (priority, code, level, name) => {
    const input = { ...without(s02, 'output_fields'), priority };
    const doc = ecs(input).record;
    expect(doc.event.severity).toBe(code);
    expect(doc.log).toEqual({ level, syslog: { severity: { code, name } } });
    const fields = splunk(input).record.fields;
    expect(fields.severity_id).toBe(String(code));
    expect(fields.severity).toBe(level);
  });
  it('an unknown priority sets no severity and keeps the text', () => {
    const doc = ecs({ ...without(s02, 'output_fields'), priority: 'Sev1' }).record;
    expect(doc.event.severity).toBeUndefined();
    expect(doc.log).toBeUndefined();
    expect(doc.falco.priority).toBe('Sev1');
  });
});

describe('event.id', () => {
  it('is Falcosidekick\'s uuid when there is one (ECS and Splunk)', () => {
    expect(ecs(s07a).record.event.id).toBe('7466e462-ddde-434d-8dee-390ca5656f83');
    expect(splunk(s07a).record.fields.id).toBe('7466e462-ddde-434d-8dee-390ca5656f83');
  });
  it('is a hash of the payload otherwise: a resent alert gets the same id, another alert another', () => {
    const a = ecs(s01).record.event.id;
    expect(a).toMatch(/^[0-9a-f]{32}$/);
    expect(ecs(s01).record.event.id).toBe(a);
    expect(ecs(` \n${s01}\n`).record.event.id).toBe(a);
    expect(splunk(s01).record.fields.id).toBe(a);
    expect(ecs(s01.replace('kubecon', 'kubecom')).record.event.id).not.toBe(a);
  });
  it('hashes the content, not the spelling: Fluent Bit re-encodes records before the filter', () => {
    const a = ecs(s01).record.event.id;
    // Minified (as Fluent Bit writes it), with "/" and letters escaped, in the
    // hashed fields too, with an escaped key.
    const respelled = s01
      .replace(', "output_fields": {', ',"output_fields":{')
      .replace('image=docker.io/library/alpine)', 'image=docker.io\\/library\\/alpine)')
      .replace('"rule":"Terminal shell in container"', '"\\u0072ule":"Terminal shell in \\u0063ontainer"')
      .replace('"docker.io/library/alpine"', '"docker.io\\/library\\/alpine"')
      .replace('"kubecon"', '"\\u006bubecon"')
      .replace('"proc.name"', '"proc\\u002ename"');
    expect(respelled).not.toBe(s01);
    expect(ecs(respelled).record.event.id).toBe(a);
  });
  it("hashes the alert's own fields (map/event_id.ts, as the VRL port does): time, rule, priority, source, hostname, output, message", () => {
    const a = ecs(s01).record.event.id;
    const o = JSON.parse(s01);
    for (const [key, other] of [['time', '2023-05-25T13:44:05.478445996Z'], ['rule', 'x'], ['priority', 'Error'], ['source', 'k8s_audit'],
      ['hostname', 'falco-other'], ['output', `${o.output} `], ['message', 'm']]) {
      expect(ecs({ ...o, [key]: other }).record.event.id, key).not.toBe(a);
    }
    // A string and the integer of the same digits are different values.
    expect(ecs({ ...o, hostname: '7' }).record.event.id).not.toBe(ecs({ ...o, hostname: 7 }).record.event.id);
    // Fields outside the list (output_fields, tags: what `output` renders) do not count.
    expect(ecs(s01.replace('"proc.tty":34816', '"proc.tty":"34816"')).record.event.id).toBe(a);
    expect(ecs(s01.replace('"tags":["container","mitre_execution","shell"]', '"tags":[]')).record.event.id).toBe(a);
  });
});

describe('output_fields', () => {
  it('keeps numbers beyond 2^53, nulls and clashing key paths exactly under falco.*', () => {
    const line3 = readFileSync(new URL('../golden-ndjson/falco-08-elastic-test-log/input.ndjson', import.meta.url), 'utf8')
      .split('\n')[2];
    const doc = parseExact(ecs(line3).output);
    const of = doc.falco.output_fields;
    expect(of.container_image).toBe('falcosecurity/event-generator:0.10.0');
    expect(of.container_image_tag).toBe('0.10.0');
    expect(of.evt_time_iso8601).toBe(1715108066271403849n);
    expect(doc.container.image).toEqual({
      name: 'falcosecurity/event-generator', tag: ['0.10.0'],
      hash: { all: ['sha256:d977378f890d445c15e51795296e4e5062f109ce6da83e0a355fc4ad8699d27'] },
    });
    const withNull = parseExact(ecs(s01.replace('"proc.tty":34816', '"proc.tty":null,"proc.aname[7]":null')).output);
    expect(withNull.falco.output_fields.proc_tty).toBeNull();
    expect(withNull.falco.output_fields.proc_aname_7).toBeNull();
    expect(parseExact(ecs(s01).output).falco.output_fields.evt_time).toBe(1685022245478445995n);
    // Splunk gets the payload as it came, dotted keys and all.
    expect(splunk(s01).output).toContain('"evt.time":1685022245478445995');
  });
  it('k8s_audit: ka.* to orchestrator.*, user.*, source.ip, user_agent.original, url, http', () => {
    const alert = {
      ...without(s05, 'output_fields'),
      output_fields: {
        'ka.user.name': 'kubernetes-admin', 'ka.target.namespace': 'hello-app', 'ka.target.name': 'web',
        'ka.target.resource': 'deployments', 'ka.verb': 'patch', 'ka.useragent': 'kubectl/v1.31.0 (linux/amd64)',
        'ka.sourceips': ['10.0.0.7', '192.168.1.2'], 'ka.uri': '/apis/apps/v1/namespaces/hello-app/deployments/web',
        'ka.response.code': '200', 'ka.auditid': '2b9b0b45',
      },
    };
    const doc = ecs(alert).record;
    expect(doc.orchestrator).toEqual({ namespace: 'hello-app', resource: { name: 'web', type: 'deployments' }, type: 'kubernetes' });
    expect(doc.user.name).toBe('kubernetes-admin');
    expect(doc.event.action).toBe('patch');
    expect(doc.source.ip).toBe('10.0.0.7');
    expect(doc.related.ip).toEqual(['10.0.0.7', '192.168.1.2']);
    expect(doc.user_agent.original).toBe('kubectl/v1.31.0 (linux/amd64)');
    expect(doc.url.original).toBe('/apis/apps/v1/namespaces/hello-app/deployments/web');
    expect(doc.http.response.status_code).toBe(200);
    expect(doc.event.category).toContain('api');
    expect(doc.host).toBeUndefined();
    expect(doc.observer.hostname).toBe('my-pool-1-node-921b61');
    expect(doc.falco.output_fields.ka_auditid).toBe('2b9b0b45');
    expect(splunk(alert).record.host).toBe('my-pool-1-node-921b61');
  });
  it('aws_cloudtrail: ct.* to cloud.*, user.*, source.ip, event.action', () => {
    const alert = {
      output: '12:00:00.000000000: Critical Console login without MFA (user=alice ip=203.0.113.9)',
      priority: 'Critical', rule: 'Console Login Without MFA', source: 'aws_cloudtrail', tags: ['cloud', 'aws', 'mitre_initial_access'],
      time: '2025-03-01T12:00:00.000000000Z', hostname: 'falco-cloud',
      output_fields: {
        'ct.user': 'alice', 'ct.srcip': '203.0.113.9', 'ct.useragent': 'Mozilla/5.0', 'ct.region': 'eu-west-1',
        'ct.user.accountid': '123456789012', 'ct.name': 'ConsoleLogin', 'ct.src': 'signin.amazonaws.com',
        'ct.user.identitytype': 'IAMUser', 'ct.id': 'a1b2',
      },
    };
    const doc = ecs(alert).record;
    expect(doc.cloud).toEqual({ account: { id: '123456789012' }, provider: 'aws', region: 'eu-west-1', service: { name: 'signin.amazonaws.com' } });
    expect(doc.user.name).toBe('alice');
    expect(doc.source.ip).toBe('203.0.113.9');
    expect(doc.user_agent.original).toBe('Mozilla/5.0');
    expect(doc.event.action).toBe('ConsoleLogin');
    expect(doc.event.dataset).toBe('falco.aws_cloudtrail');
    expect(doc.threat.tactic.name).toEqual(['Initial Access']);
    expect(doc.falco.output_fields.ct_user_identitytype).toBe('IAMUser');
  });
  it('MITRE: tactic names, tactic ids, techniques and sub-techniques', () => {
    const doc = ecs({ ...without(s02, 'output_fields'), tags: ['mitre_execution', 'T1059.004', 'TA0003', 'PCI_DSS_11.5.1'] }).record;
    expect(doc.threat.tactic.id).toEqual(['TA0002', 'TA0003']);
    expect(doc.threat.technique.id).toEqual(['T1059']);
    expect(doc.threat.technique.subtechnique.id).toEqual(['T1059.004']);
    expect(doc.tags).toEqual(['mitre_execution', 'T1059.004', 'TA0003', 'PCI_DSS_11.5.1']);
  });
  it('Splunk: one sourcetype, the tag as source, the payload as sent', () => {
    for (const s of [s01, s02, s05, s07a]) {
      const env = splunk(s).record;
      expect(env.sourcetype).toBe('falco:alert');
      expect(env.source).toBe('falco');
      expect(JSON.stringify(env.event)).toBe(JSON.stringify(JSON.parse(s)));
    }
  });
});
