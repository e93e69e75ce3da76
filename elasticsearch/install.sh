#!/usr/bin/env sh
# Installs sysdig-normalizer's index templates into Elasticsearch or OpenSearch:
#   sysdig@mappings  component template: every field the filter writes
#   sysdig@custom    component template: your settings (only when asked, below)
#   sysdig-events    index template for the pipelines' default index
#   logs-sysdig      index template for logs-sysdig.*-* data streams
#
# Usage (the variables are the pipelines' own, so an env file serves both):
#   ES_URL=https://es.example:9200 ES_USER=elastic ES_PASSWORD='...' sh elasticsearch/install.sh
#   ES_URL=... ES_API_KEY=<encoded id:key> sh elasticsearch/install.sh
#   set -a; . fluent-bit/.env; set +a; sh elasticsearch/install.sh
# Without ES_URL it is made of ES_HOST, ES_PORT (9200), ES_PATH and ES_TLS
# (on: https), or without ES_HOST of ES_CLOUD_ID (Elastic Cloud). Basic auth
# wins when ES_USER is set, as in the pipelines.
#   ES_TLS_CA_FILE=ca.pem         trust this CA (a private one) instead of the system's
#   --opensearch                  install the OpenSearch templates (flat_object
#                                 for the payload); without it, the server's
#                                 root answer decides
# Optional, written into sysdig@custom (leave unset to keep the server's defaults):
#   ES_REPLICAS=1                 index.number_of_replicas
#   ES_ILM_POLICY=my-policy       index.lifecycle.name (Elasticsearch; the policy must exist)
# ES_CURL_OPTS adds curl options (a proxy, say); it is split on spaces.
#
# Secrets never reach a command line (where any user can read them in the
# process list): curl reads them from a config on its standard input. Every
# answer's HTTP status is checked; the first failure stops the script with a
# message saying what to fix and a non-zero exit.
set -eu
here=$(cd "$(dirname "$0")" && pwd)

flavour=""
for arg in "$@"; do
  case "$arg" in
    --opensearch) flavour=opensearch ;;
    --elasticsearch) flavour=elasticsearch ;;
    -h|--help) sed -n '2,27p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "install.sh: unknown argument $arg (see --help)" >&2; exit 2 ;;
  esac
done

if [ -z "${ES_URL:-}" ] && [ -z "${ES_HOST:-}" ] && [ -n "${ES_CLOUD_ID:-}" ]; then
  # An Elastic Cloud ID: "name:" and base64 of "<region>[:port]$<es id>[:port]$<kibana id>";
  # the endpoint is https://<es id>.<region>:<port>, port 443 unless given.
  decoded=$(printf '%s' "${ES_CLOUD_ID#*:}" | base64 -d 2>/dev/null) || decoded=""
  region=${decoded%%\$*}; rest=${decoded#*\$}; es_id=${rest%%\$*}
  case "$decoded" in *\$*\$*) ;; *) echo "install.sh: ES_CLOUD_ID is not a Cloud ID (name:base64)" >&2; exit 1 ;; esac
  port=443
  case "$region" in *:*) port=${region#*:}; region=${region%%:*} ;; esac
  case "$es_id" in *:*) port=${es_id#*:}; es_id=${es_id%%:*} ;; esac
  ES_URL="https://$es_id.$region:$port"
fi
if [ -z "${ES_URL:-}" ]; then
  : "${ES_HOST:?set ES_URL (e.g. https://localhost:9200), ES_HOST or ES_CLOUD_ID}"
  case "${ES_TLS:-on}" in on|true|yes) scheme=https ;; *) scheme=http ;; esac
  ES_URL="$scheme://$ES_HOST:${ES_PORT:-9200}${ES_PATH:-}"
fi
base=${ES_URL%/}
if [ -n "${ES_TLS_CA_FILE:-}" ] && [ ! -r "$ES_TLS_CA_FILE" ]; then
  echo "install.sh: ES_TLS_CA_FILE=$ES_TLS_CA_FILE is not a readable file" >&2; exit 1
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# A value inside double quotes in a curl config: backslash and quote escaped.
quoted() { printf '%s' "$1" | sed 's/\\/\\\\/g; s/"/\\"/g'; }

# The curl config with the credentials and the CA, fed to curl on stdin.
curl_config() {
  if [ -n "${ES_USER:-}" ]; then
    printf 'user = "%s:%s"\n' "$(quoted "$ES_USER")" "$(quoted "${ES_PASSWORD:-}")"
  elif [ -n "${ES_API_KEY:-}" ]; then
    printf 'header = "Authorization: ApiKey %s"\n' "$(quoted "$ES_API_KEY")"
  fi
  if [ -n "${ES_TLS_CA_FILE:-}" ]; then printf 'cacert = "%s"\n' "$(quoted "$ES_TLS_CA_FILE")"; fi
}

which_auth() {
  if [ -n "${ES_USER:-}" ]; then echo "user $ES_USER (ES_USER, ES_PASSWORD)"
  elif [ -n "${ES_API_KEY:-}" ]; then echo "the API key in ES_API_KEY"
  else echo "no credentials (set ES_USER and ES_PASSWORD, or ES_API_KEY)"; fi
}

# call METHOD PATH [BODY_FILE]: the answer's body in $work/answer, its status
# in $status. A transport failure (TLS, connection) stops the script.
call() {
  method=$1 url="$base$2" body=${3:-}
  set -- -sS -K - -X "$method" -o "$work/answer" -w '%{http_code}'
  if [ -n "$body" ]; then set -- "$@" -H 'Content-Type: application/json' --data-binary "@$body"; fi
  rc=0
  # shellcheck disable=SC2086 # ES_CURL_OPTS is a word list on purpose
  status=$(curl_config | curl "$@" ${ES_CURL_OPTS:-} "$url" 2>"$work/curl-error") || rc=$?
  if [ "$rc" -ne 0 ]; then
    case "$rc" in
      35|51|58|59|60|77|80|83|90|91)
        printf '%s %s: the TLS connection failed: %s\n' "$method" "$url" "$(cat "$work/curl-error")" >&2
        if [ -n "${ES_TLS_CA_FILE:-}" ]; then
          echo "The server's certificate is not signed by the CA in ES_TLS_CA_FILE=$ES_TLS_CA_FILE, or does not name this host." >&2
        else
          echo "The server's certificate is not trusted by this system: set ES_TLS_CA_FILE to the CA that signed it." >&2
        fi ;;
      *) printf '%s %s: no answer (curl exit %s): %s\n' "$method" "$url" "$rc" "$(cat "$work/curl-error")" >&2 ;;
    esac
    exit 1
  fi
}

# fail METHOD PATH: stops with what the answer in $work/answer says.
fail() {
  printf '%s %s failed (HTTP %s): %s\n' "$1" "$2" "$status" "$(head -c 2000 "$work/answer")" >&2
  case "$status" in
    401) echo "The server refused the credentials: $(which_auth). Check them." >&2 ;;
    403) echo "The credentials were accepted but lack a privilege: installing templates needs the cluster privilege manage_index_templates." >&2 ;;
  esac
  exit 1
}

put() {
  call PUT "$1" "$2"
  case "$status" in 2??) echo "PUT $1: $status" ;; *) fail PUT "$1" ;; esac
}

# The root answer names the distribution (and proves the credentials): an
# Elasticsearch without its rest-root module answers 405, which is fine.
if [ -z "$flavour" ]; then
  call GET /
  case "$status" in
    2??) if grep -q '"distribution"[[:space:]]*:[[:space:]]*"opensearch"' "$work/answer"; then flavour=opensearch
         else flavour=elasticsearch; fi ;;
    405) flavour=elasticsearch ;;
    *) fail GET / ;;
  esac
  echo "GET /: $status, $flavour"
fi
case "$flavour" in
  opensearch) templates="$here/opensearch" ;;
  *) templates="$here" ;;
esac

if [ -n "${ES_REPLICAS:-}${ES_ILM_POLICY:-}" ]; then
  settings=""
  [ -n "${ES_REPLICAS:-}" ] && settings="\"index.number_of_replicas\": ${ES_REPLICAS}"
  if [ -n "${ES_ILM_POLICY:-}" ]; then
    [ -n "$settings" ] && settings="$settings, "
    settings="$settings\"index.lifecycle.name\": \"${ES_ILM_POLICY}\""
  fi
  printf '{"template": {"settings": {%s}}}\n' "$settings" > "$work/custom.json"
  put /_component_template/sysdig@custom "$work/custom.json"
elif [ "$flavour" = opensearch ]; then
  # OpenSearch has no ignore_missing_component_templates: the index
  # templates need sysdig@custom to exist. An empty one is made only when
  # there is none, so your own is kept.
  call GET /_component_template/sysdig@custom
  case "$status" in
    200) echo "GET /_component_template/sysdig@custom: 200, kept" ;;
    404) printf '{"template": {}}\n' > "$work/custom.json"; put /_component_template/sysdig@custom "$work/custom.json" ;;
    *) fail GET /_component_template/sysdig@custom ;;
  esac
fi
put /_component_template/sysdig@mappings "$templates/component-template-mappings.json"
put /_index_template/sysdig-events "$templates/index-template.json"
put /_index_template/logs-sysdig "$templates/data-stream-template.json"
