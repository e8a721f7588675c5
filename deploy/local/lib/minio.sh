# shellcheck shell=bash
# minio: a single-drive MinIO (S3 API) built from the Go module proxy with `go install` into the
# cache (no download site is reachable, and no Debian package exists), with one bucket made at
# start. A cold build takes about 3 minutes on 2 cores, so scripts/test.sh starts it early in the
# background (`infra.sh install minio`); `up` then waits for that build instead of starting its own.

MINIO_HOME=$CACHE_DIR/minio-$MINIO_VERSION
MINIO_BIN=$MINIO_HOME/bin/minio
MINIO_DIR=$INFRA_HOME/minio
# Go's module and build caches live in the cache too: a warm machine neither downloads nor compiles.
GO_CACHE_DIR=$CACHE_DIR/go

minio_port() { echo "$MINIO_PORT"; }
minio_log() { echo "$MINIO_DIR/minio.log"; }

minio_go() {
  if command -v go >/dev/null 2>&1; then
    command -v go
  elif [ -x /usr/local/go/bin/go ]; then
    echo /usr/local/go/bin/go
  else
    die "minio: building MinIO needs Go ($MINIO_GO_MIN or newer) on PATH or in /usr/local/go"
  fi
}

# Builds once per version: a finished build is marked, and a marked one is never built again.
# Two builds never run at once: the second (usually `up` after test.sh's background build) waits
# on the build lock and then finds the mark.
minio_install() {
  apt_ensure curl
  [ -f "$MINIO_HOME/.complete" ] && return 0
  mkdir -p "$MINIO_HOME"
  exec 8>"$MINIO_HOME/.build-lock"
  if ! flock -n 8; then
    log minio "waiting for the MinIO build under way (log: $MINIO_HOME/build.log)"
    flock -w "$MINIO_BUILD_TIMEOUT" 8 || die "minio: the build under way did not end in ${MINIO_BUILD_TIMEOUT}s; see $MINIO_HOME/build.log"
  fi
  if [ ! -f "$MINIO_HOME/.complete" ]; then minio_build; fi
  exec 8>&-
}

minio_build() {
  local go t0=$SECONDS
  go=$(minio_go)
  log minio "building github.com/minio/minio@$MINIO_VERSION with $("$go" version | awk '{print $3}') (log: $MINIO_HOME/build.log)"
  mkdir -p "$GO_CACHE_DIR"
  # GOTOOLCHAIN=local: never fetch another Go; -modcacherw: the cache can be deleted with rm -rf.
  if ! env GOBIN="$MINIO_HOME/bin" GOMODCACHE="$GO_CACHE_DIR/pkg/mod" GOCACHE="$GO_CACHE_DIR/cache" \
    GOTOOLCHAIN=local GOFLAGS=-modcacherw \
    "$go" install "github.com/minio/minio@$MINIO_VERSION" >"$MINIO_HOME/build.log" 2>&1; then
    tail -n 20 "$MINIO_HOME/build.log" >&2
    die "minio: go install github.com/minio/minio@$MINIO_VERSION failed; see $MINIO_HOME/build.log"
  fi
  chmod -R a+rX "$MINIO_HOME"
  touch "$MINIO_HOME/.complete"
  log minio "built in $((SECONDS - t0))s"
}

minio_running() { pid_alive "$MINIO_DIR/minio.pid" "$MINIO_BIN"; }

minio_start() {
  ensure_owned_dir "$MINIO_DIR" "$MINIO_DIR/data"
  ensure_port_free minio "$MINIO_PORT"
  ensure_port_free minio "$MINIO_CONSOLE_PORT"
  # Credentials go through the environment (MinIO's own variables), not the command line.
  spawn_daemon "$MINIO_DIR" "$MINIO_DIR/minio.pid" "$MINIO_DIR/minio.log" \
    env MINIO_ROOT_USER="$MINIO_ROOT_USER" MINIO_ROOT_PASSWORD="$MINIO_ROOT_PASSWORD" \
    MINIO_REGION="$MINIO_REGION" MINIO_UPDATE=off \
    "$MINIO_BIN" server --quiet --address "127.0.0.1:$MINIO_PORT" \
    --console-address "127.0.0.1:$MINIO_CONSOLE_PORT" "$MINIO_DIR/data"
}

# A signed S3 request (curl's SigV4) with the root credentials: no mc, no SDK.
minio_s3() {
  curl -sS --max-time 5 --aws-sigv4 "aws:amz:$MINIO_REGION:s3" --user "$MINIO_ROOT_USER:$MINIO_ROOT_PASSWORD" "$@"
}

# Alive, and a signed ListBuckets succeeds (the credentials work). MinIO's API does not tell its
# version without the admin API, so it is the module version the binary carries (`go version -m`).
minio_healthy() {
  curl -sf --max-time 2 -o /dev/null "http://127.0.0.1:$MINIO_PORT/minio/health/live" || return 1
  minio_s3 -f -o /dev/null "http://127.0.0.1:$MINIO_PORT/" || return 1
  echo "MinIO $(minio_version)"
}

minio_version() {
  local go
  go=$(minio_go 2>/dev/null) && "$go" version -m "$MINIO_BIN" 2>/dev/null | awk '$1 == "mod" {print $3; exit}' ||
    echo "$MINIO_VERSION"
}

# The tests' bucket exists after `up` (a PUT of an existing bucket of ours answers 409).
minio_ready() {
  local code
  code=$(minio_s3 -o /dev/null -w '%{http_code}' -X PUT "http://127.0.0.1:$MINIO_PORT/$MINIO_BUCKET") || code=000
  [ "$code" = 200 ] || [ "$code" = 409 ] || die "minio: creating bucket $MINIO_BUCKET answered HTTP $code"
}

minio_stop() { stop_pid "$MINIO_DIR/minio.pid" 30; }
minio_data_dirs() { echo "$MINIO_DIR"; }

minio_env() {
  echo "SWITCHYARD_TEST_S3_ENDPOINT=http://127.0.0.1:$MINIO_PORT"
  echo "SWITCHYARD_TEST_S3_REGION=$MINIO_REGION"
  echo "SWITCHYARD_TEST_S3_ACCESS_KEY_ID=$MINIO_ROOT_USER"
  echo "SWITCHYARD_TEST_S3_SECRET_ACCESS_KEY=$MINIO_ROOT_PASSWORD"
  echo "SWITCHYARD_TEST_S3_BUCKET=$MINIO_BUCKET"
  echo "SWITCHYARD_TEST_S3_VERSION=MinIO $MINIO_VERSION"
}
