"""The runner of twilio's own tests (tests/twilio_suite/): its list of
expected failures comes from docs/migration.md and is enforced strictly, and
its shim maps twilio's imports, and only those, to ours.  The real runs
(twilio's files from its sdist or git tree) are in .ci/twilio-tests.sh and
docs/migration.md."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
import tarfile
from pathlib import Path
from types import ModuleType

import pytest

SUITE = Path(__file__).resolve().parent / "twilio_suite"


def _load(name: str) -> ModuleType:
    """A module of tests/twilio_suite/ under a name no other test uses."""
    spec = importlib.util.spec_from_file_location(f"twilio_suite_{name}", SUITE / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


run = _load("run")
twilio_shim = _load("twilio_shim")


def test_the_expected_failures_are_those_docs_migration_lists() -> None:
    today = twilio_shim.expected_failures("today")
    assert sorted(today) == [
        "tests/unit/jwt/test_jwt.py::JwtTest::test_decode_allows_skip_verification",
        "tests/unit/jwt/test_jwt.py::JwtTest::test_encode_decode",
        "tests/unit/jwt/test_jwt.py::JwtTest::test_encode_decode_mismatched_algorithms",
    ]
    assert all(len(reason) > 20 for reason in today.values())
    assert twilio_shim.expected_failures("4.0.0") == twilio_shim.expected_failures("5.7.0") == {}
    for test in today:
        assert test.split("::")[0] in run.TEST_FILES["today"]


def _sdist(tmp_path: Path, body: str) -> Path:
    """A stand-in for twilio 4.0.0's sdist holding one test file."""
    test = tmp_path / "test_capability.py"
    test.write_text(body, encoding="utf-8")
    sdist = tmp_path / "twilio-4.0.0.tar.gz"
    with tarfile.open(sdist, "w:gz") as archive:
        archive.add(test, "twilio-4.0.0/tests/task_router/test_capability.py")
    return sdist


def _run(sdist: Path, tmp_path: Path, migration: str | None = None) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ)
    if migration is not None:
        (tmp_path / "migration.md").write_text(migration, encoding="utf-8")
        env["TRCAP_MIGRATION_MD"] = str(tmp_path / "migration.md")
    return subprocess.run(
        [sys.executable, str(SUITE / "run.py"), "4.0.0", "--sdist", str(sdist)],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip


BODY = '''
import unittest
from twilio import jwt
from twilio.task_router import TaskRouterCapability

class T(unittest.TestCase):
    def test_ours(self):
        import twilio_trcap
        self.assertIs(TaskRouterCapability, twilio_trcap.TaskRouterCapability)
        token = TaskRouterCapability("AC1", "k" * 32, "WS1", "WK1").generate_token()
        self.assertEqual(jwt.decode(token, "k" * 32)["channel"], "WK1")

    def test_nothing_else_of_twilio(self):
        with self.assertRaises(ImportError):
            import twilio.rest  # noqa: F401
'''


def test_twilio_s_imports_become_ours(tmp_path: Path) -> None:
    result = _run(_sdist(tmp_path, BODY), tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "2 passed" in result.stdout


def test_a_listed_test_that_passes_fails_the_run(tmp_path: Path) -> None:
    row = "| 4.0.0 | `tests/task_router/test_capability.py::T::test_ours` | a reason long enough |\n"
    result = _run(_sdist(tmp_path, BODY), tmp_path, migration=row)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "XPASS(strict)" in result.stdout and "1 failed, 1 passed" in result.stdout


def test_a_listed_test_that_fails_is_expected(tmp_path: Path) -> None:
    body = BODY.replace('["channel"], "WK1")', '["channel"], "WK2")')
    row = "| 4.0.0 | `tests/task_router/test_capability.py::T::test_ours` | a reason long enough |\n"
    assert _run(_sdist(tmp_path, body), tmp_path).returncode == 1
    result = _run(_sdist(tmp_path, body), tmp_path, migration=row)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 passed, 1 xfailed" in result.stdout


def test_a_listed_test_that_does_not_exist_is_an_error(tmp_path: Path) -> None:
    row = "| 4.0.0 | `tests/task_router/test_capability.py::T::test_gone` | a reason long enough |\n"
    result = _run(_sdist(tmp_path, BODY), tmp_path, migration=row)
    assert result.returncode != 0
    assert "not collected" in result.stdout + result.stderr and "test_gone" in result.stdout + result.stderr


def test_an_sdist_without_the_files_is_refused(tmp_path: Path) -> None:
    sdist = tmp_path / "twilio-4.0.0.tar.gz"
    with tarfile.open(sdist, "w:gz"):
        pass
    with pytest.raises(SystemExit, match="has no"):
        run.main(["4.0.0", "--sdist", str(sdist)])
