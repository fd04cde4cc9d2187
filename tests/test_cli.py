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
