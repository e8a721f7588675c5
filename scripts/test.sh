#!/usr/bin/env bash
# Every test, on a fresh machine: Node 24 + pnpm if missing, dependencies, lint, typecheck, then
# the unit and integration suites. The integration suites' global setup starts the real servers
# (PostgreSQL, pgvector, Redis, Kafka, Cassandra) through testcontainers where a Docker engine
# answers and through deploy/local where none does, and prints the version of each.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/setup-node.sh
echo "node $(node --version), pnpm $(pnpm --version)"

pnpm install --frozen-lockfile
pnpm lint
pnpm typecheck

report_dir=$(mktemp -d)
status=0
pnpm exec vitest run --reporter=default --reporter=json --outputFile.json="$report_dir/report.json" "$@" || status=$?
node scripts/test-summary.ts "$report_dir/report.json" || status=1
exit "$status"
