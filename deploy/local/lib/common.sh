# shellcheck shell=bash
# Helpers shared by the component files: logging, the user servers run as, package installs,
# Java and Maven, ports, pid files and waiting. Sourced by infra.sh after versions.env.

INFRA_HOME=${SWITCHYARD_INFRA_HOME:-/var/lib/switchyard/infra}
CACHE_DIR=${SWITCHYARD_CACHE:-/var/cache/switchyard}

log() { printf '[%s] %s\n' "$1" "${*:2}" >&2; }
die() {
  printf 'infra: %s\n' "$*" >&2
  exit 1
}

is_root() { [ "$(id -u)" = 0 ]; }

# PostgreSQL refuses to run as root, and none of these servers needs root: as root we run them
# all as a system user of their own; as anyone else, as that user.
if is_root; then RUN_USER=switchyard; else RUN_USER=$(id -un); fi

ensure_run_user() {
  is_root || return 0
  id "$RUN_USER" >/dev/null 2>&1 && return 0
  useradd --system --user-group --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin "$RUN_USER"
}

# Runs a command as RUN_USER in directory $1 (also its HOME: the servers' users have none).
# Closes fd 9 (the infra lock) so that daemons started here do not hold it after we exit.
as_run_user() {
  local home=$1
  shift
  (
    cd "$home" || exit 1
    if is_root; then
      exec env HOME="$home" setpriv --reuid="$RUN_USER" --regid="$RUN_USER" --init-groups -- "$@" 9>&-
    else
      exec env HOME="$home" "$@" 9>&-
    fi
  )
}

# Starts a long-running server as RUN_USER in directory $1, detached (its own session: it
# outlives this script and the test run that called it), output to $3. The shell writes its own
# pid to $2 and then becomes the server, so $2 holds the server's pid. Returns at once.
spawn_daemon() {
  local home=$1 pidfile=$2 logfile=$3
  shift 3
  rm -f "$pidfile"
  # The async subshell execs the server: no shell lingers holding fd 9 (the infra lock).
  # shellcheck disable=SC2016 # $$, $0 and $@ belong to the inner shell
  (
    cd "$home" || exit 1
    if is_root; then
      exec env HOME="$home" setpriv --reuid="$RUN_USER" --regid="$RUN_USER" --init-groups -- \
        setsid bash -c 'echo $$ >"$0"; exec "$@"' "$pidfile" "$@"
    else
      exec env HOME="$home" setsid bash -c 'echo $$ >"$0"; exec "$@"' "$pidfile" "$@"
    fi
  ) >"$logfile" 2>&1 </dev/null 9>&- &
  local i
  for ((i = 0; i < 50; i++)); do
    [ -s "$pidfile" ] && return 0
    sleep 0.1
  done
}

# A directory the servers write to: created, and owned by RUN_USER.
ensure_owned_dir() {
  mkdir -p "$@"
  if is_root; then chown "$RUN_USER:" "$@"; fi
}

# Installs the Debian packages that are missing. Services are kept from starting during the
# install (policy-rc.d): the packaged redis-server or PostgreSQL cluster would take our ports.
apt_ensure() {
  local missing=() pkg
  for pkg in "$@"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing+=("$pkg")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  local sudo=()
  if ! is_root; then
    command -v sudo >/dev/null 2>&1 || die "missing Debian packages: ${missing[*]} (install them as root)"
    sudo=(sudo -n)
  fi
  log apt "installing ${missing[*]}"
  local policy=/usr/sbin/policy-rc.d made_policy=
  if [ ! -e $policy ]; then
    printf '#!/bin/sh\nexit 101\n' | "${sudo[@]}" tee $policy >/dev/null
    "${sudo[@]}" chmod 755 $policy
    made_policy=1
  fi
  local rc=0
  {
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq &&
      "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
  } >"$INFRA_HOME/apt.log" 2>&1 || rc=$?
  if [ -n "$made_policy" ]; then "${sudo[@]}" rm -f $policy; fi
  [ $rc -eq 0 ] || die "apt-get install ${missing[*]} failed; see $INFRA_HOME/apt.log"
}

# Java (a JDK: the health checks are single-file Java programs, compiled once) for Kafka and
# Cassandra. SWITCHYARD_JAVA_HOME overrides; otherwise Debian's OpenJDK of JAVA_MAJOR.
JAVA_HOME=${SWITCHYARD_JAVA_HOME:-/usr/lib/jvm/java-$JAVA_MAJOR-openjdk-amd64}
JAVA=$JAVA_HOME/bin/java

ensure_java() {
  [ -x "$JAVA_HOME/bin/javac" ] && return 0
  [ -n "${SWITCHYARD_JAVA_HOME:-}" ] && die "SWITCHYARD_JAVA_HOME=$JAVA_HOME has no bin/javac"
  apt_ensure "openjdk-$JAVA_MAJOR-jdk-headless"
}

# Resolves Maven artifacts and their runtime dependencies into $1/libs, once: a complete libs
# folder is marked, and a marked one is never fetched again. $2 is the <dependency> elements.
maven_fetch() {
  local dest=$1 deps=$2
  [ -f "$dest/.complete" ] && return 0
  command -v mvn >/dev/null 2>&1 || apt_ensure maven
  log maven "resolving into $dest"
  rm -rf "$dest"
  mkdir -p "$dest"
  cat >"$dest/pom.xml" <<EOF
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>switchyard.local</groupId>
  <artifactId>$(basename "$dest")</artifactId>
  <version>1</version>
  <packaging>pom</packaging>
  <dependencies>
$deps
  </dependencies>
  <build>
    <plugins>
      <plugin>
        <groupId>org.apache.maven.plugins</groupId>
        <artifactId>maven-dependency-plugin</artifactId>
        <version>$MAVEN_DEPENDENCY_PLUGIN_VERSION</version>
      </plugin>
    </plugins>
  </build>
</project>
EOF
  (cd "$dest" && mvn -B -q -Dmaven.repo.local="$CACHE_DIR/m2" dependency:copy-dependencies \
    -DincludeScope=runtime -DoutputDirectory="$dest/libs") >"$dest/mvn.log" 2>&1 ||
    die "Maven could not resolve $(basename "$dest"); see $dest/mvn.log"
  chmod -R a+rX "$dest"
  touch "$dest/.complete"
}

# Compiles a health check from deploy/local/checks into $2 when the source is newer, and runs
# it with classpath $3 (its own logging config quiets the client library).
java_check() {
  local name=$1 classes=$2 classpath=$3
  shift 3
  local src="$INFRA_DIR/checks/$name.java"
  if [ ! -f "$classes/$name.class" ] || [ "$src" -nt "$classes/$name.class" ]; then
    mkdir -p "$classes"
    "$JAVA_HOME/bin/javac" -nowarn -d "$classes" -cp "$classpath" "$src" >&2 || return 1
  fi
  "$JAVA" -Xmx128m -XX:TieredStopAtLevel=1 -Dlog4j.configuration="file:$INFRA_DIR/checks/log4j.properties" \
    -Dlogback.configurationFile="$INFRA_DIR/checks/logback.xml" -cp "$classes:$classpath" "$name" "$@"
}

port_open() { timeout 2 bash -c "exec 3<>/dev/tcp/127.0.0.1/$1" 2>/dev/null; }

# Fails with the owner's name when a port we are about to listen on is taken by someone else.
ensure_port_free() {
  local component=$1 port=$2
  port_open "$port" || return 0
  die "$component: port $port is already in use: $(ss -ltnpH "sport = :$port" 2>/dev/null | head -1). Stop that process or change the port in deploy/local/versions.env."
}

# pid_alive FILE [WORD]: the process whose pid is FILE's first line runs and its command line
# contains WORD.
pid_alive() {
  local file=$1 word=${2:-} pid
  [ -f "$file" ] || return 1
  pid=$(head -n 1 "$file" 2>/dev/null) || return 1
  [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || return 1
  # A killed server whose parent is an init that reaps late lingers as a zombie: not running.
  [ "$(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null)" != Z ] || return 1
  [ -z "$word" ] || tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q -- "$word"
}

# Sends SIGTERM to the process in FILE and waits up to $2 seconds before SIGKILL.
stop_pid() {
  local file=$1 grace=$2 pid i
  pid=$(cat "$file")
  kill -TERM "$pid" 2>/dev/null || true
  for ((i = 0; i < grace * 5; i++)); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.2
  done
  if kill -0 "$pid" 2>/dev/null; then
    log "$(basename "$(dirname "$file")")" "did not stop in ${grace}s; killing $pid"
    kill -KILL "$pid" 2>/dev/null || true
    sleep 0.5
  fi
  rm -f "$file"
}

# shellcheck disable=SC2034 # HEALTH_OUT is read by infra.sh
# wait_healthy COMPONENT TIMEOUT LOGFILE: polls COMPONENT_healthy until it succeeds (its output,
# the version, is kept in HEALTH_OUT) or TIMEOUT seconds pass; then shows the log's tail.
wait_healthy() {
  local c=$1 timeout=$2 logfile=$3 start=$SECONDS
  while ((SECONDS - start < timeout)); do
    if ! "${c}_running"; then
      log "$c" "exited while starting; last lines of $logfile:"
      tail -n 30 "$logfile" >&2 2>/dev/null || true
      return 1
    fi
    if HEALTH_OUT=$("${c}_healthy" 2>/dev/null); then return 0; fi
    sleep 1
  done
  log "$c" "not answering after ${timeout}s; last lines of $logfile:"
  tail -n 30 "$logfile" >&2 2>/dev/null || true
  return 1
}
