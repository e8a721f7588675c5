# shellcheck shell=bash
# cassandra: a single Cassandra node from Maven Central's jars (cassandra-all), started through
# its main class: no tarball, no bin/cassandra (which refuses root; the daemon itself does not,
# but we run it as RUN_USER like everything else).

CASSANDRA_HOME=$CACHE_DIR/cassandra-$CASSANDRA_VERSION
CASSANDRA_DIR=$INFRA_HOME/cassandra

cassandra_port() { echo "$CASSANDRA_PORT"; }
cassandra_log() { echo "$CASSANDRA_DIR/logs/system.log"; }

cassandra_install() {
  ensure_java
  maven_fetch "$CASSANDRA_HOME" "
    <dependency><groupId>org.apache.cassandra</groupId><artifactId>cassandra-all</artifactId><version>$CASSANDRA_VERSION</version></dependency>"
}

cassandra_running() { pid_alive "$CASSANDRA_DIR/cassandra.pid" CassandraDaemon; }

cassandra_write_config() {
  cat >"$CASSANDRA_DIR/cassandra.yaml" <<CONF
# Written by deploy/local/lib/cassandra.sh at every start; edit that file instead.
cluster_name: switchyard
# One node: one token at 0, so no token allocation (which waits out the 30 s ring delay).
num_tokens: 1
initial_token: 0
partitioner: org.apache.cassandra.dht.Murmur3Partitioner
# SimpleSnitch puts the node in datacenter1, rack1.
endpoint_snitch: SimpleSnitch
seed_provider:
  - class_name: org.apache.cassandra.locator.SimpleSeedProvider
    parameters:
      - seeds: "127.0.0.1:$CASSANDRA_STORAGE_PORT"
listen_address: 127.0.0.1
rpc_address: 127.0.0.1
storage_port: $CASSANDRA_STORAGE_PORT
native_transport_port: $CASSANDRA_PORT
start_native_transport: true
data_file_directories:
  - $CASSANDRA_DIR/data
commitlog_directory: $CASSANDRA_DIR/commitlog
saved_caches_directory: $CASSANDRA_DIR/saved_caches
hints_directory: $CASSANDRA_DIR/hints
cdc_raw_directory: $CASSANDRA_DIR/cdc_raw
commitlog_sync: periodic
commitlog_sync_period: 10000ms
authenticator: AllowAllAuthenticator
authorizer: AllowAllAuthorizer
# Tests drop and truncate often: no snapshot each time.
auto_snapshot: false
# Small caches and memtables for a 1 GiB heap on a shared machine.
key_cache_size: 16MiB
counter_cache_size: 8MiB
memtable_heap_space: 128MiB
memtable_offheap_space: 128MiB
concurrent_reads: 8
concurrent_writes: 8
concurrent_counter_writes: 8
CONF
  cat >"$CASSANDRA_DIR/logback.xml" <<'CONF'
<configuration scan="false">
  <appender name="FILE" class="ch.qos.logback.core.rolling.RollingFileAppender">
    <file>${cassandra.logdir}/system.log</file>
    <rollingPolicy class="ch.qos.logback.core.rolling.SizeAndTimeBasedRollingPolicy">
      <fileNamePattern>${cassandra.logdir}/system.log.%d{yyyy-MM-dd}.%i.zip</fileNamePattern>
      <maxFileSize>20MB</maxFileSize>
      <maxHistory>3</maxHistory>
      <totalSizeCap>100MB</totalSizeCap>
    </rollingPolicy>
    <encoder><pattern>%-5level [%thread] %date{ISO8601} %F:%L - %msg%n</pattern></encoder>
  </appender>
  <root level="INFO"><appender-ref ref="FILE"/></root>
</configuration>
CONF
}

# The JPMS flags of Cassandra's conf/jvm17-server.options. Tried here on OpenJDK 17 with none:
# startup fails until java.base/sun.nio.ch, jdk.internal.ref and java.io are opened (FileUtils'
# buffer cleaner, FileDescriptor.fd); the rest serve paths a cold start does not take (JMX,
# jamm's object sizing, Chronicle for the audit/full-query log, UDF compilation), so we keep the
# upstream list whole rather than find those one failure at a time in production-like use.
CASSANDRA_JPMS_FLAGS=(
  -Djdk.attach.allowAttachSelf=true
  --add-exports java.base/jdk.internal.misc=ALL-UNNAMED
  --add-exports java.management.rmi/com.sun.jmx.remote.internal.rmi=ALL-UNNAMED
  --add-exports java.rmi/sun.rmi.registry=ALL-UNNAMED
  --add-exports java.rmi/sun.rmi.server=ALL-UNNAMED
  --add-exports java.sql/java.sql=ALL-UNNAMED
  --add-exports java.base/java.lang.ref=ALL-UNNAMED
  --add-exports jdk.unsupported/sun.misc=ALL-UNNAMED
  --add-exports jdk.compiler/com.sun.tools.javac.file=ALL-UNNAMED
  --add-exports jdk.attach/sun.tools.attach=ALL-UNNAMED
  --add-opens java.base/java.lang.module=ALL-UNNAMED
  --add-opens java.base/jdk.internal.loader=ALL-UNNAMED
  --add-opens java.base/jdk.internal.ref=ALL-UNNAMED
  --add-opens java.base/jdk.internal.reflect=ALL-UNNAMED
  --add-opens java.base/jdk.internal.math=ALL-UNNAMED
  --add-opens java.base/jdk.internal.module=ALL-UNNAMED
  --add-opens java.base/jdk.internal.util.jar=ALL-UNNAMED
  --add-opens jdk.management/com.sun.management.internal=ALL-UNNAMED
  --add-opens java.base/sun.nio.ch=ALL-UNNAMED
  --add-opens java.base/java.io=ALL-UNNAMED
  --add-opens java.base/java.lang.reflect=ALL-UNNAMED
  --add-opens jdk.compiler/com.sun.tools.javac=ALL-UNNAMED
  --add-opens java.base/java.lang=ALL-UNNAMED
  --add-opens java.base/java.util=ALL-UNNAMED
)

cassandra_start() {
  ensure_owned_dir "$CASSANDRA_DIR" "$CASSANDRA_DIR"/{data,commitlog,saved_caches,hints,cdc_raw,logs}
  ensure_port_free cassandra "$CASSANDRA_PORT"
  ensure_port_free cassandra "$CASSANDRA_STORAGE_PORT"
  cassandra_write_config
  local jamm=("$CASSANDRA_HOME"/libs/jamm-*.jar)
  spawn_daemon "$CASSANDRA_DIR" "$CASSANDRA_DIR/cassandra.pid" "$CASSANDRA_DIR/logs/stdout.log" \
    "$JAVA" "-Xms$CASSANDRA_HEAP" "-Xmx$CASSANDRA_HEAP" -XX:+UseG1GC -XX:+ParallelRefProcEnabled \
    -XX:MaxGCPauseMillis=300 -XX:+ExitOnOutOfMemoryError -XX:+PerfDisableSharedMem -ea -da:net.openhft... \
    -Djava.net.preferIPv4Stack=true -Dio.netty.tryReflectionSetAccessible=true \
    -Dio.netty.allocator.useCacheForAllThreads=true -Dio.netty.allocator.maxOrder=11 \
    "${CASSANDRA_JPMS_FLAGS[@]}" "-javaagent:${jamm[0]}" \
    -Dcassandra.config="file://$CASSANDRA_DIR/cassandra.yaml" -Dcassandra.storagedir="$CASSANDRA_DIR" \
    -Dcassandra.logdir="$CASSANDRA_DIR/logs" -Dlogback.configurationFile="file://$CASSANDRA_DIR/logback.xml" \
    -Dcassandra-foreground=yes -Dcassandra.skip_wait_for_gossip_to_settle=0 \
    -cp "$CASSANDRA_HOME/libs/*" org.apache.cassandra.service.CassandraDaemon
}

# The node answers CQL; prints its release_version and data center from system.local.
cassandra_healthy() {
  port_open "$CASSANDRA_PORT" || return 1
  local out
  out=$(java_check CqlCheck "$CASSANDRA_DIR/check-classes" "$CASSANDRA_HOME/libs/*" 127.0.0.1 "$CASSANDRA_PORT") || return 1
  echo "Cassandra ${out% *} (dc ${out#* })"
}

cassandra_ready() { :; }
# SIGTERM runs Cassandra's shutdown hook, which drains (flushes memtables) before exiting.
cassandra_stop() { stop_pid "$CASSANDRA_DIR/cassandra.pid" 90; }
cassandra_data_dirs() { echo "$CASSANDRA_DIR"; }

cassandra_env() {
  echo "SWITCHYARD_TEST_CASSANDRA_CONTACT_POINTS=127.0.0.1:$CASSANDRA_PORT"
  # shellcheck disable=SC2153 # set in versions.env
  echo "SWITCHYARD_TEST_CASSANDRA_DC=$CASSANDRA_DC"
}
