// Releases mode (`npm run bench -- --releases`): what the module costs per
// webhook event on every Fluent Bit release installed (e2e/releases.mjs),
// beside that release's Lua filter, in one run. Each release runs the
// webhook as the shipped pipelines have it (the splunk input) → filter →
// null output, and gets `requests` POSTs of `batch` runtime policy events
// each, one after the other; per configuration:
//   none            no filter: what Fluent Bit spends per event itself
//   lua             runtime_policy.lua (the same mapping as a Lua filter)
//   ours .wasm ecs  the module, interpreted by the release's bundled WAMR
//   ours .aot ecs   the module compiled by that release's flb-wamrc (beside
//                   its fluent-bit, or in FLB_WAMRC_RELEASES as
//                   "4.0=/path/to/wamrc,5.1=/path/to/flb-wamrc")
//   baseline …      with --baseline FILE.wasm, that build too
// The input runs the filter before it answers the request, so the CPU the
// process used between the first and the last answer (utime+stime from
// /proc) is the CPU of those events; filter CPU per event is that minus
// the same for `none`. Before 4.1 the wasm filter instantiates the module
// afresh for every filter call, that is for every request here.

import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { join } from 'node:path';

import { freePort, waitFor } from '../e2e/harness.mjs';
import { PORTABLE_AOT_FLAGS } from '../aot.mjs';

const CLOCK_TICKS = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout) || 100;

function wamrcFor(release) {
  const map = Object.fromEntries(
    (process.env.FLB_WAMRC_RELEASES ?? '').split(',').filter(Boolean).map((kv) => kv.split('=')),
  );
  return map[release.line] ?? release.wamrc ?? null;
}

function cpuSeconds(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
}

function configText(port, filter) {
  const filterBlock = filter
    ? `  filters:\n    - ${Object.entries(filter).map(([k, v]) => `${k}: ${v}`).join('\n      ')}\n      match: '*'\n`
    : '';
  return `service:
  flush: 1
  grace: 1
  log_level: warn
  http_server: off
pipeline:
  inputs:
    - name: splunk
      listen: 127.0.0.1
      port: ${port}
      buffer_max_size: 16M
${filterBlock}  outputs:
    - name: 'null'
      match: '*'
`;
}

function postAll(port, body, requests) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const one = () =>
    new Promise((resolve, reject) => {
      const req = http.request(
        { host: '127.0.0.1', port, path: '/services/collector/event', method: 'POST', agent,
          headers: { 'content-type': 'application/json', 'content-length': body.length } },
        (res) => {
          res.resume();
          res.on('end', () => (res.statusCode === 200 ? resolve() : reject(new Error(`answered ${res.statusCode}`))));
        },
      );
      req.on('error', reject);
      req.end(body);
    });
  return (async () => {
    for (let i = 0; i < requests; i++) await one();
    agent.destroy();
  })();
}

async function runConfig(release, work, label, filter, { body, requests }) {
  const port = await freePort();
  const config = join(work, `${release.version}-${label.replace(/\W+/g, '-')}.yaml`);
  writeFileSync(config, configText(port, filter));
  const child = spawn(release.bin, ['-c', config], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d) => { stderr += d; });
  try {
    await waitFor(async () => {
      try {
        await postAll(port, '{}', 1);
        return true;
      } catch {
        return false;
      }
    }, { limitMs: 30000, describe: () => `${release.version} ${label} to listen\n${stderr}` });
    // One request first: the first filter call of a persistent instance
    // (5.x, 4.1+) is not what the steady state costs.
    await postAll(port, body, 1);
    const before = cpuSeconds(child.pid);
    const t0 = performance.now();
    await postAll(port, body, requests);
    const seconds = (performance.now() - t0) / 1000;
    const cpu = cpuSeconds(child.pid) - before;
    if (/\[\s*error\]/.test(stderr)) throw new Error(`${release.version} ${label}: ${stderr.slice(-1500)}`);
    return { cpu, seconds };
  } finally {
    child.kill('SIGTERM');
    await new Promise((resolve) => child.on('exit', resolve));
  }
}

/**
 * @param {object[]} o.releases     from findReleases() (problem-free ones are run)
 * @param {number}   o.batch        events per POST
 * @param {number}   o.requests     POSTs per configuration
 * @param {number}   o.oldRequests  POSTs for the interpreted module where it
 *                                  is instantiated per call (slow)
 */
export async function runReleasesMode({ releases, wasmPath, record, lua, root, batch = 10, requests = 1000, oldRequests = 60, baseline = null, log }) {
  const work = join(root, 'build/bench/releases');
  mkdirSync(work, { recursive: true });
  const body = Buffer.from(`[${Array.from({ length: batch }, () => record.trim()).join(',')}]`);
  const results = [];
  for (const release of releases.filter((r) => !r.problem)) {
    const freshInstance = release.major < 4 || (release.major === 4 && release.minor < 1);
    const wamrc = wamrcFor(release);
    const configs = [
      ['none', null],
      ['lua', { name: 'lua', script: lua, call: 'sysdig_runtime_to_ecs' }],
      ['ours .wasm ecs', { name: 'wasm', wasm_path: wasmPath, function_name: 'sysdig_to_ecs', accessible_paths: '.' }],
    ];
    // Another build of the normalizer (--baseline, say main's), beside ours.
    const builds = [['ours', wasmPath], ...(baseline ? [['baseline', baseline]] : [])];
    if (baseline) {
      configs.push(['baseline .wasm ecs', { name: 'wasm', wasm_path: baseline, function_name: 'sysdig_to_ecs', accessible_paths: '.' }]);
    }
    if (wamrc) {
      for (const [name, path] of builds) {
        const aot = join(work, `${name}-${release.version}.aot`);
        const r = spawnSync(wamrc, [...PORTABLE_AOT_FLAGS, '-o', aot, path], { encoding: 'utf8' });
        if (r.status !== 0) throw new Error(`${wamrc} failed:\n${r.stdout}${r.stderr}`);
        configs.push([`${name} .aot ecs`, { name: 'wasm', wasm_path: aot, function_name: 'sysdig_to_ecs', accessible_paths: '.' }]);
      }
    }
    log(`Fluent Bit ${release.version} (${release.bin}); flb-wamrc: ${wamrc ?? 'none, .aot not run'}`);
    const rows = {};
    for (const [label, filter] of configs) {
      const n = freshInstance && label.includes('.wasm') ? oldRequests : requests;
      const { cpu, seconds } = await runConfig(release, work, label, filter, { body, requests: n });
      rows[label] = { requests: n, events: n * batch, cpu, cpuPerEvent: cpu / (n * batch), eventsPerSecond: (n * batch) / seconds };
    }
    const none = rows.none.cpuPerEvent;
    for (const [label, row] of Object.entries(rows)) {
      row.filterPerEvent = label === 'none' ? 0 : row.cpuPerEvent - none;
      results.push({ release: release.version, line: release.line, freshInstance, label, ...row });
    }
  }
  const us = (s) => `${Math.round(s * 1e6).toLocaleString('en-US')} µs`;
  const reference = (label) => results.find((r) => r.line === '5.1' && r.label === label);
  log(`\nper webhook event, batches of ${batch} (CPU of the whole process; filter = minus "none")`);
  log('release | filter | events | events/s | CPU per event | filter CPU per event | × Lua | × 5.1 same filter');
  for (const r of results) {
    const lua = results.find((x) => x.release === r.release && x.label === 'lua');
    const ref = reference(r.label);
    log([
      r.release + (r.freshInstance ? ' (instance per call)' : ''),
      r.label,
      r.events,
      Math.round(r.eventsPerSecond).toLocaleString('en-US'),
      us(r.cpuPerEvent),
      r.label === 'none' ? '-' : us(r.filterPerEvent),
      r.label === 'none' || r.label === 'lua' ? '-' : `${(r.filterPerEvent / lua.filterPerEvent).toFixed(2)}×`,
      r.label === 'none' || !ref ? '-' : `${(r.filterPerEvent / ref.filterPerEvent).toFixed(2)}×`,
    ].join(' | '));
  }
  writeFileSync(join(root, 'build/bench/releases.json'), JSON.stringify(results, null, 2));
  return results;
}
