#!/usr/bin/env bash
# CPython 3.14 and 3.15, and PyPy's refusal, in a Debian sid chroot (issue 21,
# items 5 and 6; docs/distribution.md, "Python versions" and "PyPy").
#
#  1. Makes a sid chroot with debootstrap from the Debian archive this
#     machine's apt already uses (the same URI; its Release may be older than
#     the clock, so apt in the chroot skips the Valid-Until check), with
#     python3.X, python3.X-dev, python3.X-venv for each version below, pypy3
#     (with -dev and -venv), gcc and libssl-dev.  It is kept at $TRCAP_SID_CHROOT
#     (default /var/cache/trcap-sid-chroot) and reused by later runs (a flock
#     guards the making; one older than two weeks, or half made, is made
#     anew).  The host's CA bundle and pip configuration (its files, the PIP_*
#     variables, and the local folders they name, mounted read-only) are
#     carried in, so pip in the chroot reaches what pip here reaches.
#  2. For each version, the equivalent of the README's test command in its own
#     copy of the checkout: a venv, `TRCAP_STRICT=1 pip install -e '.[test]'`
#     (-Wall -Wextra -Werror with the chroot's gcc), then `python -m pytest`,
#     two workers (pytest-xdist, whole files per worker: tests/test_typing.py's
#     mypy runs share one cache folder).
#  3. `pip install .` with PyPy must fail, exit non-zero, and print setup.py's
#     one message (PYPY_REFUSAL): PyPy is not supported, why, what instead.
#
# Mounts are made in a private mount namespace (unshare), so they end with the
# run, whatever way it ends.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
say() { printf '\n== %s\n' "$*"; }

chroot_dir=${TRCAP_SID_CHROOT:-/var/cache/trcap-sid-chroot}
versions=(3.14 3.15)
packages=(gcc libc6-dev libssl-dev curl pypy3 pypy3-dev pypy3-venv)  # curl: the recipe command tests
for v in "${versions[@]}"; do packages+=("python$v" "python$v-dev" "python$v-venv"); done
export DEBIAN_FRONTEND=noninteractive

for tool in debootstrap:debootstrap unshare:util-linux flock:util-linux; do
    command -v "${tool%%:*}" >/dev/null || { apt-get update -qq; apt-get install -y -qq --no-install-recommends "${tool#*:}" >/dev/null; }
done

# Debian's main archive as this machine's apt has it (not -security,
# -updates): the URI of the index whose suite is the host's own codename.
codename=$(. /etc/os-release && echo "$VERSION_CODENAME")
mirror=$(apt-get indextargets --format '$(REPO_URI) $(RELEASE)' | awk -v c="$codename" '$2 == c {print $1; exit}')
[ -n "$mirror" ] || { echo "no $codename archive in this machine's apt sources" >&2; exit 1; }

# In memory where there is a /dev/shm: three venvs' thousands of files were
# minutes to delete from a disk shared with other builds.
work=$(mktemp -d -p /dev/shm 2>/dev/null || mktemp -d)
trap 'rm -rf "$work"' EXIT

# Pip's configuration: the files pip reads (global, user, $PIP_CONFIG_FILE),
# the PIP_* variables, and every local path their values name (a CA bundle, a
# constraints file: copied; a find-links or file:// index folder: mounted).
python3 - "$work/pip-files" "$work/pip-dirs" <<'PY'
import configparser, os, sys
from pathlib import Path

home = Path.home()
configs = [Path("/etc/xdg/pip/pip.conf"), Path("/etc/pip.conf"),
           home / ".pip/pip.conf", home / ".config/pip/pip.conf"]
if os.environ.get("PIP_CONFIG_FILE"):
    configs.append(Path(os.environ["PIP_CONFIG_FILE"]))
values = [v for k, v in os.environ.items() if k.startswith("PIP_")]
files, dirs = set(), set()
for path in configs:
    if path.is_file():
        files.add(path)
        parser = configparser.RawConfigParser()
        parser.read(path)
        values += [v for s in parser.sections() for _, v in parser.items(s)]
for value in values:
    for word in value.split():
        word = word.removeprefix("file://")
        p = Path(word)
        if p.is_dir() and p.name == "simple":
            p = p.parent  # a PEP 503 index: its pages link to files beside it
        if p.is_absolute() and p.exists():
            (dirs if p.is_dir() else files).add(p.resolve())
Path(sys.argv[1]).write_text("".join(f"{p}\n" for p in sorted(files)))
Path(sys.argv[2]).write_text("".join(f"{p}\n" for p in sorted(dirs)))
PY

# Runs a bash script as root in the chroot, in a mount namespace of its own:
# /proc, /dev, a fresh /tmp, the pip folders read-only, $work at /build.
in_chroot() {
    local mounts="mount --bind /proc '$chroot_dir/proc' && mount --rbind /dev '$chroot_dir/dev'"
    mounts+=" && mount -t tmpfs tmpfs '$chroot_dir/tmp' && mkdir -p '$chroot_dir/build'"
    mounts+=" && mount --bind '$work' '$chroot_dir/build'"
    while read -r dir; do
        [ -n "$dir" ] || continue
        mkdir -p "$chroot_dir$dir"
        mounts+=" && mount --bind '$dir' '$chroot_dir$dir' && mount -o remount,bind,ro '$chroot_dir$dir'"
    done < "$work/pip-dirs"
    # Hypothesis's "dev" profile: the property search at depth ("ci") is the
    # 3.11 suite's, earlier in .ci/run; here each version runs every test.
    local environment=(HOME="$HOME" PATH=/usr/local/bin:/usr/bin:/bin LANG=C.UTF-8
                       DEBIAN_FRONTEND=noninteractive PIP_DISABLE_PIP_VERSION_CHECK=1
                       HYPOTHESIS_PROFILE=dev)
    while IFS= read -r -d '' var; do environment+=("$var"); done < <(env -0 | grep -z '^PIP_' || true)
    unshare --mount --propagation private bash -euo pipefail -c "$mounts"' && exec chroot "$0" env -i "$@"' \
        "$chroot_dir" "${environment[@]}" bash -euo pipefail -c "$1"
}

say "the sid chroot ($chroot_dir)"
mkdir -p "$(dirname "$chroot_dir")"
exec 9>"$chroot_dir.lock"
flock 9
ready="$chroot_dir/.trcap-ready"
if [ -d "$chroot_dir" ] && { [ ! -f "$ready" ] || [ -n "$(find "$ready" -mtime +14)" ]; }; then
    echo "half made or older than two weeks: made anew"
    rm -rf --one-file-system "$chroot_dir"
fi
if [ ! -d "$chroot_dir" ]; then
    echo "debootstrap sid from $mirror"
    start=$SECONDS
    debootstrap --variant=minbase sid "$chroot_dir" "$mirror" > "$work/debootstrap.log" 2>&1 || {
        tail -n 30 "$work/debootstrap.log" >&2; exit 1; }
    echo "debootstrap: $((SECONDS - start)) s"
fi
cp /etc/resolv.conf "$chroot_dir/etc/resolv.conf"
printf 'Acquire::Check-Valid-Until "false";\nAcquire::Check-Date "false";\n' \
    > "$chroot_dir/etc/apt/apt.conf.d/99trcap-archive-snapshot"
while read -r file; do
    [ -n "$file" ] || continue
    mkdir -p "$chroot_dir$(dirname "$file")"
    cp -L "$file" "$chroot_dir$file"
done < "$work/pip-files"
mkdir -p "$chroot_dir$HOME" "$chroot_dir/etc/ssl/certs"
cp -L /etc/ssl/certs/ca-certificates.crt "$chroot_dir/etc/ssl/certs/ca-certificates.crt"
missing=$(chroot "$chroot_dir" dpkg-query -W -f='${Package} ${Status}\n' "${packages[@]}" 2>/dev/null |
          awk '$NF == "installed" {print $1}' | sort | comm -13 - <(printf '%s\n' "${packages[@]}" | sort) || true)
if [ -n "$missing" ]; then
    start=$SECONDS
    in_chroot "apt-get update -qq && apt-get install -y -qq --no-install-recommends $(echo $missing) >/dev/null"
    echo "apt-get install in the chroot: $((SECONDS - start)) s"
    # A package's trigger may have rewritten the bundle; the host's is the one.
    cp -L /etc/ssl/certs/ca-certificates.crt "$chroot_dir/etc/ssl/certs/ca-certificates.crt"
fi
[ -f "$ready" ] || touch "$ready"  # its age is the chroot's
flock -u 9
in_chroot 'for p in python3.14 python3.15 pypy3 gcc; do printf "%s: " "$p"; "$p" --version 2>&1 | head -n 1; done'

# The checkout as the working tree has it (tracked and untracked files, not
# ignored ones such as .venv/ or build/), one copy per interpreter.
git ls-files -z --cached --others --exclude-standard |
    while IFS= read -r -d '' f; do [ -e "$f" ] && printf '%s\0' "$f"; done |
    tar --null -T - -cf "$work/checkout.tar"

for v in "${versions[@]}"; do
    say "CPython $v: TRCAP_STRICT=1 pip install -e '.[test]', then python -m pytest -n 2"
    in_chroot "
        mkdir /build/py$v && cd /build/py$v && tar xf /build/checkout.tar
        python$v -m venv .venv && . .venv/bin/activate
        python -c 'import sys; print(sys.version)'
        TRCAP_STRICT=1 pip install -q -e '.[test]' > /tmp/pip.log 2>&1 || { cat /tmp/pip.log; exit 1; }
        grep -v ' is ignored: ' /tmp/pip.log || true  # pip's note on each index folder without the name
        python -c 'import twilio_trcap, sys; assert twilio_trcap.__file__.startswith(\"/build/py$v/\")'
        python -m pytest -q -p no:cacheprovider -n 2 --dist loadfile
    "
done

say "PyPy: pip install . stops at build time with setup.py's message"
set +e
in_chroot '
    mkdir /build/pypy && cd /build/pypy && tar xf /build/checkout.tar
    pypy3 -m venv .venv && . .venv/bin/activate
    python -c "import platform, sys; print(platform.python_implementation(), sys.version.split()[0])"
    pip install --no-cache-dir .
' > "$work/pypy.log" 2>&1
status=$?
set -e
grep -v ' is ignored: ' "$work/pypy.log" || true
[ "$status" -ne 0 ] || { echo "pip install . on PyPy succeeded: it must stop at build time" >&2; exit 1; }
for needle in "twilio-trcap: cannot build: PyPy is not supported" "Why: the C core is written against CPython's C API" \
              "Instead, on PyPy: pip install twilio"; do
    grep -qF "$needle" "$work/pypy.log" || { echo "PyPy's install failed without saying: $needle" >&2; exit 1; }
done
! grep -q "TypeError" "$work/pypy.log" || { echo "PyPy's install failed with a TypeError" >&2; exit 1; }
echo "PyPy: refused at build time with the message (exit status $status)"
