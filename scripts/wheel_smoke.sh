#!/usr/bin/env bash
# Builds the sdist and the wheel (the wheel from the sdist, as pip would), installs the wheel in a
# fresh virtualenv outside the checkout, and logs a small host's user in through it
# (scripts/wheel_smoke.py). Used by .ci/run; needs .venv (./dev.sh makes it).
set -euo pipefail
cd "$(dirname "$0")/.."
checkout=$PWD
rm -rf dist
.venv/bin/python -m build --outdir dist . >/dev/null
ls dist
outside=$(mktemp -d /tmp/t2m2fa-wheel.XXXXXX)
trap 'rm -rf "$outside"' EXIT
"${PYTHON:-python3}" -m venv "$outside/venv"
"$outside/venv/bin/python" -m pip install --quiet dist/flask_t2m2fa-*.whl
cd "$outside"
"$outside/venv/bin/python" "$checkout/scripts/wheel_smoke.py" "$checkout"
