"""The decoder against PyJWT's jwt.decode: the same decision and the same
claims on a corpus of good and bad tokens, with PyJWT's clock frozen at the
`now` we pass.  Where we differ on purpose (docs/decoding.md), the
difference is asserted here, case by case."""

from __future__ import annotations

import json
import warnings
from datetime import datetime, timedelta, timezone
from typing import Any

import jwt
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from conftest import b64url_encode, forge, pyjwt_accepts_key, sid_text
from twilio_trcap import (
    DecodeError,
    ExpiredTokenError,
    InvalidSignatureError,
    MalformedTokenError,
    NotYetValidError,
    TaskRouterCapability,
    UnsupportedAlgorithmError,
    decode,
)

NOW = 1_700_000_000
KEY = "k" * 32  # PyJWT warns about HMAC keys shorter than 32 bytes
HS = {"alg": "HS256", "typ": "JWT"}


class _FrozenDatetime(datetime):
    """PyJWT reads the clock with datetime.now(tz=timezone.utc)."""

    @classmethod
    def now(cls, tz: Any = None) -> datetime:  # type: ignore[override]
        return datetime.fromtimestamp(NOW, tz or timezone.utc)


@pytest.fixture(autouse=True)
def frozen_pyjwt(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(jwt.api_jwt, "datetime", _FrozenDatetime)


# PyJWT's exception classes and the one of ours each corresponds to; the
# first that matches wins (subclasses before their bases).
PYJWT_TO_OURS: list[tuple[type[Exception], type[Exception]]] = [
    (jwt.exceptions.ExpiredSignatureError, ExpiredTokenError),
    (jwt.exceptions.ImmatureSignatureError, NotYetValidError),
    (jwt.exceptions.InvalidSignatureError, InvalidSignatureError),
    (jwt.exceptions.InvalidAlgorithmError, UnsupportedAlgorithmError),
    (jwt.exceptions.InvalidTokenError, MalformedTokenError),
]


def pyjwt(token: str | bytes, key: str | bytes = KEY, **kwargs: Any) -> tuple[str, Any]:
    """("ok", claims) or ("error", the class of ours that matches)."""
    algorithms = list(kwargs.pop("algorithms", ["HS256"]))
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", jwt.warnings.InsecureKeyLengthWarning)
            return "ok", jwt.decode(token, key, algorithms=algorithms, **kwargs)
    except jwt.exceptions.PyJWTError as exc:
        for theirs, ours in PYJWT_TO_OURS:
            if isinstance(exc, theirs):
                return "error", ours
        raise


def ours(token: str | bytes, key: str | bytes = KEY, **kwargs: Any) -> tuple[str, Any]:
    try:
        return "ok", decode(token, key, now=NOW, **kwargs)
    except DecodeError as exc:
        return "error", type(exc)


def assert_agree(mine: tuple[str, Any], theirs: tuple[str, Any]) -> None:
    """Both accepted with the same claims, or both refused alike."""
    assert mine[0] == theirs[0], (mine, theirs)
    if mine[0] == "ok":
        # Equal values, and equal JSON: same types (1 vs 1.0) and order.
        assert mine[1] == theirs[1]
        assert json.dumps(mine[1]) == json.dumps(theirs[1])
    else:
        assert mine[1] is theirs[1], (mine, theirs)


def assert_same(token: str | bytes, key: str | bytes = KEY, **kwargs: Any) -> None:
    assert_agree(ours(token, key, **kwargs), pyjwt(token, key, **kwargs))


def worker_token() -> str:
    capability = TaskRouterCapability("AC123", KEY, "WS456", "WK789")
    capability.allow_worker_fetch_attributes()
    capability.allow_worker_activity_updates()
    capability.allow_task_reservation_updates()
    return capability.generate_token(ttl=600, now=NOW)


GOOD = worker_token()
H, P, S = GOOD.split(".")

# (id, token, keyword arguments for both decoders)
AGREE: list[tuple[str, str | bytes, dict[str, Any]]] = [
    # -- accepted --------------------------------------------------------
    ("minted worker token", GOOD, {}),
    ("the same as bytes", GOOD.encode(), {}),
    ("header with kid and cty",
     forge({"alg": "HS256", "typ": "JWT", "kid": "k1", "cty": "twilio-fpa;v=1"}, {"a": 1}), {}),
    ("header without typ", forge({"alg": "HS256"}, {"a": 1}), {}),
    ("empty claims", forge(HS, b"{}"), {}),
    ("whitespace in and around the JSON",
     forge(b' \r\n{ "alg" : "HS256" }\t', b'\n\t{ "a" : [ 1 , 2 ] , "b" : { } }  '), {}),
    ("UTF-8 text and escapes",
     forge(HS, '{"s":"é€😀","e":"\\u00e9\\ud83d\\ude00\\n\\/\\"\\\\"}'.encode()), {}),
    ("numbers", forge(HS, b'{"i":-0,"f":1.5e-3,"big":100000000000000000000000000000,'
                          b'"neg":-12,"e":1E2,"z":0.0,"m":-0.0,"x":123456789012345678}'), {}),
    ("literals and nesting", forge(HS, b'{"n":null,"t":true,"f":false,"o":{"a":[{"b":[]}]}}'), {}),
    ("an escaped NUL", forge(HS, b'{"s":"a\\u0000b"}'), {}),
    ("lone surrogate escapes", forge(HS, b'{"s":"\\ud800x\\udfff"}'), {}),
    ("a member name repeated in different objects", forge(HS, b'{"a":{"a":1},"b":{"a":2}}'), {}),
    ("4300 digits", forge(HS, b'{"n":' + b"7" * 4300 + b"}"), {}),
    ("nesting 64 deep", forge(HS, b'{"a":' + b"[" * 63 + b"]" * 63 + b"}"), {}),
    ("exp in a second", forge(HS, {"exp": NOW + 1}), {}),
    ("exp as a float", forge(HS, {"exp": NOW + 1.5}), {}),
    ("exp far away", forge(HS, {"exp": 10**30}), {}),
    ("nbf now", forge(HS, {"nbf": NOW}), {}),
    ("nbf in the past", forge(HS, {"nbf": NOW - 100, "exp": NOW + 100}), {}),
    ("exp past, within the leeway", forge(HS, {"exp": NOW - 5}), {"leeway": 10}),
    ("nbf ahead, within the leeway", forge(HS, {"nbf": NOW + 10}), {"leeway": 10}),
    ("leeway as a timedelta", forge(HS, {"exp": NOW - 5}), {"leeway": timedelta(seconds=6)}),
    ("expired, not checked", forge(HS, {"exp": NOW - 5}), {"options": "no-exp"}),
    ("not yet valid, not checked", forge(HS, {"nbf": NOW + 5}), {"options": "no-nbf"}),
    ("iat in the past", forge(HS, {"iat": NOW - 1}), {}),
    ("iss, sub and jti strings", forge(HS, {"iss": "AC1", "sub": "SK1", "jti": "SK1-1"}), {}),
    ("iss a number (PyJWT checks iss only against an issuer)", forge(HS, {"iss": 5}), {}),
    ("HS256 among other allowed algorithms", GOOD, {"algorithms": ["RS256", "HS256"]}),
    # -- refused: the shape of the token -----------------------------------
    ("empty", "", {}),
    ("no dot", H + P + S, {}),
    ("one dot", f"{H}.{P}{S}", {}),
    ("three dots", GOOD + ".", {}),
    ("a fourth segment", GOOD + ".AAAA", {}),
    ("empty segment between", f"{H}..{P}.{S}", {}),
    ("dots only", "..", {}),
    ("trailing newline", GOOD + "\n", {}),
    ("leading space", " " + GOOD, {}),
    ("'+' of the other alphabet", f"{H}.{P}.{S[:10]}+{S[11:]}", {}),
    ("'/' of the other alphabet", f"{H[:4]}/{H[5:]}.{P}.{S}", {}),
    ("'!' in the payload segment", f"{H}.{P[:8]}!{P[9:]}.{S}", {}),
    ("a non-ASCII character", f"{H}.{P}.{S[:-1]}é", {}),
    ("a length of 4k+1", f"{H}.{P}A.{S}", {}),
    ("non-canonical last character", f"{H}.{P}.{S[:-1]}{'B' if S[-1] == 'A' else 'A'}", {}),
    ("padding where the length is not a multiple of 4", f"{H}.{P}.{S}==", {}),
    # -- refused: header and payload JSON ----------------------------------
    ("header not JSON", forge(b"alg=HS256", {"a": 1}), {}),
    ("header an array", forge(b'["HS256"]', {"a": 1}), {}),
    ("header empty", forge(b"", {"a": 1}), {}),
    ("header with invalid UTF-8", forge(b'{"alg":"HS256","x":"\xff"}', {"a": 1}), {}),
    ("payload an array", forge(HS, b"[1]"), {}),
    ("payload a string", forge(HS, b'"claims"'), {}),
    ("payload null", forge(HS, b"null"), {}),
    ("payload a number", forge(HS, b"3"), {}),
    ("payload empty", forge(HS, b""), {}),
    ("payload with trailing data", forge(HS, b'{"a":1} x'), {}),
    ("payload with a trailing comma", forge(HS, b'{"a":1,}'), {}),
    ("payload in single quotes", forge(HS, b"{'a':1}"), {}),
    ("payload with a raw control character", forge(HS, b'{"a":"x\ny"}'), {}),
    ("payload with a bad escape", forge(HS, b'{"a":"\\x41"}'), {}),
    ("payload with a leading zero", forge(HS, b'{"a":01}'), {}),
    ("truncated UTF-8", forge(HS, b'{"a":"\xc3"}'), {}),
    ("overlong UTF-8", forge(HS, b'{"a":"\xc0\x80"}'), {}),
    ("a byte never in UTF-8", forge(HS, b'{"a":"\xf8"}'), {}),
    ("4301 digits", forge(HS, b'{"n":' + b"7" * 4301 + b"}"), {}),
    # -- refused: header fields and algorithm ------------------------------
    ("alg none, no signature", forge({"alg": "none"}, {"a": 1}, signature=b""), {}),
    ("alg none with a valid HS256 MAC", forge({"alg": "none"}, {"a": 1}), {}),
    ("alg RS256", forge({"alg": "RS256"}, {"a": 1}, signature=b"\x01" * 256), {}),
    ("alg HS512, signed so", forge({"alg": "HS512"}, {"a": 1}), {}),
    ("alg missing", forge({"typ": "JWT"}, {"a": 1}), {}),
    ("alg a number", forge({"alg": 256}, {"a": 1}), {}),
    ("alg empty", forge({"alg": ""}, {"a": 1}), {}),
    ("alg in lower case", forge({"alg": "hs256"}, {"a": 1}), {}),
    ("kid a number", forge({"alg": "HS256", "kid": 7}, {"a": 1}), {}),
    ("crit naming an unknown extension", forge({"alg": "HS256", "crit": ["exp"], "exp": 1}, {}), {}),
    ("crit not a list", forge({"alg": "HS256", "crit": "b64"}, {"a": 1}), {}),
    ("b64 false", forge({"alg": "HS256", "b64": False, "crit": ["b64"]}, {"a": 1}), {}),
    # -- refused: signature -------------------------------------------------
    ("signed with another key", forge(HS, {"a": 1}, key="x" * 32), {}),
    ("signature of 31 bytes", f"{H}.{P}.{b64url_encode(bytes(31))}", {}),
    ("signature empty", f"{H}.{P}.", {}),
    ("payload changed after signing", f"{H}.{forge(HS, {'a': 2}).split('.')[1]}.{S}", {}),
    ("signature of another token", f"{H}.{P}.{forge(HS, {'a': 1}).split('.')[2]}", {}),
    # -- refused: claims ------------------------------------------------------
    ("expired a second ago", forge(HS, {"exp": NOW - 1}), {}),
    ("expiring now", forge(HS, {"exp": NOW}), {}),
    ("exp a fraction after now (truncated)", forge(HS, {"exp": NOW + 0.5}), {}),
    ("expired beyond the leeway", forge(HS, {"exp": NOW - 11}), {"leeway": 10}),
    ("not valid for a second", forge(HS, {"nbf": NOW + 1}), {}),
    ("nbf beyond the leeway", forge(HS, {"nbf": NOW + 11}), {"leeway": 10}),
    ("nbf ahead and exp past", forge(HS, {"nbf": NOW + 1, "exp": NOW - 1}), {}),
    ("exp a word", forge(HS, {"exp": "soon"}), {}),
    ("exp null", forge(HS, {"exp": None}), {}),
    ("exp a list", forge(HS, {"exp": [NOW]}), {}),
    ("nbf an object", forge(HS, {"nbf": {}}), {}),
    ("iat a word", forge(HS, {"iat": "then"}), {}),
    ("sub a number", forge(HS, {"sub": 1}), {}),
    ("jti a list", forge(HS, {"jti": []}), {}),
    ("aud present", forge(HS, {"aud": "someone"}), {}),
    ("minted token under another key", GOOD, {"key": "y" * 32}),
]


def _options(kwargs: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """The same request in PyJWT's terms and in ours."""
    theirs, mine = dict(kwargs), dict(kwargs)
    option = theirs.pop("options", None)
    mine.pop("options", None)
    if option == "no-exp":
        theirs["options"] = {"verify_exp": False}
        mine["verify_exp"] = False
    elif option == "no-nbf":
        theirs["options"] = {"verify_nbf": False}
        mine["verify_nbf"] = False
    return theirs, mine


def _run_case(token: str | bytes, kwargs: dict[str, Any]) -> tuple[tuple[str, Any], tuple[str, Any]]:
    kwargs = dict(kwargs)
    key = kwargs.pop("key", KEY)
    theirs_kwargs, mine_kwargs = _options(kwargs)
    return ours(token, key, **mine_kwargs), pyjwt(token, key, **theirs_kwargs)


@pytest.mark.parametrize(("token", "kwargs"), [c[1:] for c in AGREE], ids=[c[0] for c in AGREE])
def test_same_decision_as_pyjwt(token: str | bytes, kwargs: dict[str, Any]) -> None:
    assert_agree(*_run_case(token, kwargs))


def test_the_corpus_reaches_every_outcome() -> None:
    kinds = set()
    for _, token, kwargs in AGREE:
        status, value = _run_case(token, kwargs)[0]
        kinds.add(value if status == "error" else "ok")
    assert kinds == {
        "ok", MalformedTokenError, InvalidSignatureError, UnsupportedAlgorithmError,
        ExpiredTokenError, NotYetValidError,
    }


def test_every_truncation_is_refused_alike() -> None:
    for cut in range(1, len(GOOD)):
        assert_same(GOOD[:cut])


def test_every_deleted_character_is_refused_alike() -> None:
    for at in range(len(GOOD)):
        assert_same(GOOD[:at] + GOOD[at + 1:])


# -- stricter than PyJWT, on purpose (docs/decoding.md) ----------------------

LONG_FILLER = "x" * 50_000

STRICTER: list[tuple[str, str, dict[str, Any], type[Exception]]] = [
    ("padding that PyJWT strips", f"{H}.{P}.{S}=", {}, MalformedTokenError),
    ("duplicate member names in the claims",
     forge(HS, b'{"exp":1,"exp":' + str(NOW + 60).encode() + b"}"), {}, MalformedTokenError),
    ("duplicate member names in the header",
     forge(b'{"alg":"none","alg":"HS256"}', {"a": 1}), {}, MalformedTokenError),
    ("NaN", forge(HS, b'{"a":NaN}'), {}, MalformedTokenError),
    ("Infinity", forge(HS, b'{"a":Infinity}'), {}, MalformedTokenError),
    ("-Infinity", forge(HS, b'{"a":-Infinity}'), {}, MalformedTokenError),
    ("a number beyond a double", forge(HS, b'{"a":1e400}'), {}, MalformedTokenError),
    ("a UTF-8 byte order mark", forge(HS, b'\xef\xbb\xbf{"a":1}'), {}, MalformedTokenError),
    ("UTF-16 JSON", forge(HS, '{"a":1}'.encode("utf-16")), {}, MalformedTokenError),
    ("a surrogate encoded in UTF-8", forge(HS, b'{"a":"\xed\xa0\x80"}'), {}, MalformedTokenError),
    ("exp a numeric string", forge(HS, {"exp": str(NOW + 60)}), {}, MalformedTokenError),
    ("nesting 65 deep", forge(HS, b'{"a":' + b"[" * 64 + b"]" * 64 + b"}"), {}, MalformedTokenError),
    ("a token over 64 KiB", forge(HS, {"a": LONG_FILLER + LONG_FILLER}), {}, MalformedTokenError),
    ("a header over 4 KiB", forge({"alg": "HS256", "x": "y" * 3100}, {"a": 1}), {},
     MalformedTokenError),
    ("crit naming b64, which PyJWT supports",
     forge({"alg": "HS256", "b64": True, "crit": ["b64"]}, {"a": 1}), {}, MalformedTokenError),
    ("b64 not a boolean", forge({"alg": "HS256", "b64": "yes"}, {"a": 1}), {}, MalformedTokenError),
    ("a number beyond a double in the claims", forge(HS, b'{"a":-2e308}'), {},
     MalformedTokenError),
]


@pytest.mark.parametrize(
    ("token", "kwargs", "error"), [c[1:] for c in STRICTER], ids=[c[0] for c in STRICTER]
)
def test_stricter_than_pyjwt(token: str, kwargs: dict[str, Any], error: type[Exception]) -> None:
    assert pyjwt(token, **kwargs)[0] == "ok"
    with pytest.raises(error):
        decode(token, KEY, now=NOW, **kwargs)


def test_hs512_is_not_verified_even_when_allowed() -> None:
    token = jwt.encode({"a": 1}, KEY * 2, algorithm="HS512")
    assert pyjwt(token, KEY * 2, algorithms=["HS256", "HS512"]) == ("ok", {"a": 1})
    with pytest.raises(UnsupportedAlgorithmError, match="HS256 only"):
        decode(token, KEY * 2, algorithms=["HS256", "HS512"], now=NOW)


def test_exp_true_is_malformed_here_and_expired_for_pyjwt() -> None:
    # PyJWT's int(True) is 1, a date in 1970; a boolean is not a date.
    token = forge(HS, {"exp": True})
    assert pyjwt(token) == ("error", ExpiredTokenError)
    assert ours(token) == ("error", MalformedTokenError)


def test_future_iat_is_accepted_here_and_refused_by_pyjwt() -> None:
    # RFC 7519 section 4.1.6 gives iat no validity rule; PyJWT treats a
    # future iat as "not yet valid".  We check only that it is a number.
    token = forge(HS, {"iat": NOW + 60})
    assert pyjwt(token) == ("error", NotYetValidError)
    assert ours(token) == ("ok", {"iat": NOW + 60})


# -- properties -------------------------------------------------------------

# Any code point, lone surrogates included (json.dumps escapes them).
any_char = st.characters() | st.characters(categories=["Cs"])
keys = st.one_of(
    st.text(st.characters(exclude_categories=("Cs",)), min_size=1, max_size=40),
    st.binary(min_size=1, max_size=40),
)


@given(
    account=sid_text("AC"), workspace=sid_text("WS"), worker=sid_text("WK"), key=keys,
    permissions=st.lists(st.booleans(), min_size=3, max_size=3),
    ttl=st.integers(0, 10**6),
    version=st.text(any_char, min_size=1, max_size=12),
)
def test_minted_tokens_decode_as_pyjwt_decodes_them(
    account: str, workspace: str, worker: str, key: str | bytes, permissions: list[bool], ttl: int,
    version: str,
) -> None:
    # Sids follow the sid rule; the version carries any code point (lone
    # surrogates included) into a claim and every policy URL.
    assume(pyjwt_accepts_key(key))
    capability = TaskRouterCapability(account, key, workspace, worker, version=version)
    for wanted, grant in zip(permissions, (
        capability.allow_worker_fetch_attributes,
        capability.allow_worker_activity_updates,
        capability.allow_task_reservation_updates,
    )):
        if wanted:
            grant()
    token = capability.generate_token(ttl=ttl, now=NOW + 1)
    theirs = pyjwt(token, key)
    assert theirs[0] == "ok"
    mine = decode(token, key, now=NOW)
    assert mine == theirs[1]
    assert json.dumps(mine) == json.dumps(theirs[1])
    assert [p.to_dict() for p in capability.policies] == mine["policies"]


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(any_char),
    lambda inner: st.lists(inner, max_size=4)
    | st.dictionaries(st.text(any_char, max_size=6), inner, max_size=4),
    max_leaves=20,
)


@given(
    claims=st.dictionaries(st.text(max_size=8).filter(
        lambda k: k not in {"exp", "nbf", "iat", "aud", "sub", "jti"}), json_values, max_size=6),
    ensure_ascii=st.booleans(),
    indent=st.none() | st.integers(0, 2),
)
def test_any_json_claims_decode_as_json_loads_reads_them(
    claims: dict[str, Any], ensure_ascii: bool, indent: int | None
) -> None:
    text = json.dumps(claims, ensure_ascii=ensure_ascii, indent=indent)
    # A lone surrogate cannot be written as UTF-8 without escaping.
    assume(ensure_ascii or not any(0xD800 <= ord(c) <= 0xDFFF for c in text))
    token = forge(HS, text.encode("utf-8"))
    assert_same(token)


json_ish = st.text(alphabet='{}[]":,0123456789.-+eE tfrualsn\\u/x\n\x01é😀', max_size=40)


def _has_duplicate_names(text: str) -> bool:
    found = False

    def pairs(items: list[tuple[str, Any]]) -> dict[str, Any]:
        nonlocal found
        names = [name for name, _ in items]
        found = found or len(names) != len(set(names))
        return dict(items)

    json.loads(text, object_pairs_hook=pairs)
    return found


def _has_infinity(value: Any) -> bool:
    if isinstance(value, float):
        return value in (float("inf"), float("-inf"))
    if isinstance(value, dict):
        return any(_has_infinity(v) for v in value.values())
    if isinstance(value, list):
        return any(_has_infinity(v) for v in value)
    return False


@given(body=json_ish)
def test_arbitrary_text_is_judged_as_pyjwt_judges_it(body: str) -> None:
    token = forge(HS, body.encode("utf-8"))
    theirs = pyjwt(token)
    mine = ours(token)
    if theirs[0] == "ok" and mine[0] == "error":
        # Only the documented differences this alphabet can reach.
        assert _has_duplicate_names(body) or _has_infinity(theirs[1]), body
        return
    assert_agree(mine, theirs)


def test_hs256_key_forms_agree() -> None:
    # A str key is its UTF-8; bytes are taken as they are.
    for key in ("ключ-" * 8, "k" * 32, b"\x00\xff" * 16):
        token = forge(HS, {"a": 1}, key=key)
        assert_same(token, key)
        assert decode(token, key, now=NOW) == {"a": 1}
