"""Re-minting from a prepared prefix gives the bytes minting from scratch gives.

The first token after the policies change is written from scratch; from the
second on, the core copies the encoded prefix (header, payload up to the
time claim) and resumes the HMAC from the state it kept after it
(src/core/token.h, trcap_prepared).  Here every re-minted token is compared with
the token a new object mints, from scratch, at the same time, and with
PyJWT's re-encoding of its payload.
"""

from __future__ import annotations

import base64
import hashlib
import hmac

import pytest

from conftest import core_minter, pyjwt_reencode
from twilio_trcap import Policy, TaskRouterCapability, _core

KEY = "re-mint-key-0123456789abcdef0123"
SIDS = ("AC" + "1" * 32, "WS" + "2" * 32, "WK" + "3" * 32)
PERMISSIONS = (
    "allow_worker_fetch_attributes",
    "allow_worker_activity_updates",
    "allow_task_reservation_updates",
)


def fresh(extra: list[Policy] | None = None, permissions: int = 0) -> TaskRouterCapability:
    capability = TaskRouterCapability(SIDS[0], KEY, SIDS[1], SIDS[2])
    for i in range(permissions):
        getattr(capability, PERMISSIONS[i % 3])()
    for policy in extra or []:
        capability.policies.append(policy)
    return capability


def from_scratch(capability: TaskRouterCapability, now: int, ttl: int = 3600) -> str:
    """The token a new object with the same policies mints first."""
    twin = TaskRouterCapability(SIDS[0], KEY, SIDS[1], SIDS[2])
    twin.policies[:] = list(capability.policies)
    return twin.generate_token(ttl, now=now)


@pytest.mark.parametrize("count", [0, 1, 2, 3, 6, 7, 50, 199, 200])
def test_many_policy_counts(count: int) -> None:
    capability = fresh(permissions=max(0, count - 3))
    if count < 3:
        del capability.policies[count:]
    assert len(capability.policies) == count
    tokens = [capability.generate_token(now=1_700_000_000 + i) for i in range(4)]
    for i, token in enumerate(tokens):
        assert token == from_scratch(capability, 1_700_000_000 + i)
    assert tokens[-1] == pyjwt_reencode(tokens[-1], KEY)


def test_every_prefix_length_mod_3_and_mod_64() -> None:
    # A policy whose URL grows one character at a time moves the length of
    # the constant prefix through 192 consecutive values: every residue
    # mod 3 (how its last bytes share a base64 group with the time claim)
    # and mod 64 (where the kept SHA-256 state stands in its block).
    lengths = set()
    for extra in range(192):
        policy = Policy("https://example.com/" + "x" * extra, "GET")
        capability = fresh([policy])
        first = capability.generate_token(now=1)  # from scratch
        second = capability.generate_token(now=2)  # prepares the prefix
        third = capability.generate_token(now=3, ttl=10**9)  # longer exp
        assert second == from_scratch(capability, 2)
        assert third == from_scratch(capability, 3, ttl=10**9)
        assert first == from_scratch(capability, 1)
        prefix = len(second.split(".")[1])  # grows with the prefix
        lengths.add(prefix)
        if extra % 37 == 0:
            assert third == pyjwt_reencode(third, KEY)
    assert len(lengths) >= 190


def test_policy_edits_invalidate_the_prefix() -> None:
    capability = fresh(permissions=3)
    for now in (10, 11, 12):
        assert capability.generate_token(now=now) == from_scratch(capability, now)
    edits = [
        lambda c: c.allow_worker_fetch_attributes(),
        lambda c: c.policies.append({"url": "https://a/b", "method": "GET"}),
        lambda c: c.policies.insert(0, {"url": "https://c/d", "method": "POST"}),
        lambda c: c.policies.__delitem__(1),
        lambda c: c.policies.__setitem__(2, Policy("https://e/f", "DELETE", False)),
        lambda c: c.policies.clear(),
        lambda c: c.allow_task_reservation_updates(),
    ]
    now = 100
    for edit in edits:
        edit(capability)
        for _ in range(3):  # scratch, prepare, prepared
            now += 1
            token = capability.generate_token(now=now)
            assert token == from_scratch(capability, now)
            assert token == pyjwt_reencode(token, KEY)


def test_policies_read_back_as_minted() -> None:
    capability = fresh(permissions=3)
    capability.generate_token(now=5)
    capability.generate_token(now=6)
    payload = base64.urlsafe_b64decode(capability.generate_token(now=7).split(".")[1] + "==")
    fragments = capability._minter.policies()
    assert b"[" + b",".join(fragments) + b"]" in payload


def b64url(data: bytes) -> bytes:
    return base64.urlsafe_b64encode(data).rstrip(b"=")


@pytest.mark.parametrize("header_extra", range(8))
def test_signing_input_at_every_residue_mod_64(header_extra: int) -> None:
    # The encoded header's length moves the signing input through the
    # residues mod 64 that the payload alone (always encoded in whole groups
    # of 4) cannot reach: Key.sign takes any header.  Checked with the
    # standard library's HMAC.
    header = b'{"alg":"HS256","typ":"JWT","x":"' + b"h" * header_extra + b'"}'
    key = b"minter-key"
    for head_len in range(0, 64, 7):
        payload = b'{"p":"' + b"q" * head_len + b'","exp":1}'
        token = _core.Key.prepare(key, "key").sign(header, payload)
        signing_input, signature = token.rsplit(".", 1)
        expected = hmac.new(key, signing_input.encode(), hashlib.sha256).digest()
        assert signature.encode() == b64url(expected)
        assert signing_input.encode() == b64url(header) + b"." + b64url(payload)


@pytest.mark.parametrize("head_len", range(64))
def test_a_prepared_prefix_of_every_length(head_len: int) -> None:
    # A Minter's prepared prefix (the default header, then the payload
    # before the tail) ends at every offset a real token can give it; each
    # re-mint resumes the MAC there.
    key = b"minter-key"
    head = b'{"p":"' + b"q" * head_len + b'","exp":'
    minter = core_minter(key, (head,), (), ())
    for now in (1, 22, 333, 4444, 1, 22):
        token = minter.mint(now)
        signing_input, signature = token.rsplit(".", 1)
        expected = hmac.new(key, signing_input.encode(), hashlib.sha256).digest()
        assert signature.encode() == b64url(expected)
        payload = base64.urlsafe_b64decode(signing_input.split(".")[1] + "==")
        assert payload == head + str(now).encode()
        assert token == core_minter(key, (head,)).mint(now)


def test_tail_parts_of_every_shape() -> None:
    layout = _core.Template((b'{"a":[', "policies", b'],"t":', "tail", b"}"))
    minter = _core.Minter.create(_core.Key.prepare(KEY, "key"), (), layout, ())
    minter.add_policy(b"1")
    minter.add_policy(b"22")
    tails = [(5,), (5, b',"x":1'), (b"0", b',"y":', -7), (2**63 - 1,), (-(2**63),)]
    for tail in tails * 2:  # the second round re-mints from the prepared prefix
        token = minter.mint(*tail)
        scratch = _core.Minter.create(_core.Key.prepare(KEY, "key"), (), layout, (b"1", b"22"))
        assert token == scratch.mint(*tail)
        assert token == pyjwt_reencode(token, KEY)
