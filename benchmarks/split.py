"""Where a fresh token's time goes, for the rows of bench.py's
every-generation table that miss their goal: each call into the C core
that the row makes, timed alone, against the whole row.

    python benchmarks/split.py

Each figure is the best of 7 repeats (time per call, µs); the rest of a
row is the Python layer (frames, attribute stores, plan and rule lookups,
the object's allocation and release).  Timings are only comparable
within one run: the machine is shared.
"""

from __future__ import annotations

import timeit
from collections.abc import Callable
from typing import Any

from twilio_trcap import _core
from twilio_trcap._payload import LAYOUT_6
from twilio_trcap.jwt.access_token import _LAYOUT as ACCESS_LAYOUT
from twilio_trcap.jwt.access_token import AccessToken
from twilio_trcap.jwt.access_token.grants import TaskRouterGrant
from twilio_trcap.jwt.taskrouter import _RULES
from twilio_trcap.jwt.taskrouter.capabilities import TaskQueueCapabilityToken, WorkerCapabilityToken

ACCOUNT, WORKSPACE, WORKER, QUEUE = "AC" + "a" * 32, "WS" + "b" * 32, "WK" + "c" * 32, "WQ" + "d" * 32
SIGNING_KEY, SECRET = "SK" + "e" * 32, "f" * 32
NOW = 1_700_000_000


def best(call: Callable[[], Any], number: int = 20_000) -> float:
    """µs per call, best of 7 repeats."""
    return min(timeit.repeat(call, number=number, repeat=7)) / number * 1e6


def capability_split(kind: Any, channel: str, name: str, options: dict[str, bool]) -> None:
    token = kind(ACCOUNT, SECRET, WORKSPACE, channel, **options)
    fields, key = token._fields, _core.Key.prepare(SECRET, "auth_token")
    plan = kind._PLANS[tuple(options.items())]
    layout = LAYOUT_6[kind.CHANNEL_PREFIX]
    rules = _RULES[kind.CHANNEL_PREFIX, name]
    texts = (token.VERSION, token.DOMAIN, token.EVENTS_BASE_URL)

    def first_mint() -> str:
        minter = _core.Minter.create(key, fields, layout, plan)
        return str(minter.mint(NOW + 3600, b',"nbf":', NOW, b"}"))

    parts = {
        "check_fields": lambda: _core.check_fields(rules, ACCOUNT, WORKSPACE, channel, *texts),
        "Key.prepare": lambda: _core.Key.prepare(SECRET, "auth_token"),
        "Minter.create + first mint": first_mint,
        "current_time": lambda: _core.current_time(None),
        "expiry": lambda: _core.expiry(3600, NOW),
    }
    whole = best(lambda: kind(ACCOUNT, SECRET, WORKSPACE, channel, **options).to_jwt())
    report(f"{kind.__name__}({', '.join(f'{k}=True' for k in options)}) + to_jwt()", whole, parts)


def access_token_split() -> None:
    token = AccessToken(ACCOUNT, SIGNING_KEY, SECRET, identity="alice")
    grant = TaskRouterGrant(workspace_sid=WORKSPACE, worker_sid=WORKER, role="worker")
    token.add_grant(grant)
    token.to_jwt()
    minter, iss = token._token_minter, token._iss_json
    key = _core.Key.prepare(SECRET, "secret")
    grants = token._grants_json()
    header = token._header
    payload = grant.to_payload()

    def first_mint() -> str:
        fresh = _core.Minter.create(key, (SIGNING_KEY, ACCOUNT), ACCESS_LAYOUT, (), header)
        return str(fresh.mint(NOW, b'","grants":', grants, iss, NOW + 3600, b',"nbf":', NOW))

    parts = {
        "check_sid x2": lambda: (
            _core.check_sid(ACCOUNT, "account_sid", ("AC",)),
            _core.check_sid(SIGNING_KEY, "signing_key_sid", ("SK",)),
        ),
        "Key.prepare": lambda: _core.Key.prepare(SECRET, "secret"),
        "the grant's checks (check_sid x2, check_text)": lambda: (
            _core.check_sid(WORKSPACE, "workspace_sid", ("WS",)),
            _core.check_sid(WORKER, "worker_sid", ("WK",)),
            _core.check_text("worker", "role"),
        ),
        "json_value of the identity and the grant": lambda: (
            _core.json_value("alice", "identity"),
            _core.json_value(({"task_router": payload},), "grants"),
        ),
        "Minter.create + first mint": first_mint,
        "current_time": lambda: _core.current_time(None),
        "expiry": lambda: _core.expiry(3600, NOW),
    }

    def fresh() -> str:
        made = AccessToken(ACCOUNT, SIGNING_KEY, SECRET, identity="alice")
        made.add_grant(TaskRouterGrant(workspace_sid=WORKSPACE, worker_sid=WORKER, role="worker"))
        return str(made.to_jwt())

    report("AccessToken + TaskRouterGrant, identity, fresh", best(fresh), parts)
    again = {
        "the mint (C)": lambda: minter.mint(NOW, b'","grants":', grants, iss, NOW + 3600, b',"nbf":', NOW),
        "current_time": lambda: _core.current_time(None),
        "expiry": lambda: _core.expiry(3600, NOW),
    }
    report("AccessToken + TaskRouterGrant, identity, to_jwt() again", best(token.to_jwt), again)


def report(title: str, whole: float, parts: dict[str, Callable[[], Any]]) -> None:
    print(f"\n{title}: {whole:.3f} µs")
    total = 0.0
    for label, call in parts.items():
        took = best(call)
        total += took
        print(f"  {label:<48} {took:7.3f} µs  {took / whole:5.1%}")
    print(f"  {'the Python layer (the rest)':<48} {whole - total:7.3f} µs  {(whole - total) / whole:5.1%}")


def main() -> None:
    capability_split(WorkerCapabilityToken, WORKER, "worker_sid",
                     {"allow_update_activities": True, "allow_update_reservations": True})
    capability_split(TaskQueueCapabilityToken, QUEUE, "task_queue_sid", {})
    access_token_split()


if __name__ == "__main__":
    main()
