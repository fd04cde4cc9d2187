"""One capability object shared by several threads mints valid tokens."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from typing import Any

import pytest

from conftest import payload_text, pyjwt_reencode
from twilio_trcap import TaskRouterCapability, task_router_v5
from twilio_trcap.jwt.taskrouter.capabilities import WorkerCapabilityToken

THREADS = 8
TOKENS = 400


def test_shared_capability_across_threads() -> None:
    capability = TaskRouterCapability("AC1", "shared-key", "WS1", "WK1")
    capability.allow_worker_fetch_attributes()
    capability.allow_worker_activity_updates()
    capability.allow_task_reservation_updates()
    expected = {now: capability.generate_token(now=now) for now in range(TOKENS)}
    results: list[list[tuple[int, str]]] = [[] for _ in range(THREADS)]
    barrier = threading.Barrier(THREADS)

    def work(slot: int) -> None:
        barrier.wait()
        for now in range(TOKENS):
            results[slot].append((now, capability.generate_token(now=now)))

    threads = [threading.Thread(target=work, args=(i,)) for i in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sum(len(r) for r in results) == THREADS * TOKENS
    for per_thread in results:
        for now, token in per_thread:
            assert token == expected[now]
    sample = results[0][-1][1]
    assert sample == pyjwt_reencode(sample, "shared-key")


# One capability of each generation, the method that adds one policy, and
# how it mints (the 5.x classes sign from a snapshot of the policies, as exp
# comes before them; the others mint from the core's joined prefix).
GENERATIONS = [
    ("4.0", lambda: TaskRouterCapability("AC1", "shared-key", "WS1", "WK1"),
     "allow_worker_fetch_attributes", "generate_token"),
    ("5.x", lambda: task_router_v5.TaskRouterWorkerCapability("AC1", "shared-key", "WS1", "WK1"),
     "allow_activity_updates", "generate_token"),
    ("6+", lambda: WorkerCapabilityToken("AC1", "shared-key", "WS1", "WK1"),
     "allow_update_activities", "to_jwt"),
]  # fmt: skip


@pytest.mark.parametrize(("name", "make", "add_one", "mint_one"), GENERATIONS, ids=[g[0] for g in GENERATIONS])
def test_threads_adding_policies_and_minting(
    name: str, make: Callable[[], Any], add_one: str, mint_one: str
) -> None:
    # Appends and mints interleave; every token is a valid signature over
    # some prefix of the policy list, and the final one has them all.
    capability = make()
    start = len(capability.policies)
    errors: list[BaseException] = []
    counts: list[int] = []

    def add() -> None:
        for _ in range(200):
            getattr(capability, add_one)()

    def mint() -> None:
        try:
            for _ in range(200):
                token = getattr(capability, mint_one)()
                assert token == pyjwt_reencode(token, "shared-key")
                counts.append(len(json.loads(payload_text(token))["policies"]))
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=add), threading.Thread(target=mint)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert counts == sorted(counts) and start <= counts[0] and counts[-1] <= start + 200
    assert len(capability.policies) == start + 200
