"""Subclasses of our token classes keep twilio's hooks, and the review
findings on the Jwt base (valid_until=0, out-of-range time claims, lone
surrogate keys, decoded tokens' settable attributes): each compared with
twilio 9.x where it is about compatibility."""

from __future__ import annotations

import datetime
import itertools
from typing import Any
from unittest import mock

import jwt as pyjwt
import pytest
from twilio.jwt import Jwt as TheirJwt
from twilio.jwt.access_token import AccessToken as TheirAccessToken
from twilio.jwt.access_token import grants as their_grants
from twilio.jwt.taskrouter import capabilities as their_capabilities

from conftest import reaches_text
from twilio_trcap.errors import JwtDecodeError, MalformedTokenError
from twilio_trcap.jwt import Jwt
from twilio_trcap.jwt.access_token import AccessToken
from twilio_trcap.jwt.access_token import grants as our_grants
from twilio_trcap.jwt.taskrouter import capabilities as our_capabilities

SECRET = "0123456789abcdef0123456789abcdef"
ACCOUNT = "AC" + "a" * 32
KEY_SID = "SK" + "b" * 32
WORKSPACE = "WS" + "c" * 32
WORKER = "WK" + "d" * 32
QUEUE = "WQ" + "e" * 32
NOW = 1_700_000_000


def _with_hooks(base: type, payload: bool, headers: bool) -> type:
    """The same subclass of `base` (ours or twilio's): a "tenant" claim
    and/or a "kid" header added to what the base's hooks give."""

    class Tenant(base):  # type: ignore[misc, valid-type]
        if payload:

            def _generate_payload(self) -> dict[str, Any]:
                claims = dict(super()._generate_payload())
                claims["tenant"] = "acme"
                return claims

        if headers:

            def _generate_headers(self) -> dict[str, Any]:
                fields = dict(super()._generate_headers())
                fields["kid"] = "key-1"
                return fields

    return Tenant


CAPABILITIES = {
    "WorkerCapabilityToken": (ACCOUNT, SECRET, WORKSPACE, WORKER),
    "TaskQueueCapabilityToken": (ACCOUNT, SECRET, WORKSPACE, QUEUE),
    "WorkspaceCapabilityToken": (ACCOUNT, SECRET, WORKSPACE),
}
HOOKS = [(True, True), (True, False), (False, True)]


@pytest.mark.parametrize(("payload", "headers"), HOOKS)
@pytest.mark.parametrize("name", sorted(CAPABILITIES))
def test_a_capability_subclass_with_hooks_mints_twilio_s_token(name: str, payload: bool, headers: bool) -> None:
    args = CAPABILITIES[name]
    theirs = _with_hooks(getattr(their_capabilities, name), payload, headers)(*args, allow_update_self=True)
    ours = _with_hooks(getattr(our_capabilities, name), payload, headers)(*args, allow_update_self=True)
    with mock.patch("time.time", return_value=NOW + 0.5):
        assert ours.to_jwt() == theirs.to_jwt()
        assert ours.to_jwt(ttl=60) == theirs.to_jwt(ttl=60)
        assert ours.payload == theirs.payload
        assert ours.headers == theirs.headers
    claims = pyjwt.decode(ours.to_jwt(), SECRET, algorithms=["HS256"])
    assert ("tenant" in claims) is payload
    assert ("kid" in pyjwt.get_unverified_header(ours.to_jwt())) is headers


@pytest.mark.parametrize(("payload", "headers"), HOOKS)
def test_an_access_token_subclass_with_hooks_mints_twilio_s_token(payload: bool, headers: bool) -> None:
    def make(base: type, grants: Any) -> Any:
        token = _with_hooks(base, payload, headers)(ACCOUNT, KEY_SID, SECRET, identity="bob", region="ie1")
        token.add_grant(grants.VoiceGrant(outgoing_application_sid="AP1", incoming_allow=True))
        token.add_grant(grants.TaskRouterGrant(workspace_sid=WORKSPACE, worker_sid=WORKER, role="worker"))
        return token

    theirs, ours = make(TheirAccessToken, their_grants), make(AccessToken, our_grants)
    with mock.patch("time.time", return_value=NOW + 0.5):
        assert ours.to_jwt() == theirs.to_jwt()
        assert ours.to_jwt(ttl=60) == theirs.to_jwt(ttl=60)
        assert ours.payload == theirs.payload
        assert ours.headers == theirs.headers
    if headers:
        # The header is made when minting: the region can change, as in twilio.
        theirs.region = ours.region = "au1"
        with mock.patch("time.time", return_value=NOW):
            assert ours.to_jwt() == theirs.to_jwt()


@pytest.mark.parametrize("name", sorted(CAPABILITIES))
def test_the_hooks_of_the_token_classes_return_twilio_s_values(name: str) -> None:
    args = CAPABILITIES[name]
    theirs = getattr(their_capabilities, name)(*args, allow_update_subresources=True)
    ours = getattr(our_capabilities, name)(*args, allow_update_subresources=True)
    assert ours._generate_payload() == theirs._generate_payload()
    assert list(ours._generate_payload()) == list(theirs._generate_payload())
    assert ours._generate_headers() == theirs._generate_headers()
    access = (ACCOUNT, KEY_SID, SECRET)
    with mock.patch("time.time", return_value=NOW):
        assert AccessToken(*access, region="us1")._generate_payload() == TheirAccessToken(*access)._generate_payload()
    assert AccessToken(*access, region="us1")._generate_headers() == TheirAccessToken(
        *access, region="us1"
    )._generate_headers()


def test_a_subclass_s_own_payload_and_headers_properties_are_what_it_signs() -> None:
    def make(base: type) -> Any:
        class Fixed(base):  # type: ignore[misc, valid-type]
            @property
            def payload(self) -> dict[str, Any]:
                return {"iss": "me", "exp": NOW + 99, "custom": [1, 2]}

            @property
            def headers(self) -> dict[str, Any]:
                return {"typ": "JWT", "alg": "HS256", "kid": "x"}

        return Fixed(ACCOUNT, SECRET, WORKSPACE, WORKER)

    ours, theirs = make(our_capabilities.WorkerCapabilityToken), make(their_capabilities.WorkerCapabilityToken)
    with mock.patch("time.time", return_value=NOW):
        assert ours.to_jwt() == theirs.to_jwt()
        assert ours.to_jwt(ttl=5) == theirs.to_jwt(ttl=5)


def test_no_token_class_keeps_a_reference_to_the_key() -> None:
    secret = "s-" + "9" * 40
    for base, args in (
        (our_capabilities.WorkerCapabilityToken, (ACCOUNT, secret, WORKSPACE, WORKER)),
        (AccessToken, (ACCOUNT, KEY_SID, secret)),
    ):
        # Our classes, and subclasses with their own payload or their own
        # headers (made only when minting): the key is in the core alone.
        assert not reaches_text(base(*args), secret)
        for payload, headers in ((True, False), (False, True), (True, True)):
            token = _with_hooks(base, payload, headers)(*args)
            token.to_jwt()
            assert not reaches_text(token, secret)


def test_valid_until_zero_means_not_set_as_in_twilio() -> None:
    class Ours(Jwt):
        def _generate_payload(self) -> dict[str, Any]:
            return {}

    class Theirs(TheirJwt):  # type: ignore[misc]
        def _generate_payload(self) -> dict[str, Any]:
            return {}

    tokens = [
        (Ours(SECRET, "i", valid_until=0, ttl=60), Theirs(SECRET, "i", valid_until=0, ttl=60)),
        (
            our_capabilities.WorkerCapabilityToken(*CAPABILITIES["WorkerCapabilityToken"], valid_until=0),
            their_capabilities.WorkerCapabilityToken(*CAPABILITIES["WorkerCapabilityToken"], valid_until=0),
        ),
        (
            AccessToken(ACCOUNT, KEY_SID, SECRET, valid_until=0),
            TheirAccessToken(ACCOUNT, KEY_SID, SECRET, valid_until=0),
        ),
    ]
    for ours, theirs in tokens:
        with mock.patch("time.time", return_value=NOW):
            assert ours.to_jwt() == theirs.to_jwt()
            assert ours.payload["exp"] > NOW


@pytest.mark.parametrize(
    "claims",
    [{"exp": 1e300}, {"exp": 2**63}, {"nbf": -(2**64)}, {"nbf": -1e300}, {"exp": 2**64, "nbf": 0}],
)
def test_a_signed_token_with_time_claims_out_of_range_is_a_decode_error(claims: dict[str, Any]) -> None:
    for extra in ({}, {"channel": WORKER}, {"grants": {}}):
        token = pyjwt.encode(
            {"iss": "i", **claims, **extra}, SECRET, algorithm="HS256",
            headers={"cty": "twilio-fpa;v=1"} if "grants" in extra else None,
        )  # fmt: skip
        for cls in (Jwt, AccessToken, our_capabilities.WorkerCapabilityToken):
            with pytest.raises(MalformedTokenError, match="does not fit a signed 64-bit integer"):
                cls.from_jwt(token, SECRET, now=NOW)
            with pytest.raises(JwtDecodeError):
                cls.from_jwt(token, SECRET, now=NOW)


def test_a_key_with_a_lone_surrogate_is_refused_when_given() -> None:
    class Own(Jwt):
        def _generate_payload(self) -> dict[str, Any]:
            return {}

    class OwnHeaders(Own):
        def _generate_headers(self) -> dict[str, Any]:
            return {"kid": "1"}

    bad = "key\udc80" + "k" * 32
    for cls in (Own, OwnHeaders):
        with pytest.raises(ValueError, match="lone surrogate"):
            cls(bad, "issuer")
        token = cls(SECRET, "issuer")
        with pytest.raises(ValueError, match="lone surrogate"):
            token.secret_key = bad
        # The key it had is kept.
        assert pyjwt.decode(token.to_jwt(), SECRET, algorithms=["HS256"])["iss"] == "issuer"
    for make in (
        lambda key: _with_hooks(AccessToken, False, True)(ACCOUNT, KEY_SID, key),
        lambda key: _with_hooks(our_capabilities.WorkerCapabilityToken, False, True)(
            ACCOUNT, key, WORKSPACE, WORKER
        ),
    ):
        with pytest.raises(ValueError, match="lone surrogate"):
            make(bad)


def test_setting_attributes_of_a_decoded_jwt_does_not_change_its_token_as_in_twilio() -> None:
    original = pyjwt.encode({"iss": "old", "sub": "s", "exp": 4_000_000_000, "x": 1}, SECRET, algorithm="HS256")
    ours, theirs = Jwt.from_jwt(original, SECRET, now=NOW), TheirJwt.from_jwt(original, SECRET)
    for token in (ours, theirs):
        token.issuer = "new"
        token.subject = "other"
        token.ttl = 5
        token.nbf = NOW
        token.valid_until = NOW + 5
    assert ours.to_jwt() == theirs.to_jwt() == original
    assert ours.payload == theirs.payload
    for token in (ours, theirs):
        token.secret_key = "another key of at least thirty-two bytes"
    assert ours.to_jwt() == theirs.to_jwt()
    pyjwt.decode(ours.to_jwt(), "another key of at least thirty-two bytes", algorithms=["HS256"],
                 options={"verify_exp": False})  # fmt: skip


def test_every_combination_of_hooks_on_jwt_matches_twilio() -> None:
    # The generic base, with each hook alone or both, over fixed times.
    for payload, headers in itertools.product((False, True), repeat=2):
        if not payload:
            continue  # Jwt without _generate_payload: NotImplementedError in both

        def make(base: type) -> Any:
            class Base(base):  # type: ignore[misc, valid-type]
                def _generate_payload(self) -> dict[str, Any]:
                    return {"a": 1}

            return _with_hooks(Base, payload, headers)(SECRET, "issuer", subject="s", nbf=None)

        with mock.patch("time.time", return_value=NOW):
            assert make(Jwt).to_jwt() == make(TheirJwt).to_jwt()


WHEN = datetime.datetime(2030, 1, 2, 3, 4, 5, tzinfo=datetime.timezone.utc)


@pytest.mark.parametrize(
    ("payload", "headers"),
    [
        ({"iat": WHEN}, {}),
        ({"iat": WHEN.replace(tzinfo=None), "x": 1}, {"kid": "k"}),
        ({"a": 1}, {"b64": True}),
        ({"a": 1}, {"b64": "yes", "kid": "k"}),
    ],
)
def test_datetimes_and_b64_as_pyjwt_writes_them(payload: dict[str, Any], headers: dict[str, Any]) -> None:
    def make(base: type) -> Any:
        class Own(base):  # type: ignore[misc, valid-type]
            def _generate_payload(self) -> dict[str, Any]:
                return dict(payload)

            def _generate_headers(self) -> dict[str, Any]:
                return dict(headers)

        return Own(SECRET, "issuer")

    with mock.patch("time.time", return_value=NOW):
        assert make(Jwt).to_jwt() == make(TheirJwt).to_jwt()


def test_an_unencoded_payload_header_is_refused_when_minting() -> None:
    class Own(Jwt):
        def _generate_payload(self) -> dict[str, Any]:
            return {}

        def _generate_headers(self) -> dict[str, Any]:
            return {"b64": False}

    with pytest.raises(ValueError, match="^the header's b64 must not be false"):
        Own(SECRET, "issuer").to_jwt()


def test_a_subclass_of_a_subclass_with_hooks_mints_twilio_s_token_with_now() -> None:
    ours_base = _with_hooks(our_capabilities.WorkerCapabilityToken, True, True)
    theirs_base = _with_hooks(their_capabilities.WorkerCapabilityToken, True, True)

    class Ours(ours_base):  # type: ignore[misc, valid-type]
        pass

    class Theirs(theirs_base):  # type: ignore[misc, valid-type]
        pass

    args = CAPABILITIES["WorkerCapabilityToken"]
    with mock.patch("time.time", return_value=NOW):
        expected = Theirs(*args).to_jwt()
    # now= is the minting time all through (the payload's nbf and exp too).
    assert Ours(*args).to_jwt(now=NOW) == expected
