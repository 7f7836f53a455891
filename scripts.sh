#!/usr/bin/env bash
# One entry point for the README's two commands:
#   bash scripts.sh app    install (first time) and run the app on http://localhost:8501
#   bash scripts.sh test   install (first time) and run the whole test suite
#   bash scripts.sh hall N N processes behind nginx on http://localhost:8501 (deploy/hall.py --help)
set -euo pipefail
cd "$(dirname "$0")"
PYTHON=${PYTHON:-python3.11}
venv() {
  if [[ ! -x .venv/bin/python ]]; then
    "$PYTHON" -m venv .venv
    .venv/bin/python -m pip install -q --upgrade pip
  fi
  .venv/bin/python -m pip install -q -r "$1"
}
case "${1:-}" in
  app)
    venv requirements.txt
    shift
    # Fill the on-disk compilation cache with every lesson's variants, beside the server and at
    # low priority, so that a student's first click on a lesson loads instead of compiling.
    nice -n 10 .venv/bin/python -m optviz warmup --quiet >/dev/null 2>&1 &
    exec .venv/bin/python -m optviz.ui.server "$@"
    ;;
  hall)
    venv requirements.txt
    shift
    # A lecture hall: N server processes behind Debian's nginx, sticky sessions, one shared
    # compilation cache; stops everything on Ctrl-C. See README, "Lecture hall".
    exec .venv/bin/python deploy/hall.py "$@"
    ;;
  test)
    venv requirements-dev.txt
    shift
    exec .venv/bin/python -m pytest "$@"
    ;;
  *)
    echo "usage: bash scripts.sh app|test|hall [extra arguments]" >&2
    exit 2
    ;;
esac
