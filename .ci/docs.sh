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
python tests/run_notebook.py --site "$out/html"
# The site names no private class (docs/conf.py shows a class's public
# ancestors as its bases): the classes of the private modules that public
# ones derive from, and the grants' private base.
private=$(python -c '
import inspect, twilio_trcap._capability as c, twilio_trcap._html as h
names = {n for m in (c, h) for n, v in vars(m).items() if inspect.isclass(v) and v.__module__ == m.__name__}
print("|".join(sorted(names | {"_Grant"})))')
if grep -rnowE --include='*.html' "$private" "$out/html"; then
    echo "the docs site names a private class (above): $private" >&2
    exit 1
fi
echo "docs built: $(find "$out/html" -name '*.html' | wc -l) pages, warnings as errors, no private class named"
