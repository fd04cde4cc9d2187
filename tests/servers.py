"""Real servers for the recipe tests, on 127.0.0.1, waited for with a
deadline, and always stopped.

The test binds the listening socket itself (port 0: the kernel picks a
free port) and hands it to the server (gunicorn's ``--bind fd://N``,
uvicorn's ``--fd N``).  No other process can take the port between a probe
and the server's bind, and whatever answers on it is the server started
here, never another process's."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path

import httpx2 as httpx

#: How long a server may take to answer its first request.
START_DEADLINE = 60.0


@contextlib.contextmanager
def listening_socket() -> Iterator[socket.socket]:
    """A listening TCP socket on 127.0.0.1 at a port the kernel chose,
    inheritable, for a server started with ``running``."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(64)
        sock.set_inheritable(True)
        yield sock


def base_url(sock: socket.socket) -> str:
    return f"http://127.0.0.1:{sock.getsockname()[1]}"


def _answers(base: str) -> bool:
    # The socket listens from the start, so a connection succeeds before
    # the server runs: only an HTTP answer (any status) means it serves.
    try:
        httpx.get(base + "/", timeout=1.0)
    except httpx.HTTPError:
        return False
    return True


@contextlib.contextmanager
def running(
    args: Sequence[str], sock: socket.socket, env: Mapping[str, str], cwd: Path, log: Path
) -> Iterator[subprocess.Popen[bytes]]:
    """Runs ``python -m <args>``, serving on `sock` (whose descriptor the
    args name), until the block ends; fails with the server's output if it
    exits or does not answer within START_DEADLINE."""
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", *args], cwd=cwd, env={**os.environ, **env},
            stdout=out, stderr=subprocess.STDOUT, pass_fds=(sock.fileno(),),
        )
    try:
        deadline = time.monotonic() + START_DEADLINE
        while not _answers(base_url(sock)):
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
