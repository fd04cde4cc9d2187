"""A grant keeps its member of the ``grants`` claim written while it is
unchanged (twilio_trcap.jwt.access_token.grants._Grant._member): these
tests hold every Access Token minted after any change to be twilio's own,
byte for byte, so that the kept member can never be stale.

Changes tried between two mints: an attribute set again, a value changed
in place (a mapping a grant holds), a grant appended to or removed from
the live list, a second grant with the same key, a grant of one's own
whose payload or setter is its own.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from unittest import mock

import pytest
from twilio.jwt.access_token import AccessToken as TheirAccessToken
from twilio.jwt.access_token import grants as their_grants

from twilio_trcap.jwt.access_token import AccessToken
from twilio_trcap.jwt.access_token import grants as our_grants

SECRET = "0123456789abcdef0123456789abcdef"
ACCOUNT = "AC" + "a" * 32
KEY_SID = "SK" + "b" * 32
WORKSPACE = "WS" + "c" * 32
WORKER = "WK" + "d" * 32
NOW = 1_700_000_000


def minted(token: Any) -> str:
    with mock.patch("time.time", return_value=NOW + 0.5):
        return str(token.to_jwt())


def both(grants: Callable[[Any], list[Any]], identity: str | None = "alice") -> tuple[Any, Any]:
    """Our token and twilio's, each with `grants(module)`."""
    return (
        AccessToken(ACCOUNT, KEY_SID, SECRET, grants(our_grants), identity=identity),
        TheirAccessToken(ACCOUNT, KEY_SID, SECRET, grants(their_grants), identity=identity),
    )


def same_after(change: Callable[[Any], None], grants: Callable[[Any], list[Any]]) -> None:
    """Mints each token, applies `change` to it, and mints again: ours
    and twilio's must be equal both times (and the change must show)."""
    ours, theirs = both(grants)
    first = minted(ours)
    assert first == minted(theirs)
    change(ours)
    change(theirs)
    second = minted(ours)
    assert second == minted(theirs)
    assert second != first


def task_router(module: Any) -> list[Any]:
    return [module.TaskRouterGrant(workspace_sid=WORKSPACE, worker_sid=WORKER, role="worker")]


@pytest.mark.parametrize(
    ("name", "value"),
    [("role", "supervisor"), ("role", None), ("worker_sid", "WK" + "e" * 32), ("workspace_sid", None)],
)
def test_an_attribute_set_again_is_in_the_next_token(name: str, value: Any) -> None:
    same_after(lambda token: setattr(token.grants[0], name, value), task_router)


def test_a_value_changed_in_place_is_in_the_next_token() -> None:
    def voice(module: Any) -> list[Any]:
        return [module.VoiceGrant(outgoing_application_sid="AP1", outgoing_application_params={"a": 1})]

    same_after(lambda token: token.grants[0].outgoing_application_params.update(b=2), voice)

    def playback(module: Any) -> list[Any]:
        return [module.PlaybackGrant(grant={"requestCredentials": None})]

    same_after(lambda token: token.grants[0].grant.update(playbackUrl="x"), playback)


def test_the_live_list_appended_and_emptied() -> None:
    def add(token: Any) -> None:
        module = our_grants if isinstance(token, AccessToken) else their_grants
        token.add_grant(module.ChatGrant(service_sid="IS1"))

    same_after(add, task_router)
    same_after(lambda token: token.grants.clear(), task_router)
    same_after(lambda token: token.grants.reverse(), lambda m: [*task_router(m), m.SyncGrant("IS2")])


def test_a_later_grant_with_the_same_key_replaces_the_earlier_in_place() -> None:
    def two(module: Any) -> list[Any]:
        return [
            module.VideoGrant(room="a"),
            *task_router(module),
            module.VideoGrant(room="b"),
        ]

    ours, theirs = both(two)
    assert minted(ours) == minted(theirs)


def test_one_grant_in_two_tokens() -> None:
    grant = task_router(our_grants)[0]
    first = AccessToken(ACCOUNT, KEY_SID, SECRET, [grant], identity="a")
    second = AccessToken(ACCOUNT, KEY_SID, SECRET, [grant], identity="b")
    theirs = task_router(their_grants)
    assert minted(first) == minted(TheirAccessToken(ACCOUNT, KEY_SID, SECRET, theirs, identity="a"))
    grant.role = "other"
    theirs[0].role = "other"
    assert minted(second) == minted(TheirAccessToken(ACCOUNT, KEY_SID, SECRET, theirs, identity="b"))


def test_a_payload_of_ones_own_is_asked_at_every_mint() -> None:
    calls = []

    class Counted(our_grants.TaskRouterGrant):
        def to_payload(self) -> dict[str, Any]:
            calls.append(1)
            return {**super().to_payload(), "mint": len(calls)}

    token = AccessToken(ACCOUNT, KEY_SID, SECRET, [Counted(workspace_sid=WORKSPACE)])
    assert minted(token) != minted(token)
    assert len(calls) == 2


def test_a_setter_of_ones_own_runs_in_the_constructor() -> None:
    seen = []

    class Logged(our_grants.SyncGrant):
        def __setattr__(self, name: str, value: object) -> None:
            seen.append(name)
            super().__setattr__(name, value)

    grant = Logged("IS1", "endpoint")
    assert seen == ["service_sid", "endpoint_id"]
    ours = AccessToken(ACCOUNT, KEY_SID, SECRET, [grant])
    theirs = TheirAccessToken(ACCOUNT, KEY_SID, SECRET, [their_grants.SyncGrant("IS1", "endpoint")])
    assert minted(ours) == minted(theirs)
    grant.endpoint_id = "other"
    theirs.grants[0].endpoint_id = "other"
    assert minted(ours) == minted(theirs)


def test_a_bad_value_set_again_is_refused_and_the_member_kept() -> None:
    ours, theirs = both(task_router)
    before = minted(ours)
    with pytest.raises(ValueError, match="worker_sid"):
        ours.grants[0].worker_sid = "XX" + "f" * 32
    assert minted(ours) == before == minted(theirs)


def test_a_subclass_with_attributes_of_its_own() -> None:
    # An attribute of its own, listed first and holding a mapping, with
    # the payload the base writes (every attribute that is not None): the
    # base's constructor still sets the base's attributes, and a change in
    # place still shows.
    class Tagged(our_grants.TaskRouterGrant):
        __slots__ = ("tags",)
        _CHECKS = {"tags": lambda value, name: value, **our_grants.TaskRouterGrant._CHECKS}

        def __init__(self, tags: dict[str, Any], **kwargs: Any) -> None:
            super().__init__(**kwargs)
            self.tags = tags

    grant = Tagged({"a": 1}, workspace_sid=WORKSPACE, role="worker")
    assert (grant.workspace_sid, grant.worker_sid, grant.role) == (WORKSPACE, None, "worker")
    token = AccessToken(ACCOUNT, KEY_SID, SECRET, [grant])
    first = minted(token)
    grant.tags["b"] = 2
    second = minted(token)
    assert first != second
    claims = __import__("jwt").decode(second, SECRET, algorithms=["HS256"], options={"verify_exp": False})
    assert claims["grants"]["task_router"] == {"tags": {"a": 1, "b": 2}, "workspace_sid": WORKSPACE, "role": "worker"}


def test_values_that_compare_equal_across_types_are_not_confused() -> None:
    # 1 == True == 1.0, but their JSON differs: a kept member must never
    # stand for another.
    def playback(value: Any) -> Callable[[Any], list[Any]]:
        return lambda module: [module.PlaybackGrant(grant=value)]

    for first, second in ((1, True), (True, 1.0), (0, False), ("x", "x")):
        ours, theirs = both(playback(first))
        assert minted(ours) == minted(theirs)
        ours.grants[0].grant = second
        theirs.grants[0].grant = second
        assert minted(ours) == minted(theirs)


def test_a_value_set_away_and_back_between_mints() -> None:
    ours, theirs = both(task_router)
    tokens = []
    for role in ("a", "b", "a", None, "a"):
        ours.grants[0].role = role
        theirs.grants[0].role = role
        tokens.append(minted(ours))
        assert tokens[-1] == minted(theirs)
    assert tokens[0] == tokens[2] == tokens[4] != tokens[1]
