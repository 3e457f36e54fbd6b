#!/usr/bin/env bash
# `npm start`: Lethe on local defaults. Brings up the local stack unless external Kafka and
# registry are named (KAFKA_BROKERS and SCHEMA_REGISTRY_URL), then runs Lethe's services.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"

if [[ -z "${KAFKA_BROKERS:-}" || -z "${SCHEMA_REGISTRY_URL:-}" ]]; then
  bash "$ROOT/deploy/local/stack.sh" up
else
  echo "[start] using KAFKA_BROKERS and SCHEMA_REGISTRY_URL; the local stack is not started"
fi
