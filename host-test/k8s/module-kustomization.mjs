// `npm run build` ends here: writes build/kustomization.yaml, which makes the
// module just built into a ConfigMap for the Kubernetes bases
// (fluent-bit/kubernetes/ takes it as a resource). The module is built, not
// committed, and Kustomize reads files only in or below a kustomization's
// own folder, so this kustomization lives beside the .wasm.
import { existsSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const buildDir = fileURLToPath(new URL('../../build/', import.meta.url));
const module = 'sysdig_normalizer.wasm';
if (!existsSync(buildDir + module)) throw new Error(`${buildDir}${module} is missing: run asc first`);

writeFileSync(
  `${buildDir}kustomization.yaml`,
  `# Written by \`npm run build\` (host-test/k8s/module-kustomization.mjs).
# The normalizer module as a ConfigMap (binaryData: the .wasm is not text).
# Its name gets a hash of the content, so a rebuilt module is a new ConfigMap
# and the pods that mount it roll.
apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
configMapGenerator:
  - name: sysdig-normalizer-module
    files:
      - ${module}
`,
);
