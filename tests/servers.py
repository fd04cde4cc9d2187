"""Real servers for the recipe tests: started on 127.0.0.1 on a free port,
waited for with a deadline, and always stopped."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path

#: How long a server may take to answer its first connection.
START_DEADLINE = 60.0


def free_port() -> int:
    """A port nothing listens on now (the server binds it right after)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _listening(port: int) -> bool:
    with socket.socket() as probe:
        probe.settimeout(0.5)
        return probe.connect_ex(("127.0.0.1", port)) == 0


@contextlib.contextmanager
def running(
    args: Sequence[str], port: int, env: Mapping[str, str], cwd: Path, log: Path
) -> Iterator[subprocess.Popen[bytes]]:
    """Runs ``python -m <args>`` until the block ends; fails with the
    server's output if it exits or does not listen within START_DEADLINE."""
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", *args], cwd=cwd, env={**os.environ, **env},
            stdout=out, stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + START_DEADLINE
        while not _listening(port):
            if process.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(
                    f"{args[0]} did not start (exit {process.poll()}):\n"
                    + log.read_text(errors="replace")
                )
            time.sleep(0.1)
        yield process
    finally:
        process.terminate()  # gunicorn and uvicorn stop their workers on SIGTERM
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
