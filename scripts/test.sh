#!/usr/bin/env bash
# Every test, on a fresh machine: Node 24 + pnpm if missing, dependencies, lint, typecheck, then
# the three vitest projects one after another (unit; serial, the timed tests that must not share
# the CPU; integration). The integration project's global setup starts the real servers
# (PostgreSQL, pgvector, Redis, Kafka, Cassandra) through testcontainers where a Docker engine
# answers and through deploy/local where none does, and prints the version of each.
# Extra arguments go to every vitest run (e.g. a path filter).
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/setup-node.sh
echo "node $(node --version), pnpm $(pnpm --version)"

pnpm install --frozen-lockfile
pnpm lint
pnpm typecheck

report_dir=$(mktemp -d)
status=0
for project in unit serial integration; do
  echo "=== vitest project: $project"
  pnpm exec vitest run --project "$project" --passWithNoTests \
    --reporter=default --reporter=json --outputFile.json="$report_dir/$project.json" "$@" || status=1
done
node scripts/test-summary.ts "$report_dir"/*.json || status=1
exit "$status"
