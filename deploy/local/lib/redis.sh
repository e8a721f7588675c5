# shellcheck shell=bash
# redis: Debian's redis-server with a config, data and log of our own (not /etc/redis).

REDIS_DIR=$INFRA_HOME/redis

redis_port() { echo "$REDIS_PORT"; }
redis_log() { echo "$REDIS_DIR/redis.log"; }

redis_install() { apt_ensure "$REDIS_DEB_PACKAGE" redis-tools; }

redis_running() { pid_alive "$REDIS_DIR/redis.pid" redis-server; }

redis_start() {
  ensure_owned_dir "$REDIS_DIR" "$REDIS_DIR/data"
  ensure_port_free redis "$REDIS_PORT"
  cat >"$REDIS_DIR/redis.conf" <<CONF
# Written by deploy/local/lib/redis.sh at every start; edit that file instead.
bind 127.0.0.1
port $REDIS_PORT
daemonize yes
pidfile $REDIS_DIR/redis.pid
logfile $REDIS_DIR/redis.log
dir $REDIS_DIR/data
save 60 1000
appendonly no
CONF
  as_run_user "$REDIS_DIR" redis-server "$REDIS_DIR/redis.conf" || die "redis: redis-server did not start; see $REDIS_DIR/redis.log"
}

redis_healthy() {
  [ "$(redis-cli -h 127.0.0.1 -p "$REDIS_PORT" ping 2>/dev/null)" = PONG ] || return 1
  redis-cli -h 127.0.0.1 -p "$REDIS_PORT" info server | tr -d '\r' | awk -F: '$1 == "redis_version" {print "Redis " $2}'
}

redis_ready() { :; }
redis_stop() { stop_pid "$REDIS_DIR/redis.pid" 30; }
redis_data_dirs() { echo "$REDIS_DIR"; }

redis_env() { echo "SWITCHYARD_TEST_REDIS_URL=redis://127.0.0.1:$REDIS_PORT"; }
