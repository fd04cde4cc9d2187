"""What every token class promises, whatever its generation: policies of
one's own (capability classes), a key that never shows, a str that is the
repr and never the token, one expiry rule (ttl and now checked, exp within a
signed 64-bit int), and (today's classes) twilio's time claims."""

from __future__ import annotations

import copy
import json
import pickle
import uuid
from collections.abc import Callable
from typing import Any

import jwt as pyjwt
import pytest
import twilio.jwt
from twilio.jwt.access_token import AccessToken as TheirAccessToken
from twilio.jwt.access_token import grants as their_grants
from twilio.jwt.taskrouter import capabilities as reference

from conftest import holds_text, payload_text, pyjwt_reencode
from twilio_trcap import (
    OPTIONAL,
    REQUIRED,
    Policy,
    TaskRouterCapability,
    _core,
    task_router_v4_5,
    task_router_v5,
)
from twilio_trcap.jwt import GENERATE
from twilio_trcap.jwt.access_token import AccessToken
from twilio_trcap.jwt.access_token.grants import TaskRouterGrant
from twilio_trcap.jwt.taskrouter import capabilities

A, W, K, Q = "AC1", "WS1", "WK1", "WQ1"


def minter(token: Any) -> Callable[..., str]:
    """The method that mints, by whichever name its generation gives it
    (each takes `ttl` and the keyword `now`)."""
    return getattr(token, "generate_token", None) or token.to_jwt  # type: ignore[no-any-return]


def mint(token: Any) -> str:
    """The token, minted now with the class's defaults."""
    return str(minter(token)())


# (id, factory of a capability from a key)
CAPABILITIES: list[tuple[str, Callable[[str], Any]]] = [
    ("4.0", lambda key: TaskRouterCapability(A, key, W, K)),
    *(
        (f"{module.__name__.rsplit('.', 1)[1]}.{name}", factory)
        for module in (task_router_v4_5, task_router_v5)
        for name, factory in (
            ("general-wk", lambda key, m=module: m.TaskRouterCapability(A, key, W, K)),
            ("general-wq", lambda key, m=module: m.TaskRouterCapability(A, key, W, Q)),
            ("general-ws", lambda key, m=module: m.TaskRouterCapability(A, key, W, W)),
            ("worker", lambda key, m=module: m.TaskRouterWorkerCapability(A, key, W, K)),
            ("taskqueue", lambda key, m=module: m.TaskRouterTaskQueueCapability(A, key, W, Q)),
            ("workspace", lambda key, m=module: m.TaskRouterWorkspaceCapability(A, key, W)),
        )
    ),
    ("jwt.worker", lambda key: capabilities.WorkerCapabilityToken(A, key, W, K)),
    ("jwt.taskqueue", lambda key: capabilities.TaskQueueCapabilityToken(A, key, W, Q)),
    ("jwt.workspace", lambda key: capabilities.WorkspaceCapabilityToken(A, key, W)),
]
EVERY_CLASS = CAPABILITIES + [
    ("access-token", lambda key: AccessToken(A, "SK1", key, [TaskRouterGrant(W, K)], "alice")),
]
URL = "https://taskrouter.twilio.com/v1/Workspaces/WS1/Tasks"


@pytest.fixture
def secret() -> str:
    # Built at run time so no interned constant can hide a leak.
    return "tok-" + uuid.uuid4().hex


KEY = "0123456789abcdef0123456789abcdef"  # 32 bytes: PyJWT's recommended minimum


def decoded_policies(token: str) -> list[dict[str, Any]]:
    claims = pyjwt.decode(token, KEY, algorithms=["HS256"], options={"verify_exp": False})
    return list(claims["policies"])


@pytest.mark.parametrize(("name", "factory"), CAPABILITIES, ids=[c[0] for c in CAPABILITIES])
def test_policies_of_ones_own(name: str, factory: Callable[[str], Any]) -> None:
    capability = factory(KEY)
    defaults = decoded_policies(mint(capability))
    capability.allow(URL, "get", query_filter={"TaskQueueSid": REQUIRED})
    capability.deny(URL, "Delete", post_filter={"Attributes": OPTIONAL})
    capability.add_policy(URL, "PUT", False, {"A": REQUIRED}, None)
    capability.policies.append(Policy(URL, "post"))
    capability.policies.append({"url": URL, "method": "patch", "allow": False})
    token = mint(capability)
    assert decoded_policies(token) == defaults + [
        {"url": URL, "method": "GET", "allow": True,
         "query_filter": {"TaskQueueSid": {"required": True}}, "post_filter": {}},
        {"url": URL, "method": "DELETE", "allow": False,
         "query_filter": {}, "post_filter": {"Attributes": {"required": False}}},
        {"url": URL, "method": "PUT", "allow": False,
         "query_filter": {"A": {"required": True}}, "post_filter": {}},
        {"url": URL, "method": "POST", "allow": True, "query_filter": {}, "post_filter": {}},
        {"url": URL, "method": "PATCH", "allow": False, "query_filter": {}, "post_filter": {}},
    ]  # fmt: skip
    assert token == pyjwt_reencode(token, KEY)
    assert capability.policies[-2] == Policy(URL, "POST")
    for bad, error in (
        (lambda: capability.allow(None, "GET"), TypeError),
        (lambda: capability.allow(URL, ""), ValueError),
        (lambda: capability.deny(URL, "GET", query_filter=["x"]), TypeError),
        (lambda: capability.add_policy(URL, "GET", "yes"), TypeError),
    ):
        with pytest.raises(error):
            bad()
    assert len(capability.policies) == len(defaults) + 5  # the refused ones added nothing


def key_what(token: Any) -> str:
    """What a class calls its key in the messages that refuse to show it."""
    return "an API key secret" if isinstance(token, AccessToken) else "an auth token"


@pytest.mark.parametrize(("name", "factory"), EVERY_CLASS, ids=[c[0] for c in EVERY_CLASS])
def test_the_key_never_shows(name: str, factory: Callable[[str], Any], secret: str) -> None:
    token = factory(secret)
    shown = (repr(token), str(token), f"{token}", format(token, ""), repr(getattr(token, "policies", "")))
    for text in shown:
        assert secret not in text
    for attribute in ("auth_token", "secret_key"):
        if hasattr(type(token), attribute):
            with pytest.raises(AttributeError, match="not readable") as info:
                getattr(token, attribute)
            assert secret not in str(info.value)
    assert not hasattr(token, "__dict__")
    for action in (pickle.dumps, copy.copy, copy.deepcopy):
        refusal = f"^cannot pickle {type(token).__name__}: it holds {key_what(token)}$"
        with pytest.raises(TypeError, match=refusal) as info:
            action(token)
        assert secret not in str(info.value)
    assert not holds_text(token, secret)
    mint(token)  # and it works


# -- one expiry rule: exp is now plus ttl, each checked, within int64 ---------

INT64_MAX = 2**63 - 1
NOW = 1_700_000_000
# The classes whose minting method has no default for ttl=None: today's
# take None as "the token's own ttl", as twilio's do.
NO_NONE_TTL = [c for c in EVERY_CLASS if not c[0].startswith(("jwt.", "access-token"))]


def refused(token: Any, secret: str, error: type[Exception], pattern: str, **call: Any) -> None:
    """Minting with `call` raises `error` matching `pattern`, and the
    message shows no key."""
    with pytest.raises(error, match=pattern) as info:
        minter(token)(**call)
    assert secret not in str(info.value)


def exp_of(token: str) -> int:
    return int(json.loads(payload_text(token))["exp"])


@pytest.mark.parametrize(("name", "factory"), EVERY_CLASS, ids=[c[0] for c in EVERY_CLASS])
@pytest.mark.parametrize("ttl", [True, False, 1.5, 600.0, "600", [600]])
def test_ttl_of_a_wrong_type(name: str, factory: Callable[[str], Any], secret: str, ttl: object) -> None:
    refused(factory(secret), secret, TypeError, rf"^ttl must be an int, not {type(ttl).__name__}$", ttl=ttl)


@pytest.mark.parametrize(("name", "factory"), NO_NONE_TTL, ids=[c[0] for c in NO_NONE_TTL])
def test_none_ttl_where_ttl_has_no_default(name: str, factory: Callable[[str], Any], secret: str) -> None:
    refused(factory(secret), secret, TypeError, "^ttl must be an int, not NoneType$", ttl=None)


@pytest.mark.parametrize(("name", "factory"), EVERY_CLASS, ids=[c[0] for c in EVERY_CLASS])
def test_negative_ttl(name: str, factory: Callable[[str], Any], secret: str) -> None:
    refused(factory(secret), secret, ValueError, "^ttl must be zero or more seconds, not -1$", ttl=-1)


@pytest.mark.parametrize(("name", "factory"), EVERY_CLASS, ids=[c[0] for c in EVERY_CLASS])
def test_ttl_with_index_is_accepted(name: str, factory: Callable[[str], Any]) -> None:
    class Seconds:
        def __index__(self) -> int:
            return 600

    assert exp_of(minter(factory(KEY))(ttl=Seconds(), now=1000)) == 1600


@pytest.mark.parametrize(("name", "factory"), EVERY_CLASS, ids=[c[0] for c in EVERY_CLASS])
def test_exp_at_the_int64_limit_is_exact(name: str, factory: Callable[[str], Any]) -> None:
    token = minter(factory(KEY))(ttl=INT64_MAX - NOW, now=NOW)
    assert exp_of(token) == INT64_MAX
    # PyJWT's bytes for the same header and claims (an Access Token's header has cty).
    claims = pyjwt.decode(token, KEY, algorithms=["HS256"], options={"verify_exp": False})
    assert token == pyjwt.encode(claims, KEY, algorithm="HS256", headers=pyjwt.get_unverified_header(token))


@pytest.mark.parametrize(("name", "factory"), EVERY_CLASS, ids=[c[0] for c in EVERY_CLASS])
@pytest.mark.parametrize("ttl", [INT64_MAX - NOW + 1, 2**63, 2**64, 10**30])
def test_exp_beyond_int64_overflows(name: str, factory: Callable[[str], Any], secret: str, ttl: int) -> None:
    pattern = r"^exp \(\d+\) does not fit a signed 64-bit integer$"
    refused(factory(secret), secret, OverflowError, pattern, ttl=ttl, now=NOW)


@pytest.mark.parametrize(("name", "factory"), EVERY_CLASS, ids=[c[0] for c in EVERY_CLASS])
@pytest.mark.parametrize("now", [True, 1.5, "now"])
def test_now_of_a_wrong_type(name: str, factory: Callable[[str], Any], secret: str, now: object) -> None:
    refused(factory(secret), secret, TypeError, rf"^now must be an int, not {type(now).__name__}$", now=now)


@pytest.mark.parametrize(("name", "factory"), EVERY_CLASS, ids=[c[0] for c in EVERY_CLASS])
def test_now_beyond_int64_overflows(name: str, factory: Callable[[str], Any], secret: str) -> None:
    # named now, not exp: the minting time is checked where it is read
    pattern = r"^now \(-\d+\) does not fit a signed 64-bit integer$"
    refused(factory(secret), secret, OverflowError, pattern, ttl=0, now=-(2**63) - 1)


def test_the_core_key_and_minter_show_no_key(secret: str) -> None:
    key = _core.Key.prepare(secret, "key")
    minter = _core.Minter.create(key, (), _core.Template(("tail",)), ())
    for holder, kind in ((key, "Key"), (minter, "_core.Minter")):
        assert secret not in repr(holder)
        assert repr(holder) == f"<twilio_trcap.{kind} HS256>"
        with pytest.raises(TypeError, match="secret key") as info:
            pickle.dumps(holder)
        assert secret not in str(info.value)


def expected_repr(token: Any) -> str:
    """The repr each class promises: its sids and what it grants, by name or
    count, never the key or the token."""
    if isinstance(token, AccessToken):
        return (
            f"AccessToken(account_sid={A!r}, signing_key_sid='SK1', identity='alice', "
            "grants=['task_router'])"
        )
    # 4.0 names its channel as twilio 4.0 did; every later generation calls it channel_id.
    if isinstance(token, TaskRouterCapability):
        channel = f"worker_sid={K!r}"
    else:
        channel = f"channel_id={token.channel_id!r}"
    return (
        f"{type(token).__name__}(account_sid={A!r}, workspace_sid={W!r}, {channel}, "
        f"policies={len(token.policies)})"
    )


@pytest.mark.parametrize(("name", "factory"), EVERY_CLASS, ids=[c[0] for c in EVERY_CLASS])
def test_str_is_the_repr_and_never_the_token(name: str, factory: Callable[[str], Any]) -> None:
    token = factory(KEY)
    if hasattr(token, "policies"):
        token.allow(URL, "GET")  # the count follows the policies
    signed = mint(token)
    assert str(token) == repr(token) == expected_repr(token)
    for text in (str(token), repr(token), f"{token}", f"{token!r}"):
        assert signed not in text and signed.split(".")[2] not in text


# Today's classes with twilio's own: (id, ours, theirs), each made from the
# keywords nbf, ttl and valid_until.
TODAYS: list[tuple[str, Callable[..., Any], Callable[..., Any]]] = [
    ("jwt.worker",
     lambda **kw: capabilities.WorkerCapabilityToken(A, KEY, W, K, **kw),
     lambda **kw: reference.WorkerCapabilityToken(A, KEY, W, K, **kw)),
    ("jwt.taskqueue",
     lambda **kw: capabilities.TaskQueueCapabilityToken(A, KEY, W, Q, **kw),
     lambda **kw: reference.TaskQueueCapabilityToken(A, KEY, W, Q, **kw)),
    ("jwt.workspace",
     lambda **kw: capabilities.WorkspaceCapabilityToken(A, KEY, W, **kw),
     lambda **kw: reference.WorkspaceCapabilityToken(A, KEY, W, **kw)),
    ("access-token",
     lambda **kw: AccessToken(A, "SK1", KEY, [TaskRouterGrant(W, K, "worker")], **kw),
     lambda **kw: TheirAccessToken(
         A, "SK1", KEY, [their_grants.TaskRouterGrant(W, K, "worker")], **kw)),
]  # fmt: skip


@pytest.mark.parametrize(("name", "mine", "theirs"), TODAYS, ids=[c[0] for c in TODAYS])
@pytest.mark.parametrize("nbf", [GENERATE, None, 1_600_000_000])
@pytest.mark.parametrize("valid_until", [None, 4_000_000_000])
@pytest.mark.parametrize("ttl", [3600, 60, 0])
@pytest.mark.parametrize("override", [None, 600, 1])
def test_time_claims_are_twilio_s(
    frozen_twilio: int,
    name: str,
    mine: Callable[..., Any],
    theirs: Callable[..., Any],
    nbf: Any,
    valid_until: int | None,
    ttl: int,
    override: int | None,
) -> None:
    their_nbf = twilio.jwt.Jwt.GENERATE if nbf is GENERATE else nbf
    token = mine(nbf=nbf, ttl=ttl, valid_until=valid_until)
    expected = theirs(nbf=their_nbf, ttl=ttl, valid_until=valid_until)
    assert token.to_jwt(override, now=frozen_twilio) == expected.to_jwt(override)


@pytest.mark.parametrize(("name", "mine", "theirs"), TODAYS, ids=[c[0] for c in TODAYS])
def test_str_hides_the_token_that_twilio_s_str_shows(
    frozen_twilio: int, name: str, mine: Callable[..., Any], theirs: Callable[..., Any]
) -> None:
    token = mine(valid_until=4_000_000_000)
    expected = theirs(valid_until=4_000_000_000)
    signed = token.to_jwt(now=frozen_twilio)
    assert signed == expected.to_jwt()
    assert signed in str(expected)  # what twilio did: a bearer credential in logs
    for text in (str(token), repr(token), f"{token}", f"{token!r}"):
        assert signed not in text and signed.split(".")[2] not in text
