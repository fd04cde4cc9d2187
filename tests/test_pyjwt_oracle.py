"""Byte-exactness with PyJWT: for every token we mint,
``token == jwt.encode(jwt.decode(token, key), key, algorithm="HS256")``.

PyJWT writes the payload with json.dumps(separators=(",", ":")), so this
checks our JSON (escaping of every code point included), our base64url and
our HMAC at once, over every sid the sid rule admits (docs/security.md)
and arbitrary text for the URLs, the version and the key.
"""

from __future__ import annotations

import json

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from conftest import payload_text, pyjwt_accepts_key, pyjwt_reencode, sid_text
from twilio_trcap import TaskRouterCapability

# Any code point a Python str can hold, lone surrogates included.
any_text = st.text(st.characters(codec=None), min_size=1, max_size=40)
# Text PyJWT can use as a key (UTF-8 encodable: no lone surrogates).
key_text = st.text(st.characters(exclude_categories=["Cs"]), min_size=1, max_size=80)
keys = st.one_of(key_text, st.binary(min_size=1, max_size=200))
permissions = st.lists(
    st.sampled_from(
        [
            "allow_worker_fetch_attributes",
            "allow_worker_activity_updates",
            "allow_task_reservation_updates",
        ]
    ),
    max_size=5,
)


@given(
    account_sid=sid_text("AC"),
    workspace_sid=sid_text("WS"),
    worker_sid=sid_text("WK"),
    key=keys,
    calls=permissions,
    ttl=st.integers(min_value=0, max_value=10**9),
)
def test_tokens_equal_pyjwt_reencoding(
    account_sid: str,
    workspace_sid: str,
    worker_sid: str,
    key: str | bytes,
    calls: list[str],
    ttl: int,
) -> None:
    assume(pyjwt_accepts_key(key))
    capability = TaskRouterCapability(account_sid, key, workspace_sid, worker_sid)
    for call in calls:
        getattr(capability, call)()
    token = capability.generate_token(ttl=ttl)
    assert token == pyjwt_reencode(token, key)
    claims = json.loads(payload_text(token))
    assert (claims["iss"], claims["workspace_sid"], claims["worker_sid"]) == (
        account_sid,
        workspace_sid,
        worker_sid,
    )
    assert len(claims["policies"]) == 3 + len(calls)


@given(
    base_url=any_text,
    version=any_text,
    base_ws_url=any_text,
    key=keys,
)
def test_optional_arguments_equal_pyjwt(
    base_url: str, version: str, base_ws_url: str, key: str | bytes
) -> None:
    assume(pyjwt_accepts_key(key))
    capability = TaskRouterCapability(
        "AC1", key, "WS1", "WK1", base_url=base_url, version=version, base_ws_url=base_ws_url
    )
    capability.allow_worker_fetch_attributes()
    token = capability.generate_token()
    assert token == pyjwt_reencode(token, key)


@given(st.integers(min_value=-(2**62), max_value=2**62))
def test_any_mint_time_equals_pyjwt(now: int) -> None:
    capability = TaskRouterCapability("AC1", "key", "WS1", "WK1")
    token = capability.generate_token(ttl=3600, now=now)
    assert json.loads(payload_text(token))["exp"] == now + 3600
    assert token == pyjwt_reencode(token, "key")


@pytest.mark.parametrize(
    "text",
    [
        '"',
        "\\",
        "/",
        "\x00\x01\x1f\x7f",
        "\b\f\n\r\t",
        "\u2028\u2029",
        "\u00e9\u4e2d",
        "\U0001f600\U0010ffff",
        "\ud800",
        "\udfff\ud800",
        "\ud83d\ude00",
    ],
)
def test_escaping_edge_cases_equal_pyjwt(text: str) -> None:
    # Sids are letters and digits (docs/security.md); the version is free
    # text, written into a claim and into every policy URL.
    capability = TaskRouterCapability("AC1", "key", "WS1", "WK1", version=text)
    capability.allow_worker_fetch_attributes()
    token = capability.generate_token()
    assert token == pyjwt_reencode(token, "key")
    # What a JSON reader gets back is what it gets from json.dumps (a pair
    # of escaped surrogates reads back as one character, as it does there).
    claims = json.loads(payload_text(token))
    assert claims["version"] == json.loads(json.dumps(text))
    assert claims["policies"][-1]["url"].endswith(json.loads(json.dumps(f"/{text}/Workspaces/WS1/Workers/WK1")))


def test_non_ascii_str_key_is_utf8() -> None:
    key = "cl\u00e9-\U0001f511"
    token = TaskRouterCapability("AC1", key, "WS1", "WK1").generate_token()
    assert token == pyjwt_reencode(token, key)
    assert token == pyjwt_reencode(token, key.encode("utf-8"))
