#!/usr/bin/env bash
# A real Kubernetes control plane on loopback with fake nodes, for the deploy checks: etcd,
# kube-apiserver, kube-controller-manager and kube-scheduler (built by tools.sh), and kwok, which
# plays the kubelets of a CPU pool and two GPU pools (taints, labels, `nvidia.com/gpu` capacity)
# and the volume provisioner. Containers never run; everything the API, the controllers and the
# scheduler decide is real. The CRDs the chart's objects need are applied server-side, and the
# `nvidia` RuntimeClass a GPU cluster has.
#
#   cluster.sh up      build what is missing, start, wait until the nodes are Ready
#   cluster.sh down    stop everything and delete the cluster's state
#   cluster.sh env     KUBECONFIG=... (eval it, or pass --kubeconfig)
#   cluster.sh status  each process, running or not
#
# State and logs: $SWITCHYARD_KUBE_HOME (/var/lib/switchyard/kube). Ports: cluster.env. CRDs:
# $SWITCHYARD_CRD_MANIFESTS, by default deploy/schemas/crd-manifests.
set -euo pipefail

DEPLOY_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_DIR=$(cd "$DEPLOY_DIR/../.." && pwd)
# deploy/local's helpers: daemons run as its user, pid files, ports, logging.
# shellcheck source=../../deploy/local/versions.env
. "$REPO_DIR/deploy/local/versions.env"
# shellcheck source=../../deploy/local/lib/common.sh
. "$REPO_DIR/deploy/local/lib/common.sh"
# shellcheck source=cluster.env
. "$DEPLOY_DIR/cluster.env"

KUBE_HOME=${SWITCHYARD_KUBE_HOME:-$(dirname "$INFRA_HOME")/kube}
PKI=$KUBE_HOME/pki
KUBECONFIG_FILE=$KUBE_HOME/kubeconfig
PROCESSES=(etcd kube-apiserver kube-controller-manager kube-scheduler kwok)

usage() {
  sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//'
  exit "${1:-0}"
}

tool() { bash "$DEPLOY_DIR/tools.sh" path "$1"; }
# SWITCHYARD_KUBECTL: a kubectl of your own instead of the one tools.sh builds.
kubectl_bin() { if [ -n "${SWITCHYARD_KUBECTL:-}" ]; then echo "$SWITCHYARD_KUBECTL"; else tool kubectl; fi; }
kubectl_() { "$(kubectl_bin)" --kubeconfig "$KUBECONFIG_FILE" "$@"; }

crd_manifests() {
  local d=${SWITCHYARD_CRD_MANIFESTS:-$REPO_DIR/deploy/schemas/crd-manifests}
  [ -d "$d" ] || die "no CRD manifests at $d (set SWITCHYARD_CRD_MANIFESTS)"
  echo "$d"
}

# A CA, the API server's certificate (loopback and the in-cluster names), the service-account
# signing key, and an admin token in a static token file: enough for RBAC and real clients.
make_pki() {
  [ -f "$PKI/.complete" ] && return 0
  mkdir -p "$PKI"
  local ec=(-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes)
  openssl req -x509 "${ec[@]}" -days 3650 -subj /CN=switchyard-test-ca \
    -keyout "$PKI/ca.key" -out "$PKI/ca.crt" 2>/dev/null
  openssl req "${ec[@]}" -subj /CN=kube-apiserver -keyout "$PKI/apiserver.key" -out "$PKI/apiserver.csr" 2>/dev/null
  printf 'subjectAltName=IP:127.0.0.1,IP:%s,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local\nextendedKeyUsage=serverAuth\n' \
    "$KUBE_SERVICE_IP" >"$PKI/apiserver.ext"
  openssl x509 -req -in "$PKI/apiserver.csr" -CA "$PKI/ca.crt" -CAkey "$PKI/ca.key" -CAcreateserial \
    -days 3650 -extfile "$PKI/apiserver.ext" -out "$PKI/apiserver.crt" 2>/dev/null
  openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$PKI/sa.key" 2>/dev/null
  openssl pkey -in "$PKI/sa.key" -pubout -out "$PKI/sa.pub"
  local token
  token=$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')
  echo "$token,switchyard-admin,switchyard-admin,system:masters" >"$PKI/tokens.csv"
  cat >"$KUBECONFIG_FILE" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: switchyard-test
  cluster:
    server: https://127.0.0.1:$KUBE_APISERVER_PORT
    certificate-authority: $PKI/ca.crt
users:
- name: switchyard-admin
  user:
    token: $token
contexts:
- name: switchyard-test
  context: {cluster: switchyard-test, user: switchyard-admin}
current-context: switchyard-test
EOF
  chmod 600 "$PKI"/*.key "$PKI/tokens.csv" "$KUBECONFIG_FILE"
  if is_root; then chown -R "$RUN_USER:" "$PKI" "$KUBECONFIG_FILE"; fi
  touch "$PKI/.complete"
}

# kwok's stages (from its module, kept by tools.sh): nodes become Ready and keep a lease, pods
# become Ready (Job pods complete), claims of the `kwok-volume` class are bound at once.
make_kwok_config() {
  local stages f
  stages=$(dirname "$(tool kwok)")/../share/stage
  : >"$KUBE_HOME/kwok.yaml"
  for f in "$stages"/node/fast/node-initialize.yaml "$stages"/node/heartbeat-with-lease/node-heartbeat-with-lease.yaml \
    "$stages"/pod/fast/pod-*.yaml "$stages"/volume/fast/p*.yaml; do
    { echo ---; cat "$f"; } >>"$KUBE_HOME/kwok.yaml"
  done
}

running() { pid_alive "$KUBE_HOME/$1/pid" "$1"; }

start() {
  local name=$1
  shift
  running "$name" && return 0
  ensure_owned_dir "$KUBE_HOME/$name"
  spawn_daemon "$KUBE_HOME/$name" "$KUBE_HOME/$name/pid" "$KUBE_HOME/$name/log" "$@"
}

# wait_for NAME TIMEOUT COMMAND...: until COMMAND succeeds, NAME still running; else its log.
wait_for() {
  local name=$1 timeout=$2 start=$SECONDS
  shift 2
  until "$@" >/dev/null 2>&1; do
    if ! running "$name" || ((SECONDS - start >= timeout)); then
      log cluster "$name did not become ready in $((SECONDS - start))s; last lines of $KUBE_HOME/$name/log:"
      tail -n 30 "$KUBE_HOME/$name/log" >&2 || true
      return 1
    fi
    sleep 0.5
  done
}

https_ok() { curl -sfk --max-time 2 -o /dev/null "https://127.0.0.1:$1$2"; }

up() {
  local p bin
  for p in "${PROCESSES[@]}"; do bin=$(tool "$p") || die "cannot build $p"; done
  bin=$(kubectl_bin) || die "cannot build kubectl"
  mkdir -p "$KUBE_HOME"
  ensure_run_user
  make_pki
  make_kwok_config
  local kubeconfig=(--kubeconfig="$KUBECONFIG_FILE" --authentication-kubeconfig="$KUBECONFIG_FILE"
    --authorization-kubeconfig="$KUBECONFIG_FILE")

  running etcd || ensure_port_free etcd "$KUBE_ETCD_PORT"
  # No fsync: a test cluster's data is thrown away, and fsync on a busy disk makes etcd slow.
  start etcd "$(tool etcd)" --name=switchyard --data-dir="$KUBE_HOME/etcd/data" \
    --listen-client-urls="http://127.0.0.1:$KUBE_ETCD_PORT" --advertise-client-urls="http://127.0.0.1:$KUBE_ETCD_PORT" \
    --listen-peer-urls="http://127.0.0.1:$KUBE_ETCD_PEER_PORT" \
    --initial-advertise-peer-urls="http://127.0.0.1:$KUBE_ETCD_PEER_PORT" \
    --initial-cluster="switchyard=http://127.0.0.1:$KUBE_ETCD_PEER_PORT" \
    --unsafe-no-fsync --log-level=warn
  wait_for etcd 60 curl -sf --max-time 2 "http://127.0.0.1:$KUBE_ETCD_PORT/health"

  running kube-apiserver || ensure_port_free kube-apiserver "$KUBE_APISERVER_PORT"
  # The endpoint reconciler is off: it refuses a loopback address for the `kubernetes` Service.
  start kube-apiserver "$(tool kube-apiserver)" --etcd-servers="http://127.0.0.1:$KUBE_ETCD_PORT" \
    --bind-address=127.0.0.1 --advertise-address=127.0.0.1 --secure-port="$KUBE_APISERVER_PORT" \
    --tls-cert-file="$PKI/apiserver.crt" --tls-private-key-file="$PKI/apiserver.key" \
    --client-ca-file="$PKI/ca.crt" --token-auth-file="$PKI/tokens.csv" --authorization-mode=RBAC \
    --service-account-issuer=https://kubernetes.default.svc.cluster.local \
    --service-account-key-file="$PKI/sa.pub" --service-account-signing-key-file="$PKI/sa.key" \
    --service-cluster-ip-range="$KUBE_SERVICE_CIDR" --endpoint-reconciler-type=none \
    --allow-privileged=true --profiling=false --cert-dir="$KUBE_HOME/kube-apiserver/certs"
  wait_for kube-apiserver 120 https_ok "$KUBE_APISERVER_PORT" /readyz

  start kube-controller-manager "$(tool kube-controller-manager)" "${kubeconfig[@]}" \
    --bind-address=127.0.0.1 --secure-port="$KUBE_CONTROLLER_MANAGER_PORT" --leader-elect=false \
    --service-account-private-key-file="$PKI/sa.key" --root-ca-file="$PKI/ca.crt" \
    --cluster-name=switchyard-test --profiling=false --cert-dir="$KUBE_HOME/kube-controller-manager/certs"
  start kube-scheduler "$(tool kube-scheduler)" "${kubeconfig[@]}" \
    --bind-address=127.0.0.1 --secure-port="$KUBE_SCHEDULER_PORT" --leader-elect=false --profiling=false \
    --cert-dir="$KUBE_HOME/kube-scheduler/certs"
  # kwok manages only the nodes marked as fake, and gives pods IPs from its own range.
  start kwok "$(tool kwok)" --kubeconfig="$KUBECONFIG_FILE" --config="$KUBE_HOME/kwok.yaml" \
    --manage-all-nodes=false --manage-nodes-with-annotation-selector=kwok.x-k8s.io/node=fake \
    --node-lease-duration-seconds=40 --cidr="$KUBE_POD_CIDR" --node-ip=127.0.0.1 \
    --server-address="127.0.0.1:$KUBE_KWOK_PORT" --node-port="$KUBE_KWOK_NODE_PORT"
  wait_for kube-controller-manager 60 https_ok "$KUBE_CONTROLLER_MANAGER_PORT" /healthz
  wait_for kube-scheduler 60 https_ok "$KUBE_SCHEDULER_PORT" /healthz
  wait_for kwok 60 curl -sf --max-time 2 "http://127.0.0.1:$KUBE_KWOK_PORT/healthz"

  kubectl_ apply --server-side -f "$DEPLOY_DIR/cluster/storage-class.yaml" -f "$DEPLOY_DIR/cluster/runtime-class.yaml" \
    -f "$DEPLOY_DIR/cluster/nodes.yaml" >/dev/null
  kubectl_ apply --server-side -R -f "$(crd_manifests)" >/dev/null
  kubectl_ wait --for=condition=Established crd --all --timeout=120s >/dev/null
  kubectl_ wait --for=condition=Ready node --all --timeout=120s >/dev/null
  log cluster "up: $(kubectl_ version -o json | sed -n 's/.*"gitVersion": "\(.*\)".*/\1/p' | tail -1)," \
    "$(kubectl_ get nodes --no-headers | wc -l) nodes, $(kubectl_ get crd --no-headers | wc -l) CRDs; $(env_lines)"
}

down() {
  local i p
  for ((i = ${#PROCESSES[@]} - 1; i >= 0; i--)); do
    p=${PROCESSES[i]}
    if running "$p"; then stop_pid "$KUBE_HOME/$p/pid" 20; fi
  done
  rm -rf "$KUBE_HOME"
}

env_lines() { echo "KUBECONFIG=$KUBECONFIG_FILE"; }

status() {
  local p rc=0
  for p in "${PROCESSES[@]}"; do
    if running "$p"; then echo "$p: running (pid $(cat "$KUBE_HOME/$p/pid"))"; else echo "$p: stopped" && rc=1; fi
  done
  return $rc
}

case ${1:-} in
  up) up ;;
  down) down ;;
  env) env_lines ;;
  status) status ;;
  -h | --help | help) usage 0 ;;
  *) usage 1 ;;
esac
