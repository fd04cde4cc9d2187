"""The auth token never shows: not in repr, str, pickles, exceptions or
attributes, and the capability keeps no Python reference to it."""

from __future__ import annotations

import copy
import pickle
import uuid

import pytest

from conftest import holds_text
from twilio_trcap import TaskRouterCapability, _core


@pytest.fixture
def secret() -> str:
    # Built at run time so no interned constant can hide a leak.
    return "tok-" + uuid.uuid4().hex


@pytest.fixture
def capability(secret: str) -> TaskRouterCapability:
    capability = TaskRouterCapability("AC1", secret, "WS1", "WK1")
    capability.allow_worker_activity_updates()
    return capability


def test_repr_and_str(capability: TaskRouterCapability, secret: str) -> None:
    for text in (repr(capability), str(capability), f"{capability}", repr(capability.policies)):
        assert secret not in text
    assert repr(capability) == (
        "TaskRouterCapability(account_sid='AC1', workspace_sid='WS1', "
        "worker_sid='WK1', policies=4)"
    )


def test_auth_token_is_not_readable(capability: TaskRouterCapability, secret: str) -> None:
    with pytest.raises(AttributeError) as info:
        capability.auth_token  # noqa: B018
    assert secret not in str(info.value)
    assert not hasattr(capability, "__dict__")


def test_pickling_and_copying_are_refused(capability: TaskRouterCapability, secret: str) -> None:
    for action in (pickle.dumps, copy.copy, copy.deepcopy):
        with pytest.raises(TypeError, match="auth token") as info:
            action(capability)
        assert secret not in str(info.value)


def test_no_python_reference_to_the_key(capability: TaskRouterCapability, secret: str) -> None:
    # What the capability holds, two levels down: the key is not among it.
    assert not holds_text(capability, secret)


def test_key_and_minter_show_no_key(secret: str) -> None:
    key = _core.Key(secret)
    minter = _core.Minter.create(key, (), _core.Template(("tail",)), ())
    for holder, kind in ((key, "Key"), (minter, "Minter")):
        assert secret not in repr(holder)
        assert repr(holder) == f"<twilio_trcap._core.{kind} HS256>"
        with pytest.raises(TypeError, match="secret key"):
            pickle.dumps(holder)


def test_errors_after_construction_show_no_key(capability: TaskRouterCapability, secret: str) -> None:
    for bad in (dict(ttl=-1), dict(ttl="x"), dict(ttl=2**64)):
        with pytest.raises((TypeError, ValueError, OverflowError)) as info:
            capability.generate_token(**bad)  # type: ignore[arg-type]
        assert secret not in str(info.value)
