#!/usr/bin/env bash
# `npm start`: Lethe on local defaults. Brings up the local stack unless external Kafka and
# registry are named (KAFKA_BROKERS and SCHEMA_REGISTRY_URL), makes a development API key on
# first run, then runs consent-api, the projector, the checkpointer, the erasure workers and the newsletter demo (a
# service that follows opt-outs through the consent guard) until Ctrl-C. Without a
# LETHE_SYSTEMS_FILE of the user's, the workers serve a seeded demo: a shop database, a session
# cache, a compacted profile topic and a marketing processor that confirms by signed callback.
# LETHE_BROKERS=3 runs it on a local three-node cluster (stack.sh up --brokers 3); the apps then
# bootstrap from every node (libs/config endpoints) and create their topics with replication 3.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"
KEY_FILE="${LETHE_DEV_KEY_FILE:-$ROOT/.cache/lethe/dev-api-key}"
NODE=(node -r @swc-node/register)

if [[ -z "${KAFKA_BROKERS:-}" || -z "${SCHEMA_REGISTRY_URL:-}" ]]; then
  bash "$ROOT/deploy/local/stack.sh" up
else
  echo "[start] using KAFKA_BROKERS and SCHEMA_REGISTRY_URL; the local stack is not started"
fi

# A key file from an older database (dropped or pointed elsewhere) would only get 401s: replace it.
if [[ -s "$KEY_FILE" ]] && ! "${NODE[@]}" apps/consent-api/src/api-keys.cli.ts check <"$KEY_FILE" 2>/dev/null; then
  echo "[start] $KEY_FILE is not a key of this database; making a new one"
  rm -f "$KEY_FILE"
fi
if [[ ! -s "$KEY_FILE" ]]; then
  mkdir -p "$(dirname "$KEY_FILE")"
  (umask 077 && "${NODE[@]}" apps/consent-api/src/api-keys.cli.ts create local-dev >"$KEY_FILE")
  echo "[start] created a development API key with every scope in $KEY_FILE"
fi

DEMO=0
if [[ -z "${LETHE_SYSTEMS_FILE:-}" ]]; then
  DEMO=1
  export LETHE_SYSTEMS_FILE="$ROOT/.cache/lethe/demo-systems.yaml"
  mkdir -p "$(dirname "$LETHE_SYSTEMS_FILE")"
  "${NODE[@]}" deploy/local/demo/seed.ts "$LETHE_SYSTEMS_FILE"
fi

pids=()
stop() {
  trap - INT TERM EXIT
  echo "[start] stopping Lethe"
  kill -TERM "${pids[@]}" 2>/dev/null || true
  wait "${pids[@]}" 2>/dev/null || true
}
trap stop INT TERM EXIT

run() { # name, entry file
  local name="$1" entry="$2"
  "${NODE[@]}" "$entry" > >(sed -u "s/^/[$name] /") 2>&1 &
  pids+=($!)
}

run consent-api apps/consent-api/src/main.ts
run projector apps/projector/src/main.ts
run checkpointer apps/checkpointer/src/main.ts
run erasure-worker apps/erasure-worker/src/main.ts
run newsletter apps/newsletter/src/main.ts
if [[ $DEMO == 1 ]]; then run demo-processor deploy/local/demo/processor.ts; fi
echo "[start] consent-api on http://${LETHE_API_HOST:-127.0.0.1}:${LETHE_API_PORT:-3000} (docs at /docs); API key: \$(cat ${KEY_FILE#"$ROOT"/})"
echo "[start] newsletter demo on http://${NEWSLETTER_HOST:-127.0.0.1}:${NEWSLETTER_PORT:-3200} (POST /v1/newsletter/issues, /metrics)"

# Stop everything when any process exits, so a crash is never silent.
wait -n "${pids[@]}"
echo "[start] a Lethe process exited; stopping the rest" >&2
exit 1
