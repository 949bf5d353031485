#!/usr/bin/env bash
# One entry point for a fresh machine: creates .venv on first use, then runs what you ask.
#   ./dev.sh demo    run the example app on SQLite with a loopback modem
#   ./dev.sh test    run the test suite (extra arguments go to pytest)
#   ./dev.sh lint    ruff and mypy
#   ./dev.sh catalogues [--check]   refresh the translation catalogues (.pot, .po, .mo)
set -euo pipefail
cd "$(dirname "$0")"

ensure_venv() {
    local python=${PYTHON:-python3}
    if [ ! -x .venv/bin/python ] || [ setup.cfg -nt .venv/.installed ]; then
        "$python" -m venv .venv
        .venv/bin/python -m pip install --quiet --upgrade pip
        .venv/bin/python -m pip install --quiet -e '.[test,dev,postgres,mysql,metrics]'
        touch .venv/.installed
    fi
}

command=${1:-}
shift || true
case "$command" in
    demo)
        ensure_venv
        exec .venv/bin/python -m example_app "$@"
        ;;
    test)
        ensure_venv
        exec .venv/bin/python -m pytest "$@"
        ;;
    lint)
        ensure_venv
        .venv/bin/ruff check src tests example_app bench scripts
        .venv/bin/ruff format --check src tests example_app bench scripts
        .venv/bin/mypy
        .venv/bin/mypy scripts
        ;;
    catalogues)
        ensure_venv
        exec .venv/bin/python scripts/catalogues.py "$@"
        ;;
    *)
        echo "usage: ./dev.sh demo|test|lint|catalogues [args...]" >&2
        exit 2
        ;;
esac
