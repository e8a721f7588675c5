#!/usr/bin/env bash
# Every test, on a fresh machine: Node 24 + pnpm if missing, dependencies, lint, typecheck, then
# the three vitest projects one after another (unit; serial, the timed tests that must not share
# the CPU; integration), then the deploy checks (scripts/deploy/checks.sh: the chart, the image,
# a real Kubernetes API server). The integration project's global setup starts the real servers
# (PostgreSQL, pgvector, Redis, Kafka, Cassandra, MinIO) through testcontainers where a Docker
# engine answers and through deploy/local where none does, and prints the version of each.
# Extra arguments go to every vitest run (e.g. a path filter).
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/setup-node.sh
echo "node $(node --version), pnpm $(pnpm --version)"

# A fresh machine builds MinIO from source (about 3 minutes): the build runs, niced, beside the
# install, lint, typecheck and unit tests, and is waited for before the timed serial tests. The
# integration setup's `infra.sh up` finds it built (or builds it itself if this one failed).
minio_pid=
minio_log=$(mktemp -t switchyard-minio-build.XXXXXX)
case ${SWITCHYARD_TEST_INFRA_SOURCE:-} in
  env | testcontainers) ;;
  *) nice -n 10 bash deploy/local/infra.sh install minio >"$minio_log" 2>&1 & minio_pid=$! ;;
esac

# The deploy checks' tools build from source too: niced in the background from here on, in their
# own process group, which is paused while the timed serial tests run: every tool the checks in
# scripts/deploy/checks/ use, 30-cluster's Kubernetes included (versions.env says how long each
# takes cold). SWITCHYARD_DEPLOY_CHECKS=skip leaves them out.
check_tools="kubeconform helm helm-unittest promtool kwok etcd kube-apiserver kube-controller-manager kube-scheduler kubectl istioctl"
tools_pid=
tools_log=$(mktemp -t switchyard-tools-build.XXXXXX)
if [ "${SWITCHYARD_DEPLOY_CHECKS:-}" != skip ]; then
  # shellcheck disable=SC2086 # the list splits into tool names
  setsid nice -n 10 bash scripts/deploy/tools.sh install $check_tools >"$tools_log" 2>&1 </dev/null & tools_pid=$!
fi
pause_tools() { [ -z "$tools_pid" ] || kill "-$1" -- "-$tools_pid" 2>/dev/null || true; }
trap 'pause_tools CONT' EXIT

pnpm install --frozen-lockfile
pnpm lint
pnpm typecheck

report_dir=$(mktemp -d)
status=0
for project in unit serial integration; do
  if [ "$project" = serial ] && [ -n "$minio_pid" ] && ! wait "$minio_pid"; then
    echo "=== the MinIO build failed (its output: $minio_log):" >&2
    tail -n 30 "$minio_log" >&2
    status=1
  fi
  echo "=== vitest project: $project"
  [ "$project" = serial ] && pause_tools STOP
  pnpm exec vitest run --project "$project" --passWithNoTests \
    --reporter=default --reporter=json --outputFile.json="$report_dir/$project.json" "$@" || status=1
  [ "$project" = serial ] && pause_tools CONT
done
if [ -n "$tools_pid" ]; then
  if ! wait "$tools_pid"; then
    echo "=== the deploy tools' build failed (its output: $tools_log):" >&2
    tail -n 30 "$tools_log" >&2
    status=1
  fi
  bash scripts/deploy/checks.sh || status=1
fi
node scripts/test-summary.ts "$report_dir"/*.json || status=1
exit "$status"
