"""What every token class promises, whatever its generation: policies of
one's own (capability classes), and a key that never shows."""

from __future__ import annotations

import copy
import pickle
import uuid
from collections.abc import Callable
from typing import Any

import jwt as pyjwt
import pytest

from conftest import holds_text, pyjwt_reencode
from twilio_trcap import OPTIONAL, REQUIRED, Policy, TaskRouterCapability, task_router_v4_5, task_router_v5
from twilio_trcap.jwt.access_token import AccessToken
from twilio_trcap.jwt.access_token.grants import TaskRouterGrant
from twilio_trcap.jwt.taskrouter import capabilities

A, W, K, Q = "AC1", "WS1", "WK1", "WQ1"


def mint(token: Any) -> str:
    """The token, by whichever method its generation names."""
    if hasattr(token, "generate_token"):
        return str(token.generate_token())
    return str(token.to_jwt())


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


@pytest.mark.parametrize(("name", "factory"), EVERY_CLASS, ids=[c[0] for c in EVERY_CLASS])
def test_the_key_never_shows(name: str, factory: Callable[[str], Any], secret: str) -> None:
    token = factory(secret)
    for text in (repr(token), str(token), f"{token}", format(token, "")):
        assert secret not in text
    for attribute in ("auth_token", "secret_key"):
        if hasattr(type(token), attribute):
            with pytest.raises(AttributeError, match="not readable") as info:
                getattr(token, attribute)
            assert secret not in str(info.value)
    assert not hasattr(token, "__dict__")
    for action in (pickle.dumps, copy.copy, copy.deepcopy):
        with pytest.raises(TypeError, match="cannot pickle") as info:
            action(token)
        assert secret not in str(info.value)
    assert not holds_text(token, secret)
    mint(token)  # and it works
