"""Jupyter's view (``_repr_html_``) of every object that holds a token's
policies: one renderer (twilio_trcap/_html.py) for all of them."""

from __future__ import annotations

import html
import re
import time
from typing import Any

import pytest

from twilio_trcap import Decision, DecodedToken, TaskRouterCapability, decode_token
from twilio_trcap import task_router_v4_5 as v4_5
from twilio_trcap import task_router_v5 as v5
from twilio_trcap._html import HtmlRepr, in_words
from twilio_trcap.jwt.access_token import AccessToken
from twilio_trcap.jwt.access_token.grants import TaskRouterGrant
from twilio_trcap.jwt.taskrouter.capabilities import (
    TaskQueueCapabilityToken,
    WorkerCapabilityToken,
    WorkspaceCapabilityToken,
)

KEY = "html-view-key-that-must-never-show"
AC, WS, WK, WQ = "AC" + "1" * 32, "WS" + "2" * 32, "WK" + "3" * 32, "WQ" + "4" * 32
# Three base64url segments starting with a JSON object: a JWT.
JWT_SHAPE = re.compile(r"eyJ[\w-]*\.[\w-]+\.[\w-]+")


def _v4() -> Any:
    capability = TaskRouterCapability(AC, KEY, WS, WK)
    capability.allow_worker_activity_updates()
    return capability


def _access_token() -> AccessToken:
    token = AccessToken(AC, "SK" + "5" * 32, KEY, identity="alice")
    token.add_grant(TaskRouterGrant(workspace_sid=WS, worker_sid=WK, role="worker"))
    return token


MAKERS = {
    "twilio 4.0": _v4,
    "twilio 4.5 worker": lambda: v4_5.TaskRouterWorkerCapability(AC, KEY, WS, WK),
    "twilio 5 worker": lambda: v5.TaskRouterWorkerCapability(AC, KEY, WS, WK),
    "twilio 5 task queue": lambda: v5.TaskRouterTaskQueueCapability(AC, KEY, WS, WQ),
    "twilio 5 workspace": lambda: v5.TaskRouterWorkspaceCapability(AC, KEY, WS),
    "twilio 6+ worker": lambda: WorkerCapabilityToken(AC, KEY, WS, WK, ttl=7200),
    "twilio 6+ task queue": lambda: TaskQueueCapabilityToken(AC, KEY, WS, WQ),
    "twilio 6+ workspace": lambda: WorkspaceCapabilityToken(AC, KEY, WS),
    "access token": _access_token,
    "decoded": lambda: decode_token(_v4().generate_token(), KEY),
    "decision": lambda: decode_token(_v4().generate_token(), KEY).explain(
        "POST", f"https://taskrouter.twilio.com/v1/Workspaces/{WS}/Workers/{WK}",
        post={"ActivitySid": "WA1"}),
}


@pytest.mark.parametrize("make", MAKERS.values(), ids=MAKERS.keys())
def test_one_renderer_no_key_no_token_short_repr(make: Any) -> None:
    obj = make()
    assert type(obj)._repr_html_ is HtmlRepr._repr_html_
    shown = obj._repr_html_()
    assert shown.count("<table") >= 1
    assert KEY not in shown and KEY not in repr(obj)
    assert JWT_SHAPE.search(shown) is None and "eyJ" not in shown
    # The plain repr stays one line of text (a Decision's is its dataclass repr).
    assert "<table" not in repr(obj) and "\n" not in repr(obj)


@pytest.mark.parametrize(
    "make", [m for n, m in MAKERS.items() if n not in ("access token", "decision")],
    ids=[n for n in MAKERS if n not in ("access token", "decision")],
)
def test_every_policy_is_a_row(make: Any) -> None:
    obj = make()
    shown = obj._repr_html_()
    rows = re.findall(r"<tr><td>(\d+)</td><td class=\"(allow|deny)\">\2</td><td>([A-Z]+)</td><td>([^<]*)</td>", shown)
    assert [(int(i), effect == "allow", method, html.unescape(url)) for i, effect, method, url in rows] == [
        (i, p.allow, p.method, p.url) for i, p in enumerate(obj.policies)
    ]


def test_expiry_in_words() -> None:
    assert "exp</th><td>" in _v4()._repr_html_()
    assert re.search(r"exp</th><td>\d+: in (1 hour|59 minutes \d+ seconds) \(", _v4()._repr_html_())
    shown = WorkerCapabilityToken(AC, KEY, WS, WK, ttl=7200)._repr_html_()
    assert re.search(r"exp</th><td>\d+: in (2 hours|1 hour 59 minutes) \(", shown)
    now = int(time.time())
    old = decode_token(_v4().generate_token(ttl=60, now=now - 3600), KEY, verify_exp=False)
    assert re.search(r"exp</th><td>\d+: 59 minutes ago \(", old._repr_html_())
    assert in_words(90, now=0) == "in 1 minute 30 seconds (1970-01-01 00:01:30 UTC)"
    assert in_words(0, now=86400 * 3 + 1) == "3 days 1 second ago (1970-01-01 00:00:00 UTC)"
    assert in_words(5, now=5).startswith("now")
    # Truncated, never rounded up: a token is never said to live longer.
    assert in_words(7199, now=0) == "in 1 hour 59 minutes (1970-01-01 01:59:59 UTC)"
    for beyond in (10**20, -(10**20), float("inf"), float("nan"), 10**400):
        assert in_words(beyond, now=0) == "beyond the calendar"


def test_the_cli_and_the_html_views_say_times_in_the_same_words() -> None:
    from twilio_trcap import cli

    assert cli.in_words is in_words


def test_unverified_token_says_so() -> None:
    shown = decode_token(_v4().generate_token(), None)._repr_html_()
    assert "signature NOT verified" in shown
    assert "signature verified" in decode_token(_v4().generate_token(), KEY)._repr_html_()


def test_everything_is_escaped() -> None:
    capability = _v4()
    evil = 'https://x/<script>alert("a&b")</script>'
    capability.deny(evil, "GET", query_filter={"<b>Name</b>": {"required": True}})
    shown = capability._repr_html_()
    assert "<script>" not in shown and "<b>" not in shown
    assert html.escape(evil) in shown
    assert "&lt;b&gt;Name&lt;/b&gt;" in shown
    decoded = decode_token(capability.generate_token(), KEY)
    decision = decoded.explain("GET", evil)
    assert not decision.allowed
    shown = decision._repr_html_()
    assert "<script>" not in shown and html.escape(evil) in shown


def test_decision_shows_the_deciding_policy() -> None:
    decoded = decode_token(_v4().generate_token(), KEY)
    worker = f"https://taskrouter.twilio.com/v1/Workspaces/{WS}/Workers/{WK}"
    allowed = decoded.explain("POST", worker, post={"ActivitySid": "WA1"})
    shown = allowed._repr_html_()
    assert isinstance(allowed, Decision) and allowed.index is not None
    assert f"<tr><td>{allowed.index}</td><td class=\"allow\">allow</td><td>POST</td><td>{worker}</td>" in shown
    assert html.escape(allowed.reason) in shown and ">allowed<" in shown
    missing = decoded.explain("POST", worker)
    shown = missing._repr_html_()
    assert ">denied<" in shown and "no policy matched" in shown
    assert html.escape("form parameter 'ActivitySid'") in shown


def test_access_token_shows_grants_and_no_policies() -> None:
    shown = _access_token()._repr_html_()
    assert "grants</th>" in shown and WK in shown and "alice" in shown
    assert "<th>method</th>" not in shown


def test_renderer_refuses_other_objects() -> None:
    from twilio_trcap._html import to_html

    with pytest.raises(TypeError, match="no HTML view for int"):
        to_html(3)


def test_decoded_token_is_a_decoded_token() -> None:
    assert isinstance(MAKERS["decoded"](), DecodedToken)
