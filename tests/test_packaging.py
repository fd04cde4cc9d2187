"""What the distribution promises (docs/distribution.md): one version, and
in the release wheels an extension that carries its own OpenSSL."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tomllib
from importlib import metadata
from pathlib import Path

import pytest
from packaging.version import Version

import twilio_trcap

ROOT = Path(__file__).resolve().parent.parent
REPO = "https://github.com/twilio-trcap/twilio-trcap"


def test_the_version_is_written_once() -> None:
    # pyproject.toml takes it from twilio_trcap/_version.py (dynamic), so
    # the installed metadata and the module agree, and pyproject.toml has
    # no number of its own.
    assert metadata.version("twilio-trcap") == twilio_trcap.__version__
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert "version" not in project and "version" in project["dynamic"]
    assert twilio_trcap.__version__ not in (ROOT / "setup.py").read_text(encoding="utf-8")


def changelog() -> list[tuple[str, str | None, str]]:
    """CHANGELOG.md's sections: (name, date or None, body), newest first."""
    text = (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
    heading = re.compile(r"^## \[(?P<name>[^\]]+)\](?: - (?P<date>\d{4}-\d{2}-\d{2}))?$", re.M)
    found = list(heading.finditer(text))
    ends = [m.start() for m in found[1:]] + [text.index("\n[Unreleased]:")]
    return [(m["name"], m["date"], text[m.end():end]) for m, end in zip(found, ends, strict=True)]


def test_the_changelog_opens_with_unreleased_and_no_release_is_newer_than_the_version() -> None:
    # The policy (CHANGELOG.md's preamble, docs/releases.md): _version.py
    # holds the version the next release will carry, so every release in
    # the changelog is that version or older, newest first, each dated and
    # linked; what has landed since the last one is under "Unreleased".
    text = (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
    sections = changelog()
    assert sections[0][:2] == ("Unreleased", None)
    releases = [(Version(name), date) for name, date, _ in sections[1:]]
    assert all(date is not None for _, date in releases), "every release heading has its date"
    versions = [version for version, _ in releases]
    assert versions == sorted(versions, reverse=True) and len(set(versions)) == len(versions)
    assert all(version <= Version(twilio_trcap.__version__) for version in versions)
    for name, _, _ in sections:
        assert re.search(rf"^\[{re.escape(name)}\]: {re.escape(REPO)}/", text, re.M), name
    urls = metadata.metadata("twilio-trcap").get_all("Project-URL") or []
    assert f"Changelog, {REPO}/blob/main/CHANGELOG.md" in urls


@pytest.mark.skipif(
    not os.environ.get("TRCAP_RELEASE_TAG"),
    reason="set TRCAP_RELEASE_TAG=vX.Y.Z to check a release (the release workflow does)",
)
def test_a_release_tag_is_the_version_and_the_changelogs_newest_release() -> None:
    tag = os.environ["TRCAP_RELEASE_TAG"]
    sections = changelog()
    assert tag == f"v{twilio_trcap.__version__}", "the tag must be v + twilio_trcap/_version.py"
    assert len(sections) > 1 and sections[1][0] == twilio_trcap.__version__, (
        "CHANGELOG.md's newest release must be the tagged version (python3 .ci/cut-release)"
    )
    assert not sections[0][2].strip(), "'Unreleased' must be empty in a release"


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
