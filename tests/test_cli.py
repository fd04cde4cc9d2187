"""The command line: python -m twilio_trcap mint."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile

import pytest

from conftest import payload_text, pyjwt_reencode
from twilio_trcap.cli import EXAMPLE_AUTH_TOKEN, main


def run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith("TWILIO_")}
    return subprocess.run(
        [sys.executable, "-m", "twilio_trcap", *args],
        capture_output=True,
        text=True,
        env={**base, **(env or {})},
        # Not the checkout: `-m` would import its twilio_trcap/, which has
        # no compiled core unless the install was editable.
        cwd=tempfile.gettempdir(),
    )


def test_readme_main_command_mints_the_example_token() -> None:
    result = run("mint", "--example")
    assert result.returncode == 0, result.stderr
    token = result.stdout.strip()
    assert token == pyjwt_reencode(token, EXAMPLE_AUTH_TOKEN)
    claims = json.loads(payload_text(token))
    assert (claims["iss"], claims["workspace_sid"], claims["worker_sid"]) == ("AC123", "WS456", "WK789")
    assert len(claims["policies"]) == 3
    assert "--example" in result.stderr and "example" in result.stderr


def test_mint_with_credentials_from_the_environment() -> None:
    env = {"TWILIO_ACCOUNT_SID": "AC" + "a" * 32, "TWILIO_AUTH_TOKEN": "real-key"}
    result = run("mint", "--workspace-sid", "WS1", "--worker-sid", "WK1", "--all", "--ttl", "600", env=env)
    assert result.returncode == 0, result.stderr
    token = result.stdout.strip()
    assert token == pyjwt_reencode(token, "real-key")
    claims = json.loads(payload_text(token))
    assert claims["iss"] == "AC" + "a" * 32
    assert len(claims["policies"]) == 6
    assert "real-key" not in result.stdout + result.stderr


@pytest.mark.parametrize(
    ("flags", "count"),
    [
        ([], 3),
        (["--fetch-attributes"], 4),
        (["--activity-updates", "--reservation-updates"], 5),
        (["--all"], 6),
    ],
)
def test_permission_flags(flags: list[str], count: int, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["mint", "--example", *flags]) == 0
    token = capsys.readouterr().out.strip()
    assert len(json.loads(payload_text(token))["policies"]) == count


@pytest.mark.parametrize(
    ("args", "env", "message"),
    [
        (["mint", "--workspace-sid", "WS1", "--worker-sid", "WK1"], {"TWILIO_AUTH_TOKEN": "k"}, "TWILIO_ACCOUNT_SID"),
        (["mint", "--account-sid", "AC1", "--worker-sid", "WK1"], {"TWILIO_AUTH_TOKEN": "k"}, "--workspace-sid"),
        (["mint", "--account-sid", "AC1", "--workspace-sid", "WS1"], {"TWILIO_AUTH_TOKEN": "k"}, "--worker-sid"),
        (["mint", "--account-sid", "AC1", "--workspace-sid", "WS1", "--worker-sid", "WK1"], {}, "TWILIO_AUTH_TOKEN"),
        (["mint", "--example", "--ttl", "-1"], {}, "ttl must be zero or more"),
        (["mint", "--example", "--worker-sid", "WK1"], {}, "--example sets its own sids"),
    ],
)
def test_errors_are_one_line_and_status_2(args: list[str], env: dict[str, str], message: str) -> None:
    result = run(*args, env=env)
    assert result.returncode == 2
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and message in lines[0], result.stderr
    assert "Traceback" not in result.stderr


def test_version() -> None:
    from twilio_trcap import __version__

    result = run("--version")
    assert result.returncode == 0
    assert result.stdout.startswith(f"twilio-trcap {__version__} (OpenSSL 3.")


KIND_SIDS = {
    "taskqueue": ["--workspace-sid", "WS" + "2" * 32, "--task-queue-sid", "WQ" + "3" * 32],
    "workspace": ["--workspace-sid", "WS" + "2" * 32],
    "access-token": [
        "--workspace-sid", "WS" + "2" * 32, "--signing-key-sid", "SK" + "4" * 32,
        "--identity", "alice", "--worker-sid", "WK" + "5" * 32, "--role", "worker",
    ],
}


def test_task_queue_token_equals_todays_class(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    from twilio_trcap.jwt.taskrouter.capabilities import TaskQueueCapabilityToken

    monkeypatch.setenv("TWILIO_ACCOUNT_SID", "AC" + "1" * 32)
    monkeypatch.setenv("TWILIO_AUTH_TOKEN", "queue-key")
    assert main(["mint", "--kind", "taskqueue", *KIND_SIDS["taskqueue"], "--update-self", "--fetch-subresources"]) == 0
    token = capsys.readouterr().out.strip()
    claims = json.loads(payload_text(token))
    expected = TaskQueueCapabilityToken(
        "AC" + "1" * 32, "queue-key", "WS" + "2" * 32, "WQ" + "3" * 32,
        allow_update_self=True, allow_fetch_subresources=True, nbf=claims["nbf"], valid_until=claims["exp"],
    )
    assert token == expected.to_jwt()
    assert token == pyjwt_reencode(token, "queue-key")


def test_workspace_token(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MY_KEY", "ws-key")
    args = ["mint", "--kind", "workspace", "--account-sid", "AC" + "1" * 32, *KIND_SIDS["workspace"]]
    assert main([*args, "--key-env", "MY_KEY", "--delete-subresources", "--ttl", "60"]) == 0
    token = capsys.readouterr().out.strip()
    claims = json.loads(payload_text(token))
    assert token == pyjwt_reencode(token, "ws-key")
    assert claims["exp"] - claims["nbf"] == 60
    assert [(p["method"], p["url"].rsplit("/", 1)[-1]) for p in claims["policies"]][-1] == ("DELETE", "**")


def test_access_token(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TWILIO_ACCOUNT_SID", "AC" + "1" * 32)
    monkeypatch.setenv("TWILIO_API_SECRET", "api-secret")
    assert main(["mint", "--kind", "access-token", *KIND_SIDS["access-token"]]) == 0
    token = capsys.readouterr().out.strip()
    claims = json.loads(payload_text(token))
    # PyJWT, given the same payload and the cty header, writes the same token.
    import jwt

    with pytest.warns(jwt.warnings.InsecureKeyLengthWarning):
        assert token == jwt.encode(claims, "api-secret", headers={"cty": "twilio-fpa;v=1"})
    assert claims["iss"] == "SK" + "4" * 32 and claims["sub"] == "AC" + "1" * 32
    assert claims["grants"] == {
        "identity": "alice",
        "task_router": {"workspace_sid": "WS" + "2" * 32, "worker_sid": "WK" + "5" * 32, "role": "worker"},
    }


@pytest.mark.parametrize("kind", ["worker", "taskqueue", "workspace", "access-token"])
def test_every_kind_has_an_example_that_decodes(kind: str) -> None:
    minted = run("mint", "--kind", kind, "--example")
    assert minted.returncode == 0, minted.stderr
    assert f"--kind {kind}" in minted.stderr
    decoded = subprocess.run(
        [sys.executable, "-m", "twilio_trcap", "decode", "--json", "--key-env", "KEY"],
        input=minted.stdout, capture_output=True, text=True,
        env={**os.environ, "KEY": EXAMPLE_AUTH_TOKEN}, cwd=tempfile.gettempdir(),
    )
    assert decoded.returncode == 0, decoded.stderr
    assert json.loads(decoded.stdout)["claims"]["exp"] > 0


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["mint", "--kind", "workspace", "--example", "--fetch-attributes"], "--fetch-attributes does not apply to --kind workspace"),
        (["mint", "--kind", "worker", "--example", "--update-self"], "--update-self does not apply to --kind worker"),
        (["mint", "--kind", "taskqueue", "--example", "--task-queue-sid", "WQ1"], "--example sets its own sids"),
        (["mint", "--kind", "taskqueue", "--account-sid", "AC1", "--workspace-sid", "WS1"], "give --task-queue-sid"),
        (["mint", "--kind", "access-token", "--account-sid", "AC1", "--workspace-sid", "WS1", "--signing-key-sid", "SK1", "--identity", "a"], "set $TWILIO_API_SECRET"),
        (["mint", "--kind", "taskqueue", "--account-sid", "AC1", "--workspace-sid", "WS1", "--task-queue-sid", "WK1"], "task_queue_sid"),
        (["mint", "--kind", "fax"], "invalid choice"),
    ],
)
def test_mint_kind_errors(args: list[str], message: str) -> None:
    result = run(*args, env={"TWILIO_AUTH_TOKEN": "k"})
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and message in lines[0], result.stderr
