"""The FastAPI recipe: the authenticated worker's token.

    export TWILIO_ACCOUNT_SID=AC... TWILIO_AUTH_TOKEN=... TWILIO_WORKSPACE_SID=WS...
    export AGENT_USERS='{"alice": {"password": "...", "worker_sid": "WK..."}}'
    uvicorn --app-dir examples fastapi_app:app --host 127.0.0.1 --port 8000

Installing (twilio-trcap is not on the package index yet), and the curl
command that fetches a token: docs/recipes/fastapi.md.

GET /token, with the user's credentials (HTTP Basic here, as a stand-in
for your authentication dependency), answers {"token": ..., "expires_at":
..., "expires_in": ...} (the token's exp, and its lifetime in seconds) for
that user's worker: the sid comes from the authenticated user,
never from the request.
"""

from __future__ import annotations

import hmac
import json
import os
import time
from functools import cache
from typing import Annotated, Any

from fastapi import Depends, FastAPI, HTTPException, Response, status
from fastapi.security import HTTPBasic, HTTPBasicCredentials

from twilio_trcap.jwt.taskrouter.capabilities import WorkerCapabilityToken

app = FastAPI(title="twilio-trcap recipe")
basic = HTTPBasic()


@cache
def settings() -> dict[str, Any]:
    """Read once, on first use, so that importing the module needs nothing."""
    return {
        "account_sid": os.environ["TWILIO_ACCOUNT_SID"],
        "auth_token": os.environ["TWILIO_AUTH_TOKEN"],
        "workspace_sid": os.environ["TWILIO_WORKSPACE_SID"],
        "users": json.loads(os.environ.get("AGENT_USERS", "{}")),
        "ttl": int(os.environ.get("TOKEN_TTL", "3600")),
    }


def current_worker(credentials: Annotated[HTTPBasicCredentials, Depends(basic)]) -> str:
    """The worker sid of the authenticated user, or 401."""
    user = settings()["users"].get(credentials.username)
    given = credentials.password.encode()
    if user is None or not hmac.compare_digest(given, user["password"].encode()):
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED, "unknown user or wrong password",
            headers={"WWW-Authenticate": "Basic"},
        )
    return str(user["worker_sid"])


# A plain `def`: FastAPI runs it in its thread pool.  Minting takes
# microseconds, so `async def` would do as well.
@app.get("/token")
def token(worker_sid: Annotated[str, Depends(current_worker)], response: Response) -> dict[str, Any]:
    config = settings()
    now = int(time.time())
    capability = WorkerCapabilityToken(
        config["account_sid"], config["auth_token"], config["workspace_sid"], worker_sid,
        ttl=config["ttl"], allow_update_activities=True, allow_update_reservations=True,
    )
    response.headers["Cache-Control"] = "no-store"
    return {
        "token": capability.to_jwt(now=now),
        "expires_at": now + config["ttl"],
        "expires_in": config["ttl"],
    }
