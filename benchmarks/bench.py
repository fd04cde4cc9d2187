#!/usr/bin/env python3
"""twilio-trcap side by side with what users would pick instead, in one run.

    pip install '.[bench]'
    python benchmarks/bench.py                 # writes docs/performance.md and README's speed rows
    python benchmarks/bench.py --quick --no-write

Every case is timed in the same process run, its repeats interleaved with
those of every other case (round-robin, the order rotated each round).  A
ratio between two cases is taken in each round, and the report gives the
median of those per-round ratios with their interquartile range; every
verdict rests on that median, so a neighbour's load in one round moves one
ratio, not the verdict.  Timing is never a test assertion: the tests check
that the fast paths give the same bytes as the slow ones.

The peers:
  * twilio 4.0.0's own flow, in a throw-away virtualenv holding that release
    (made under benchmarks/build/ on first use; see --twilio4-python), timed
    by benchmarks/twilio40_worker.py in a subprocess;
  * today's twilio (``WorkerCapabilityToken`` + ``to_jwt()``) and PyJWT's
    ``jwt.encode`` of the same payload;
  * the C floor: HMAC-SHA256 over the same signing input with OpenSSL, the
    key prepared once (benchmarks/hmac_floor.c, built here with cc -O2), and
    a hot memcpy of the same bytes;
  * the machine's own ceiling for two threads: the same C MACs in two
    threads at once (hmac_floor.c's mac2), against which mint_many() in two
    threads is judged.

Options --memory-loop N runs the long RSS check (N mints and decodes)
instead of the timings.
"""

from __future__ import annotations

import argparse
import base64
import datetime
import gc
import hashlib
import hmac
import itertools
import json
import os
import platform
import shutil
import ssl
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import tracemalloc
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jwt
import twilio
from twilio.jwt.taskrouter.capabilities import WorkerCapabilityToken

import twilio_trcap
from twilio_trcap import TaskRouterCapability
from twilio_trcap.jwt.access_token import AccessToken
from twilio_trcap.jwt.access_token.grants import TaskRouterGrant

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
BUILD = HERE / "build"
DOC = ROOT / "docs" / "performance.md"

# Realistic sids (34 characters) and a 32-character auth token.
ACCOUNT = "AC" + "0123456789abcdef" * 2
WORKSPACE = "WS" + "fedcba9876543210" * 2
WORKER = "WK" + "00112233445566778899aabbccddeeff"
AUTH_TOKEN = "5f4dcc3b5aa765d61d8327deb882cf99"
PERMISSIONS = (
    "allow_worker_fetch_attributes",
    "allow_worker_activity_updates",
    "allow_task_reservation_updates",
)
BIG_POLICIES = 200  # the large token: 200 policies, about 57 KB
SHIFT = 256  # worker sids per mint_many() call
BIG_SHIFT = 10_000  # worker sids per mint_many() call in the large batch
SIGNING_KEY = "SK" + "0123456789abcdef" * 2
SECRET = "secret-of-thirty-two-characters!"


# ---------------------------------------------------------------------------
# The flows
# ---------------------------------------------------------------------------


def ours_fresh() -> str:
    capability = TaskRouterCapability(ACCOUNT, AUTH_TOKEN, WORKSPACE, WORKER)
    capability.allow_worker_fetch_attributes()
    capability.allow_worker_activity_updates()
    capability.allow_task_reservation_updates()
    return capability.generate_token()


#: The auth token prepared once, as a server that holds a twilio_trcap.Key
#: does (docs/security.md, "Preparing a key once").
PREPARED_KEY = twilio_trcap.Key(AUTH_TOKEN)


def ours_fresh_key() -> str:
    """The fresh request with a Key prepared once instead of the auth token
    (which every request given the text prepares anew)."""
    capability = TaskRouterCapability(ACCOUNT, PREPARED_KEY, WORKSPACE, WORKER)
    capability.allow_worker_fetch_attributes()
    capability.allow_worker_activity_updates()
    capability.allow_task_reservation_updates()
    return capability.generate_token()


def ours_construct() -> TaskRouterCapability:
    """The fresh request without its token: construct and the three
    permissions (a profile aid, not a peer: the token's own cost is the
    difference)."""
    capability = TaskRouterCapability(ACCOUNT, AUTH_TOKEN, WORKSPACE, WORKER)
    capability.allow_worker_fetch_attributes()
    capability.allow_worker_activity_updates()
    capability.allow_task_reservation_updates()
    return capability


def ours_v5() -> Any:
    """twilio 5.x's Worker class with the update permissions (their
    `allow_activity_updates` and `allow_reservation_updates`): its layout
    puts `exp` second, so a re-mint hashes nearly the whole token again."""
    from twilio_trcap.task_router_v5 import TaskRouterWorkerCapability

    capability = TaskRouterWorkerCapability(ACCOUNT, AUTH_TOKEN, WORKSPACE, WORKER)
    capability.allow_activity_updates()
    capability.allow_reservation_updates()
    return capability


def ours_big() -> TaskRouterCapability:
    """A capability with BIG_POLICIES policies, the permissions in turn."""
    capability = TaskRouterCapability(ACCOUNT, AUTH_TOKEN, WORKSPACE, WORKER)
    for i in range(BIG_POLICIES - 3):
        getattr(capability, PERMISSIONS[i % 3])()
    return capability


def twilio_same_policies() -> WorkerCapabilityToken:
    """Today's twilio, holding the policies of ours_fresh() in their order."""
    token = WorkerCapabilityToken(
        ACCOUNT,
        AUTH_TOKEN,
        WORKSPACE,
        WORKER,
        allow_fetch_self=False,
        allow_fetch_reservations=False,
        allow_fetch_worker_reservations=False,
    )
    token.allow_fetch_self()
    token.allow_update_activities()
    # No public method writes this one (twilio 4.0's reservation policy);
    # twilio's own policy maker does.
    token._make_policy(
        token.workspace_url + "/Tasks/**",
        "POST",
        True,
        post_filter={"ReservationStatus": {"required": True}},
    )
    return token


def twilio_fresh() -> str:
    return twilio_same_policies().to_jwt()  # type: ignore[no-any-return]


def twilio_fresh_defaults() -> str:
    """The issue's row: today's defaults plus the update permissions (9)."""
    return WorkerCapabilityToken(  # type: ignore[no-any-return]
        ACCOUNT,
        AUTH_TOKEN,
        WORKSPACE,
        WORKER,
        allow_update_activities=True,
        allow_update_reservations=True,
    ).to_jwt()


def access_token(grant: bool) -> AccessToken:
    """An Access Token, bare (the issue's figure) or with a TaskRouter grant
    and an identity, as twilio-taskrouter.js v2 takes: its to_jwt() is
    timed again and again."""
    if not grant:
        return AccessToken(ACCOUNT, SIGNING_KEY, SECRET)
    return AccessToken(
        ACCOUNT,
        SIGNING_KEY,
        SECRET,
        grants=[TaskRouterGrant(workspace_sid=WORKSPACE, worker_sid=WORKER, role="worker")],
        identity="alice",
    )


# ---------------------------------------------------------------------------
# Every generation against today's twilio (issue 20)
# ---------------------------------------------------------------------------

TASK_QUEUE = "WQ" + "0123456789abcdef" * 2
#: The grants an Access Token row carries, ours and twilio's made alike.
GRANT_ARGS: dict[str, dict[str, Any]] = {
    "TaskRouterGrant": {"workspace_sid": WORKSPACE, "worker_sid": WORKER, "role": "worker"},
    "ChatGrant": {"service_sid": "IS" + "0" * 32, "endpoint_id": "alice-ep"},
    "SyncGrant": {"service_sid": "IS" + "1" * 32, "endpoint_id": "alice-ep"},
    "VoiceGrant": {"incoming_allow": True, "outgoing_application_sid": "AP" + "2" * 32,
                   "outgoing_application_params": {"queue": "support"}},
    "VideoGrant": {"room": "standup"},
    "PlaybackGrant": {"grant": {"requestCredentials": None, "playbackUrl": "https://example.test/p",
                                "playerStreamerSid": "VJ" + "3" * 32}},
}


@dataclass
class Generation:
    """One row of the every-generation tables: our class and today's twilio
    doing the same work, fresh, and our object minting again."""

    key: str
    label: str
    ours: Callable[[], Any]  # a fresh object, its permissions given
    twilio: Callable[[], Any]  # twilio 9's object for the same work
    same_claims: bool  # twilio 9 writes the same claims (6-9, Access Tokens)
    access_token: bool = False

    def mint(self, obj: Any) -> str:
        return obj.to_jwt() if hasattr(obj, "to_jwt") else obj.generate_token()  # type: ignore[no-any-return]


def generations() -> list[Generation]:
    """Every generation's classes, each beside twilio 9's class for the
    same token (twilio 4.x and 5.x tokens beside today's nearest one)."""
    from twilio.jwt.access_token import AccessToken as TwilioAccessToken
    from twilio.jwt.access_token import grants as twilio_grants
    from twilio.jwt.taskrouter import capabilities as twilio_caps

    from twilio_trcap import task_router_v4_5 as v45
    from twilio_trcap import task_router_v5 as v5
    from twilio_trcap.jwt.access_token import grants as our_grants
    from twilio_trcap.jwt.taskrouter import capabilities as our_caps

    def worker_v5(module: Any) -> Callable[[], Any]:
        def make() -> Any:
            capability = module.TaskRouterWorkerCapability(ACCOUNT, AUTH_TOKEN, WORKSPACE, WORKER)
            capability.allow_activity_updates()
            capability.allow_reservation_updates()
            return capability
        return make

    def twilio_worker() -> Any:
        return twilio_caps.WorkerCapabilityToken(ACCOUNT, AUTH_TOKEN, WORKSPACE, WORKER,
                                                 allow_update_activities=True,
                                                 allow_update_reservations=True)

    def access(module: Any, token_class: Any, names: tuple[str, ...]) -> Callable[[], Any]:
        def make() -> Any:
            token = token_class(ACCOUNT, SIGNING_KEY, SECRET, identity="alice")
            for name in names:
                token.add_grant(getattr(module, name)(**GRANT_ARGS[name]))
            return token
        return make

    rows = [
        Generation("gen_40", "4.0 `TaskRouterCapability` + 3 permissions (twilio 9: "
                   "`WorkerCapabilityToken` with the same policies)",
                   ours_construct, twilio_same_policies, False),
    ]
    for name, module in (("4.5", v45), ("5.x", v5)):
        tag = name.replace(".", "")
        rows += [
            Generation(f"gen_{tag}_worker", f"{name} `TaskRouterWorkerCapability` + 2 permissions",
                       worker_v5(module), twilio_worker, False),
            Generation(f"gen_{tag}_queue", f"{name} `TaskRouterTaskQueueCapability`",
                       lambda m=module: m.TaskRouterTaskQueueCapability(ACCOUNT, AUTH_TOKEN,
                                                                        WORKSPACE, TASK_QUEUE),
                       lambda: twilio_caps.TaskQueueCapabilityToken(ACCOUNT, AUTH_TOKEN,
                                                                    WORKSPACE, TASK_QUEUE),
                       False),
            Generation(f"gen_{tag}_workspace", f"{name} `TaskRouterWorkspaceCapability`",
                       lambda m=module: m.TaskRouterWorkspaceCapability(ACCOUNT, AUTH_TOKEN,
                                                                        WORKSPACE),
                       lambda: twilio_caps.WorkspaceCapabilityToken(ACCOUNT, AUTH_TOKEN,
                                                                    WORKSPACE),
                       False),
        ]
    rows += [
        Generation("gen_69_worker", "6–9 `WorkerCapabilityToken(..., allow_update_activities=True, "
                   "allow_update_reservations=True)`",
                   lambda: our_caps.WorkerCapabilityToken(ACCOUNT, AUTH_TOKEN, WORKSPACE, WORKER,
                                                          allow_update_activities=True,
                                                          allow_update_reservations=True),
                   twilio_worker, True),
        Generation("gen_69_queue", "6–9 `TaskQueueCapabilityToken`",
                   lambda: our_caps.TaskQueueCapabilityToken(ACCOUNT, AUTH_TOKEN, WORKSPACE,
                                                             TASK_QUEUE),
                   lambda: twilio_caps.TaskQueueCapabilityToken(ACCOUNT, AUTH_TOKEN, WORKSPACE,
                                                                TASK_QUEUE),
                   True),
        Generation("gen_69_workspace", "6–9 `WorkspaceCapabilityToken`",
                   lambda: our_caps.WorkspaceCapabilityToken(ACCOUNT, AUTH_TOKEN, WORKSPACE),
                   lambda: twilio_caps.WorkspaceCapabilityToken(ACCOUNT, AUTH_TOKEN, WORKSPACE),
                   True),
    ]
    from twilio_trcap.jwt.access_token import AccessToken as OurAccessToken

    for names in [(n,) for n in GRANT_ARGS] + [tuple(GRANT_ARGS)]:
        label = names[0] if len(names) == 1 else "every grant"
        rows.append(Generation(
            f"gen_at_{label.replace(' ', '_')}",
            f"`AccessToken` + {'`' + label + '`' if len(names) == 1 else label}, identity",
            access(our_grants, OurAccessToken, names),
            access(twilio_grants, TwilioAccessToken, names), True, access_token=True))
    return rows


def check_generation(row: Generation) -> tuple[str, Any]:
    """Our token for `row`, checked against twilio 9's (the same claims
    where twilio 9 mints this generation's token: all but the times and
    `jti`); returns it and our object, to be minted again."""
    ours = row.ours()
    token = row.mint(ours)
    if row.same_claims:
        mine, theirs = claims(token), claims(row.mint(row.twilio()))
        for name in ("exp", "nbf", "iat", "jti"):
            mine.pop(name, None)
            theirs.pop(name, None)
        if mine != theirs:
            raise SystemExit(f"bench: {row.key}: twilio 9's claims differ from ours")
    return token, ours


def segment(token: str, i: int) -> bytes:
    s = token.split(".")[i]
    return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))


def claims(token: str) -> dict[str, Any]:
    return json.loads(segment(token, 1))  # type: ignore[no-any-return]


def signing_input(token: str) -> bytes:
    return token.rsplit(".", 1)[0].encode("ascii")


# ---------------------------------------------------------------------------
# Timing
# ---------------------------------------------------------------------------

Runner = Callable[[int], float]  # loops -> seconds for that many operations


def loop(f: Callable[[], object]) -> Runner:
    def run(loops: int) -> float:
        perf_counter = time.perf_counter
        it = itertools.repeat(None, loops)
        t0 = perf_counter()
        for _ in it:
            f()
        return perf_counter() - t0

    return run


@dataclass
class Case:
    key: str
    label: str
    run: Runner | None  # None: not available (see note)
    note: str = ""
    per_op: int = 1  # operations (tokens) per loop
    loops: int = 0
    samples: list[float] = field(default_factory=list)

    @property
    def median_us(self) -> float | None:
        if not self.samples:
            return None
        return statistics.median(self.samples) * 1e6


@dataclass
class Ratio:
    """Per-round ratios of two cases' times (or of two such ratios)."""

    rounds: list[float]

    @property
    def median(self) -> float:
        return statistics.median(self.rounds)

    @property
    def iqr(self) -> tuple[float, float]:
        """The first and third quartiles (both the one ratio if one round)."""
        if len(self.rounds) < 2:
            return self.rounds[0], self.rounds[0]
        q1, _, q3 = statistics.quantiles(self.rounds, n=4, method="inclusive")
        return q1, q3

    def __truediv__(self, other: Ratio) -> Ratio:
        return Ratio([a / b for a, b in zip(self.rounds, other.rounds)])

    def __str__(self) -> str:
        q1, q3 = self.iqr
        return f"{self.median:.2f} ({q1:.2f}–{q3:.2f})"


def calibrate(case: Case, sample_time: float) -> None:
    assert case.run is not None
    loops = 1
    while True:
        t = case.run(loops)
        if t >= sample_time / 4 or loops >= 1 << 24:
            break
        loops *= 4 if t < sample_time / 40 else 2
    case.loops = max(1, int(loops * sample_time / max(t, 1e-9)))


def measure(cases: list[Case], repeats: int, sample_time: float) -> None:
    live = [c for c in cases if c.run is not None]
    for case in live:
        case.run(max(1, case.loops))  # warm up
        calibrate(case, sample_time)
    for r in range(repeats):
        shift = r % len(live)
        for case in live[shift:] + live[:shift]:
            assert case.run is not None
            case.samples.append(case.run(case.loops) / (case.loops * case.per_op))
        print(f"\r  round {r + 1}/{repeats}", end="", file=sys.stderr, flush=True)
    print(file=sys.stderr)


# ---------------------------------------------------------------------------
# Peers in other processes
# ---------------------------------------------------------------------------


class LineWorker:
    """A subprocess that answers one request line with one line."""

    def __init__(self, argv: list[str]) -> None:
        self.proc = subprocess.Popen(
            argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, bufsize=1
        )
        assert self.proc.stdout is not None
        self.first = self.proc.stdout.readline().strip()
        if not self.first:
            raise RuntimeError(f"{argv[0]} exited: {self.proc.wait()}")

    def ask(self, line: str) -> str:
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.write(line + "\n")
        self.proc.stdin.flush()
        return self.proc.stdout.readline().strip()

    def close(self) -> None:
        if self.proc.stdin:
            self.proc.stdin.close()
        self.proc.wait(timeout=30)


def twilio4_python(args: argparse.Namespace) -> tuple[str | None, str]:
    """The python of a virtualenv with twilio 4.0.0, or None and why not."""
    if args.no_twilio4:
        return None, "not measured (--no-twilio4)"
    if args.twilio4_python:
        return args.twilio4_python, ""
    venv = BUILD / "twilio-4.0.0"
    python = venv / "bin" / "python"
    if not python.exists():
        print("  making a virtualenv with twilio==4.0.0 in", venv, file=sys.stderr)
        try:
            subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
            subprocess.run(
                [str(python), "-m", "pip", "install", "-q", "twilio==4.0.0"],
                check=True,
                timeout=600,
            )
        except (subprocess.SubprocessError, OSError) as exc:
            shutil.rmtree(venv, ignore_errors=True)
            return None, f"not measured: no virtualenv with twilio 4.0.0 ({exc})"
    return str(python), ""


def start_twilio4(args: argparse.Namespace) -> tuple[LineWorker | None, str]:
    python, why = twilio4_python(args)
    if python is None:
        return None, why
    spec = {
        "account_sid": ACCOUNT,
        "auth_token": AUTH_TOKEN,
        "workspace_sid": WORKSPACE,
        "worker_sid": WORKER,
    }
    try:
        worker = LineWorker([python, str(HERE / "twilio40_worker.py"), json.dumps(spec)])
    except (OSError, RuntimeError) as exc:
        return None, f"not measured: the twilio 4.0.0 worker failed ({exc})"
    hello = json.loads(worker.first)
    # Same policies and claims as ours (their JSON spacing differs).
    theirs, mine = claims(hello["token"]), claims(ours_fresh())
    theirs.pop("exp"), mine.pop("exp")
    if theirs != mine:
        worker.close()
        return None, "not measured: twilio 4.0.0's payload differs from ours"
    return worker, f"twilio {hello['version']}"


def start_floor(key: bytes, inputs: list[bytes]) -> tuple[LineWorker | None, str]:
    """benchmarks/hmac_floor.c, built with cc -O2 against OpenSSL."""
    cc = os.environ.get("CC", "cc")
    BUILD.mkdir(parents=True, exist_ok=True)
    binary = BUILD / "hmac_floor"
    build = subprocess.run(
        [cc, "-O2", "-std=c11", "-pthread", str(HERE / "hmac_floor.c"), "-o", str(binary), "-lcrypto"],
        capture_output=True,
        text=True,
    )
    if build.returncode != 0:
        return None, f"not measured: {cc} could not build hmac_floor.c: {build.stderr.strip()}"
    files = []
    tmp = Path(tempfile.mkdtemp(prefix="trcap-bench-"))
    for i, data in enumerate([key, *inputs]):
        path = tmp / f"{i}.bin"
        path.write_bytes(data)
        files.append(str(path))
    worker = LineWorker([str(binary), *files])
    shutil.rmtree(tmp)  # read at start-up
    return worker, ""


def remote(worker: LineWorker, request: Callable[[int], str]) -> Runner:
    def run(loops: int) -> float:
        return float(worker.ask(request(loops)))

    return run


# ---------------------------------------------------------------------------
# Many workers, two threads
# ---------------------------------------------------------------------------


def shift_sids(n: int) -> list[str]:
    return [f"WK{i:032x}" for i in range(n)]


class ThreadPool:
    """`threads` threads that live for the whole run and, per request, each
    make `loops` calls of `call`; a request answers with the wall time over
    `threads` (time per call when the threads share the work).

    The threads are started once, as a server's pool is, not per sample:
    glibc keeps a thread's freed memory in its arena while the thread lives
    and gives it back to the kernel when the thread exits (its per-thread
    cache is flushed then and the arena trimmed).  Threads started per
    sample made every sample of one large mint_many() call fault its
    tokens' pages in anew: 0.53 page faults per token, against 0.03 in a
    thread that lives on.  The threads are not the main thread either: the
    main thread's arena measured about 10% faster here, which would skew
    the ratio of two threads to one."""

    def __init__(self, threads: int, call: Callable[[], object]) -> None:
        self.threads = threads
        self.call = call
        self.loops = 0
        self.start = threading.Barrier(threads + 1)
        self.done = threading.Barrier(threads + 1)
        self.pool = [threading.Thread(target=self.work, daemon=True) for _ in range(threads)]
        for t in self.pool:
            t.start()

    def work(self) -> None:
        while True:
            self.start.wait()
            loops = self.loops
            if loops < 0:
                return
            for _ in range(loops):
                self.call()
            self.done.wait()

    def __call__(self, loops: int) -> float:
        self.loops = loops
        self.start.wait()
        t0 = time.perf_counter()
        self.done.wait()
        # Per call: `threads` times as many calls in that wall time.
        return (time.perf_counter() - t0) / self.threads

    def close(self) -> None:
        self.loops = -1
        self.start.wait()
        for t in self.pool:
            t.join()


def mint_many_runner(threads: int, workers: int = SHIFT) -> ThreadPool:
    """A pool of `threads` threads making mint_many() calls of `workers`
    sids with the three permissions."""
    sids = shift_sids(workers)

    def call() -> None:
        TaskRouterCapability.mint_many(
            ACCOUNT,
            AUTH_TOKEN,
            WORKSPACE,
            sids,
            allow_worker_fetch_attributes=True,
            allow_worker_activity_updates=True,
            allow_task_reservation_updates=True,
        )

    return ThreadPool(threads, call)


class GilShape:
    """A stdlib-only call of the same shape as a mint_many() call of SHIFT
    workers in a pool thread: Python code that holds the GIL for about as
    long as that call's GIL-held part, then hashlib hashing without the GIL
    for about as long as its GIL-free part.  Two threads of it show what
    CPython's GIL hand-off allows that shape, with no twilio-trcap code
    involved.

    The two parts were measured with a build of the core instrumented with
    clock_gettime around the GIL release (not committed): in a pool
    thread, mint_many() of 256 spends about 15 us in the core before
    releasing the GIL, about 4 us in its Python wrapper, and the caller
    about 10-33 us freeing the previous call's 256 tokens, all with the
    GIL; and 430-475 us writing and signing without it.  HELD and FREE
    are round figures of those; both parts are calibrated here, at start,
    and the report gives what they measured."""

    HELD = 35e-6
    FREE = 450e-6

    def __init__(self) -> None:
        self.spins = self._scale(lambda n: self._spin(n), 2000, self.HELD)
        size = self._scale(lambda n: hashlib.sha256(b"x" * n).digest(), 1 << 20, self.FREE)
        self.data = b"x" * size
        self.held_us = self._best(lambda: self._spin(self.spins)) * 1e6
        self.free_us = self._best(lambda: hashlib.sha256(self.data).digest()) * 1e6

    @staticmethod
    def _spin(n: int) -> int:
        x = 0
        for i in range(n):
            x += i
        return x

    @staticmethod
    def _best(f: Callable[[], object]) -> float:
        times = []
        for _ in range(21):
            t0 = time.perf_counter()
            f()
            times.append(time.perf_counter() - t0)
        return statistics.median(times)

    @classmethod
    def _scale(cls, f: Callable[[int], object], n: int, target: float) -> int:
        return max(1, int(n * target / cls._best(lambda: f(n))))

    def __call__(self) -> None:
        self._spin(self.spins)
        hashlib.sha256(self.data).digest()


# ---------------------------------------------------------------------------
# Memory
# ---------------------------------------------------------------------------


def rss_bytes() -> int:
    """Resident set size now (Linux /proc), or 0 where unknown."""
    try:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError):
        return 0


def ours_minted_twice() -> TaskRouterCapability:
    capability = TaskRouterCapability(ACCOUNT, AUTH_TOKEN, WORKSPACE, WORKER)
    for name in PERMISSIONS:
        getattr(capability, name)()
    capability.generate_token()
    capability.generate_token()  # the second prepares the re-mint prefix
    return capability


def twilio_object() -> WorkerCapabilityToken:
    token = twilio_same_policies()
    token.to_jwt()
    return token


MAKERS: dict[str, Callable[[], object]] = {"ours": ours_minted_twice, "twilio": twilio_object}


def per_object(kind: str, n: int) -> dict[str, float]:
    """Bytes per live object, measured in a fresh interpreter (--memory-probe):
    first the growth of RSS (everything: also OpenSSL's contexts and the
    core's malloc'd re-mint prefix), then tracemalloc (Python's allocators,
    which the core's PyMem buffers use too) over a second batch."""
    probe = subprocess.run(
        [sys.executable, str(Path(__file__).resolve()), "--memory-probe", kind, "--objects", str(n)],
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(probe.stdout)  # type: ignore[no-any-return]


def memory_probe(kind: str, n: int) -> None:
    make = MAKERS[kind]
    make()  # warm: first-use allocations are not per object
    gc.collect()
    r0 = rss_bytes()
    keep = [make() for _ in range(n)]
    rss = (rss_bytes() - r0) / n
    tracemalloc.start()
    t0 = tracemalloc.get_traced_memory()[0]
    more = [make() for _ in range(n)]
    traced = (tracemalloc.get_traced_memory()[0] - t0) / n
    tracemalloc.stop()
    del keep, more
    print(json.dumps({"tracemalloc": traced, "rss": rss}))


def sizeof_ours(capability: TaskRouterCapability) -> int:
    """sys.getsizeof of the object and what only it references (the Minter
    object's own struct, the fields tuple, the policies' bytes); the fields'
    strs are the caller's."""
    minter = capability._minter
    policies = minter.policies()
    return (
        sys.getsizeof(capability)
        + sys.getsizeof(minter)
        + sys.getsizeof(capability._fields)
        + sys.getsizeof(policies)
        + sum(sys.getsizeof(p) for p in policies)
    )


def memory_loop(n: int) -> None:
    """--memory-loop: RSS during N mints and decodes."""
    decode = twilio_trcap.decode
    capability = ours_minted_twice()
    checkpoints = {n // 10 * k for k in range(1, 11)}
    warm = None
    print(f"{n} fresh requests, re-mints, mint_many tokens and decodes")
    for i in range(1, n + 1):
        token = ours_fresh()
        capability.generate_token(now=i)
        decode(token, AUTH_TOKEN)
        if i % 1000 == 0:
            TaskRouterCapability.mint_many(ACCOUNT, AUTH_TOKEN, WORKSPACE, shift_sids(8))
        if i in checkpoints:
            rss = rss_bytes()
            warm = warm or rss
            print(f"  {i:>12,}  RSS {rss / 2**20:8.1f} MiB  ({(rss - warm) / 2**10:+.0f} KiB)")


# ---------------------------------------------------------------------------
# The run
# ---------------------------------------------------------------------------


def cpu_idle(seconds: float = 1.0) -> float | None:
    """The share of CPU time the whole machine spent idle over `seconds`
    (Linux /proc/stat), or None where unknown."""
    def sample() -> list[int]:
        with open("/proc/stat") as f:
            return [int(v) for v in f.readline().split()[1:]]

    try:
        a = sample()
        time.sleep(seconds)
        b = sample()
    except (OSError, ValueError):
        return None
    delta = [y - x for x, y in zip(a, b)]
    total = sum(delta)
    return (delta[3] + delta[4]) / total if total else None  # idle + iowait


def wait_for_idle(limit: float) -> str:
    """Waits up to `limit` seconds for a machine at least 90% idle: on a
    shared machine another busy process takes a core from the timings."""
    deadline = time.monotonic() + limit
    while True:
        idle = cpu_idle()
        if idle is None:
            return "unknown"
        if idle >= 0.9 or time.monotonic() >= deadline:
            return f"{idle:.0%} idle when timing began"
        print(f"  machine {idle:.0%} idle; waiting", file=sys.stderr)


def machine() -> dict[str, str]:
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    flags = ""
    try:
        with open("/proc/cpuinfo") as f:
            text = f.read()
        flags = "SHA-NI" if " sha_ni" in text else "no SHA-NI"
    except OSError:
        pass
    return {
        "CPU": f"{cpu} ({flags})" if flags else cpu,
        "cores": str(os.cpu_count()),
        "system": f"{platform.system()} {platform.release()}",
        "Python": f"{platform.python_implementation()} {platform.python_version()}",
        "OpenSSL": twilio_trcap.openssl_version,
        "Python's ssl": ssl.OPENSSL_VERSION,
        "twilio-trcap": twilio_trcap.__version__,
        "twilio (today)": twilio.__version__,
        "PyJWT": jwt.__version__,
    }


@dataclass
class Run:
    cases: dict[str, Case]
    sizes: dict[str, int]
    memory: dict[str, Any]
    command: str
    info: dict[str, str]
    twilio4: str
    rounds: int


def fmt_us(us: float | None) -> str:
    if us is None:
        return "n/a"
    return f"{us:.3f}" if us < 10 else f"{us:.1f}"


Helper = LineWorker | ThreadPool  # what build_cases() starts and main() closes


def build_cases(args: argparse.Namespace) -> tuple[dict[str, Case], dict[str, int], str, list[Helper]]:
    workers: list[Helper] = []
    fresh_token = ours_fresh()
    again = TaskRouterCapability(ACCOUNT, AUTH_TOKEN, WORKSPACE, WORKER)
    for name in PERMISSIONS:
        getattr(again, name)()
    big = ours_big()
    big_token = big.generate_token()
    v5 = ours_v5()
    v5_token = v5.generate_token()
    twilio_obj = twilio_same_policies()
    if claims(twilio_obj.to_jwt())["policies"] != claims(fresh_token)["policies"]:
        raise SystemExit("bench: today's twilio does not hold the same policies as ours")
    payload = claims(fresh_token)
    if jwt.encode(payload, AUTH_TOKEN, algorithm="HS256") != fresh_token:
        raise SystemExit("bench: PyJWT's token for our payload differs from ours")
    key = AUTH_TOKEN.encode()
    small_input, big_input = signing_input(fresh_token), signing_input(big_token)
    v5_input = signing_input(v5_token)
    # One token of the large batch: its signing input is what one Python
    # HMAC of "the same token" hashes.
    many_input = signing_input(TaskRouterCapability.mint_many(
        ACCOUNT, AUTH_TOKEN, WORKSPACE, shift_sids(1),
        allow_worker_fetch_attributes=True, allow_worker_activity_updates=True,
        allow_task_reservation_updates=True,
    )[0])
    access, access_grant = access_token(False), access_token(True)
    sizes = {
        "policies": len(payload["policies"]),
        "token": len(fresh_token),
        "input": len(small_input),
        "big_policies": len(claims(big_token)["policies"]),
        "big_token": len(big_token),
        "big_input": len(big_input),
        "v5_policies": len(claims(v5_token)["policies"]),
        "v5_token": len(v5_token),
        "v5_input": len(v5_input),
        "twilio_defaults_policies": len(claims(twilio_fresh_defaults())["policies"]),
        "access_token": len(access.to_jwt()),
        "access_token_grant": len(access_grant.to_jwt()),
    }

    pools = [mint_many_runner(threads, n) for n in (SHIFT, BIG_SHIFT) for threads in (1, 2)]
    gil_shape = GilShape()
    pools += [ThreadPool(threads, gil_shape) for threads in (1, 2)]
    workers += pools
    cases = [
        Case("fresh", "twilio_trcap: construct + 3 permissions + `generate_token()`", loop(ours_fresh)),
        Case("fresh_key", "twilio_trcap: the same, with a `Key` prepared once instead of the auth "
             "token", loop(ours_fresh_key)),
        Case("fresh_construct", "twilio_trcap: the same without the token: construct + 3 permissions",
             loop(ours_construct)),
        Case("fresh_pyjwt", "PyJWT `jwt.encode` of the same payload",
             loop(lambda: jwt.encode(payload, AUTH_TOKEN, algorithm="HS256"))),
        Case("fresh_twilio", "twilio today: `WorkerCapabilityToken(...)` + `to_jwt()`, same policies",
             loop(twilio_fresh)),
        Case("fresh_twilio9", "twilio today: `WorkerCapabilityToken(...)` + `to_jwt()`, its defaults "
             f"+ update permissions ({sizes['twilio_defaults_policies']} policies)",
             loop(twilio_fresh_defaults)),
        Case("hmac_digest", "`hmac.digest` over the same signing input",
             loop(lambda: hmac.digest(key, small_input, "sha256"))),
        Case("remint", "twilio_trcap: `generate_token()` again", loop(again.generate_token)),
        Case("remint_twilio", "twilio today: `to_jwt()` again", loop(twilio_obj.to_jwt)),
        Case("remint_v5", "twilio_trcap: 5.x `TaskRouterWorkerCapability.generate_token()` again, "
             f"{sizes['v5_policies']} policies, `exp` second", loop(v5.generate_token)),
        Case("big_remint", f"twilio_trcap: `generate_token()` again, {sizes['big_policies']} policies",
             loop(big.generate_token)),
        Case("big_hmac_digest", "`hmac.digest` over that token's signing input",
             loop(lambda: hmac.digest(key, big_input, "sha256"))),
        Case("many_1", f"`mint_many()` of {SHIFT} workers, 1 thread", pools[0], per_op=SHIFT),
        Case("many_2", f"`mint_many()` of {SHIFT} workers, 2 threads", pools[1], per_op=SHIFT),
        Case("many_big_1", f"`mint_many()` of {BIG_SHIFT:,} workers, 1 thread", pools[2],
             per_op=BIG_SHIFT),
        Case("many_big_2", f"`mint_many()` of {BIG_SHIFT:,} workers, 2 threads", pools[3],
             per_op=BIG_SHIFT),
        Case("many_hmac_digest", "`hmac.digest` over one of those tokens' signing input",
             loop(lambda: hmac.digest(key, many_input, "sha256"))),
        Case("gil_shape_1", f"stdlib only, a call of the same shape as a `mint_many()` of {SHIFT}: "
             f"{gil_shape.held_us:.0f} µs of Python holding the GIL, then `hashlib.sha256` for "
             f"{gil_shape.free_us:.0f} µs without it; 1 thread", pools[4]),
        Case("gil_shape_2", "the same, 2 threads", pools[5]),
        Case("access_token", "twilio_trcap: `AccessToken.to_jwt()` again, no grant",
             loop(access.to_jwt)),
        Case("access_token_grant", "twilio_trcap: `AccessToken.to_jwt()` again, a TaskRouter "
             "grant and an identity", loop(access_grant.to_jwt)),
    ]

    for row in generations():
        token, obj = check_generation(row)
        sizes[f"{row.key}_token"] = len(token)
        gen_input = signing_input(token)
        cases += [
            Case(row.key, row.label, loop(lambda r=row: r.mint(r.ours()))),
            Case(f"{row.key}_twilio", f"twilio 9: {row.label}",
                 loop(lambda r=row: r.mint(r.twilio()))),
            Case(f"{row.key}_again", f"{row.label}: minted again",
                 loop(lambda r=row, o=obj: r.mint(o))),
            Case(f"{row.key}_hmac", "`hmac.digest` over its signing input",
                 loop(lambda k=(SECRET if row.access_token else AUTH_TOKEN).encode(), i=gen_input:
                      hmac.digest(k, i, "sha256"))),
        ]

    floor, why = start_floor(key, [small_input, big_input, v5_input])
    if floor is not None:
        workers.append(floor)
    for name, what, index, label in [
        ("floor", "mac", 0, "C: HMAC-SHA256 over the same signing input (EVP_MAC, key prepared once)"),
        ("floor_2", "mac2", 0, "C: the same in 2 threads at once (time per MAC = wall time / MACs of both)"),
        ("floor_md", "md", 0, "C: the same over EVP_MD (RFC 2104, key states prepared once)"),
        ("memcpy", "memcpy", 0, "C: memcpy of the same signing input"),
        ("big_floor", "mac", 1, "C: HMAC-SHA256 over the 200-policy signing input (EVP_MAC)"),
        ("big_floor_md", "md", 1, "C: the same over EVP_MD"),
        ("big_memcpy", "memcpy", 1, "C: memcpy of the 200-policy signing input"),
        ("v5_floor_md", "md", 2, "C: HMAC-SHA256 over EVP_MD of the 5.x token's signing input, "
         "key prepared once: what hashing it again costs"),
    ]:
        run = None if floor is None else remote(floor, lambda n, w=what, i=index: f"{w} {i} {n}")
        cases.append(Case(name, label, run, why))

    tw4, tw4_note = start_twilio4(args)
    if tw4 is not None:
        workers.append(tw4)
    cases.append(Case("fresh_twilio4",
                      "twilio 4.0.0: `TaskRouterCapability` + 3 `allow_*` + `generate_token()`",
                      None if tw4 is None else remote(tw4, str), tw4_note))

    decode = twilio_trcap.decode
    cases.append(Case("decode", "twilio_trcap: `decode(token, key)`",
                      loop(lambda: decode(fresh_token, AUTH_TOKEN))))
    cases.append(Case("decode_pyjwt", "PyJWT: `jwt.decode(token, key, algorithms=['HS256'])`",
                      loop(lambda: jwt.decode(fresh_token, AUTH_TOKEN, algorithms=["HS256"]))))
    return {c.key: c for c in cases}, sizes, tw4_note, workers


def ratio(a: Case, b: Case) -> Ratio | None:
    """a's time over b's, round by round; None if either was not timed."""
    if not a.samples or not b.samples:
        return None
    return Ratio([x / y for x, y in zip(a.samples, b.samples)])


def faster(*cases: Case) -> Case:
    """A case whose sample in each round is the fastest of `cases`' (those
    timed) in that round, or an untimed one if none was."""
    timed = [c for c in cases if c.samples]
    best = Case("+".join(c.key for c in cases), "", None)
    if timed:
        best.samples = [min(s) for s in zip(*(c.samples for c in timed))]
    return best


def render(run: Run) -> str:
    c = run.cases
    s = run.sizes
    out: list[str] = []
    w = out.append
    w("# Performance\n")
    w("Generated by `benchmarks/bench.py`; do not edit by hand. Reproduce with:\n")
    w("```sh\npip install '.[bench]'\n" + run.command + "\n```\n")
    w(f"Every case ran in one process run (twilio 4.0.0 and the C floor in helper processes "
      f"driven by it), its repeats interleaved round-robin with every other case's, "
      f"{run.rounds} rounds. The tables give the median time per operation; a ratio is taken "
      f"in each round, between the two cases' times in that round, and shown as the median of "
      f"those per-round ratios with their interquartile range in brackets. Every verdict rests "
      f"on that median. Python cases include the cost of the timing loop (about 0.02 µs). The "
      f"machine is shared and noisy: compare ratios, not absolute times, across runs.\n")
    w("## Machine\n")
    w("| | |\n| --- | --- |")
    for k, v in run.info.items():
        w(f"| {k} | {v} |")
    w("")

    def table(title: str, intro: str, rows: list[tuple[str, str]], base: str, vs: str) -> None:
        w(f"## {title}\n")
        w(intro + "\n")
        w(f"| what | median µs | × {vs}, median (IQR) |")
        w("| --- | ---: | ---: |")
        for key, extra in rows:
            case = c[key]
            r = ratio(case, c[base])
            text = case.label + (f" ({extra})" if extra else "")
            if case.median_us is None:
                w(f"| {text} | {case.note or 'n/a'} | |")
            else:
                w(f"| {text} | {fmt_us(case.median_us)} | {'' if r is None else r} |")
        w("")

    table(
        "A fresh request",
        f"Construct, the three documented permissions, one token: {s['policies']} policies, "
        f"a {s['token']:,}-character token, a {s['input']:,}-byte signing input. Every request "
        "but the second row's is given the auth token and prepares its HMAC key; the second "
        "row's is given a `Key` prepared once (docs/security.md, \"Preparing a key once\"). "
        "Which hand-tuned C paths earn their place, with A/B figures: docs/fast-paths.md.",
        [("fresh", ""), ("fresh_key", ""), ("fresh_construct", ""), ("fresh_twilio4", ""), ("fresh_twilio", ""),
         ("fresh_twilio9", ""),
         ("fresh_pyjwt", ""), ("hmac_digest", ""), ("floor", ""), ("floor_md", ""),
         ("floor_2", ""), ("memcpy", "")],
        "fresh", "twilio_trcap",
    )
    table(
        "Re-minting",
        f"`generate_token()` (`to_jwt()`) again on an existing object. The large token has "
        f"{s['big_policies']} policies: {s['big_token']:,} characters, a "
        f"{s['big_input']:,}-byte signing input.",
        [("remint", ""), ("remint_twilio", ""),
         ("remint_v5", f"{s['v5_token']:,} characters"), ("v5_floor_md", ""),
         ("access_token", f"{s['access_token']:,} characters"),
         ("access_token_grant", f"{s['access_token_grant']:,} characters"),
         ("big_remint", ""), ("big_hmac_digest", ""),
         ("big_floor", ""), ("big_floor_md", ""), ("big_memcpy", "")],
        "remint", "twilio_trcap, 6 policies",
    )
    table(
        "Many workers at once",
        f"`TaskRouterCapability.mint_many()` for {SHIFT} and for {BIG_SHIFT:,} worker sids "
        "with the three permissions, per token; with 2 threads each thread mints its own list "
        "(time per token = wall time / tokens of both).",
        [("many_1", ""), ("many_2", ""), ("many_big_1", ""), ("many_big_2", ""),
         ("many_hmac_digest", ""), ("fresh", "")],
        "many_1", "1 thread",
    )
    table(
        "Verification",
        "Decoding and verifying the fresh request's token.",
        [("decode", ""), ("decode_pyjwt", "")],
        "decode_pyjwt", "PyJWT",
    )

    def target(name: str, value: Ratio | None, goal: str, ok: Callable[[float], bool]) -> None:
        if value is None:
            w(f"| {name} | {goal} | n/a | not measured |")
        else:
            w(f"| {name} | {goal} | {value} | {'met' if ok(value.median) else '**not met**'} |")

    fresh, made = c["fresh"].median_us, c["fresh_construct"].median_us
    floors = [x for x in (c["floor"].median_us, c["floor_md"].median_us) if x is not None]
    if fresh is not None and made is not None and floors:
        floor = min(floors)
        w("## Where a fresh request's time goes\n")
        w("From the medians above, in µs and in units of the C floor (HMAC-SHA256 of the "
          "signing input, key prepared once). `TaskRouterCapability` is a thin Python class "
          "over the core's shared `Key` and `Minter`, as every generation's is:\n")
        w("| share | µs | × floor |")
        w("| --- | ---: | ---: |")
        w(f"| constructing the object and the three permissions (the \"without the token\" "
          f"row): the arguments checked, the key prepared, the fields "
          f"escaped, the policies appended; freeing the object | {made:.3f} | "
          f"{made / floor:.2f} |")
        w(f"| the floor: hashing the signing input | {floor:.3f} | 1.00 |")
        w(f"| the token beyond the hashing: the clock, writing and base64url-encoding the "
          f"payload, the MAC's OpenSSL calls, the token's str | {fresh - made - floor:.3f} | "
          f"{(fresh - made - floor) / floor:.2f} |")
        w(f"| total | {fresh:.3f} | {fresh / floor:.2f} |")
        with_key = c["fresh_key"].median_us
        if with_key is not None:
            w(f"| (with a `Key` prepared once: no key to prepare, two SHA-256 blocks and four "
              f"OpenSSL contexts fewer) | {with_key:.3f} | {with_key / floor:.2f} |")
        w("")
        w("To see the split by function: `perf record -e cpu-clock python -c \"import sys; "
          "sys.path.insert(0, 'benchmarks'); import bench, collections; "
          "collections.deque((bench.ours_fresh() for _ in range(10**6)), maxlen=0)\"`, then "
          "`perf report --sort dso,symbol` (each token is dropped at once: a list of them "
          "would profile the kernel zeroing its pages).\n")

    rows = generations()
    w("## Every generation against today's twilio\n")
    w("A fresh object of each generation's class, its permissions given, and one token; beside "
      "it twilio 9's class minting the same token (for twilio 4.x and 5.x classes, whose tokens "
      "twilio 9 no longer writes, today's class of the same kind with the nearest permissions). "
      "Then our object minting again, against one `hmac.digest` over its own signing input. "
      "Goals: a fresh capability token at least 10× twilio 9's, a fresh Access Token at least "
      "8×, a re-mint at most 0.8× the `hmac.digest`. Where a row misses its goal, "
      "`python benchmarks/split.py` splits its fresh token into the core's calls (checking, "
      "preparing the key, the Minter and its first mint, the clock) and the Python layer around "
      "them.\n")
    w("| class | token chars | ours µs | twilio 9 µs | × faster, median (IQR) | fresh goal "
      "| again µs | × `hmac.digest`, median (IQR) | again goal |")
    w("| --- | ---: | ---: | ---: | ---: | --- | ---: | ---: | --- |")
    for row in rows:
        ours_case, tw_case = c[row.key], c[f"{row.key}_twilio"]
        again, digest = c[f"{row.key}_again"], c[f"{row.key}_hmac"]
        speed, cost = ratio(tw_case, ours_case), ratio(again, digest)
        goal = 8 if row.access_token else 10
        fresh_ok = "n/a" if speed is None else ("met" if speed.median >= goal else "**not met**")
        again_ok = "n/a" if cost is None else ("met" if cost.median <= 0.8 else "**not met**")
        w(f"| {row.label} | {s[row.key + '_token']:,} | {fmt_us(ours_case.median_us)} | "
          f"{fmt_us(tw_case.median_us)} | {'' if speed is None else speed} | ≥ {goal}×: "
          f"{fresh_ok} | {fmt_us(again.median_us)} | {'' if cost is None else cost} | "
          f"≤ 0.8×: {again_ok} |")
    w("")

    w("## Targets\n")
    w("Each measured figure is the median of per-round ratios (interquartile range in "
      "brackets); the verdict rests on that median.\n")
    w("| target | goal | measured | |")
    w("| --- | --- | ---: | --- |")
    target("fresh request vs twilio 4.0.0's flow", ratio(c["fresh_twilio4"], c["fresh"]),
           "≥ 8× faster", lambda r: r >= 8)
    target("fresh request vs today's twilio flow", ratio(c["fresh_twilio"], c["fresh"]),
           "≥ 10× faster", lambda r: r >= 10)
    target("fresh request vs the C HMAC floor (the faster of the two in each round)",
           ratio(c["fresh"], faster(c["floor"], c["floor_md"])), "≤ 2.5× the floor",
           lambda r: r <= 2.5)
    target("re-mint vs today's `to_jwt()` again", ratio(c["remint_twilio"], c["remint"]),
           "≥ 30× faster", lambda r: r >= 30)
    target(f"{s['big_policies']}-policy re-mint vs `hmac.digest` of its signing input",
           ratio(c["big_remint"], c["big_hmac_digest"]), "≤ 0.1×", lambda r: r <= 0.1)
    target("5.x Worker re-mint vs the 4.0 class's re-mint", ratio(c["remint_v5"], c["remint"]),
           "≤ 1.5×", lambda r: r <= 1.5)
    target("(the bound under it: hashing the 5.x signing input in C vs the 4.0 class's re-mint)",
           ratio(c["v5_floor_md"], c["remint"]), "≤ 1.5× to be reachable", lambda r: r <= 1.5)
    target("`AccessToken.to_jwt()` again, no grant, vs the 4.0 class's re-mint "
           "(`generate_token()` again)",
           ratio(c["access_token"], c["remint"]), "≤ 1.5×", lambda r: r <= 1.5)
    target(f"`mint_many()` of {BIG_SHIFT:,} workers, per token, vs one `hmac.digest` of a "
           "token's signing input", ratio(c["many_big_1"], c["many_hmac_digest"]), "≤ 0.7×",
           lambda r: r <= 0.7)
    ceiling = ratio(c["floor"], c["floor_2"])
    for one, two, n in (("many_1", "many_2", SHIFT), ("many_big_1", "many_big_2", BIG_SHIFT)):
        speedup = ratio(c[one], c[two])
        target(f"`mint_many()` of {n:,} workers, 2 threads' speed-up over 1, as a share of "
               "the machine's own (C hashing in 2 threads vs 1, same rounds)",
               None if speedup is None or ceiling is None else speedup / ceiling,
               "≥ 0.9", lambda r: r >= 0.9)
        if n == SHIFT:
            shape = ratio(c["gil_shape_1"], c["gil_shape_2"])
            target(f"(the bound under it: a stdlib call of the same shape as a `mint_many()` of "
                   f"{SHIFT}, GIL held then released, 2 threads' speed-up as the same share)",
                   None if shape is None or ceiling is None else shape / ceiling,
                   "≥ 0.9 to be reachable", lambda r: r >= 0.9)
    target("decode vs PyJWT's `jwt.decode`", ratio(c["decode_pyjwt"], c["decode"]),
           "≥ 10× faster", lambda r: r >= 10)
    w("")
    if ceiling is not None:
        w(f"The machine's own two-thread speed-up in this run (HMAC-SHA256 in C, 2 threads vs "
          f"1, per-round ratios): {ceiling}.\n")
    shape = ratio(c["gil_shape_1"], c["gil_shape_2"])
    if shape is not None:
        label = c["gil_shape_1"].label.split(": ", 1)[1].rsplit("; ", 1)[0]
        w(f"Two threads of a stdlib-only call shaped like a `mint_many()` of {SHIFT} ({label}), "
          f"per-round speed-up over one thread: {shape}. It is the bound under the {SHIFT}-worker "
          "row: what CPython's GIL hand-off allows a call that holds the GIL for a while and then "
          "releases it. A thread that waits for the GIL sleeps; if its wake-up takes about as "
          "long as the other thread's GIL-free part, it finds the GIL taken again and sleeps on "
          f"until the switch interval ({sys.getswitchinterval() * 1e3:g} ms) forces a hand-off, "
          "and for those milliseconds the two threads run in turns. When this row falls short "
          "of 0.9, the 256-worker row cannot be held to it either.\n")

    m = run.memory
    w("## Memory\n")
    w(f"Bytes per live capability object (three permissions, minted twice so that it holds its "
      f"re-mint prefix), averaged over {m['objects']:,} objects made in a fresh interpreter: "
      "*RSS* is the growth of the resident set, which counts everything (OpenSSL's SHA-256 "
      "contexts and the core's `malloc`'d re-mint prefix too); *tracemalloc* counts Python's "
      "allocators only, which the core's `PyMem` buffers use; *sys.getsizeof* adds up the "
      "object, its core `Minter`, its fields tuple and its policies as `policies()` renders "
      "them (not the caller's sid strings, nor the shared templates).\n")
    w("| object | RSS | tracemalloc | sys.getsizeof |")
    w("| --- | ---: | ---: | ---: |")
    w(f"| twilio_trcap `TaskRouterCapability` | {m['ours']['rss']:,.0f} | "
      f"{m['ours']['tracemalloc']:,.0f} | {m['ours_sizeof']:,} |")
    w(f"| twilio today `WorkerCapabilityToken`, same policies | {m['twilio']['rss']:,.0f} | "
      f"{m['twilio']['tracemalloc']:,.0f} | |")
    w("")
    w("`tests/test_memory.py` checks in a subprocess that RSS stays flat over a loop of mints "
      "after warm-up; `python benchmarks/bench.py --memory-loop 10000000` runs the long "
      "version, decoding each token too.\n")
    return "\n".join(out)


README = ROOT / "README.md"
SPEED_START, SPEED_END = "<!-- speed -->\n", "<!-- /speed -->\n"


def readme_speed(run: Run) -> str:
    """The README's speed section: the every-generation rows of this run,
    as docs/performance.md gives them, in a user's words."""
    c = run.cases
    out = [
        "## How much faster\n",
        "A fresh object of each class and one token, against twilio "
        f"{twilio.__version__} doing the same work on the same machine, in one run of "
        "`benchmarks/bench.py` (the median of per-round ratios; every row, the machine and how "
        "to reproduce it: [docs/performance.md](https://github.com/twilio-trcap/twilio-trcap/"
        "blob/main/docs/performance.md)). Twilio 4.x and 5.x classes are set beside today's "
        "class of the same kind.\n",
        "| what you use | fresh token, × twilio's speed | minting again on the same object |",
        "| --- | ---: | ---: |",
    ]
    for row in generations():
        speed = ratio(c[f"{row.key}_twilio"], c[row.key])
        again = c[f"{row.key}_again"].median_us
        # The median as performance.md prints it (Ratio's own text).
        out.append(f"| {row.label} | {'n/a' if speed is None else str(speed).split()[0] + '×'} | "
                   f"{fmt_us(again)} µs |")
    return "\n".join(out) + "\n\n"


def write_readme_speed(text: str) -> None:
    """Replaces the README's block between the speed markers with `text`."""
    readme = README.read_text(encoding="utf-8")
    head, start, rest = readme.partition(SPEED_START)
    _, end, tail = rest.partition(SPEED_END)
    if not (start and end):
        raise SystemExit(f"bench: {README} has no {SPEED_START.strip()} ... {SPEED_END.strip()} block")
    README.write_text(head + start + text + end + tail, encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--repeats", type=int, default=25, help="interleaved rounds (default 25)")
    ap.add_argument("--sample-time", type=float, default=0.02,
                    help="seconds per sample (default 0.02)")
    ap.add_argument("--quick", action="store_true", help="7 rounds of 0.01 s samples")
    ap.add_argument("--no-write", action="store_true", help="print only; leave docs/ alone")
    ap.add_argument("--output", type=Path, default=DOC, help="where to write the markdown")
    ap.add_argument("--twilio4-python", help="python of a virtualenv with twilio==4.0.0 "
                    "(default: make one under benchmarks/build/)")
    ap.add_argument("--no-twilio4", action="store_true", help="leave twilio 4.0.0 out")
    ap.add_argument("--cases", help="comma-separated case keys to time (default: all)")
    ap.add_argument("--wait-idle", type=float, default=0, metavar="SECONDS",
                    help="first wait up to SECONDS for the machine to be 90%% idle")
    ap.add_argument("--memory-loop", type=int, metavar="N",
                    help="instead of timing, mint N times and report RSS")
    ap.add_argument("--objects", type=int, default=20000,
                    help="live objects for the bytes-per-object figures (default 20000)")
    ap.add_argument("--memory-probe", choices=sorted(MAKERS), help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.memory_probe:
        memory_probe(args.memory_probe, args.objects)
        return 0
    if args.memory_loop:
        memory_loop(args.memory_loop)
        return 0
    if args.quick:
        args.repeats, args.sample_time = 7, 0.01

    cases, sizes, tw4_note, workers = build_cases(args)
    if args.cases:
        chosen = set(args.cases.split(","))
        for case in cases.values():
            if case.key not in chosen:
                case.run, case.note = None, "not timed (--cases)"
    idle_before = wait_for_idle(args.wait_idle) if args.wait_idle else None
    load_before = os.getloadavg()[0] if hasattr(os, "getloadavg") else None
    try:
        print(f"timing {sum(c.run is not None for c in cases.values())} cases, "
              f"{args.repeats} interleaved rounds", file=sys.stderr)
        measure(list(cases.values()), args.repeats, args.sample_time)
    finally:
        for worker in workers:
            worker.close()
    load_after = os.getloadavg()[0] if hasattr(os, "getloadavg") else None
    memory = {
        "ours": per_object("ours", args.objects),
        "twilio": per_object("twilio", args.objects),
        "ours_sizeof": sizeof_ours(ours_minted_twice()),
        "objects": args.objects,
    }
    shown = " ".join(a for a in (argv if argv is not None else sys.argv[1:]) if a != "--no-write")
    info = {**machine(), "date": datetime.date.today().isoformat()}
    if load_before is not None and load_after is not None:
        # Other work on the machine shows here: a load near 2 on 2 cores
        # means the timings shared the CPUs.
        info["load average (1 min), before and after"] = f"{load_before:.2f}, {load_after:.2f}"
    if idle_before is not None:
        info["idle"] = idle_before
    run = Run(cases, sizes, memory, f"python benchmarks/bench.py {shown}".strip(), info, tw4_note,
              args.repeats)
    text = render(run)
    print(text)
    if not args.no_write:
        args.output.write_text(text, encoding="utf-8")
        print(f"wrote {args.output}", file=sys.stderr)
        if args.output == DOC:
            write_readme_speed(readme_speed(run))
            print(f"wrote the speed section of {README}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
