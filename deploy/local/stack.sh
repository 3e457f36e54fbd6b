#!/usr/bin/env bash
# Lethe's local stack without Docker: Apache Kafka (KRaft, one combined broker+controller, or a
# cluster of several) and Apicurio Registry, both run from Maven Central jars, plus checks and
# set-up of the machine's own PostgreSQL and Redis.
#
#   stack.sh up [--brokers N] | down | status | logs [kafka|kafka-N|registry] | fetch
#            | kafka-tool <main-class> [args...]
#            | node-stop N | node-kill N | node-pause N | node-resume N | node-start N | node-pid N
#            | registry-stop | registry-kill | registry-start
#
# With N brokers (`--brokers 3`, or LETHE_BROKERS=3) node n listens for clients on
# LETHE_KAFKA_PORT+n-1 and for its controller quorum on LETHE_KAFKA_CONTROLLER_PORT+n-1 (default
# LETHE_KAFKA_PORT+100 for a cluster, so 9092-9094 and 9192-9194): topics get replication 3,
# min.insync.replicas 2 and no unclean leader election. The node-* commands act on one node by its
# pid file, for fault tests: stop (SIGTERM), kill (SIGKILL), pause (SIGSTOP), resume (SIGCONT),
# start again on the same data.
#
# Everything it writes lives under LETHE_STACK_DIR (default .cache/stack, ignored by git):
# jars, data, logs and the pid files by which `down` stops exactly what `up` started.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
HERE="$ROOT/deploy/local"
STACK_DIR="${LETHE_STACK_DIR:-$ROOT/.cache/stack}"
KAFKA_PORT="${LETHE_KAFKA_PORT:-9092}"
BROKERS="${LETHE_BROKERS:-}" # unset: what the stack dir was formatted with, else 1; `up --brokers N` sets it
REGISTRY_PORT="${LETHE_REGISTRY_PORT:-8081}"
PG_ADMIN_URL="${LETHE_PG_ADMIN_URL:-postgresql://postgres@127.0.0.1:5432/postgres}"
REDIS_HOST="${LETHE_REDIS_HOST:-127.0.0.1}"
REDIS_PORT="${LETHE_REDIS_PORT:-6379}"
TIMEOUT="${LETHE_STACK_TIMEOUT:-120}" # seconds, for each wait below
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

pid_gone() { ! kill -0 "$1" 2>/dev/null; }

stop_process() { # name, command-line marker
  local pid deadline
  if ! pid="$(live_pid "$1" "$2")"; then
    say "$1: not running"
    rm -f "$RUN_DIR/$1.pid"
    return
  fi
  say "$1: stopping pid $pid"
  kill -CONT "$pid" 2>/dev/null || true # a paused process cannot act on SIGTERM
  kill -TERM "$pid"
  deadline=$((SECONDS + 30))
  while kill -0 "$pid" 2>/dev/null && ((SECONDS < deadline)); do sleep 0.5; done
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

# How many nodes this stack dir's cluster has: what it was formatted with (a stack dir holds one
# cluster), else LETHE_BROKERS or `--brokers`, else 1.
cluster_size() {
  local formatted=""
  if [[ -f "$KAFKA_DIR/cluster-size" ]]; then formatted="$(cat "$KAFKA_DIR/cluster-size")"
  elif [[ -f "$KAFKA_DIR/data/meta.properties" ]]; then formatted=1; fi
  if [[ -n "$formatted" && -n "$BROKERS" && "$BROKERS" != "$formatted" ]]; then
    die "$STACK_DIR holds a cluster of $formatted broker(s), not $BROKERS; use another LETHE_STACK_DIR (or remove $KAFKA_DIR to start afresh)"
  fi
  echo "${formatted:-${BROKERS:-1}}"
}

set_cluster() { # fixes the size, ports and heap for the rest of the command
  BROKERS="$(cluster_size)"
  [[ "$BROKERS" =~ ^[1-9]$ ]] || die "--brokers takes 1 to 9, not $BROKERS"
  if ((BROKERS == 1)); then
    KAFKA_CONTROLLER_PORT="${LETHE_KAFKA_CONTROLLER_PORT:-9093}"
    KAFKA_HEAP="${LETHE_KAFKA_HEAP:-1g}"
  else
    # +100: the clients' ports of the other nodes take KAFKA_PORT+1, +2, …
    KAFKA_CONTROLLER_PORT="${LETHE_KAFKA_CONTROLLER_PORT:-$((KAFKA_PORT + 100))}"
    # Three nodes and the registry fit a 2-core, 24 GiB machine next to Lethe's apps.
    KAFKA_HEAP="${LETHE_KAFKA_HEAP:-512m}"
  fi
}

nodes() { seq 1 "$BROKERS"; }
node_port() { echo $((KAFKA_PORT + $1 - 1)); }
node_controller_port() { echo $((KAFKA_CONTROLLER_PORT + $1 - 1)); }
# A single node keeps the layout of earlier versions (kafka.pid, kafka.log, kafka/data).
node_name() { if ((BROKERS == 1)); then echo kafka; else echo "kafka-$1"; fi; }
node_dir() { if ((BROKERS == 1)); then echo "$KAFKA_DIR"; else echo "$KAFKA_DIR/node-$1"; fi; }
node_log() { echo "$LOG_DIR/$(node_name "$1").log"; }
# What a node's command line holds: its own config file, so nodes (and stack dirs) are told apart.
node_marker() { if ((BROKERS == 1)); then echo kafka.Kafka; else echo "$(node_dir "$1")/server.properties"; fi; }
node_pid() { live_pid "$(node_name "$1")" "$(node_marker "$1")"; }
bootstrap() { local n out=(); for n in $(nodes); do out+=("127.0.0.1:$(node_port "$n")"); done; (IFS=,; echo "${out[*]}"); }

check_node() {
  [[ "${1:-}" =~ ^[1-9]$ ]] && (($1 <= BROKERS)) || die "name a node from 1 to $BROKERS"
}

kafka_config() { # node
  local n="$1" dir voters="" i
  dir="$(node_dir "$n")"
  mkdir -p "$dir"
  if ((BROKERS == 1)); then
    sed -e "s|@KAFKA_PORT@|$KAFKA_PORT|g" \
        -e "s|@CONTROLLER_PORT@|$KAFKA_CONTROLLER_PORT|g" \
        -e "s|@DATA_DIR@|$KAFKA_DIR/data|g" \
        "$HERE/kafka.properties" >"$KAFKA_DIR/server.properties"
    return
  fi
  for i in $(nodes); do voters+="${voters:+,}$i@127.0.0.1:$(node_controller_port "$i")"; done
  local replication=$((BROKERS < 3 ? BROKERS : 3))
  local min_isr=$((replication < 2 ? 1 : 2))
  sed -e "s|@NODE_ID@|$n|g" -e "s|@VOTERS@|$voters|g" \
      -e "s|@KAFKA_PORT@|$(node_port "$n")|g" \
      -e "s|@CONTROLLER_PORT@|$(node_controller_port "$n")|g" \
      -e "s|@DATA_DIR@|$dir/data|g" \
      -e "s|@REPLICATION@|$replication|g" -e "s|@MIN_ISR@|$min_isr|g" \
      "$HERE/kafka-cluster.properties" >"$dir/server.properties"
}

# The broker's own tools (storage format, perf tests, console clients), on the broker's jars.
kafka_java() {
  java -Xmx"${KAFKA_HEAP:-1g}" -Dlog4j2.configurationFile="$HERE/tools-log4j2.properties" \
    -cp "$KAFKA_DIR/libs/*" "$@"
}

kafka_format() {
  local n cluster_id
  [[ -f "$(node_dir 1)/data/meta.properties" ]] && return
  cluster_id="$(kafka_java kafka.tools.StorageTool random-uuid | tail -n 1)"
  if ((BROKERS == 1)); then
    say "kafka: formatting storage (KRaft, standalone controller)"
    kafka_java kafka.tools.StorageTool format --standalone -t "$cluster_id" \
      -c "$KAFKA_DIR/server.properties" >>"$LOG_DIR/kafka-format.log" 2>&1 \
      || die "kafka storage format failed; see $LOG_DIR/kafka-format.log"
    return
  fi
  say "kafka: formatting storage of $BROKERS nodes (KRaft, static controller quorum)"
  for n in $(nodes); do
    kafka_java kafka.tools.StorageTool format -t "$cluster_id" -c "$(node_dir "$n")/server.properties" \
      >>"$LOG_DIR/kafka-format.log" 2>&1 || die "kafka storage format of node $n failed; see $LOG_DIR/kafka-format.log"
  done
  echo "$BROKERS" >"$KAFKA_DIR/cluster-size"
}

log_size() { stat -c %s "$1" 2>/dev/null || echo 0; }

node_started_since() { # node, byte offset into its log where this start began
  # A node that exited (a port taken, a bad config) will not start: say so now, not at the deadline.
  node_pid "$1" >/dev/null || die "$(node_name "$1") exited while starting; the first errors in $(node_log "$1"):
$(tail -c +"$2" "$(node_log "$1")" 2>/dev/null | grep -m 5 -E 'ERROR|Exception')"
  port_open 127.0.0.1 "$(node_port "$1")" &&
    # grep -c reads to the end: grep -q would stop early, and tail's SIGPIPE fail the pipeline.
    tail -c +"$2" "$(node_log "$1")" 2>/dev/null | grep -c "Kafka Server started" >/dev/null
}

# Starts a node's process and prints the log offset its start began at; waiting is the caller's.
node_launch() {
  local n="$1" port log offset gc
  port="$(node_port "$n")"
  log="$(node_log "$n")"
  port_open 127.0.0.1 "$port" &&
    die "port $port is taken by a process this stack did not start; stop it or set LETHE_KAFKA_PORT"
  offset=$(( $(log_size "$log") + 1 ))
  # Several JVMs on two cores: the serial collector spares the CPU that G1's threads would take.
  if ((BROKERS == 1)); then gc=(-Xms256m -XX:+UseG1GC); else gc=(-Xms128m -XX:+UseSerialGC); fi
  nohup java "${gc[@]}" -Xmx"$KAFKA_HEAP" \
    -Dlog4j2.configurationFile="$HERE/kafka-log4j2.properties" \
    -cp "$KAFKA_DIR/libs/*" kafka.Kafka "$(node_dir "$n")/server.properties" \
    >>"$log" 2>&1 </dev/null &
  echo $! >"$RUN_DIR/$(node_name "$n").pid"
  echo "$offset"
}

kafka_up() {
  local n pid offsets=()
  for n in $(nodes); do kafka_config "$n"; done
  kafka_format
  for n in $(nodes); do
    if pid="$(node_pid "$n")"; then
      say "$(node_name "$n"): already running (pid $pid) on 127.0.0.1:$(node_port "$n")"
      offsets[n]=0 # nothing to wait for
    else
      say "$(node_name "$n"): starting on 127.0.0.1:$(node_port "$n")"
      offsets[n]="$(node_launch "$n")"
    fi
  done
  # All nodes first, then the waits: a node's broker starts only once the controllers have a quorum.
  for n in $(nodes); do
    ((offsets[n] == 0)) || wait_until "$(node_name "$n")" "$(node_log "$n")" node_started_since "$n" "${offsets[n]}"
  done
  say "kafka: ready ($BROKERS node(s))"
}

# A broker's port opens before it can serve its first clients: it still creates and loads
# __consumer_offsets, and allocates producer ids through the controller. Apps and tests started
# then meet "the coordinator is loading" errors, so `up` returns only once both work. The check
# uses the project's own Kafka client (a node process starts far faster than a JVM tool).
kafka_serves() { # bootstrap list
  [[ -d "$ROOT/node_modules/kafkajs" ]] || die "node_modules is missing: run npm ci first (the readiness check uses the project's Kafka client)"
  (cd "$ROOT" && node -r @swc-node/register "$HERE/kafka-ready.ts" "$1" "$TIMEOUT") \
    || die "kafka does not serve producers and consumer groups; last lines of $(node_log 1):
$(tail -n 20 "$(node_log 1)" 2>/dev/null)"
}

# ---------- one node, for fault tests ----------

node_signal() { # node, signal, what it does
  local pid
  check_node "$1"
  pid="$(node_pid "$1")" || die "$(node_name "$1") is not running"
  kill -"$2" "$pid"
  say "$(node_name "$1"): $3 (pid $pid)"
}

node_kill() {
  local pid
  check_node "$1"
  pid="$(node_pid "$1")" || die "$(node_name "$1") is not running"
  kill -KILL "$pid"
  wait_until "$(node_name "$1") to exit" "$(node_log "$1")" pid_gone "$pid"
  rm -f "$RUN_DIR/$(node_name "$1").pid"
  say "$(node_name "$1"): killed (pid $pid)"
}

node_stop() { check_node "$1"; stop_process "$(node_name "$1")" "$(node_marker "$1")"; }
node_pid_of() { check_node "$1"; node_pid "$1" || die "$(node_name "$1") is not running"; }

registry_kill() {
  local pid
  pid="$(live_pid registry apicurio-registry-app)" || die "registry is not running"
  kill -KILL "$pid"
  wait_until "registry to exit" "$LOG_DIR/registry.log" pid_gone "$pid"
  rm -f "$RUN_DIR/registry.pid"
  say "registry: killed (pid $pid)"
}

node_start() {
  local n="$1" pid offset
  check_node "$n"
  if pid="$(node_pid "$n")"; then say "$(node_name "$n"): already running (pid $pid)"; return; fi
  say "$(node_name "$n"): starting on 127.0.0.1:$(node_port "$n")"
  offset="$(node_launch "$n")"
  wait_until "$(node_name "$n")" "$(node_log "$n")" node_started_since "$n" "$offset"
  kafka_serves "127.0.0.1:$(node_port "$n")"
  say "$(node_name "$n"): ready"
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
  while [[ $# -gt 0 ]]; do
    case "$1" in
      --brokers) [[ $# -ge 2 ]] || die "--brokers needs a number"; BROKERS="$2"; shift 2 ;;
      *) die "up takes --brokers N only" ;;
    esac
  done
  command -v java >/dev/null || die "java not found: install Java 17 or later"
  mkdir -p "$KAFKA_DIR" "$REGISTRY_DIR" "$RUN_DIR" "$LOG_DIR"
  set_cluster
  postgres_up
  redis_up
  fetch_jars
  kafka_up
  registry_up # starts while the broker loads its coordinators
  kafka_serves "$(bootstrap)"
  say "up: KAFKA_BROKERS=$(bootstrap) SCHEMA_REGISTRY_URL=http://127.0.0.1:$REGISTRY_PORT/apis/ccompat/v7"
}

cmd_down() {
  local n
  set_cluster
  stop_process registry apicurio-registry-app
  for n in $(nodes); do stop_process "$(node_name "$n")" "$(node_marker "$n")"; done
}

cmd_status() {
  local pid n state
  set_cluster
  for n in $(nodes); do
    if pid="$(node_pid "$n")"; then
      state="$(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null)"
      [[ "$state" == T ]] && state=" (paused)" || state=""
      say "$(node_name "$n"): running (pid $pid) on 127.0.0.1:$(node_port "$n")$state"
    else say "$(node_name "$n"): stopped"; fi
  done
  if pid="$(live_pid registry apicurio-registry-app)"; then say "registry: running (pid $pid) on http://127.0.0.1:$REGISTRY_PORT"
  else say "registry: stopped"; fi
  if psql "${DATABASE_URL:-$PG_ADMIN_URL}" -qAt -c 'select 1' >/dev/null 2>&1; then say "postgres: reachable"
  else say "postgres: not reachable"; fi
  if port_open "$REDIS_HOST" "$REDIS_PORT"; then say "redis: reachable"; else say "redis: not reachable"; fi
}

cmd_logs() {
  local which="${1:-all}" n logs=()
  set_cluster
  for n in $(nodes); do logs+=("$(node_log "$n")"); done
  case "$which" in
    kafka) tail -n 100 -F "${logs[@]}" ;;
    kafka-[1-9]) tail -n 100 -F "$LOG_DIR/$which.log" ;;
    registry) tail -n 100 -F "$LOG_DIR/registry.log" ;;
    all) tail -n 50 -F "${logs[@]}" "$LOG_DIR/registry.log" ;;
    *) die "logs takes kafka, kafka-N, registry or nothing (all)" ;;
  esac
}

# Runs one of the broker's own command-line tools (e.g. org.apache.kafka.tools.ProducerPerformance)
cmd_kafka_tool() {
  [[ $# -ge 1 ]] || die "kafka-tool needs a main class"
  fetch_jars
  kafka_java "$@"
}

node_command() { # the node-* commands: size and ports from the stack dir, then the action
  mkdir -p "$RUN_DIR" "$LOG_DIR"
  set_cluster
  "$@"
}

case "${1:-}" in
  up) shift; cmd_up "$@" ;;
  down) cmd_down ;;
  status) cmd_status ;;
  logs) shift; cmd_logs "$@" ;;
  kafka-tool) shift; cmd_kafka_tool "$@" ;;
  fetch) mkdir -p "$KAFKA_DIR" "$REGISTRY_DIR"; fetch_jars ;; # the jars only (tests that start brokers of their own)
  node-stop) node_command node_stop "${2:-}" ;;
  node-kill) node_command node_kill "${2:-}" ;;
  node-pause) node_command node_signal "${2:-}" STOP "paused" ;;
  node-resume) node_command node_signal "${2:-}" CONT "resumed" ;;
  node-start) node_command node_start "${2:-}" ;;
  node-pid) node_command node_pid_of "${2:-}" ;;
  registry-stop) node_command stop_process registry apicurio-registry-app ;;
  registry-kill) node_command registry_kill ;;
  registry-start) mkdir -p "$REGISTRY_DIR" "$RUN_DIR" "$LOG_DIR"; registry_up ;;
  *) die "usage: stack.sh up [--brokers N] | down | status | logs [kafka|kafka-N|registry] | kafka-tool <main-class> [args] | fetch | node-stop|node-kill|node-pause|node-resume|node-start|node-pid N | registry-stop|registry-kill|registry-start" ;;
esac
