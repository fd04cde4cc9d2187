"""Every token class reads the clock through time.time() when it mints, so
freezegun and mock.patch("time.time") freeze its tokens as they froze
twilio's (docs/migration.md, "Frozen time")."""

from __future__ import annotations

import datetime
from collections.abc import Callable
from typing import Any
from unittest import mock

import jwt as pyjwt
import pytest
from freezegun import freeze_time

from twilio_trcap import TaskRouterCapability, task_router_v4_5, task_router_v5
from twilio_trcap.jwt import Jwt
from twilio_trcap.jwt.access_token import AccessToken
from twilio_trcap.jwt.access_token.grants import VoiceGrant
from twilio_trcap.jwt.taskrouter import capabilities

KEY = "0123456789abcdef0123456789abcdef"
A, W, K, Q = "AC1", "WS1", "WK1", "WQ1"
FROZEN = datetime.datetime(2031, 5, 17, 8, 30, 15, tzinfo=datetime.timezone.utc)
FROZEN_EPOCH = 1936773015  # date -u -d @1936773015: Sat May 17 08:30:15 UTC 2031


class _Plain(Jwt):
    """A Jwt of one's own, as twilio's tests and users write them."""

    def _generate_payload(self) -> dict[str, Any]:
        return {"scope": "read"}


def _mint(token: Any) -> str:
    if hasattr(token, "generate_token"):
        return str(token.generate_token(ttl=600))
    return str(token.to_jwt(ttl=600))


# (id, factory): one of every class, made before the clock is frozen.
CLASSES: list[tuple[str, Callable[[], Any]]] = [
    ("4.0", lambda: TaskRouterCapability(A, KEY, W, K)),
    ("4.5.worker", lambda: task_router_v4_5.TaskRouterWorkerCapability(A, KEY, W, K)),
    ("4.5.general", lambda: task_router_v4_5.TaskRouterCapability(A, KEY, W, Q)),
    ("5.worker", lambda: task_router_v5.TaskRouterWorkerCapability(A, KEY, W, K)),
    ("5.taskqueue", lambda: task_router_v5.TaskRouterTaskQueueCapability(A, KEY, W, Q)),
    ("5.workspace", lambda: task_router_v5.TaskRouterWorkspaceCapability(A, KEY, W)),
    ("jwt.worker", lambda: capabilities.WorkerCapabilityToken(A, KEY, W, K)),
    ("jwt.taskqueue", lambda: capabilities.TaskQueueCapabilityToken(A, KEY, W, Q)),
    ("jwt.workspace", lambda: capabilities.WorkspaceCapabilityToken(A, KEY, W)),
    ("access-token", lambda: AccessToken(A, "SK1", KEY, [VoiceGrant(incoming_allow=True)])),
    ("jwt-subclass", lambda: _Plain(KEY, "issuer")),
]
IDS = [name for name, _ in CLASSES]


def _claims(token: str) -> dict[str, Any]:
    return dict(pyjwt.decode(token, KEY, algorithms=["HS256"], options={"verify_exp": False}))


def _time_claims(claims: dict[str, Any]) -> tuple[int, Any]:
    return claims["exp"], claims.get("nbf")


def test_frozen_epoch_is_the_frozen_datetime() -> None:
    assert int(FROZEN.timestamp()) == FROZEN_EPOCH


@pytest.mark.parametrize(("name", "factory"), CLASSES, ids=IDS)
def test_freezegun_freezes_every_class(name: str, factory: Callable[[], Any]) -> None:
    token = factory()  # made outside the frozen time: the clock is read when minting
    with freeze_time(FROZEN):
        first = _mint(token)
        claims = _claims(first)
        assert claims["exp"] == FROZEN_EPOCH + 600
        if "nbf" in claims:  # twilio 4.x and 5.x wrote no nbf
            assert claims["nbf"] == FROZEN_EPOCH
        if name == "access-token":
            assert claims["jti"] == f"SK1-{FROZEN_EPOCH}"
        assert _mint(token) == first  # nothing else varies while frozen
    with freeze_time(FROZEN + datetime.timedelta(seconds=7)):
        assert _claims(_mint(token))["exp"] == FROZEN_EPOCH + 607


@pytest.mark.parametrize(("name", "factory"), CLASSES, ids=IDS)
def test_freezegun_tick_moves_every_class(name: str, factory: Callable[[], Any]) -> None:
    token = factory()
    with freeze_time(FROZEN) as frozen:
        before = _claims(_mint(token))["exp"]
        frozen.tick(datetime.timedelta(seconds=90))
        assert _claims(_mint(token))["exp"] == before + 90


@pytest.mark.parametrize(("name", "factory"), CLASSES, ids=IDS)
def test_mock_patch_time_freezes_every_class(name: str, factory: Callable[[], Any]) -> None:
    token = factory()
    # twilio's own tests patch time.time with a float; int() truncates it.
    with mock.patch("time.time", return_value=1000.9):
        claims = _claims(_mint(token))
    assert claims["exp"] == 1600
    assert claims.get("nbf", 1000) == 1000
