"""The Flask recipe: a signed-in worker's token endpoint and agent page.

    export TWILIO_ACCOUNT_SID=AC... TWILIO_AUTH_TOKEN=... TWILIO_WORKSPACE_SID=WS...
    export FLASK_SECRET_KEY=$(python -c 'import secrets; print(secrets.token_hex(32))')
    export AGENT_USERS='{"alice": {"password": "...", "worker_sid": "WK..."}}'
    gunicorn --chdir examples/flask_agent --workers 2 --bind 127.0.0.1:8000 'app:create_app()'

Installing (twilio-trcap is not on the package index yet), and the curl
commands that sign in and fetch a token: docs/recipes/flask.md.

GET /token answers {"token": ..., "expires_at": ..., "expires_in": ...}
(the token's exp, and its lifetime in seconds) for the worker of the
session, never for a sid named in the request: whoever chooses the sid acts
as that worker.  /login is a stand-in for your application's sign-in (give
it CSRF protection and rate limits); what matters is that the worker sid is
put in the session by the server, after authentication.  GET / is the agent
page (templates/agent.html, static/agent.js), whose script fetches the token,
shows what it allows and refreshes it before it expires.
"""

from __future__ import annotations

import hmac
import json
import os
import time
from typing import Any

from flask import Flask, Response, jsonify, redirect, render_template, request, session, url_for

from twilio_trcap.jwt.taskrouter.capabilities import WorkerCapabilityToken

#: Read from the environment unless create_app() is given them.
SETTINGS = ("TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN", "TWILIO_WORKSPACE_SID", "FLASK_SECRET_KEY")
#: Twilio's event bridge; the tests point the page at a local stand-in.
EVENT_BRIDGE_URL = "wss://event-bridge.twilio.com/v1/wschannels"


def create_app(**config: Any) -> Flask:
    """The application.  Keywords override the environment (tests use
    them): the four SETTINGS, AGENT_USERS (a dict), TOKEN_TTL (seconds),
    EVENT_BRIDGE_URL and TOKEN_OPTIONS (keywords of WorkerCapabilityToken)."""
    app = Flask(__name__)
    for name in SETTINGS:
        app.config[name] = config.pop(name, None) or os.environ[name]
    app.config.update(
        SECRET_KEY=app.config.pop("FLASK_SECRET_KEY"),
        AGENT_USERS=json.loads(os.environ.get("AGENT_USERS", "{}")),
        TOKEN_TTL=int(os.environ.get("TOKEN_TTL", "3600")),
        EVENT_BRIDGE_URL=os.environ.get("EVENT_BRIDGE_URL", EVENT_BRIDGE_URL),
        TOKEN_OPTIONS={
            # What an agent page needs: its event channel, its own Worker,
            # Activities, and accepting or rejecting reservations.
            "allow_update_activities": True,
            "allow_update_reservations": True,
        },
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
    )
    app.config.update(config)

    @app.get("/token")
    def token() -> tuple[Response, int] | Response:
        worker_sid = session.get("worker_sid")
        if worker_sid is None:
            return no_store(jsonify(error="sign in first")), 401
        now = int(time.time())
        capability = WorkerCapabilityToken(
            app.config["TWILIO_ACCOUNT_SID"],
            app.config["TWILIO_AUTH_TOKEN"],
            app.config["TWILIO_WORKSPACE_SID"],
            worker_sid,
            ttl=app.config["TOKEN_TTL"],
            **app.config["TOKEN_OPTIONS"],
        )
        ttl = app.config["TOKEN_TTL"]
        return no_store(jsonify(
            token=capability.to_jwt(now=now), expires_at=now + ttl, expires_in=ttl
        ))

    @app.get("/")
    def agent_page() -> Any:
        if "worker_sid" not in session:
            return redirect(url_for("login"))
        return no_store(Response(render_template(
            "agent.html", event_bridge_url=app.config["EVENT_BRIDGE_URL"]
        )))

    @app.route("/login", methods=["GET", "POST"])
    def login() -> Any:
        if request.method == "GET":
            return render_template("login.html")
        user = app.config["AGENT_USERS"].get(request.form.get("username", ""))
        password = request.form.get("password", "").encode()
        if user is None or not hmac.compare_digest(password, user["password"].encode()):
            return render_template("login.html", failed=True), 403
        session.clear()
        session["worker_sid"] = user["worker_sid"]
        return redirect(url_for("agent_page"))

    return app


def no_store(response: Response) -> Response:
    # A token is a bearer credential: no cache, shared or private, keeps it.
    response.headers["Cache-Control"] = "no-store"
    return response
