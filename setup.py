"""Declares the compiled core and its flags; all metadata is in pyproject.toml.

Build knobs come from the environment, never from the command line:

  TRCAP_STRICT=1    -Wall -Wextra -Werror (CI builds with it)
  TRCAP_SANITIZE=1  AddressSanitizer + UndefinedBehaviorSanitizer, -O1 -g
  TRCAP_DEBUG=1     -O0 -g3, assertions on
"""

import os
import sys
import tempfile
from pathlib import Path

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext

HERE = Path(__file__).parent
SOURCES = sorted(str(p.relative_to(HERE)) for p in (HERE / "src").glob("*.c"))


def env_flag(name: str) -> bool:
    return os.environ.get(name, "").strip().lower() in {"1", "yes", "true", "on"}


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


class BuildExt(build_ext):
    """Always rebuilds, and stops early, naming the package to install, when
    OpenSSL 3 is missing.

    The flags come from the environment, which setuptools does not track: a
    build/ left by an earlier build with other flags (a sanitizer build, say)
    would otherwise be reused as up to date.
    """

    def finalize_options(self) -> None:
        super().finalize_options()
        self.force = True

    def build_extensions(self) -> None:
        self._check_openssl()
        super().build_extensions()

    def _check_openssl(self) -> None:
        probe = (
            "#include <openssl/evp.h>\n"
            "#include <openssl/opensslv.h>\n"
            "#if OPENSSL_VERSION_MAJOR < 3\n#error OpenSSL 3 needed\n#endif\n"
            "int main(void) { return EVP_MAC_fetch(NULL, \"HMAC\", NULL) == NULL; }\n"
        )
        with tempfile.TemporaryDirectory() as tmp:
            src = os.path.join(tmp, "probe.c")
            with open(src, "w") as f:
                f.write(probe)
            try:
                self.compiler.compile([src], output_dir=tmp)
            except Exception as exc:  # CompileError, or a missing compiler
                sys.stderr.write(
                    "\ntwilio-trcap: cannot compile against OpenSSL 3 headers "
                    "(<openssl/evp.h>).\n"
                    "Install them first; on Debian or Ubuntu: "
                    "apt-get install libssl-dev\n\n"
                )
                raise SystemExit(f"OpenSSL 3 development headers not found: {exc}") from None


setup(
    ext_modules=[
        Extension(
            "twilio_trcap._core",
            sources=SOURCES,
            include_dirs=["src"],
            libraries=["crypto"],
            extra_compile_args=compile_args,
            extra_link_args=link_args,
            undef_macros=undef_macros,
        )
    ],
    cmdclass={"build_ext": BuildExt},
)
