"""AccessToken.to_jwt writes its token in one step (the header made once per
region, the claims written directly): every token is still twilio's, byte
for byte, including when a grant's to_payload() changes the token while it
is minted, and a subclass with a mint step of its own is minted the generic
way, running that step."""

from __future__ import annotations

import collections
from collections.abc import Callable
from typing import Any
from unittest import mock

import jwt as pyjwt
import pytest
from hypothesis import given
from hypothesis import strategies as st
from twilio.jwt.access_token import AccessToken as TheirAccessToken
from twilio.jwt.access_token import AccessTokenGrant as TheirGrant
from twilio.jwt.access_token import grants as their_grants

from twilio_trcap.jwt.access_token import AccessToken, AccessTokenGrant
from twilio_trcap.jwt.access_token import grants as our_grants

NOW = 1_700_000_000
SECRET = "0123456789abcdef0123456789abcdef"
ACCOUNT = "AC" + "a" * 32
KEY_SID = "SK" + "b" * 32
WORKSPACE = "WS" + "c" * 32
WORKER = "WK" + "d" * 32


def frozen(seconds: float = NOW + 0.5) -> Any:
    """The clock both libraries read, fixed."""
    return mock.patch("time.time", return_value=seconds)


def pair(**kw: Any) -> tuple[AccessToken, Any]:
    """Our token and twilio's, from the same arguments, each with a
    TaskRouter grant."""
    ours = AccessToken(ACCOUNT, KEY_SID, SECRET, **kw)
    theirs = TheirAccessToken(ACCOUNT, KEY_SID, SECRET, **kw)
    ours.add_grant(our_grants.TaskRouterGrant(WORKSPACE, WORKER, "worker"))
    theirs.add_grant(their_grants.TaskRouterGrant(WORKSPACE, WORKER, "worker"))
    return ours, theirs


# -- the state a token can be in, changed between mints -------------------------

#: Each step sets the same attribute on both tokens.
STEPS: dict[str, Callable[[Any], None]] = {
    "region us1": lambda t: setattr(t, "region", "us1"),
    "region ie1": lambda t: setattr(t, "region", "ie1"),
    "region None": lambda t: setattr(t, "region", None),
    "identity": lambda t: setattr(t, "identity", 'zoë "q"\n'),
    "identity None": lambda t: setattr(t, "identity", None),
    "nbf None": lambda t: setattr(t, "nbf", None),
    "nbf fixed": lambda t: setattr(t, "nbf", NOW - 60),
    "valid_until": lambda t: setattr(t, "valid_until", NOW + 99),
    "valid_until None": lambda t: setattr(t, "valid_until", None),
    "ttl": lambda t: setattr(t, "ttl", 5),
    "no grants": lambda t: setattr(t, "grants", []),
    # twilio's iss and sub are attributes of their own, set with the sids
    # here: ours are the sids (docs/migration.md).
    "signing_key_sid": lambda t: (setattr(t, "signing_key_sid", "SK2"), setattr(t, "issuer", "SK2")),
    "account_sid": lambda t: (setattr(t, "account_sid", "AC2"), setattr(t, "subject", "AC2")),
}


@given(st.lists(st.sampled_from(sorted(STEPS)), max_size=8))
def test_each_mint_after_a_change_is_twilio_s(steps: list[str]) -> None:
    ours, theirs = pair(identity="alice")
    with frozen():
        assert ours.to_jwt() == theirs.to_jwt()
        for step in steps:
            STEPS[step](ours)
            STEPS[step](theirs)
            assert ours.to_jwt() == theirs.to_jwt(), step
            assert ours.to_jwt(ttl=30) == theirs.to_jwt(ttl=30), step


@pytest.mark.parametrize("identity", [None, "alice"])
@pytest.mark.parametrize("grant", [False, True])
@pytest.mark.parametrize("nbf", [None, NOW - 5])
@pytest.mark.parametrize("valid_until", [None, NOW + 600])
def test_identity_nbf_and_valid_until_with_and_without_grants(
    identity: str | None, grant: bool, nbf: int | None, valid_until: int | None
) -> None:
    kw = {"identity": identity, "nbf": nbf, "valid_until": valid_until}
    ours = AccessToken(ACCOUNT, KEY_SID, SECRET, **kw)
    theirs = TheirAccessToken(ACCOUNT, KEY_SID, SECRET, **kw)
    if grant:
        ours.add_grant(our_grants.VideoGrant(room="r1"))
        theirs.add_grant(their_grants.VideoGrant(room="r1"))
    with frozen():
        assert ours.to_jwt() == theirs.to_jwt()
        assert ours.to_jwt(now=NOW) == theirs.to_jwt()
        assert ours.to_jwt(ttl=60) == theirs.to_jwt(ttl=60)


# -- a grant that changes the token while it is minted ----------------------------

#: What such a grant does to the token (ours or twilio's), once; the sids
#: as in STEPS.
MUTATIONS: dict[str, Callable[[Any], None]] = {
    "identity": lambda t: setattr(t, "identity", "mallory"),
    "region": lambda t: setattr(t, "region", "au1"),
    "signing_key_sid": lambda t: (setattr(t, "signing_key_sid", "SKother"), setattr(t, "issuer", "SKother")),
    "account_sid": lambda t: (setattr(t, "account_sid", "ACother"), setattr(t, "subject", "ACother")),
    "secret": lambda t: setattr(t, "secret_key", SECRET[::-1]),
    "ttl": lambda t: setattr(t, "ttl", 7),
    "nbf": lambda t: setattr(t, "nbf", None),
    "valid_until": lambda t: setattr(t, "valid_until", NOW + 42),
    "grants": lambda t: t.grants.append(t.grants[0].__class__(None, {"late": True})),
}

#: JSON values json.dumps writes in ways worth checking.
ODD: Any = {
    "tuple": (1, "two", (3.5, None)),
    "floats": [-0.0, 1e300, 2.5e-8, 1.0],
    "big": 2**80,
    "bools": [True, False, None],
    "text": 'é "\\ \u2028 \U0001f3a7 \x00',
    "ordered": collections.OrderedDict([("z", 1), ("a", 2)]),
    "nested": {"": {"deeper": [[], {}]}},
}


class Hostile(AccessTokenGrant):
    """Our grant: `mutation` applied to `token` the first time its payload
    is asked for; the payload is odd JSON."""

    def __init__(self, mutation: Callable[[Any], None] | None, payload: Any = ODD) -> None:
        self.mutation, self.payload, self.token = mutation, payload, None

    @property
    def key(self) -> str:
        return "hostile"

    def to_payload(self) -> Any:
        mutation, self.mutation = self.mutation, None
        if mutation is not None:
            mutation(self.token)
        return self.payload


class TheirHostile(TheirGrant):  # type: ignore[misc]
    """The same grant for twilio's token."""

    __init__ = Hostile.__init__
    key = "hostile"
    to_payload = Hostile.to_payload


@pytest.mark.parametrize("name", sorted(MUTATIONS))
def test_a_grant_that_changes_the_token_while_minting_is_twilio_s(name: str) -> None:
    tokens = []
    for token_class, grant_class in ((AccessToken, Hostile), (TheirAccessToken, TheirHostile)):
        token = token_class(ACCOUNT, KEY_SID, SECRET, identity="alice")
        grant = grant_class(MUTATIONS[name])
        grant.token = token
        token.add_grant(grant)
        with frozen():
            tokens.append((token.to_jwt(), token.to_jwt()))
    assert tokens[0] == tokens[1]


def test_odd_json_values_in_a_grant_are_what_json_dumps_writes() -> None:
    ours = AccessToken(ACCOUNT, KEY_SID, SECRET, [Hostile(None)], identity="x")
    theirs = TheirAccessToken(ACCOUNT, KEY_SID, SECRET, [TheirHostile(None)], identity="x")
    with frozen():
        assert ours.to_jwt() == theirs.to_jwt()


# -- the generic path, kept for subclasses with steps of their own ----------------


class _Tenant(AccessToken):
    """twilio's hook: a claim added to _generate_payload."""

    def _generate_payload(self) -> dict[str, Any]:
        return {**super()._generate_payload(), "tenant": "acme"}


class _TheirTenant(TheirAccessToken):  # type: ignore[misc]
    def _generate_payload(self) -> dict[str, Any]:
        return {**super()._generate_payload(), "tenant": "acme"}


def test_a_subclass_that_overrides_to_jwt_still_runs_its_hook() -> None:
    # Its to_jwt reaches AccessToken.to_jwt through super(): the hook runs.
    class Logged(_Tenant):
        def to_jwt(self, ttl: int | None = None, *, now: int | None = None) -> str:
            return super().to_jwt(ttl, now=now)

    class TheirLogged(_TheirTenant):
        def to_jwt(self, ttl: int | None = None) -> str:
            return str(super().to_jwt(ttl))

    with frozen():
        assert Logged(ACCOUNT, KEY_SID, SECRET).to_jwt() == TheirLogged(ACCOUNT, KEY_SID, SECRET).to_jwt()
        assert _Tenant(ACCOUNT, KEY_SID, SECRET).to_jwt() == _TheirTenant(ACCOUNT, KEY_SID, SECRET).to_jwt()


def test_a_subclass_with_a_private_step_of_its_own_is_minted_with_it() -> None:
    class Reissued(AccessToken):
        @property
        def issuer(self) -> str:
            return "SKfront"

    token = Reissued(ACCOUNT, KEY_SID, SECRET)
    with frozen():
        claims = pyjwt.decode(token.to_jwt(), SECRET, algorithms=["HS256"], options={"verify_exp": False})
    assert claims["iss"] == "SKfront"


def test_a_subclass_without_steps_of_its_own_gives_the_same_token() -> None:
    class Plain(AccessToken):
        def describe(self) -> str:
            return "plain"

    ours = Plain(ACCOUNT, KEY_SID, SECRET, identity="a")
    theirs = TheirAccessToken(ACCOUNT, KEY_SID, SECRET, identity="a")
    with frozen():
        assert ours.to_jwt() == theirs.to_jwt()


def _nested(depth: int) -> Any:
    value: Any = "leaf"
    for _ in range(depth):
        value = [value]
    return value


@pytest.mark.parametrize("depth", range(27, 33))
def test_the_depth_limit_is_the_generic_path_s(depth: int) -> None:
    # The fast path writes the grants apart from the other claims; a grant
    # nested near the writer's limit passes or fails as in the generic path.
    outcomes = []
    for token_class in (AccessToken, _Tenant):
        token = token_class(ACCOUNT, KEY_SID, SECRET, [Hostile(None, _nested(depth))])
        try:
            token.to_jwt(now=NOW)
            outcomes.append("ok")
        except ValueError as exc:
            outcomes.append(str(exc))
    assert outcomes[0] == outcomes[1]


def test_a_decoded_jti_that_needs_escaping_is_written_back() -> None:
    claims = {
        "jti": 'SKx-1 "quoted" é\n',
        "grants": {"identity": "alice"},
        "iss": KEY_SID,
        "exp": NOW + 60,
        "nbf": NOW,
        "sub": ACCOUNT,
    }
    signed = pyjwt.encode(claims, SECRET, headers={"cty": "twilio-fpa;v=1"})
    token = AccessToken.from_jwt(signed, SECRET, now=NOW)
    assert token.to_jwt(now=NOW) == signed


def test_a_minting_time_beyond_int64_is_refused_even_where_only_jti_holds_it() -> None:
    # With valid_until set and no nbf, the minting time goes into jti alone
    # (as text); it is a time all the same, refused as every generation
    # refuses it (tests/test_time_bounds_every_claim.py).
    token = AccessToken(ACCOUNT, KEY_SID, SECRET, valid_until=2_000_000_000, nbf=None)
    with pytest.raises(OverflowError, match=rf"^now \({2**63}\) does not fit a signed 64-bit integer$"):
        token.to_jwt(now=2**63)
    minted = token.to_jwt(now=2**63 - 1)
    claims = pyjwt.decode(minted, SECRET, algorithms=["HS256"], options={"verify_exp": False})
    assert claims["jti"] == f"{KEY_SID}-{2**63 - 1}"
    assert claims["exp"] == 2_000_000_000
