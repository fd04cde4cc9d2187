"""Two builds of twilio-trcap side by side: the same operations timed in two
interpreters, in alternating rounds, reported as the median and
interquartile range of the per-round ratios (B / A).

For a before/after figure of one change: install the old build in one
virtualenv and the new one in another, then

    python benchmarks/ab.py --a /path/to/old/bin/python --b /path/to/new/bin/python

Each round starts each interpreter once and times every operation there
(best of a few samples), so the two builds share the machine's state of
the moment; a noisy neighbour moves both sides of a ratio together.
Only the public API is timed, so any two builds can be compared.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys

# Run in each interpreter: prints {operation: seconds per call}.
ROUND = r'''
import json, sys, time, timeit
from twilio_trcap import TaskRouterCapability, decode
from twilio_trcap.task_router_v5 import TaskRouterWorkerCapability
from twilio_trcap.jwt.taskrouter.capabilities import WorkerCapabilityToken
from twilio_trcap.jwt.access_token import AccessToken

AC, WS, WK, KEY = "AC" + "a" * 32, "WS" + "b" * 32, "WK" + "c" * 32, "k" * 32
SK = "SK" + "d" * 32

def fresh_4_0():
    c = TaskRouterCapability(AC, KEY, WS, WK)
    c.allow_worker_fetch_attributes()
    c.allow_worker_activity_updates()
    c.allow_task_reservation_updates()
    return c.generate_token()

def fresh_5():
    c = TaskRouterWorkerCapability(AC, KEY, WS, WK)
    c.allow_activity_updates()
    c.allow_reservation_updates()
    return c.generate_token()

def fresh_6():
    return WorkerCapabilityToken(AC, KEY, WS, WK, allow_update_activities=True).to_jwt()

c4 = TaskRouterCapability(AC, KEY, WS, WK); c4.allow_worker_fetch_attributes(); c4.generate_token()
c5 = TaskRouterWorkerCapability(AC, KEY, WS, WK); c5.allow_activity_updates(); c5.generate_token()
c6 = WorkerCapabilityToken(AC, KEY, WS, WK, allow_update_activities=True); c6.to_jwt()
at = AccessToken(AC, SK, KEY, identity="alice"); at.to_jwt()
sids = ["WK%032d" % i for i in range(256)]
token = c4.generate_token()

ops = {
    "fresh, 4.0 class": fresh_4_0,
    "re-mint, 4.0 class": c4.generate_token,
    "fresh, 5.x Worker": fresh_5,
    "re-mint, 5.x Worker": c5.generate_token,
    "fresh, 6+ Worker": fresh_6,
    "re-mint, 6+ Worker": c6.to_jwt,
    "AccessToken.to_jwt": at.to_jwt,
    "mint_many of 256, per token": lambda: TaskRouterCapability.mint_many(AC, KEY, WS, sids),
    "decode": lambda: decode(token, KEY),
}
# A Key prepared once (twilio_trcap.Key), where the build has one.
Key = getattr(__import__("twilio_trcap"), "Key", None)
if Key is not None:
    prepared = Key(KEY)

    def fresh_4_0_key():
        c = TaskRouterCapability(AC, prepared, WS, WK)
        c.allow_worker_fetch_attributes()
        c.allow_worker_activity_updates()
        c.allow_task_reservation_updates()
        return c.generate_token()

    ops["fresh, 4.0 class, with a Key"] = fresh_4_0_key
    ops["decode, with a Key"] = lambda: decode(token, prepared)
per = {"mint_many of 256, per token": 256}
out = {}
for name, op in ops.items():
    t = timeit.Timer(op)
    n, _ = t.autorange()
    n = max(1, n // 4)
    out[name] = min(t.repeat(5, n)) / n / per.get(name, 1)
print(json.dumps(out))
'''


def one_round(python: str) -> dict[str, float]:
    done = subprocess.run([python, "-c", ROUND], capture_output=True, text=True, check=True, cwd="/")
    result: dict[str, float] = json.loads(done.stdout)
    return result


def quartiles(values: list[float]) -> tuple[float, float, float]:
    q1, median, q3 = statistics.quantiles(values, n=4, method="inclusive")
    return q1, median, q3


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--a", required=True, help="python of the first build (before)")
    parser.add_argument("--b", required=True, help="python of the second build (after)")
    parser.add_argument("--rounds", type=int, default=9)
    args = parser.parse_args()
    rounds_a, rounds_b = [], []
    for i in range(args.rounds):
        # Alternate which side goes first, so neither always follows the other.
        first, second = (args.a, args.b) if i % 2 == 0 else (args.b, args.a)
        r1, r2 = one_round(first), one_round(second)
        rounds_a.append(r1 if first == args.a else r2)
        rounds_b.append(r2 if first == args.a else r1)
    print("| operation | A (µs) | B (µs) | B / A, median (IQR) |")
    print("| --- | ---: | ---: | --- |")
    for name in (n for n in rounds_a[0] if n in rounds_b[0]):  # both builds have it
        a = statistics.median(r[name] for r in rounds_a) * 1e6
        b = statistics.median(r[name] for r in rounds_b) * 1e6
        q1, med, q3 = quartiles([rb[name] / ra[name] for ra, rb in zip(rounds_a, rounds_b)])
        print(f"| {name} | {a:.3f} | {b:.3f} | {med:.2f} ({q1:.2f}–{q3:.2f}) |")
    print(f"\n{args.rounds} rounds; A = {args.a}, B = {args.b}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
