#!/usr/bin/env bash
# The deploy checks: every scripts/deploy/checks/*.sh in name order (10-chart, 15-observability,
# 20-image, 30-cluster, ...), each run to its end even when an earlier one failed; exits non-zero
# if any did. Each check finds its tools with `tools.sh path <name>`, which builds a missing one
# (or waits for the build scripts/test.sh started in the background).
#
#   checks.sh [name...]   only the checks whose file name contains one of the names
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."

failed=()
ran=0
for check in scripts/deploy/checks/*.sh; do
  [ -e "$check" ] || continue
  if [ $# -gt 0 ]; then
    match=
    for name in "$@"; do [[ $(basename "$check") == *"$name"* ]] && match=1; done
    [ -n "$match" ] || continue
  fi
  echo "=== deploy check: $(basename "$check")"
  t0=$SECONDS
  if bash "$check"; then
    echo "=== deploy check $(basename "$check"): passed in $((SECONDS - t0))s"
  else
    echo "=== deploy check $(basename "$check"): FAILED after $((SECONDS - t0))s" >&2
    failed+=("$(basename "$check")")
  fi
  ran=$((ran + 1))
done
if [ ${#failed[@]} -gt 0 ]; then
  echo "=== deploy checks: ${#failed[@]} of $ran failed: ${failed[*]}" >&2
  exit 1
fi
echo "=== deploy checks: $ran passed"
