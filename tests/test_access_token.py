"""Access Tokens against the installed twilio 9.x, byte for byte.

twilio's AccessToken reads the clock for exp, nbf and jti; the frozen_twilio
fixture (conftest) fixes it for the test, and we mint at the same time.
"""

from __future__ import annotations

import itertools
import json
from typing import Any

import jwt as pyjwt
import pytest
import twilio.jwt
from twilio.jwt.access_token import AccessToken as TheirAccessToken
from twilio.jwt.access_token import grants as their_grants

from conftest import header_text
from twilio_trcap import MalformedTokenError
from twilio_trcap.jwt import Jwt
from twilio_trcap.jwt.access_token import AccessToken, AccessTokenGrant
from twilio_trcap.jwt.access_token.grants import TaskRouterGrant
from twilio_trcap.jwt.taskrouter.capabilities import WorkerCapabilityToken

SECRET = "0123456789abcdef0123456789abcdef"
ACCOUNT = "AC" + "a" * 32
KEY_SID = "SK" + "b" * 32
WORKSPACE = "WS" + "c" * 32
WORKER = "WK" + "d" * 32
VALID_UNTIL = 4_000_000_000


class RoomGrant(AccessTokenGrant):
    """A grant of one's own, equal to twilio's VideoGrant."""

    def __init__(self, room: str) -> None:
        self.room = room

    @property
    def key(self) -> str:
        return "video"

    def to_payload(self) -> dict[str, Any]:
        return {"room": self.room}


def both_grants(workspace: str | None, worker: str | None, role: str | None) -> tuple[Any, Any]:
    return (
        TaskRouterGrant(workspace_sid=workspace, worker_sid=worker, role=role),
        their_grants.TaskRouterGrant(workspace_sid=workspace, worker_sid=worker, role=role),
    )


GRANT_ARGS = list(
    itertools.product((None, WORKSPACE), (None, WORKER), (None, "worker", "supervisor"))
)


@pytest.mark.parametrize(("workspace", "worker", "role"), GRANT_ARGS)
@pytest.mark.parametrize("identity", [None, "alice", "zoë 🎧 \"quoted\"\n"])
@pytest.mark.parametrize("region", [None, "us1", "ie1"])
def test_grants_identities_and_regions(
    frozen_twilio: int, workspace: str | None, worker: str | None, role: str | None,
    identity: str | None, region: str | None,
) -> None:  # fmt: skip
    mine, theirs = both_grants(workspace, worker, role)
    token = AccessToken(ACCOUNT, KEY_SID, SECRET, identity=identity, region=region)
    expected = TheirAccessToken(ACCOUNT, KEY_SID, SECRET, identity=identity, region=region)
    token.add_grant(mine)
    expected.add_grant(theirs)
    signed = token.to_jwt(now=frozen_twilio)
    assert signed == expected.to_jwt()  # which PyJWT wrote
    assert json.loads(json.dumps(token.headers)) == expected.headers
    assert list(token.headers) == list(expected.headers)
    assert mine.to_payload() == theirs.to_payload()
    assert str(mine) == str(theirs)


def test_several_grants_and_grants_of_ones_own(frozen_twilio: int) -> None:
    token = AccessToken(
        ACCOUNT, KEY_SID, SECRET, [RoomGrant("r1"), TaskRouterGrant(WORKSPACE)], "bob"
    )
    expected = TheirAccessToken(
        ACCOUNT, KEY_SID, SECRET,
        [their_grants.VideoGrant(room="r1"), their_grants.TaskRouterGrant(WORKSPACE)], "bob",
    )  # fmt: skip
    # A later grant with the same key replaces the earlier one, in place.
    token.add_grant(RoomGrant("r2"))
    expected.add_grant(their_grants.VideoGrant(room="r2"))
    assert token.to_jwt(now=frozen_twilio) == expected.to_jwt()
    assert [g.key for g in token.grants] == ["video", "task_router", "video"]


def test_the_header_is_what_pyjwt_writes() -> None:
    assert header_text(AccessToken(ACCOUNT, KEY_SID, SECRET).to_jwt()) == (
        '{"alg":"HS256","cty":"twilio-fpa;v=1","typ":"JWT"}'
    )
    assert header_text(AccessToken(ACCOUNT, KEY_SID, SECRET, region="au1").to_jwt()) == (
        '{"alg":"HS256","cty":"twilio-fpa;v=1","twr":"au1","typ":"JWT"}'
    )


def test_payload_and_attributes(frozen_twilio: int) -> None:
    token = AccessToken(ACCOUNT, KEY_SID, SECRET, identity="alice", nbf=5, valid_until=VALID_UNTIL)
    expected = TheirAccessToken(ACCOUNT, KEY_SID, SECRET, identity="alice", nbf=5, valid_until=VALID_UNTIL)
    token.add_grant(TaskRouterGrant(WORKSPACE, WORKER))
    expected.add_grant(their_grants.TaskRouterGrant(WORKSPACE, WORKER))
    claims = token.payload
    assert list(claims) == list(expected.payload) == ["jti", "grants", "iss", "exp", "nbf", "sub"]
    assert claims["grants"] == expected.payload["grants"]
    for attribute in ("account_sid", "signing_key_sid", "identity", "region", "ttl", "nbf",
                      "valid_until", "algorithm", "ALGORITHM"):  # fmt: skip
        assert getattr(token, attribute) == getattr(expected, attribute), attribute


@pytest.mark.parametrize("regions", [(None, "us1"), ("us1", "ie1"), ("ie1", None)])
def test_region_set_after_construction_is_twilios_header(
    frozen_twilio: int, regions: tuple[str | None, str | None]
) -> None:
    # The core's Key signs any header, so the region (the twr header) can
    # change after the key is given, as in twilio.
    first, then = regions
    ours = AccessToken(ACCOUNT, KEY_SID, SECRET, identity="alice", region=first)
    theirs = TheirAccessToken(ACCOUNT, KEY_SID, SECRET, identity="alice", region=first)
    assert ours.to_jwt(now=frozen_twilio) == theirs.to_jwt()
    ours.region = then
    theirs.region = then
    assert ours.region == then
    assert ours.to_jwt(now=frozen_twilio) == theirs.to_jwt()


def test_from_jwt(frozen_twilio: int) -> None:
    token = AccessToken(ACCOUNT, KEY_SID, SECRET, identity="alice", region="us1",
                        nbf=frozen_twilio, valid_until=VALID_UNTIL)  # fmt: skip
    token.add_grant(TaskRouterGrant(WORKSPACE, WORKER, "worker"))
    token.add_grant(RoomGrant("r1"))
    signed = token.to_jwt(now=frozen_twilio)
    for cls in (AccessToken, Jwt):
        decoded = cls.from_jwt(signed, SECRET)
        assert type(decoded) is AccessToken
        assert decoded.to_jwt() == signed  # jti kept
        assert (decoded.account_sid, decoded.signing_key_sid, decoded.identity, decoded.region) == (
            ACCOUNT, KEY_SID, "alice", "us1",
        )  # fmt: skip
        assert decoded.grants[0] == TaskRouterGrant(WORKSPACE, WORKER, "worker")
        assert decoded.grants[1].to_payload() == {"room": "r1"}
    theirs = TheirAccessToken.from_jwt(signed, SECRET)
    assert type(theirs) is twilio.jwt.Jwt  # twilio's from_jwt loses the class
    assert AccessToken.from_jwt(signed, SECRET).payload == theirs.payload
    assert AccessToken.from_jwt(signed, SECRET).headers == theirs.headers
    capability = WorkerCapabilityToken(ACCOUNT, SECRET, WORKSPACE, WORKER).to_jwt()
    with pytest.raises(MalformedTokenError):
        AccessToken.from_jwt(capability, SECRET)
    with pytest.raises(MalformedTokenError, match="claims do not make a WorkerCapabilityToken"):
        WorkerCapabilityToken.from_jwt(signed, SECRET)


def test_from_jwt_refuses_what_an_access_token_does_not_write(frozen_twilio: int) -> None:
    token = AccessToken(ACCOUNT, KEY_SID, SECRET, valid_until=VALID_UNTIL)
    claims = token.payload
    header = {"cty": "twilio-fpa;v=1"}
    for change, message in (
        ({"grants": []}, "grants claim must be an object"),
        ({"jti": 7}, "jti claim must be a string"),
        ({"sub": "XX1"}, "account_sid must start with 'AC'"),
        ({"aud": "someone"}, r"restricted to an audience \(aud\)"),
        ({"grants": {"task_router": {"workspace_sid": "WK1"}}}, "workspace_sid must start"),
    ):
        forged = pyjwt.encode({**claims, **change}, SECRET, algorithm="HS256", headers=header)
        with pytest.raises(MalformedTokenError, match=message):
            AccessToken.from_jwt(forged, SECRET)


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (lambda: AccessToken(None, KEY_SID, SECRET), TypeError, "^account_sid must be str"),  # type: ignore[arg-type]
        (lambda: AccessToken(ACCOUNT, ACCOUNT, SECRET), ValueError, "^signing_key_sid must start with 'SK'"),
        (lambda: AccessToken(ACCOUNT, KEY_SID, None), TypeError, "^secret must be str, bytes or Key"),  # type: ignore[arg-type]
        (lambda: AccessToken(ACCOUNT, KEY_SID, b""), ValueError, "^secret must not be empty$"),
        (lambda: AccessToken(ACCOUNT, KEY_SID, SECRET, [object()]), TypeError, "^grant must be an AccessTokenGrant"),  # type: ignore[list-item]
        (lambda: AccessToken(ACCOUNT, KEY_SID, SECRET, identity=""), ValueError, "^identity must not be empty$"),
        (lambda: AccessToken(ACCOUNT, KEY_SID, SECRET, identity=5), TypeError, "^identity must be str"),  # type: ignore[arg-type]
        (lambda: AccessToken(ACCOUNT, KEY_SID, SECRET, region=1), TypeError, "^region must be str"),  # type: ignore[arg-type]
        (lambda: AccessToken(ACCOUNT, KEY_SID, SECRET, ttl=-1), ValueError, "^ttl must be zero or more"),
        (lambda: AccessToken(ACCOUNT, KEY_SID, SECRET).add_grant("g"), TypeError, "^grant must be"),  # type: ignore[arg-type]
        (lambda: TaskRouterGrant(workspace_sid="WK1"), ValueError, "^workspace_sid must start with 'WS'"),
        (lambda: TaskRouterGrant(worker_sid=1), TypeError, "^worker_sid must be str"),  # type: ignore[arg-type]
        (lambda: TaskRouterGrant(role=""), ValueError, "^role must not be empty$"),
    ],
)
def test_access_token_and_grant_bad_arguments(call: Any, error: type[Exception], message: str) -> None:
    with pytest.raises(error, match=message):
        call()


def test_a_grant_that_is_not_json() -> None:
    token = AccessToken(ACCOUNT, KEY_SID, SECRET, [RoomGrant(object())])  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="^grants must hold only JSON values"):
        token.to_jwt()
