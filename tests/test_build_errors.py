"""A build that cannot work stops with the missing prerequisite and the
package that supplies it (setup.py, docs/distribution.md): no C compiler, no
Python.h, no OpenSSL headers, OpenSSL headers older than 3.

Each case runs the real `setup.py build_ext` with $CC pointing at a
compiler that is missing, or at a wrapper around the real one that hides
what a machine without the package would lack.  The build stops in its
probes, before compiling the core, so each case takes about a second.
"""

from __future__ import annotations

import os
import shlex
import shutil
import stat
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

import setuptools  # noqa: F401  (a test requirement: missing, the module fails loudly)

REAL_CC = shlex.split(os.environ.get("CC") or sysconfig.get_config_var("CC") or "cc")


def wrapper(tmp_path: Path, drop: list[str], extra: list[str]) -> str:
    """A compiler that runs the real one without the `-I` paths in `drop`
    and with `extra` flags first."""
    script = tmp_path / "cc-wrapper"
    script.write_text(
        f"#!{sys.executable}\n"
        "import os, sys\n"
        f"drop = {drop!r}\n"
        f"real = {REAL_CC!r}\n"
        "args = [a for a in sys.argv[1:] if not (a.startswith('-I') and a[2:] in drop)]\n"
        f"os.execvp(real[0], [*real, *{extra!r}, *args])\n"
    )
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    return str(script)


def build(tmp_path: Path, cc: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in {"CFLAGS", "CPPFLAGS"}}
    env["CC"] = cc
    return subprocess.run(
        [sys.executable, "setup.py", "-q", "build_ext",
         "--build-temp", str(tmp_path / "temp"), "--build-lib", str(tmp_path / "lib")],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=300,
    )


def failed_with(result: subprocess.CompletedProcess[str], *needles: str) -> str:
    out = result.stdout + result.stderr
    assert result.returncode != 0, out
    for needle in needles:
        assert needle in out, out
    return out


def test_no_compiler_names_the_compiler_and_gcc(tmp_path: Path) -> None:
    out = failed_with(
        build(tmp_path, str(tmp_path / "no-such-cc")),
        "no C compiler", "no-such-cc` was not found", "apt-get install gcc",
    )
    # Not blamed on the next probes' packages.
    assert "libssl-dev" not in out and "python3-dev" not in out


def test_no_python_headers_names_python3_dev(tmp_path: Path) -> None:
    paths = sysconfig.get_paths()
    hidden = sorted({paths["include"], paths["platinclude"]})
    out = failed_with(
        build(tmp_path, wrapper(tmp_path, hidden, [])),
        "Python.h not found", "apt-get install python3-dev",
    )
    assert "libssl-dev" not in out and "no C compiler" not in out


def system_include_dirs_without_openssl(tmp_path: Path) -> list[str]:
    """-nostdinc plus copies (symlink farms) of the compiler's and the
    system's include directories with every `openssl/` left out."""
    def ask(*args: str) -> str:
        return subprocess.run([*REAL_CC, *args], capture_output=True, text=True,
                              check=True).stdout.strip()

    flags = ["-nostdinc"]
    for name in ("include", "include-fixed"):
        found = ask(f"-print-file-name={name}")
        if os.path.isdir(found):
            flags += ["-isystem", found]
    multiarch = ask("-print-multiarch")
    for i, directory in enumerate(
        ["/usr/local/include", f"/usr/include/{multiarch}", "/usr/include"]
    ):
        if not multiarch and directory == "/usr/include/":
            continue
        farm = tmp_path / f"include{i}"
        farm.mkdir()
        for entry in Path(directory).iterdir():
            if entry.name != "openssl":
                (farm / entry.name).symlink_to(entry)
        flags += ["-isystem", str(farm)]
    return flags


@pytest.mark.skipif(sys.platform != "linux", reason="the include farm is Linux/GCC-specific")
def test_no_openssl_headers_names_libssl_dev(tmp_path: Path) -> None:
    out = failed_with(
        build(tmp_path, wrapper(tmp_path, [], system_include_dirs_without_openssl(tmp_path))),
        "OpenSSL headers not found", "apt-get install libssl-dev",
    )
    assert "Python.h not found" not in out and "no C compiler" not in out


def test_openssl_1_1_headers_are_refused_by_name(tmp_path: Path) -> None:
    fake = tmp_path / "fake-openssl-1.1"
    (fake / "openssl").mkdir(parents=True)
    # What OpenSSL 1.1.1w's opensslv.h states (it has no OPENSSL_VERSION_MAJOR).
    (fake / "openssl" / "opensslv.h").write_text(
        "#define OPENSSL_VERSION_NUMBER 0x101017ffL\n"
        '#define OPENSSL_VERSION_TEXT "OpenSSL 1.1.1w  11 Sep 2023"\n'
    )
    (fake / "openssl" / "evp.h").write_text("/* 1.1 has no EVP_MAC */\n")
    failed_with(
        build(tmp_path, wrapper(tmp_path, [], [f"-I{fake}"])),
        "older than OpenSSL 3", "libssl-dev from Debian 12",
    )


def test_pypy_is_refused_before_any_probe(tmp_path: Path) -> None:
    """On PyPy the build stops first, with why and what to use instead
    (docs/distribution.md, "PyPy"); .ci/newer-pythons.sh checks the same
    message from a real `pypy3 -m pip install .`."""
    as_pypy = (
        "import platform, runpy, sys\n"
        "platform.python_implementation = lambda: 'PyPy'\n"
        "sys.argv = ['setup.py', *sys.argv[1:]]\n"
        "runpy.run_path('setup.py', run_name='__main__')\n"
    )
    env = dict(os.environ, CC=str(tmp_path / "no-such-cc"))  # a probe would fail otherwise
    result = subprocess.run(
        [sys.executable, "-c", as_pypy, "-q", "build_ext",
         "--build-temp", str(tmp_path / "temp"), "--build-lib", str(tmp_path / "lib")],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    out = failed_with(result, "cannot build: PyPy is not supported", "CPython's C API",
                      "pip install twilio", "WorkerCapabilityToken", "CPython 3.11 or later")
    assert "no C compiler" not in out
    assert not (tmp_path / "lib").exists()
