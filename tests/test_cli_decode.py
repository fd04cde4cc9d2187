"""The command line's decode and check subcommands (and mint --kind), run
as a program (python -m twilio_trcap) and through main(argv)."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import tempfile
import uuid

import pytest
from twilio.jwt.taskrouter.capabilities import WorkerCapabilityToken

from conftest import forge
from test_cli import run
from twilio_trcap import TaskRouterCapability
from twilio_trcap.cli import MINTERS, main

NOW = 1_700_000_000
API = "https://taskrouter.twilio.com/v1/Workspaces/WS456"
WORKER = f"{API}/Workers/WK789"


def worker_token(key: str = "secret", ttl: int = 3600, now: int = NOW) -> str:
    capability = TaskRouterCapability("AC123", key, "WS456", "WK789")
    capability.allow_worker_fetch_attributes()
    capability.allow_worker_activity_updates()
    capability.allow_task_reservation_updates()
    return capability.generate_token(ttl=ttl, now=now)


TOKEN = worker_token()


def piped(*args: str, stdin: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith("TWILIO_")}
    return subprocess.run(
        [sys.executable, "-m", "twilio_trcap", *args],
        input=stdin, capture_output=True, text=True, env={**base, **(env or {})},
        cwd=tempfile.gettempdir(),
    )


def one_error_line(result: subprocess.CompletedProcess[str], status: int = 2) -> str:
    assert result.returncode == status, (result.stdout, result.stderr)
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("twilio-trcap: error: ")
    return lines[0]


# -- decode -------------------------------------------------------------------


def test_decode_table() -> None:
    result = run("decode", TOKEN, "--now", str(NOW + 60), env={"TWILIO_AUTH_TOKEN": "secret"})
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert out.splitlines()[:2] == [
        "signature  verified (key from $TWILIO_AUTH_TOKEN)", "status     valid",
    ]
    assert "  alg  HS256" in out
    assert "policies       6, below" in out
    # The wording of twilio_trcap._time_words.in_words, the HTML views' too.
    assert f"exp            {NOW + 3600}  in 59 minutes (2023-11-14 23:13:20 UTC)" in out
    assert "status     valid" in out
    assert "5  allow  POST    post ReservationStatus required  " + f"{API}/Tasks/**" in out
    assert "4  allow  POST    post ActivitySid required" in out


def test_decode_verifies_with_the_auth_token() -> None:
    result = run("decode", TOKEN, env={"TWILIO_AUTH_TOKEN": "secret"})
    assert result.returncode == 0, result.stderr
    assert "signature  verified (key from $TWILIO_AUTH_TOKEN)" in result.stdout


def test_decode_verifies_with_key_env() -> None:
    result = run("decode", TOKEN, "--key-env", "MY_KEY", env={"MY_KEY": "secret"})
    assert result.returncode == 0, result.stderr
    assert "signature  verified (key from $MY_KEY)" in result.stdout


def test_decode_with_the_wrong_key() -> None:
    key = "wrong-" + uuid.uuid4().hex
    result = run("decode", TOKEN, env={"TWILIO_AUTH_TOKEN": key})
    line = one_error_line(result)
    assert "the signature does not match" in line and "--no-verify" in line
    assert key not in result.stdout + result.stderr
    ok = run("decode", TOKEN, "--no-verify", env={"TWILIO_AUTH_TOKEN": key})
    assert ok.returncode == 0 and "NOT verified (--no-verify)" in ok.stdout


def test_decode_expired_token_is_shown() -> None:
    result = run("decode", TOKEN, "--now", str(NOW + 7200), env={"TWILIO_AUTH_TOKEN": "secret"})
    assert result.returncode == 0, result.stderr
    assert f"exp            {NOW + 3600}  1 hour ago (2023-11-14 23:13:20 UTC)" in result.stdout
    assert "status     EXPIRED" in result.stdout
    later = run("decode", worker_token(now=NOW + 86400 * 3), "--now", str(NOW), "--no-verify")
    assert "status     NOT YET VALID" not in later.stdout  # no nbf in a twilio 4.0 token
    assert "in 3 days" in later.stdout


def test_decode_json() -> None:
    result = run("decode", TOKEN, "--json", "--now", str(NOW + 7200), env={"TWILIO_AUTH_TOKEN": "secret"})
    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout)
    assert out["header"] == {"alg": "HS256", "typ": "JWT"}
    assert out["claims"]["exp"] == NOW + 3600
    assert len(out["claims"]["policies"]) == 6
    assert (out["verified"], out["expired"], out["not_yet_valid"]) == (True, True, False)


def test_decode_from_stdin() -> None:
    result = piped("decode", stdin=TOKEN + "\n", env={"TWILIO_AUTH_TOKEN": "secret"})
    assert result.returncode == 0, result.stderr
    assert "workspace_sid  WS456" in result.stdout
    dash = piped("decode", "-", "--json", "--no-verify", stdin=f"  {TOKEN}\r\n")
    assert json.loads(dash.stdout)["claims"]["iss"] == "AC123"
    assert "no token on stdin" in one_error_line(piped("decode", stdin=""))


def test_decode_other_claims_and_a_bad_policies_claim() -> None:
    token = forge({"alg": "HS256"}, {"grants": {"video": {}}, "nbf": NOW + 10, "policies": 3}, "k" * 32)
    result = run("decode", token, "--now", str(NOW), "--key-env", "K", env={"K": "k" * 32})
    assert result.returncode == 0, result.stderr
    assert 'grants    {"video": {}}' in result.stdout
    assert "status     NOT YET VALID" in result.stdout
    assert "policies   malformed token: the policies claim is not an array" in result.stdout
    out = json.loads(run("decode", token, "--json", "--now", str(NOW), "--no-verify").stdout)
    assert out["not_yet_valid"] is True and "policies_error" in out


def test_decode_a_twilio_9_token() -> None:
    key = "s" * 32
    token = WorkerCapabilityToken("AC123", key, "WS456", "WK789").to_jwt()
    result = run("decode", token, "--key-env", "K", env={"K": key})
    assert result.returncode == 0, result.stderr
    assert "verified" in result.stdout and "nbf" in result.stdout
    assert f"{API}/Tasks/**" in result.stdout


BAD_TOKENS = [
    ("", "the token argument is empty"),
    ("abc", "malformed token: a JWS has three segments"),
    (TOKEN + "=", "malformed token: the signature segment: base64url padding"),
    (TOKEN[:-1], "malformed token: the signature segment"),
    (TOKEN.replace(".", "..", 1), "malformed token"),
    ("é" + TOKEN, "malformed token: a character outside the base64url alphabet"),
    (forge({"alg": "none"}, {}, signature=b""), "the token is unsigned (alg 'none')"),
    (forge({"alg": "HS256"}, b'{"a":1,"a":2}'), "appears twice"),
    (forge({"alg": "HS256"}, {"exp": "soon"}), "the exp claim must be a number"),
    ("A" * 70_000 + ".." , "longer than the limit"),
]


@pytest.mark.parametrize(("token", "message"), BAD_TOKENS)
def test_bad_tokens_are_one_line(token: str, message: str) -> None:
    for command in (["decode", token], ["check", "GET", WORKER, token]):
        # With a key, with --no-verify, and with neither: a token that is
        # not well formed says so before any word about keys.
        # (TOKEN's key is "secret", forge's "k" * 32: each is tried.)
        keys = {"TWILIO_AUTH_TOKEN": "secret", "TWILIO_API_SECRET": "k" * 32}
        for extra, env in (([], keys), (["--no-verify"], {}), ([], {})):
            line = one_error_line(run(*command, *extra, env=env))
            assert message in line, (line, extra, env)


@pytest.mark.parametrize(
    ("args", "env", "message"),
    [
        (["decode", TOKEN, "--key-env", "UNSET_VAR"], {}, "--key-env: $UNSET_VAR is not set or empty"),
        (["decode", TOKEN, "--key-env", "K", "--no-verify"], {"K": "x"}, "contradict"),
        (["decode", TOKEN, "--now", "soon"], {}, "decode: argument --now: invalid float value"),
        (["decode", TOKEN, "extra"], {}, "decode: 1 unexpected argument"),
        (["check", "GET"], {}, "check: the following arguments are required: URL"),
        (["check", "GET", WORKER, TOKEN, "--query", "=x"], {}, "--query wants NAME=VALUE"),
        (["check", "", WORKER, TOKEN], {}, "METHOD (not shown) is not an HTTP method"),
        (["check", "GET", f"{WORKER}#x", TOKEN], {}, "fragment"),
        (["frobnicate"], {}, "unknown command 'frobnicate' (choose from mint, decode, check"),
        (["mint", "--example", "--kind", "spaceship"], {}, "argument --kind: invalid choice"),
    ],
)
def test_bad_arguments_are_one_line(args: list[str], env: dict[str, str], message: str) -> None:
    line = one_error_line(run(*args, env=env))
    assert message in line, line


# -- check ---------------------------------------------------------------------


def test_check_allowed_and_denied() -> None:
    env = {"TWILIO_AUTH_TOKEN": "secret"}
    allowed = run("check", "POST", WORKER, TOKEN, "--post", "ActivitySid=WA1",
                  "--now", str(NOW), env=env)
    assert allowed.returncode == 0, allowed.stderr
    assert allowed.stdout.strip() == f"allowed by policy 4 (allow POST {WORKER})"
    assert allowed.stderr == ""
    denied = run("check", "POST", WORKER, TOKEN, "--now", str(NOW), env=env)
    assert denied.returncode == 1
    assert denied.stdout.strip().startswith(f"denied: no policy matches POST {WORKER}")
    assert "requires form parameter 'ActivitySid'" in denied.stdout
    query = run("check", "get", f"{API}/Activities", TOKEN, "--query", "PageSize=5",
                "--now", str(NOW), env=env)
    assert query.returncode == 0


def test_check_unverified_says_so_first() -> None:
    result = run("check", "GET", WORKER, TOKEN, "--now", str(NOW), "--no-verify")
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        "signature NOT verified (--no-verify): anyone could have written this token",
        f"allowed by policy 3 (allow GET {WORKER})",
    ]


def test_check_expired_token() -> None:
    env = {"TWILIO_AUTH_TOKEN": "secret"}
    line = one_error_line(run("check", "GET", WORKER, TOKEN, "--now", str(NOW + 7200), env=env))
    assert f"the token expired at {NOW + 3600}" in line
    ok = run("check", "GET", WORKER, TOKEN, "--now", str(NOW + 7200), "--ignore-expiry", env=env)
    assert ok.returncode == 0


def test_check_json_and_stdin() -> None:
    result = piped("check", "POST", f"{API}/Tasks/WT1/Reservations/WR1", "--json",
                   "--post", "ReservationStatus=accepted", "--now", str(NOW),
                   stdin=TOKEN, env={"TWILIO_AUTH_TOKEN": "secret"})
    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout)
    assert out["allowed"] is True and out["index"] == 5 and out["verified"] is True
    assert out["policy"]["url"] == f"{API}/Tasks/**"
    assert out["key_from"] == "$TWILIO_AUTH_TOKEN"
    denied = piped("check", "DELETE", WORKER, "--json", "--now", str(NOW), "--no-verify", stdin=TOKEN)
    assert denied.returncode == 1
    assert json.loads(denied.stdout) == {
        "verified": False, "key_from": None, "allowed": False, "index": None, "policy": None,
        "reason": f"denied: no policy matches DELETE {WORKER}",
    }
    assert denied.stdout.startswith('{"verified": false')


def test_check_a_deny_policy() -> None:
    capability = TaskRouterCapability("AC123", "secret", "WS456", "WK789")
    capability.allow_worker_fetch_attributes()
    capability.policies.append({"url": WORKER, "method": "GET", "allow": False})
    token = capability.generate_token(now=NOW)
    result = run("check", "GET", WORKER, token, "--now", str(NOW), env={"TWILIO_AUTH_TOKEN": "secret"})
    assert result.returncode == 1
    assert result.stdout.startswith("denied by policy 4 (deny GET")


# -- main(argv) ------------------------------------------------------------------


def test_main_in_process(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TWILIO_API_SECRET", raising=False)
    monkeypatch.setenv("TWILIO_AUTH_TOKEN", "secret")
    assert main(["check", "GET", WORKER, TOKEN, "--now", str(NOW)]) == 0
    assert capsys.readouterr().out.startswith("allowed by policy 3")
    assert main(["check", "DELETE", WORKER, TOKEN, "--now", str(NOW)]) == 1
    assert main(["check", "GET", WORKER, "x.y.z"]) == 2
    err = capsys.readouterr().err
    assert err.strip().splitlines()[-1].startswith("twilio-trcap: error: malformed token")
    assert main(["decode", "--help"]) == 0
    assert "--key-env" in capsys.readouterr().out
    monkeypatch.setattr(sys, "stdin", io.StringIO("  \n"))
    assert main(["decode"]) == 2
    assert "no token on stdin" in capsys.readouterr().err

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    monkeypatch.setattr(sys, "stdin", Terminal(TOKEN))
    assert main(["decode"]) == 2
    assert "give the token as an argument, or pipe it on stdin" in capsys.readouterr().err
    monkeypatch.setattr(sys, "stdin", io.StringIO(TOKEN))
    assert main(["decode", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["claims"]["iss"] == "AC123"


def test_check_needs_the_right_key(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["mint", "--example", "--kind", "worker"]) == 0
    token = capsys.readouterr().out.strip()
    assert main(["check", "GET", f"{API}/Activities", token, "--key-env", "NOPE"]) == 2
    assert main(["check", "GET", f"{API}/Activities", token, "--no-verify"]) == 0