#!/bin/sh
# For Vector's official Helm chart (vector-values.yaml): the ConfigMaps and
# the Secret those values name, made from this repository's files and
# printed as YAML. Run from anywhere, with vector/kubernetes/secret.env
# filled in (from secret.env.example):
#
#   sh vector/kubernetes/helm/objects.sh | kubectl apply --server-side -n sysdig-normalizer -f -
#
# Run it again after a change (vector.yaml, the program, secret.env), then
# restart the pods: kubectl -n sysdig-normalizer rollout restart
# statefulset/sysdig-normalizer-vector. Only kubectl's client side runs here
# (--dry-run=client): nothing is sent to a cluster.
set -eu
repo=$(cd "$(dirname "$0")/../../.." && pwd)
cd "$repo"

# vector.yaml and the API settings for the probes: the chart projects these
# into /etc/vector (existingConfigMaps).
kubectl create configmap sysdig-normalizer-vector-pipeline \
  --from-file=vector/vector.yaml \
  --from-file=vector/kubernetes/api.yaml \
  --dry-run=client -o yaml
echo ---
# The VRL program: every file of vector/vrl/.
kubectl create configmap sysdig-normalizer-vector-vrl \
  --from-file=vector/vrl/ \
  --dry-run=client -o yaml
echo ---
# The webhook token, the destinations and their credentials (never committed).
kubectl create secret generic sysdig-normalizer-vector \
  --from-env-file=vector/kubernetes/secret.env \
  --dry-run=client -o yaml
