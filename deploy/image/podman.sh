#!/usr/bin/env bash
# Makes podman usable on a Debian 12 machine without Docker (idempotent, needs root): installs
# podman, buildah, runc, skopeo and mmdebstrap with apt, and writes the two settings this kind of
# machine needs (issue 13; checked on Debian 12 with podman 4.3).
#   bash deploy/image/podman.sh      # then podman build/run work
set -euo pipefail

missing=()
for cmd in podman buildah runc skopeo mmdebstrap; do
  command -v "$cmd" >/dev/null 2>&1 || missing+=("$cmd")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "image: installing ${missing[*]} with apt" >&2
  # A lock held by another apt run (a parallel setup script) is waited for, not failed on.
  DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=300 install -y -q \
    podman buildah runc skopeo mmdebstrap >&2 ||
    { apt-get -o DPkg::Lock::Timeout=300 update -q >&2 &&
      DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=300 install -y -q \
        podman buildah runc skopeo mmdebstrap >&2; }
fi

# crun fails on this machine's hybrid cgroups, and podman's default ulimits need CAP_SYS_RESOURCE.
dropin=/etc/containers/containers.conf.d/50-switchyard.conf
want='# Written by deploy/image/podman.sh (Switchyard).
[containers]
default_ulimits = ["nofile=20000:20000", "nproc=4096:4096"]

[engine]
runtime = "runc"'
if [ "$(cat "$dropin" 2>/dev/null)" != "$want" ]; then
  mkdir -p "$(dirname "$dropin")"
  printf '%s\n' "$want" >"$dropin"
fi

# One storage driver for podman and buildah alike; overlay is the fast one here.
if [ ! -f /etc/containers/storage.conf ]; then
  printf '%s\n' '# Written by deploy/image/podman.sh (Switchyard).' '[storage]' 'driver = "overlay"' \
    'runroot = "/run/containers/storage"' 'graphroot = "/var/lib/containers/storage"' \
    >/etc/containers/storage.conf
fi
