#!/usr/bin/env bash
# What pushing the tag v$VERSION would run, here, up to the upload
# (docs/releases.md).  VERSION is twilio_trcap/_version.py's.
#  1. .ci/workflows.sh: the workflows pass actionlint and zizmor;
#  2. the release commit and tag, made as a maintainer makes them
#     (.ci/cut-release, then commit and tag) in a scratch clone of HEAD;
#  3. from that clone, the workflow's build and test steps: its sdist job's
#     own script (.ci/sdist, with TRCAP_RELEASE_TAG set as the workflow
#     sets it, so the suite checks tag, version and CHANGELOG.md agree),
#     and for the wheels job, which needs cibuildwheel's containers, the
#     same build and test for Linux x86_64 (.ci/test-wheel: the manylinux
#     wheel with OpenSSL linked in, the suite against it);
#  4. what the publish job would upload: one sdist and the wheels, all of
#     this version, their metadata checked by `twine check --strict` (the
#     check the publish action makes before it uploads).
# Only the upload itself, which needs the workflow's OIDC token, is not run.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export PIP_DISABLE_PIP_VERSION_CHECK=1

bash .ci/workflows.sh

version=$(sed -n 's/^__version__ = "\(.*\)"$/\1/p' twilio_trcap/_version.py)
tag=v$version
git clone -q "$root" "$work/clone"
(
    cd "$work/clone"
    python3 .ci/cut-release "$version"
    git -c user.name="release dry run" -c user.email=dry-run@localhost commit -q -am "Release $version"
    git -c user.name="release dry run" -c user.email=dry-run@localhost tag -a "$tag" -m "$tag"
    git log --oneline -1 --decorate
)

TRCAP_RELEASE_TAG=$tag bash "$work/clone/.ci/sdist" "$work/dist"
bash "$work/clone/.ci/test-wheel" "$work/dist"

python3 -m venv "$work/tools"
"$work/tools/bin/pip" install -q twine
"$work/tools/bin/twine" check --strict "$work"/dist/*
dist=twilio_trcap-$version
sdists=$(cd "$work/dist" && ls ./*.tar.gz)
[ "$sdists" = "./$dist.tar.gz" ] || { echo "expected one sdist $dist.tar.gz, found: $sdists" >&2; exit 1; }
for wheel in "$work"/dist/*.whl; do
    case "$(basename "$wheel")" in
        "$dist"-*) ;;
        *) echo "a wheel not of $version: $wheel" >&2; exit 1 ;;
    esac
done
echo "release dry run of $tag: the publish job would upload"
(cd "$work/dist" && ls -l)
