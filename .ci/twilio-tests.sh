#!/usr/bin/env bash
# twilio-python's own tests, run against twilio_trcap (tests/twilio_suite/):
# what CI can reach from the package index.  4.0.0's sdist carries its
# tests; 5.7.0's and today's sdists carry none, so those are run from
# twilio's git repository by hand (docs/migration.md, "twilio's own tests").
#
#   bash .ci/twilio-tests.sh [PYTHON]
#
# PYTHON is an interpreter with twilio_trcap and pytest installed (.ci/run
# passes its venv's); without it, a venv is made here.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export PIP_DISABLE_PIP_VERSION_CHECK=1

python=${1:-}
if [ -z "$python" ]; then
    python3 -m venv "$work/venv"
    "$work/venv/bin/pip" install -q "$root[test]"
    python="$work/venv/bin/python"
fi

printf '\n== %s\n' "twilio 4.0.0's tests/task_router/test_capability.py (from its sdist)"
"$python" -m pip download -q --no-deps --no-binary :all: -d "$work/sdist" twilio==4.0.0
(cd "$work" && "$python" "$root/tests/twilio_suite/run.py" 4.0.0 --sdist "$work"/sdist/twilio-4.0.0.tar.gz)
