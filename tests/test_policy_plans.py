"""Policy plans: the policies a constructor adds, recorded once per class
and set of flags (twilio_trcap._capability.ChannelCapability._record_plan).

A plan stands for the constructor's steps (the ``allow_*`` methods of
twilio 6+'s flags, twilio 4.5 and 5.x's default policies).  These tests
hold it to what a user can observe: the token is the one the steps would
make, in every generation, next to twilio's own; a class of one's own that
supplies a step gets its step run, as twilio runs it; a plan holds nothing
of any object (no sid, no key); the plans of a class are bounded; and a flag
is a bool however it disguises itself.
"""

from __future__ import annotations

import itertools
from typing import Any

import pytest
from twilio.jwt.taskrouter import capabilities as theirs

from conftest import pyjwt_reencode
from twilio_trcap import decode, task_router_v4_5, task_router_v5
from twilio_trcap.jwt.taskrouter import capabilities as ours

KEY = "0123456789abcdef0123456789abcdef"
ACCOUNT = "AC" + "a" * 32
WORKSPACE = "WS" + "b" * 32
WORKER = "WK" + "c" * 32
QUEUE = "WQ" + "d" * 32
NBF, EXP = 1_600_000_000, 4_000_000_000


def claims(token: str) -> dict[str, Any]:
    return decode(token, KEY, verify_exp=False)


def test_a_step_of_ones_own_runs_in_the_constructor_as_in_twilio() -> None:
    def deny_self(self: Any) -> None:
        # Deny the resource instead: twilio's private _make_policy, ours public.
        self._make_policy(self.resource_url, "GET", False)

    class Mine(ours.WorkerCapabilityToken):
        allow_fetch_self = deny_self

    class Theirs(theirs.WorkerCapabilityToken):
        allow_fetch_self = deny_self

    for kwargs in ({}, {"allow_update_activities": True}, {"allow_fetch_self": False}):
        mine = Mine(ACCOUNT, KEY, WORKSPACE, WORKER, nbf=NBF, valid_until=EXP, **kwargs)
        expected = Theirs(ACCOUNT, KEY, WORKSPACE, WORKER, nbf=NBF, valid_until=EXP, **kwargs)
        assert mine.to_jwt() == expected.to_jwt()
        denied = [p for p in claims(mine.to_jwt())["policies"] if not p["allow"]]
        assert len(denied) == (0 if kwargs.get("allow_fetch_self") is False else 1)
    # The class's own plans are untouched by the subclass's step.
    plain = ours.WorkerCapabilityToken(ACCOUNT, KEY, WORKSPACE, WORKER)
    assert all(p["allow"] for p in claims(plain.to_jwt())["policies"])


def test_a_grant_of_ones_own_sees_every_policy_of_the_constructor() -> None:
    seen: list[tuple[Any, str]] = []

    class Audited(ours.TaskQueueCapabilityToken):
        def _grant(self, url: Any, method: str, required: str | None = None) -> None:
            seen.append((url, method))
            super()._grant(url, method, required)

    token = Audited(ACCOUNT, KEY, WORKSPACE, QUEUE, allow_delete_self=True).to_jwt()
    assert [method for _, method in seen] == ["GET", "POST", "GET", "DELETE"]
    assert len(claims(token)["policies"]) == 4
    assert token == pyjwt_reencode(token, KEY)


@pytest.mark.parametrize(
    "module", [task_router_v5, task_router_v4_5], ids=["5.x", "4.5"]
)
def test_default_policies_of_ones_own_in_twilio_5_and_4_5(module: Any) -> None:
    class Mine(module.TaskRouterWorkerCapability):
        def _add_default_policies(self) -> None:
            self.allow_web_sockets()

    token = Mine(ACCOUNT, KEY, WORKSPACE, WORKER).generate_token(now=NBF)
    assert len(claims(token)["policies"]) == 2
    plain = module.TaskRouterWorkerCapability(ACCOUNT, KEY, WORKSPACE, WORKER)
    assert len(claims(plain.generate_token(now=NBF))["policies"]) > 2


@pytest.mark.parametrize(
    "module", [task_router_v5, task_router_v4_5], ids=["5.x", "4.5"]
)
def test_one_class_over_every_channel_kind_plans_each_kind_apart(module: Any) -> None:
    # The generic class of twilio 4.5 and 5.x takes any channel: a Worker's
    # plan must never serve a TaskQueue.  Live: the same steps, run on each
    # object (a step of one's own that only calls ours turns plans off).
    class Live(module.TaskRouterCapability):
        def _add_default_policies(self) -> None:
            super()._add_default_policies()

    assert Live._PLANS is None and module.TaskRouterCapability._PLANS is not None
    for channel in (WORKER, QUEUE, WORKSPACE, QUEUE, WORKER, WORKSPACE):
        planned = module.TaskRouterCapability(ACCOUNT, KEY, WORKSPACE, channel)
        live = Live(ACCOUNT, KEY, WORKSPACE, channel)
        assert planned.generate_token(now=NBF) == live.generate_token(now=NBF)
        urls = [p["url"] for p in claims(planned.generate_token(now=NBF))["policies"]]
        assert any(url.endswith("/" + channel) for url in urls)
        assert (channel == WORKER) == any("/Workers/" in url for url in urls)


@pytest.mark.parametrize(
    ("kind", "channel"),
    [
        (ours.WorkerCapabilityToken, [WORKER]),
        (ours.TaskQueueCapabilityToken, [QUEUE]),
        (ours.WorkspaceCapabilityToken, []),
    ],
)
def test_planned_and_live_tokens_are_one_for_every_set_of_flags(kind: Any, channel: list[str]) -> None:
    class Live(kind):  # type: ignore[misc, valid-type]
        def allow_web_sockets(self, channel_id: str | None = None) -> None:
            super().allow_web_sockets(channel_id)

    assert Live._PLANS is None and kind._PLANS is not None
    for combination in itertools.product((False, True), repeat=len(kind._FLAGS)):
        kwargs = dict(zip(kind._FLAGS, combination))
        planned = kind(ACCOUNT, KEY, WORKSPACE, *channel, **kwargs).to_jwt(now=NBF)
        assert planned == Live(ACCOUNT, KEY, WORKSPACE, *channel, **kwargs).to_jwt(now=NBF)


def test_plans_hold_nothing_of_any_object() -> None:
    sids = ("AC" + "7" * 32, "WS" + "8" * 32, "WK" + "9" * 32)
    secret = "s3cr3t" * 6
    ours.WorkerCapabilityToken(sids[0], secret, sids[1], sids[2], allow_update_self=True).to_jwt()
    for plan in ours.WorkerCapabilityToken._PLANS.values():  # type: ignore[union-attr]
        for template in plan:
            for item in template.items:  # type: ignore[union-attr]
                text = item if isinstance(item, str) else item.decode() if isinstance(item, bytes) else ""
                assert not any(sid in text for sid in sids)
                assert secret not in text


def test_the_plans_of_a_class_are_bounded() -> None:
    class Many(ours.WorkerCapabilityToken):
        pass

    flags = list(Many._FLAGS)[:5]
    made = 0
    for order in itertools.permutations(flags):
        Many(ACCOUNT, KEY, WORKSPACE, WORKER, **dict.fromkeys(order, True))
        made += 1
    assert made == 120
    for combination in itertools.product((False, True), repeat=9):
        token = Many(ACCOUNT, KEY, WORKSPACE, WORKER, **dict(zip(Many._FLAGS, combination)))
        assert len(claims(token.to_jwt())["policies"]) >= sum(combination)
    assert Many._PLANS is not None and len(Many._PLANS) <= 256


class FakeBool:
    """Claims to be a bool."""

    @property  # type: ignore[misc]
    def __class__(self) -> type:
        return bool

    def __bool__(self) -> bool:
        return True

    def __hash__(self) -> int:
        return hash(True)

    def __eq__(self, other: object) -> bool:
        return True


def test_a_flag_that_claims_to_be_a_bool_is_refused() -> None:
    with pytest.raises(TypeError, match="^allow_update_self must be bool, not FakeBool$"):
        ours.WorkerCapabilityToken(ACCOUNT, KEY, WORKSPACE, WORKER, allow_update_self=FakeBool())
    with pytest.raises(TypeError, match="^allow_update_self must be bool, not int$"):
        ours.WorkerCapabilityToken(ACCOUNT, KEY, WORKSPACE, WORKER, allow_update_self=1)


def test_a_class_with_a_finalizer_is_never_probed() -> None:
    finalized: list[bool] = []

    class Tracked(ours.TaskQueueCapabilityToken):
        def __del__(self) -> None:
            finalized.append(hasattr(self, "_signer"))

    assert Tracked._PLANS is None
    token = Tracked(ACCOUNT, KEY, WORKSPACE, QUEUE).to_jwt(now=NBF)
    assert token == ours.TaskQueueCapabilityToken(ACCOUNT, KEY, WORKSPACE, QUEUE).to_jwt(now=NBF)
    import gc

    gc.collect()
    # Only the real object was finalized, whole.
    assert finalized == [True]


def test_a_channel_prefix_of_ones_own_is_a_clear_error() -> None:
    class Odd(ours.WorkerCapabilityToken):
        CHANNEL_PREFIX = "XY"

    with pytest.raises(TypeError, match=r"^Odd.CHANNEL_PREFIX must be one of 'WK', 'WQ', 'WS'$"):
        Odd(ACCOUNT, KEY, WORKSPACE, "XY" + "1" * 32)
