#!/usr/bin/env sh
# Installs sysdig-normalizer's index templates into Elasticsearch:
#   sysdig@mappings  component template: every field the filter writes
#   sysdig@custom    component template: your settings (only when asked, below)
#   sysdig-events    index template for the pipelines' default index
#   logs-sysdig      index template for logs-sysdig.*-* data streams
# Usage:
#   ES_URL=https://es.example:9200 ES_USER=elastic ES_PASSWORD=... sh elasticsearch/install.sh
#   (or ES_API_KEY=<base64 id:key> instead of user and password)
# Optional, written into sysdig@custom (leave unset to keep Elasticsearch's defaults):
#   ES_REPLICAS=1                 index.number_of_replicas
#   ES_ILM_POLICY=my-policy       index.lifecycle.name (the policy must exist)
# Extra curl options (a CA file, say) go in ES_CURL_OPTS, e.g. "--cacert ca.pem".
set -eu
here=$(cd "$(dirname "$0")" && pwd)
: "${ES_URL:?set ES_URL, e.g. https://localhost:9200}"

put() {
  # $1 = API path, $2 = file with the body
  if [ -n "${ES_USER:-}" ]; then auth="-u ${ES_USER}:${ES_PASSWORD:-}"
  elif [ -n "${ES_API_KEY:-}" ]; then auth="-H Authorization:ApiKey ${ES_API_KEY}"
  else auth=""; fi
  # shellcheck disable=SC2086 # auth and ES_CURL_OPTS are word lists on purpose
  answer=$(curl -sS -X PUT ${auth} ${ES_CURL_OPTS:-} -H 'Content-Type: application/json' \
    --data-binary "@$2" -w '\n%{http_code}' "${ES_URL%/}$1")
  status=$(printf '%s' "$answer" | tail -n 1)
  case "$status" in
    2??) echo "PUT $1: $status" ;;
    *) printf 'PUT %s failed (%s): %s\n' "$1" "$status" "$(printf '%s' "$answer" | sed '$d')" >&2; exit 1 ;;
  esac
}

if [ -n "${ES_REPLICAS:-}${ES_ILM_POLICY:-}" ]; then
  custom=$(mktemp)
  trap 'rm -f "$custom"' EXIT
  settings=""
  [ -n "${ES_REPLICAS:-}" ] && settings="\"index.number_of_replicas\": ${ES_REPLICAS}"
  if [ -n "${ES_ILM_POLICY:-}" ]; then
    [ -n "$settings" ] && settings="$settings, "
    settings="$settings\"index.lifecycle.name\": \"${ES_ILM_POLICY}\""
  fi
  printf '{"template": {"settings": {%s}}}\n' "$settings" > "$custom"
  put /_component_template/sysdig@custom "$custom"
fi
put /_component_template/sysdig@mappings "$here/component-template-mappings.json"
put /_index_template/sysdig-events "$here/index-template.json"
put /_index_template/logs-sysdig "$here/data-stream-template.json"
