"""allows() and explain(): the local policy model of docs/policies.md, on
every default policy set of every capability class (the seed class request
by request), on tokens minted by the reference library (twilio 9.x and the
old releases' vectors), and on its own edges."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from urllib.parse import urlsplit
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from twilio.jwt.taskrouter.capabilities import (
    TaskQueueCapabilityToken,
    WorkerCapabilityToken,
    WorkspaceCapabilityToken,
)

from test_every_class import CAPABILITIES, KEY, mint
from twilio_trcap import (
    OPTIONAL,
    REQUIRED,
    Decision,
    Policy,
    TaskRouterCapability,
    decode_token,
    make_policy,
)
from twilio_trcap.check import allows, explain

NOW = 1_700_000_000
WS = "https://event-bridge.twilio.com/v1/wschannels/AC123/WK789"
API = "https://taskrouter.twilio.com/v1/Workspaces/WS456"
WORKER = f"{API}/Workers/WK789"
TASKS = f"{API}/Tasks"


def seed(*permissions: str) -> TaskRouterCapability:
    capability = TaskRouterCapability("AC123", "secret", "WS456", "WK789")
    for name in permissions:
        getattr(capability, f"allow_{name}")()
    return capability


FETCH, ACTIVITY, RESERVATION = (
    "worker_fetch_attributes", "worker_activity_updates", "task_reservation_updates"
)

# (method, url, query, post, deciding policy index or None)
DEFAULTS_ONLY = [
    ("GET", WS, None, None, 0),
    ("POST", WS, None, None, 1),
    ("get", WS, None, None, 0),
    ("Post", WS, None, None, 1),
    ("DELETE", WS, None, None, None),
    ("GET", f"{WS}/more", None, None, None),
    ("GET", f"{API}/Activities", None, None, 2),
    ("GET", f"{API}/Activities?PageSize=50", None, None, 2),
    ("GET", f"{API}/Activities/WA1", None, None, None),
    ("POST", f"{API}/Activities", None, None, None),
    ("GET", f"{API}/activities", None, None, None),  # URLs compare exactly
    ("GET", WORKER, None, None, None),
    ("POST", WORKER, None, {"ActivitySid": "WA1"}, None),
    ("POST", f"{TASKS}/WT1/Reservations/WR1", None, {"ReservationStatus": "accepted"}, None),
    ("GET", API, None, None, None),
]

ALL_PERMISSIONS = DEFAULTS_ONLY[:11] + [
    ("GET", WORKER, None, None, 3),
    ("GET", WORKER, {"Anything": "1"}, None, 3),
    ("POST", WORKER, None, {"ActivitySid": "WA1"}, 4),
    ("POST", WORKER, None, [("ActivitySid", "WA1"), ("Other", "x")], 4),
    ("POST", WORKER, None, {"ActivitySid": ""}, 4),  # present, even empty
    ("POST", WORKER, None, None, None),
    ("POST", WORKER, None, {"activitysid": "WA1"}, None),  # names are case-sensitive
    ("POST", WORKER, {"ActivitySid": "WA1"}, None, None),  # a post filter wants the body
    ("POST", f"{WORKER}?ActivitySid=WA1", None, None, None),
    ("DELETE", WORKER, None, None, None),
    ("POST", f"{TASKS}/WT1/Reservations/WR1", None, {"ReservationStatus": "accepted"}, 5),
    ("POST", f"{TASKS}/WT1", None, {"ReservationStatus": "accepted"}, 5),
    ("POST", f"{TASKS}/WT1/a/b/c/d", None, {"ReservationStatus": "x"}, 5),
    ("POST", TASKS, None, {"ReservationStatus": "accepted"}, None),  # /** is not the base
    ("POST", f"{TASKS}X/WT1", None, {"ReservationStatus": "accepted"}, None),
    ("POST", f"{TASKS}/WT1", None, None, None),
    ("GET", f"{TASKS}/WT1", None, None, None),
    ("GET", API, None, None, None),
]


def _check(target: Any, method: str, url: str, query: Any, post: Any, index: int | None) -> None:
    decision = target.explain(method, url, query=query, post=post)
    assert isinstance(decision, Decision)
    assert decision.allowed is (index is not None), decision
    assert bool(decision) is decision.allowed
    assert decision.index == index
    assert target.allows(method, url, query=query, post=post) is decision.allowed
    if index is None:
        assert decision.policy is None
        assert decision.reason.startswith("denied: no policy matches")
    else:
        assert decision.policy == target.policies[index]
        assert decision.reason.startswith(f"allowed by policy {index} ")


@pytest.mark.parametrize(("method", "url", "query", "post", "index"), DEFAULTS_ONLY)
def test_seed_defaults(method: str, url: str, query: Any, post: Any, index: int | None) -> None:
    capability = seed()
    _check(capability, method, url, query, post, index)
    _check(decode_token(capability.generate_token(now=NOW), "secret", now=NOW),
           method, url, query, post, index)


@pytest.mark.parametrize(("method", "url", "query", "post", "index"), ALL_PERMISSIONS)
def test_seed_with_every_permission(
    method: str, url: str, query: Any, post: Any, index: int | None
) -> None:
    capability = seed(FETCH, ACTIVITY, RESERVATION)
    _check(capability, method, url, query, post, index)
    _check(decode_token(capability.generate_token(now=NOW), "secret", now=NOW),
           method, url, query, post, index)


@pytest.mark.parametrize(
    ("permission", "method", "url", "post"),
    [
        (FETCH, "GET", WORKER, None),
        (ACTIVITY, "POST", WORKER, {"ActivitySid": "WA1"}),
        (RESERVATION, "POST", f"{TASKS}/WT1/Reservations/WR1", {"ReservationStatus": "x"}),
    ],
)
def test_each_permission_grants_exactly_its_request(
    permission: str, method: str, url: str, post: Any
) -> None:
    before, after = seed(), seed(permission)
    assert not before.allows(method, url, post=post)
    decision = after.explain(method, url, post=post)
    assert decision.allowed and decision.index == 3
    # And nothing else among the requests above changes.
    for other in ALL_PERMISSIONS:
        m, u, q, p, _ = other
        if (m.upper(), u, p) != (method, url, post):
            changed = before.allows(m, u, q, p) != after.allows(m, u, q, p)
            assert not changed or after.explain(m, u, q, p).index == 3, other


def test_the_missing_parameter_is_named() -> None:
    decision = seed(ACTIVITY).explain("POST", WORKER)
    assert not decision.allowed
    assert decision.reason == (
        f"denied: no policy matches POST {WORKER}; policy 3 (allow POST {WORKER}) "
        "requires form parameter 'ActivitySid'"
    )
    capability = seed()
    capability.policies.append(make_policy(f"{API}/Workers", "GET", query_filter={"Available": REQUIRED}))
    assert "requires query parameter 'Available'" in capability.explain("GET", f"{API}/Workers").reason
    assert capability.allows("GET", f"{API}/Workers?Available=1")
    assert capability.allows("GET", f"{API}/Workers", query={"Available": "1"})
    assert capability.allows("GET", f"{API}/Workers?Available")  # blank values count


# -- deny ---------------------------------------------------------------------


@pytest.mark.parametrize("deny_first", [True, False])
def test_a_matching_deny_overrides_every_allow(deny_first: bool) -> None:
    capability = seed(FETCH)
    deny = make_policy(WORKER, "GET", allowed=False)
    if deny_first:
        capability.policies.insert(0, deny)
    else:
        capability.policies.append(deny)
    decision = capability.explain("GET", WORKER)
    assert not decision.allowed
    assert decision.policy == deny
    assert decision.index == (0 if deny_first else 4)
    assert "a matching deny overrides every allow" in decision.reason
    # The deny covers only its own method and URL.
    assert capability.allows("GET", WS)


def test_a_deny_with_a_filter_applies_only_when_it_matches() -> None:
    capability = seed(RESERVATION)
    capability.policies.append(
        make_policy(f"{TASKS}/**", "POST", post_filter={"Instruction": REQUIRED}, allowed=False)
    )
    url = f"{TASKS}/WT1/Reservations/WR1"
    assert capability.allows("POST", url, post={"ReservationStatus": "accepted"})
    decision = capability.explain("POST", url, post={"ReservationStatus": "x", "Instruction": "y"})
    assert not decision.allowed and decision.index == 4


def test_a_subtree_deny_covers_an_exact_allow() -> None:
    capability = seed(FETCH)
    capability.policies.append(make_policy(f"{API}/Workers/**", "GET", allowed=False))
    assert not capability.allows("GET", WORKER)
    assert capability.allows("GET", f"{API}/Activities")


# -- the reference's own tokens -----------------------------------------------


# twilio signs through PyJWT, which warns about keys under 32 bytes.
TW_KEY = "s" * 32


def _twilio_token(token: Any) -> Any:
    return decode_token(token.to_jwt(), TW_KEY)


def test_twilio_worker_capability_defaults() -> None:
    decoded = _twilio_token(WorkerCapabilityToken("AC123", TW_KEY, "WS456", "WK789"))
    allowed = [
        ("GET", WS), ("POST", WS), ("GET", WORKER), ("GET", f"{API}/Activities"),
        ("GET", f"{TASKS}/WT1"), ("GET", f"{TASKS}/WT1/Reservations/WR1"),
        ("GET", f"{WORKER}/Reservations/WR1"),
    ]
    denied = [
        ("POST", WORKER), ("POST", f"{TASKS}/WT1"), ("GET", TASKS),
        ("GET", f"{WORKER}/Reservations"), ("DELETE", WORKER), ("GET", f"{API}/Workers"),
    ]
    for method, url in allowed:
        assert decoded.allows(method, url), (method, url)
    for method, url in denied:
        assert not decoded.allows(method, url), (method, url)


def test_twilio_worker_capability_with_updates() -> None:
    decoded = _twilio_token(WorkerCapabilityToken(
        "AC123", TW_KEY, "WS456", "WK789",
        allow_update_activities=True, allow_update_reservations=True,
    ))
    assert decoded.allows("POST", WORKER, post={"ActivitySid": "WA1"})
    assert not decoded.allows("POST", WORKER)
    assert decoded.allows("POST", f"{TASKS}/WT1/Reservations/WR1")
    assert decoded.allows("POST", f"{WORKER}/Reservations/WR1")


def test_twilio_task_queue_and_workspace_capability_defaults() -> None:
    queue_ws = "https://event-bridge.twilio.com/v1/wschannels/AC123/WQ1"
    queue = _twilio_token(TaskQueueCapabilityToken("AC123", TW_KEY, "WS456", "WQ1"))
    assert [queue.allows(m, u) for m, u in [
        ("GET", queue_ws), ("POST", queue_ws), ("GET", f"{API}/TaskQueues/WQ1"),
        ("POST", f"{API}/TaskQueues/WQ1"), ("GET", f"{API}/TaskQueues/WQ1/Statistics"),
    ]] == [True, True, True, False, False]
    space_ws = "https://event-bridge.twilio.com/v1/wschannels/AC123/WS456"
    space = _twilio_token(WorkspaceCapabilityToken(
        "AC123", TW_KEY, "WS456", allow_fetch_subresources=True, allow_delete_self=True,
    ))
    assert [space.allows(m, u) for m, u in [
        ("GET", space_ws), ("GET", API), ("DELETE", API), ("GET", f"{API}/Workers/WK1"),
        ("DELETE", f"{API}/Workers/WK1"), ("POST", API),
    ]] == [True, True, True, True, False, False]


VECTOR_FILES = sorted((Path(__file__).parent / "vectors").glob("twilio-*.json"))


def _vector_tokens() -> list[tuple[str, str, str | None]]:
    found = []
    for path in VECTOR_FILES:
        for case in json.loads(path.read_text(encoding="utf-8"))["cases"]:
            if case["kind"] == "token":
                found.append((f"{path.stem}:{case['id']}", case["token"], case["auth_token"] or None))
    return found


def _canonical(url: str) -> bool:
    """Whether the model takes `url` as a request (docs/policies.md),
    judged with urllib rather than the model's own code."""
    if not url.isascii() or not url.isprintable() or " " in url:
        return False
    parts = urlsplit(url)
    segments = parts.path.split("/")[1:]
    return (parts.scheme in ("http", "https") and bool(parts.netloc) and "%" not in parts.path
            and not parts.fragment and "@" not in parts.netloc
            and all(seg not in ("", ".", "..") for seg in segments))


def _concrete(url: str) -> str:
    return f"{url[:-3]}/XX1/Sub" if url.endswith("/**") else url


@pytest.mark.parametrize(("token", "key"), [t[1:] for t in _vector_tokens()],
                         ids=[t[0] for t in _vector_tokens()])
def test_every_policy_of_every_reference_token(token: str, key: str | None) -> None:
    # Tokens minted by twilio 4.0.0, 4.5.0 and 5.7.0 (every class, every
    # permission): each allow policy grants its own request, with the
    # parameters its filters require, unless a deny of the same method is
    # also in the token; without a required parameter it does not decide.
    decoded = decode_token(token, key, verify_exp=False, verify_nbf=False)
    assert decoded.verified is (key is not None)
    policies = decoded.policies
    deny_methods = {p.method for p in policies if not p.allow}
    for index, policy in enumerate(policies):
        if not policy.allow or policy.method in deny_methods:
            continue
        query = {name: "1" for name, rule in policy.query_filter.items() if rule == {"required": True}}
        post = {name: "1" for name, rule in policy.post_filter.items() if rule == {"required": True}}
        url = _concrete(policy.url)
        if not _canonical(url):
            # A policy URL with an empty sid or base-URL slash ("//"), control
            # characters or non-ASCII: the model refuses such a request
            # (docs/policies.md), so the policy can grant nothing.
            with pytest.raises(ValueError, match="^url "):
                decoded.explain(policy.method, url, query=query, post=post)
            continue
        decision = decoded.explain(policy.method, url, query=query, post=post)
        assert decision.allowed, (index, decision)
        assert decision.index is not None and decision.index <= index
        if query or post:
            without = decoded.explain(policy.method, url)
            assert without.index != index


# -- the model's edges ----------------------------------------------------------


def test_no_policies_deny_everything() -> None:
    decision = explain([], "GET", WS)
    assert decision == Decision(False, None, None, f"denied: no policy matches GET {WS}")
    assert not allows([], "GET", WS)


def test_policies_as_twilio_dicts() -> None:
    policies = [{"url": WS, "method": "get", "allow": True, "query_filter": {}, "post_filter": {}}]
    decision = explain(policies, "GET", WS)
    assert decision.allowed and decision.policy == Policy(WS, "GET")


def test_optional_and_unknown_filters_require_nothing() -> None:
    policies = [
        Policy(WS, "GET", query_filter={"A": OPTIONAL, "B": {"required": "yes"}, "C": 1}),
    ]
    assert allows(policies, "GET", WS)


def test_subtree_patterns() -> None:
    policies = [Policy("https://x.test/a/**", "GET")]
    assert allows(policies, "GET", "https://x.test/a/b")
    assert allows(policies, "GET", "https://x.test/a/b/c/d")
    assert allows(policies, "GET", "https://x.test/a/b?c=d")
    for url in ("https://x.test/a", "https://x.test/ab", "https://x.test/ab/c",
                "https://x.test/a?b=c", "http://x.test/a/b"):
        assert not allows(policies, "GET", url), url
    # A "*" elsewhere than in a final "/**" may be a wildcard on the server:
    # such an allow names no request, such a deny every URL
    # (tests/test_deny_spellings.py).
    inner = [Policy("https://x.test/**/b", "GET")]
    assert not allows(inner, "GET", "https://x.test/**/b")
    assert not allows(inner, "GET", "https://x.test/a/b")


def test_decision_is_a_frozen_value() -> None:
    decision = seed().explain("GET", WS)
    with pytest.raises(dataclasses.FrozenInstanceError):
        decision.allowed = False  # type: ignore[misc]
    assert decision == seed().explain("GET", WS)


@pytest.mark.parametrize(
    ("args", "kwargs", "error", "message"),
    [
        ((1, WS), {}, TypeError, "method must be str"),
        (("GET", None), {}, TypeError, "url must be str"),
        (("", WS), {}, ValueError, "method must not be empty"),
        (("GET", ""), {}, ValueError, "url must not be empty"),
        (("GET", f"{WS}#frag"), {}, ValueError, "fragment"),
        (("GET", WS), {"query": "a=b"}, TypeError, "query must be a mapping"),
        (("GET", WS), {"post": b"a=b"}, TypeError, "post must be a mapping"),
        (("GET", WS), {"post": {1: "x"}}, TypeError, "post names must be str"),
    ],
)
def test_explain_bad_arguments(args: tuple, kwargs: dict, error: type[Exception], message: str) -> None:
    with pytest.raises(error, match=message):
        seed().explain(*args, **kwargs)


urls = st.sampled_from([WS, WORKER, f"{API}/Activities", TASKS, f"{TASKS}/WT1",
                        f"{TASKS}/WT1/Reservations/WR1", API, f"{WORKER}?ActivitySid=1"])
names = st.sets(st.sampled_from(["ActivitySid", "ReservationStatus", "Other"]))


@given(
    permissions=st.sets(st.sampled_from([FETCH, ACTIVITY, RESERVATION])),
    method=st.sampled_from(["GET", "POST", "DELETE", "get", "post"]),
    url=urls, query=names, post=names,
)
def test_capability_and_its_decoded_token_agree(
    permissions: set[str], method: str, url: str, query: set[str], post: set[str]
) -> None:
    capability = seed(*sorted(permissions))
    decoded = decode_token(capability.generate_token(now=NOW), "secret", now=NOW)
    q = dict.fromkeys(query, "1")
    p = dict.fromkeys(post, "1")
    assert capability.explain(method, url, q, p) == decoded.explain(method, url, q, p)


# -- every capability class ----------------------------------------------------


def _request_for(policy: Policy) -> tuple[str, dict[str, str], dict[str, str]]:
    """A concrete request `policy` is about, with the parameters it requires."""
    query = {n: "1" for n, rule in policy.query_filter.items() if rule == {"required": True}}
    post = {n: "1" for n, rule in policy.post_filter.items() if rule == {"required": True}}
    return _concrete(policy.url), query, post


@pytest.mark.parametrize(("name", "factory"), CAPABILITIES, ids=[c[0] for c in CAPABILITIES])
def test_every_default_policy_set_of_every_class(name: str, factory: Any) -> None:
    capability = factory(KEY)
    decoded = decode_token(mint(capability), KEY)
    policies = list(capability.policies)
    assert policies and decoded.policies == policies
    assert all(p.allow for p in policies)  # no class denies by default
    for index, policy in enumerate(policies):
        url, query, post = _request_for(policy)
        for target in (capability, decoded):
            decision = target.explain(policy.method.lower(), url, query=query, post=post)
            assert decision.allowed and decision.index is not None and decision.index <= index
            if query or post:
                assert target.explain(policy.method, url).index != index
    # Nothing else: a method no default policy names, on every default URL.
    for policy in policies:
        assert not capability.allows("PATCH", _concrete(policy.url))
    # A deny of one's own overrides the default allow it matches.
    first = policies[0]
    url, query, post = _request_for(first)
    capability.deny(first.url, first.method)
    decision = capability.explain(first.method, url, query=query, post=post)
    assert not decision.allowed and decision.index == len(policies)
