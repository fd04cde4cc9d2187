#!/usr/bin/env bash
# The agent page in a real browser (tests/test_agent_page.py, issue 11):
# installs Debian's chromium and chromium-driver when missing, then runs the
# browser tests, which pytest deselects unless --browser is given (see
# tests/conftest.py and docs/testing.md).  Called from .ci/run with the venv
# that ran the README's test command still active, so the package and its
# [test] extra are installed.
set -euo pipefail
cd "$(dirname "$0")/.."

missing=()
for pkg in chromium chromium-driver; do
    dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
done
if ((${#missing[@]})); then
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
chromium --version
chromedriver --version

# The screenshot the test takes is the one docs/ shows; CI writes it to a
# scratch folder so that a run never dirties the checkout.
shots=$(mktemp -d)
trap 'rm -rf "$shots"' EXIT
# `pytest`, not `python -m pytest`: -m would put the checkout (whose
# twilio_trcap/ has no compiled core) ahead of the installed package.
TRCAP_SCREENSHOT_DIR="$shots" pytest -q -p no:cacheprovider --browser -m browser tests/test_agent_page.py
ls -l "$shots"
