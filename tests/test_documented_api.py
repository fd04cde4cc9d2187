"""The documented twilio 4.0 TaskRouterCapability, claim by claim.

Facts from twilio-python 4.0.0 ``twilio/task_router/__init__.py``; the
golden vectors in tests/vectors/ check the same against that release's own
output (test_reference_vectors.py).
"""

from __future__ import annotations

import json

import pytest

from conftest import header_text, payload_pairs, pyjwt_reencode
from twilio_trcap import REQUIRED, Policy, TaskRouterCapability, make_policy

NOW = 1_700_000_000
WS_URL = "https://event-bridge.twilio.com/v1/wschannels/AC123/WK789"
API = "https://taskrouter.twilio.com/v1/Workspaces/WS456"


def policy(url: str, method: str, post_filter: dict | None = None) -> dict:
    return {
        "url": url,
        "method": method,
        "allow": True,
        "query_filter": {},
        "post_filter": post_filter or {},
    }


DEFAULTS = [
    policy(WS_URL, "GET"),
    policy(WS_URL, "POST"),
    policy(f"{API}/Activities", "GET"),
]
FETCH = policy(f"{API}/Workers/WK789", "GET")
ACTIVITY = policy(f"{API}/Workers/WK789", "POST", {"ActivitySid": {"required": True}})
RESERVATION = policy(f"{API}/Tasks/**", "POST", {"ReservationStatus": {"required": True}})


def claims(token: str) -> dict:
    return json.loads(payload_pairs_to_json(token))


def payload_pairs_to_json(token: str) -> str:
    from conftest import payload_text

    return payload_text(token)


def test_default_policies_in_order(doc_capability: TaskRouterCapability) -> None:
    assert [p.to_dict() for p in doc_capability.policies] == DEFAULTS
    assert claims(doc_capability.generate_token(now=NOW))["policies"] == DEFAULTS


@pytest.mark.parametrize(
    ("method", "expected"),
    [
        ("allow_worker_fetch_attributes", FETCH),
        ("allow_worker_activity_updates", ACTIVITY),
        ("allow_task_reservation_updates", RESERVATION),
    ],
)
def test_each_permission_appends_its_policy(
    doc_capability: TaskRouterCapability, method: str, expected: dict
) -> None:
    getattr(doc_capability, method)()
    assert claims(doc_capability.generate_token(now=NOW))["policies"] == DEFAULTS + [expected]


def test_policies_are_appended_in_call_order(doc_capability: TaskRouterCapability) -> None:
    doc_capability.allow_task_reservation_updates()
    doc_capability.allow_worker_fetch_attributes()
    doc_capability.allow_worker_activity_updates()
    doc_capability.allow_worker_fetch_attributes()
    token = doc_capability.generate_token(now=NOW)
    assert claims(token)["policies"] == DEFAULTS + [RESERVATION, FETCH, ACTIVITY, FETCH]


def test_claims_in_the_reference_order(doc_capability: TaskRouterCapability) -> None:
    token = doc_capability.generate_token(now=NOW)
    pairs = payload_pairs(token)
    assert [name for name, _ in pairs] == [
        "version",
        "friendly_name",
        "policies",
        "iss",
        "exp",
        "account_sid",
        "channel",
        "worker_sid",
        "workspace_sid",
    ]
    c = dict(pairs)
    assert c["version"] == "v1"
    assert c["friendly_name"] == "WK789"
    assert c["iss"] == "AC123"
    assert c["account_sid"] == "AC123"
    assert c["channel"] == "WK789"
    assert c["worker_sid"] == "WK789"
    assert c["workspace_sid"] == "WS456"


def test_header_is_hs256_jwt(doc_capability: TaskRouterCapability) -> None:
    assert header_text(doc_capability.generate_token()) == '{"alg":"HS256","typ":"JWT"}'


def test_default_ttl_is_one_hour(doc_capability: TaskRouterCapability) -> None:
    assert claims(doc_capability.generate_token(now=NOW))["exp"] == NOW + 3600


def test_ttl_is_in_seconds(doc_capability: TaskRouterCapability) -> None:
    assert claims(doc_capability.generate_token(ttl=600, now=NOW))["exp"] == NOW + 600
    assert claims(doc_capability.generate_token(600, now=NOW))["exp"] == NOW + 600


def test_exp_follows_the_clock(doc_capability: TaskRouterCapability) -> None:
    import time

    before = int(time.time())
    exp = claims(doc_capability.generate_token(ttl=600))["exp"]
    after = int(time.time())
    assert before + 600 <= exp <= after + 600


def test_documented_example_is_byte_exact_with_pyjwt() -> None:
    capability = TaskRouterCapability("AC123", "secret", "WS456", "WK789")
    capability.allow_worker_fetch_attributes()
    capability.allow_worker_activity_updates()
    capability.allow_task_reservation_updates()
    token = capability.generate_token()
    assert token == pyjwt_reencode(token, "secret")
    token = capability.generate_token(ttl=600)
    assert token == pyjwt_reencode(token, "secret")


def test_constructor_urls_and_version() -> None:
    capability = TaskRouterCapability(
        "AC1",
        "k",
        "WS1",
        "WK1",
        base_url="https://example.test",
        version="v2",
        base_ws_url="wss://events.example.test/ch",
    )
    capability.allow_worker_fetch_attributes()
    c = claims(capability.generate_token(now=NOW))
    assert c["version"] == "v2"
    assert [p["url"] for p in c["policies"]] == [
        "wss://events.example.test/ch/AC1/WK1",
        "wss://events.example.test/ch/AC1/WK1",
        "https://example.test/v2/Workspaces/WS1/Activities",
        "https://example.test/v2/Workspaces/WS1/Workers/WK1",
    ]
    assert capability.base_url == "https://example.test/v2"
    assert capability.workspace_url == "https://example.test/v2/Workspaces/WS1"
    assert capability.worker_url == "https://example.test/v2/Workspaces/WS1/Workers/WK1"


def test_attributes_are_readable(doc_capability: TaskRouterCapability) -> None:
    assert doc_capability.account_sid == "AC123"
    assert doc_capability.workspace_sid == "WS456"
    assert doc_capability.worker_sid == "WK789"
    assert doc_capability.version == "v1"
    assert doc_capability.base_url == "https://taskrouter.twilio.com/v1"
    assert doc_capability.base_ws_url == "https://event-bridge.twilio.com/v1/wschannels"


def test_attributes_are_read_only(doc_capability: TaskRouterCapability) -> None:
    with pytest.raises(AttributeError):
        doc_capability.worker_sid = "WK000"  # type: ignore[misc]


def test_policies_read_like_twilio_dicts(doc_capability: TaskRouterCapability) -> None:
    policies = doc_capability.policies
    assert len(policies) == 3
    assert policies[0]["url"] == WS_URL
    assert policies[1]["method"] == "POST"
    assert policies == DEFAULTS
    assert [dict(p) for p in policies] == DEFAULTS
    assert json.loads(json.dumps([p.to_dict() for p in policies])) == DEFAULTS


def test_appending_to_policies_changes_the_token(doc_capability: TaskRouterCapability) -> None:
    before = doc_capability.generate_token(now=NOW)
    extra = make_policy(f"{API}/Tasks", "GET", query_filter={"Status": REQUIRED}, allowed=False)
    doc_capability.policies.append(extra)
    after = doc_capability.generate_token(now=NOW)
    assert after != before
    assert claims(after)["policies"] == DEFAULTS + [
        {
            "url": f"{API}/Tasks",
            "method": "GET",
            "allow": False,
            "query_filter": {"Status": {"required": True}},
            "post_filter": {},
        }
    ]
    assert after == pyjwt_reencode(after, "secret")


def test_appending_a_dict_checks_and_converts_it(doc_capability: TaskRouterCapability) -> None:
    doc_capability.policies.append(policy(f"{API}/Workers", "GET"))
    assert isinstance(doc_capability.policies[-1], Policy)
    assert claims(doc_capability.generate_token(now=NOW))["policies"][-1] == policy(
        f"{API}/Workers", "GET"
    )
    with pytest.raises(ValueError, match="'method'"):
        doc_capability.policies.append({"url": "https://x.test"})
    with pytest.raises(TypeError, match="Policy or a mapping"):
        doc_capability.policies.append("GET /x")  # type: ignore[arg-type]
    assert len(doc_capability.policies) == 4


def test_removing_and_replacing_policies(doc_capability: TaskRouterCapability) -> None:
    del doc_capability.policies[0]
    doc_capability.policies[0] = make_policy(WS_URL, "GET")
    doc_capability.policies.insert(0, make_policy(WS_URL, "DELETE", allowed=False))
    c = claims(doc_capability.generate_token(now=NOW))
    assert [(p["method"], p["allow"]) for p in c["policies"]] == [
        ("DELETE", False),
        ("GET", True),
        ("GET", True),
    ]
    doc_capability.policies.clear()
    assert claims(doc_capability.generate_token(now=NOW))["policies"] == []


def test_policy_values_are_immutable(doc_capability: TaskRouterCapability) -> None:
    first = doc_capability.policies[0]
    with pytest.raises(TypeError):
        first["url"] = "https://elsewhere.test"  # type: ignore[index]
    with pytest.raises(AttributeError):
        first.url = "https://elsewhere.test"  # type: ignore[misc]
    first.post_filter["X"] = REQUIRED  # a copy: the token does not change
    assert claims(doc_capability.generate_token(now=NOW))["policies"] == DEFAULTS


def test_attributes_argument_is_ignored_with_a_warning(
    doc_capability: TaskRouterCapability,
) -> None:
    with pytest.warns(UserWarning, match="ignored"):
        token = doc_capability.generate_token(now=NOW, attributes={"x": 1})
    assert token == doc_capability.generate_token(now=NOW)


def test_same_time_same_token(doc_capability: TaskRouterCapability) -> None:
    first = doc_capability.generate_token(now=NOW)
    assert doc_capability.generate_token(now=NOW) == first
    twin = TaskRouterCapability("AC123", b"secret", "WS456", "WK789")
    assert twin.generate_token(now=NOW) == first
