"""The bad-input catalogue: every wrong argument gets a clear exception
that names it; none crashes, wraps a number or mints a wrong token.

The wrong ttl and now of every class: test_every_class.py (one expiry rule).
"""

from __future__ import annotations

import datetime

import pytest

from twilio_trcap import Policy, TaskRouterCapability, _core

GOOD = {"account_sid": "AC1", "auth_token": "key", "workspace_sid": "WS1", "worker_sid": "WK1"}


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
    with pytest.raises(TypeError, match="^auth_token must be str, bytes or Key, not "):
        make(auth_token=value)


@pytest.mark.parametrize("value", ["", b""])
def test_empty_auth_token(value: str | bytes) -> None:
    with pytest.raises(ValueError, match="^auth_token must not be empty$"):
        make(auth_token=value)


def test_auth_token_with_a_lone_surrogate() -> None:
    with pytest.raises(ValueError, match="^auth_token contains a lone surrogate") as info:
        make(auth_token="abc\ud800def")
    assert "abc" not in str(info.value)


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


# ---- the sid rule's character check, at every ASCII boundary ----------------


@pytest.mark.parametrize("code", range(128))
def test_the_sid_rule_takes_exactly_ascii_letters_and_digits(code: int) -> None:
    # Branch-free in the core (errors.c, sid_ok): every ASCII character,
    # the neighbours of each range ('/', ':', '@', '[', '`', '{', DEL) and
    # the controls among them, in each position of a sid.
    # Every sid has its prefix (docs/security.md, "Sids").
    c = chr(code)
    allowed = c.isascii() and c.isalnum()
    for sid in ("WK" + c, "WK1" + c, "WK1" + c + "2" * 40, "WK" + "3" * 14 + c + "4"):
        if allowed:
            assert _core.check_sid(sid, "worker_sid", ("WK",)) == sid
        else:
            with pytest.raises(ValueError, match="^worker_sid must hold ASCII letters and digits"):
                _core.check_sid(sid, "worker_sid", ("WK",))
    for sid in (c, c + "WK", "W" + c + "1"):
        if sid.startswith("WK"):
            assert _core.check_sid(sid, "worker_sid", ("WK",)) == sid
        else:
            with pytest.raises(ValueError, match="^worker_sid must start with 'WK'"):
                _core.check_sid(sid, "worker_sid", ("WK",))


# ---- check_text: the rule of text arguments that are not sids ----------------


def test_check_text_takes_an_exact_str_as_it_is() -> None:
    version = "v1"
    assert _core.check_text(version, "version") is version


def test_check_text_copies_a_subclass_by_value_running_none_of_its_methods() -> None:
    class Sly(str):
        def __str__(self) -> str:
            raise AssertionError("__str__ ran")

        def __len__(self) -> int:
            raise AssertionError("__len__ ran")

        def __bool__(self) -> bool:
            raise AssertionError("__bool__ ran")

    value = _core.check_text(Sly("https://example.com"), "base_url")
    assert type(value) is str and value == "https://example.com"


@pytest.mark.parametrize(
    ("value", "error", "message"),
    [
        (None, TypeError, "base_url must be str, not NoneType"),
        (b"v1", TypeError, "base_url must be str, not bytes"),
        (datetime.date(2020, 1, 1), TypeError, "base_url must be str, not date"),
        ("", ValueError, "base_url must not be empty"),
    ],
)
def test_check_text_names_the_argument_and_what_was_expected(
    value: object, error: type[Exception], message: str
) -> None:
    with pytest.raises(error) as caught:
        _core.check_text(value, "base_url")
    assert str(caught.value) == message
    with pytest.raises(error) as caught:
        TaskRouterCapability("AC1", "token", "WS1", "WK1", base_url=value)  # type: ignore[arg-type]
    assert str(caught.value) == message
