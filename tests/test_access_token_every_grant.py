"""Every grant twilio has, in any mix, gives twilio's Access Token byte for
byte; twilio's own grant objects are taken too; the attributes twilio lets
code set can be set."""

from __future__ import annotations

from typing import Any
from unittest import mock

import jwt as pyjwt
import pytest
import twilio.jwt.access_token as theirs
import twilio.jwt.access_token.grants as their_grants
from hypothesis import given
from hypothesis import strategies as st

import twilio_trcap.jwt.access_token as ours_module
import twilio_trcap.jwt.access_token.grants as our_grants
from conftest import holds_text, sid_text
from twilio_trcap.jwt import ArgumentTypeError
from twilio_trcap.jwt.access_token import AccessToken

NOW = 1_700_000_000
SECRET = "0123456789abcdef0123456789abcdef"
text = st.text(st.characters(codec="utf-8"), min_size=1, max_size=6)
maybe = st.none() | text

# One strategy per grant class: the keyword arguments twilio's takes.
GRANT_ARGUMENTS: dict[str, Any] = {
    "ChatGrant": st.fixed_dictionaries(
        {}, optional=dict.fromkeys(("service_sid", "endpoint_id", "deployment_role_sid", "push_credential_sid"), maybe)
    ),
    "SyncGrant": st.fixed_dictionaries({}, optional=dict.fromkeys(("service_sid", "endpoint_id"), maybe)),
    "VoiceGrant": st.fixed_dictionaries(
        {},
        optional={
            "incoming_allow": st.none() | st.booleans(),
            "outgoing_application_sid": maybe,
            "outgoing_application_params": st.none() | st.dictionaries(text, text | st.integers(), max_size=3),
            "push_credential_sid": maybe,
            "endpoint_id": maybe,
        },
    ),
    "VideoGrant": st.fixed_dictionaries({}, optional={"room": maybe}),
    "TaskRouterGrant": st.fixed_dictionaries(
        {},
        optional={
            # The sid rule (docs/security.md) holds for grants too; the
            # refusals are tests/test_adversarial_sids.py's.
            "workspace_sid": st.none() | sid_text("WS"),
            "worker_sid": st.none() | sid_text("WK"),
            "role": maybe,
        },
    ),
    "PlaybackGrant": st.fixed_dictionaries(
        {}, optional={"grant": st.none() | st.dictionaries(text, st.none() | text, max_size=3)}
    ),
}
grants = st.lists(
    st.sampled_from(sorted(GRANT_ARGUMENTS)).flatmap(
        lambda name: st.tuples(st.just(name), GRANT_ARGUMENTS[name])
    ),
    max_size=6,
)


def _token(module: Any, grant_module: Any, chosen: list[tuple[str, dict[str, Any]]], **kw: Any) -> Any:
    made = [getattr(grant_module, name)(**arguments) for name, arguments in chosen]
    return module.AccessToken("AC1", "SK1", SECRET, made, **kw)


@given(
    chosen=grants,
    identity=maybe,
    region=maybe,
    nbf=st.none() | st.integers(0, 2**40),
    ttl=st.integers(0, 10**6),
)
def test_any_mix_of_grants_is_twilio_s_token(
    chosen: list[tuple[str, dict[str, Any]]], identity: str | None, region: str | None, nbf: int | None, ttl: int
) -> None:
    kw = {"identity": identity, "region": region, "nbf": nbf, "ttl": ttl}
    with mock.patch("time.time", return_value=NOW + 0.25):
        expected = _token(theirs, their_grants, chosen, **kw).to_jwt()
        assert _token(ours_module, our_grants, chosen, **kw).to_jwt() == expected
        # twilio's own grant objects, added to ours: the same token.
        mixed = _token(ours_module, their_grants, chosen, **kw)
        assert mixed.to_jwt() == expected


@pytest.mark.parametrize("name", sorted(GRANT_ARGUMENTS))
def test_each_grant_has_twilio_s_key_and_empty_payload(name: str) -> None:
    ours, theirs_ = getattr(our_grants, name)(), getattr(their_grants, name)()
    assert ours.key == theirs_.key
    assert ours.to_payload() == theirs_.to_payload()
    assert str(ours) == str(theirs_)


def test_a_grant_of_one_s_own_by_protocol_only() -> None:
    class Room:
        key = "video"

        def to_payload(self) -> dict[str, str]:
            return {"room": "RM1"}

    token = AccessToken("AC1", "SK1", SECRET)
    token.add_grant(Room())
    with mock.patch("time.time", return_value=NOW):
        assert token.payload["grants"] == {"video": {"room": "RM1"}}


@pytest.mark.parametrize(
    "bad", ["GrantRootAccess", None, 5, our_grants.VideoGrant, their_grants.VideoGrant, object()]
)
def test_a_non_grant_is_both_a_type_error_and_a_value_error(bad: object) -> None:
    token = AccessToken("AC1", "SK1", SECRET)
    for call in (
        lambda: token.add_grant(bad),  # type: ignore[arg-type]
        lambda: AccessToken("AC1", "SK1", SECRET, grants=[our_grants.VideoGrant(), bad]),  # type: ignore[list-item]
        lambda: setattr(token, "grants", [bad]),
    ):
        with pytest.raises(ArgumentTypeError, match="must be an AccessTokenGrant or an object with a str key") as info:
            call()
        assert isinstance(info.value, TypeError) and isinstance(info.value, ValueError)
        with pytest.raises(ValueError):  # what code written for twilio catches
            call()
    assert token.grants == []


def test_a_non_grant_appended_to_the_live_list_is_refused_when_minting() -> None:
    token = AccessToken("AC1", "SK1", SECRET)
    token.grants.append("not a grant")  # type: ignore[arg-type]
    with pytest.raises(ArgumentTypeError, match="^a grant in grants must be"):
        token.to_jwt()


def test_settable_attributes_as_in_twilio() -> None:
    ours = AccessToken("AC1", "SK1", SECRET, region="ie1")
    them = theirs.AccessToken("AC1", "SK1", SECRET, region="ie1")
    for token, grants in ((ours, our_grants), (them, their_grants)):
        token.identity = "bender"
        token.ttl = 60
        token.nbf = NOW - 5
        token.valid_until = None
        token.add_grant(grants.SyncGrant(service_sid="IS1"))
        token.grants[0].endpoint_id = "ep"
        token.region = "ie1"
    with mock.patch("time.time", return_value=NOW):
        assert ours.to_jwt() == them.to_jwt()
    ours.secret_key = "a new secret of thirty-two bytes!"
    them.secret_key = "a new secret of thirty-two bytes!"
    with mock.patch("time.time", return_value=NOW):
        assert ours.to_jwt() == them.to_jwt()


def test_new_sids_go_to_every_claim_that_carries_them() -> None:
    # twilio copied the sids into issuer and subject at construction: after
    # token.signing_key_sid = "SK2" its jti said SK2 and its iss still SK1.
    token = AccessToken("AC1", "SK1", SECRET)
    token.account_sid = "AC2"
    token.signing_key_sid = "SK2"
    with mock.patch("time.time", return_value=NOW):
        claims = token.payload
    assert (claims["jti"], claims["iss"], claims["sub"]) == (f"SK2-{NOW}", "SK2", "AC2")
    assert (token.issuer, token.subject) == ("SK2", "AC2")
    # A decoded token keeps its jti (so that to_jwt() gives it back) until
    # the key sid that jti names is set; then jti names the new one too.
    with mock.patch("time.time", return_value=NOW):
        decoded = AccessToken.from_jwt(AccessToken("AC1", "SK1", SECRET).to_jwt(), SECRET)
    assert decoded.payload["jti"] == f"SK1-{NOW}"
    decoded.account_sid = "AC2"
    decoded.identity = "someone"
    assert decoded.payload["jti"] == f"SK1-{NOW}"  # jti does not name these
    for name in ("signing_key_sid", "issuer"):
        decoded = AccessToken.from_jwt(AccessToken("AC1", "SK1", SECRET).to_jwt(now=NOW), SECRET, now=NOW)
        setattr(decoded, name, "SKnew")
        with mock.patch("time.time", return_value=NOW + 7):
            claims = decoded.payload
            minted = pyjwt.decode(decoded.to_jwt(), SECRET, algorithms=["HS256"], options={"verify_exp": False})
        assert (claims["jti"], claims["iss"]) == (f"SKnew-{NOW + 7}", "SKnew")
        assert (minted["jti"], minted["iss"]) == (f"SKnew-{NOW + 7}", "SKnew")


def test_set_values_are_checked_as_the_constructor_checks_them() -> None:
    token = AccessToken("AC1", "SK1", SECRET)
    grant = our_grants.VoiceGrant()
    for target, name, value, error, message in (
        (token, "account_sid", "SK1", ValueError, "^account_sid must start with 'AC'"),
        (token, "signing_key_sid", None, TypeError, "^signing_key_sid must be str"),
        (token, "identity", "", ValueError, "^identity must not be empty"),
        (token, "ttl", -1, ValueError, "^ttl must be zero or more"),
        (token, "region", "", ValueError, "^region must not be empty"),
        (token, "secret_key", b"", ValueError, "^secret must not be empty"),
        (grant, "incoming_allow", "yes", TypeError, "^incoming_allow must be bool"),
        (grant, "outgoing_application_params", ["x"], TypeError, "^outgoing_application_params must be a mapping"),
        (grant, "endpoint_id", 5, TypeError, "^endpoint_id must be str"),
        (grant, "no_such_attribute", 1, AttributeError, "has no attribute 'no_such_attribute'"),
        (our_grants.TaskRouterGrant(), "worker_sid", "WS1", ValueError, "^worker_sid must start with 'WK'"),
    ):
        with pytest.raises(error, match=message):
            setattr(target, name, value)
    assert (token.account_sid, token.signing_key_sid, token.identity, token.ttl) == ("AC1", "SK1", None, 3600)


def test_the_secret_stays_in_the_core_after_it_is_set() -> None:
    secret = "s-" + "9" * 40
    token = AccessToken("AC1", "SK1", SECRET)
    token.secret_key = secret
    with pytest.raises(AttributeError, match="not readable"):
        token.secret_key  # noqa: B018
    assert not holds_text(token, secret)
    assert secret not in repr(token)


def test_from_jwt_reads_every_grant_back() -> None:
    token = AccessToken("AC1", "SK1", SECRET, identity="alice")
    token.add_grant(our_grants.VoiceGrant(incoming_allow=True, outgoing_application_sid="AP1"))
    token.add_grant(our_grants.TaskRouterGrant(workspace_sid="WS1", role="worker"))
    token.add_grant(their_grants.ChatGrant(service_sid="IS1"))
    minted = token.to_jwt()
    again = AccessToken.from_jwt(minted, SECRET)
    assert again.to_jwt() == minted
    assert [grant.key for grant in again.grants] == ["voice", "task_router", "chat"]
    assert again.grants[1] == our_grants.TaskRouterGrant(workspace_sid="WS1", role="worker")
