"""Declares the compiled core and its flags; all metadata is in pyproject.toml.

Build knobs come from the environment, never from the command line:

  TRCAP_STRICT=1    -Wall -Wextra -Werror (CI builds with it)
  TRCAP_SANITIZE=1  AddressSanitizer + UndefinedBehaviorSanitizer, -O1 -g
  TRCAP_DEBUG=1     -O0 -g3, assertions on
  TRCAP_OPENSSL_STATIC=/path/to/libcrypto.a
                    link that OpenSSL into the extension, its symbols hidden
                    (GNU ld), instead of the system's libcrypto: how the
                    wheels are built (.ci/wheel, docs/distribution.md)

Before compiling anything, the build checks its three prerequisites one by
one (a C compiler, Python's C headers, OpenSSL 3's headers) and stops with
the missing one and the Debian/Ubuntu package that supplies it, rather than
with the first raw compiler error (docs/distribution.md).  On PyPy it stops
before those, saying why the core is not built there and what to use instead
(docs/distribution.md, "PyPy").
"""

import os
import platform
import shutil
import sys
import sysconfig
import tempfile
from pathlib import Path

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext

HERE = Path(__file__).parent
# src/core/: plain C11, no Python.h (tests/c builds it alone); src/glue/:
# the CPython module.  The folders state the rule; no file is named here.
SOURCES = sorted(str(p.relative_to(HERE)) for p in (HERE / "src").glob("*/*.c"))
WINDOWS = sys.platform == "win32"


def env_flag(name: str) -> bool:
    return os.environ.get(name, "").strip().lower() in {"1", "yes", "true", "on"}


# GCC/Clang spellings; BuildExt.build_extensions translates for MSVC.
compile_args = ["-std=c11", "-fvisibility=hidden"]
link_args: list[str] = []
undef_macros: list[str] = []
if env_flag("TRCAP_STRICT"):
    compile_args += ["-Wall", "-Wextra", "-Werror"]
if env_flag("TRCAP_SANITIZE"):
    san = ["-fsanitize=address,undefined", "-fno-omit-frame-pointer", "-fno-sanitize-recover=undefined"]
    compile_args += san + ["-O1", "-g"]
    link_args += san
if env_flag("TRCAP_DEBUG"):
    compile_args += ["-O0", "-g3"]
    undef_macros.append("NDEBUG")
# OpenSSL's own Windows build names its import library libcrypto.lib.
libraries = ["libcrypto" if WINDOWS else "crypto"]
extra_objects: list[str] = []
static_crypto = os.environ.get("TRCAP_OPENSSL_STATIC", "").strip()
if static_crypto:
    if not os.path.isfile(static_crypto):
        raise SystemExit(f"TRCAP_OPENSSL_STATIC={static_crypto}: no such file (a libcrypto.a)")
    extra_objects = [static_crypto]
    # OpenSSL's symbols stay inside the extension, so that neither the
    # interpreter's _ssl/_hashlib nor another extension binds to this copy,
    # or this copy to theirs.  Only the GNU ld branch is tested here (.ci/
    # wheel); macOS and Windows are what .github/workflows/wheels.yml runs.
    if sys.platform == "darwin":
        libraries = []
        link_args += ["-Wl,-exported_symbol,_PyInit__core"]
    elif WINDOWS:  # a static libcrypto.lib needs these system libraries
        libraries = ["crypt32", "ws2_32", "advapi32", "user32"]
    else:
        libraries = []
        link_args += ["-Wl,--exclude-libs,ALL", "-pthread"]

MSVC_FLAGS = {"-std=c11": ["/std:c11"], "-Wall": ["/W3"], "-Werror": ["/WX"]}

PY = f"{sys.version_info[0]}.{sys.version_info[1]}"
PROBE_COMPILER = "int trcap_probe(void) { return 0; }\n"
PROBE_PYTHON = "#include <Python.h>\nint trcap_probe(void) { return PY_MAJOR_VERSION; }\n"
PROBE_OPENSSL_HEADERS = "#include <openssl/opensslv.h>\n#include <openssl/evp.h>\n"
PROBE_OPENSSL_3 = (
    "#include <openssl/opensslv.h>\n"
    "#if !defined(OPENSSL_VERSION_MAJOR) || OPENSSL_VERSION_MAJOR < 3\n"
    "#error OpenSSL 3 needed\n"
    "#endif\n"
    "#include <openssl/evp.h>\n"
    "int trcap_probe(void) { return EVP_MAC_fetch(NULL, \"HMAC\", NULL) == NULL; }\n"
)


# The figures are docs/distribution.md's ("PyPy"), from
# benchmarks/fresh_by_interpreter.py; change them only with that page.
PYPY_REFUSAL = (
    "PyPy is not supported",
    "Why: the C core is written against CPython's C API, which PyPy only emulates "
    "(cpyext); there a fresh token took 29 us, only 1.3x ahead of twilio's own "
    "pure-Python helper on PyPy's JIT (38 us) and 9x slower than on CPython (3.2 us).\n"
    "  Instead, on PyPy: pip install twilio, and use its helper (from "
    "twilio.jwt.taskrouter.capabilities import WorkerCapabilityToken), which makes the "
    "same tokens; or run twilio-trcap on CPython 3.11 or later.",
)


class BuildError(SystemExit):
    """A missing prerequisite: the message names it and how to install it."""

    def __init__(self, what: str, remedy: str) -> None:
        text = f"twilio-trcap: cannot build: {what}\n  {remedy}\n"
        sys.stderr.write("\n" + text + "\n")
        super().__init__(f"twilio-trcap build failed: {what}")


class BuildExt(build_ext):
    """Always rebuilds, and checks the prerequisites first.

    The flags come from the environment, which setuptools does not track: a
    build/ left by an earlier build with other flags (a sanitizer build, say)
    would otherwise be reused as up to date.
    """

    def finalize_options(self) -> None:
        super().finalize_options()
        self.force = True

    def run(self) -> None:
        # Before any probe or compiler: nothing here is built for PyPy.
        if platform.python_implementation() == "PyPy":
            raise BuildError(*PYPY_REFUSAL)
        super().run()

    def build_extensions(self) -> None:
        if self.compiler.compiler_type == "msvc":
            for ext in self.extensions:
                ext.extra_compile_args = [
                    flag
                    for arg in ext.extra_compile_args
                    for flag in MSVC_FLAGS.get(arg, [] if arg.startswith("-") else [arg])
                ]
        self._check_prerequisites()
        super().build_extensions()

    def _compiles(self, source: str) -> bool:
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, "trcap_probe.c")
            with open(path, "w") as f:
                f.write(source)
            try:
                self.compiler.compile([path], output_dir=tmp, include_dirs=["src/core"])
            except Exception:  # CompileError, or the compiler could not start
                return False
            return True

    def _check_prerequisites(self) -> None:
        if not self._compiles(PROBE_COMPILER):
            command = getattr(self.compiler, "compiler_so", None) or ["the C compiler"]
            found = shutil.which(command[0]) if command[0] != "the C compiler" else None
            what = (
                f"no working C compiler: `{command[0]}` cannot compile an empty C file"
                if found
                else f"no C compiler: `{command[0]}` was not found"
            )
            raise BuildError(
                what + " (the compiler comes from $CC, else from Python's build configuration)",
                "On Debian or Ubuntu: apt-get install gcc (or build-essential); "
                "on Windows: Microsoft C++ Build Tools; on macOS: xcode-select --install",
            )
        if not self._compiles(PROBE_PYTHON):
            raise BuildError(
                f"Python.h not found: the C headers of Python {PY} are missing "
                f"(looked in {sysconfig.get_paths()['include']})",
                f"On Debian or Ubuntu: apt-get install python3-dev (python{PY}-dev "
                f"if python{PY} is not the distribution's default python3)",
            )
        if not self._compiles(PROBE_OPENSSL_HEADERS):
            raise BuildError(
                "OpenSSL headers not found (<openssl/opensslv.h>, <openssl/evp.h>)",
                "On Debian or Ubuntu: apt-get install libssl-dev; Fedora: dnf install "
                "openssl-devel; Alpine: apk add openssl-dev; macOS: brew install openssl@3 "
                "and CFLAGS=-I$(brew --prefix openssl@3)/include",
            )
        if not self._compiles(PROBE_OPENSSL_3):
            raise BuildError(
                "the OpenSSL headers found are older than OpenSSL 3 (EVP_MAC is needed)",
                "Install OpenSSL 3's headers: libssl-dev from Debian 12 / Ubuntu 22.04 or "
                "later, openssl-devel from RHEL/AlmaLinux 9, or point CFLAGS/LDFLAGS at an "
                "OpenSSL 3 build",
            )


setup(
    ext_modules=[
        Extension(
            "twilio_trcap._core",
            sources=SOURCES,
            include_dirs=["src/core"],
            libraries=libraries,
            extra_objects=extra_objects,
            extra_compile_args=compile_args,
            extra_link_args=link_args,
            undef_macros=undef_macros,
        )
    ],
    cmdclass={"build_ext": BuildExt},
)
