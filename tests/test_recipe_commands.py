"""The shell commands of each recipe (docs/recipes/*.md), run as written.

Each recipe has a settings block (the ```sh block that exports
TWILIO_ACCOUNT_SID) and, after it, a block marked ``<!-- recipe-commands -->``
that starts the example in the background, signs in with curl (cookie jar,
and Django's CSRF token), fetches a token and stops the server with
``kill %1``.  The test provides what the settings block sets (and nothing
else it names), runs the marked block with bash (-euo pipefail) from a
folder whose ``examples`` is the checkout's, on a free port of 127.0.0.1,
verifies the token it prints with PyJWT, and checks the output against the
answer the page shows (the ```text block after the commands).

curl is required: without it these tests fail (Debian: apt-get install
curl), since the pages promise commands that work.  The block runs in a
session of its own, so that whatever it leaves running is found and
killed; a port its own ``kill %1`` did not close fails the test.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import jwt
import pytest

from test_recipes import ACCOUNT, ALICE, AUTH_TOKEN, USERS, WORKER_CHANNEL, WORKSPACE

ROOT = Path(__file__).resolve().parent.parent
RECIPES = ROOT / "docs" / "recipes"

SETTINGS_BLOCK = re.compile(r"^```sh\n(export TWILIO_ACCOUNT_SID.*?)^```", re.S | re.M)
COMMANDS_BLOCK = re.compile(r"<!-- recipe-commands -->\n```sh\n(.*?)^```", re.S | re.M)
ANSWER_BLOCK = re.compile(r"^```text\n(.*?)^```", re.S | re.M)
ASSIGNED = re.compile(r"(?:^|\s)([A-Z][A-Z0-9_]*)=", re.M)
UVICORN_LOG = re.compile(r"INFO: +\S+ - \"")

#: How long one recipe's commands may take, start-up included; then how
#: long its server may take to stop after the commands end.
RUN_DEADLINE = 120.0
STOP_DEADLINE = 30.0
#: The lifetime the examples give a token when TOKEN_TTL is not set.
DEFAULT_TTL = 3600
#: The frameworks' own secret keys, one per recipe.
SECRET_KEYS = {
    "flask": {"FLASK_SECRET_KEY": "flask-session-key-for-tests-only"},
    "django": {"DJANGO_SECRET_KEY": "django-session-key-for-tests-only"},
    "fastapi": {},
}
#: Variables of the caller's environment the examples or curl would read:
#: the test decides them, or leaves them unset.
NOT_INHERITED = re.compile(
    r"TWILIO_.*|AGENT_USERS|TOKEN_TTL|.*_SECRET_KEY|PASSWORD|PORT|EVENT_BRIDGE_URL"
    r"|GUNICORN_CMD_ARGS|UVICORN_.*|DJANGO_SETTINGS_MODULE|CURL_.*|.*_proxy|.*_PROXY"
)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def settings(recipe: str) -> dict[str, str]:
    """What the test gives each variable the settings block sets."""
    return {
        "TWILIO_ACCOUNT_SID": ACCOUNT,
        "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
        "TWILIO_WORKSPACE_SID": WORKSPACE,
        "AGENT_USERS": json.dumps(USERS),
        **SECRET_KEYS[recipe],
        "PASSWORD": USERS["alice"]["password"],
        "PORT": str(free_port()),
    }


def page(recipe: str) -> tuple[set[str], str, list[str]]:
    """The names the settings block assigns, the commands block, and the
    lines of the answer the page shows after it."""
    text = (RECIPES / f"{recipe}.md").read_text(encoding="utf-8")
    (settings_block,) = SETTINGS_BLOCK.findall(text)
    commands = COMMANDS_BLOCK.search(text)
    assert commands is not None, f"{recipe}.md has no <!-- recipe-commands --> block"
    answer = ANSWER_BLOCK.search(text, commands.end())
    assert answer is not None, f"{recipe}.md shows no answer (```text) after its commands"
    return set(ASSIGNED.findall(settings_block)), commands.group(1), answer.group(1).splitlines()


def curl_or_fail(path: str) -> str:
    """The curl the commands will run; a failure, never a skip, without one."""
    curl = shutil.which("curl", path=path)
    if curl is None:
        pytest.fail(
            "curl is not installed, so the recipes' commands cannot be run: they need it "
            "(Debian: apt-get install curl)", pytrace=False,
        )
    return curl


def curl_without_preload(curl: str, folder: Path) -> Path:
    """A folder holding `curl`, which runs the real `curl` without
    LD_PRELOAD.  The sanitizer stage (.ci/asan.sh) preloads ASan's runtime
    for the Python processes, whose sanitized core needs it first; curl,
    not built with it, hangs with it preloaded."""
    folder.mkdir()
    shim = folder / "curl"
    shim.write_text(f'#!/bin/sh\nexec env -u LD_PRELOAD "{curl}" "$@"\n', encoding="utf-8")
    shim.chmod(0o755)
    return folder


def serving(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
    except OSError:
        return False
    return True


def run_commands(script: str, env: dict[str, str], cwd: Path) -> tuple[int, str, str, bool]:
    """Runs the block in a session of its own; the exit status, stdout,
    stderr, and whether the port was closed within STOP_DEADLINE after the
    block ended (its own `kill %1` stops the server).  Whatever the block
    started and left running is then killed."""
    out, err = cwd / "stdout", cwd / "stderr"
    with out.open("wb") as stdout, err.open("wb") as stderr:
        process = subprocess.Popen(
            ["bash", "-euo", "pipefail", "-c", script], cwd=cwd, env=env,
            stdin=subprocess.DEVNULL, stdout=stdout, stderr=stderr, start_new_session=True,
        )
    try:
        try:
            status = process.wait(timeout=RUN_DEADLINE)
        except subprocess.TimeoutExpired:
            status = -1
        deadline = time.monotonic() + STOP_DEADLINE
        while serving(int(env["PORT"])) and time.monotonic() < deadline:
            time.sleep(0.1)
        stopped = not serving(int(env["PORT"]))
    finally:
        # The session's id is bash's pid; its background server and that
        # server's workers are in it too.
        try:
            os.killpg(process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        process.wait(timeout=10)
    return status, out.read_text(errors="replace"), err.read_text(errors="replace"), stopped


def check_token(body: dict[str, Any]) -> None:
    claims = jwt.decode(body["token"], AUTH_TOKEN, algorithms=["HS256"])
    assert claims["worker_sid"] == ALICE and claims["iss"] == ACCOUNT
    assert claims["exp"] == body["expires_at"]
    assert body["expires_in"] == DEFAULT_TTL
    assert ("GET", WORKER_CHANNEL.format(ALICE)) in {(p["method"], p["url"]) for p in claims["policies"]}


@pytest.mark.skipif(
    sys.platform == "win32", reason="the recipes' commands are POSIX shell, and gunicorn is POSIX-only"
)
@pytest.mark.parametrize("recipe", ["flask", "django", "fastapi"])
def test_recipe_commands_fetch_a_token_as_written(recipe: str, tmp_path: Path) -> None:
    assigned, script, answer = page(recipe)
    given = settings(recipe)
    assert assigned == set(given), "the settings block and the test set different variables"

    env = {k: v for k, v in os.environ.items() if not NOT_INHERITED.fullmatch(k)}
    # gunicorn, uvicorn and python are those of the environment the tests run in.
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    env.update(given)
    curl = curl_or_fail(env["PATH"])
    if "LD_PRELOAD" in env:
        shims = curl_without_preload(curl, tmp_path / "bin")
        env["PATH"] = f"{shims}{os.pathsep}{env['PATH']}"
    # The commands are typed at the root of a checkout; only its examples/
    # is used, and the cookie jar is written beside it, here.
    (tmp_path / "examples").symlink_to(ROOT / "examples")

    status, stdout, stderr, stopped = run_commands(script, env, tmp_path)
    log = f"exit {status}\n--- stdout\n{stdout}\n--- stderr\n{stderr}"
    assert status == 0, log
    assert stopped, "the server was still running after the commands' `kill %1`\n" + log

    # curl's output; uvicorn writes its access log to the same terminal.
    lines = [line for line in stdout.splitlines() if not UVICORN_LOG.match(line)]
    assert len(lines) == len(answer), log
    assert lines[:-1] == answer[:-1], log  # what the sign-in answers
    body = json.loads(lines[-1])
    check_token(body)
    assert cut_short(lines[-1], body, answer[-1]) == answer[-1], log


def cut_short(line: str, body: dict[str, Any], shown: str) -> str:
    """The token endpoint's answer as the page shows it: the token cut
    after the part shown and "...", the expiry time the page's."""
    token = re.search(r'"token": ?"([^"]*)\.\.\."', shown)
    expires_at = re.search(r'"expires_at": ?(\d+)', shown)
    assert token is not None and expires_at is not None, shown
    assert body["token"].startswith(token.group(1)), (body["token"], shown)
    return line.replace(body["token"], token.group(1) + "...").replace(
        f"{body['expires_at']}", expires_at.group(1)
    )
