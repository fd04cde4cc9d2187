"""The installed ``trcap`` follows command-line conventions (issue 21, item
7): its usage names it, an unknown command or option is named with the
closest valid one, a bad value is shown with what was expected (unless it
could be a key), ``check`` takes only HTTP methods, and ``--post``/``--query``
take NAME=VALUE as their help says."""

from __future__ import annotations

import subprocess

import pytest

from test_cli_trust import error_line, trcap

SECRET = "0123456789abcdef0123456789abcdef"  # the shape of a Twilio auth token
WORKER = "https://taskrouter.twilio.com/v1/Workspaces/WS456/Workers/WK789"


def test_usage_names_the_program_it_was_run_as() -> None:
    assert trcap("--help").stdout.startswith("usage: trcap ")
    assert trcap("mint", "--help").stdout.startswith("usage: trcap mint ")
    import sys
    module = subprocess.run([sys.executable, "-m", "twilio_trcap", "--help"],
                            capture_output=True, text=True, cwd="/")
    assert module.stdout.startswith("usage: python -m twilio_trcap ")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["mnit"], "unknown command 'mnit'; did you mean mint? (choose from mint, decode, check"),
        (["decdoe"], "unknown command 'decdoe'; did you mean decode?"),
        (["mint", "--example", "--wokrer-sid", "WK1"],
         "mint: unknown option --wokrer-sid; did you mean --worker-sid? (see --help)"),
        (["decode", "--no-verfy", "x.y.z"], "decode: unknown option --no-verfy; did you mean --no-verify?"),
        (["mint", "--example", "--ttl", "abc"],
         "mint: argument --ttl: invalid int value 'abc': expected a whole number"),
        (["mint", "--example", "--ttl", "1.5"], "invalid int value '1.5': expected a whole number"),
        (["decode", "--now", "soon", "x.y.z"], "argument --now: invalid float value 'soon': expected a number"),
        (["mint", "--example", "--kind", "wroker"],
         "argument --kind: invalid choice 'wroker'; did you mean worker? (choose from worker, "
         "taskqueue, workspace, access-token)"),
        (["check", "FETCH", WORKER, "x.y.z"], "METHOD 'FETCH' is not an HTTP method; did you mean PATCH?"),
        (["check", "GTE", WORKER, "x.y.z"], "METHOD 'GTE' is not an HTTP method; did you mean GET?"),
        (["check", "POST", WORKER, "--post", "ActivitySid", "x.y.z"], "--post wants NAME=VALUE"),
        (["check", "GET", WORKER, "--query", "PageSize", "x.y.z"], "--query wants NAME=VALUE"),
    ],
)
def test_conventions(args: list[str], message: str) -> None:
    line = error_line(trcap(*args))
    assert message in line, line


@pytest.mark.parametrize(
    "args",
    [
        [SECRET],
        ["mint", "--example", "--ttl", SECRET],
        ["mint", "--example", "--kind", SECRET],
        ["mint", "--example", "--ttl", "s3cr3t"],
        ["check", SECRET, WORKER, "x.y.z"],
        ["check", "POST", WORKER, "--post", SECRET, "x.y.z"],
        ["decode", "--now", SECRET, "x.y.z"],
        ["mint", f"--{SECRET}"],
        ["mint", "--example", f"--ttl={SECRET}"],
    ],
)
def test_a_value_that_could_be_a_key_is_never_shown_or_suggested_from(args: list[str]) -> None:
    result = trcap(*args)
    line = error_line(result)
    assert SECRET not in line and "s3cr3t" not in line
    assert "did you mean" not in line


def test_an_http_method_in_any_case_is_taken() -> None:
    for method in ("get", "Post", "DELETE", "patch"):
        result = trcap("check", method, WORKER, "x.y.z", "--no-verify")
        assert "not an HTTP method" not in result.stderr
        assert "malformed token" in result.stderr
