"""Minting in a loop leaves memory flat (an isolated process, no timing).

A child interpreter warms up, then runs many more iterations of every path
that allocates: a fresh request (object, key states, token), a re-mint
from the prepared prefix, a policy change (the prefix freed and rebuilt),
mint_many (its batch buffers, the GIL released), errors on the way in, and
decode.  A leak of even a few bytes per iteration
would show in the resident set size and in the count of live objects;
the bounds are generous, as they are about leaks, not about speed.  The
long version is `python benchmarks/bench.py --memory-loop 10000000`.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

CHILD = textwrap.dedent(
    """
    import gc, json, os, sys
    import twilio_trcap
    from twilio_trcap import TaskRouterCapability

    def rss():
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")

    decode = twilio_trcap.decode
    key = "memory-key-0123456789abcdef01234"
    kept = TaskRouterCapability("AC1", key, "WS1", "WK1")
    kept.allow_worker_fetch_attributes()
    shift = ["WK%d" % i for i in range(16)]

    def once(i):
        c = TaskRouterCapability("AC1", key, "WS1", "WK%d" % (i % 97))
        c.allow_worker_fetch_attributes()
        c.allow_worker_activity_updates()
        c.allow_task_reservation_updates()
        token = c.generate_token(now=i)
        c.generate_token(now=i + 1)
        kept.generate_token(now=i)
        if i % 50 == 0:
            kept.allow_task_reservation_updates()  # the prefix is rebuilt
            if len(kept.policies) > 40:
                del kept.policies[4:]
        if i % 100 == 0:
            TaskRouterCapability.mint_many("AC1", key, "WS1", shift, now=i)
        try:
            TaskRouterCapability("AC1", key, "WS1", "")
        except ValueError:
            pass
        decode(token, key, verify_exp=False)

    warm, total = int(sys.argv[1]), int(sys.argv[2])
    for i in range(warm):
        once(i)
    gc.collect()
    before = (rss(), len(gc.get_objects()))
    for i in range(warm, total):
        once(i)
    gc.collect()
    after = (rss(), len(gc.get_objects()))
    print(json.dumps({"rss": [before[0], after[0]], "objects": [before[1], after[1]]}))
    """
)


def test_rss_and_objects_stay_flat_after_warm_up() -> None:
    env = dict(os.environ)
    # Under AddressSanitizer (CI's sanitizer run) freed memory waits in a
    # quarantine before reuse, which would look like growth: keep it small.
    if "asan" in env.get("LD_PRELOAD", ""):
        env["ASAN_OPTIONS"] = env.get("ASAN_OPTIONS", "") + ":quarantine_size_mb=1"
    warm, total = 20_000, 120_000
    run = subprocess.run(
        [sys.executable, "-c", CHILD, str(warm), str(total)],
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
    )
    assert run.returncode == 0, run.stderr
    report = json.loads(run.stdout.strip().splitlines()[-1])
    rss_before, rss_after = report["rss"]
    objects_before, objects_after = report["objects"]
    # 100,000 iterations: a leak of 20 bytes each would be 2 MB.
    assert rss_after - rss_before < 2 * 2**20, report
    assert objects_after - objects_before < 100, report
