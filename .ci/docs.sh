#!/usr/bin/env bash
# The docs site (docs/conf.py): Sphinx + MyST + Furo, warnings as errors,
# then docs/jupyter.ipynb executed (tests/run_notebook.py) into the built
# site, so that the site's download of it carries its outputs.  Called from
# .ci/run with the venv that ran the README's test command still active
# (the package and its [test] extra are installed; this adds [docs]).
set -euo pipefail
cd "$(dirname "$0")/.."

# The [docs] extra's requirements, read from pyproject.toml (their one
# home), without reinstalling the package itself, which is already built.
pip install -q $(python -c 'import tomllib; print(" ".join(tomllib.load(open("pyproject.toml", "rb"))["project"]["optional-dependencies"]["docs"]))')
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
# sphinx-build, not `python -m sphinx`, for the reason .ci/browser.sh gives.
sphinx-build -W --keep-going -q -b html docs "$out/html"
notebook=$(ls "$out"/html/_downloads/*/jupyter.ipynb)
python tests/run_notebook.py "$notebook" "$notebook"
echo "docs built: $(find "$out/html" -name '*.html' | wc -l) pages, warnings as errors"
