#!/usr/bin/env bash
# bash .ci/asan.sh [PYTEST ARGS...]
#
# The suite on an AddressSanitizer + UndefinedBehaviorSanitizer build: the
# recipe docs/testing.md gives and the sanitizer stage of .ci/run.  A build
# with TRCAP_SANITIZE=1 alone cannot be imported by a plain python ("ASan
# runtime does not come first in initial library list"): the sanitizer
# runtimes must be loaded before anything else, so they are preloaded.  The
# build goes into a fresh venv of its own (the checkout's .venv is left as
# it is), and the tests run from outside the checkout, so that they import
# the sanitized install, not the checkout's twilio_trcap/.  Needs gcc's
# libasan and libubsan (Debian: gcc, which brings both).  PYTEST ARGS go to
# pytest after the defaults, e.g. `bash .ci/asan.sh -x -k decode`.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export PIP_DISABLE_PIP_VERSION_CHECK=1

python3 -m venv "$work/asan"
"$work/asan/bin/pip" install -q --upgrade pip
TRCAP_SANITIZE=1 TRCAP_STRICT=1 "$work/asan/bin/pip" install -q "${root}[test]"
asan_lib=$(gcc -print-file-name=libasan.so)
ubsan_lib=$(gcc -print-file-name=libubsan.so)
# PYTHONMALLOC=malloc: every object is freed to malloc, where ASan sees a
# use after free; CPython's own allocator keeps small objects out of its
# sight (a borrowed str used after its dict was cleared went unreported).
cd "$work"  # import the installed package, not the source tree
LD_PRELOAD="$asan_lib $ubsan_lib" \
PYTHONMALLOC=malloc \
ASAN_OPTIONS=detect_leaks=0:abort_on_error=1 \
UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
HYPOTHESIS_PROFILE=dev \
    "$work/asan/bin/python" -m pytest -q -p no:cacheprovider "$root/tests" \
    --ignore="$root/tests/test_c_core.py" "$@"
