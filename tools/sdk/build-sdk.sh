#!/usr/bin/env bash
# Builds the SDK packages (@lethe/contracts, @lethe/guard) with tsc and packs them into
# .cache/sdk/ as npm tarballs, the way they are published:
#
#   npm run build:sdk     ->  .cache/sdk/lethe-contracts-<version>.tgz, .cache/sdk/lethe-guard-<version>.tgz
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
OUT="${LETHE_SDK_DIR:-$ROOT/.cache/sdk}"
cd "$ROOT"

rm -rf libs/contracts/dist libs/guard/dist
npx tsc -p libs/contracts/tsconfig.build.json
# The schemas travel inside the package; SCHEMA_DIR finds them next to the compiled code.
mkdir -p libs/contracts/dist/schemas
cp schemas/*.avsc libs/contracts/dist/schemas/
# The guard compiles against the contracts just built (their declarations), not their sources.
npx tsc -p libs/guard/tsconfig.build.json

mkdir -p "$OUT"
for lib in contracts guard; do
  (cd "libs/$lib" && npm pack --silent --pack-destination "$OUT" >/dev/null)
done
ls -1 "$OUT"/*.tgz
