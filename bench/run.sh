#!/usr/bin/env bash
# Runs one benchmark of bench/<name>/bench.ts on a stack of its own (separate ports and data), so
# the numbers are not disturbed by, and do not disturb, a development stack. The broker starts
# empty each time, so consent.log holds exactly the run's events.
#   bash bench/run.sh <projector|erasure-worker> [arguments of that benchmark]
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
NAME="${1:?which benchmark: projector, erasure-worker or guard}"
shift
if [[ ! -f "$ROOT/bench/$NAME/bench.ts" ]]; then
  echo "no benchmark named \"$NAME\" (bench/$NAME/bench.ts)" >&2
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
trap 'bash "$ROOT/deploy/local/stack.sh" down >/dev/null' EXIT

cd "$ROOT"
node -r @swc-node/register "bench/$NAME/bench.ts" "$@"
