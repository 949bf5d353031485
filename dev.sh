#!/usr/bin/env bash
# One entry point for a fresh machine: creates .venv on first use, then runs what you ask.
#   ./dev.sh demo    run the example app on SQLite with a loopback modem
#   ./dev.sh test    run the test suite (extra arguments go to pytest)
#   ./dev.sh lint    ruff and mypy
#   ./dev.sh catalogues [--check]   refresh the translation catalogues (.pot, .po, .mo)
#   ./dev.sh docs    build the manual (docs/ -> docs/_build/html), warnings are errors
#   ./dev.sh screenshots   retake the README's pictures (docs/_static/*.png) in headless Chromium
# Another interpreter: PYTHON=/root/.pyenv/versions/3.13.0/bin/python ./dev.sh test (or
# PYTHON=python3.12) keeps its own venv, .venv-3.13 / .venv-3.12, beside the default .venv.
set -euo pipefail
cd "$(dirname "$0")"

# The default interpreter's venv is .venv (CI and the docs name it); any PYTHON=... gets
# .venv-X.Y, so switching versions never reinstalls over the other one.
if [ -n "${PYTHON:-}" ]; then
    python_version=$("$PYTHON" -c 'import sys; print("%d.%d" % sys.version_info[:2])')
    VENV=.venv-$python_version
else
    VENV=.venv
fi

ensure_venv() {
    local python=${PYTHON:-python3}
    if [ ! -x "$VENV/bin/python" ] || [ setup.cfg -nt "$VENV/.installed" ]; then
        "$python" -m venv "$VENV"
        "$VENV/bin/python" -m pip install --quiet --upgrade pip
        "$VENV/bin/python" -m pip install --quiet -e '.[test,dev,postgres,mysql,metrics]'
        touch "$VENV/.installed"
    fi
}

command=${1:-}
shift || true
case "$command" in
    demo)
        ensure_venv
        exec "$VENV/bin/python" -m example_app "$@"
        ;;
    test)
        ensure_venv
        exec "$VENV/bin/python" -m pytest "$@"
        ;;
    lint)
        ensure_venv
        "$VENV/bin/ruff" check src tests example_app bench scripts docs/conf.py docs/_ext
        "$VENV/bin/ruff" format --check src tests example_app bench scripts docs/conf.py docs/_ext
        "$VENV/bin/mypy"
        "$VENV/bin/mypy" scripts
        ;;
    catalogues)
        ensure_venv
        exec "$VENV/bin/python" scripts/catalogues.py "$@"
        ;;
    docs)
        ensure_venv
        [ -x "$VENV"/bin/sphinx-build ] || "$VENV"/bin/python -m pip install --quiet -e '.[docs]'
        exec "$VENV"/bin/sphinx-build -W --keep-going -q -b html docs docs/_build/html "$@"
        ;;
    screenshots)
        ensure_venv
        "$VENV"/bin/python -c 'import playwright' 2>/dev/null || "$VENV"/bin/python -m pip install --quiet -e '.[browser]'
        T2M2FA_SCREENSHOTS_DIR="$PWD/docs/_static" exec "$VENV"/bin/python -m pytest -q \
            tests/example_app/test_example_app_demo.py -k screenshots "$@"
        ;;
    *)
        echo "usage: ./dev.sh demo|test|lint|catalogues|docs|screenshots [args...]" >&2
        exit 2
        ;;
esac
