#!/usr/bin/env bash
# Runs one benchmark of bench/<name>/bench.ts on a stack of its own (separate ports and data), so
# the numbers are not disturbed by, and do not disturb, a development stack. The broker starts
# empty each time, so consent.log holds exactly the run's events.
#   bash bench/run.sh <api|projector|replay|erasure-worker|guard|e2e> [arguments of that benchmark]
#   bash bench/run.sh <name>/<script> [arguments]   runs bench/<name>/<script>.ts instead (api/overload, projector/dlq-burst)
# (`npm run bench` runs them all, bench/all.ts.)
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
NAME="${1:?which benchmark: api, projector, replay, erasure-worker, guard or e2e}"
shift
ENTRY="bench/$NAME/bench.ts"
[[ "$NAME" == */* ]] && ENTRY="bench/$NAME.ts"
if [[ ! -f "$ROOT/$ENTRY" ]]; then
  echo "no benchmark named \"$NAME\" ($ENTRY)" >&2
  exit 2
fi
export LETHE_STACK_DIR="${LETHE_STACK_DIR:-$ROOT/.cache/bench-stack}"
export LETHE_KAFKA_PORT="${LETHE_KAFKA_PORT:-19092}"
export LETHE_KAFKA_CONTROLLER_PORT="${LETHE_KAFKA_CONTROLLER_PORT:-19093}"
export LETHE_REGISTRY_PORT="${LETHE_REGISTRY_PORT:-18081}"
export LETHE_KAFKA_HEAP="${LETHE_KAFKA_HEAP:-2g}"
export KAFKA_BROKERS="127.0.0.1:$LETHE_KAFKA_PORT"
export SCHEMA_REGISTRY_URL="http://127.0.0.1:$LETHE_REGISTRY_PORT/apis/ccompat/v7"

bash "$ROOT/deploy/local/stack.sh" down >/dev/null
rm -rf "$LETHE_STACK_DIR/kafka/data" "$LETHE_STACK_DIR/registry/data"
bash "$ROOT/deploy/local/stack.sh" up
# For `npm run bench`: the broker's and the registry's peak RSS (VmHWM), read before they stop.
record_stack_rss() {
  [[ -n "${LETHE_BENCH_FIGURES:-}" ]] || return 0
  local name pid kib
  for name in kafka registry; do
    pid="$(cat "$LETHE_STACK_DIR/run/$name.pid" 2>/dev/null)" || continue
    kib="$(awk '/^VmHWM:/ {print $2}' "/proc/$pid/status" 2>/dev/null)" || continue
    [[ -n "$kib" ]] && printf '{"rss":{"process":"%s (%s benchmark)","mib":%d}}\n' "$name" "$NAME" $((kib / 1024)) >>"$LETHE_BENCH_FIGURES"
  done
}
trap 'record_stack_rss; bash "$ROOT/deploy/local/stack.sh" down >/dev/null' EXIT

cd "$ROOT"
# LETHE_BENCH_NODE_FLAGS: extra node flags, e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof" to profile a run.
# shellcheck disable=SC2086
node ${LETHE_BENCH_NODE_FLAGS:-} -r @swc-node/register "$ENTRY" "$@"
