# shellcheck shell=bash
# kafka: a single KRaft node (broker and controller in one process) from Maven Central's jars.

KAFKA_HOME=$CACHE_DIR/kafka-$KAFKA_VERSION
KAFKA_DIR=$INFRA_HOME/kafka

kafka_port() { echo "$KAFKA_PORT"; }
kafka_log() { echo "$KAFKA_DIR/logs/server.log"; }

kafka_install() {
  ensure_java
  maven_fetch "$KAFKA_HOME" "
    <dependency><groupId>org.apache.kafka</groupId><artifactId>kafka_$KAFKA_SCALA_VERSION</artifactId><version>$KAFKA_VERSION</version></dependency>
    <dependency><groupId>ch.qos.reload4j</groupId><artifactId>reload4j</artifactId><version>$RELOAD4J_VERSION</version></dependency>
    <dependency><groupId>org.slf4j</groupId><artifactId>slf4j-reload4j</artifactId><version>$SLF4J_VERSION</version></dependency>"
}

kafka_running() { pid_alive "$KAFKA_DIR/kafka.pid" kafka.Kafka; }


kafka_write_config() {
  cat >"$KAFKA_DIR/server.properties" <<CONF
# Written by deploy/local/lib/kafka.sh at every start; edit that file instead.
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:$KAFKA_CONTROLLER_PORT
listeners=PLAINTEXT://127.0.0.1:$KAFKA_PORT,CONTROLLER://127.0.0.1:$KAFKA_CONTROLLER_PORT
advertised.listeners=PLAINTEXT://127.0.0.1:$KAFKA_PORT
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT
log.dirs=$KAFKA_DIR/data
num.partitions=1
auto.create.topics.enable=true
offsets.topic.replication.factor=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
# Tests create a consumer group per run: no 3 s wait before the first rebalance.
group.initial.rebalance.delay.ms=0
log.retention.hours=24
CONF
  cat >"$KAFKA_DIR/log4j.properties" <<CONF
log4j.rootLogger=INFO, file
log4j.appender.file=org.apache.log4j.RollingFileAppender
log4j.appender.file.File=\${kafka.logs.dir}/server.log
log4j.appender.file.MaxFileSize=20MB
log4j.appender.file.MaxBackupIndex=3
log4j.appender.file.layout=org.apache.log4j.PatternLayout
log4j.appender.file.layout.ConversionPattern=[%d] %p %m (%c)%n
log4j.logger.kafka.request.logger=WARN
log4j.logger.state.change.logger=WARN
log4j.logger.kafka.controller=INFO
log4j.logger.kafka.log.LogCleaner=WARN
CONF
}

kafka_start() {
  ensure_owned_dir "$KAFKA_DIR" "$KAFKA_DIR/data" "$KAFKA_DIR/logs"
  ensure_port_free kafka "$KAFKA_PORT"
  ensure_port_free kafka "$KAFKA_CONTROLLER_PORT"
  kafka_write_config
  # KRaft storage is formatted once, with a cluster id kept beside it.
  if [ ! -f "$KAFKA_DIR/data/meta.properties" ]; then
    [ -s "$KAFKA_DIR/cluster-id" ] || "$JAVA" -cp "$KAFKA_HOME/libs/*" \
      -Dlog4j.configuration="file:$INFRA_DIR/checks/log4j.properties" kafka.tools.StorageTool random-uuid >"$KAFKA_DIR/cluster-id"
    as_run_user "$KAFKA_DIR" "$JAVA" -cp "$KAFKA_HOME/libs/*" -Dlog4j.configuration="file:$KAFKA_DIR/log4j.properties" \
      -Dkafka.logs.dir="$KAFKA_DIR/logs" kafka.tools.StorageTool format --ignore-formatted \
      -t "$(cat "$KAFKA_DIR/cluster-id")" -c "$KAFKA_DIR/server.properties" >"$KAFKA_DIR/logs/format.log" 2>&1 ||
      die "kafka: formatting the storage failed; see $KAFKA_DIR/logs/format.log"
  fi
  spawn_daemon "$KAFKA_DIR" "$KAFKA_DIR/kafka.pid" "$KAFKA_DIR/logs/stdout.log" \
    "$JAVA" "-Xms$KAFKA_HEAP" "-Xmx$KAFKA_HEAP" -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -XX:+ExitOnOutOfMemoryError \
    -Djava.awt.headless=true -Dlog4j.configuration="file:$KAFKA_DIR/log4j.properties" \
    -Dkafka.logs.dir="$KAFKA_DIR/logs" -cp "$KAFKA_HOME/libs/*" kafka.Kafka "$KAFKA_DIR/server.properties"
}

# The broker answers DescribeCluster; its version is the one it logged when it started (the
# protocol does not carry it).
kafka_healthy() {
  port_open "$KAFKA_PORT" || return 1
  java_check KafkaCheck "$KAFKA_DIR/check-classes" "$KAFKA_HOME/libs/*" "127.0.0.1:$KAFKA_PORT" >/dev/null || return 1
  local version
  version=$(grep -h 'Kafka version:' "$KAFKA_DIR/logs/server.log" 2>/dev/null | tail -1 | sed -E 's/.*Kafka version: ([^ ]+).*/\1/')
  echo "Kafka ${version:-unknown} (KRaft)"
}

kafka_ready() { :; }
kafka_stop() { stop_pid "$KAFKA_DIR/kafka.pid" 60; }
kafka_data_dirs() { echo "$KAFKA_DIR"; }

kafka_env() {
  echo "SWITCHYARD_TEST_KAFKA_BROKERS=127.0.0.1:$KAFKA_PORT"
  echo "SWITCHYARD_TEST_KAFKA_VERSION=$KAFKA_VERSION"
}
