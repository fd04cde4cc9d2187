"""Standing adversarial suite: the local policy model (issue 9, finding 5).

``allows``/``explain`` must never answer "allowed" for a request that
TaskRouter could see as a resource no allow policy names.  The model takes
only canonical request URLs (docs/policies.md) and refuses the rest with a
ValueError; a fuzz property checks it against an RFC 3986 normaliser
written here, independently of the model.
"""

from __future__ import annotations

import re
import string
from typing import Any
from urllib.parse import urlsplit

import pytest
from hypothesis import given
from hypothesis import strategies as st

from test_cli import run
from twilio_trcap import Policy, TaskRouterCapability
from twilio_trcap.check import allows, explain

API = "https://taskrouter.twilio.com/v1/Workspaces/WS456"
TASKS = f"{API}/Tasks"
WORKER = f"{API}/Workers/WK789"


def seed() -> TaskRouterCapability:
    capability = TaskRouterCapability("AC123", "secret", "WS456", "WK789")
    capability.allow_worker_activity_updates()
    capability.allow_task_reservation_updates()
    return capability


# Each was "allowed" on e0109ba (POST .../Tasks/** with ReservationStatus).
NOT_CANONICAL = [
    f"{TASKS}//",
    f"{TASKS}/.",
    f"{TASKS}/%2e",
    f"{TASKS}/%2E",
    f"{TASKS}/../Workers/WK999",
    f"{TASKS}/WT1/../../Workers/WK999",
    f"{TASKS}/%2e%2e/Workers/WK999",
    f"{TASKS}/WT1%2F..%2F..%2FWorkers%2FWK999",
    f"{TASKS}/WT1\r\nX-Injected: 1",
    f"{TASKS}/WT1\n",
    f"{TASKS}/WT1\x00",
    f"{TASKS}/WT1\x1b[2J",
    f"{TASKS}/WT1 x",
    f"{TASKS}/WT1\t",
    f"{TASKS}/WT\u00e91",
    f"{TASKS}/WT1\u202e",
    f"{TASKS}/WT1\\..\\..\\Workers\\WK999",
    f"{TASKS}/WT1/",
    f"{TASKS}//WT1",
]


@pytest.mark.parametrize("url", NOT_CANONICAL, ids=[ascii(u) for u in NOT_CANONICAL])
def test_urls_another_server_could_read_otherwise_are_refused(url: str) -> None:
    capability = seed()
    with pytest.raises(ValueError, match="^url "):
        capability.explain("POST", url, post={"ReservationStatus": "accepted"})
    with pytest.raises(ValueError, match="^url "):
        capability.allows("POST", url, post={"ReservationStatus": "accepted"})


@pytest.mark.parametrize(
    ("method", "url", "message"),
    [
        ("PO\u017fT", f"{TASKS}/WT1", "^method must be an HTTP method"),  # upper() is POST
        ("P\u0131ST", f"{TASKS}/WT1", "^method must be an HTTP method"),
        ("POST\r\n", f"{TASKS}/WT1", "^method must be an HTTP method"),
        ("PO ST", f"{TASKS}/WT1", "^method must be an HTTP method"),
        (f"{TASKS}/WT1", "POST", "^method must be an HTTP method"),  # swapped
        ("POST", "not-a-url", "^url must be an absolute http"),
        ("POST", "/v1/Workspaces/WS456/Tasks/WT1", "^url must be an absolute http"),
        ("POST", "ftp://taskrouter.twilio.com/v1/Workspaces/WS456/Tasks/WT1", "^url must be an abs"),
        ("POST", "https:///v1/Workspaces/WS456/Tasks/WT1", "^url must be an absolute http"),
        ("POST", "https://evil.test@taskrouter.twilio.com/v1/Workspaces/WS456/Tasks/WT1",
         "^url must not carry user information"),
        ("POST", f"{TASKS}/WT1#x", "^url must not have a #fragment"),
    ],
)
def test_bad_methods_and_urls_are_value_errors(method: str, url: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        seed().explain(method, url, post={"ReservationStatus": "accepted"})


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"post": ["Apple"]}, r"^post must be a mapping or \(name, value\) pairs; post\[0\] is str"),
        ({"post": [("ActivitySid",)]}, r"^post must be a mapping .*post\[0\] is tuple"),
        ({"post": [("ActivitySid", "WA1", "x")]}, r"^post must be a mapping"),
        ({"post": 42}, r"^post must be a mapping or \(name, value\) pairs, not int"),
        ({"query": object()}, r"^query must be a mapping or \(name, value\) pairs, not object"),
        ({"query": "ActivitySid=WA1"}, r"^query must be a mapping"),
        ({"post": [b"AB"]}, r"^post must be a mapping"),
    ],
)
def test_params_that_are_neither_a_mapping_nor_pairs_are_type_errors(
    kwargs: dict[str, Any], message: str
) -> None:
    with pytest.raises(TypeError, match=message):
        seed().allows("POST", WORKER, **kwargs)


def test_canonical_requests_still_decide() -> None:
    capability = seed()
    assert capability.allows("POST", f"{TASKS}/WT1", post={"ReservationStatus": "a"})
    assert capability.allows("post", WORKER, post=[("ActivitySid", "WA1")])
    # Scheme and host case, and the default port, are the same resource.
    assert capability.allows("POST", "HTTPS://TaskRouter.Twilio.com:443/v1/Workspaces/WS456/"
                             "Tasks/WT1", post={"ReservationStatus": "a"})
    # The path's case is not: it is compared exactly.
    assert not capability.allows("POST", f"{API}/tasks/WT1", post={"ReservationStatus": "a"})


CLI_BAD = [
    ("POST", f"{TASKS}/%2e%2e/Workers/WK999"),
    ("POST", f"{TASKS}/../Workers/WK999"),
    ("POST", f"{TASKS}//"),
    ("POST", f"{TASKS}/WT1\r\nX: 1"),
    ("PO\u017fT", f"{TASKS}/WT1"),
    (f"{TASKS}/WT1", "POST"),
    ("POST", "not-a-url"),
]


@pytest.mark.parametrize(("method", "url"), CLI_BAD, ids=[ascii(c) for c in CLI_BAD])
def test_cli_check_gives_status_2(method: str, url: str) -> None:
    token = seed().generate_token()
    result = run("check", method, url, "--post", "ReservationStatus=accepted", token,
                 env={"TWILIO_AUTH_TOKEN": "secret"})
    assert result.returncode == 2, (result.stdout, result.stderr)
    assert result.stdout == "" and "Traceback" not in result.stderr
    assert token not in result.stderr


# -- the fuzz property ---------------------------------------------------------

_UNRESERVED = set(string.ascii_letters + string.digits + "-._~")
_PERCENT = re.compile(r"%([0-9A-Fa-f]{2})")


def _remove_dot_segments(path: str) -> str:
    """RFC 3986 section 5.2.4, as written there."""
    out: list[str] = []
    while path:
        if path.startswith("../"):
            path = path[3:]
        elif path.startswith("./"):
            path = path[2:]
        elif path.startswith("/./"):
            path = "/" + path[3:]
        elif path == "/.":
            path = "/"
        elif path.startswith("/../"):
            path = "/" + path[4:]
            if out:
                out.pop()
        elif path == "/..":
            path = "/"
            if out:
                out.pop()
        elif path in (".", ".."):
            path = ""
        else:
            start = 1 if path.startswith("/") else 0
            end = path.find("/", start)
            end = len(path) if end < 0 else end
            out.append(path[:end])
            path = path[end:]
    return "".join(out)


def normalise(url: str) -> str | None:
    """RFC 3986 section 6.2.2 syntax-based normalisation (case, percent-
    encoding, dot-segments) plus the default port (6.2.3); None for what is
    not an absolute http(s) URL with a host."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https") or not parts.hostname:
        return None
    host = parts.hostname.lower()
    if port is not None and port != {"http": 80, "https": 443}[scheme]:
        host += f":{port}"

    def fix(match: re.Match[str]) -> str:
        char = chr(int(match[1], 16))
        return char if char in _UNRESERVED else "%" + match[1].upper()

    path = _remove_dot_segments(_PERCENT.sub(fix, parts.path)) or "/"
    return f"{scheme}://{host}{path}"


def names(policy_url: str, request: str) -> bool:
    """Whether the normalised `policy_url` names the normalised `request`."""
    if policy_url.endswith("/**"):
        base = normalise(policy_url[:-3])
        return base is not None and request.startswith(base.rstrip("/") + "/") and len(
            request) > len(base.rstrip("/")) + 1
    return normalise(policy_url) == request


SEGMENTS = ["v1", "Workspaces", "WS1", "Workers", "WK1", "WK2", "Tasks", "**", "*", ".", "..",
            "%2e", "%2E%2e", "%2f", "%2F", "", "%57K1", "WK%31", "a b", "\r\n", "\u00e9", "~",
            "WK1?x=1", "#f", ";", "WK1%00", "\\", "..", "wk1", "TASKS", "WK1;x"]
BASES = ["https://x.test", "HTTPS://X.TEST", "https://x.test:443", "http://x.test",
         "https://u@x.test", "https://x.test:8443", "x.test", "not-a-url", "https:", "//x.test"]
url_text = st.builds(lambda base, segs: base + "".join("/" + s for s in segs),
                     st.sampled_from(BASES[:1]) | st.sampled_from(BASES),
                     st.lists(st.sampled_from(SEGMENTS[:7]) | st.sampled_from(SEGMENTS), max_size=5))
policies = st.lists(
    st.builds(
        lambda url, subtree, method, allow: Policy(url + ("/**" if subtree else ""), method, allow),
        url_text, st.booleans(), st.sampled_from(["GET", "POST", "get"]), st.booleans(),
    ),
    max_size=5,
)
methods = st.sampled_from(["GET", "POST", "post"]) | st.sampled_from(
    ["PO\u017fT", "G\u0130T", "https://x.test/a", "GE T", "GET\r\n"])
CLEAN = st.sampled_from(["WK1", "Tasks", "x1"])


@given(policies=policies, method=methods, data=st.data())
def test_the_model_never_allows_what_no_policy_names(
    policies: list[Policy], method: str, data: st.DataObject
) -> None:
    # The request: any URL, or (to reach "allowed" often) a policy's URL
    # with more segments, some of them tricks.
    near = [p.url.removesuffix("/**") for p in policies]
    url = data.draw(url_text if not near or data.draw(st.booleans()) else st.builds(
        lambda base, segs: base + "".join("/" + s for s in segs),
        st.sampled_from(near), st.lists(CLEAN | st.sampled_from(SEGMENTS), max_size=3)))
    try:
        decision = explain(policies, method, url)
    except ValueError:
        return  # refused: never a quiet answer
    request = normalise(url)
    assert request is not None, url
    upper = method.upper()
    # A deny's path is compared ignoring case (the reading that denies);
    # a deny the model cannot read names every URL.
    named = [p for p in policies if p.method == upper and (
        names(p.url, request) if p.allow else
        names(p.url.lower(), request.lower()) or not _canonical(p.url.removesuffix("/**")))]
    if decision.allowed:
        # Allowed only if an allow policy names the normalised request, and
        # no deny policy does.
        assert any(p.allow for p in named), (decision, request)
        assert all(p.allow for p in named), (decision, request, named)
    if all(_canonical(p.url.removesuffix("/**")) for p in policies):
        # Over canonical policies the model decides exactly so.
        expected = any(p.allow for p in named) and all(p.allow for p in named)
        assert decision.allowed is expected, (decision, request, named)
    assert allows(policies, method, url) is decision.allowed


def _canonical(url: str) -> bool:
    """Whether `url`'s path is its own normal form (up to an empty path),
    printable ASCII, without user info, query, empty segments, ';' or '*'
    (the scheme and host in any case, a default port or not)."""
    form = normalise(url)
    path = urlsplit(url).path
    return (url.isascii() and url.isprintable() and " " not in url and "@" not in url
            and "?" not in url and "#" not in url and "//" not in path
            and not any(c in url for c in ";*%\\") and not path.endswith("/")
            and form is not None and urlsplit(form).path == (path or "/"))


def test_a_deny_covers_what_it_could_cover_on_the_server() -> None:
    # A deny whose URL a server could read in more than one way is read as
    # naming every URL (issue 19, item 7: before, it was normalised one way
    # and could miss another); an allow that is not canonical allows nothing.
    everything = Policy("https://x.test/**", "GET")
    for spelled in ("https://x.test/a/%62/../%62", "https://x.test/c//d"):
        deny = Policy(spelled, "GET", False)
        for url in ("https://x.test/a/b", "https://x.test/c/d", "https://x.test/e/f"):
            decision = explain([everything, deny], "GET", url)
            assert not decision.allowed and decision.index == 1, decision
            assert "read as naming every URL" in decision.reason
        # Its method still counts: a deny of GET denies no POST.
        assert allows([Policy("https://x.test/**", "POST"), deny], "POST", "https://x.test/a/b")
    not_canonical = Policy("https://x.test/e/./f", "GET", True)
    assert allows([everything, not_canonical], "GET", "https://x.test/e/f")  # by the subtree allow
    assert not allows([not_canonical], "GET", "https://x.test/e/f")
