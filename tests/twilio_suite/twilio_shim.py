"""A pytest plugin that runs twilio-python's own tests against twilio_trcap.

Loaded by ``run.py`` (``-p twilio_shim``) in a pytest process of its own,
never in our suite's: it puts a stand-in ``twilio`` package in
``sys.modules`` whose modules are twilio_trcap's, so that twilio's test
files, read from twilio's sdist or git tree as they are, import ours.  The
generation comes from ``TRCAP_TWILIO_GENERATION`` (``4.0.0``, ``5.7.0`` or
``today``).

Each test that docs/migration.md lists under "twilio's own tests" is
marked ``xfail(strict=True)`` with the reason written there; every other
test must pass.  A listed test that is not collected is an error, so the
list and the run agree exactly.
"""

from __future__ import annotations

import os
import re
import sys
import types
import unittest.mock
from pathlib import Path
from typing import Any

import pytest

GENERATION = os.environ.get("TRCAP_TWILIO_GENERATION", "")
MIGRATION_MD = Path(
    os.environ.get("TRCAP_MIGRATION_MD", Path(__file__).resolve().parents[2] / "docs" / "migration.md")
)


def _old_jwt_module() -> types.ModuleType:
    """twilio 4.x and 5.x bundled a JWT module, ``twilio.jwt``, whose
    ``decode(jwt, key="", verify=True)`` the tests call: ours verifies."""
    from twilio_trcap.decode import decode, decode_token

    module = types.ModuleType("twilio.jwt")

    def decode_any(token: str, key: str = "", verify: bool = True) -> dict[str, Any]:
        if verify:
            return decode(token, key)
        return decode_token(token, None).payload

    module.decode = decode_any  # type: ignore[attr-defined]
    return module


def _modules(generation: str) -> dict[str, Any]:
    """twilio's module names and what stands for each."""
    if generation in ("4.0.0", "5.7.0"):
        import twilio_trcap.task_router as v4
        import twilio_trcap.task_router_v5 as v5

        return {"twilio.jwt": _old_jwt_module(), "twilio.task_router": v4 if generation == "4.0.0" else v5}
    if generation == "today":
        import twilio_trcap.jwt
        import twilio_trcap.jwt.access_token
        import twilio_trcap.jwt.access_token.grants
        import twilio_trcap.jwt.taskrouter
        import twilio_trcap.jwt.taskrouter.capabilities

        names = ("", ".access_token", ".access_token.grants", ".taskrouter", ".taskrouter.capabilities")
        mapped: dict[str, Any] = {f"twilio.jwt{n}": sys.modules[f"twilio_trcap.jwt{n}"] for n in names}
        # Today's tests import the ``mock`` backport; the standard library's is the same API.
        mapped["mock"] = unittest.mock
        return mapped
    raise pytest.UsageError(f"TRCAP_TWILIO_GENERATION must be 4.0.0, 5.7.0 or today, not {generation!r}")


def _install(mapped: dict[str, Any]) -> None:
    """A ``twilio`` package with nothing in it but `mapped`: importing any
    other twilio module (twilio.rest, ...) fails, and the real twilio, if
    installed, is never imported."""
    if "twilio" in sys.modules and not getattr(sys.modules["twilio"], "__trcap_shim__", False):
        raise pytest.UsageError("the real twilio was imported before the shim")
    root = types.ModuleType("twilio")
    root.__path__ = []  # a package with no files of its own
    root.__trcap_shim__ = True  # type: ignore[attr-defined]
    sys.modules["twilio"] = root
    for name, module in mapped.items():
        sys.modules[name] = module
        parent, _, child = name.rpartition(".")
        if parent in sys.modules:
            setattr(sys.modules[parent], child, module)


def expected_failures(generation: str, text: str | None = None) -> dict[str, str]:
    """The table under "twilio's own tests" in docs/migration.md: each
    test of `generation` that fails on purpose, and why."""
    if text is None:
        text = MIGRATION_MD.read_text(encoding="utf-8")
    rows = re.findall(r"^\| (4\.0\.0|5\.7\.0|today) \| `([^`]+)` \| (.+?) \|$", text, re.MULTILINE)
    return {test: reason for gen, test, reason in rows if gen == generation}


def pytest_configure(config: pytest.Config) -> None:
    _install(_modules(GENERATION))
    config.addinivalue_line("markers", "xfail: expected to fail (docs/migration.md)")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    expected = expected_failures(GENERATION)
    seen = set()
    for item in items:
        # Node ids from the twilio tree's root: tests/unit/jwt/test_jwt.py::JwtTest::test_...
        reason = expected.get(item.nodeid)
        if reason is not None:
            seen.add(item.nodeid)
            item.add_marker(pytest.mark.xfail(reason=reason, strict=True))
    missing = sorted(set(expected) - seen)
    if missing:
        raise pytest.UsageError(f"docs/migration.md lists tests that were not collected: {missing}")
