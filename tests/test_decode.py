"""decode() and decode_token(): arguments, errors, limits, secrets and
memory.  Agreement with PyJWT is in test_decode_pyjwt.py."""

from __future__ import annotations

import gc
import importlib.util
import subprocess
import sys
import textwrap
import uuid
from datetime import timedelta
from typing import Any

import pytest

import twilio_trcap
from conftest import b64url_encode, forge
from twilio_trcap import (
    DecodedToken,
    DecodeError,
    ExpiredTokenError,
    MalformedTokenError,
    NotYetValidError,
    Policy,
    TaskRouterCapability,
    UnsupportedAlgorithmError,
    _core,
    decode,
    decode_token,
)
from twilio_trcap.decode import MAX_HEADER_LENGTH, MAX_JSON_DEPTH, MAX_TOKEN_LENGTH

NOW = 1_700_000_000
HS = {"alg": "HS256", "typ": "JWT"}


def capability(key: str | bytes = "secret") -> TaskRouterCapability:
    cap = TaskRouterCapability("AC123", key, "WS456", "WK789")
    cap.allow_worker_activity_updates()
    return cap


# -- the exception classes (their hierarchy: test_errors.py) ----------------


def test_the_core_raises_the_package_classes() -> None:
    with pytest.raises(MalformedTokenError):
        _core.decode_jws("x", None, ("HS256",))
    # A fresh instance of the module (PEP 489) uses the same classes.
    spec = importlib.util.find_spec("twilio_trcap._core")
    assert spec is not None and spec.loader is not None
    other = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(other)
    with pytest.raises(MalformedTokenError):
        other.decode_jws("x", None, ("HS256",))
    assert other.MAX_TOKEN_LENGTH == MAX_TOKEN_LENGTH


# -- what comes back ----------------------------------------------------------


def test_round_trip() -> None:
    cap = capability()
    token = cap.generate_token(ttl=600, now=NOW)
    claims = decode(token, "secret", now=NOW)
    assert claims["exp"] == NOW + 600
    assert claims["policies"] == [p.to_dict() for p in cap.policies]
    assert list(claims) == ["version", "friendly_name", "policies", "iss", "exp",
                            "account_sid", "channel", "worker_sid", "workspace_sid"]
    # A new dict every time.
    assert decode(token, "secret", now=NOW) is not claims


@pytest.mark.parametrize("key", ["secret", b"secret", "clé-ключ", b"\x00\xff\x00"])
def test_keys_as_str_or_bytes(key: str | bytes) -> None:
    token = capability(key).generate_token(now=NOW)
    assert decode(token, key, now=NOW)["iss"] == "AC123"
    same = key.encode() if isinstance(key, str) else None
    if same is not None:
        assert decode(token, same, now=NOW)["iss"] == "AC123"


def test_decode_token() -> None:
    cap = capability()
    token = cap.generate_token(now=NOW)
    decoded = decode_token(token, "secret", now=NOW)
    assert isinstance(decoded, DecodedToken)
    assert decoded.header == {"alg": "HS256", "typ": "JWT"}
    assert decoded.payload == decode(token, "secret", now=NOW)
    assert decoded.verified is True
    assert decoded.policies == list(cap.policies)
    assert all(isinstance(p, Policy) for p in decoded.policies)
    assert "verified" in repr(decoded) and "secret" not in repr(decoded)


def test_decode_token_without_a_key_does_not_verify() -> None:
    token = capability().generate_token(now=NOW)
    decoded = decode_token(token, None, now=NOW)
    assert decoded.verified is False
    assert "NOT verified" in repr(decoded)
    # Everything but the signature is still checked.
    with pytest.raises(ExpiredTokenError):
        decode_token(token, None, now=NOW + 10**6)
    with pytest.raises(UnsupportedAlgorithmError):
        decode_token(forge({"alg": "none"}, {}, signature=b""), None)
    with pytest.raises(MalformedTokenError):
        decode_token(token + "=", None)


@pytest.mark.parametrize(
    ("policies", "message"),
    [
        ("all", "policies claim is not an array"),
        ([1], "policy 0 is not an object"),
        ([{"url": "u", "method": "GET"}], "policy 0 is not an object with url, method and allow"),
        ([{"url": "u", "method": "G T", "allow": True}], "policy 0: method must be"),
        ([{"url": "u", "method": "GET", "allow": "yes"}], "policy 0: allow must be bool"),
        ([{"url": "u", "method": "GET", "allow": True, "extra": 1}], "policy 0: a policy has no field"),
    ],
)
def test_malformed_policies_claim(policies: Any, message: str) -> None:
    decoded = decode_token(forge(HS, {"policies": policies}), "k" * 32)
    with pytest.raises(MalformedTokenError, match=message):
        decoded.policies  # noqa: B018
    with pytest.raises(MalformedTokenError):
        decoded.allows("GET", "u")


def test_a_token_without_policies_allows_nothing() -> None:
    decoded = decode_token(forge(HS, {"grants": {}}), "k" * 32)
    assert decoded.policies == []
    assert not decoded.allows("GET", "https://taskrouter.twilio.com/v1/Workspaces")


# -- times ----------------------------------------------------------------------


def test_exp_boundaries() -> None:
    token = forge(HS, {"exp": NOW})
    with pytest.raises(ExpiredTokenError, match=f"expired at {NOW}"):
        decode(token, "k" * 32, now=NOW)
    assert decode(token, "k" * 32, now=NOW - 1) == {"exp": NOW}
    assert decode(token, "k" * 32, now=NOW - 0.001) == {"exp": NOW}
    assert decode(token, "k" * 32, now=NOW + 5, leeway=5.5) == {"exp": NOW}
    assert decode(token, "k" * 32, now=NOW + 5, leeway=timedelta(seconds=6)) == {"exp": NOW}
    with pytest.raises(ExpiredTokenError):
        decode(token, "k" * 32, now=NOW + 5, leeway=5)
    assert decode(token, "k" * 32, now=NOW + 10**9, verify_exp=False) == {"exp": NOW}


def test_nbf_boundaries() -> None:
    token = forge(HS, {"nbf": NOW})
    assert decode(token, "k" * 32, now=NOW) == {"nbf": NOW}
    with pytest.raises(NotYetValidError, match=f"not valid before {NOW}"):
        decode(token, "k" * 32, now=NOW - 1)
    assert decode(token, "k" * 32, now=NOW - 3, leeway=3) == {"nbf": NOW}
    assert decode(token, "k" * 32, now=0, verify_nbf=False) == {"nbf": NOW}


def test_default_now_is_the_clock() -> None:
    token = capability().generate_token(ttl=60)
    assert decode(token, "secret")["iss"] == "AC123"
    with pytest.raises(ExpiredTokenError):
        decode(capability().generate_token(ttl=0), "secret")


@pytest.mark.parametrize("claim", ["exp", "nbf", "iat"])
@pytest.mark.parametrize("value", ["1700000000", True, None, [1], {}])
def test_time_claims_must_be_numbers_even_unchecked(claim: str, value: object) -> None:
    token = forge(HS, {claim: value})
    with pytest.raises(MalformedTokenError, match=f"the {claim} claim must be a number"):
        decode(token, "k" * 32, now=NOW, verify_exp=False, verify_nbf=False)


# -- arguments ------------------------------------------------------------------


@pytest.mark.parametrize("token", [None, 1, ["a.b.c"], bytearray(b"a.b.c")])
def test_token_of_the_wrong_type(token: object) -> None:
    with pytest.raises(TypeError, match="^token must be str or bytes"):
        decode(token, "k")  # type: ignore[arg-type]


@pytest.mark.parametrize("key", [None, 1, bytearray(b"k"), memoryview(b"k")])
def test_key_of_the_wrong_type(key: object) -> None:
    with pytest.raises(TypeError, match="^key must be str, bytes or Key"):
        decode("a.b.c", key)  # type: ignore[arg-type]


@pytest.mark.parametrize("key", ["", b""])
def test_empty_key(key: str | bytes) -> None:
    with pytest.raises(ValueError, match="^key must not be empty$"):
        decode("a.b.c", key)


def test_key_with_a_lone_surrogate() -> None:
    token = capability().generate_token(now=NOW)
    with pytest.raises(ValueError, match="^key contains a lone surrogate"):
        decode(token, "se\udc00cret")


@pytest.mark.parametrize(
    ("algorithms", "error", "message"),
    [
        ("HS256", TypeError, "algorithms must be a sequence"),
        (b"HS256", TypeError, "algorithms must be a sequence"),
        (None, TypeError, "algorithms must be a sequence"),
        ([], ValueError, "at least one"),
        (["HS256", 1], TypeError, "algorithms must hold str"),
        (["HS256", "none"], ValueError, "must not allow 'none'"),
        (["NONE"], ValueError, "must not allow 'none'"),
    ],
)
def test_bad_algorithms(algorithms: object, error: type[Exception], message: str) -> None:
    with pytest.raises(error, match=message):
        decode("a.b.c", "k", algorithms=algorithms)  # type: ignore[arg-type]


def test_algorithms_any_iterable() -> None:
    token = capability().generate_token(now=NOW)
    for algorithms in (["HS256"], ("HS256",), {"HS256"}, (a for a in ["HS256"])):
        assert decode(token, "secret", algorithms=algorithms, now=NOW)["iss"] == "AC123"
    with pytest.raises(UnsupportedAlgorithmError, match="not among the algorithms allowed"):
        decode(token, "secret", algorithms=["HS384"], now=NOW)


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"leeway": -1}, ValueError, "leeway must be zero or more"),
        ({"leeway": "5"}, TypeError, "leeway must be a number of seconds, not str"),
        ({"leeway": True}, TypeError, "leeway must be a number of seconds, not bool"),
        ({"leeway": float("nan")}, ValueError, "leeway must be a finite"),
        ({"now": "now"}, TypeError, "now must be a number of seconds, not str"),
        ({"now": False}, TypeError, "now must be a number of seconds, not bool"),
        ({"now": float("inf")}, ValueError, "now must be a finite"),
        ({"now": timedelta(1)}, TypeError, "now must be a number of seconds"),
    ],
)
def test_bad_time_arguments(kwargs: dict[str, Any], error: type[Exception], message: str) -> None:
    # Arguments are checked before the token: even a good token fails.
    token = capability().generate_token(now=NOW)
    with pytest.raises(error, match=message):
        decode(token, "secret", **kwargs)


def test_arguments_are_checked_before_the_token() -> None:
    with pytest.raises(TypeError):
        decode("not a token", 5)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="leeway"):
        decode("not a token", "k", leeway=-1)


# -- limits -----------------------------------------------------------------------


def test_documented_limits() -> None:
    assert (MAX_TOKEN_LENGTH, MAX_HEADER_LENGTH, MAX_JSON_DEPTH) == (65536, 4096, 64)


def _token_of_length(length: int) -> str:
    # Filler grows the payload segment by one or two characters a step;
    # start a little below the length wanted.
    for n in range(max(0, length * 3 // 4 - 100), length):
        token = forge(HS, {"f": "x" * n})
        if len(token) >= length:
            return token
    raise AssertionError("unreachable")


def test_the_longest_token() -> None:
    token = _token_of_length(MAX_TOKEN_LENGTH)
    assert len(token) == MAX_TOKEN_LENGTH
    assert decode(token, "k" * 32)["f"]
    longer = _token_of_length(MAX_TOKEN_LENGTH + 1)
    assert len(longer) > MAX_TOKEN_LENGTH
    with pytest.raises(MalformedTokenError, match="longer than the limit of 65536 characters"):
        decode(longer, "k" * 32)


def test_a_huge_token_is_refused_at_once() -> None:
    # Refused on its length: no decoding, no allocation proportional to it.
    with pytest.raises(MalformedTokenError, match="longer than the limit"):
        decode("A" * 50_000_000, "k")


def test_the_longest_header() -> None:
    for n in range(3000, 3200):
        token = forge({"alg": "HS256", "x": "y" * n}, {"a": 1})
        header_length = token.index(".")
        if header_length > MAX_HEADER_LENGTH:
            with pytest.raises(MalformedTokenError, match="header segment is longer"):
                decode(token, "k" * 32)
            return
        assert decode(token, "k" * 32) == {"a": 1}
    raise AssertionError("no header crossed the limit")


# -- messages -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("token", "message"),
    [
        ("abc", "^malformed token: a JWS has three segments separated by '.'; this has one$"),
        ("a.b.c", r"^malformed token: the header segment: a base64url length of 4k \+ 1 "
                  r"characters is impossible \(at character 0\)$"),
        ("eyJ.e30.", r"^malformed token: the header segment: non-canonical base64url \(the last "
                     r"character has unused bits set\) \(at character 2\)$"),
        ("e30.e30=.", r"^malformed token: the payload segment: base64url padding '=' is not "
                      r"allowed in a JWS \(at character 7\)$"),
        ("AAAA.e30.é", r"^malformed token: a character outside the base64url alphabet \(at character 9\)$"),
        (forge(b'{"alg":"HS256",}', {}), r"^malformed token: the header JSON: expected a member name .* \(at byte 15\)$"),
        (forge(HS, b'{"a":1,"a":2}'), r"^malformed token: the payload JSON: the member name 'a' appears twice$"),
        (forge(HS, b'{"a":"\xff"}'), r"^malformed token: the payload JSON: invalid UTF-8 \(at byte 6\)$"),
        (forge({"alg": "none"}, {}), r"^the token is unsigned \(alg 'none'\), which is never accepted$"),
        (forge({"typ": "JWT"}, {}), r"^the header names no algorithm \(alg\)$"),
        (forge(HS, {}, key="other" * 8), "^the signature does not match"),
    ],
)
def test_messages(token: str, message: str) -> None:
    with pytest.raises(DecodeError, match=message):
        decode(token, "k" * 32)


def test_messages_never_show_the_key() -> None:
    key = "key-" + uuid.uuid4().hex
    good = capability(key).generate_token(now=NOW)
    bad_tokens = [
        good[:-2], good + ".", good.replace(".", "=", 1),
        capability("other").generate_token(now=NOW),
        forge({"alg": "none"}, {}), forge(HS, {"exp": 1}, key=key),
        forge(HS, {"aud": key}, key=key),
    ]
    for token in bad_tokens:
        with pytest.raises(DecodeError) as info:
            decode(token, key, now=NOW)
        for text in (str(info.value), repr(info.value)):
            assert key not in text
        assert info.value.__cause__ is None
    with pytest.raises(TypeError) as type_info:
        decode(good, [key])  # type: ignore[arg-type]
    assert key not in str(type_info.value)


def test_non_ascii_token_text() -> None:
    with pytest.raises(MalformedTokenError, match=r"\(at character 2\)"):
        decode("ab\u20ac.cd.ef", "k")
    with pytest.raises(MalformedTokenError):
        decode("ab\udc80.cd.ef", "k")
    with pytest.raises(MalformedTokenError):
        decode(b"ab\xe2\x82\xac.cd.ef", "k")


# -- memory ---------------------------------------------------------------------------


LEAK_CHECK = textwrap.dedent(
    """
    import gc, sys, tracemalloc
    from twilio_trcap import DecodeError, TaskRouterCapability, decode, decode_token
    sys.path.insert(0, {tests!r})
    from conftest import forge

    cap = TaskRouterCapability("AC1", "secret", "WS1", "WK1")
    cap.allow_task_reservation_updates()
    good = cap.generate_token(now=1_700_000_000)
    hs = {{"alg": "HS256"}}
    tokens = [
        good, good[:-3], good + "=", good.replace("e", "é", 1),
        forge(hs, b'{{"a":[1,2,{{"b":"\\\\u00e9\\\\ud800"}}],"a":1}}', "secret"),
        forge(hs, b'{{"a":"' + b"x" * 5000 + b'", "n": 1e999}}', "secret"),
        forge(hs, b'{{"n":' + b"9" * 5000 + b'}}', "secret"),
        forge(hs, b'{{"f": 1.5, "big": 123456789012345678901234567890}}', "secret"),
        forge({{"alg": "none"}}, b"{{}}", "secret"),
        forge(hs, b'{{"a":1}}', "wrong"),
        forge(b'{{"alg":"HS256","crit":["x"]}}', b"{{}}", "secret"),
        forge(hs, b"[" * 70 + b"]" * 70, "secret"),
        forge(hs, b'{{"exp": 1}}', "secret"),
    ]

    def run(n):
        for _ in range(n):
            for token in tokens:
                for key in ("secret", b"secret", "s\\u00e9cret"):
                    try:
                        decode(token, key, now=1_700_000_000)
                    except DecodeError:
                        pass
                try:
                    decode_token(token, None, now=1_700_000_000)
                except DecodeError:
                    pass

    run(200)
    gc.collect()
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    run(2000)
    gc.collect()
    growth = tracemalloc.get_traced_memory()[0] - before
    print(growth)
    """
)


def test_no_leaks_in_a_decode_loop() -> None:
    # Two phases in a fresh interpreter: warm up, then 2000 more rounds of
    # every path (accepted, each kind of refusal) must not grow memory.
    from pathlib import Path

    tests = str(Path(__file__).parent)
    result = subprocess.run(
        [sys.executable, "-c", LEAK_CHECK.format(tests=tests)],
        capture_output=True, text=True, check=True,
    )
    growth = int(result.stdout.strip().splitlines()[-1])
    assert growth < 64 * 1024, growth


def test_garbage_collection_sees_no_cycles() -> None:
    token = capability().generate_token(now=NOW)
    gc.collect()
    before = len(gc.get_objects())
    for _ in range(100):
        decode(token, "secret", now=NOW)
    gc.collect()
    assert len(gc.get_objects()) - before < 50


def test_top_level_exports() -> None:
    for name in ("decode", "decode_token", "DecodedToken", "Decision", "DecodeError",
                 "JwtDecodeError", "TrcapError", "MalformedTokenError"):
        assert name in twilio_trcap.__all__
        assert getattr(twilio_trcap, name).__doc__
    assert b64url_encode(b"\xff") == "_w"
