# shellcheck shell=bash
# postgres: PostgreSQL from Debian's package, a cluster of our own (not the package's 15/main).

POSTGRES_BIN=/usr/lib/postgresql/$POSTGRES_MAJOR/bin

postgres_port() { echo "$POSTGRES_PORT"; }
postgres_log() { echo "$INFRA_HOME/postgres/postgres.log"; }

postgres_install() {
  apt_ensure "postgresql-$POSTGRES_MAJOR" "postgresql-client-$POSTGRES_MAJOR"
}

postgres_running() { [ -x "$POSTGRES_BIN/postgres" ] && pg_running postgres "$POSTGRES_BIN"; }
postgres_start() { pg_start postgres "$POSTGRES_BIN" "$POSTGRES_PORT"; }
postgres_healthy() { pg_healthy postgres "$POSTGRES_BIN" "$POSTGRES_PORT"; }
postgres_ready() { pg_ensure_database "$POSTGRES_BIN" "$POSTGRES_PORT"; }
postgres_stop() { pg_stop postgres "$POSTGRES_BIN"; }
postgres_data_dirs() { echo "$INFRA_HOME/postgres"; }

postgres_env() {
  echo "SWITCHYARD_TEST_POSTGRES_URL=postgres://$PG_USER:$PG_PASSWORD@127.0.0.1:$POSTGRES_PORT/$PG_DATABASE"
}
