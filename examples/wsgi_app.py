"""An agent page's token endpoint, with the standard library only.

    TWILIO_ACCOUNT_SID=AC... TWILIO_AUTH_TOKEN=... TWILIO_WORKSPACE_SID=WS... \
        python examples/wsgi_app.py

GET /token?worker=WK... answers {"token": "..."} for Worker.js.  In a real
application the worker sid comes from the signed-in user's session, never
from the query string: whoever can choose the sid can act as that worker.
The same few lines fit a Django view, a Flask route or a FastAPI endpoint.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import parse_qs

from twilio_trcap import TaskRouterCapability

TOKEN_TTL = 8 * 3600  # one shift


def make_app(account_sid: str, auth_token: str, workspace_sid: str) -> Callable[..., Iterable[bytes]]:
    """A WSGI application minting Worker tokens for one Workspace."""

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        if environ.get("PATH_INFO") != "/token":
            return respond(start_response, "404 Not Found", {"error": "not found"})
        worker_sid = parse_qs(environ.get("QUERY_STRING", "")).get("worker", [""])[0]
        if not worker_sid.startswith("WK"):
            return respond(start_response, "400 Bad Request", {"error": "worker=WK... required"})
        capability = TaskRouterCapability(account_sid, auth_token, workspace_sid, worker_sid)
        capability.allow_worker_fetch_attributes()
        capability.allow_worker_activity_updates()
        capability.allow_task_reservation_updates()
        return respond(start_response, "200 OK", {"token": capability.generate_token(ttl=TOKEN_TTL)})

    return app


def respond(start_response: Callable[..., Any], status: str, body: dict[str, str]) -> list[bytes]:
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
    )
    with make_server("127.0.0.1", 8000, application) as server:
        print("serving on http://127.0.0.1:8000/token?worker=WK...")
        server.serve_forever()
