"""Today's capability tokens against the installed twilio 9.x, byte for byte.

twilio_trcap.jwt.taskrouter mirrors twilio.jwt.taskrouter: with nbf and
valid_until fixed (or twilio's clock frozen, see conftest.frozen_twilio),
every class and every combination of its allow_* keywords gives the very
token twilio gives.  twilio's output is the oracle; nothing here restates
our own logic.
"""

from __future__ import annotations

import itertools
import json
from typing import Any

import jwt as pyjwt
import pytest
import twilio.jwt
from twilio.jwt.taskrouter import capabilities as reference

from conftest import pyjwt_reencode
from twilio_trcap import (
    OPTIONAL,
    REQUIRED,
    ExpiredTokenError,
    InvalidSignatureError,
    JwtDecodeError,
    MalformedTokenError,
    NotYetValidError,
    Policy,
    UnsupportedAlgorithmError,
    task_router_v5,
)
from twilio_trcap.jwt import Jwt
from twilio_trcap.jwt.access_token import AccessToken
from twilio_trcap.jwt.taskrouter import TaskRouterCapabilityToken
from twilio_trcap.jwt.taskrouter import capabilities as ours

# PyJWT warns about HMAC keys shorter than 32 bytes; real auth tokens are 32.
KEY = "0123456789abcdef0123456789abcdef"
ACCOUNT = "AC" + "a" * 32
WORKSPACE = "WS" + "b" * 32
WORKER = "WK" + "c" * 32
QUEUE = "WQ" + "d" * 32
NBF = 1_600_000_000
VALID_UNTIL = 4_000_000_000  # far enough for twilio's from_jwt, which reads the real clock

BASE_FLAGS = (
    "allow_web_sockets",
    "allow_fetch_self",
    "allow_update_self",
    "allow_delete_self",
    "allow_fetch_subresources",
    "allow_update_subresources",
    "allow_delete_subresources",
)
WORKER_FLAGS = (
    "allow_fetch_activities",
    "allow_fetch_reservations",
    "allow_fetch_worker_reservations",
    "allow_update_activities",
    "allow_update_reservations",
)
# (name, our class, twilio's class, channel argument or None, flags)
CLASSES = [
    ("worker", ours.WorkerCapabilityToken, reference.WorkerCapabilityToken, WORKER, BASE_FLAGS + WORKER_FLAGS),
    ("taskqueue", ours.TaskQueueCapabilityToken, reference.TaskQueueCapabilityToken, QUEUE, BASE_FLAGS),
    ("workspace", ours.WorkspaceCapabilityToken, reference.WorkspaceCapabilityToken, None, BASE_FLAGS),
]
IDS = [c[0] for c in CLASSES]


def args(channel: str | None) -> tuple[str, ...]:
    return (ACCOUNT, KEY, WORKSPACE) + ((channel,) if channel else ())


def pairs(value: Any) -> Any:
    """`value` with the order of every dict kept (lists of pairs)."""
    return json.loads(json.dumps(value), object_pairs_hook=list)


@pytest.mark.parametrize(("name", "mine", "theirs", "channel", "flags"), CLASSES, ids=IDS)
def test_every_combination_of_the_allow_keywords(
    name: str, mine: Any, theirs: Any, channel: str | None, flags: tuple[str, ...]
) -> None:
    differ = []
    combinations = list(itertools.product((False, True), repeat=len(flags)))
    for combination in combinations:
        kwargs = dict(zip(flags, combination))
        expected = theirs(*args(channel), nbf=NBF, valid_until=VALID_UNTIL, **kwargs).to_jwt()
        token = mine(*args(channel), nbf=NBF, valid_until=VALID_UNTIL, **kwargs).to_jwt()
        if token != expected:
            differ.append(kwargs)
    assert len(combinations) == 2 ** len(flags) >= 128
    assert differ == []


def test_to_jwt_ttl_zero_means_zero_seconds(frozen_twilio: int) -> None:
    # On purpose: twilio's `if ttl:` ignored ttl=0 and kept valid_until.
    expected = reference.WorkerCapabilityToken(*args(WORKER), valid_until=VALID_UNTIL)
    token = ours.WorkerCapabilityToken(*args(WORKER), valid_until=VALID_UNTIL)
    assert pyjwt.decode(expected.to_jwt(0), KEY, algorithms=["HS256"])["exp"] == VALID_UNTIL
    claims = pyjwt.decode(
        token.to_jwt(0, now=frozen_twilio), KEY, algorithms=["HS256"], options={"verify_exp": False}
    )
    assert claims["exp"] == frozen_twilio


@pytest.mark.parametrize(("name", "mine", "theirs", "channel", "flags"), CLASSES, ids=IDS)
def test_each_method_after_construction(
    name: str, mine: Any, theirs: Any, channel: str | None, flags: tuple[str, ...]
) -> None:
    off = dict.fromkeys(flags, False)
    for method in flags:
        expected = theirs(*args(channel), nbf=NBF, valid_until=VALID_UNTIL, **off)
        token = mine(*args(channel), nbf=NBF, valid_until=VALID_UNTIL, **off)
        for _ in range(2):
            getattr(expected, method)()
            getattr(token, method)()
        assert token.to_jwt() == expected.to_jwt(), method
    expected = theirs(*args(channel), nbf=NBF, valid_until=VALID_UNTIL)
    token = mine(*args(channel), nbf=NBF, valid_until=VALID_UNTIL)
    expected.allow_web_sockets("WKother")
    token.allow_web_sockets("WKother")
    assert token.to_jwt() == expected.to_jwt()


@pytest.mark.parametrize(("name", "mine", "theirs", "channel", "flags"), CLASSES, ids=IDS)
def test_payload_headers_and_attributes(
    name: str, mine: Any, theirs: Any, channel: str | None, flags: tuple[str, ...]
) -> None:
    expected = theirs(*args(channel), nbf=NBF, valid_until=VALID_UNTIL)
    token = mine(*args(channel), nbf=NBF, valid_until=VALID_UNTIL)
    assert pairs(token.payload) == pairs(expected.payload)
    assert pairs(token.headers) == pairs(expected.headers)
    assert [p.to_dict() for p in token.policies] == expected.policies
    for attribute in ("account_sid", "workspace_sid", "channel_id", "workspace_url",
                      "resource_url", "channel_prefix", "ttl", "nbf", "valid_until",
                      "algorithm", "VERSION", "DOMAIN", "EVENTS_BASE_URL", "ALGORITHM"):  # fmt: skip
        assert getattr(token, attribute) == getattr(expected, attribute), attribute
    assert token.to_jwt() == pyjwt_reencode(token.to_jwt(), KEY)


def test_policies_of_ones_own_equal_twilios_private_make_policy() -> None:
    # twilio 6+ has no public way; its private _make_policy is the oracle.
    url = f"https://taskrouter.twilio.com/v1/Workspaces/{WORKSPACE}/Tasks"
    expected = reference.WorkerCapabilityToken(*args(WORKER), nbf=NBF, valid_until=VALID_UNTIL)
    token = ours.WorkerCapabilityToken(*args(WORKER), nbf=NBF, valid_until=VALID_UNTIL)
    expected._make_policy(url, "get", True, query_filter={"TaskQueueSid": {"required": True}})
    token.allow(url, "get", query_filter={"TaskQueueSid": REQUIRED})
    expected._make_policy(url, "delete", False, post_filter={"Attributes": {"required": False}})
    token.deny(url, "delete", post_filter={"Attributes": OPTIONAL})
    expected._make_policy(url, "PUT", False, {"A": {"required": True}}, {"B": {"required": False}})
    token.add_policy(url, "PUT", False, {"A": REQUIRED}, {"B": OPTIONAL})
    expected._make_policy(url, "POST", True)
    token.policies.append(Policy(url, "post"))
    expected._make_policy(url, "PATCH", True)
    token._make_policy(url, "patch", True)
    assert token.to_jwt() == expected.to_jwt()
    assert [p.to_dict() for p in token.policies] == expected.policies


# -- from_jwt ------------------------------------------------------------------


@pytest.mark.parametrize(("name", "mine", "theirs", "channel", "flags"), CLASSES, ids=IDS)
def test_from_jwt_returns_the_class_it_is_called_on(
    name: str, mine: Any, theirs: Any, channel: str | None, flags: tuple[str, ...]
) -> None:
    token = mine(*args(channel), nbf=NBF, valid_until=VALID_UNTIL, allow_update_self=True)
    token.deny(token.resource_url + "/Statistics", "GET")
    signed = token.to_jwt()
    for cls in (mine, TaskRouterCapabilityToken, Jwt):
        decoded = cls.from_jwt(signed, KEY)
        assert type(decoded) is mine
        assert decoded.to_jwt() == signed
        assert (decoded.account_sid, decoded.workspace_sid, decoded.channel_id) == (
            token.account_sid, token.workspace_sid, token.channel_id,
        )  # fmt: skip
        assert list(decoded.policies) == list(token.policies)
        assert (decoded.nbf, decoded.valid_until) == (NBF, VALID_UNTIL)
    # twilio's from_jwt returns a bare Jwt, with the same payload and header.
    theirs_decoded = theirs.from_jwt(signed, KEY)
    assert type(theirs_decoded) is twilio.jwt.Jwt
    assert pairs(mine.from_jwt(signed, KEY).payload) == pairs(theirs_decoded.payload)
    assert mine.from_jwt(signed, KEY).headers == theirs_decoded.headers


def test_from_jwt_reads_twilios_tokens() -> None:
    expected = reference.WorkerCapabilityToken(*args(WORKER), nbf=None, valid_until=VALID_UNTIL)
    expected.allow_update_reservations()
    signed = expected.to_jwt()
    decoded = ours.WorkerCapabilityToken.from_jwt(signed, KEY)
    assert decoded.nbf is None
    assert decoded.to_jwt() == signed


def test_from_jwt_reads_a_twilio_5_token_in_todays_claim_order() -> None:
    old = task_router_v5.TaskRouterWorkerCapability(ACCOUNT, KEY, WORKSPACE, WORKER)
    signed = old.generate_token(ttl=VALID_UNTIL - NBF, now=NBF)
    decoded = ours.WorkerCapabilityToken.from_jwt(signed, KEY)
    assert decoded.payload == pyjwt.decode(signed, KEY, algorithms=["HS256"])
    assert list(decoded.payload)[:3] == ["account_sid", "workspace_sid", "channel"]


def test_from_jwt_refuses_another_kind_of_token() -> None:
    queue = ours.TaskQueueCapabilityToken(*args(QUEUE), valid_until=VALID_UNTIL).to_jwt()
    with pytest.raises(MalformedTokenError, match="not the channel of a WorkerCapabilityToken"):
        ours.WorkerCapabilityToken.from_jwt(queue, KEY)
    access = AccessToken(ACCOUNT, "SK" + "e" * 32, KEY, valid_until=VALID_UNTIL).to_jwt()
    with pytest.raises(MalformedTokenError, match="claims do not make a WorkerCapabilityToken"):
        ours.WorkerCapabilityToken.from_jwt(access, KEY)
    with pytest.raises(MalformedTokenError, match="claims do not make a TaskRouterCapabilityToken"):
        TaskRouterCapabilityToken.from_jwt(access, KEY)


def _resign(claims: dict[str, Any], **header: Any) -> str:
    return pyjwt.encode(claims, KEY, algorithm="HS256", headers=header or None)


def test_from_jwt_refuses_claims_this_class_does_not_write() -> None:
    token = ours.WorkerCapabilityToken(*args(WORKER), nbf=NBF, valid_until=VALID_UNTIL)
    claims = token.payload
    for change, message in (
        ({"iat": NBF}, r"claims \['iat'\]"),
        ({"version": "v2"}, r"claims \['version'\]"),
        ({"friendly_name": "someone"}, r"claims \['friendly_name'\]"),
        ({"iss": "AC" + "f" * 32}, r"claims \['iss'\]"),
        ({"policies": [{"url": "u", "method": "GET", "allow": 1}]}, "allow must be bool"),
        ({"policies": {}}, "policies claim must be a list"),
        ({"account_sid": None}, "account_sid must be str"),
        ({"channel": "WQ1"}, "not the channel of a WorkerCapabilityToken"),
    ):
        with pytest.raises(MalformedTokenError, match=message):
            ours.WorkerCapabilityToken.from_jwt(_resign({**claims, **change}), KEY)
    with pytest.raises(MalformedTokenError, match="header differ"):
        ours.WorkerCapabilityToken.from_jwt(_resign(claims, kid="k1"), KEY)


def test_from_jwt_errors() -> None:
    token = ours.WorkerCapabilityToken(*args(WORKER), nbf=NBF, valid_until=VALID_UNTIL)
    signed = token.to_jwt()
    claims = token.payload
    cls = ours.WorkerCapabilityToken
    with pytest.raises(InvalidSignatureError):
        cls.from_jwt(signed, KEY.upper())
    with pytest.raises(ExpiredTokenError):
        cls.from_jwt(signed, KEY, now=VALID_UNTIL)
    with pytest.raises(NotYetValidError):
        cls.from_jwt(signed, KEY, now=NBF - 1)
    assert type(cls.from_jwt(signed, KEY, now=NBF)) is cls
    with pytest.raises(UnsupportedAlgorithmError):
        cls.from_jwt(pyjwt.encode(claims, KEY * 2, algorithm="HS512"), KEY)
    with pytest.raises(UnsupportedAlgorithmError):
        cls.from_jwt(pyjwt.encode(claims, None, algorithm="none"), KEY)
    head, body, signature = signed.split(".")
    for malformed in (
        f"{head}.{body}",
        f"{signed}.{signature}",
        f"{head}=.{body}.{signature}",
        f"{head}.{body}!.{signature}",
        "a.b.c",
        f"{pyjwt.utils.base64url_encode(b'[1]').decode()}.{body}.{signature}",
        "",
    ):
        with pytest.raises(MalformedTokenError):
            cls.from_jwt(malformed, KEY)
    with pytest.raises(MalformedTokenError, match="exp claim must be a number"):
        cls.from_jwt(_resign({**claims, "exp": "soon"}), KEY)
    for error in (InvalidSignatureError, ExpiredTokenError, MalformedTokenError):
        assert issubclass(error, JwtDecodeError) and issubclass(error, ValueError)
    with pytest.raises(TypeError, match="^jwt must be str"):
        cls.from_jwt(None, KEY)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="^key must not be empty$"):
        cls.from_jwt(signed, "")  # twilio skipped verification without a key


# -- str, repr and bad input ------------------------------------------------------


def test_the_base_class_cannot_be_made() -> None:
    with pytest.raises(TypeError, match="abstract"):
        TaskRouterCapabilityToken(*args(WORKER))  # type: ignore[abstract]


@pytest.mark.parametrize(
    ("change", "error", "message"),
    [
        ({"account_sid": None}, TypeError, "^account_sid must be str, not NoneType$"),
        ({"account_sid": "XX1"}, ValueError, r"^account_sid must start with 'AC', .* \(value not shown\)$"),
        ({"workspace_sid": ""}, ValueError, "^workspace_sid must not be empty$"),
        ({"worker_sid": "WQ1"}, ValueError, r"^worker_sid must start with 'WK', .* \(value not shown\)$"),
        ({"auth_token": None}, TypeError, "^auth_token must be str, bytes or Key"),
        ({"auth_token": ""}, ValueError, "^auth_token must not be empty$"),
        ({"ttl": -1}, ValueError, "^ttl must be zero or more seconds"),
        ({"ttl": 1.5}, TypeError, "^ttl must be an int"),
        ({"nbf": "now"}, TypeError, "^nbf must be an int"),
        ({"nbf": True}, TypeError, "^nbf must be an int, not bool$"),
        ({"valid_until": 2**63}, OverflowError, "^valid_until .* does not fit"),
        ({"allow_fetch_self": 1}, TypeError, "^allow_fetch_self must be bool, not int$"),
        ({"allow_update_reservations": None}, TypeError, "^allow_update_reservations must be bool"),
        ({"allow_upadte_self": True}, TypeError, "unexpected keyword argument 'allow_upadte_self'"),
    ],
)
def test_worker_capability_token_bad_arguments(change: dict[str, Any], error: type[Exception], message: str) -> None:
    good: dict[str, Any] = {
        "account_sid": ACCOUNT,
        "auth_token": KEY,
        "workspace_sid": WORKSPACE,
        "worker_sid": WORKER,
    }
    with pytest.raises(error, match=message):
        ours.WorkerCapabilityToken(**{**good, **change})


def test_bad_arguments_after_construction() -> None:
    token = ours.TaskQueueCapabilityToken(*args(QUEUE))
    with pytest.raises(ValueError, match="^channel_id must start with 'WK' or 'WQ' or 'WS'"):
        token.allow_web_sockets("XX1")
    with pytest.raises(ValueError, match="^ttl must be zero or more seconds"):
        token.to_jwt(-5)
    with pytest.raises(OverflowError, match="^exp"):
        token.to_jwt(2**62, now=2**62)
    with pytest.raises(ValueError, match="method must be an HTTP method"):
        token.allow("https://example.com", "GET /")
    with pytest.raises(AttributeError):
        token.account_sid = "AC2"  # type: ignore[misc]


def test_payload_of_a_token_beyond_the_decoders_limit() -> None:
    # The decoder refuses untrusted tokens over 64 KiB; the payload of a
    # token minted here is read from the object, whatever its size.
    token = ours.WorkerCapabilityToken(ACCOUNT, KEY, WORKSPACE, WORKER, nbf=None, valid_until=VALID_UNTIL)
    for _ in range(400):
        token.allow_update_subresources()
    minted = token.to_jwt()
    assert len(minted) > 65_536
    claims = pyjwt.decode(minted, KEY, algorithms=["HS256"], options={"verify_exp": False})
    assert token.payload == claims
    assert list(token.payload) == list(claims)
