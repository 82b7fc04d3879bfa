#!/usr/bin/env bash
# A local cluster on one machine: 3 silos (Kuma.Silo, KUMA_CLUSTER_ROLE=silo) and 2 standalone gateways (Kuma.Gateway)
# on one PostgreSQL. Builds once, runs the built dlls, prints the endpoints, waits until every process is up, and on
# Ctrl-C or SIGTERM stops them all (and the PostgreSQL it started, if any).
#
# PostgreSQL: KUMA_STORE_POSTGRES_CONNECTION_STRING or KUMA_STORE_POSTGRES_HOST (with the other KUMA_STORE_POSTGRES_*)
# when set; otherwise a throwaway server from the machine's binaries (initdb, pg_ctl) in a temporary folder.
#
# Settings (environment):
#   SILOS / GATEWAYS        how many of each (3 / 2)
#   PORT_BASE               5678: process k (gateways first, then silos) takes PORT_BASE+10k .. +4:
#                           DP +0, diagnostics +2, API +3, API over HTTPS +4; gateway 1 thus has Kuma's 5678/5680/5681/5682
#   SILO_PORT_BASE          11111: silo i's Orleans silo-to-silo port is this + i - 1
#   SILO_GATEWAY_PORT_BASE  30000: silo i's Orleans client port (the gateways' way in) is this + i - 1
#   PG_PORT                 55432: the throwaway PostgreSQL's port
#   KUMA_BIN                a folder holding Kuma.Silo.dll and Kuma.Gateway.dll: no build then
#   CONFIGURATION           Debug: what to build when KUMA_BIN is not set
# Every other KUMA_* variable set here reaches every process (e.g. KUMA_DP_SERVER_TLS_ENABLED=false).
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
source "$repo/examples/lib/process-group.sh"
own_process_group "$@"

SILOS=${SILOS:-3}
GATEWAYS=${GATEWAYS:-2}
PORT_BASE=${PORT_BASE:-5678}
SILO_PORT_BASE=${SILO_PORT_BASE:-11111}
SILO_GATEWAY_PORT_BASE=${SILO_GATEWAY_PORT_BASE:-30000}
PG_PORT=${PG_PORT:-55432}
CONFIGURATION=${CONFIGURATION:-Debug}
export KUMA_CLUSTER_ID=${KUMA_CLUSTER_ID:-kuma}

work=$(mktemp -d "${TMPDIR:-/tmp}/kuma-local-cluster-XXXXXX")
chmod 755 "$work" # the throwaway PostgreSQL may run as another user
logs="$work/logs"
mkdir -p "$logs"
pg_data=""
pg_ctl=""
pg_user=""
kuma_pids=()

# Kuma's processes first (a silo leaving the membership table needs PostgreSQL), then PostgreSQL, then the rest of the group.
on_exit() {
  local status=$?
  trap - EXIT
  set +e # stopping goes on past any failure, and the exit status below must not end the trap early
  if [ ${#kuma_pids[@]} -gt 0 ]; then
    kill -TERM "${kuma_pids[@]}" 2>/dev/null || true
    for _ in $(seq 200); do
      local alive=0
      for pid in "${kuma_pids[@]}"; do kill -0 "$pid" 2>/dev/null && alive=1; done
      [ $alive = 0 ] && break
      sleep 0.1
    done
  fi
  if [ -n "$pg_data" ]; then as_pg_user "$pg_ctl" -D "$pg_data" -m fast -w stop >/dev/null 2>&1 || true; fi
  echo "stopped; logs kept in $logs" >&2
  (exit "$status")
  end_process_group
}
trap on_exit EXIT

as_pg_user() { if [ -n "$pg_user" ]; then runuser -u "$pg_user" -- "$@"; else "$@"; fi; }

find_pg_bin() {
  local dir
  for dir in $(echo "$PATH" | tr ':' ' ') $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -rV); do
    if [ -x "$dir/initdb" ] && [ -x "$dir/pg_ctl" ]; then echo "$dir"; return; fi
  done
  echo "no PostgreSQL given (KUMA_STORE_POSTGRES_*) and no initdb/pg_ctl on PATH or under /usr/lib/postgresql" >&2
  exit 1
}

start_throwaway_postgres() {
  local bin; bin=$(find_pg_bin)
  pg_ctl="$bin/pg_ctl"
  local root="$work/postgres"
  pg_data="$root/data"
  mkdir -p "$root"
  # initdb refuses to run as root: the server then runs as an unprivileged user.
  if [ "$(id -u)" = 0 ]; then
    pg_user=$(getent passwd postgres >/dev/null && echo postgres || echo nobody)
    chown -R "$pg_user" "$root"
  fi
  as_pg_user "$bin/initdb" -D "$pg_data" -U postgres --auth=trust --no-sync -E UTF8 >"$logs/initdb.log" 2>&1
  printf "\nport = %s\nlisten_addresses = '127.0.0.1'\nunix_socket_directories = '%s'\nmax_connections = 300\n" "$PG_PORT" "$root" >>"$pg_data/postgresql.conf"
  as_pg_user "$pg_ctl" -D "$pg_data" -l "$root/server.log" -w -t 60 start >/dev/null
  CLEANUP_PATHS+=("$root")
  export KUMA_STORE_POSTGRES_CONNECTION_STRING="Host=127.0.0.1;Port=$PG_PORT;Username=postgres;Database=postgres"
}

export KUMA_STORE_TYPE=postgres
if [ -z "${KUMA_STORE_POSTGRES_CONNECTION_STRING:-}" ] && [ -z "${KUMA_STORE_POSTGRES_HOST:-}" ]; then
  start_throwaway_postgres
  echo "postgres: $KUMA_STORE_POSTGRES_CONNECTION_STRING (throwaway, in $pg_data)"
elif [ -n "${KUMA_STORE_POSTGRES_CONNECTION_STRING:-}" ]; then
  echo "postgres: $KUMA_STORE_POSTGRES_CONNECTION_STRING"
else
  echo "postgres: ${KUMA_STORE_POSTGRES_HOST}:${KUMA_STORE_POSTGRES_PORT:-5432} database ${KUMA_STORE_POSTGRES_DB_NAME:-kuma}"
fi

if [ -z "${KUMA_BIN:-}" ]; then
  echo "building Kuma.Silo (with Kuma.Gateway beside it), $CONFIGURATION"
  dotnet build "$repo/Kuma.Silo" -c "$CONFIGURATION" -nologo -v quiet >"$logs/build.log" 2>&1 || { tail -20 "$logs/build.log" >&2; exit 1; }
  KUMA_BIN="$repo/Kuma.Silo/bin/$CONFIGURATION/net10.0"
fi

# The first silo applies the schema before the others start, so they do not race to create it.
start_silo() {
  local i=$1 k=$((GATEWAYS + $1 - 1))
  local block=$((PORT_BASE + 10 * k))
  KUMA_CLUSTER_ROLE=silo \
  KUMA_CLUSTER_SILO_PORT=$((SILO_PORT_BASE + i - 1)) \
  KUMA_CLUSTER_GATEWAY_PORT=$((SILO_GATEWAY_PORT_BASE + i - 1)) \
  KUMA_DIAGNOSTICS_SERVER_PORT=$((block + 2)) \
    dotnet "$KUMA_BIN/Kuma.Silo.dll" >"$logs/silo-$i.log" 2>&1 &
  kuma_pids+=($!)
  printf "silo-%s     pid %-7s orleans 127.0.0.1:%s, clients :%s, diagnostics :%s (reserved)\n" \
    "$i" "$!" $((SILO_PORT_BASE + i - 1)) $((SILO_GATEWAY_PORT_BASE + i - 1)) $((block + 2))
}

start_gateway() {
  local g=$1 k=$(($1 - 1))
  local block=$((PORT_BASE + 10 * k))
  KUMA_DP_SERVER_PORT=$block \
  KUMA_DIAGNOSTICS_SERVER_PORT=$((block + 2)) \
  KUMA_API_SERVER_HTTP_PORT=$((block + 3)) \
  KUMA_API_SERVER_HTTPS_PORT=$((block + 4)) \
    dotnet "$KUMA_BIN/Kuma.Gateway.dll" >"$logs/gateway-$g.log" 2>&1 &
  kuma_pids+=($!)
  printf "gateway-%s  pid %-7s API http://127.0.0.1:%s (https :%s), DP 127.0.0.1:%s, diagnostics :%s (reserved)\n" \
    "$g" "$!" $((block + 3)) $((block + 4)) "$block" $((block + 2))
}

# A silo is up once it says it is active in the cluster (its Orleans ports accept connections earlier than that).
wait_silo() {
  local i=$1 pid=$2
  for _ in $(seq 1200); do
    if ! kill -0 "$pid" 2>/dev/null; then
      echo "silo-$i exited before it was up; the end of its log:" >&2
      tail -20 "$logs/silo-$i.log" >&2
      exit 1
    fi
    grep -q "Silo active in cluster" "$logs/silo-$i.log" && return
    sleep 0.1
  done
  echo "silo-$i did not become active within 2 minutes" >&2
  exit 1
}

# A gateway is up when its API serves the cluster's data: the default mesh the silos seed (or the index, when they do not).
wait_gateway() {
  local g=$1 pid=$2 port=$3 path=/meshes/default
  [ "${KUMA_DEFAULTS_SKIP_MESH_CREATION:-false}" = true ] && path=/
  for _ in $(seq 1200); do
    if ! kill -0 "$pid" 2>/dev/null; then
      echo "gateway-$g exited before it was up; the end of its log:" >&2
      tail -20 "$logs/gateway-$g.log" >&2
      exit 1
    fi
    [ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port$path" || true)" = 200 ] && return
    sleep 0.1
  done
  echo "gateway-$g did not answer $path within 2 minutes" >&2
  exit 1
}

echo "logs: $logs"
start_silo 1
wait_silo 1 "${kuma_pids[0]}"
for i in $(seq 2 "$SILOS"); do start_silo "$i"; done
for g in $(seq 1 "$GATEWAYS"); do start_gateway "$g"; done
for i in $(seq 2 "$SILOS"); do wait_silo "$i" "${kuma_pids[$((i - 1))]}"; done
for g in $(seq 1 "$GATEWAYS"); do wait_gateway "$g" "${kuma_pids[$((SILOS + g - 1))]}" $((PORT_BASE + 10 * (g - 1) + 3)); done
echo "cluster is up: $SILOS silos, $GATEWAYS gateways (Ctrl-C stops them all)"

# Until a signal (the traps exit) or until every process has ended.
wait "${kuma_pids[@]}" || true
