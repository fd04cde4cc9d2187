"""The Django recipe: the signed-in worker's token.

GET /token answers {"token": ..., "expires_at": ..., "expires_in": ...}
(the token's exp, and its lifetime in seconds) for the worker whose
sid the server put in the session at sign-in; a sid in the request is never
read.  With django.contrib.auth, keep the sid on the user (a profile field)
and read ``request.user`` instead: the rule is the same, the server decides
whose token it is.

Installing (twilio-trcap is not on the package index yet), and the curl
commands that sign in (with the CSRF token) and fetch a token:
docs/recipes/django.md.
"""

from __future__ import annotations

import hmac
import time

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.middleware.csrf import get_token
from django.utils.html import escape
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from twilio_trcap import TaskRouterCapability


@never_cache  # Cache-Control: max-age=0, no-cache, no-store, must-revalidate, private
@require_GET
def token(request: HttpRequest) -> JsonResponse:
    worker_sid = request.session.get("worker_sid")
    if worker_sid is None:
        return JsonResponse({"error": "sign in first"}, status=401)
    # twilio 4.0's documented API; a new object per request is cheap.
    capability = TaskRouterCapability(
        settings.TWILIO_ACCOUNT_SID,
        settings.TWILIO_AUTH_TOKEN,
        settings.TWILIO_WORKSPACE_SID,
        worker_sid,
    )
    capability.allow_worker_fetch_attributes()
    capability.allow_worker_activity_updates()
    capability.allow_task_reservation_updates()
    now = int(time.time())
    return JsonResponse({
        "token": capability.generate_token(ttl=settings.TOKEN_TTL, now=now),
        "expires_at": now + settings.TOKEN_TTL,
        "expires_in": settings.TOKEN_TTL,
    })


@require_http_methods(["GET", "POST"])
def login(request: HttpRequest) -> HttpResponse:
    """A stand-in for your sign-in (django.contrib.auth's LoginView)."""
    if request.method == "POST":
        user = settings.AGENT_USERS.get(request.POST.get("username", ""))
        password = request.POST.get("password", "").encode()
        if user is not None and hmac.compare_digest(password, user["password"].encode()):
            request.session.cycle_key()
            request.session["worker_sid"] = user["worker_sid"]
            return HttpResponse("signed in")
        return HttpResponse("unknown user or wrong password", status=403)
    return HttpResponse(
        '<form method="post"><input type="hidden" name="csrfmiddlewaretoken" '
        f'value="{escape(get_token(request))}"><input name="username">'
        '<input name="password" type="password"><button>Sign in</button></form>'
    )
