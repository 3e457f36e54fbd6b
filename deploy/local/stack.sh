#!/usr/bin/env bash
# Lethe's local stack without Docker: Apache Kafka (KRaft, one combined broker+controller)
# and Apicurio Registry, both run from Maven Central jars, plus checks and set-up of the
# machine's own PostgreSQL and Redis.
#
#   stack.sh up | down | status | logs [kafka|registry] | kafka-tool <main-class> [args...] | fetch
#
# Everything it writes lives under LETHE_STACK_DIR (default .cache/stack, ignored by git):
# jars, data, logs and the pid files by which `down` stops exactly what `up` started.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
HERE="$ROOT/deploy/local"
STACK_DIR="${LETHE_STACK_DIR:-$ROOT/.cache/stack}"
KAFKA_PORT="${LETHE_KAFKA_PORT:-9092}"
KAFKA_CONTROLLER_PORT="${LETHE_KAFKA_CONTROLLER_PORT:-9093}"
REGISTRY_PORT="${LETHE_REGISTRY_PORT:-8081}"
PG_ADMIN_URL="${LETHE_PG_ADMIN_URL:-postgresql://postgres@127.0.0.1:5432/postgres}"
REDIS_HOST="${LETHE_REDIS_HOST:-127.0.0.1}"
REDIS_PORT="${LETHE_REDIS_PORT:-6379}"
TIMEOUT="${LETHE_STACK_TIMEOUT:-120}" # seconds, for each wait below
KAFKA_HEAP="${LETHE_KAFKA_HEAP:-1g}"
REGISTRY_HEAP="${LETHE_REGISTRY_HEAP:-512m}"

KAFKA_DIR="$STACK_DIR/kafka"
REGISTRY_DIR="$STACK_DIR/registry"
RUN_DIR="$STACK_DIR/run"
LOG_DIR="$STACK_DIR/logs"

say() { printf '[stack] %s\n' "$*"; }
die() { printf '[stack] ERROR: %s\n' "$*" >&2; exit 1; }

# ---------- processes ----------

# The pid in $1's pid file, if that process is alive and still the one we started
# (its command line holds $2), so a recycled pid is never mistaken for ours.
live_pid() {
  local file="$RUN_DIR/$1.pid" pid
  [[ -f "$file" ]] || return 1
  pid="$(cat "$file")"
  [[ -n "$pid" && -r "/proc/$pid/cmdline" ]] || return 1
  tr '\0' ' ' <"/proc/$pid/cmdline" | grep -q -- "$2" || return 1
  echo "$pid"
}

port_open() { (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null; }

wait_until() { # name, log file, check command...
  local name="$1" log="$2"; shift 2
  local deadline=$((SECONDS + TIMEOUT))
  until "$@"; do
    if ((SECONDS >= deadline)); then
      die "$name did not become ready within ${TIMEOUT}s; last lines of $log:
$(tail -n 20 "$log" 2>/dev/null)"
    fi
    sleep 0.5
  done
}

stop_process() { # name, command-line marker
  local pid
  if ! pid="$(live_pid "$1" "$2")"; then
    say "$1: not running"
    rm -f "$RUN_DIR/$1.pid"
    return
  fi
  say "$1: stopping pid $pid"
  kill -TERM "$pid"
  for _ in $(seq 1 60); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.5
  done
  if kill -0 "$pid" 2>/dev/null; then
    say "$1: still running after 30s, killing pid $pid"
    kill -KILL "$pid"
  fi
  rm -f "$RUN_DIR/$1.pid"
}

# ---------- jars ----------

fetch_jars() {
  local stamp="$STACK_DIR/.fetched-$(sha1sum "$HERE/pom.xml" | cut -c1-12)"
  [[ -f "$stamp" ]] && return
  command -v mvn >/dev/null || die "mvn not found: install Apache Maven (and Java 17) to fetch Kafka and the registry"
  say "fetching Kafka and Apicurio Registry jars from Maven Central (first run only)"
  rm -rf "$KAFKA_DIR/libs" "$REGISTRY_DIR/app"
  # Maven prints colour codes even in batch mode; strip them so logs stay readable.
  mvn -B -q -Dstyle.color=never -f "$HERE/pom.xml" generate-resources -Dstack.dir="$STACK_DIR" 2>&1 \
    | sed 's/\x1b\[[0-9;]*m//g' || die "mvn could not fetch the stack's jars (see its output above)"
  rm -f "$STACK_DIR"/.fetched-*
  touch "$stamp"
}

# ---------- Kafka ----------

kafka_config() {
  sed -e "s|@KAFKA_PORT@|$KAFKA_PORT|g" \
      -e "s|@CONTROLLER_PORT@|$KAFKA_CONTROLLER_PORT|g" \
      -e "s|@DATA_DIR@|$KAFKA_DIR/data|g" \
      "$HERE/kafka.properties" >"$KAFKA_DIR/server.properties"
}

# The broker's own tools (storage format, perf tests, console clients), on the broker's jars.
kafka_java() {
  java -Xmx"$KAFKA_HEAP" -Dlog4j2.configurationFile="$HERE/tools-log4j2.properties" \
    -cp "$KAFKA_DIR/libs/*" "$@"
}

kafka_started_since() { # byte offset into the log where this start began
  port_open 127.0.0.1 "$KAFKA_PORT" &&
    tail -c +"$1" "$LOG_DIR/kafka.log" 2>/dev/null | grep -q "Kafka Server started"
}

kafka_up() {
  local pid
  if pid="$(live_pid kafka kafka.Kafka)"; then
    say "kafka: already running (pid $pid) on 127.0.0.1:$KAFKA_PORT"
    return
  fi
  port_open 127.0.0.1 "$KAFKA_PORT" &&
    die "port $KAFKA_PORT is taken by a process this stack did not start; stop it or set LETHE_KAFKA_PORT"
  kafka_config
  if [[ ! -f "$KAFKA_DIR/data/meta.properties" ]]; then
    say "kafka: formatting storage (KRaft, standalone controller)"
    local cluster_id
    cluster_id="$(kafka_java kafka.tools.StorageTool random-uuid | tail -n 1)"
    kafka_java kafka.tools.StorageTool format --standalone -t "$cluster_id" \
      -c "$KAFKA_DIR/server.properties" >>"$LOG_DIR/kafka-format.log" 2>&1 \
      || die "kafka storage format failed; see $LOG_DIR/kafka-format.log"
  fi
  local offset=$(( $(stat -c %s "$LOG_DIR/kafka.log" 2>/dev/null || echo 0) + 1 ))
  say "kafka: starting on 127.0.0.1:$KAFKA_PORT"
  nohup java -Xms256m -Xmx"$KAFKA_HEAP" -XX:+UseG1GC \
    -Dlog4j2.configurationFile="$HERE/kafka-log4j2.properties" \
    -cp "$KAFKA_DIR/libs/*" kafka.Kafka "$KAFKA_DIR/server.properties" \
    >>"$LOG_DIR/kafka.log" 2>&1 </dev/null &
  echo $! >"$RUN_DIR/kafka.pid"
  wait_until kafka "$LOG_DIR/kafka.log" kafka_started_since "$offset"
  say "kafka: ready"
}

# A broker's port opens before it can serve its first clients: it still creates and loads
# __consumer_offsets, and allocates producer ids through the controller. Apps and tests started
# then meet "the coordinator is loading" errors, so `up` returns only once both work. The check
# uses the project's own Kafka client (a node process starts far faster than a JVM tool).
kafka_serves() {
  [[ -d "$ROOT/node_modules/kafkajs" ]] || die "node_modules is missing: run npm ci first (the readiness check uses the project's Kafka client)"
  (cd "$ROOT" && node -r @swc-node/register "$HERE/kafka-ready.ts" "127.0.0.1:$KAFKA_PORT" "$TIMEOUT") \
    || die "kafka does not serve producers and consumer groups; last lines of $LOG_DIR/kafka.log:
$(tail -n 20 "$LOG_DIR/kafka.log" 2>/dev/null)"
}

# ---------- schema registry ----------

registry_ready() {
  curl -sf -o /dev/null "http://127.0.0.1:$REGISTRY_PORT/apis/ccompat/v7/subjects"
}

registry_up() {
  local pid
  if pid="$(live_pid registry apicurio-registry-app)"; then
    say "registry: already running (pid $pid) on http://127.0.0.1:$REGISTRY_PORT"
    return
  fi
  port_open 127.0.0.1 "$REGISTRY_PORT" &&
    die "port $REGISTRY_PORT is taken by a process this stack did not start; stop it or set LETHE_REGISTRY_PORT"
  local jar
  jar="$(find "$REGISTRY_DIR/app" -maxdepth 1 -name 'apicurio-registry-app-*-runner.jar' 2>/dev/null | head -n 1)"
  [[ -n "$jar" ]] || die "registry jar missing under $REGISTRY_DIR/app; remove $STACK_DIR/.fetched-* and run up again"
  mkdir -p "$REGISTRY_DIR/data"
  say "registry: starting Apicurio on http://127.0.0.1:$REGISTRY_PORT"
  # H2 in a file under the cache folder: schemas survive restarts without needing a database
  # of their own. The global BACKWARD rule makes every new subject enforce compatibility.
  nohup java -Xms128m -Xmx"$REGISTRY_HEAP" \
    -Dquarkus.http.host=127.0.0.1 -Dquarkus.http.port="$REGISTRY_PORT" \
    -Dapicurio.storage.kind=sql -Dapicurio.storage.sql.kind=h2 \
    -Dapicurio.datasource.url="jdbc:h2:file:$REGISTRY_DIR/data/registry" \
    -Dapicurio.rules.global.compatibility=BACKWARD \
    -jar "$jar" >>"$LOG_DIR/registry.log" 2>&1 </dev/null &
  echo $! >"$RUN_DIR/registry.pid"
  wait_until registry "$LOG_DIR/registry.log" registry_ready
  say "registry: ready"
}

# ---------- the machine's own PostgreSQL and Redis ----------

psql_admin() { psql "$PG_ADMIN_URL" -v ON_ERROR_STOP=1 -qAt "$@"; }

postgres_up() {
  if [[ -n "${DATABASE_URL:-}" ]]; then
    say "postgres: DATABASE_URL is set; leaving its roles and databases to you"
    return
  fi
  command -v psql >/dev/null || die "psql not found: install the PostgreSQL client, or set DATABASE_URL"
  psql_admin -c 'select 1' >/dev/null 2>&1 \
    || die "PostgreSQL does not answer at $PG_ADMIN_URL; start it (pg_ctlcluster <version> main start) or set LETHE_PG_ADMIN_URL / DATABASE_URL"
  psql_admin -c "do \$\$ begin
      if not exists (select from pg_roles where rolname = 'lethe') then
        create role lethe login password 'lethe';
      end if; end \$\$;"
  local db
  for db in lethe lethe_test; do
    if [[ -z "$(psql_admin -c "select 1 from pg_database where datname = '$db'")" ]]; then
      psql_admin -c "create database $db owner lethe"
      say "postgres: created database $db"
    fi
  done
  say "postgres: ready (role lethe; databases lethe, lethe_test)"
}

redis_up() {
  if [[ -n "${REDIS_URL:-}" ]]; then
    say "redis: REDIS_URL is set; not checking the local server"
    return
  fi
  local reply
  reply="$( (exec 3<>"/dev/tcp/$REDIS_HOST/$REDIS_PORT" && printf 'PING\r\n' >&3 && head -c 5 <&3) 2>/dev/null || true)"
  [[ "$reply" == "+PONG" ]] \
    || die "Redis does not answer at $REDIS_HOST:$REDIS_PORT; start it (redis-server --daemonize yes --bind 127.0.0.1) or set REDIS_URL"
  say "redis: ready"
}

# ---------- commands ----------

cmd_up() {
  command -v java >/dev/null || die "java not found: install Java 17 or later"
  mkdir -p "$KAFKA_DIR" "$REGISTRY_DIR" "$RUN_DIR" "$LOG_DIR"
  postgres_up
  redis_up
  fetch_jars
  kafka_up
  registry_up # starts while the broker loads its coordinators
  kafka_serves
  say "up: KAFKA_BROKERS=127.0.0.1:$KAFKA_PORT SCHEMA_REGISTRY_URL=http://127.0.0.1:$REGISTRY_PORT/apis/ccompat/v7"
}

cmd_down() {
  stop_process registry apicurio-registry-app
  stop_process kafka kafka.Kafka
}

cmd_status() {
  local pid
  if pid="$(live_pid kafka kafka.Kafka)"; then say "kafka: running (pid $pid) on 127.0.0.1:$KAFKA_PORT"
  else say "kafka: stopped"; fi
  if pid="$(live_pid registry apicurio-registry-app)"; then say "registry: running (pid $pid) on http://127.0.0.1:$REGISTRY_PORT"
  else say "registry: stopped"; fi
  if psql "${DATABASE_URL:-$PG_ADMIN_URL}" -qAt -c 'select 1' >/dev/null 2>&1; then say "postgres: reachable"
  else say "postgres: not reachable"; fi
  if port_open "$REDIS_HOST" "$REDIS_PORT"; then say "redis: reachable"; else say "redis: not reachable"; fi
}

cmd_logs() {
  local which="${1:-all}"
  case "$which" in
    kafka) tail -n 100 -F "$LOG_DIR/kafka.log" ;;
    registry) tail -n 100 -F "$LOG_DIR/registry.log" ;;
    all) tail -n 50 -F "$LOG_DIR/kafka.log" "$LOG_DIR/registry.log" ;;
    *) die "logs takes kafka, registry or nothing (both)" ;;
  esac
}

# Runs one of the broker's own command-line tools (e.g. org.apache.kafka.tools.ProducerPerformance)
cmd_kafka_tool() {
  [[ $# -ge 1 ]] || die "kafka-tool needs a main class"
  fetch_jars
  kafka_java "$@"
}

case "${1:-}" in
  up) cmd_up ;;
  down) cmd_down ;;
  status) cmd_status ;;
  logs) shift; cmd_logs "$@" ;;
  kafka-tool) shift; cmd_kafka_tool "$@" ;;
  fetch) mkdir -p "$KAFKA_DIR" "$REGISTRY_DIR"; fetch_jars ;; # the jars only (tests that start brokers of their own)
  *) die "usage: stack.sh up | down | status | logs [kafka|registry] | kafka-tool <main-class> [args] | fetch" ;;
esac
