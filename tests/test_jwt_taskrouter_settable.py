"""Today's capability tokens: the times twilio lets code set can be set,
the sids and key cannot, and a sid of the wrong type is an error that code
written for twilio (ValueError) and for us (TypeError) both catch."""

from __future__ import annotations

from unittest import mock

import pytest
from twilio.jwt.taskrouter.capabilities import WorkerCapabilityToken as TheirWorker

from twilio_trcap.jwt import ArgumentTypeError
from twilio_trcap.jwt.taskrouter.capabilities import (
    TaskQueueCapabilityToken,
    WorkerCapabilityToken,
    WorkspaceCapabilityToken,
)

KEY = "0123456789abcdef0123456789abcdef"
NOW = 1_700_000_000


def test_times_are_settable_as_in_twilio() -> None:
    ours = WorkerCapabilityToken("AC1", KEY, "WS1", "WK1")
    theirs = TheirWorker("AC1", KEY, "WS1", "WK1")
    with mock.patch("time.time", return_value=NOW):
        assert ours.to_jwt() == theirs.to_jwt()  # the same token before: the same after
        for token in (ours, theirs):
            token.ttl = 30
            token.nbf = None
        assert ours.to_jwt() == theirs.to_jwt()
        for token in (ours, theirs):
            token.valid_until = NOW + 99
            token.nbf = NOW - 1
        assert ours.to_jwt() == theirs.to_jwt()
        assert ours.payload["exp"] == NOW + 99
    with pytest.raises(ValueError, match="^ttl must be zero or more"):
        ours.ttl = -1


@pytest.mark.parametrize("name", ["account_sid", "workspace_sid", "channel_id", "issuer", "subject"])
def test_sids_are_not_settable(name: str) -> None:
    token = WorkspaceCapabilityToken("AC1", KEY, "WS1")
    with pytest.raises(AttributeError):
        setattr(token, name, "AC2")


@pytest.mark.parametrize("name", ["secret_key", "auth_token"])
def test_the_key_is_neither_readable_nor_settable(name: str) -> None:
    token = TaskQueueCapabilityToken("AC1", KEY, "WS1", "WQ1")
    with pytest.raises(AttributeError):
        getattr(token, name)
    with pytest.raises(AttributeError):
        setattr(token, name, "another")


@pytest.mark.parametrize("position", range(3))
def test_a_none_sid_is_both_a_type_error_and_a_value_error(position: int) -> None:
    args = ["AC1", "WS1", "WK1"]
    args[position] = None  # type: ignore[call-overload]
    with pytest.raises(ArgumentTypeError, match="must be str, not NoneType") as info:
        WorkerCapabilityToken(args[0], KEY, args[1], args[2])  # type: ignore[arg-type]
    assert isinstance(info.value, TypeError) and isinstance(info.value, ValueError)
    with pytest.raises(ValueError):  # what twilio raised ("Invalid ... sid provided None")
        TheirWorker(args[0], KEY, args[1], args[2])
