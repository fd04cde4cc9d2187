#!/usr/bin/env python3
"""One fresh request, ours against twilio's, on whatever interpreter runs this.

    python benchmarks/fresh_by_interpreter.py            # CPython or PyPy

The figures behind the PyPy decision (docs/distribution.md, "PyPy"). The
request is bench.py's: construct, three permissions, one token, with
``TaskRouterCapability`` (ours) and with today's twilio
``WorkerCapabilityToken`` holding the same policies in the same order
(``bench.twilio_same_policies``). bench.py itself is not imported: it needs
twilio_trcap, which does not install on PyPy, and this script must time
twilio's helper there alone. Needs twilio (9.x); twilio_trcap is timed when
it imports.

PyPy's JIT needs time to compile a loop, so each case first runs for
--warm-up seconds; then the cases' samples are interleaved, round by round,
and the median of each case's samples is reported, with the median of the
per-round ratios.
"""

from __future__ import annotations

import argparse
import itertools
import platform
import statistics
import sys
import time
from collections.abc import Callable

from twilio.jwt.taskrouter.capabilities import WorkerCapabilityToken

ACCOUNT = "AC" + "0123456789abcdef" * 2
WORKSPACE = "WS" + "fedcba9876543210" * 2
WORKER = "WK" + "00112233445566778899aabbccddeeff"
AUTH_TOKEN = "5f4dcc3b5aa765d61d8327deb882cf99"


def twilio_fresh() -> str:
    token = WorkerCapabilityToken(
        ACCOUNT, AUTH_TOKEN, WORKSPACE, WORKER,
        allow_fetch_self=False, allow_fetch_reservations=False,
        allow_fetch_worker_reservations=False,
    )  # fmt: skip
    token.allow_fetch_self()
    token.allow_update_activities()
    token._make_policy(
        token.workspace_url + "/Tasks/**", "POST", True,
        post_filter={"ReservationStatus": {"required": True}},
    )  # fmt: skip
    return token.to_jwt()  # type: ignore[no-any-return]


def ours_fresh() -> str:
    from twilio_trcap import TaskRouterCapability

    capability = TaskRouterCapability(ACCOUNT, AUTH_TOKEN, WORKSPACE, WORKER)
    capability.allow_worker_fetch_attributes()
    capability.allow_worker_activity_updates()
    capability.allow_task_reservation_updates()
    return capability.generate_token()


def per_call(f: Callable[[], object], seconds: float) -> float:
    """Seconds per call of f, timed over at least `seconds`."""
    loops, total, calls = 64, 0.0, 0
    while total < seconds:
        t0 = time.perf_counter()
        for _ in itertools.repeat(None, loops):
            f()
        total += time.perf_counter() - t0
        calls += loops
        loops *= 2
    return total / calls


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--warm-up", type=float, default=3.0, metavar="SECONDS")
    ap.add_argument("--rounds", type=int, default=15)
    ap.add_argument("--sample", type=float, default=0.2, metavar="SECONDS")
    args = ap.parse_args()

    cases: dict[str, Callable[[], str]] = {"twilio": twilio_fresh}
    try:
        import twilio_trcap  # noqa: F401
    except ImportError as error:
        print(f"twilio_trcap not timed: {error}")
    else:
        cases["ours"] = ours_fresh
    impl = platform.python_implementation()
    version = sys.version.split("\n")[0]
    print(f"{impl} {version}")
    for name, f in cases.items():
        per_call(f, args.warm_up)
    samples: dict[str, list[float]] = {name: [] for name in cases}
    for r in range(args.rounds):
        order = list(cases)[r % len(cases):] + list(cases)[: r % len(cases)]
        for name in order:
            samples[name].append(per_call(cases[name], args.sample))
    for name, values in samples.items():
        print(f"{impl} {name}: fresh request {statistics.median(values) * 1e6:.2f} us "
              f"(median of {len(values)} samples)")
    if "ours" in samples:
        ratios = [t / o for t, o in zip(samples["twilio"], samples["ours"])]
        print(f"{impl} twilio / ours: {statistics.median(ratios):.2f}x")


if __name__ == "__main__":
    main()
