#!/usr/bin/env bash
# The chart on a real Kubernetes API server with fake GPU nodes (scripts/deploy/cluster.sh):
# `helm install --wait` of the cpu-only and gpu scenarios (every object accepted by the API with
# strict field validation, CRD schemas and CEL rules; the migration hook Job run to completion;
# every Deployment available), the placement of every pod (GPU pods on a node of their pool with
# the GPUs they ask for, nothing else on GPU nodes), `helm upgrade` and `helm uninstall`; then a
# pool asking for more GPUs than any node has, installed as a release of its own that does not
# wait for its pods, stays Pending for want of GPUs; and the istio scenario installed beside a
# stand-in ingress gateway, then `istioctl analyze` of the live server, warnings failing it. The
# cluster is torn down at the end, also on failure (SWITCHYARD_KEEP_CLUSTER=1 keeps it to look at).
# About 2 minutes once the tools are built (scripts/deploy/tools.sh; cold, they take the longest).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")" && cd "$(git rev-parse --show-toplevel)"
. scripts/setup-node.sh >/dev/null

DEPLOY=scripts/deploy
CHART=${SWITCHYARD_CHART:-helm/switchyard}
helm=$(bash $DEPLOY/tools.sh path helm)
kubectl=${SWITCHYARD_KUBECTL:-$(bash $DEPLOY/tools.sh path kubectl)}
TIMEOUT=5m

work=$(mktemp -d)
# The check's exit status survives the teardown (an EXIT trap's own commands reset $?).
teardown() {
  local rc=$?
  rm -rf "$work"
  if [ "${SWITCHYARD_KEEP_CLUSTER:-}" = 1 ]; then
    echo "30-cluster: cluster kept ($(bash $DEPLOY/cluster.sh env)); cluster.sh down removes it" >&2
  else
    bash $DEPLOY/cluster.sh down || rc=1
  fi
  exit "$rc"
}
trap teardown EXIT

bash $DEPLOY/cluster.sh down # a cluster left from an interrupted run
bash $DEPLOY/cluster.sh up
export "$(bash $DEPLOY/cluster.sh env)"
k() { "$kubectl" "$@"; }

fail() {
  echo "30-cluster: $*" >&2
  exit 1
}

# Every object of the release's manifest exists on the server (kubectl get fails on a missing one).
assert_all_accepted() {
  local release=$1 ns=$2 expected got
  "$helm" get manifest "$release" -n "$ns" >"$work/manifest.yaml"
  expected=$(grep -c '^kind:' "$work/manifest.yaml")
  got=$(k get -n "$ns" -f "$work/manifest.yaml" -o name | wc -l)
  [ "$got" -eq "$expected" ] || fail "$release: $got of the manifest's $expected objects exist"
  echo "30-cluster: $release: all $got objects of the manifest exist on the server"
}

placement() {
  local ns=$1
  shift
  k get pods -n "$ns" -o json >"$work/pods.json"
  k get nodes -o json >"$work/nodes.json"
  node -e 'const [a,b]=process.argv.slice(1).map(f=>JSON.parse(require("fs").readFileSync(f,"utf8")));
    console.log(JSON.stringify({items:[...a.items.map(i=>({kind:"Pod",...i})),...b.items.map(i=>({kind:"Node",...i}))]}))' \
    "$work/pods.json" "$work/nodes.json" >"$work/placement.json"
  node $DEPLOY/placement.ts "$work/placement.json" "$@"
}

# The model pools' components that should have pods: Deployments and StatefulSets of vllm-* and
# ollama-* with replicas above zero (a KEDA pool idle at zero has none).
gpu_components() {
  k get deploy,statefulset -n "$1" \
    -o jsonpath='{range .items[?(@.spec.replicas>0)]}{.metadata.labels.app\.kubernetes\.io/component}{"\n"}{end}' |
    grep -E '^(vllm|ollama)-' | sort -u | paste -sd, - || true
}

# KEDA's part, which no operator plays here: while Helm waits, every ScaledObject's target is set
# to its minReplicaCount, as KEDA does for an idle pool (a Deployment it owns has no replicas in
# the chart, so the API defaults it to 1: a scale-to-zero pool would hold a GPU no other pod has).
keda_stand_in() {
  local ns=$1 i target min
  for ((i = 0; i < 300; i++)); do
    while read -r target min; do
      [ -n "$target" ] && k scale deploy "$target" -n "$ns" --replicas="$min" >/dev/null 2>&1 || true
    done < <(k get scaledobjects.keda.sh -n "$ns" \
      -o jsonpath='{range .items[*]}{.spec.scaleTargetRef.name} {.spec.minReplicaCount}{"\n"}{end}' 2>/dev/null)
    sleep 1
  done
}

# helm install/upgrade with --wait, KEDA's stand-in beside it.
helm_wait() {
  local ns=$1 keda rc=0
  shift
  keda_stand_in "$ns" &
  keda=$!
  # Its NOTES are not this check's business; errors go to stderr.
  "$helm" "$@" -n "$ns" --wait --timeout "$TIMEOUT" >/dev/null || rc=$?
  kill "$keda" 2>/dev/null || true
  wait "$keda" 2>/dev/null || true
  return "$rc"
}

# scenario NAME PSA-LEVEL: install, check, upgrade, check, uninstall one scenario in a namespace of
# its own that enforces that Pod Security level (switchyard's pods are `restricted`; vLLM's image
# runs as root, so a namespace with vLLM pools is `baseline`).
scenario() {
  local name=$1 psa=$2 ns=sy-$1 values=$CHART/ci/$1-values.yaml
  [ -f "$values" ] || fail "no scenario $values"
  k create namespace "$ns" >/dev/null
  k label namespace "$ns" "pod-security.kubernetes.io/enforce=$psa" >/dev/null
  echo "30-cluster: $name: helm install --wait (namespace enforcing Pod Security $psa)"
  helm_wait "$ns" install sy "$CHART" -f "$values"
  assert_all_accepted sy "$ns"
  placement "$ns" --gpu-components "$(gpu_components "$ns")"
  echo "30-cluster: $name: helm upgrade --wait (the pre-upgrade migration Job runs again)"
  helm_wait "$ns" upgrade sy "$CHART" -f "$values" --set-string 'podAnnotations.switchyard\.dev/upgraded=1'
  local revision
  revision=$("$helm" status sy -n "$ns" -o json | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s).version))')
  [ "$revision" = 2 ] || fail "$name: after the upgrade the release is at revision $revision, not 2"
  assert_all_accepted sy "$ns"
  placement "$ns" --gpu-components "$(gpu_components "$ns")"
  echo "30-cluster: $name: helm uninstall --wait"
  # What the chart marks `helm.sh/resource-policy: keep` (the model caches) must outlive it.
  local kept left
  kept=$("$helm" get manifest sy -n "$ns" | k get -n "$ns" -f - \
    -o jsonpath='{range .items[?(@.metadata.annotations.helm\.sh/resource-policy=="keep")]}{.kind}/{.metadata.name}{"\n"}{end}')
  "$helm" uninstall sy -n "$ns" --wait --timeout "$TIMEOUT" >/dev/null
  left=$(k get deploy,statefulset,job,svc,configmap,secret,hpa,pdb,networkpolicy -n "$ns" -l app.kubernetes.io/instance=sy -o name)
  [ -z "$left" ] || fail "$name: objects left after uninstall: $left"
  local object
  for object in $kept; do
    k get -n "$ns" "$object" >/dev/null || fail "$name: $object is marked keep but went with the uninstall"
  done
  echo "30-cluster: $name: uninstalled; kept as marked: $(echo "$kept" | grep -c . || true)"
}

# The istio scenario, analysed by istioctl on the live server. First what an operator applies once
# (istio/telemetry.yaml and sidecar.yaml) and a stand-in for the ingress gateway's pods and Service
# (without it the Gateway's selector matches nothing: IST0101); then the chart, in a namespace
# labelled for sidecar injection as istio/README.md says.
istio_scenario() {
  local ns=sy-istio istioctl
  istioctl=$(bash $DEPLOY/tools.sh path istioctl)
  k create namespace istio-system >/dev/null
  k create namespace istio-ingress >/dev/null
  k apply --server-side -f istio/telemetry.yaml -f istio/sidecar.yaml -f $DEPLOY/cluster/istio-ingressgateway.yaml >/dev/null
  k create namespace "$ns" >/dev/null
  k label namespace "$ns" pod-security.kubernetes.io/enforce=restricted istio-injection=enabled >/dev/null
  echo "30-cluster: istio: helm install --wait, then istioctl analyze of every namespace on the server"
  helm_wait "$ns" install sy "$CHART" -f "$CHART/ci/istio-values.yaml"
  assert_all_accepted sy "$ns"
  # Warnings fail too. Suppressed: IST0103, each pod without its proxy (no istiod runs here to
  # inject one), and IST0133 on the root Sidecar, whose `./*` the schema check reads as
  # istio-system (a duplicate of `istio-system/*`) while istiod reads it as each pod's namespace.
  "$istioctl" analyze --kubeconfig "$KUBECONFIG" -A --failure-threshold Warning --output-threshold Warning \
    --suppress "IST0103=Pod $ns/*" --suppress 'IST0133=Sidecar istio-system/default' ||
    fail "istio: istioctl analyze found problems on the live server"
  "$helm" uninstall sy -n "$ns" --wait --timeout "$TIMEOUT" >/dev/null
}

scenario cpu-only restricted
scenario gpu baseline
istio_scenario

echo "30-cluster: a pool asking for more GPUs than any node has"
too_many=$(($(k get nodes -o jsonpath='{range .items[*]}{.status.allocatable.nvidia\.com/gpu}{"\n"}{end}' | sort -n | tail -1) + 1))
k create namespace sy-overask >/dev/null
# Its own release on the cpu-only scenario, so its pool is the only one asking for GPUs; Helm waits
# for the hooks only (the migration Job), since the point is a pod that never becomes ready.
"$helm" install overask "$CHART" -n sy-overask -f "$CHART/ci/cpu-only-values.yaml" -f $DEPLOY/cluster/overask-values.yaml \
  --set "modelPools.vllm.overask.gpus=$too_many" --wait=hookOnly --timeout "$TIMEOUT" >/dev/null
# Everything else of the release is scheduled and available; only the pool waits.
k wait -n sy-overask deploy -l 'app.kubernetes.io/component!=vllm-overask' --for=condition=Available --timeout="$TIMEOUT" >/dev/null
# The scheduler's verdict comes within seconds; wait for it instead of a fixed time.
for _ in $(seq 60); do
  k get pods -n sy-overask -l app.kubernetes.io/component=vllm-overask \
    -o jsonpath='{.items[*].status.conditions[?(@.type=="PodScheduled")].reason}' | grep -q Unschedulable && break
  sleep 1
done
placement sy-overask --pending vllm-overask
"$helm" uninstall overask -n sy-overask --wait --timeout "$TIMEOUT" >/dev/null

echo "30-cluster: passed"
