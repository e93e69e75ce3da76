// Loopback stand-ins for the two destinations of vector/vector.yaml, speaking
// just enough of each protocol for Vector's sinks, and keeping everything
// they were sent: an Elasticsearch _bulk endpoint (per-item results, index
// semantics: the same _id overwrites) and a Splunk HEC event endpoint
// (token checked). The suite puts harness.mjs's FaultProxy in front of each
// to take them down and bring them back.

import http from 'node:http';
import { gunzipSync } from 'node:zlib';
import { parseExact } from '../host.mjs';

function readBody(req) {
  return new Promise((resolve) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      resolve((req.headers['content-encoding'] === 'gzip' ? gunzipSync(body) : body).toString('utf8'));
    });
  });
}

function reply(res, status, body) {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

class Receiver {
  constructor() {
    this.server = null;
    this.port = null;
  }

  async start() {
    this.server = http.createServer((req, res) => {
      readBody(req)
        .then((text) => this.handle(req, res, text))
        .catch((error) => reply(res, 500, { error: error.message }));
    });
    await new Promise((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.port = this.server.address().port;
    return this;
  }

  async stop() {
    if (!this.server) return;
    const { server } = this;
    this.server = null;
    await new Promise((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  }
}

/** Ids of the events a test sends only to wake Vector's disk buffer
 *  readers (vector.e2e.test.mjs, VectorRig.waitFor): kept apart from what
 *  the tests count. */
export const NUDGE_ID_PREFIX = 'vector-e2e-nudge-';

/** Elasticsearch: GET (health, version) and POST /_bulk, NDJSON action/source pairs. */
export class BulkReceiver extends Receiver {
  constructor() {
    super();
    /** Every item received, in order: { action, index, id, source (parsed exactly), text }. */
    this.items = [];
    /** Items of nudge events (NUDGE_ID_PREFIX), not in `items`. */
    this.nudges = [];
    /** What the index holds: `${index}/${id}` → the last source written. */
    this.documents = new Map();
  }

  handle(req, res, text) {
    if (req.method === 'GET') {
      reply(res, 200, { status: 'green', version: { number: '8.15.0' } });
      return;
    }
    if (req.method !== 'POST' || !req.url.split('?')[0].endsWith('/_bulk')) {
      reply(res, 404, { error: `no ${req.method} ${req.url}` });
      return;
    }
    const lines = text.split('\n').filter((l) => l !== '');
    const results = [];
    for (let i = 0; i + 1 < lines.length; i += 2) {
      const actionLine = JSON.parse(lines[i]);
      const [action] = Object.keys(actionLine);
      const { _index: index, _id: id } = actionLine[action];
      const item = { action, index, id, source: parseExact(lines[i + 1]), text: lines[i + 1] };
      (String(id).startsWith(NUDGE_ID_PREFIX) ? this.nudges : this.items).push(item);
      const key = `${index}/${id}`;
      const existed = this.documents.has(key);
      this.documents.set(key, item.source);
      results.push({ [action]: { _index: index, _id: id, status: existed ? 200 : 201, result: existed ? 'updated' : 'created' } });
    }
    reply(res, 200, { took: 1, errors: false, items: results });
  }
}

/** Splunk HEC: /services/collector/health and /services/collector/event. */
export class HecReceiver extends Receiver {
  constructor(token) {
    super();
    this.token = token;
    /** Every event envelope received, parsed exactly, in order. */
    this.events = [];
    /** Envelopes of nudge events (NUDGE_ID_PREFIX), not in `events`. */
    this.nudges = [];
    this.requests = [];
  }

  handle(req, res, text) {
    this.requests.push({ method: req.method, url: req.url, headers: req.headers });
    if (req.headers.authorization !== `Splunk ${this.token}`) {
      reply(res, 403, { text: 'Invalid token', code: 4 });
      return;
    }
    if (req.method === 'GET' && req.url.startsWith('/services/collector/health')) {
      reply(res, 200, { text: 'HEC is healthy', code: 17 });
      return;
    }
    if (req.method !== 'POST' || !req.url.startsWith('/services/collector/event')) {
      reply(res, 404, { text: 'Not found', code: 404 });
      return;
    }
    for (const envelope of splitConcatenatedJson(text)) {
      const event = parseExact(envelope);
      (String(event.fields?.id).startsWith(NUDGE_ID_PREFIX) ? this.nudges : this.events).push(event);
    }
    reply(res, 200, { text: 'Success', code: 0 });
  }
}

/** HEC bodies are JSON objects one after another: the text of each. */
export function splitConcatenatedJson(text) {
  const out = [];
  let depth = 0;
  let start = -1;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '"') {
      i++;
      while (i < text.length && text[i] !== '"') i += text[i] === '\\' ? 2 : 1;
    } else if (c === '{') {
      if (depth++ === 0) start = i;
    } else if (c === '}') {
      if (--depth === 0) out.push(text.slice(start, i + 1));
    }
  }
  return out;
}
