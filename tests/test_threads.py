"""One capability object shared by several threads mints valid tokens."""

from __future__ import annotations

import threading

from conftest import pyjwt_reencode
from twilio_trcap import TaskRouterCapability

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


def test_threads_adding_policies_and_minting() -> None:
    # Appends and mints interleave; every token is a valid signature over
    # some prefix of the policy list, and the final one has them all.
    capability = TaskRouterCapability("AC1", "shared-key", "WS1", "WK1")
    errors: list[BaseException] = []

    def add() -> None:
        for _ in range(200):
            capability.allow_worker_fetch_attributes()

    def mint() -> None:
        try:
            for _ in range(200):
                token = capability.generate_token()
                assert token == pyjwt_reencode(token, "shared-key")
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=add), threading.Thread(target=mint)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert len(capability.policies) == 203
