#!/bin/sh
# For the official Helm charts (fluent-bit-values.yaml, falco-values.yaml):
# the ConfigMaps, the Secret and the buffer's PersistentVolumeClaim those
# values name, made from this repository's files and printed as YAML. Run
# from anywhere after `npm run build`, with fluent-bit/kubernetes/secret.env
# filled in (from secret.env.example):
#
#   sh fluent-bit/kubernetes/helm/objects.sh | kubectl apply --server-side -n sysdig-normalizer -f -
#
# Run it again after a change (a new module, the pipeline, secret.env), then
# restart the pods: kubectl -n sysdig-normalizer rollout restart
# deployment/sysdig-normalizer-fluent-bit. Only kubectl's client side runs
# here (--dry-run=client): nothing is sent to a cluster.
set -eu
repo=$(cd "$(dirname "$0")/../../.." && pwd)
cd "$repo"

# The pipeline file and the module: the chart mounts this as its config
# volume (existingConfigMap) at /fluent-bit/etc/conf.
kubectl create configmap sysdig-normalizer-fluent-bit-config \
  --from-file=fluent-bit/sysdig-to-elasticsearch-and-splunk.yaml \
  --from-file=build/sysdig_normalizer.wasm \
  --dry-run=client -o yaml
echo ---
# Every variable of .env.example with its documented default.
kubectl create configmap sysdig-normalizer-fluent-bit-settings \
  --from-env-file=fluent-bit/.env.example \
  --dry-run=client -o yaml
echo ---
# The webhook token and the destinations' credentials (never committed).
kubectl create secret generic sysdig-normalizer-fluent-bit \
  --from-env-file=fluent-bit/kubernetes/secret.env \
  --dry-run=client -o yaml
echo ---
# The filesystem buffer. The chart runs a Deployment, so one replica owns
# this one claim (Recreate: the old pod lets go of it before the new one
# starts); for more replicas, each with its own claim, use the Kustomize
# base (kubectl apply -k fluent-bit), a StatefulSet.
cat <<'CLAIM'
apiVersion: v1
kind: PersistentVolumeClaim
metadata:
  name: sysdig-normalizer-fluent-bit-buffer
spec:
  accessModes: [ReadWriteOnce]
  resources:
    requests:
      storage: 12Gi
CLAIM
