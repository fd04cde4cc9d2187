"""What the distribution promises (docs/distribution.md): one version, and
in the release wheels an extension that carries its own OpenSSL."""

from __future__ import annotations

import os
import subprocess
import sys
import tomllib
from importlib import metadata
from pathlib import Path

import pytest

import twilio_trcap

ROOT = Path(__file__).resolve().parent.parent


def test_the_version_is_written_once() -> None:
    # pyproject.toml takes it from twilio_trcap/_version.py (dynamic), so
    # the installed metadata and the module agree, and pyproject.toml has
    # no number of its own.
    assert metadata.version("twilio-trcap") == twilio_trcap.__version__
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert "version" not in project and "version" in project["dynamic"]
    assert twilio_trcap.__version__ not in (ROOT / "setup.py").read_text(encoding="utf-8")


@pytest.mark.skipif(
    os.environ.get("TRCAP_EXPECT_STATIC_OPENSSL") != "1",
    reason="set TRCAP_EXPECT_STATIC_OPENSSL=1 to test a release wheel (.ci/test-wheel does)",
)
@pytest.mark.skipif(sys.platform != "linux", reason="reads /proc/self/maps")
def test_the_wheels_extension_loads_no_shared_libcrypto() -> None:
    # A fresh interpreter that imports the package and mints: a shared
    # libcrypto in its address space could only have come from our
    # extension (the package imports neither ssl nor hashlib).
    code = (
        "import twilio_trcap as t\n"
        "c = t.TaskRouterCapability('AC1', 'k', 'WS1', 'WK1')\n"
        "c.allow_worker_activity_updates()\n"
        "assert c.generate_token().count('.') == 2\n"
        "import sys\n"
        "print(sorted({l.split()[-1] for l in open('/proc/self/maps') if 'libcrypto' in l}))\n"
        "print(sorted(m for m in sys.modules if m in ('_ssl', '_hashlib')))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            check=True, cwd=Path(twilio_trcap.__file__).parent.parent)
    mapped, python_openssl = result.stdout.splitlines()
    assert python_openssl == "[]", "the check needs a process where Python loaded no OpenSSL"
    assert mapped == "[]", f"a shared libcrypto is loaded: {mapped}"
