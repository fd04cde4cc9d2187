"""Issue 19, item 5: a subclass's header goes through the payload's rules.

On 7899688 the header a ``Jwt`` subclass gives (``_generate_headers`` or a
``headers`` property) was sorted by a Python helper and then written: a
``kid`` that is not a str was minted (PyJWT refuses to encode it; our
decoder refuses the token), a header that contains itself raised
``RecursionError`` from the helper (the payload writer gives a
``ValueError``), and a list of pairs was turned into a dict where twilio
fails.  Now the header is written by the payload's writer with
``sort_keys`` (as PyJWT's ``json.dumps(sort_keys=True)``), a hook must give
a dict (headers and claims alike), and a header is refused where our own
decoder would refuse the token (``kid`` not a str, ``crit``).  twilio 9 and
PyJWT are the oracle: what we mint is their token byte for byte, and our
decoder reads it back.
"""

from __future__ import annotations

import collections
import json
import math
import warnings
from collections.abc import Callable
from typing import Any
from unittest import mock

import jwt as pyjwt
import pytest
from hypothesis import given
from hypothesis import strategies as st
from twilio.jwt import Jwt as TheirJwt
from twilio.jwt.access_token import AccessToken as TheirAccessToken
from twilio.jwt.taskrouter import capabilities as their_capabilities

from twilio_trcap import _core
from twilio_trcap.decode import decode
from twilio_trcap.errors import MalformedTokenError
from twilio_trcap.jwt import Jwt
from twilio_trcap.jwt.access_token import AccessToken
from twilio_trcap.jwt.taskrouter import capabilities as our_capabilities

KEY = "0123456789abcdef0123456789abcdef"
ACCOUNT = "AC" + "a" * 32
KEY_SID = "SK" + "b" * 32
WORKSPACE = "WS" + "c" * 32
WORKER = "WK" + "d" * 32
NOW = 1_700_000_000


def own_jwt(base: type, headers: Callable[[], Any] | None = None, *, prop: bool = False,
            payload: Callable[[], Any] | None = None) -> type:  # fmt: skip
    """A subclass of `base` (ours or twilio's) whose header (or claims)
    come from the given callable, through ``_generate_headers`` (or the
    ``headers`` property when `prop`) and ``_generate_payload``."""
    namespace: dict[str, Any] = {}
    if base in (Jwt, TheirJwt):
        namespace["_generate_payload"] = lambda self: payload() if payload else {"scope": "x"}
    elif payload is not None:
        namespace["_generate_payload"] = lambda self: payload()
    if headers is not None:
        if prop:
            namespace["headers"] = property(lambda self: headers())
        else:
            namespace["_generate_headers"] = lambda self: headers()
    return type("Own", (base,), namespace)


# (id, ours, twilio's, the constructor's arguments): every family a subclass
# of one's own can extend.
BASES: list[tuple[str, type, type, tuple[Any, ...]]] = [
    ("Jwt", Jwt, TheirJwt, (KEY, "issuer")),
    ("AccessToken", AccessToken, TheirAccessToken, (ACCOUNT, KEY_SID, KEY)),
    ("WorkerCapabilityToken", our_capabilities.WorkerCapabilityToken,
     their_capabilities.WorkerCapabilityToken, (ACCOUNT, KEY, WORKSPACE, WORKER)),
]  # fmt: skip


def mint(cls: type, args: tuple[Any, ...]) -> str:
    """The token at a fixed time (twilio reads time.time(); so do we)."""
    with mock.patch("time.time", return_value=float(NOW)), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return str(cls(*args).to_jwt())


def refused_by_twilio(cls: type, args: tuple[Any, ...]) -> bool:
    try:
        mint(cls, args)
    except Exception:
        return True
    return False


def signed_with_header(header: dict[str, Any]) -> str:
    """A token with this header and a plain payload, signed by PyJWT (as
    twilio would have minted it)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return pyjwt.encode({"iss": "x"}, KEY, algorithm="HS256", headers=header)


@pytest.mark.parametrize(("family", "ours", "theirs", "args"), BASES, ids=[b[0] for b in BASES])
@pytest.mark.parametrize("prop", [False, True], ids=["_generate_headers", "headers"])
@pytest.mark.parametrize("kid", [5, None, 1.5, True, ["k"], {"k": "v"}], ids=repr)
def test_a_kid_that_is_no_str_is_refused_as_pyjwt_refuses_it(
    family: str, ours: type, theirs: type, args: tuple[Any, ...], prop: bool, kid: Any
) -> None:
    def fields() -> dict[str, Any]:
        return {"cty": "twilio-fpa;v=1", "typ": "JWT", "alg": "HS256", "kid": kid} if prop else {"kid": kid}

    assert refused_by_twilio(own_jwt(theirs, fields, prop=prop), args)
    with pytest.raises(TypeError, match=rf"^the header's kid must be str, not {type(kid).__name__}$"):
        mint(own_jwt(ours, fields, prop=prop), args)
    # What it would have minted: our own decoder refuses it.
    with pytest.raises(MalformedTokenError, match="kid"):
        decode(_core.Key.prepare(KEY, "key").sign(
            _core.json_value({"alg": "HS256", "kid": kid, "typ": "JWT"}, "h", True), b'{"iss":"x"}'), KEY)  # fmt: skip

    # A str kid (a subclass too) is minted as twilio mints it, and read back.
    class KeyId(str):
        pass

    for good in ("key-1", KeyId("key-2"), ""):
        token = mint(own_jwt(ours, lambda good=good: {"kid": good}), args)
        assert token == mint(own_jwt(theirs, lambda good=good: {"kid": good}), args)
        assert Jwt.from_jwt(token, KEY, now=NOW).headers["kid"] == good


def self_containing() -> list[Any]:
    top: dict[str, Any] = {}
    top["self"] = top
    inner: dict[str, Any] = {}
    inner["again"] = {"deeper": [inner]}
    looped: list[Any] = []
    looped.append(looped)
    return [top, {"x": inner}, {"x": looped}, {"x": collections.OrderedDict(y=top)}]


def deep(levels: int) -> Any:
    value: Any = "leaf"
    for _ in range(levels):
        value = {"d": value}
    return value


@pytest.mark.parametrize(("family", "ours", "theirs", "args"), BASES, ids=[b[0] for b in BASES])
@pytest.mark.parametrize("prop", [False, True], ids=["_generate_headers", "headers"])
@pytest.mark.parametrize("which", range(4))
def test_a_header_that_contains_itself_is_the_payload_writers_value_error(
    family: str, ours: type, theirs: type, args: tuple[Any, ...], prop: bool, which: int
) -> None:
    header = self_containing()[which]
    assert refused_by_twilio(own_jwt(theirs, lambda: header, prop=prop), args)  # json.dumps: ValueError
    with pytest.raises(ValueError, match=r"^headers is nested more than 32 levels deep \(or contains itself\)$"):
        mint(own_jwt(ours, lambda: header, prop=prop), args)
    # The same rule as a payload's ...
    with pytest.raises(ValueError, match=r"^payload is nested more than 32 levels deep \(or contains itself\)$"):
        mint(own_jwt(Jwt, payload=lambda: header), (KEY, "issuer"))
    # ... which is a depth limit: 40 levels are refused as well (our
    # decoder would not read them back), and NaN as in a payload.
    with pytest.raises(ValueError, match=r"^headers is nested more than 32 levels deep"):
        mint(own_jwt(ours, lambda: {"x": deep(40)}, prop=prop), args)
    for value in (math.nan, math.inf):
        with pytest.raises(ValueError, match="^headers: .* is not a JSON number"):
            mint(own_jwt(ours, lambda value=value: {"x": [value]}, prop=prop), args)


def pairs() -> list[Any]:
    return [[("kid", "k")], (("kid", "k"),), None, "kid", iter([("kid", "k")])]


@pytest.mark.parametrize(("family", "ours", "theirs", "args"), BASES, ids=[b[0] for b in BASES])
@pytest.mark.parametrize("which", range(5))
def test_a_hook_that_gives_no_dict_is_refused_as_twilio_fails(
    family: str, ours: type, theirs: type, args: tuple[Any, ...], which: int
) -> None:
    kind = type(pairs()[which]).__name__
    assert refused_by_twilio(own_jwt(theirs, lambda: pairs()[which]), args)
    with pytest.raises(TypeError, match=rf"^_generate_headers\(\) must be a dict, not {kind}$"):
        mint(own_jwt(ours, lambda: pairs()[which]), args)
    assert refused_by_twilio(own_jwt(theirs, lambda: pairs()[which], prop=True), args)
    with pytest.raises(TypeError, match=rf"^headers must be a dict, not {kind}$"):
        mint(own_jwt(ours, lambda: pairs()[which], prop=True), args)
    # Headers and claims: one rule.
    assert refused_by_twilio(own_jwt(TheirJwt, payload=lambda: pairs()[which]), (KEY, "issuer"))
    with pytest.raises(TypeError, match=rf"^_generate_payload\(\) must be a dict, not {kind}$"):
        mint(own_jwt(Jwt, payload=lambda: pairs()[which]), (KEY, "issuer"))
    # ... and a payload property of one's own, signed as it is.
    own_payload = {"payload": property(lambda self: pairs()[which])}
    assert refused_by_twilio(type("Own", (TheirJwt,), own_payload), (KEY, "issuer"))
    with pytest.raises(TypeError, match=rf"^payload must be a dict, not {kind}$"):
        mint(type("Own", (Jwt,), own_payload), (KEY, "issuer"))
    # A dict subclass is a dict: minted, as by twilio.
    counted = collections.Counter(kid=1)
    counted["kid"] = "k"
    assert mint(own_jwt(ours, lambda: counted), args) == mint(own_jwt(theirs, lambda: counted), args)


def test_crit_is_refused_because_our_decoder_refuses_it() -> None:
    for crit in (["exp"], [], "x"):
        with pytest.raises(ValueError, match=r"^the header must not list critical extensions \(crit\)"):
            mint(own_jwt(Jwt, lambda crit=crit: {"crit": crit}), (KEY, "issuer"))
        with pytest.raises(MalformedTokenError, match="crit"):
            decode(signed_with_header({"crit": crit}), KEY)


# -- the property: we mint exactly what twilio mints, or refuse by a rule ---

_leaves = (
    st.none() | st.booleans() | st.integers(-(2**70), 2**70) | st.floats() | st.text(max_size=6)
)
_keys = st.sampled_from(["kid", "cty", "crit", "b64", "typ", "alg", "x5u", "a"]) | st.text(max_size=4)
_trees = st.recursive(
    _leaves,
    lambda children: st.lists(children, max_size=3)
    | st.dictionaries(_keys | st.integers(0, 2), children, max_size=3)
    | st.dictionaries(_keys, children, max_size=3).map(collections.OrderedDict),
    max_leaves=12,
)
_headers = st.dictionaries(_keys, _trees, max_size=5)


def _payload_rule_refuses(value: Any) -> bool:
    try:
        _core.json_value(value, "payload")
    except (TypeError, ValueError):
        return True
    return False


@given(_headers)
def test_every_header_is_twilios_token_or_refused_by_a_rule(header: dict[str, Any]) -> None:
    ours_cls = own_jwt(Jwt, lambda: header)
    theirs_cls = own_jwt(TheirJwt, lambda: header)
    try:
        theirs: str | None = mint(theirs_cls, (KEY, "issuer"))
    except Exception:
        theirs = None
    try:
        ours: str | None = mint(ours_cls, (KEY, "issuer"))
    except (TypeError, ValueError) as exc:
        assert not isinstance(exc, RecursionError)
        # Refused: twilio fails too, or our decoder would refuse twilio's
        # token, or it breaks a rule every payload follows.
        readable = theirs is not None
        if readable:
            try:
                decode(theirs, KEY, now=NOW)
            except MalformedTokenError:
                readable = False
        assert not readable or _payload_rule_refuses(header), (header, exc)
        return
    # Minted: twilio's very bytes, and our decoder reads the header back.
    assert ours == theirs
    expected = {**header, "typ": "JWT", "alg": "HS256"}
    expected.pop("b64", None)
    assert Jwt.from_jwt(ours, KEY, now=NOW).headers == json.loads(json.dumps(expected))


# -- the writer's sort_keys, against json.dumps(sort_keys=True) -------------

_str_trees = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=6),
    lambda children: st.lists(children, max_size=3)
    | st.dictionaries(st.text(max_size=4), children, max_size=4)
    | st.dictionaries(st.text(max_size=4), children, max_size=4).map(
        lambda d: collections.OrderedDict(reversed(list(d.items())))),
    max_leaves=20,
)  # fmt: skip


@given(_str_trees)
def test_sort_keys_is_json_dumps_sort_keys(value: Any) -> None:
    expected = json.dumps(value, separators=(",", ":"), sort_keys=True).encode()
    assert _core.json_value(value, "v", True) == expected
    assert _core.json_value(value, "v", False) == _core.json_value(value, "v")


def test_sort_keys_checks_keys_before_comparing_them() -> None:
    with pytest.raises(TypeError, match="^v: keys must be str, not int$"):
        _core.json_value({"b": 1, 1: 2}, "v", True)
    with pytest.raises(TypeError, match="^sort_keys must be bool, not int$"):
        _core.json_value({}, "v", 1)
    with pytest.raises(TypeError, match=r"^json_value\(\) takes 2 or 3 positional arguments \(4 given\)$"):
        _core.json_value({}, "v", True, True)


def test_sort_keys_leaves_a_kept_items_list_alone() -> None:
    class Kept(dict):  # type: ignore[type-arg]
        def __init__(self) -> None:
            super().__init__(b=1, a=2)
            self.kept = [("b", 1), ("a", 2)]

        def items(self) -> Any:
            return self.kept

    value = Kept()
    assert _core.json_value(value, "v", True) == b'{"a":2,"b":1}'
    assert value.kept == [("b", 1), ("a", 2)]
    value.kept = [("a", 1, 2)]
    with pytest.raises(ValueError, match=r"^v: items\(\) of a Kept must give 2-tuples$"):
        _core.json_value(value, "v", True)


def test_sort_keys_survives_keys_whose_comparison_changes_the_dict() -> None:
    # A str subclass's __lt__ runs during the sort (as in json.dumps): it
    # may empty the dict and its kept list; the writer holds what it sorts.
    class Key(str):
        def __lt__(self, other: object) -> bool:
            holder.kept.clear()
            holder.clear()
            return str.__lt__(self, other)  # type: ignore[operator]

    class Holder(dict):  # type: ignore[type-arg]
        kept: list[Any]

        def items(self) -> Any:
            return self.kept

    holder = Holder()
    holder.kept = [(Key(c), {"n": [c] * 3}) for c in "dcba"]
    holder.update(holder.kept)
    written = _core.json_value({"h": holder}, "v", True)
    assert json.loads(written) == {"h": {c: {"n": [c] * 3} for c in "abcd"}}
