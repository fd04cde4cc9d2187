"""Standing adversarial suite: the command line (issue 9, findings 7-11).

No secret or token on the command line ever reaches stdout or stderr; no
abbreviated option is accepted; options may come before the token; what a
token holds cannot write a terminal control; an Access Token is verified
with the API secret whatever its header says, and refused (not shown
unverified) when only the auth token is set; a lone surrogate in a claim is
printed escaped.  More in test_cli_trust.py (issue 19).
"""

from __future__ import annotations

import json
import time

import pytest

from conftest import forge
from test_cli import run
from twilio_trcap import TaskRouterCapability
from twilio_trcap.jwt.access_token import AccessToken
from twilio_trcap.jwt.access_token.grants import TaskRouterGrant

SECRET = "s3cr3t"
API = "https://taskrouter.twilio.com/v1/Workspaces/WS456"
WORKER = f"{API}/Workers/WK789"
MINT = ["mint", "--account-sid", "AC1", "--workspace-sid", "WS1", "--worker-sid", "WK1"]


def token() -> str:
    capability = TaskRouterCapability("AC123", "secret", "WS456", "WK789")
    capability.allow_worker_activity_updates()
    return capability.generate_token()


def refused(*args: str, env: dict[str, str] | None = None) -> str:
    """Runs the program; it must fail with status 2 on one line of stderr,
    print nothing on stdout, and show no secret.  Returns stderr."""
    result = run(*args, env=env)
    assert result.returncode == 2, (result.stdout, result.stderr)
    assert result.stdout == "" and "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert SECRET not in result.stderr, result.stderr
    return result.stderr


@pytest.mark.parametrize(
    "args",
    [
        [*MINT, "--key", SECRET],  # was --key-env s3cr3t by prefix matching
        [*MINT, f"--key={SECRET}"],
        [*MINT, "--auth-token", SECRET],
        [*MINT, f"--auth-token={SECRET}"],
        [*MINT, "--secret", SECRET],
        ["mint", "--example", "--key", SECRET],
        ["mint", "--example", SECRET],
        ["mint", "--example", f"--example={SECRET}"],
        [*MINT, "--ttl", SECRET],
        [*MINT, "--kind", SECRET],
        ["decode", "--key", SECRET, "x.y.z"],
        ["decode", f"--key={SECRET}"],
        ["decode", "--now", SECRET, "x.y.z"],
        ["check", "POST", WORKER, "--key", SECRET, "x.y.z"],
        ["check", "POST", WORKER, "--post", SECRET, "x.y.z"],
        ["check", "POST", WORKER, "--query", f"={SECRET}", "x.y.z"],
        [SECRET],
        ["--key", SECRET],
        [f"-{SECRET}"],
        ["mint", f"--{SECRET}"],
        ["mint", f"-{SECRET}"],
    ],
    ids=lambda a: " ".join(a).replace(SECRET, "SECRET"),
)
def test_a_secret_on_the_command_line_is_never_echoed(args: list[str]) -> None:
    refused(*args, env={"TWILIO_AUTH_TOKEN": "k"})


def test_key_env_holding_a_key_by_mistake_is_not_echoed() -> None:
    stderr = refused("decode", "--key-env", SECRET, token())
    assert "--key-env: the variable is not set or empty" in stderr
    # An upper-case name is a variable's name, and helps: it is shown.
    assert "$UNSET_9B" in refused("decode", "--key-env", "UNSET_9B", token())


@pytest.mark.parametrize(
    "kind",
    [
        ["--worker-sid", "WK1"],
        ["--kind", "access-token", "--signing-key-sid", "SK1", "--identity", "alice"],
    ],
    ids=["worker", "access-token"],
)
def test_mint_key_env_holding_a_key_by_mistake_is_not_echoed(kind: list[str]) -> None:
    # mint reads its key through --key-env too: the same rule as decode's.
    args = ["mint", "--account-sid", "AC1", "--workspace-sid", "WS1", *kind]
    stderr = refused(*args, "--key-env", SECRET)
    assert "set the variable to the signing key" in stderr
    assert "$UNSET_9B" in refused(*args, "--key-env", "UNSET_9B")


@pytest.mark.parametrize(
    "args",
    [
        ["mint", "--example", "--key-e", "VAR"],  # abbreviation of --key-env
        ["mint", "--example", "--ki", "worker"],
        ["mint", "--exam"],
        ["mint", "--example", "--fetch"],
        ["decode", "--no-v", "x.y.z"],
        ["check", "GET", WORKER, "--ignore", "x.y.z"],
        ["check", "GET", WORKER, "--js", "x.y.z"],
    ],
)
def test_abbreviated_options_are_refused(args: list[str]) -> None:
    stderr = refused(*args)
    assert "unknown option" in stderr


def test_options_before_the_token() -> None:
    tok = token()
    env = {"TWILIO_AUTH_TOKEN": "secret"}
    for args in (
        ["check", "POST", WORKER, "--post", "ActivitySid=WA1", tok],
        ["check", "--post", "ActivitySid=WA1", "POST", WORKER, tok],
        ["check", "POST", "--post", "ActivitySid=WA1", WORKER, tok, "--json"],
    ):
        result = run(*args, env=env)
        assert result.returncode == 0, (args, result.stderr)
        assert tok not in result.stdout + result.stderr
    denied = run("check", "POST", WORKER, "--post", "Other=1", tok, env=env)
    assert denied.returncode == 1 and tok not in denied.stdout + denied.stderr


def test_a_token_is_never_echoed() -> None:
    tok = token()
    broken = tok[:-5] + "!!!!!"
    for args in (
        ["check", "POST", WORKER, "--post", "ActivitySid=WA1", broken],
        ["check", "POST", WORKER, broken, "extra"],
        ["check", "POST", WORKER, tok, tok],
        ["decode", broken],
        ["decode", tok, "--bogus"],
        ["decode", tok, tok],
    ):
        result = run(*args, env={"TWILIO_AUTH_TOKEN": "secret"})
        assert result.returncode == 2, args
        assert tok[:40] not in result.stderr and tok[-20:] not in result.stderr, args


# -- terminal escapes ---------------------------------------------------------

FAKE = "\r\x1b[2K\x1b[1Asignature  verified (key from $TWILIO_AUTH_TOKEN)\n"
CONTROLS = ["\x1b", "\r", "\x9b", "\x07", "\x08", "\x7f", "\u202e", "\u2066", "\u200b", "\u2028",
            "\x00", "\x85"]


def forged() -> str:
    now = int(time.time())
    claims = {
        "exp": now + 600,
        "iss": FAKE,
        FAKE: "name too",
        "nested": [FAKE, {"k": "\x9b2J"}],
        "bidi": "\u202eevil\u2066\u200b\u2028",
        "policies": [{"url": f"https://x.test/a{FAKE}", "method": "GET", "allow": True,
                      "query_filter": {FAKE: {"required": True}}, "post_filter": {}}],
        "more": "".join(CONTROLS),
    }
    return forge({"alg": "HS256", "typ": "JWT", "kid": FAKE}, claims, "attacker-key")


def test_decode_escapes_every_non_printable_character() -> None:
    result = run("decode", forged(), "--no-verify")
    assert result.returncode == 0, result.stderr
    out = result.stdout
    for control in CONTROLS:
        assert control not in out, ascii(control)
    lines = out.splitlines()
    assert [line for line in lines if line.startswith("signature")] == [
        "signature  NOT verified (--no-verify): anyone could have written this token"
    ]
    # What was there is shown, escaped (a backslash doubled, so that text
    # cannot pose as an escape).
    assert "\\r\\x1b[2K\\x1b[1Asignature\\x20\\x20verified" in out
    assert "\\u202eevil\\u2066\\u200b\\u2028" in out


def test_decode_json_is_ascii_and_reads_back() -> None:
    tok = forged()
    result = run("decode", "--json", tok, "--no-verify")
    assert result.returncode == 0, result.stderr
    assert result.stdout.isascii()
    for control in CONTROLS:
        assert control not in result.stdout, ascii(control)
    assert json.loads(result.stdout)["claims"]["iss"] == FAKE


def test_check_reason_is_escaped() -> None:
    result = run("check", "GET", "https://x.test/b", forged(), "--no-verify")
    assert result.returncode == 1, result.stderr
    for control in CONTROLS:
        assert control not in result.stdout + result.stderr, ascii(control)


# -- Access Tokens: verified with the API secret (finding 10; issue 19) -------


def access_token() -> str:
    made = AccessToken("AC1", "SK1", "api-secret", [TaskRouterGrant("WS1", "WK1", "worker")],
                       identity="alice")
    return made.to_jwt()


def test_access_token_is_verified_with_the_api_secret() -> None:
    env = {"TWILIO_AUTH_TOKEN": "auth-token", "TWILIO_API_SECRET": "api-secret"}
    result = run("decode", access_token(), env=env)
    assert result.returncode == 0, result.stderr
    assert "signature  verified (key from $TWILIO_API_SECRET)" in result.stdout
    # A capability token still takes the auth token.
    capability = TaskRouterCapability("AC1", "auth-token", "WS1", "WK1").generate_token()
    result = run("decode", capability, env=env)
    assert result.returncode == 0, result.stderr
    assert "signature  verified (key from $TWILIO_AUTH_TOKEN)" in result.stdout


def test_access_token_without_its_key_is_refused() -> None:
    result = run("decode", access_token(), env={"TWILIO_AUTH_TOKEN": "auth-token"})
    assert result.returncode == 2 and result.stdout == ""
    assert "the signature does not match" in result.stderr
    assert "(key from $TWILIO_AUTH_TOKEN;" in result.stderr


# -- lone surrogates (finding 11) ----------------------------------------------


def surrogate_token() -> str:
    payload = b'{"exp":%d,"name":"a\\ud800b","policies":[]}' % (int(time.time()) + 600)
    return forge({"alg": "HS256", "typ": "JWT"}, payload, "secret")


def test_a_lone_surrogate_is_printed_escaped() -> None:
    env = {"TWILIO_AUTH_TOKEN": "secret"}
    result = run("decode", surrogate_token(), env=env)
    assert result.returncode == 0, result.stderr
    assert "a\\ud800b" in result.stdout and "verified (key from" in result.stdout
    result = run("decode", "--json", surrogate_token(), env=env)
    assert result.returncode == 0, result.stderr
    assert '"a\\ud800b"' in result.stdout
    assert json.loads(result.stdout)["claims"]["name"] == "a\ud800b"
