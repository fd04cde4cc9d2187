#!/usr/bin/env python3
"""How long ``import twilio_trcap`` takes, against ``import
twilio.jwt.access_token`` (today's twilio, the import a twilio 6+ user has
in the same place), measured side by side in fresh interpreters.

    python benchmarks/import_time.py                # 41 rounds, as installed
    python benchmarks/import_time.py --clean        # as a wheel install starts
    python benchmarks/import_time.py --rounds 81 --top 20

Each round starts one fresh interpreter per import under ``-X importtime``,
in alternating order (the order is swapped every round), and sums the
cumulative time of the imports made after startup (everything ``import X``
loaded, and nothing the interpreter or ``site`` had loaded before).  The
same round also times ``python -c "import X"`` by the wall clock, minus
``python -c pass``, which also counts what ``-X importtime`` does not (the
teardown of a larger process) and leaves out its overhead.  Each figure is the median of the per-round ratios (ours /
twilio's), with its interquartile range, so a neighbour's load in one round
moves one ratio, not the verdict.  The modules that dominate are listed by
their median self time ("self", what the module's own code and loading
cost; "cumulative" adds what it imported first).

Startup differs between installs: an editable install (``pip install -e``)
runs a ``.pth`` import hook at startup that itself imports ``re``,
``pathlib``, ``urllib.parse`` and more, so neither side pays for those.
``--clean`` starts with ``-S``, imports ``site`` without running it (what
the interpreter loads for a plain install: ``os`` and friends), and puts the
two packages' directories on ``sys.path`` itself, as a wheel install would
see it.

Both sides run with their bytecode cached (in a temporary directory, by
PYTHONPYCACHEPREFIX), as an install has it: with PYTHONDONTWRITEBYTECODE,
which this project's CI sets, an editable install's modules would be
compiled from source in every run while twilio's come from its installed
bytecode.

Timing is never a test assertion (tests/test_light_import.py checks which
modules the import loads, not how long it takes).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

OURS = "twilio_trcap"
THEIRS = "twilio.jwt.access_token"
GOAL = 0.5  # issue 20, item 7: ours at most half of twilio's
MARK = "--trcap-import-time-mark--"


@dataclass
class Side:
    """One import's figures over every round."""

    module: str
    total_us: list[int] = field(default_factory=list)  # -X importtime sums
    wall_s: list[float] = field(default_factory=list)  # wall clock, less `pass`
    self_us: dict[str, list[int]] = field(default_factory=dict)
    cumulative_us: dict[str, list[int]] = field(default_factory=dict)


# Run by the interpreter measured: the directories --clean puts on sys.path.
_PATHS = r"""
import importlib.util, os, sysconfig
spec = importlib.util.find_spec("twilio_trcap")
print(os.path.dirname(list(spec.submodule_search_locations)[0]))
print(sysconfig.get_paths()["purelib"])
print(sysconfig.get_paths()["platlib"])
"""


class Interpreter:
    """How every fresh interpreter of a measurement starts.

    Bytecode is cached under `pycache` for both sides alike, as an
    installed package has it (pip compiles it at install); with
    PYTHONDONTWRITEBYTECODE, which this project's CI sets, every run would
    compile our modules from source and none of twilio's.
    """

    def __init__(self, python: str, clean: bool, pycache: str) -> None:
        self.python = python
        self.env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
        self.env["PYTHONPYCACHEPREFIX"] = pycache
        self.flags: list[str] = []
        self.prelude = ""
        if clean:
            paths = self.run(["-c", _PATHS]).stdout.split()
            self.flags = ["-S"]
            self.prelude = f"import site, sys; sys.path[:0] = {paths!r}; "

    def run(self, args: list[str]) -> subprocess.CompletedProcess[str]:
        return subprocess.run([self.python, *args], capture_output=True, text=True,
                              check=True, env=self.env)

    def importtime(self, module: str) -> tuple[int, dict[str, tuple[int, int]]]:
        """The summed cumulative time of the top-level imports that
        ``import module`` made (µs), and each module's (self, cumulative) µs."""
        code = f"{self.prelude}import sys; sys.stderr.write({MARK!r} + '\\n'); import {module}"
        done = self.run([*self.flags, "-X", "importtime", "-c", code])
        total = 0
        modules: dict[str, tuple[int, int]] = {}
        for line in done.stderr.split(MARK + "\n", 1)[1].splitlines():
            if not line.startswith("import time:") or "self [us]" in line:
                continue
            own, cumulative, name = line[len("import time:"):].split("|")
            if not name.startswith("  "):  # " name": a top-level import
                total += int(cumulative)
            modules[name.strip()] = (int(own), int(cumulative))
        return total, modules

    def wall(self, code: str) -> float:
        """Seconds from start to exit of an interpreter running `code`."""
        start = time.perf_counter()
        self.run([*self.flags, "-c", self.prelude + code])
        return time.perf_counter() - start


def measure(rounds: int = 41, python: str = sys.executable, clean: bool = False,
            modules: Sequence[str] = (OURS, THEIRS)) -> list[Side]:
    """Every round: each import once under -X importtime, then the wall
    clock of `pass` and of each import, the order swapped every round."""
    sides = [Side(module) for module in modules]
    with tempfile.TemporaryDirectory(prefix="trcap-import-time-") as pycache:
        interpreter = Interpreter(python, clean, pycache)
        for side in sides:  # writes the bytecode cache; not counted
            interpreter.wall(f"import {side.module}")
        for round_ in range(rounds):
            order = sides if round_ % 2 == 0 else sides[::-1]
            for side in order:
                total, seen = interpreter.importtime(side.module)
                side.total_us.append(total)
                for name, (own, cumulative) in seen.items():
                    side.self_us.setdefault(name, []).append(own)
                    side.cumulative_us.setdefault(name, []).append(cumulative)
            baseline = interpreter.wall("pass")
            walls = {side.module: interpreter.wall(f"import {side.module}") for side in order}
            for side in sides:
                side.wall_s.append(walls[side.module] - baseline)
    return sides


@dataclass
class Ratio:
    median: float
    q1: float
    q3: float

    def __str__(self) -> str:
        return f"{self.median:.2f}x ({self.q1:.2f}–{self.q3:.2f})"


def ratio(ours: list[float], theirs: list[float]) -> Ratio:
    """The median and interquartile range of the per-round ratios."""
    per_round = [a / b for a, b in zip(ours, theirs, strict=True) if b > 0]
    q1, median, q3 = statistics.quantiles(per_round, n=4, method="inclusive")
    return Ratio(median, q1, q3)


def dominant(side: Side, top: int) -> list[tuple[str, float, float]]:
    """The `top` modules by median self time: (name, self ms, cumulative ms)."""
    rows = [
        (name, statistics.median(own) / 1000, statistics.median(side.cumulative_us[name]) / 1000)
        for name, own in side.self_us.items()
    ]
    return sorted(rows, key=lambda row: row[1], reverse=True)[:top]


def report(sides: list[Side], top: int = 12, clean: bool = False) -> str:
    """The figures as Markdown: the ratios, then the dominant modules."""
    ours, theirs = sides
    by_importtime = ratio([float(t) for t in ours.total_us], [float(t) for t in theirs.total_us])
    by_wall = ratio(ours.wall_s, theirs.wall_s)
    out = [
        f"Python {sys.version.split()[0]}, {len(ours.total_us)} alternating rounds, "
        + ("clean start (`--clean`: -S, then `import site`)" if clean else "started as installed")
        + ".",
        "",
        "| import | -X importtime, summed (ms) | wall clock less `pass` (ms) |",
        "| --- | ---: | ---: |",
    ]
    for side in sides:
        out.append(
            f"| `import {side.module}` | {statistics.median(side.total_us) / 1000:.1f} "
            f"| {statistics.median(side.wall_s) * 1000:.1f} |"
        )
    verdict = "met" if by_importtime.median <= GOAL else "**not met**"
    out += [
        "",
        f"Ratio `import {ours.module}` / `import {theirs.module}`, median of per-round ratios "
        f"(interquartile range): **{by_importtime}** by -X importtime "
        f"(goal at most {GOAL}x: {verdict}), {by_wall} by the wall clock.",
    ]
    for side in sides:
        out += [
            "",
            f"What `import {side.module}` spends most on (median self time):",
            "",
            "| module | self (ms) | cumulative (ms) |",
            "| --- | ---: | ---: |",
        ]
        out += [f"| `{name}` | {own:.2f} | {cumulative:.2f} |"
                for name, own, cumulative in dominant(side, top)]
    return "\n".join(out)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=41)
    parser.add_argument("--top", type=int, default=12, help="dominant modules listed per side")
    parser.add_argument("--python", default=sys.executable)
    parser.add_argument("--clean", action="store_true",
                        help="start without running site's .pth files (as a wheel install)")
    args = parser.parse_args(argv)
    print(report(measure(args.rounds, args.python, args.clean), args.top, args.clean))


if __name__ == "__main__":
    main()
