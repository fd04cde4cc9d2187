"""The package is typed: mypy --strict passes on it, and on code that uses
its public API (so CI runs mypy through the test suite)."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def mypy(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--no-error-summary", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )


def test_mypy_strict_on_the_package() -> None:
    result = mypy("twilio_trcap")
    assert (result.returncode, result.stdout, result.stderr) == (0, "", "")


def test_mypy_strict_on_code_using_the_api(tmp_path: Path) -> None:
    program = textwrap.dedent(
        """
        from typing import assert_type
        from twilio_trcap import JwtDecodeError, Policy, REQUIRED
        from twilio_trcap.jwt import GENERATE, Jwt
        from twilio_trcap.jwt.access_token import AccessToken
        from twilio_trcap.jwt.access_token.grants import TaskRouterGrant
        from twilio_trcap.jwt.taskrouter.capabilities import WorkerCapabilityToken
        from twilio_trcap.task_router_v5 import TaskRouterWorkerCapability

        token = WorkerCapabilityToken("AC1", "key", "WS1", "WK1", 600, nbf=GENERATE)
        token.allow("https://example.com/x", "GET", query_filter={"A": REQUIRED})
        assert_type(token.to_jwt(), str)
        assert_type(WorkerCapabilityToken.from_jwt(token.to_jwt(), "key"), WorkerCapabilityToken)
        assert_type(Jwt.from_jwt(token.to_jwt(), "key"), Jwt)
        assert_type(token.policies[0], Policy)
        access = AccessToken("AC1", "SK1", "secret", identity="alice")
        access.add_grant(TaskRouterGrant(workspace_sid="WS1", worker_sid="WK1", role="worker"))
        old = TaskRouterWorkerCapability("AC1", "key", "WS1", "WK1")
        assert_type(old.generate_token(ttl=60), str)
        try:
            AccessToken.from_jwt(access.to_jwt(), "secret")
        except JwtDecodeError as error:
            assert_type(error, JwtDecodeError)
        """
    )
    (tmp_path / "uses.py").write_text(program, encoding="utf-8")
    result = mypy(str(tmp_path / "uses.py"))
    assert (result.returncode, result.stdout, result.stderr) == (0, "", "")
    (tmp_path / "wrong.py").write_text(
        "from twilio_trcap.jwt.access_token import AccessToken\n"
        "from twilio_trcap.jwt.taskrouter.capabilities import WorkerCapabilityToken\n"
        "AccessToken(1, 'SK1', 'k')\n"
        "WorkerCapabilityToken('AC1', 'k', 'WS1', 'WK1', allow_upadte_self=True)\n",
        encoding="utf-8",
    )
    wrong = mypy(str(tmp_path / "wrong.py"))
    assert wrong.returncode == 1
    assert 'incompatible type "int"' in wrong.stdout
    assert 'Unexpected keyword argument "allow_upadte_self"' in wrong.stdout


def test_runtime_annotations_resolve() -> None:
    """typing.get_type_hints (Sphinx, pydantic, typeguard ...) resolves the
    annotations of what the light import moved or retyped: allows and
    explain, whose model loads on first use, and every argument that takes
    a key (KeyLike, a union with twilio_trcap.Key)."""
    import typing

    from twilio_trcap import DecodedToken, Key, TaskRouterCapability
    from twilio_trcap.check import Decision
    from twilio_trcap.jwt import Jwt
    from twilio_trcap.jwt.taskrouter.capabilities import WorkerCapabilityToken
    from twilio_trcap.task_router_v5 import TaskRouterWorkerCapability

    for cls in (TaskRouterCapability, DecodedToken, WorkerCapabilityToken):
        assert typing.get_type_hints(cls.explain)["return"] is Decision
        assert typing.get_type_hints(cls.allows)["return"] is bool
    for init in (Jwt.__init__, WorkerCapabilityToken.__init__, TaskRouterWorkerCapability.__init__):
        hints = typing.get_type_hints(init)
        key = hints.get("secret_key", hints.get("auth_token"))
        assert Key in typing.get_args(key), (init, key)
