// Independent checkers from PyPI, installed by the tests themselves into a
// cache outside the repository: a venv in ~/.cache/sysdig-normalizer/py
// (SYSDIG_NORMALIZER_CACHE moves the cache), made once with `python3 -m venv`
// and `pip install` of the pinned versions below, then reused. Without
// python3, its venv module or PyPI, ensurePyTools() says why, and the tests
// that need it report themselves as skipped with that reason.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

export const PY_PACKAGES = ['cefp==0.0.2', 'cefevent==0.5.6', 'splunk-appinspect==4.3.1'];
export const CACHE_DIR = process.env.SYSDIG_NORMALIZER_CACHE ?? join(homedir(), '.cache', 'sysdig-normalizer');
const VENV = join(CACHE_DIR, 'py');
const STAMP = join(VENV, 'sysdig-normalizer-packages.txt');

let cached = null;

/** { python, bin } of the venv with PY_PACKAGES, or { skip: reason }. */
export function ensurePyTools() {
  if (cached) return cached;
  cached = install();
  return cached;
}

function install() {
  const python = join(VENV, 'bin', 'python');
  const want = PY_PACKAGES.join('\n');
  if (existsSync(python) && existsSync(STAMP) && readFileSync(STAMP, 'utf8') === want) {
    return { python, bin: join(VENV, 'bin') };
  }
  const system = ['python3', 'python'].find((p) => spawnSync(p, ['--version']).status === 0);
  if (!system) return { skip: 'no python3 on PATH: cannot install the PyPI checkers (cefp, cefevent, splunk-appinspect)' };
  mkdirSync(CACHE_DIR, { recursive: true });
  try {
    if (!existsSync(python)) execFileSync(system, ['-m', 'venv', VENV], { stdio: 'pipe' });
    execFileSync(python, ['-m', 'pip', 'install', '--quiet', '--disable-pip-version-check', ...PY_PACKAGES], {
      stdio: 'pipe',
      timeout: 600_000,
    });
  } catch (error) {
    const detail = String(error.stderr ?? error.message).trim().split('\n').slice(-3).join(' ');
    return { skip: `could not install ${PY_PACKAGES.join(', ')} into ${VENV}: ${detail}` };
  }
  writeFileSync(STAMP, want);
  return { python, bin: join(VENV, 'bin') };
}

/** Runs a script of host-test/py with JSON lines in and out. */
export function runPyScript(tools, script, inputs) {
  const out = execFileSync(tools.python, [new URL(`./py/${script}`, import.meta.url).pathname], {
    input: inputs.map((x) => JSON.stringify(x)).join('\n') + '\n',
    maxBuffer: 1 << 30,
    encoding: 'utf8',
  });
  return out.split('\n').filter(Boolean).map((l) => JSON.parse(l));
}

export const CIM_PACKAGE = 'pytest-splunk-addon==7.0.5';
const CIM_DIR = join(CACHE_DIR, 'pytest-splunk-addon-7.0.5');

/** { dir } of the CIM data model definitions that PyPI's pytest-splunk-addon
 *  ships (data_models/*.json), installed once into the cache with pip
 *  (--no-deps: only its data is read), or { skip: reason }. */
export function ensureCimModels() {
  const dir = join(CIM_DIR, 'pytest_splunk_addon', 'data_models');
  if (existsSync(join(dir, 'Intrusion_Detection.json'))) return { dir };
  const tools = ensurePyTools();
  if (tools.skip) return { skip: tools.skip };
  try {
    execFileSync(tools.python, ['-m', 'pip', 'install', '--quiet', '--disable-pip-version-check', '--no-deps',
      '--target', CIM_DIR, CIM_PACKAGE], { stdio: 'pipe', timeout: 600_000 });
  } catch (error) {
    const detail = String(error.stderr ?? error.message).trim().split('\n').slice(-3).join(' ');
    return { skip: `could not install ${CIM_PACKAGE} into ${CIM_DIR}: ${detail}` };
  }
  return existsSync(join(dir, 'Intrusion_Detection.json')) ? { dir } : { skip: `${CIM_PACKAGE} has no data_models/ in ${CIM_DIR}` };
}
