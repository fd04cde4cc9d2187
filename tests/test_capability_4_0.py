"""twilio 4.0's TaskRouterCapability: its signature and its calls.

The class is a thin Python layer over the core's shared pieces (a prepared
Key, a Minter over twilio 4.0's layout), as every generation's is.  These
tests hold it to twilio 4.0's signatures: the same arguments by position or
by name, Python's own messages for a bad call, errors naming the argument,
the warning where the caller is; and to what a hostile caller can try: an
object whose ``__init__`` never ran, a second ``__init__`` that fails, keyword
names that are str subclasses, an ``__index__`` that re-initialises the
object mid-call.
"""

from __future__ import annotations

import gc
import inspect
import warnings
import weakref
from typing import Any

import pytest

from twilio_trcap import TaskRouterCapability, decode
from twilio_trcap.task_router import TASK_ROUTER_BASE_URL, TASK_ROUTER_BASE_WS_URL

from conftest import pyjwt_reencode

KEY = "k" * 32
NOW = 1_700_000_000
ARGS = ("AC1", KEY, "WS1", "WK1")
NAMES = (
    "account_sid",
    "auth_token",
    "workspace_sid",
    "worker_sid",
    "base_url",
    "version",
    "base_ws_url",
)
FULL = (*ARGS, "https://tr.example", "v9", "wss://ws.example")


def claims(token: str) -> dict[str, Any]:
    return claims_of(token, KEY)


def claims_of(token: str, key: str) -> dict[str, Any]:
    return decode(token, key, verify_exp=False)


# -- the signature and the ways to pass arguments -----------------------------


def test_signature_names_twilio_4_0_parameters_and_defaults() -> None:
    parameters = inspect.signature(TaskRouterCapability).parameters
    assert tuple(parameters) == NAMES
    defaults = {name: p.default for name, p in parameters.items() if p.default is not p.empty}
    assert defaults == {
        "base_url": TASK_ROUTER_BASE_URL,
        "version": "v1",
        "base_ws_url": TASK_ROUTER_BASE_WS_URL,
    }
    assert str(inspect.signature(TaskRouterCapability.generate_token)) == (
        "(self, ttl: 'int' = 3600, attributes: 'object' = None, *, now: 'int | None' = None) -> 'str'"
    )


def test_defaults_are_the_same_token_as_the_values_given() -> None:
    implicit = TaskRouterCapability(*ARGS).generate_token(now=NOW)
    explicit = TaskRouterCapability(
        *ARGS, TASK_ROUTER_BASE_URL, "v1", TASK_ROUTER_BASE_WS_URL
    ).generate_token(now=NOW)
    assert implicit == explicit


@pytest.mark.parametrize("positional", range(len(NAMES) + 1))
def test_arguments_by_position_or_by_name_make_one_token(positional: int) -> None:
    by_position = TaskRouterCapability(*FULL).generate_token(now=NOW)
    mixed = TaskRouterCapability(
        *FULL[:positional], **dict(zip(NAMES[positional:], FULL[positional:]))
    )
    assert mixed.generate_token(now=NOW) == by_position
    assert claims(by_position)["version"] == "v9"


def python_signatures() -> Any:
    """A bare class with twilio 4.0's signatures: its messages are the
    reference."""
    namespace: dict[str, Any] = {}
    exec(  # noqa: S102 (a fixed class body)
        "class TaskRouterCapability:\n"
        "    def __init__(self, account_sid, auth_token, workspace_sid, worker_sid,\n"
        "                 base_url=None, version=None, base_ws_url=None):\n"
        "        pass\n"
        "    def generate_token(self, ttl=3600, attributes=None, *, now=None):\n"
        "        pass\n",
        namespace,
    )
    return namespace["TaskRouterCapability"]


BAD_CALLS = [
    ((), {}),
    (ARGS[:1], {}),
    (ARGS[:2], {}),
    (ARGS[:3], {}),
    (ARGS[:3], {"auth_token": KEY}),
    ((*FULL, "extra"), {}),
    ((*FULL, "extra"), {"colour": "red"}),
    (ARGS, {"colour": "red"}),
    (ARGS, {"worker_sid": "WK2"}),
    (ARGS[:3], {"auth_token": KEY, "worker_sid": "WK1"}),
    ((), {"worker_sid": "WK1", "base_url": "x"}),
    (ARGS, {"self": None}),
]


def message_of(call: Any) -> str:
    with pytest.raises(TypeError) as caught:
        call()
    return str(caught.value)


@pytest.mark.parametrize(("args", "kwargs"), BAD_CALLS)
def test_bad_calls_get_pythons_own_messages(args: tuple, kwargs: dict) -> None:
    reference = python_signatures()
    assert message_of(lambda: TaskRouterCapability(*args, **kwargs)) == message_of(
        lambda: reference(*args, **kwargs)
    )


BAD_GENERATE_CALLS = [
    ((60, None, NOW), {}),
    ((60, None, NOW), {"now": NOW}),
    ((60, None, NOW, 4), {"now": NOW}),
    ((60,), {"ttl": 60}),
    ((60, None), {"attributes": None}),
    ((), {"time": NOW}),
    ((), {"ttl": 60, "expires": 1}),
    ((), {"self": None}),
]


@pytest.mark.parametrize(("args", "kwargs"), BAD_GENERATE_CALLS)
def test_bad_generate_token_calls_get_pythons_own_messages(args: tuple, kwargs: dict) -> None:
    reference = python_signatures()(*ARGS)
    capability = TaskRouterCapability(*ARGS)
    assert message_of(lambda: capability.generate_token(*args, **kwargs)) == message_of(
        lambda: reference.generate_token(*args, **kwargs)
    )


@pytest.mark.parametrize("index", range(7))
def test_each_argument_is_checked_under_its_name(index: int) -> None:
    args = list(FULL)
    args[index] = 42
    with pytest.raises(TypeError, match=NAMES[index]):
        TaskRouterCapability(*args)
    args[index] = ""
    with pytest.raises(ValueError, match=NAMES[index]):
        TaskRouterCapability(*args)


def test_generate_token_arguments_by_position_or_by_name() -> None:
    capability = TaskRouterCapability(*ARGS)
    by_name = capability.generate_token(ttl=60, now=NOW)
    assert capability.generate_token(60, now=NOW) == by_name
    assert capability.generate_token(now=NOW, ttl=60) == by_name
    assert capability.generate_token(**{"now": NOW, "ttl": 60}) == by_name
    assert claims(by_name)["exp"] == NOW + 60
    assert claims(capability.generate_token(now=NOW))["exp"] == NOW + 3600


@pytest.mark.parametrize(
    ("kwargs", "pattern"),
    [({"ttl": True}, "^ttl must be an int, not bool$"), ({"now": 1.5}, "^now must be an int, not float$")],
)
def test_generate_token_checks_ttl_and_now(kwargs: dict, pattern: str) -> None:
    with pytest.raises(TypeError, match=pattern):
        TaskRouterCapability(*ARGS).generate_token(**kwargs)


class HostileName(str):
    """A keyword name whose comparisons and str() are traps.  CPython binds
    keyword arguments to a def's parameters, comparing names by identity
    first and then with ``==``, so the trap can spring inside the call
    machinery, before any line of ours runs: the caller's own exception."""

    calls: list[str] = []

    def __eq__(self, other: object) -> bool:
        HostileName.calls.append("__eq__")
        raise AssertionError("__eq__ ran")

    __hash__ = str.__hash__

    def __str__(self) -> str:
        HostileName.calls.append("__str__")
        raise AssertionError("__str__ ran")


class PlainName(str):
    """A str subclass that behaves as a str."""


def test_keyword_names_that_are_str_subclasses() -> None:
    capability = TaskRouterCapability(*ARGS)
    before = capability.generate_token(now=NOW)
    token = capability.generate_token(**{PlainName("ttl"): 5, PlainName("now"): NOW})
    assert claims(token)["exp"] == NOW + 5
    # A hostile name: its exception, raised while Python binds the call,
    # and the object as it was (nothing of ours ran).
    HostileName.calls.clear()
    with pytest.raises((AssertionError, TypeError)):
        capability.generate_token(**{HostileName("ttl"): 5, HostileName("now"): NOW})
    assert "__str__" not in HostileName.calls
    with pytest.raises((AssertionError, TypeError)):
        capability.generate_token(**{HostileName("nope"): 5})
    assert capability.generate_token(now=NOW) == before


def test_attributes_warns_where_the_caller_is() -> None:
    capability = TaskRouterCapability(*ARGS)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        token = capability.generate_token(attributes={"a": 1}, now=NOW)
    assert [w.category for w in caught] == [UserWarning]
    assert "ignored" in str(caught[0].message)
    assert caught[0].filename == __file__
    assert token == capability.generate_token(now=NOW)


def test_attributes_warning_as_an_error_makes_no_token() -> None:
    capability = TaskRouterCapability(*ARGS)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(UserWarning, match="ignored"):
            capability.generate_token(None, "attributes")
        # None is "not given", as in twilio 4.0: no warning.
        assert claims(capability.generate_token(60, None, now=NOW))["exp"] == NOW + 60


def test_the_methods_are_documented_on_the_class() -> None:
    for name in (
        "allow_worker_fetch_attributes",
        "allow_worker_activity_updates",
        "allow_task_reservation_updates",
        "generate_token",
    ):
        method = TaskRouterCapability.__dict__[name]
        assert method.__doc__ and len(method.__doc__) > 40


# -- objects in odd states ------------------------------------------------------


@pytest.mark.parametrize(
    "call",
    [
        lambda c: c.allow_worker_fetch_attributes(),
        lambda c: c.allow_worker_activity_updates(),
        lambda c: c.allow_task_reservation_updates(),
        lambda c: c.generate_token(),
        lambda c: c.generate_token(60, now=NOW),
    ],
)
def test_an_object_whose_init_never_ran_refuses_every_method(call: Any) -> None:
    capability = TaskRouterCapability.__new__(TaskRouterCapability)
    with pytest.raises(AttributeError, match="_minter"):
        call(capability)
    # Its unset slots: an AttributeError.
    for name in ("_fields", "_minter", "worker_sid", "policies"):
        with pytest.raises(AttributeError, match="_fields|_minter"):
            getattr(capability, name)


def test_a_second_init_replaces_the_object_whole() -> None:
    capability = TaskRouterCapability(*ARGS)
    capability.allow_worker_fetch_attributes()
    capability.__init__("AC2", "other-key", "WS2", "WK2")  # type: ignore[misc]
    token = capability.generate_token(now=NOW)
    assert claims_of(token, "other-key")["worker_sid"] == "WK2"
    assert len(claims_of(token, "other-key")["policies"]) == 3


@pytest.mark.parametrize(
    "bad",
    [
        ("AC2", KEY, "WS2", "WK/2"),
        ("AC2", KEY, "WS2", "WK2", 5),
        ("AC2", "", "WS2", "WK2"),
        ("AC2", KEY, "WS2"),
    ],
)
def test_a_failed_second_init_leaves_the_first_state(bad: tuple) -> None:
    capability = TaskRouterCapability(*ARGS)
    capability.allow_task_reservation_updates()
    before = capability.generate_token(now=NOW)
    with pytest.raises((TypeError, ValueError)):
        capability.__init__(*bad)  # type: ignore[misc]
    assert capability.generate_token(now=NOW) == before
    assert capability.worker_sid == "WK1"


def test_a_subclass_with_its_own_init_and_state() -> None:
    class Agent(TaskRouterCapability):
        __slots__ = ("shift",)

        def __init__(self, worker_sid: str, shift: str) -> None:
            super().__init__("AC1", KEY, "WS1", worker_sid)
            self.shift = shift
            self.allow_worker_activity_updates()

    agent = Agent("WK7", "night")
    token = agent.generate_token(now=NOW)
    assert token == pyjwt_reencode(token, KEY)
    assert claims(token)["worker_sid"] == "WK7"
    assert claims(token)["policies"][-1]["post_filter"] == {"ActivitySid": {"required": True}}
    assert agent.shift == "night"


def test_an_object_in_a_reference_cycle_is_collected() -> None:
    class Holder(TaskRouterCapability):
        pass

    holder = Holder(*ARGS)
    holder.me = holder  # type: ignore[attr-defined]
    gone = weakref.ref(holder)
    del holder
    gc.collect()
    assert gone() is None


# -- Python code that runs mid-call ----------------------------------------------


class Reinit:
    """An int whose __index__ re-initialises (or grants on) a capability:
    Python code that runs while generate_token reads its arguments."""

    def __init__(self, value: int, action: Any) -> None:
        self.value, self.action = value, action

    def __index__(self) -> int:
        self.action()
        return self.value


def test_an_index_that_reinitialises_the_object_mid_call() -> None:
    capability = TaskRouterCapability(*ARGS)
    ttl = Reinit(60, lambda: capability.__init__("AC1", KEY, "WS1", "WK2"))
    token = capability.generate_token(ttl, now=NOW)
    # The token is the object's as it is after the argument was read.
    assert token == pyjwt_reencode(token, KEY)
    assert claims(token)["worker_sid"] == "WK2"
    assert token == capability.generate_token(60, now=NOW)


def test_an_index_that_grants_mid_call() -> None:
    capability = TaskRouterCapability(*ARGS)
    now = Reinit(NOW, capability.allow_worker_fetch_attributes)
    token = capability.generate_token(now=now)
    assert len(claims(token)["policies"]) == 4
    assert token == capability.generate_token(now=NOW)


def test_a_clock_that_fails() -> None:
    capability = TaskRouterCapability(*ARGS)

    def broken() -> float:
        raise OSError("no clock")

    import time

    real = time.time
    time.time = broken
    try:
        with pytest.raises(OSError, match="no clock"):
            capability.generate_token()
    finally:
        time.time = real
    assert claims(capability.generate_token())["exp"] >= int(real()) + 3600
