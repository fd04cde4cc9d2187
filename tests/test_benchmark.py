"""benchmarks/bench.py runs and reports every target (no timing is judged).

The benchmark is part of the product (docs/performance.md is its output),
so it must keep working: a tiny run here builds the C floor helper, checks
that its peers mint what we mint (it refuses to time them otherwise), and
prints every table and target row.  twilio 4.0.0 is left out: it needs a
virtualenv of its own (the full run makes one).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parent.parent / "benchmarks" / "bench.py"


def run(*args: str) -> str:
    done = subprocess.run(
        [sys.executable, str(BENCH), *args], capture_output=True, text=True, timeout=600
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_a_tiny_run_prints_every_table_and_target() -> None:
    out = run("--repeats", "1", "--sample-time", "0.0005", "--objects", "200",
              "--no-twilio4", "--no-write")  # fmt: skip
    for heading in ("## Machine", "## A fresh request", "## Re-minting",
                    "## Many workers at once", "## Verification", "## Targets", "## Memory"):
        assert heading in out
    targets = out.split("## Targets")[1].split("## Memory")[0]
    assert targets.count("\n|") == 2 + 7  # header, rule, seven targets
    assert "not measured (--no-twilio4)" in out
    # The C floor was built and timed: its rows carry numbers.
    floor = next(line for line in out.splitlines() if line.startswith("| C: HMAC-SHA256 over the same"))
    assert float(floor.split("|")[2]) > 0


def test_memory_probe_and_loop() -> None:
    probe = json.loads(run("--memory-probe", "ours", "--objects", "100"))
    assert probe["tracemalloc"] > 0
    loop = run("--memory-loop", "3000")
    assert loop.count("RSS") == 10
