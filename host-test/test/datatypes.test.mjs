// The data types beyond runtime policy events and activity audit (issue 13):
// which shape each record is told to be, the exact clock, Platform Audit's
// request fields and the redaction of its entityPayload, and the published
// host-scanning example that is not JSON.
import { beforeAll, describe, expect, test } from 'vitest';
import { readFileSync } from 'node:fs';
import { loadFilter, findDuplicateKeys } from '../host.mjs';
import { parseTree, stringifyExact } from './tree.mjs';
import { expectKeepsInput } from './keeps.mjs';

const OPTS = { tag: 'sysdig', sec: 1700000000, nsec: 500000000 };
const golden = (name) => readFileSync(new URL(`../golden/${name}/input.json`, import.meta.url), 'utf8');

let filter;
beforeAll(async () => {
  filter = await loadFilter();
});

function both(input) {
  const ecs = filter.call('sysdig_to_ecs', input, OPTS);
  const splunk = filter.call('sysdig_to_splunk', input, OPTS);
  expect(ecs.status, ecs.error).toBe('ok');
  expect(splunk.status, splunk.error).toBe('ok');
  expect(findDuplicateKeys(ecs.output)).toEqual([]);
  return { ecs: ecs.record, splunk: splunk.record, ecsOut: ecs.output, splunkOut: splunk.output, results: { ecs, splunk } };
}

describe('each data type is told apart by content', () => {
  test.each([
    ['platform-audit-docs', 'sysdig.platform_audit', 'sysdig:platform:audit', 'event'],
    ['platform-audit-real', 'sysdig.platform_audit', 'sysdig:platform:audit', 'event'],
    ['benchmark-control', 'sysdig.benchmark', 'sysdig:secure:benchmark', 'state'],
    ['hostscanning-repaired', 'sysdig.host_scanning', 'sysdig:secure:hostscanning', 'state'],
    ['runtime-policy-cloudtrail', 'sysdig.policy', 'sysdig:secure:policy', 'alert'],
    ['runtime-policy-v2-fields', 'sysdig.policy', 'sysdig:secure:policy', 'alert'],
    ['secure-notification-webhook', 'sysdig.secure_notification', 'sysdig:secure:notification', 'alert'],
    ['monitor-alert-secure-policy', 'sysdig.secure_notification', 'sysdig:secure:notification', 'alert'],
    ['monitor-event-alert', 'sysdig.monitor_event', 'sysdig:monitor:event', 'alert'],
    ['audit-net-rounded-timestamp', 'sysdig.audit', 'sysdig:secure:audit:connection', 'event'],
  ])('%s → %s, %s, event.kind %s', (name, dataset, sourcetype, kind) => {
    const { ecs, splunk } = both(golden(name));
    expect(ecs.event.dataset).toBe(dataset);
    expect(ecs.event.kind).toBe(kind);
    expect(splunk.sourcetype).toBe(sourcetype);
  });

  test('Platform Audit is no intrusion alert: severity 0 is not mapped', () => {
    const { ecs } = both(golden('platform-audit-real'));
    expect(ecs.event.category).toEqual(['api']);
    expect(ecs.event.severity).toBeUndefined();
    expect(ecs.log).toBeUndefined();
  });

  test('a Secure webhook is told by its source alone', () => {
    const tree = parseTree(golden('secure-notification-webhook'));
    delete tree.entities[0].policyEvents;
    const { ecs } = both(stringifyExact(tree));
    expect(ecs.event.dataset).toBe('sysdig.secure_notification');
    expect(ecs.observer.product).toBe('Sysdig Secure');
    delete tree.source;
    expect(both(stringifyExact(tree)).ecs.event.dataset).toBe('sysdig.monitor_alert');
  });

  test('a Monitor custom event is an event, not an alert', () => {
    const tree = parseTree(golden('monitor-event-alert'));
    for (const k of ['alertId', 'alertState', 'endedAt', 'type']) delete tree[k];
    tree.source = 'kubernetes';
    const { ecs } = both(stringifyExact(tree));
    expect(ecs.event.kind).toBe('event');
    expect(ecs.event.provider).toBe('kubernetes');
    expect(ecs.rule).toBeUndefined();
  });
});

describe('the exact clock', () => {
  const real = golden('audit-net-rounded-timestamp');

  test('the real record: its integer timestamp was rounded upstream, its RFC 3339 string was not', () => {
    // The pinned case: …637554200 (rounded by a float conversion) beside …637554146Z.
    expect(real).toContain('"timestamp":1720453939637554200');
    expect(real).toContain('"timestampRFC3339Nano":"2024-07-08T15:52:19.637554146Z"');
    const { ecs, splunk } = both(real);
    expect(ecs['@timestamp']).toBe('2024-07-08T15:52:19.637554146Z');
    expect(splunk.time).toBe('1720453939.637554146');
    // The integer is kept as sent.
    expect(readRaw(both(real).results.ecs.output, '"timestamp":')).toBe('1720453939637554200');
  });

  test('without the string, the integer is used (and says what it says)', () => {
    const tree = parseTree(real);
    delete tree.timestampRFC3339Nano;
    const { ecs, splunk } = both(stringifyExact(tree));
    expect(ecs['@timestamp']).toBe('2024-07-08T15:52:19.637554200Z');
    expect(splunk.time).toBe('1720453939.637554200');
  });

  test.each([
    ['not a date', 'yesterday'], ['no zone', '2024-07-08T15:52:19.637554146'], ['bad day', '2024-02-30T00:00:00Z'],
    ['a number', 1720453939], ['null', null], ['before 1970', '1969-12-31T23:59:59Z'],
  ])('an unusable string (%s) falls back to the integer', (_, value) => {
    const tree = parseTree(real);
    tree.timestampRFC3339Nano = value;
    expect(both(stringifyExact(tree)).ecs['@timestamp']).toBe('2024-07-08T15:52:19.637554200Z');
  });

  test.each([
    ['2024-07-08T17:52:19.637554146+02:00', '2024-07-08T15:52:19.637554146Z', '1720453939.637554146'],
    ['2024-07-08T15:52:19Z', '2024-07-08T15:52:19Z', '1720453939'],
    ['2024-07-08t15:52:19.5z', '2024-07-08T15:52:19.5Z', '1720453939.5'],
    ['2024-02-29T00:00:00.1234567891Z', '2024-02-29T00:00:00.123456789Z', '1709164800.123456789'],
  ])('offsets and precision: %s', (value, timestamp, time) => {
    const tree = parseTree(real);
    tree.timestampRFC3339Nano = value;
    const { ecs, splunk } = both(stringifyExact(tree));
    expect(ecs['@timestamp']).toBe(timestamp);
    expect(splunk.time).toBe(time);
  });

  test('Platform Audit: content.timestampNs comes before the integer timestamp', () => {
    const tree = parseTree(golden('platform-audit-docs'));
    delete tree.timestampRFC3339Nano;
    // The docs example's content.timestampNs is another instant than its timestamp.
    expect(both(stringifyExact(tree)).ecs['@timestamp']).toBe('2022-05-31T15:09:35.452000000Z');
    delete tree.content.timestampNs;
    expect(both(stringifyExact(tree)).ecs['@timestamp']).toBe('2020-11-25T16:49:08.648718268Z');
  });
});

/** The raw text of the first value after `key` in the output. */
function readRaw(output, key) {
  const at = output.indexOf(key) + key.length;
  return /^-?[0-9]+/.exec(output.slice(at))[0];
}

describe('Platform Audit: the request', () => {
  const base = parseTree(golden('platform-audit-entity-payload-redacted'));
  const withContent = (extra) => stringifyExact({ ...base, content: { ...base.content, ...extra } });

  test('request, caller, entity and outcome', () => {
    const { ecs, splunk } = both(golden('platform-audit-entity-payload-redacted'));
    expect(ecs.http).toEqual({ request: { method: 'PUT' }, response: { status_code: 200 } });
    expect(ecs.url).toEqual({ original: '/api/v2/integrations/42', path: '/api/v2/integrations/42' });
    expect(ecs.source.ip).toBe('34.196.141.232');
    expect(ecs.user).toEqual({ id: '454926', name: 'jane.doe@example.com', group: { id: '46902', name: 'Secure Operations' } });
    expect(ecs.organization.id).toBe('1002322');
    expect(ecs.entity.target).toEqual({ id: '42', sub_type: 'integration' });
    expect(ecs.event.outcome).toBe('success');
    expect(ecs.event.type).toEqual(['change']);
    expect(ecs.message).toBe('PUT /api/v2/integrations/42 200 by jane.doe@example.com');
    expect(splunk.fields).toMatchObject({ http_method: 'PUT', status: '200', uri_path: '/api/v2/integrations/42', src_ip: '34.196.141.232' });
  });

  test.each([
    [200, 'success'], [302, 'success'], [403, 'failure'], [404, 'failure'], [503, 'failure'], [0, 'unknown'], [700, 'unknown'],
  ])('status %s → event.outcome %s', (status, outcome) => {
    expect(both(withContent({ responseStatusCode: status })).ecs.event.outcome).toBe(outcome);
  });

  test.each([
    ['GET', 'access'], ['HEAD', 'access'], ['POST', 'creation'], ['PUT', 'change'], ['PATCH', 'change'], ['DELETE', 'deletion'], ['TRACE', 'info'],
  ])('%s → event.type %s', (method, type) => {
    expect(both(withContent({ requestMethod: method })).ecs.event.type).toEqual([type]);
  });

  test('a service account is the caller when no user is named', () => {
    const { ecs } = both(withContent({ userId: undefined, username: undefined, serviceAccountId: 77, serviceAccountName: 'ci-bot' }));
    expect(ecs.user.id).toBe('77');
    expect(ecs.user.name).toBe('ci-bot');
  });

  test('an origin that is not an address is not put in source.ip', () => {
    const { ecs } = both(withContent({ userOriginIP: 'unknown' }));
    expect(ecs.source).toBeUndefined();
  });
});

describe('Platform Audit: entityPayload is decoded and its secrets redacted, said, never copied', () => {
  const text = golden('platform-audit-entity-payload-redacted');
  const base = parseTree(text);
  const SECRETS = ['AKIAIOSFODNN7EXAMPLE', 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY', '3f6c1d2e-example'];
  const withPayload = (entity) => stringifyExact({ ...base, content: { ...base.content, entityPayload: typeof entity === 'string' ? entity : JSON.stringify(entity) } });

  test('the golden case: three keys redacted, in both targets', () => {
    const { ecs, splunk, ecsOut, splunkOut } = both(text);
    for (const secret of SECRETS) {
      expect(text).toContain(secret);
      expect(ecsOut).not.toContain(secret);
      expect(splunkOut).not.toContain(secret);
    }
    const statement = 'content.entityPayload decoded; values of secret-looking keys replaced by "[REDACTED]": accessKey, secretKey, X-Api-Key';
    expect(ecs.error.message).toBe(statement);
    expect(splunk.fields.error_message).toBe(statement);
    expect(ecs.tags).toContain('_sysdig_redacted');
    expect(splunk.fields.tags).toContain('_sysdig_redacted');
    const info = ecs.sysdig.content.entityPayload.connectionInfo;
    expect(info).toMatchObject({ region: 'us-east-1', accessKey: '[REDACTED]', secretKey: '[REDACTED]', token: '' });
    expect(info.headers).toEqual({ 'X-Api-Key': '[REDACTED]', 'X-Team': 'secops' });
    expect(splunk.event.content.entityPayload.connectionInfo.secretKey).toBe('[REDACTED]');
    expect(ecs.event.original).toBeUndefined();
  });

  test.each([
    ['password', true], ['db_password', true], ['PASSWD', true], ['passphrase', true], ['clientSecret', true],
    ['webhook.secret', true], ['token', true], ['refresh_token', true], ['apiKey', true], ['X-API-KEY', true],
    ['access_key_id', true], ['privateKey', true], ['credentialsJson', true], ['Authorization', true],
    ['cookie', true], ['keytab', true], ['pass\u0077ord', true],
    ['name', false], ['passCount', false], ['author', false], ['keyId', false], ['region', false], ['monkey', false],
  ])('key %j redacted: %s', (key, redacted) => {
    const { ecs, ecsOut } = both(withPayload({ [key]: 's3cr3t-value', keep: 'v' }));
    expect(ecs.sysdig.content.entityPayload[Object.keys(ecs.sysdig.content.entityPayload)[0]]).toBe(redacted ? '[REDACTED]' : 's3cr3t-value');
    expect(ecsOut.includes('s3cr3t-value')).toBe(!redacted);
    if (redacted) expect(ecs.error.message).toContain(`"[REDACTED]": ${key}`);
    else expect(ecs.error).toBeUndefined();
  });

  test('a secret object or list is redacted whole; null and "" are kept', () => {
    const { ecs, ecsOut } = both(withPayload([{ credentials: { user: 'u', pass: 'hunter2' }, tokens: ['t1', 't2'], secret: null, password: '' }]));
    expect(ecs.sysdig.content.entityPayload).toEqual([{ credentials: '[REDACTED]', tokens: '[REDACTED]', secret: null, password: '' }]);
    for (const v of ['hunter2', 't1', 't2']) expect(ecsOut).not.toContain(v);
    expect(ecs.error.message).toMatch(/: credentials, tokens$/);
  });

  test('with duplicate keys too: event.original is withheld, and that is said', () => {
    const input = text.replace('"labels":{', '"labels":{"entityType":"dup",');
    expect(findDuplicateKeys(input)).toEqual(['/labels/entityType']);
    const { ecs, ecsOut, results } = both(input);
    expect(ecs.event.original).toBeUndefined();
    expect(ecs.error.message).toMatch(/event\.original is withheld because it would carry the redacted secrets/);
    for (const secret of SECRETS) expect(ecsOut).not.toContain(secret);
    expectKeepsInput(input, results.ecs, 'ecs');
    expectKeepsInput(input, results.splunk, 'splunk');
  });

  test.each([
    ['not JSON', 'accessKey=AKIA…'], ['a JSON scalar', '42'], ['a JSON string', '"x"'], ['empty', ''],
  ])('%s: kept as the string it came as', (_, value) => {
    const { ecs, splunk } = both(withPayload(value));
    expect(ecs.sysdig.content.entityPayload).toBe(value);
    expect(splunk.event.content.entityPayload).toBe(value);
    expect(ecs.error).toBeUndefined();
  });

  test('repeated keys and no secret: the string is kept, nothing lost', () => {
    const value = '{"name":"a","name":"b"}';
    const { ecs, splunk } = both(withPayload(value));
    expect(ecs.sysdig.content.entityPayload).toBe(value);
    expect(splunk.event.content.entityPayload).toBe(value);
  });

  test('decoded keys are made safe for Elasticsearch, and Splunk gets them as sent', () => {
    const { ecs, splunk } = both(withPayload({ 'proc.name': 'x', nested: { 'a.b': 1 } }));
    expect(ecs.sysdig.content.entityPayload).toEqual({ proc_name: 'x', nested: { a_b: 1 } });
    expect(splunk.event.content.entityPayload['proc.name']).toBe('x');
  });

  test('a 19-digit number inside the payload keeps every digit', () => {
    const { results } = both(withPayload('{"n":1606322948648718268}'));
    expect(results.ecs.output).toContain('"entityPayload":{"n":1606322948648718268}');
    expect(results.splunk.output).toContain('"entityPayload":{"n":1606322948648718268}');
  });
});

describe('the published host-scanning example', () => {
  const text = golden('hostscanning-published-invalid');

  test('is not valid JSON as Sysdig publishes it', () => {
    expect(() => JSON.parse(text)).toThrow();
  });

  test('is kept whole as a pipeline error in both targets', () => {
    const { ecs, splunk } = both(text);
    expect(ecs.event.kind).toBe('pipeline_error');
    expect(ecs.error.message).toMatch(/^invalid JSON: /);
    expect(ecs.event.original).toBe(text);
    expect(splunk.event).toBe(text);
    expect(splunk.fields.error_message).toBe(ecs.error.message);
  });

  test('repaired, it maps to vulnerability.* with every CVE the host still has', () => {
    const { ecs } = both(golden('hostscanning-repaired'));
    expect(ecs.vulnerability.id).toEqual(['CVE-2020-27170', 'CVE-2019-9515', 'CVE-2018-17977', 'CVE-2021-3348', 'CVE-2021-29265', 'CVE-2021-29921']);
    expect(ecs.vulnerability.severity).toBe('High');
    expect(ecs['@timestamp']).toBe('2021-05-17T13:30:12.302Z');
    expect(ecs.message).toBe('Vulnerability updates - Host dev-vm: 2 added, 4 updated, 3 removed');
  });
});

describe('cloud and SaaS sources', () => {
  test('the real CloudTrail record: cloud, user and calling service', () => {
    const { ecs } = both(golden('runtime-policy-cloudtrail'));
    expect(ecs.cloud).toEqual({ provider: 'aws', account: { id: '414773805239' }, region: 'us-east-1', service: { name: 'AWS Elastic Compute Cloud' } });
    expect(ecs.user.name).toBe('AutoScaling');
    expect(ecs.source).toEqual({ domain: 'autoscaling.amazonaws.com' });
    expect(ecs.event.provider).toBe('aws_cloudtrail');
  });

  test.each([
    ['aws_cloudtrail', { 'ct.user': 'alice', 'ct.srcip': '203.0.113.7', 'ct.name': 'ConsoleLogin' }, 'aws', 'alice', '203.0.113.7', 'ConsoleLogin'],
    ['gcp_auditlog', { 'gcp.user': 'bob@example.com', 'gcp.callerIP': '2001:db8::1', 'gcp.methodName': 'SetIamPolicy', 'gcp.projectId': 'p-1' }, 'gcp', 'bob@example.com', '2001:db8::1', 'SetIamPolicy'],
    ['okta', { 'okta.actor.alternateid': 'carol@example.com', 'okta.client.ip': '198.51.100.2', 'okta.evt.type': 'user.session.start' }, undefined, 'carol@example.com', '198.51.100.2', 'user.session.start'],
    ['github', { 'github.user': 'dave', 'github.type': 'push' }, undefined, 'dave', undefined, 'push'],
    ['k8s_audit', { 'ka.user.name': 'system:admin', 'ka.verb': 'create', 'ka.target.namespace': 'prod' }, undefined, 'system:admin', undefined, 'create'],
  ])('%s', (source, fields, provider, user, ip, action) => {
    const tree = parseTree(golden('runtime-policy-cloudtrail'));
    tree.source = source;
    tree.content.fields = fields;
    tree.labels = {};
    const { ecs } = both(stringifyExact(tree));
    expect(ecs.cloud?.provider).toBe(provider);
    expect(ecs.user.name).toBe(user);
    expect(ecs.source?.ip).toBe(ip);
    expect(ecs.event.action).toBe(action);
    expect(ecs.event.provider).toBe(source);
  });

  test('the current runtime payload: rawEventOriginator → observer.type', () => {
    expect(both(golden('runtime-policy-v2-fields')).ecs.observer.type).toBe('linuxAgent');
  });
});
