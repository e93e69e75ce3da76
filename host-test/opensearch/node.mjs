// A real single-node OpenSearch 2.19 (the server jars from Maven Central)
// for the tests, on 127.0.0.1, laid out and started like the Elasticsearch
// node of host-test/es/node.mjs (whose process handling it reuses):
//   lib/      the server jars, log4j-core (optional in OpenSearch's pom, so
//             left out by copy-dependencies unless named) and the plugin
//             class loader (else NoClassDefFoundError: ExtendedPluginsClassLoader)
//   modules/transport-netty4/  transport-netty4-client and the netty jars
//             (off the class path: jar hell), with a plugin-descriptor.properties
//             written here (the module jar has none; the distribution makes it)
//   config/   log4j2.properties, an empty opensearch.yml
//   classes-<hash>/  OsNode.class
// Security is not served on Maven Central for 2.19 (the security plugin is
// not), so this node speaks plain HTTP without authentication.
// When Java, javac or Maven is missing, or the fetch fails, `prepareOpenSearch()`
// says why, and the tests that need the node report themselves skipped.

import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { whichOnPath } from '../e2e/harness.mjs';
import { ElasticsearchNode } from '../es/node.mjs';

export const OPENSEARCH_VERSION = '2.19.6';
const here = dirname(fileURLToPath(import.meta.url));

function cacheRoot() {
  const base = process.env.SYSDIG_NORMALIZER_CACHE
    ?? join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'sysdig-normalizer');
  return join(base, `opensearch-${OPENSEARCH_VERSION}`);
}

function run(cmd, args) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 64 << 20 });
  if (r.error || r.status !== 0) {
    throw new Error(`${cmd} ${args.join(' ')} failed (${r.error?.message ?? `exit ${r.status}`}):\n${r.stdout}\n${r.stderr}`);
  }
}

function jdkTool(name) {
  const fromHome = process.env.JAVA_HOME && join(process.env.JAVA_HOME, 'bin', name);
  return fromHome && existsSync(fromHome) ? fromHome : whichOnPath(name);
}

/** Same as node.mjs's: compiled once per version of OsNode.java. */
function compileLauncher(home, javac) {
  const source = join(here, 'OsNode.java');
  const hash = createHash('sha256').update(readFileSync(source)).digest('hex').slice(0, 12);
  const classes = join(home, `classes-${hash}`);
  if (existsSync(join(classes, 'OsNode.class'))) return classes;
  const work = `${classes}.tmp-${process.pid}`;
  try {
    run(javac, ['-nowarn', '-d', work, '-cp', join(home, 'lib', '*'), source]);
    try {
      renameSync(work, classes);
    } catch (err) {
      if (!existsSync(join(classes, 'OsNode.class'))) throw err;
    }
    return classes;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/** Returns what OpenSearchNode takes besides its data, or { skip: reason }. */
export function prepareOpenSearch() {
  const [java, javac] = [jdkTool('java'), jdkTool('javac')];
  if (!java || !javac) return { skip: 'no java and javac (JDK 17 or later) on PATH or in JAVA_HOME' };
  const home = join(cacheRoot(), 'home');
  try {
    if (existsSync(join(home, 'modules', 'transport-netty4', 'plugin-descriptor.properties'))) {
      return { home, java, classes: compileLauncher(home, javac) };
    }
  } catch (err) {
    return { skip: `could not compile the OpenSearch node's launcher: ${err.message.slice(0, 2000)}` };
  }
  const mvn = whichOnPath('mvn');
  if (!mvn) return { skip: `no mvn on PATH to fetch OpenSearch ${OPENSEARCH_VERSION} from Maven Central` };
  const work = `${home}.tmp-${process.pid}`;
  try {
    rmSync(work, { recursive: true, force: true });
    const jars = join(work, 'jars');
    run(mvn, ['-q', '-B', '-f', join(here, 'pom.xml'), 'dependency:copy-dependencies', `-DoutputDirectory=${jars}`]);
    const lib = join(work, 'lib');
    const module = join(work, 'modules', 'transport-netty4');
    mkdirSync(lib, { recursive: true });
    mkdirSync(module, { recursive: true });
    for (const jar of readdirSync(jars)) {
      const inModule = jar.startsWith('netty-') || jar.startsWith('transport-netty4-client-');
      copyFileSync(join(jars, jar), join(inModule ? module : lib, jar));
    }
    writeFileSync(join(module, 'plugin-descriptor.properties'), [
      'description=Netty 4 based transport implementation', `version=${OPENSEARCH_VERSION}`, 'name=transport-netty4',
      'classname=org.opensearch.transport.Netty4Plugin', 'java.version=11', `opensearch.version=${OPENSEARCH_VERSION}`, '',
    ].join('\n'));
    mkdirSync(join(work, 'config'), { recursive: true });
    copyFileSync(join(here, '..', 'es', 'log4j2.properties'), join(work, 'config', 'log4j2.properties'));
    writeFileSync(join(work, 'config', 'opensearch.yml'), '');
    rmSync(jars, { recursive: true, force: true });
    mkdirSync(dirname(home), { recursive: true });
    try {
      renameSync(work, home);
    } catch (err) {
      if (!existsSync(join(home, 'modules', 'transport-netty4', 'plugin-descriptor.properties'))) throw err;
    }
    return { home, java, classes: compileLauncher(home, javac) };
  } catch (err) {
    return { skip: `could not prepare OpenSearch ${OPENSEARCH_VERSION} from Maven Central: ${err.message.slice(0, 2000)}` };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/** An OpenSearch node: start, stop and request as ElasticsearchNode. */
export class OpenSearchNode extends ElasticsearchNode {
  constructor(options) {
    super({ ...options, mainClass: 'OsNode' });
  }
}
