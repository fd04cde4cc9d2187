"""A deny in any spelling still denies (issue 19, item 7).

On 7899688 a deny whose URL carried a fragment, user information, a
trailing space or an inner tab, an encoded slash or a trailing-dot host
matched no request, and ``allows()`` said "allowed" where TaskRouter may
deny.  The rule now (docs/policies.md, "Policy URLs a server could read in
more than one way"): a policy URL is *readable* when it is in the one form
the model takes for a request, without a query string and without a ``*``
but in a final ``/**``.  A readable deny names its URL (its path in any
case); an unreadable deny names every URL of its method, and ``explain``
says which policy was read so, and why; an unreadable allow names no
request.  :func:`check_policy_url` refuses an unreadable URL with a
ValueError naming ``url``.
"""

from __future__ import annotations

import string
import pytest
from hypothesis import given
from hypothesis import strategies as st

from twilio_trcap import REQUIRED, Policy, TaskRouterCapability, decode_token
from twilio_trcap.check import allows, check_policy_url, explain

HOST = "taskrouter.twilio.com"
API = f"https://{HOST}/v1/Workspaces/WS456"
TASKS = f"{API}/Tasks"
TARGET = f"{TASKS}/WT1"  # the request every spelling below names
RESERVATION = {"ReservationStatus": "accepted"}

# Each names TARGET (or a subtree holding it) on some server, in a spelling
# another server reads otherwise; each was "allowed" on 7899688 beside the
# seed's POST .../Tasks/** allow.  By class (RFC 3986 component):
SPELLINGS = {
    # the five of the issue
    "fragment": f"{TARGET}#",
    "fragment with text": f"{TARGET}#x",
    "user info": f"https://u@{HOST}/v1/Workspaces/WS456/Tasks/WT1",
    "trailing space": f"{TARGET} ",
    "inner tab": f"{TASKS}/W\tT1",
    "encoded slash": f"{API}/Tasks%2FWT1",
    "trailing-dot host": f"https://{HOST}./v1/Workspaces/WS456/Tasks/WT1",
    # characters: whitespace and controls anywhere (WHATWG drops tabs and
    # newlines, trims C0 and spaces), non-ASCII
    "leading space": f" {TARGET}",
    "inner newline": f"{TASKS}/W\nT1",
    "trailing CR LF": f"{TARGET}\r\n",
    "trailing NUL": f"{TARGET}\x00",
    "inner DEL": f"{TASKS}/W\x7fT1",
    "non-ASCII": f"{TASKS}/WT1\u00e9",
    "bidi override": f"{TASKS}/WT1\u202e",
    # authority: user info forms, host and port spellings
    "user and password": f"https://u:p@{HOST}/v1/Workspaces/WS456/Tasks/WT1",
    "empty user info": f"https://@{HOST}/v1/Workspaces/WS456/Tasks/WT1",
    "encoded host": f"https://%74askrouter.twilio.com/v1/Workspaces/WS456/Tasks/WT1",
    "empty host label": f"https://taskrouter..twilio.com/v1/Workspaces/WS456/Tasks/WT1",
    "empty port": f"https://{HOST}:/v1/Workspaces/WS456/Tasks/WT1",
    "port with leading zero": f"https://{HOST}:0443/v1/Workspaces/WS456/Tasks/WT1",
    "port with sign": f"https://{HOST}:+443/v1/Workspaces/WS456/Tasks/WT1",
    "port beyond 65535": f"https://{HOST}:65979/v1/Workspaces/WS456/Tasks/WT1",
    "short IPv4": "https://127.1/v1/Workspaces/WS456/Tasks/WT1",
    "hex IPv4": "https://0x7f.0.0.1/v1/Workspaces/WS456/Tasks/WT1",
    "octal IPv4": "https://0177.0.0.1/v1/Workspaces/WS456/Tasks/WT1",
    "integer IPv4": "https://2130706433/v1/Workspaces/WS456/Tasks/WT1",
    "IPv6 literal": "https://[::ffff:127.0.0.1]/v1/Workspaces/WS456/Tasks/WT1",
    # path: percent-encoding of any character, dot and empty segments,
    # backslashes, path parameters
    "encoded slash, lower case": f"{API}/Tasks%2fWT1",
    "encoded unreserved": f"{TASKS}/%57T1",
    "encoded dot segment": f"{TASKS}/%2e/WT1",
    "encoded dot-dot": f"{TASKS}/x/%2e%2e/WT1",
    "encoded backslash": f"{API}/Tasks%5cWT1",
    "dot segment": f"{TASKS}/./WT1",
    "dot-dot segment": f"{TASKS}/x/../WT1",
    "empty segment": f"{TASKS}//WT1",
    "trailing slash": f"{TARGET}/",
    "backslash": f"{API}/Tasks\\WT1",
    "path parameter": f"{TASKS}/WT1;x",
    "path parameter mid-path": f"{TASKS};x/WT1",
    # query and wildcards: not part of a request's URL here
    "query": f"{TARGET}?x=1",
    "empty query": f"{TARGET}?",
    "star segment": f"{TASKS}/*",
    "inner double star": f"{API}/**/WT1",
    "star in a segment": f"{TASKS}/WT*",
}
# A subtree deny in the same spellings covers TARGET too.
SUBTREE_SPELLINGS = {
    "fragment": f"{TASKS}/**#",
    "user info": f"https://u@{HOST}/v1/Workspaces/WS456/Tasks/**",
    "trailing space": f"{TASKS}/** ",
    "trailing-dot host": f"https://{HOST}./v1/Workspaces/WS456/Tasks/**",
    "encoded slash": f"{API}%2FTasks/**",
    "empty segment": f"{TASKS}//**",
    "host root, empty segment": f"https://{HOST}//**",
    "port with leading zero": f"https://{HOST}:0443/v1/Workspaces/WS456/Tasks/**",
}


def seed() -> TaskRouterCapability:
    capability = TaskRouterCapability("AC123", "secret", "WS456", "WK789")
    capability.allow_task_reservation_updates()  # POST .../Tasks/**
    return capability


def _cases() -> list[tuple[str, str]]:
    return list(SPELLINGS.items()) + [(f"subtree, {k}", v) for k, v in SUBTREE_SPELLINGS.items()]


@pytest.mark.parametrize(("name", "url"), _cases(), ids=[c[0] for c in _cases()])
def test_a_deny_in_any_spelling_denies(name: str, url: str) -> None:
    capability = seed()
    capability.deny(url, "POST")
    index = len(capability.policies) - 1
    decoded = decode_token(capability.generate_token(), "secret")
    for target in (capability, decoded):
        decision = target.explain("POST", TARGET, post=RESERVATION)
        assert not decision.allowed, (name, decision)
        assert decision.index == index and decision.policy is not None
        assert not decision.policy.allow
        # explain says it was read as naming every URL, and why.
        assert "read as naming every URL" in decision.reason, decision.reason
        assert "; its url " in decision.reason, decision.reason
        assert not target.allows("POST", TARGET, post=RESERVATION)
        # The policy is shown escaped, never raw: no control character
        # reaches a terminal through the reason.
        assert decision.reason.isprintable() and decision.reason.isascii()
        # A deny of POST still denies no GET.
        assert target.explain("GET", TARGET).reason.startswith("denied: no policy matches")


@pytest.mark.parametrize(("name", "url"), _cases(), ids=[c[0] for c in _cases()])
def test_such_a_url_is_refused_by_name(name: str, url: str) -> None:
    with pytest.raises(ValueError, match=r"^url ") as caught:
        check_policy_url(url)
    message = str(caught.value)
    assert "policy url '" in message and message.isascii() and message.isprintable()


@pytest.mark.parametrize(("name", "url"), _cases(), ids=[c[0] for c in _cases()])
def test_such_an_allow_allows_nothing(name: str, url: str) -> None:
    # The other side of the rule: an allow the model cannot read names no
    # request (it never widens access), and explain says so.
    policies = [Policy(url, "POST")]
    decision = explain(policies, "POST", TARGET, post=RESERVATION)
    assert not decision.allowed and decision.policy is None
    assert "policy 0 (allow POST '" in decision.reason and "names no request: url " in decision.reason


def test_a_long_or_hostile_url_is_shown_as_a_short_excerpt() -> None:
    url = f"{TASKS}/WT1#" + "\x1b[2J" * 100_000
    with pytest.raises(ValueError) as caught:
        check_policy_url(url)
    assert len(str(caught.value)) < 400 and "\x1b" not in str(caught.value)
    assert f"({len(url)} characters)" in str(caught.value)
    decision = explain([Policy(url, "POST", False)], "POST", TARGET)
    assert len(decision.reason) < 400 and "\x1b" not in decision.reason


@pytest.mark.parametrize("url", [
    TARGET, f"{TASKS}/**", f"https://{HOST}/**", f"HTTPS://TaskRouter.Twilio.COM:443/v1/Workspaces/WS456",
    "http://127.0.0.1:8080/a", "http://localhost/a_b/c-d/~e/f.g/h:i/j@k/l!$&'()+,=",
])
def test_readable_urls_pass(url: str) -> None:
    check_policy_url(url)


def test_a_readable_deny_compares_its_path_ignoring_case() -> None:
    # Whether TaskRouter's paths are case-sensitive is not documented: a
    # deny takes the reading that denies, an allow the one that does not.
    capability = seed()
    capability.deny(f"{API}/tasks/wt1", "POST")
    decision = capability.explain("POST", TARGET, post=RESERVATION)
    assert not decision.allowed and "compared ignoring case" in decision.reason
    lower = [Policy(f"{API}/tasks/**", "POST")]
    assert not allows(lower, "POST", TARGET, post=RESERVATION)


@pytest.mark.parametrize("url", [
    # The same spellings as requests: the model refuses them (a ValueError),
    # never a quiet answer: a deny of the canonical URL cannot be bypassed
    # by a request written another way.
    f"https://{HOST}./v1/Workspaces/WS456/Tasks/WT1",
    f"https://{HOST}:0443/v1/Workspaces/WS456/Tasks/WT1",
    f"https://{HOST}:/v1/Workspaces/WS456/Tasks/WT1",
    "https://%74askrouter.twilio.com/v1/Workspaces/WS456/Tasks/WT1",
    "https://[::1]/v1/Workspaces/WS456/Tasks/WT1",
    "https://127.1/v1/Workspaces/WS456/Tasks/WT1",
    f"{TASKS}/WT1;jsessionid=1",
    f"{TASKS};x/WT1",
    f"{TARGET}?ReservationStatus=accepted;Extra=1",
])
def test_requests_in_those_spellings_are_refused(url: str) -> None:
    capability = seed()
    capability.deny(TARGET, "POST")
    with pytest.raises(ValueError, match=r"^url "):
        capability.explain("POST", url, post=RESERVATION)


def test_a_query_split_at_a_semicolon_cannot_dodge_a_deny_filter() -> None:
    # Some servers split parameters at ';' too: on 7899688 the model read
    # "?A=1;Extra=1" as the one name A, and this deny did not apply.
    capability = seed()
    capability.deny(f"{TASKS}/**", "POST", query_filter={"Extra": REQUIRED})
    with pytest.raises(ValueError, match=r"^url query must not hold ';'"):
        capability.allows("POST", f"{TARGET}?A=1;Extra=1", post=RESERVATION)
    assert not capability.allows("POST", f"{TARGET}?A=1&Extra=1", post=RESERVATION)


# -- the property --------------------------------------------------------------

SEGMENT = st.text(string.ascii_letters + string.digits + "-_~", min_size=1, max_size=6)


def _encode(char: str) -> str:
    return f"%{ord(char):02X}"


@st.composite
def spelled(draw: st.DrawFn) -> tuple[str, str, str]:
    """A canonical request URL U, and a URL that a server could normalise
    to U (RFC 3986 section 6, WHATWG's parser, a case-insensitive or a
    path-parameter-dropping server; every step optional), as its body and
    its tail."""
    segments = draw(st.lists(SEGMENT, min_size=1, max_size=4))
    request = f"https://{HOST}/" + "/".join(segments)
    scheme = draw(st.sampled_from(["https", "HTTPS", "Https"]))
    host = draw(st.sampled_from([HOST, HOST.upper(), HOST + ".", "%74askrouter.twilio.com"]))
    user = draw(st.sampled_from(["", "", "u@", "u:p@", "@"]))
    port = draw(st.sampled_from(["", "", ":443", ":0443", ":", ":00443"]))
    parts = []
    for segment in segments:
        if draw(st.booleans()):  # percent-encode one character
            at = draw(st.integers(0, len(segment) - 1))
            segment = segment[:at] + _encode(segment[at]) + segment[at + 1:]
        if draw(st.integers(0, 4)) == 0:
            segment = draw(st.sampled_from(["./", "x/../", "/", "x%2F..%2F", "x;p/../"])) + segment
        if draw(st.integers(0, 5)) == 0:
            segment = segment.upper() if draw(st.booleans()) else segment.lower()
        parts.append(segment)
    sep = draw(st.sampled_from(["/", "/", "/", "\\", "%2F", "%2f", "/./", "//"]))
    body = f"{scheme}://{user}{host}{port}/" + sep.join(parts)
    if draw(st.integers(0, 5)) == 0:
        at = draw(st.integers(len(scheme) + 3, len(body)))
        body = body[:at] + draw(st.sampled_from(["\t", "\n", "\r"])) + body[at:]
    tail = draw(st.sampled_from(["", "", "", "#", "#x", " ", "\t", "\n", "/", "/.", ";p"]))
    return request, body, tail


@given(pair=spelled(), subtree=st.booleans())
def test_a_deny_of_any_spelling_of_u_denies_u_or_is_refused(
    pair: tuple[str, str, str], subtree: bool
) -> None:
    request, body, tail = pair
    # As a subtree: the spelling without its last segment, then "/**".
    deny_url = body.rsplit("/", 1)[0] + "/**" + tail if subtree else body + tail
    policies = [Policy(f"https://{HOST}/**", "GET"), Policy(deny_url, "GET", False)]
    decision = explain(policies, "GET", request)
    assert not decision.allowed, (deny_url, request, decision)
    try:
        check_policy_url(deny_url)
    except ValueError as exc:
        assert str(exc).startswith("url ")
        assert decision.index == 1 and "read as naming every URL" in decision.reason


@given(pair=spelled())
def test_an_allow_in_another_spelling_allows_only_if_readable(pair: tuple[str, str, str]) -> None:
    request, body, tail = pair
    url = body + tail
    if allows([Policy(url, "GET")], "GET", request):
        check_policy_url(url)  # readable, so it names exactly the request
        assert url.lower().replace(":443/", "/", 1) == request.lower()
