"""The Flask, Django and FastAPI recipes in examples/ (docs/recipes/*.md):
each framework's own test client, then a real server on 127.0.0.1 (gunicorn
with prefork workers, with and without --preload; uvicorn), whose tokens
are verified with PyJWT."""

from __future__ import annotations

import importlib
import json
import re
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx2 as httpx
import jwt
import pytest

from servers import base_url, listening_socket, running

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"

ACCOUNT = "AC" + "a1" * 16
WORKSPACE = "WS" + "b2" * 16
ALICE = "WK" + "c3" * 16
BOB = "WK" + "d4" * 16
# 32 characters, as a Twilio auth token: PyJWT warns on HMAC keys under 32 bytes.
AUTH_TOKEN = "0123456789abcdef" * 2
USERS = {
    "alice": {"password": "alice-password", "worker_sid": ALICE},
    "bob": {"password": "bob-password", "worker_sid": BOB},
}
ENV = {
    "TWILIO_ACCOUNT_SID": ACCOUNT,
    "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
    "TWILIO_WORKSPACE_SID": WORKSPACE,
    "AGENT_USERS": json.dumps(USERS),
    "FLASK_SECRET_KEY": "flask-session-key-for-tests-only",
    "DJANGO_SECRET_KEY": "django-session-key-for-tests-only",
    "TOKEN_TTL": "600",
}
WORKER_CHANNEL = f"https://event-bridge.twilio.com/v1/wschannels/{ACCOUNT}/{{}}"


def verify(body: dict[str, Any], worker_sid: str) -> dict[str, Any]:
    """PyJWT's verdict on a token endpoint's answer, for `worker_sid`."""
    assert set(body) == {"token", "expires_at", "expires_in"}
    claims: dict[str, Any] = jwt.decode(body["token"], AUTH_TOKEN, algorithms=["HS256"])
    assert claims["worker_sid"] == worker_sid
    assert claims["exp"] == body["expires_at"]
    # The lifetime, for a page that must not compare its clock with ours.
    assert body["expires_in"] == int(ENV["TOKEN_TTL"])
    if "nbf" in claims:  # twilio 4.0's API (the Django recipe) sets no nbf
        assert claims["exp"] - claims["nbf"] == body["expires_in"]
    urls = {(p["method"], p["url"]) for p in claims["policies"]}
    assert ("GET", WORKER_CHANNEL.format(worker_sid)) in urls
    return claims


def no_store(headers: Any) -> bool:
    directives = {d.strip().lower() for d in headers["Cache-Control"].split(",")}
    return "no-store" in directives


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    for name, value in ENV.items():
        monkeypatch.setenv(name, value)
    return ENV


# -- Flask ---------------------------------------------------------------------


@pytest.fixture
def flask_app(env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.syspath_prepend(str(EXAMPLES / "flask_agent"))
    monkeypatch.delitem(sys.modules, "app", raising=False)
    return importlib.import_module("app").create_app(TESTING=True)


def test_flask_token_is_the_signed_in_workers(flask_app: Any) -> None:
    client = flask_app.test_client()
    refused = client.get("/token")
    assert refused.status_code == 401 and no_store(refused.headers)
    assert client.post("/login", data={"username": "alice", "password": "wrong"}).status_code == 403
    assert client.get("/token").status_code == 401
    assert client.post("/login", data={"username": "alice", "password": "alice-password"}).status_code == 302
    # A sid in the query string is not read: the session decides.
    response = client.get(f"/token?worker_sid={BOB}&worker={BOB}")
    assert response.status_code == 200 and no_store(response.headers)
    claims = verify(response.get_json(), ALICE)
    assert claims["exp"] - claims["nbf"] == 600


def test_flask_agent_page_needs_a_session_and_escapes_its_settings(env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.syspath_prepend(str(EXAMPLES / "flask_agent"))
    monkeypatch.delitem(sys.modules, "app", raising=False)
    app = importlib.import_module("app").create_app(EVENT_BRIDGE_URL='ws://x/"><script>')
    client = app.test_client()
    assert client.get("/").status_code == 302
    client.post("/login", data={"username": "bob", "password": "bob-password"})
    page = client.get("/").get_data(as_text=True)
    assert 'data-event-bridge-url="ws://x/&#34;&gt;&lt;script&gt;"' in page
    assert "<script>" not in page.replace('<script src="/static/agent.js">', "")


# -- Django --------------------------------------------------------------------


@pytest.fixture
def django_client(env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> Any:
    import django
    from django.conf import settings

    monkeypatch.syspath_prepend(str(EXAMPLES / "django_project"))
    monkeypatch.setenv("DJANGO_SETTINGS_MODULE", "agent_site.settings")
    if not settings.configured:
        django.setup()
    from django.test import Client
    from django.test.utils import setup_test_environment, teardown_test_environment

    setup_test_environment()
    try:
        yield Client(enforce_csrf_checks=True)
    finally:
        teardown_test_environment()


def csrf_login(client: Any, username: str, password: str) -> int:
    form = client.get("/login").content.decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form)
    assert token is not None
    data = {"csrfmiddlewaretoken": token.group(1), "username": username, "password": password}
    return int(client.post("/login", data=data).status_code)


def test_django_token_is_the_signed_in_workers(django_client: Any) -> None:
    refused = django_client.get("/token")
    assert refused.status_code == 401 and no_store(refused.headers)
    assert django_client.post("/login", {"username": "bob", "password": "bob-password"}).status_code == 403  # no CSRF token
    assert csrf_login(django_client, "bob", "wrong") == 403
    assert csrf_login(django_client, "bob", "bob-password") == 200
    response = django_client.get(f"/token?worker_sid={ALICE}")
    assert response.status_code == 200 and no_store(response.headers)
    claims = verify(response.json(), BOB)
    assert claims["iss"] == ACCOUNT and len(claims["policies"]) == 6


# -- FastAPI -------------------------------------------------------------------


@pytest.fixture
def fastapi_module(env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> Any:
    from fastapi.testclient import TestClient

    monkeypatch.syspath_prepend(str(EXAMPLES))
    module = importlib.import_module("fastapi_app")
    module.settings.cache_clear()
    with TestClient(module.app) as client:
        yield client
    module.settings.cache_clear()


def test_fastapi_token_is_the_authenticated_workers(fastapi_module: Any) -> None:
    client = fastapi_module
    assert client.get("/token").status_code == 401
    assert client.get("/token", auth=("alice", "bob-password")).status_code == 401
    response = client.get(f"/token?worker_sid={BOB}", auth=("alice", "alice-password"))
    assert response.status_code == 200 and no_store(response.headers)
    claims = verify(response.json(), ALICE)
    allowed = {(p["method"], p["url"]) for p in claims["policies"] if p["allow"]}
    assert ("POST", f"https://taskrouter.twilio.com/v1/Workspaces/{WORKSPACE}/Workers/{ALICE}") in allowed


# -- real servers --------------------------------------------------------------

TOKENS_PER_SERVER = 40


def fetch_many(login: Any, base: str, worker_sid: str) -> None:
    """Signs in (each client its own session) and verifies tokens fetched
    by 4 concurrent clients."""

    def one_client(_: int) -> int:
        with httpx.Client(base_url=base, timeout=20) as client:
            login(client)
            for _ in range(TOKENS_PER_SERVER // 4):
                response = client.get("/token")
                assert response.status_code == 200, response.text
                assert no_store(response.headers)
                verify(response.json(), worker_sid)
        return TOKENS_PER_SERVER // 4

    with ThreadPoolExecutor(4) as pool:
        assert sum(pool.map(one_client, range(4))) == TOKENS_PER_SERVER


def gunicorn(app: str, chdir: Path, sock: Any, preload: bool) -> list[str]:
    args = ["gunicorn", "--chdir", str(chdir), "--workers", "2", "--bind", f"fd://{sock.fileno()}",
            "--graceful-timeout", "5", app]
    return args[:1] + (["--preload"] if preload else []) + args[1:]


@pytest.mark.parametrize("preload", [False, True], ids=["fork-then-import", "preload"])
def test_flask_under_gunicorn(preload: bool, tmp_path: Path) -> None:
    def login(client: httpx.Client) -> None:
        response = client.post("/login", data={"username": "alice", "password": "alice-password"})
        assert response.status_code == 302

    with listening_socket() as sock:
        args = gunicorn("app:create_app()", EXAMPLES / "flask_agent", sock, preload)
        with running(args, sock, ENV, tmp_path, tmp_path / "gunicorn.log"):
            fetch_many(login, base_url(sock), ALICE)


@pytest.mark.parametrize("preload", [False, True], ids=["fork-then-import", "preload"])
def test_django_under_gunicorn(preload: bool, tmp_path: Path) -> None:
    def login(client: httpx.Client) -> None:
        assert csrf_login(client, "bob", "bob-password") == 200

    with listening_socket() as sock:
        args = gunicorn("agent_site.wsgi", EXAMPLES / "django_project", sock, preload)
        with running(args, sock, ENV, tmp_path, tmp_path / "gunicorn.log"):
            fetch_many(login, base_url(sock), BOB)


def test_fastapi_under_uvicorn(tmp_path: Path) -> None:
    def login(client: httpx.Client) -> None:
        client.auth = ("alice", "alice-password")

    with listening_socket() as sock:
        args = ["uvicorn", "--app-dir", str(EXAMPLES), "--fd", str(sock.fileno()), "fastapi_app:app"]
        with running(args, sock, ENV, tmp_path, tmp_path / "uvicorn.log"):
            fetch_many(login, base_url(sock), ALICE)


def test_capability_built_before_fork_mints_in_every_worker(tmp_path: Path) -> None:
    """docs/threads-and-fork.md: an object made in gunicorn's master
    (--preload) is copied into each worker by fork, key and prepared state
    with it, and each copy mints valid tokens."""
    with listening_socket() as sock:
        args = gunicorn("preload_wsgi:application", ROOT / "tests" / "apps", sock, preload=True)
        with running(args, sock, ENV, tmp_path, tmp_path / "gunicorn.log") as master:
            seen = sample_workers(base_url(sock), master.pid)
    assert len(seen) == 2, f"one worker answered every request within {FORK_DEADLINE} s: {seen}"
    assert master.pid not in seen


#: How long bursts of requests may take to reach both gunicorn workers:
#: which worker accepts is the kernel's choice, and a loaded machine can
#: let one worker take many bursts in a row.
FORK_DEADLINE = 60.0


def sample_workers(base: str, master_pid: int) -> dict[int, int]:
    """Bursts of 8 concurrent requests until two workers have answered or
    FORK_DEADLINE passes, each answer's token verified: the count of
    answers per worker pid."""
    seen: dict[int, int] = {}
    deadline = time.monotonic() + FORK_DEADLINE
    with httpx.Client(base_url=base, timeout=20) as client:

        def one(_: int) -> dict[str, Any]:
            return dict(client.get("/").json())

        with ThreadPoolExecutor(4) as pool:
            while len(seen) < 2 and time.monotonic() < deadline:
                for body in pool.map(one, range(8)):
                    assert body["imported_in"] == master_pid
                    claims = jwt.decode(body["token"], AUTH_TOKEN, algorithms=["HS256"])
                    assert claims["worker_sid"] == "WK" + "9" * 32
                    seen[body["pid"]] = seen.get(body["pid"], 0) + 1
    return seen


def test_recipes_ship_their_docs() -> None:
    pages = {p.name for p in (ROOT / "docs" / "recipes").glob("*.md")}
    assert {"flask.md", "django.md", "fastapi.md"} <= pages
