"""The bad-input catalogue: every wrong argument gets a clear exception
that names it; none crashes, wraps a number or mints a wrong token."""

from __future__ import annotations

import json

import pytest

from conftest import payload_text, pyjwt_reencode
from twilio_trcap import Policy, TaskRouterCapability

GOOD = {"account_sid": "AC1", "auth_token": "key", "workspace_sid": "WS1", "worker_sid": "WK1"}
INT64_MAX = 2**63 - 1


def make(**changes: object) -> TaskRouterCapability:
    return TaskRouterCapability(**{**GOOD, **changes})  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "name", ["account_sid", "workspace_sid", "worker_sid", "base_url", "version", "base_ws_url"]
)
@pytest.mark.parametrize("value", [None, 123, b"AC1", ["AC1"]])
def test_text_arguments_of_the_wrong_type(name: str, value: object) -> None:
    with pytest.raises(TypeError, match=rf"^{name} must be str, not {type(value).__name__}$"):
        make(**{name: value})


@pytest.mark.parametrize(
    "name", ["account_sid", "workspace_sid", "worker_sid", "base_url", "version", "base_ws_url"]
)
def test_empty_text_arguments(name: str) -> None:
    with pytest.raises(ValueError, match=rf"^{name} must not be empty$"):
        make(**{name: ""})


@pytest.mark.parametrize("value", [None, 42, bytearray(b"key"), memoryview(b"key")])
def test_auth_token_of_the_wrong_type(value: object) -> None:
    with pytest.raises(TypeError, match="^auth_token must be str or bytes, not "):
        make(auth_token=value)


@pytest.mark.parametrize("value", ["", b""])
def test_empty_auth_token(value: str | bytes) -> None:
    with pytest.raises(ValueError, match="^auth_token must not be empty$"):
        make(auth_token=value)


def test_auth_token_with_a_lone_surrogate() -> None:
    with pytest.raises(ValueError, match="^auth_token contains a lone surrogate") as info:
        make(auth_token="abc\ud800def")
    assert "abc" not in str(info.value)


@pytest.mark.parametrize("ttl", [True, False])
def test_bool_ttl(ttl: bool) -> None:
    with pytest.raises(TypeError, match="^ttl must be an int, not bool$"):
        make().generate_token(ttl=ttl)


@pytest.mark.parametrize("ttl", [1.5, 600.0, "600", None, [600]])
def test_non_integer_ttl(ttl: object) -> None:
    with pytest.raises(TypeError, match=f"^ttl must be an int, not {type(ttl).__name__}$"):
        make().generate_token(ttl=ttl)  # type: ignore[arg-type]


def test_negative_ttl() -> None:
    with pytest.raises(ValueError, match="^ttl must be zero or more seconds, not -1$"):
        make().generate_token(ttl=-1)


def test_ttl_with_index_is_accepted() -> None:
    class Seconds:
        def __index__(self) -> int:
            return 600

    token = make().generate_token(ttl=Seconds(), now=1000)  # type: ignore[arg-type]
    assert json.loads(payload_text(token))["exp"] == 1600


def test_exp_at_the_int64_limit_is_exact() -> None:
    now = 1_700_000_000
    token = make().generate_token(ttl=INT64_MAX - now, now=now)
    assert json.loads(payload_text(token))["exp"] == INT64_MAX
    assert token == pyjwt_reencode(token, "key")


@pytest.mark.parametrize("ttl", [INT64_MAX - 1_700_000_000 + 1, 2**63, 2**64, 10**30])
def test_exp_beyond_int64_overflows(ttl: int) -> None:
    with pytest.raises(OverflowError, match=r"^exp \(\d+\) does not fit a signed 64-bit integer$"):
        make().generate_token(ttl=ttl, now=1_700_000_000)


@pytest.mark.parametrize("now", [True, 1.5, "now"])
def test_bad_now(now: object) -> None:
    with pytest.raises(TypeError, match="^now must be an int"):
        make().generate_token(now=now)  # type: ignore[arg-type]


def test_now_beyond_int64_overflows() -> None:
    with pytest.raises(OverflowError, match="^exp"):
        make().generate_token(ttl=0, now=-(2**63) - 1)


@pytest.mark.parametrize(
    ("args", "error", "pattern"),
    [
        ((1, "GET"), TypeError, "^url must be str, not int$"),
        (("", "GET"), ValueError, "^url must not be empty$"),
        (("https://x.test", None), TypeError, "^method must be str, not NoneType$"),
        (("https://x.test", ""), ValueError, "^method must not be empty$"),
        (("https://x.test", "G T"), ValueError, "^method must be an HTTP method"),
        (("https://x.test", "GET", "yes"), TypeError, "^allow must be bool, not str$"),
        (("https://x.test", "GET", 1), TypeError, "^allow must be bool, not int$"),
        (
            ("https://x.test", "GET", True, ["Status"]),
            TypeError,
            "^query_filter must be a mapping or None, not list$",
        ),
        (
            ("https://x.test", "GET", True, None, {"X": object()}),
            TypeError,
            "^post_filter must hold only JSON values",
        ),
        (
            ("https://x.test", "GET", True, None, {"X": float("nan")}),
            ValueError,
            "^post_filter: nan is not a JSON number",
        ),
        (
            ("https://x.test", "GET", True, {2: {"required": True}}),
            TypeError,
            "^query_filter: keys must be str, not int$",
        ),
    ],
)
def test_policy_arguments(args: tuple, error: type[Exception], pattern: str) -> None:
    with pytest.raises(error, match=pattern):
        Policy(*args)


def test_a_failed_append_leaves_the_token_unchanged() -> None:
    capability = make()
    before = capability.generate_token(now=1)
    with pytest.raises(TypeError):
        capability.policies.append({"url": "https://x.test", "method": "GET", "allow": "no"})
    assert capability.generate_token(now=1) == before
