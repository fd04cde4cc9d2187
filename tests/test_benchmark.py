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
    out = run("--repeats", "3", "--sample-time", "0.0005", "--objects", "200",
              "--no-twilio4", "--no-write")  # fmt: skip
    for heading in ("## Machine", "## A fresh request", "## Re-minting",
                    "## Many workers at once", "## Verification", "## Targets", "## Memory"):
        assert heading in out
    targets = out.split("## Targets")[1].split("## Memory")[0]
    rows = [line for line in targets.splitlines() if line.startswith("|")][2:]
    assert len(rows) == 13  # after the header and the rule
    for row in rows:
        if "not measured" not in row:
            # The median of the per-round ratios, then their interquartile
            # range, and a verdict on that median.
            median, iqr = row.split("|")[3].strip().split(" ", 1)
            q1, q3 = (float(q) for q in iqr.strip("()").split("–"))
            assert q1 <= float(median) <= q3
            assert row.split("|")[4].strip() in ("met", "**not met**")
    assert "not measured (--no-twilio4)" in out
    # The bound under the 256-worker row is measured in the same run, and
    # the report says what it is; the fresh request with a Key prepared
    # once has its row.
    shape_row = next(row for row in rows if "a stdlib call of the same shape" in row)
    assert "not measured" not in shape_row
    assert "Two threads of a stdlib-only call shaped like" in out
    assert "with a `Key` prepared once instead of the auth token" in out
    # The C floor and the machine's two-thread ceiling were built and timed.
    for label in ("| C: HMAC-SHA256 over the same", "| C: the same in 2 threads"):
        floor = next(line for line in out.splitlines() if line.startswith(label))
        assert float(floor.split("|")[2]) > 0
    assert "The machine's own two-thread speed-up in this run" in out


def test_writing_mode_writes_the_report(tmp_path: Path) -> None:
    report = tmp_path / "performance.md"
    out = run("--repeats", "1", "--sample-time", "0.0005", "--objects", "100",
              "--no-twilio4", "--cases", "fresh,floor", "--output", str(report))  # fmt: skip
    text = report.read_text(encoding="utf-8")
    assert text.rstrip("\n") == out.rstrip("\n")
    assert text.startswith("# Performance")
    assert "median of those per-round ratios" in text


def test_memory_probe_and_loop() -> None:
    probe = json.loads(run("--memory-probe", "ours", "--objects", "100"))
    assert probe["tracemalloc"] > 0
    loop = run("--memory-loop", "3000")
    assert loop.count("RSS") == 10
