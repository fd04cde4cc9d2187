"""A WSGI app that builds one capability object at import: under gunicorn
--preload that is in the master, before it forks its workers, and every
worker mints from its inherited copy (tests/test_recipes.py)."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable, Iterable
from typing import Any

from twilio_trcap import TaskRouterCapability

IMPORTED_IN = os.getpid()
capability = TaskRouterCapability(
    os.environ["TWILIO_ACCOUNT_SID"], os.environ["TWILIO_AUTH_TOKEN"],
    os.environ["TWILIO_WORKSPACE_SID"], "WK" + "9" * 32,
)
capability.allow_worker_activity_updates()
capability.generate_token()  # the core's prepared prefix and MAC state exist before fork


def application(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
    time.sleep(0.05)  # one request at a time per worker: spreads a burst over both
    body = json.dumps({
        "token": capability.generate_token(ttl=600),
        "pid": os.getpid(),
        "imported_in": IMPORTED_IN,
    }).encode()
    start_response("200 OK", [("Content-Type", "application/json"), ("Cache-Control", "no-store")])
    return [body]
