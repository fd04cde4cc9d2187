"""An agent page's token endpoint, with the standard library only.

    TWILIO_ACCOUNT_SID=AC... TWILIO_AUTH_TOKEN=... TWILIO_WORKSPACE_SID=WS... \
    AGENT_WORKERS='{"alice": "WK..."}' DEMO_SIGNED_IN_AS=alice \
        python examples/wsgi_app.py

GET /token answers {"token": "...", "expires_at": ..., "expires_in": ...}
for the worker of the *authenticated* user: ``REMOTE_USER``, which the
server or middleware in front of the application sets after it has checked
the user's credentials (WSGI's, and CGI's, variable for it), looked up in a
user -> worker sid table.  Nothing in the request names the worker:
whoever can choose the sid can act as that worker, so a ``?worker=`` in the
query string is ignored.  The recipes (docs/recipes/) do the same with a
framework's session.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from twilio_trcap import TaskRouterCapability

TOKEN_TTL = 8 * 3600  # one shift


def make_app(
    account_sid: str, auth_token: str, workspace_sid: str, workers: Mapping[str, str]
) -> Callable[..., Iterable[bytes]]:
    """A WSGI application minting Worker tokens for one Workspace, for the
    user that ``REMOTE_USER`` names: `workers` maps user names to sids."""

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        if environ.get("PATH_INFO") != "/token":
            return respond(start_response, "404 Not Found", {"error": "not found"})
        user = environ.get("REMOTE_USER")
        if not user:
            return respond(start_response, "401 Unauthorized", {"error": "sign in first"})
        worker_sid = workers.get(user)
        if worker_sid is None:
            return respond(start_response, "403 Forbidden", {"error": "no worker for this user"})
        capability = TaskRouterCapability(account_sid, auth_token, workspace_sid, worker_sid)
        capability.allow_worker_fetch_attributes()
        capability.allow_worker_activity_updates()
        capability.allow_task_reservation_updates()
        now = int(time.time())
        return respond(start_response, "200 OK", {
            "token": capability.generate_token(ttl=TOKEN_TTL, now=now),
            "expires_at": now + TOKEN_TTL,
            "expires_in": TOKEN_TTL,
        })

    return app


def respond(start_response: Callable[..., Any], status: str, body: dict[str, Any]) -> list[bytes]:
    data = json.dumps(body).encode()
    start_response(
        status,
        [
            ("Content-Type", "application/json"),
            ("Content-Length", str(len(data))),
            ("Cache-Control", "no-store"),  # a bearer credential: never cache it
        ],
    )
    return [data]


if __name__ == "__main__":
    from wsgiref.simple_server import make_server

    application = make_app(
        os.environ["TWILIO_ACCOUNT_SID"],
        os.environ["TWILIO_AUTH_TOKEN"],
        os.environ["TWILIO_WORKSPACE_SID"],
        json.loads(os.environ.get("AGENT_WORKERS", "{}")),
    )
    demo_user = os.environ.get("DEMO_SIGNED_IN_AS", "")

    def signed_in(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        # A STAND-IN for authentication, for trying this on your own machine:
        # every request counts as DEMO_SIGNED_IN_AS's.  Behind a real server,
        # its authentication sets REMOTE_USER instead.
        environ["REMOTE_USER"] = demo_user
        return application(environ, start_response)

    with make_server("127.0.0.1", 8000, signed_in) as server:
        print(f"serving on http://127.0.0.1:8000/token, signed in as {demo_user!r} (a stand-in)")
        server.serve_forever()
