#!/usr/bin/env bash
# The binaries the deploy checks run (helm, kubeconform, helm-unittest, promtool, istioctl, and
# a real cluster's etcd, kube-apiserver, kube-controller-manager, kube-scheduler, kubectl, kwok),
# each built once from the Go module proxy into the cache, keyed by its version in versions.env.
#
#   tools.sh install [tool...|all]   build what is missing (none named = all), in versions.env order
#   tools.sh path <tool>             print the binary's path (builds it first if missing)
#   tools.sh status                  built or not, per tool, with its cold build time
#
# Binaries: $SWITCHYARD_CACHE/tools/<name>-<version>/bin/<name> (/var/cache/switchyard by
# default), a `.complete` mark once built. Go's module and build caches (several GB for
# Kubernetes) live in a temporary folder removed at the end, unless SWITCHYARD_TOOLS_GO_DIR names
# one to keep. A cold `install all` takes about 35 minutes on 2 idle cores, far longer on busy ones
# (versions.env: each tool's time); scripts/test.sh runs it niced in the background from its start.
set -euo pipefail

DEPLOY_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=versions.env
. "$DEPLOY_DIR/versions.env"
TOOLS_HOME=${SWITCHYARD_CACHE:-/var/cache/switchyard}/tools
read -r -a ALL_TOOLS <<<"$TOOLS"

log() { printf '[tools] %s\n' "$*" >&2; }
die() {
  printf 'tools: %s\n' "$*" >&2
  exit 1
}

usage() {
  sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//'
  exit "${1:-0}"
}

tool_version() {
  case $1 in
    kubeconform) echo "$KUBECONFORM_VERSION" ;;
    helm) echo "$HELM_VERSION" ;;
    helm-unittest) echo "$HELM_UNITTEST_VERSION" ;;
    promtool) echo "$PROMTOOL_VERSION" ;;
    kwok) echo "$KWOK_VERSION" ;;
    etcd) echo "$ETCD_VERSION" ;;
    kube-apiserver | kube-controller-manager | kube-scheduler | kubectl) echo "$KUBERNETES_VERSION" ;;
    istioctl) echo "$ISTIOCTL_VERSION" ;;
    *) die "unknown tool '$1' (known: ${ALL_TOOLS[*]})" ;;
  esac
}

tool_home() { echo "$TOOLS_HOME/$1-$(tool_version "$1")"; }
tool_bin() { echo "$(tool_home "$1")/bin/$1"; }

go_bin() {
  if command -v go >/dev/null 2>&1; then
    command -v go
  elif [ -x /usr/local/go/bin/go ]; then
    echo /usr/local/go/bin/go
  else
    die "building the deploy tools needs Go 1.25 or newer on PATH or in /usr/local/go"
  fi
}

# One Go workspace per tools.sh run, shared by its builds (Kubernetes' four binaries share most
# packages), and removed at exit: the binaries are what is kept.
GO_DIR=
go_env() {
  if [ -z "$GO_DIR" ]; then
    if [ -n "${SWITCHYARD_TOOLS_GO_DIR:-}" ]; then
      GO_DIR=$SWITCHYARD_TOOLS_GO_DIR
      mkdir -p "$GO_DIR"
    else
      GO_DIR=$(mktemp -d "${TMPDIR:-/var/tmp}/switchyard-tools-go.XXXXXX")
      trap 'rm -rf "$GO_DIR"' EXIT
    fi
  fi
  # GOTOOLCHAIN=local: never fetch another Go; -modcacherw: the cache can be deleted with rm -rf;
  # CGO off: static binaries, as Kubernetes' own releases are.
  export GOMODCACHE=$GO_DIR/mod GOCACHE=$GO_DIR/cache GOPATH=$GO_DIR/path GOTOOLCHAIN=local \
    GOFLAGS=-modcacherw CGO_ENABLED=0 GOWORK=off
}

# A wrapper module in $1 (a fresh folder) named after the tool: `go get -tool` records the tool's
# dependencies with the replace directives given as further arguments.
wrapper_module() {
  local dir=$1 name=$2
  shift 2
  mkdir -p "$dir"
  printf 'module switchyard.local/tools/%s\n\ngo 1.25\n' "$name" >"$dir/go.mod"
  local r
  for r in "$@"; do printf 'replace %s\n' "$r" >>"$dir/go.mod"; done
}

# Kubernetes' own go.mod points each k8s.io staging repository at ./staging/...; a module that
# requires k8s.io/kubernetes must point them at their published v0.<minor>.<patch> instead.
kubernetes_replaces() {
  local staging=v0.${KUBERNETES_VERSION#v1.}
  "$(go_bin)" mod download -json "k8s.io/kubernetes@$KUBERNETES_VERSION" |
    sed -n 's/.*"GoMod": "\(.*\)".*/\1/p' | xargs cat |
    awk -v v="$staging" '$2 == "=>" && $3 ~ /^\.\/staging\// {print $1 " => " $1 " " v}'
}

kubernetes_ldflags() {
  local minor=${KUBERNETES_VERSION#v1.}
  minor=${minor%%.*}
  # Without these the binaries call themselves v0.0.0-master, and Helm's kubeVersion checks fail.
  echo "-s -w -X k8s.io/component-base/version.gitVersion=$KUBERNETES_VERSION" \
    "-X k8s.io/component-base/version.gitMajor=1 -X k8s.io/component-base/version.gitMinor=$minor" \
    "-X k8s.io/component-base/version.gitTreeState=clean"
}

# Builds $1 into $2/bin (the commands of each tool; the Go environment is set).
build_tool() {
  local name=$1 home=$2 go src
  go=$(go_bin)
  src=$GO_DIR/src/$name
  rm -rf "$src"
  case $name in
    kubeconform)
      GOBIN=$home/bin "$go" install -trimpath -ldflags=-s "github.com/yannh/kubeconform/cmd/kubeconform@$KUBECONFORM_VERSION" ;;
    helm)
      GOBIN=$home/bin "$go" install -trimpath -ldflags=-s "helm.sh/helm/v4/cmd/helm@$HELM_VERSION" ;;
    promtool)
      GOBIN=$home/bin "$go" install -trimpath -ldflags=-s "github.com/prometheus/prometheus/cmd/promtool@$PROMTOOL_VERSION" ;;
    istioctl)
      GOBIN=$home/bin "$go" install -trimpath -ldflags=-s "istio.io/istio/istioctl/cmd/istioctl@$ISTIOCTL_VERSION" ;;
    kwok)
      GOBIN=$home/bin "$go" install -trimpath -ldflags=-s "sigs.k8s.io/kwok/cmd/kwok@$KWOK_VERSION"
      # Its stage definitions (node heartbeat, pod lifecycle) ship in the module, not the binary.
      local mod
      mod=$("$go" mod download -json "sigs.k8s.io/kwok@$KWOK_VERSION" | sed -n 's/.*"Dir": "\(.*\)".*/\1/p')
      mkdir -p "$home/share"
      cp -r "$mod/kustomize/stage" "$home/share/stage"
      chmod -R u+w "$home/share" ;;
    helm-unittest)
      wrapper_module "$src" "$name" \
        "github.com/vmware-labs/yaml-jsonpath v0.3.2 => github.com/helm-unittest/yaml-jsonpath $HELM_UNITTEST_YAML_JSONPATH"
      (cd "$src" && "$go" get -tool "github.com/helm-unittest/helm-unittest/cmd/helm-unittest@$HELM_UNITTEST_VERSION" &&
        "$go" build -trimpath -ldflags=-s -o "$home/bin/$name" github.com/helm-unittest/helm-unittest/cmd/helm-unittest) ;;
    etcd)
      wrapper_module "$src" "$name"
      (cd "$src" && "$go" get -tool "go.etcd.io/etcd/server/v3@$ETCD_VERSION" &&
        "$go" build -trimpath -ldflags=-s -o "$home/bin/$name" go.etcd.io/etcd/server/v3) ;;
    kube-apiserver | kube-controller-manager | kube-scheduler | kubectl)
      local replaces=()
      mapfile -t replaces < <(kubernetes_replaces)
      [ ${#replaces[@]} -gt 20 ] || die "$name: found no staging replaces in k8s.io/kubernetes@$KUBERNETES_VERSION's go.mod"
      wrapper_module "$src" "$name" "${replaces[@]}"
      (cd "$src" && "$go" get -tool "k8s.io/kubernetes/cmd/$name@$KUBERNETES_VERSION" &&
        "$go" build -trimpath -ldflags="$(kubernetes_ldflags)" -o "$home/bin/$name" "k8s.io/kubernetes/cmd/$name") ;;
    *) die "no build recipe for '$name'" ;;
  esac
}

# Builds once per version: a finished build is marked, and a marked one is never built again.
# Two builds of one tool never run at once: the second waits on the lock, then finds the mark.
install_tool() {
  local name=$1 home
  home=$(tool_home "$name")
  [ -f "$home/.complete" ] && return 0
  mkdir -p "$home"
  exec 8>"$home/.build-lock"
  if ! flock -n 8; then
    log "waiting for the $name build under way (log: $home/build.log)"
    flock -w "$TOOLS_BUILD_TIMEOUT" 8 || die "$name: the build under way did not end in ${TOOLS_BUILD_TIMEOUT}s"
  fi
  if [ ! -f "$home/.complete" ]; then
    local t0=$SECONDS
    go_env
    log "building $name $(tool_version "$name") (log: $home/build.log)"
    rm -rf "$home/bin" "$home/share"
    if ! (build_tool "$name" "$home") >"$home/build.log" 2>&1; then
      tail -n 20 "$home/build.log" >&2
      exec 8>&-
      die "$name: the build failed; see $home/build.log"
    fi
    [ -x "$home/bin/$name" ] || die "$name: the build made no $home/bin/$name"
    echo "$((SECONDS - t0))" >"$home/build-seconds"
    chmod -R a+rX "$home"
    touch "$home/.complete"
    log "built $name in $((SECONDS - t0))s"
  fi
  exec 8>&-
}

cmd=${1:-}
[ $# -gt 0 ] && shift
case $cmd in
  install)
    [ $# -eq 0 ] || [ "$*" = all ] && set -- "${ALL_TOOLS[@]}"
    mkdir -p "$TOOLS_HOME" 2>/dev/null || die "cannot create $TOOLS_HOME; run as root or set SWITCHYARD_CACHE"
    for tool in "$@"; do tool_version "$tool" >/dev/null; done
    for tool in "$@"; do install_tool "$tool"; done
    ;;
  path)
    [ $# -eq 1 ] || usage 1
    tool_version "$1" >/dev/null
    [ -f "$(tool_home "$1")/.complete" ] || install_tool "$1"
    tool_bin "$1"
    ;;
  status)
    for tool in "${ALL_TOOLS[@]}"; do
      home=$(tool_home "$tool")
      if [ -f "$home/.complete" ]; then
        printf '%-24s %-40s built in %ss\n' "$tool" "$(tool_version "$tool")" "$(cat "$home/build-seconds" 2>/dev/null || echo '?')"
      else
        printf '%-24s %-40s missing\n' "$tool" "$(tool_version "$tool")"
      fi
    done
    ;;
  -h | --help | help) usage 0 ;;
  *) usage 1 ;;
esac
