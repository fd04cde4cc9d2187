"""twilio_trcap.jwt.Jwt as twilio's generic base: subclasses with their own
payload and headers, byte-identical to twilio's Jwt with time fixed, signed
and verified by the core."""

from __future__ import annotations

import pickle
from typing import Any
from unittest import mock

import jwt as pyjwt
import pytest
from hypothesis import given
from hypothesis import strategies as st
from twilio.jwt import Jwt as TheirJwt

from conftest import holds_text, reaches_text
from twilio_trcap.errors import InvalidSignatureError, JwtDecodeError, UnsupportedAlgorithmError
from twilio_trcap.jwt import GENERATE, Jwt

KEY = "0123456789abcdef0123456789abcdef"
NOW = 1_700_000_000


def _custom(base: type) -> type:
    """The same subclass of `base` (twilio's Jwt or ours)."""

    class Custom(base):  # type: ignore[misc, valid-type]
        def __init__(self, key: Any, issuer: Any, *, payload: Any = None, headers: Any = None, **kw: Any) -> None:
            super().__init__(key, issuer, **kw)
            self.own_payload = payload or {}
            self.own_headers = headers or {}

        def _generate_payload(self) -> dict[str, Any]:
            return dict(self.own_payload)

        def _generate_headers(self) -> dict[str, Any]:
            return dict(self.own_headers)

    return Custom


Ours, Theirs = _custom(Jwt), _custom(TheirJwt)

json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**53), 2**53) | st.text(max_size=8)
    | st.floats(allow_nan=False, allow_infinity=False),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
    max_leaves=8,
)  # fmt: skip
settings_ = st.fixed_dictionaries(
    {},
    optional={
        "subject": st.text(min_size=1, max_size=6),
        "nbf": st.none() | st.integers(0, 2**40),
        "ttl": st.integers(0, 10**6),
        # 0 included: twilio reads it as "not set" (a truth test).
        "valid_until": st.integers(0, 2**40),
    },
)


@given(
    payload=st.dictionaries(st.text(max_size=6), json_values, max_size=4),
    headers=st.dictionaries(st.text(min_size=1, max_size=6).filter(lambda k: k not in ("typ", "alg")), json_values, max_size=3),
    issuer=st.text(max_size=6),
    kw=settings_,
    ttl=st.none() | st.integers(1, 10**6),
)
def test_a_subclass_mints_twilio_s_token(
    payload: dict[str, Any], headers: dict[str, Any], issuer: str, kw: dict[str, Any], ttl: int | None
) -> None:
    with mock.patch("time.time", return_value=NOW + 0.5):
        theirs = Theirs(KEY, issuer, payload=payload, headers=headers, **kw)
        ours = Ours(KEY, issuer, payload=payload, headers=headers, **kw)
        assert ours.to_jwt(ttl) == theirs.to_jwt(ttl)
        assert ours.payload == theirs.payload
        assert list(ours.payload) == list(theirs.payload)
        assert ours.headers == theirs.headers


def test_the_hooks_default_as_twilio_s() -> None:
    token = Jwt(KEY, "issuer")
    with pytest.raises(NotImplementedError, match="Subclass must provide a payload"):
        token.to_jwt()
    assert token.headers == {"typ": "JWT", "alg": "HS256"}


def test_settable_attributes_change_the_next_token() -> None:
    ours, theirs = Ours(KEY, "a"), Theirs(KEY, "a")
    for token in (ours, theirs):
        token.issuer = "b"
        token.subject = "someone"
        token.ttl = 60
        token.nbf = None
        token.valid_until = NOW + 5
        token.secret_key = "another key of at least thirty-two bytes"
    with mock.patch("time.time", return_value=NOW):
        assert ours.to_jwt() == theirs.to_jwt()
    claims = pyjwt.decode(ours.to_jwt(), "another key of at least thirty-two bytes", algorithms=["HS256"],
                          options={"verify_exp": False})  # fmt: skip
    assert claims == {"iss": "b", "exp": NOW + 5, "sub": "someone"}


def test_bad_values_are_refused_on_set_too() -> None:
    token = Ours(KEY, "a")
    for name, value, error, message in (
        ("ttl", -1, ValueError, "^ttl must be zero or more"),
        ("ttl", "60", TypeError, "^ttl must be an int"),
        ("nbf", 1.5, TypeError, "^nbf must be an int"),
        ("valid_until", 2**63, OverflowError, "^valid_until"),
        ("issuer", None, TypeError, "^issuer must be str"),
        ("subject", 5, TypeError, "^subject must be str or None"),
        ("secret_key", "", ValueError, "^secret_key must not be empty"),
        ("secret_key", 5, TypeError, "^secret_key must be str, bytes or Key"),
        ("algorithm", "HS512", ValueError, "^algorithm must be 'HS256', not 'HS512'"),
        ("algorithm", 256, TypeError, "^algorithm must be str or None"),
    ):
        with pytest.raises(error, match=message):
            setattr(token, name, value)
    with mock.patch("time.time", return_value=NOW):
        minted = token.to_jwt()
    assert pyjwt.decode(minted, KEY, algorithms=["HS256"], options={"verify_exp": False}) == {
        "iss": "a", "exp": NOW + 3600, "nbf": NOW,
    }  # fmt: skip


@pytest.mark.parametrize("algorithm", ["HS384", "HS512", "RS256", "none"])
def test_algorithms_the_core_does_not_do_are_refused_when_given(algorithm: str) -> None:
    with pytest.raises(ValueError, match=f"^algorithm must be 'HS256', not '{algorithm}'.*HMAC-SHA256 only"):
        Ours(KEY, "issuer", algorithm=algorithm)


def test_no_key_is_a_value_error_when_minting_as_in_twilio() -> None:
    ours, theirs = Ours(None, "issuer"), Theirs(None, "issuer")
    for token in (ours, theirs):
        with pytest.raises(ValueError):
            token.to_jwt()
    with mock.patch("time.time", return_value=NOW):
        assert ours.payload == theirs.payload  # the payload needs no key


def test_the_key_never_shows_and_no_attribute_holds_it() -> None:
    secret = "k-" + "7" * 40
    token = Ours(secret, "issuer", payload={"a": 1})
    with pytest.raises(AttributeError, match="not readable"):
        token.secret_key  # noqa: B018
    assert secret not in repr(token) and secret not in str(token)
    assert token.to_jwt() not in str(token)  # twilio printed the token
    with pytest.raises(TypeError, match="cannot pickle"):
        pickle.dumps(token)
    # No attribute of the token, nor of what it holds, is the key, and no
    # reference the garbage collector follows reaches it, even with a
    # header of its own made only when minting: the core's Key signs any
    # header.
    assert not holds_text(token, secret)
    assert not reaches_text(token, secret)


def test_a_jwt_whose_header_is_fixed_keeps_no_reference_to_the_key() -> None:
    secret = "k-" + "8" * 40

    class PayloadOnly(Jwt):
        def _generate_payload(self) -> dict[str, Any]:
            return {"a": 1}

    for token in (PayloadOnly(secret, "issuer"), Jwt.from_jwt(pyjwt.encode({"a": 1}, secret), secret)):
        assert not reaches_text(token, secret)
        token.secret_key = secret.encode()
        assert not reaches_text(token, secret)
        assert pyjwt.decode(token.to_jwt(), secret, algorithms=["HS256"])["a"] == 1


def test_from_jwt_reads_any_hs256_token() -> None:
    with mock.patch("time.time", return_value=NOW):
        claims = {"hello": "world", "iss": "me", "sub": "you", "exp": NOW + 100, "list": [1, 2.5]}
        token = pyjwt.encode(claims, KEY, algorithm="HS256", headers={"kid": "k1"})
    decoded = Jwt.from_jwt(token, KEY, now=NOW)
    assert type(decoded) is not Ours
    assert isinstance(decoded, Jwt)
    assert decoded.payload == claims and decoded.headers == {"alg": "HS256", "typ": "JWT", "kid": "k1"}
    assert (decoded.issuer, decoded.subject, decoded.valid_until, decoded.nbf) == ("me", "you", NOW + 100, None)
    assert decoded.to_jwt() == token  # signed again by the core: the same bytes
    with mock.patch("time.time", return_value=NOW):
        again = decoded.to_jwt(ttl=5)
    assert pyjwt.decode(again, KEY, algorithms=["HS256"], options={"verify_exp": False})["exp"] == NOW + 5


def test_from_jwt_on_a_subclass_of_one_s_own_gives_a_decoded_jwt() -> None:
    token = Ours(KEY, "issuer", payload={"x": 1}, subject="s")
    decoded = Ours.from_jwt(token.to_jwt(), KEY)
    assert decoded.payload["x"] == 1 and decoded.payload["iss"] == "issuer"
    assert decoded.issuer == "issuer" and decoded.subject == "s"


@pytest.mark.parametrize(
    ("tamper", "error"),
    [
        (lambda t: t[:-2] + ("AA" if not t.endswith("AA") else "BB"), InvalidSignatureError),
        (lambda t: pyjwt.encode({"a": 1}, KEY * 2, algorithm="HS512"), UnsupportedAlgorithmError),
    ],
)
def test_from_jwt_verifies_with_the_core(tamper: Any, error: type[Exception]) -> None:
    token = tamper(Ours(KEY, "issuer").to_jwt())
    with pytest.raises(error) as info:
        Jwt.from_jwt(token, KEY)
    assert isinstance(info.value, JwtDecodeError)


def test_generate_is_twilio_s_default() -> None:
    assert Jwt.GENERATE is GENERATE
    assert Ours(KEY, "issuer").nbf is GENERATE


def test_threads_minting_with_different_headers_get_their_own() -> None:
    import threading

    class PerThread(Jwt):
        def _generate_payload(self) -> dict[str, Any]:
            return {"who": threading.current_thread().name}

        def _generate_headers(self) -> dict[str, Any]:
            return {"kid": threading.current_thread().name}

    token = PerThread(KEY, "issuer")
    wrong: list[str] = []

    def mint_many() -> None:
        name = threading.current_thread().name
        for _ in range(300):
            minted = token.to_jwt()
            if pyjwt.get_unverified_header(minted)["kid"] != name:
                wrong.append(minted)
            pyjwt.decode(minted, KEY, algorithms=["HS256"])  # the signature covers that header

    threads = [threading.Thread(target=mint_many, name=f"t{i}") for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert wrong == []


def test_from_jwt_reads_fractional_times_as_pyjwt_does() -> None:
    token = pyjwt.encode({"iss": "me", "exp": NOW + 10.75, "nbf": NOW - 0.5}, KEY, algorithm="HS256")
    decoded = Jwt.from_jwt(token, KEY, now=NOW)
    assert (decoded.valid_until, decoded.nbf) == (NOW + 10, NOW - 1)
    assert decoded.payload["exp"] == NOW + 10.75 and decoded.to_jwt() == token
