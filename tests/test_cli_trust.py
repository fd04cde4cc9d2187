"""Trust, round 3 (issue 19, items 1, 4 and 6): the installed ``trcap``
never trusts what a token says about itself.

- The key comes from ``--key-env`` or the environment, never from the
  token's unverified header: a forged ``cty`` changes nothing, a token no
  key verifies is never "allowed", and reading one unverified takes
  ``--no-verify``, which the output's first line then says.
- No value from a token can draw a line of the program's own: the verdict
  comes first, runs of spaces are escaped, long values are cut with a
  marker (checked with the output wrapped at 80 and at 40 columns).
- stdin is read up to one character past the longest token, then refused.

Every test runs the ``trcap`` script installed beside this interpreter, in
a subprocess.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import pytest

from conftest import forge
from twilio_trcap import TaskRouterCapability
from twilio_trcap.decode import MAX_TOKEN_LENGTH
from twilio_trcap.jwt.access_token import AccessToken
from twilio_trcap.jwt.access_token.grants import TaskRouterGrant

AUTH_TOKEN = "0123456789abcdef0123456789abcdef"
API_SECRET = "fedcba9876543210fedcba9876543210"
ATTACKER = "attacker-key"
API = "https://taskrouter.twilio.com/v1/Workspaces/WS456"
WORKER = f"{API}/Workers/WK789"
TRCAP = Path(sys.executable).with_name("trcap")


def trcap(*args: str, env: dict[str, str] | None = None, stdin: Any = None,
          timeout: float = 60) -> subprocess.CompletedProcess[str]:
    """The installed program, with no TWILIO_ variable but those in `env`."""
    assert TRCAP.exists(), f"the trcap script is not installed beside {sys.executable}"
    base = {k: v for k, v in os.environ.items() if not k.startswith("TWILIO_")}
    return subprocess.run(
        [str(TRCAP), *args], capture_output=True, text=True, env={**base, **(env or {})},
        cwd=tempfile.gettempdir(), timeout=timeout,
        **({"input": stdin} if isinstance(stdin, str) else {"stdin": stdin}),
    )


def error_line(result: subprocess.CompletedProcess[str]) -> str:
    """The one line of stderr of a run refused with status 2 and no output."""
    assert result.returncode == 2, (result.returncode, result.stdout, result.stderr)
    assert result.stdout == "" and "Traceback" not in result.stderr, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("twilio-trcap: error: "), result.stderr
    return lines[0]


def capability_claims() -> dict[str, Any]:
    capability = TaskRouterCapability("AC123", AUTH_TOKEN, "WS456", "WK789")
    capability.allow_worker_fetch_attributes()
    token = capability.generate_token()
    from twilio_trcap.decode import decode_token
    return dict(decode_token(token, AUTH_TOKEN).payload)


def forged(header: dict[str, Any], claims: dict[str, Any] | None = None) -> str:
    """A capability token's claims, signed with a key that is not the user's."""
    return forge({"alg": "HS256", "typ": "JWT", **header}, claims or capability_claims(), ATTACKER)


# -- item 1: the key is ours, never the header's ------------------------------

ACCESS_CTY = {"cty": "twilio-fpa;v=1"}
KEY_SETS = {
    "auth token only": {"TWILIO_AUTH_TOKEN": AUTH_TOKEN},
    "api secret only": {"TWILIO_API_SECRET": API_SECRET},
    "both": {"TWILIO_AUTH_TOKEN": AUTH_TOKEN, "TWILIO_API_SECRET": API_SECRET},
}


@pytest.mark.parametrize("header", [{}, ACCESS_CTY, {"cty": "JWT"}, {"kid": "TWILIO_AUTH_TOKEN"}],
                         ids=["plain", "access-token cty", "other cty", "kid"])
@pytest.mark.parametrize("keys", list(KEY_SETS), ids=list(KEY_SETS))
def test_a_forged_token_is_never_allowed_whatever_its_header_says(header: dict[str, Any], keys: str) -> None:
    token = forged(header)
    env = KEY_SETS[keys]
    check = trcap("check", "GET", WORKER, token, env=env)
    line = error_line(check)
    assert "the signature does not match" in line
    sources = [f"${name}" for name in ("TWILIO_AUTH_TOKEN", "TWILIO_API_SECRET") if name in env]
    assert " or ".join(sources) in line
    assert "--no-verify" in line
    assert "the signature does not match" in error_line(trcap("decode", token, env=env))
    json_check = trcap("check", "GET", WORKER, token, "--json", env=env)
    assert "the signature does not match" in error_line(json_check)


@pytest.mark.parametrize("command", [["decode"], ["check", "GET", WORKER], ["decode", "--json"]])
def test_no_key_is_an_error_not_an_unverified_answer(command: list[str]) -> None:
    for header in ({}, ACCESS_CTY):
        line = error_line(trcap(*command, forged(header)))
        assert "no key to verify the signature with" in line
        assert "$TWILIO_AUTH_TOKEN" in line and "$TWILIO_API_SECRET" in line
        assert "--no-verify" in line


def test_no_verify_says_so_on_the_first_line() -> None:
    token = forged(ACCESS_CTY)
    decode = trcap("decode", token, "--no-verify")
    assert decode.returncode == 0, decode.stderr
    lines = decode.stdout.splitlines()
    assert lines[0].startswith("signature  NOT verified (--no-verify)")
    assert lines[1] == "status     within its times, NOT verified"
    assert not any(line.startswith("status     valid") for line in lines)
    check = trcap("check", "GET", WORKER, token, "--no-verify")
    assert check.returncode == 0, check.stderr
    assert check.stdout.splitlines()[0].startswith("signature NOT verified (--no-verify)")
    as_json = trcap("check", "GET", WORKER, token, "--no-verify", "--json")
    assert as_json.stdout.startswith('{"verified": false, "key_from": null')
    decoded = trcap("decode", token, "--no-verify", "--json")
    assert json.loads(decoded.stdout)["verified"] is False
    assert decoded.stdout.startswith('{\n  "verified": false')


def test_each_key_that_is_set_is_tried_and_named() -> None:
    access = AccessToken("AC1", "SK1", API_SECRET, [TaskRouterGrant("WS1", "WK1", "worker")],
                         identity="alice").to_jwt()
    capability = TaskRouterCapability("AC1", AUTH_TOKEN, "WS1", "WK1").generate_token()
    both = KEY_SETS["both"]
    for token, source in ((access, "$TWILIO_API_SECRET"), (capability, "$TWILIO_AUTH_TOKEN")):
        result = trcap("decode", token, env=both)
        assert result.returncode == 0, result.stderr
        assert result.stdout.splitlines()[:2] == [
            f"signature  verified (key from {source})", "status     valid",
        ]
        assert json.loads(trcap("decode", token, "--json", env=both).stdout)["key_from"] == source
    # Only the auth token set: an Access Token is refused, not shown unverified.
    line = error_line(trcap("decode", access, env=KEY_SETS["auth token only"]))
    assert "does not match" in line and "$TWILIO_API_SECRET" not in line
    # --key-env names the one key to use.
    assert "does not match" in error_line(trcap("decode", access, "--key-env", "TWILIO_AUTH_TOKEN",
                                                env=both))
    for secret in (AUTH_TOKEN, API_SECRET):
        for run in (trcap("decode", access, env=both), trcap("decode", forged({}), env=both)):
            assert secret not in run.stdout + run.stderr


# -- item 4: no value draws a line of ours -------------------------------------

OURS = "signature  verified (key from $TWILIO_AUTH_TOKEN)"


def wrapped(text: str, width: int) -> list[str]:
    """`text` as a terminal `width` columns wide shows it (every character
    one column: the values here are ASCII)."""
    rows = []
    for line in text.splitlines():
        rows += [line[i:i + width] for i in range(0, max(len(line), 1), width)]
    return rows


def padded(width: int) -> str:
    """A value whose tail, in a decode table at `width` columns, starts a
    row with our 'verified' line, as on 7899688."""
    return " " * (width * 3 - len("  kid  ")) + OURS


@pytest.mark.parametrize("width", [80, 40])
def test_a_padded_value_cannot_pass_for_the_verdict(width: int) -> None:
    token = forged({"kid": padded(width), "x5u": "." * (width - 7) + OURS},
                   {**capability_claims(), "note": padded(width)})
    result = trcap("decode", token, "--no-verify")
    assert result.returncode == 0, result.stderr
    rows = wrapped(result.stdout, width)
    verdict = wrapped("signature  NOT verified (--no-verify): anyone could have written this token\n"
                      "status     within its times, NOT verified", width)
    # The verdict is the first thing on the screen, before any value.
    assert rows[:len(verdict)] == verdict
    # Runs of spaces in values are escaped: the padding is shown, not laid out.
    assert "\\x20\\x20" in result.stdout
    assert not any(row.startswith(OURS[:width]) for row in rows)
    lines = result.stdout.splitlines()
    assert [line for line in lines if line.startswith("signature")] == [lines[0]]
    assert [line for line in lines if line.startswith("status")] == [lines[1]]


def test_long_values_are_cut_with_a_marker() -> None:
    long_claim = "y" * 5000
    token = forged({"kid": "k" * 1000}, {**capability_claims(), "z" * 300: long_claim})
    result = trcap("decode", token, "--no-verify")
    assert result.returncode == 0, result.stderr
    assert "y" * 5000 not in result.stdout and "k" * 1000 not in result.stdout
    assert "[4800 more characters; --json shows all]" in result.stdout
    assert "[800 more characters; --json shows all]" in result.stdout
    assert "[100 more characters; --json shows all]" in result.stdout  # a claim's name
    assert max(len(line) for line in result.stdout.splitlines()) < 600
    whole = json.loads(trcap("decode", token, "--no-verify", "--json").stdout)
    assert whole["claims"]["z" * 300] == long_claim and whole["header"]["kid"] == "k" * 1000


def test_a_padded_value_inside_json_is_escaped() -> None:
    claims = {**capability_claims(), "grants": {"note": [" " * 60 + OURS]}}
    result = trcap("decode", forged({}, claims), "--key-env", "K", env={"K": ATTACKER})
    assert result.returncode == 0, result.stderr
    assert "  " + OURS not in result.stdout
    assert "\\x20" * 60 + "signature\\x20\\x20verified" in result.stdout
    assert result.stdout.splitlines()[0] == "signature  verified (key from $K)"


# -- item 6: bounded stdin ------------------------------------------------------


def test_decode_from_dev_zero_stops_at_the_limit() -> None:
    started = time.monotonic()
    with open("/dev/zero", "rb") as zeros:
        result = trcap("decode", stdin=zeros, env={"TWILIO_AUTH_TOKEN": AUTH_TOKEN}, timeout=60)
    line = error_line(result)
    assert line == (f"twilio-trcap: error: the token on stdin is longer than {MAX_TOKEN_LENGTH} "
                    "characters")
    assert time.monotonic() - started < 60


def test_stdin_at_the_limit_and_one_past_it() -> None:
    claims = {**capability_claims(), "pad": ""}
    room = MAX_TOKEN_LENGTH - len(forged({}, claims))
    claims["pad"] = "p" * (room * 3 // 4)
    while len(token := forged({}, claims)) > MAX_TOKEN_LENGTH:
        claims["pad"] = claims["pad"][:-1]
    assert MAX_TOKEN_LENGTH - 2 <= len(token) <= MAX_TOKEN_LENGTH
    env = {"K": ATTACKER}
    ok = trcap("decode", "--key-env", "K", "--json", stdin=token + "\r\n", env=env)
    assert ok.returncode == 0, ok.stderr
    assert json.loads(ok.stdout)["claims"]["pad"] == claims["pad"]
    over = "A" * (MAX_TOKEN_LENGTH + 1)
    assert "longer than" in error_line(trcap("decode", "--key-env", "K", stdin=over, env=env))
    # A token that fills the limit and a line end, then anything more:
    # refused, not cut.
    more = token + "\n" * (MAX_TOKEN_LENGTH + 2 - len(token)) + "x"
    assert "longer than" in error_line(trcap("decode", "--key-env", "K", stdin=more, env=env))


def test_stdin_that_is_not_utf8_is_one_line() -> None:
    with tempfile.TemporaryFile() as raw:
        raw.write(b"\xff\xfe" + b"A" * 10)
        raw.seek(0)
        line = error_line(trcap("decode", "--no-verify", stdin=raw,
                                env={"PYTHONIOENCODING": "utf-8:strict"}))
    assert line == "twilio-trcap: error: stdin is not UTF-8 text"


def test_the_help_says_the_rules() -> None:
    decode = trcap("decode", "--help").stdout
    flat = re.sub(r"\s+", " ", decode)
    assert "never a key the token's header asks for" in flat
    assert "--no-verify" in flat and "TWILIO_API_SECRET" in flat
    check = re.sub(r"\s+", " ", trcap("check", "--help").stdout)
    assert "a token no key verifies" in check
