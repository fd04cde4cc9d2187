"""Standing adversarial suite: sids that would change a URL (issue 9,
finding 3) and hostile str subclasses (finding 4), for every class of every
generation.

The sid rule (docs/security.md): ASCII letters and digits, after the
class's prefix.  A sid is written into policy URLs; a ``/``, ``.``, ``%``,
``?``, ``#``, ``*``, whitespace, a control character or non-ASCII could make
a policy name another resource, so each is a ValueError naming the argument.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import given

from conftest import non_sid_text, payload_text, sid_text
from test_cli import run
from twilio_trcap import TaskRouterCapability, task_router_v4_5, task_router_v5
from twilio_trcap.jwt.access_token import AccessToken
from twilio_trcap.jwt.access_token.grants import TaskRouterGrant
from twilio_trcap.jwt.taskrouter import capabilities

KEY = "key"
GOOD = {"account_sid": "AC1", "workspace_sid": "WS1", "worker_sid": "WK1", "channel_id": "WK1",
        "task_queue_sid": "WQ1", "signing_key_sid": "SK1"}


def _v(module: Any, cls: str, channel: str) -> Callable[..., Any]:
    def make(account_sid: str, workspace_sid: str, **channel_arg: str) -> Any:
        return getattr(module, cls)(account_sid, KEY, workspace_sid, *channel_arg.values())
    make.__name__ = f"{module.__name__}.{cls}"
    return make


# (id, factory taking the sids by name, the sid arguments and their prefixes)
SID_TAKERS: list[tuple[str, Callable[..., Any], dict[str, str]]] = [
    ("4.0", lambda account_sid, workspace_sid, worker_sid: TaskRouterCapability(
        account_sid, KEY, workspace_sid, worker_sid),
     {"account_sid": "AC", "workspace_sid": "WS", "worker_sid": "WK"}),
    ("4.0.mint_many", lambda account_sid, workspace_sid, worker_sid: TaskRouterCapability.mint_many(
        account_sid, KEY, workspace_sid, [worker_sid]),
     {"account_sid": "AC", "workspace_sid": "WS", "worker_sid": "WK"}),
    *(
        (f"{m.__name__.rsplit('.', 1)[1]}.{cls}", _v(m, cls, arg), {
            "account_sid": "AC", "workspace_sid": "WS", **({arg: prefix} if arg else {})})
        for m in (task_router_v4_5, task_router_v5)
        for cls, arg, prefix in (
            ("TaskRouterCapability", "channel_id", "WK"),
            ("TaskRouterWorkerCapability", "worker_sid", "WK"),
            ("TaskRouterTaskQueueCapability", "channel_id", "WQ"),
            ("TaskRouterWorkspaceCapability", "", ""),
        )
    ),
    ("jwt.Worker", lambda account_sid, workspace_sid, worker_sid: capabilities.WorkerCapabilityToken(
        account_sid, KEY, workspace_sid, worker_sid),
     {"account_sid": "AC", "workspace_sid": "WS", "worker_sid": "WK"}),
    ("jwt.TaskQueue", lambda account_sid, workspace_sid, task_queue_sid:
        capabilities.TaskQueueCapabilityToken(account_sid, KEY, workspace_sid, task_queue_sid),
     {"account_sid": "AC", "workspace_sid": "WS", "task_queue_sid": "WQ"}),
    ("jwt.Workspace", lambda account_sid, workspace_sid: capabilities.WorkspaceCapabilityToken(
        account_sid, KEY, workspace_sid),
     {"account_sid": "AC", "workspace_sid": "WS"}),
    ("AccessToken", lambda account_sid, signing_key_sid: AccessToken(
        account_sid, signing_key_sid, KEY),
     {"account_sid": "AC", "signing_key_sid": "SK"}),
    ("TaskRouterGrant", lambda workspace_sid, worker_sid: TaskRouterGrant(workspace_sid, worker_sid),
     {"workspace_sid": "WS", "worker_sid": "WK"}),
]

# The tricks, and one of each kind of character the rule refuses.
TRICKS = [
    "/**", "/../WK2", "?x=", "%2F..%2FWK2", "#", "*", ".", "-", "_", "~", ";", "@", ":", "\\",
    " ", "\t", "\r\n", "\x00", "\x1b[2J", "\x7f", "\x85", "\u00a0", "\u202e", "\u200b",
    "\u00e9", "\u0663", "\uff2b", "\U0001f600", "\ud800",
]


def _arguments(prefixes: dict[str, str], name: str, value: str) -> dict[str, str]:
    args = {n: (GOOD[n] if p == "" or GOOD[n].startswith(p) else p + "1") for n, p in prefixes.items()}
    args[name] = value
    return args


CASES = [(label, make, prefixes, name) for label, make, prefixes in SID_TAKERS for name in prefixes]
CASE_IDS = [f"{c[0]}-{c[3]}" for c in CASES]


@pytest.mark.parametrize(("label", "make", "prefixes", "name"), CASES, ids=CASE_IDS)
@pytest.mark.parametrize("trick", TRICKS, ids=[ascii(t) for t in TRICKS])
def test_a_sid_that_would_change_a_url_is_refused(
    label: str, make: Callable[..., Any], prefixes: dict[str, str], name: str, trick: str
) -> None:
    prefix = prefixes[name]
    for value in (f"{prefix}1{trick}", f"{prefix}1{trick}2", f"{prefix}{trick}1"):
        args = _arguments(prefixes, name, value)
        where = r"worker_sids\[0\]" if label.endswith("mint_many") and name == "worker_sid" else name
        with pytest.raises(ValueError, match=rf"^{where} must hold ASCII letters and digits only"):
            make(**args)


@pytest.mark.parametrize(("label", "make", "prefixes", "name"), CASES, ids=CASE_IDS)
@given(data=__import__("hypothesis").strategies.data())
def test_sids_over_any_text(
    label: str, make: Callable[..., Any], prefixes: dict[str, str], name: str, data: Any
) -> None:
    prefix = prefixes[name]
    good = data.draw(sid_text(prefix))
    made = make(**_arguments(prefixes, name, good))
    # Accepted sids are written as they are: one whole URL segment or claim.
    text = json.dumps(_claims(made))
    assert good in text
    bad = data.draw(non_sid_text(prefix))
    with pytest.raises(ValueError, match="must hold ASCII letters and digits only"):
        make(**_arguments(prefixes, name, bad))


def _claims(made: Any) -> Any:
    if isinstance(made, list):  # mint_many's tokens
        return [json.loads(payload_text(token)) for token in made]
    if isinstance(made, TaskRouterGrant):
        return made.to_payload()
    token = made.generate_token() if hasattr(made, "generate_token") else made.to_jwt()
    return json.loads(payload_text(token))


def test_short_documented_sids_keep_working() -> None:
    capability = TaskRouterCapability("AC123", "secret", "WS456", "WK789")
    capability.allow_worker_fetch_attributes()
    assert capability.allows("GET", "https://taskrouter.twilio.com/v1/Workspaces/WS456/Workers/WK789")
    real = "WK" + "0123456789abcdef" * 2
    assert task_router_v5.TaskRouterWorkerCapability("AC1", KEY, "WS1", real).channel_id == real


@pytest.mark.parametrize("cls", [task_router_v4_5.TaskRouterCapability,
                                 task_router_v5.TaskRouterCapability,
                                 capabilities.WorkerCapabilityToken])
def test_allow_web_sockets_channel_follows_the_rule(cls: Any) -> None:
    capability = cls("AC1", KEY, "WS1", "WK1")
    with pytest.raises(ValueError, match="^(channel_id|allow_web_sockets)"):
        capability.allow_web_sockets("WK1/../WK2")


@pytest.mark.parametrize("sid", ["WK1/**", "WK1/../WK2", "WK1?x=", "WK1%2F..%2FWK2", "WK1 x"])
def test_cli_mint_refuses_such_a_sid(sid: str) -> None:
    result = run("mint", "--account-sid", "AC1", "--workspace-sid", "WS1", "--worker-sid", sid,
                 env={"TWILIO_AUTH_TOKEN": "s3cr3t"})
    assert result.returncode == 2 and result.stdout == ""
    assert "worker_sid must hold ASCII letters and digits only" in result.stderr
    assert "s3cr3t" not in result.stderr


# -- str subclasses (finding 4) ---------------------------------------------

CALLED: list[str] = []


def _spy(name: str, result: Any) -> Any:
    def method(self: Any, *args: Any, **kwargs: Any) -> Any:
        CALLED.append(name)
        return result
    return method


class Hostile(str):
    """A str whose methods all lie: a class that ran any of them would put
    another Workspace, Worker or method into a token."""

    __str__ = _spy("__str__", "WS666")
    __format__ = _spy("__format__", "WS666")
    __repr__ = _spy("__repr__", "'WS666'")
    __eq__ = _spy("__eq__", True)
    __ne__ = _spy("__ne__", False)
    __hash__ = _spy("__hash__", 0)
    __add__ = _spy("__add__", "WS666")
    __radd__ = _spy("__radd__", "WS666")
    __mod__ = _spy("__mod__", "WS666")
    __len__ = _spy("__len__", 3)
    __iter__ = _spy("__iter__", iter("WS666"))
    __getitem__ = _spy("__getitem__", "W")
    __contains__ = _spy("__contains__", False)
    upper = _spy("upper", "DELETE")
    lower = _spy("lower", "delete")
    startswith = _spy("startswith", True)
    endswith = _spy("endswith", False)
    isalnum = _spy("isalnum", True)
    isascii = _spy("isascii", True)
    encode = _spy("encode", b"WS666")
    partition = _spy("partition", ("WS666", "", ""))
    split = _spy("split", ["WS666"])
    strip = _spy("strip", "WS666")


def h(text: str) -> Hostile:
    return Hostile(text)


URL = "https://taskrouter.twilio.com/v1/Workspaces/WS1/Tasks"

# Every class, with every text argument hostile.
HOSTILE_MAKERS: list[tuple[str, Callable[[], Any]]] = [
    ("4.0", lambda: TaskRouterCapability(
        h("AC1"), h(KEY), h("WS1"), h("WK1"), base_url=h("https://taskrouter.twilio.com"),
        version=h("v1"), base_ws_url=h("https://event-bridge.twilio.com/v1/wschannels"))),
    *(
        (f"{m.__name__.rsplit('.', 1)[1]}.{cls}", lambda m=m, cls=cls, ch=ch: (
            getattr(m, cls)(h("AC1"), h(KEY), h("WS1"), *([h(ch)] if ch else []))))
        for m in (task_router_v4_5, task_router_v5)
        for cls, ch in (("TaskRouterCapability", "WK1"), ("TaskRouterWorkerCapability", "WK1"),
                        ("TaskRouterTaskQueueCapability", "WQ1"),
                        ("TaskRouterWorkspaceCapability", ""))
    ),
    ("jwt.Worker", lambda: capabilities.WorkerCapabilityToken(h("AC1"), h(KEY), h("WS1"), h("WK1"))),
    ("jwt.TaskQueue", lambda: capabilities.TaskQueueCapabilityToken(
        h("AC1"), h(KEY), h("WS1"), h("WQ1"))),
    ("jwt.Workspace", lambda: capabilities.WorkspaceCapabilityToken(h("AC1"), h(KEY), h("WS1"))),
    ("AccessToken", lambda: AccessToken(
        h("AC1"), h("SK1"), h(KEY), [TaskRouterGrant(h("WS1"), h("WK1"), h("worker"))],
        identity=h("alice"), region=h("us1"))),
]


@pytest.mark.parametrize(("label", "make"), HOSTILE_MAKERS, ids=[m[0] for m in HOSTILE_MAKERS])
def test_hostile_str_subclasses_are_taken_by_value(label: str, make: Callable[[], Any]) -> None:
    CALLED.clear()
    made = make()
    if hasattr(made, "allow"):
        made.allow(h(URL + "/WT1"), h("get"))
        made.deny(h(URL + "/WT2"), h("post"))
        made.add_policy(h(URL + "/WT3"), h("put"), True)
    if hasattr(made, "allow_web_sockets"):
        channel = getattr(made, "channel_id", None)
        if channel is not None:
            made.allow_web_sockets(h(str.__str__(channel)))
    text = made.generate_token() if hasattr(made, "generate_token") else made.to_jwt()
    shown = repr(made)
    claims = payload_text(text)
    for attribute in ("account_sid", "workspace_sid", "worker_sid", "channel_id", "identity",
                      "region", "version", "base_url", "signing_key_sid"):
        value = getattr(made, attribute, None)
        assert value is None or type(value) is str, attribute
    if hasattr(made, "policies"):
        checked = made.allows(h("GET"), h(URL + "/WT1"), query=[(h("A"), "1")])
    assert CALLED == [], f"{label} ran {CALLED}"
    # "WS666", not "666": a time claim may hold 666 (1796696665 did).
    assert "WS666" not in claims and "DELETE" not in claims and "WS666" not in shown
    if hasattr(made, "policies"):
        assert checked is True
        methods = {(p.url.rsplit("/", 1)[1], p.method) for p in made.policies}
        assert {("WT1", "GET"), ("WT2", "POST"), ("WT3", "PUT")} <= methods
        assert all(type(p.url) is str and type(p.method) is str for p in made.policies)


def test_hostile_bytes_key_is_copied() -> None:
    class HostileBytes(bytes):
        __bytes__ = _spy("__bytes__", b"other")

    CALLED.clear()
    token = TaskRouterCapability("AC1", HostileBytes(b"key"), "WS1", "WK1").generate_token(now=1)
    assert CALLED == []
    assert token == TaskRouterCapability("AC1", b"key", "WS1", "WK1").generate_token(now=1)
