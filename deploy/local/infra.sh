#!/usr/bin/env bash
# Real backends for Switchyard's integration tests on a Debian machine without Docker:
# PostgreSQL, PostgreSQL with pgvector, Redis, Kafka (KRaft), Cassandra and MinIO (S3), each
# installed on first use (apt, pip, Maven Central, go install) and started as a plain process on
# loopback.
#
#   infra.sh up [component...]       install what is missing, start, wait until each answers
#   infra.sh install [component...]  install what is missing, start nothing (e.g. build MinIO early)
#   infra.sh down [component...]     stop (data is kept)
#   infra.sh restart <component...>  stop, then start and wait
#   infra.sh status [component...]   running or not, port, version asked from the server
#   infra.sh env                     the endpoints as SWITCHYARD_TEST_*=value lines
#   infra.sh reset [component...]    stop and delete the data
#
# Components: postgres pgvector redis kafka cassandra minio (none named = all). Data and logs
# live in $SWITCHYARD_INFRA_HOME (/var/lib/switchyard/infra), downloads and builds in
# $SWITCHYARD_CACHE (/var/cache/switchyard). Versions and ports: versions.env. See README.md.
set -euo pipefail

INFRA_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
COMPONENTS=(postgres pgvector redis kafka cassandra minio)

# shellcheck source=versions.env
. "$INFRA_DIR/versions.env"
# shellcheck source=lib/common.sh
. "$INFRA_DIR/lib/common.sh"
# shellcheck source=lib/pg-cluster.sh
. "$INFRA_DIR/lib/pg-cluster.sh"
for component in "${COMPONENTS[@]}"; do
  # shellcheck source=/dev/null
  . "$INFRA_DIR/lib/$component.sh"
done

usage() {
  sed -n '2,17p' "$0" | sed 's/^# \{0,1\}//'
  exit "${1:-0}"
}

# The components named on the command line, in start order, or all of them.
select_components() {
  SELECTED=()
  [ $# -eq 0 ] && set -- "${COMPONENTS[@]}"
  local c name
  for name in "$@"; do
    [[ " ${COMPONENTS[*]} " == *" $name "* ]] || die "unknown component '$name' (known: ${COMPONENTS[*]})"
  done
  for c in "${COMPONENTS[@]}"; do
    for name in "$@"; do
      if [ "$c" = "$name" ]; then SELECTED+=("$c") && break; fi
    done
  done
}

prepare_dirs() {
  mkdir -p "$INFRA_HOME" "$CACHE_DIR" 2>/dev/null ||
    die "cannot create $INFRA_HOME and $CACHE_DIR; run as root or set SWITCHYARD_INFRA_HOME and SWITCHYARD_CACHE"
  chmod 755 "$INFRA_HOME" "$CACHE_DIR" 2>/dev/null || true
  if [ ! -w "$INFRA_HOME" ] || [ ! -w "$CACHE_DIR" ]; then
    die "$INFRA_HOME or $CACHE_DIR is not writable by $(id -un)"
  fi
  if is_root; then
    ensure_run_user
    # The servers run as RUN_USER: every parent of their folders must let them through.
    setpriv --reuid="$RUN_USER" --regid="$RUN_USER" --init-groups test -x "$INFRA_HOME" -a -x "$CACHE_DIR" ||
      die "$RUN_USER cannot reach $INFRA_HOME or $CACHE_DIR (a parent folder is closed to other users)"
  fi
}

# One infra.sh at a time changes servers (two test runs starting at once wait for each other).
take_lock() {
  exec 9>"$INFRA_HOME/.lock"
  flock -w 900 9 || die "another infra.sh has held $INFRA_HOME/.lock for 15 minutes"
}

start_timeout() {
  local var="${1^^}_START_TIMEOUT"
  echo "${!var}"
}

# Starts every selected component that is not running, then waits for all of them, so the slow
# starters (Cassandra, Kafka) boot side by side.
start_selected() {
  local c t0 failed=0
  for c in "${SELECTED[@]}"; do
    if "${c}_running"; then
      continue
    fi
    log "$c" "starting"
    "${c}_start"
  done
  for c in "${SELECTED[@]}"; do
    t0=$SECONDS
    if wait_healthy "$c" "$(start_timeout "$c")" "$("${c}_log")"; then
      "${c}_ready"
      log "$c" "ready on 127.0.0.1:$("${c}_port"): $HEALTH_OUT (waited $((SECONDS - t0))s)"
    else
      failed=1
    fi
  done
  return $failed
}

stop_selected() {
  local i c
  for ((i = ${#SELECTED[@]} - 1; i >= 0; i--)); do
    c=${SELECTED[$i]}
    if "${c}_running"; then
      "${c}_stop"
      log "$c" "stopped"
    else
      log "$c" "not running"
    fi
  done
}

cmd_up() {
  prepare_dirs
  take_lock
  local c t0=$SECONDS
  for c in "${SELECTED[@]}"; do "${c}_install"; done
  log infra "installed in $((SECONDS - t0))s"
  start_selected || die "not every server came up; see the logs above"
  log infra "up in $((SECONDS - t0))s"
}

# Without the infra lock: a long install (MinIO's build) must not hold up an `up` of the others;
# each install guards itself (apt's lock, Maven's mark, MinIO's build lock).
cmd_install() {
  prepare_dirs
  local c
  for c in "${SELECTED[@]}"; do "${c}_install"; done
}

cmd_down() {
  prepare_dirs
  take_lock
  stop_selected
}

cmd_restart() {
  [ $# -gt 0 ] || die "restart needs a component: ${COMPONENTS[*]}"
  prepare_dirs
  take_lock
  local c
  for c in "${SELECTED[@]}"; do "${c}_install"; done
  stop_selected
  start_selected || die "not every server came back; see the logs above"
}

cmd_reset() {
  prepare_dirs
  take_lock
  stop_selected
  local c
  for c in "${SELECTED[@]}"; do
    rm -rf "$("${c}_data_dirs")"
    log "$c" "data deleted"
  done
}

cmd_status() {
  local c state version all_ok=0
  printf '%-10s %-9s %-6s %s\n' component state port version
  for c in "${SELECTED[@]}"; do
    version=
    if "${c}_running"; then
      if version=$("${c}_healthy" 2>/dev/null); then
        state=running
      else
        state=starting
        version="(not answering yet; log: $("${c}_log"))"
        all_ok=1
      fi
    else
      state=stopped
      all_ok=1
    fi
    printf '%-10s %-9s %-6s %s\n' "$c" "$state" "$("${c}_port")" "$version"
  done
  return $all_ok
}

cmd_env() {
  local c
  for c in "${COMPONENTS[@]}"; do "${c}_env"; done
  echo "SWITCHYARD_TEST_INFRA_SOURCE=deploy-local"
}

command=${1:-}
[ $# -gt 0 ] && shift
case $command in
  up | install | down | restart | status | reset)
    select_components "$@"
    "cmd_$command" "$@"
    ;;
  env) cmd_env ;;
  -h | --help | help) usage ;;
  *) usage 2 ;;
esac
