"""Keys: no hidden secret state, and a public Key for preparing one once.

The core keeps no key material of its own: a key given as text is prepared
for the object that was given it, and its HMAC states are wiped with that
object.  ``twilio_trcap.Key`` is the explicit alternative a server may hold:
accepted wherever a key is, used as it is, and gone (states wiped) once it
and every object made with it are.  The memory scan at the end holds both
to that, with no clearing call.
"""

from __future__ import annotations

import copy
import gc
import hashlib
import hmac
import inspect
import json
import pickle
import struct
import subprocess
import sys
import textwrap
import threading
import uuid
import warnings
from typing import Any

import jwt
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import twilio_trcap
from twilio_trcap import Key, TaskRouterCapability, _core, decode, decode_token
from twilio_trcap.errors import InvalidSignatureError
from twilio_trcap.jwt.access_token import AccessToken
from twilio_trcap.jwt.taskrouter.capabilities import WorkerCapabilityToken

from conftest import HS256_HEADER
from test_every_class import EVERY_CLASS, minter

PAYLOAD = b'{"iss":"AC1","exp":2000000000}'
NOW = 1_700_000_000


def pyjwt_token(key: str | bytes) -> str:
    with warnings.catch_warnings():  # PyJWT warns about keys under 32 bytes
        warnings.simplefilter("ignore", jwt.warnings.InsecureKeyLengthWarning)
        return jwt.encode({"iss": "AC1", "exp": 2000000000}, key, algorithm="HS256")


@pytest.fixture
def secret() -> str:
    return "tok-" + uuid.uuid4().hex  # made at run time: no interned constant


# ---- the Key object -----------------------------------------------------------


def test_key_is_public_documented_and_takes_the_secret() -> None:
    assert twilio_trcap.Key is _core.Key and "Key" in twilio_trcap.__all__
    assert str(inspect.signature(Key)) == "(secret)"
    assert "trade-off" in (Key.__doc__ or "")
    assert Key(secret="k").sign(HS256_HEADER, PAYLOAD) == pyjwt_token("k")


def test_key_shows_no_secret_and_is_neither_pickled_nor_copied(secret: str) -> None:
    key = Key(secret)
    assert repr(key) == str(key) == "<twilio_trcap.Key HS256>"
    for action in (pickle.dumps, copy.copy, copy.deepcopy):
        with pytest.raises(TypeError, match="^cannot pickle twilio_trcap.Key: it holds a secret key$"):
            action(key)


def test_key_is_immutable_and_equal_only_to_itself(secret: str) -> None:
    key = Key(secret)
    assert key == key and key != Key(secret) and hash(key) == hash(key)
    with pytest.raises(AttributeError):
        key.secret = "x"  # type: ignore[attr-defined]
    with pytest.raises(TypeError):
        type("Sub", (Key,), {})


@pytest.mark.parametrize(
    ("secret", "error", "message"),
    [
        (3, TypeError, "^secret must be str, bytes or Key, not int$"),
        (None, TypeError, "^secret must be str, bytes or Key, not NoneType$"),
        (b"", ValueError, "^secret must not be empty$"),
        ("", ValueError, "^secret must not be empty$"),
        ("\ud800", ValueError, "^secret contains a lone surrogate"),
    ],
)
def test_bad_secrets_are_refused(secret: object, error: type[Exception], message: str) -> None:
    with pytest.raises(error, match=message):
        Key(secret)  # type: ignore[arg-type]


def test_a_key_is_its_bytes() -> None:
    # An ASCII str and its bytes are one key; a non-ASCII str is its UTF-8;
    # a key longer than a SHA-256 block is hashed first (RFC 2104).
    assert Key("k" * 32).sign(HS256_HEADER, PAYLOAD) == Key(b"k" * 32).sign(HS256_HEADER, PAYLOAD)
    assert Key("clé").sign(HS256_HEADER, PAYLOAD) == pyjwt_token("clé".encode())
    long_key = b"L" * 100
    signing_input, _, signature = Key(long_key).sign(HS256_HEADER, PAYLOAD).rpartition(".")
    expected = hmac.new(long_key, signing_input.encode(), "sha256").digest()
    assert jwt.utils.base64url_decode(signature) == expected


@settings(max_examples=100, deadline=None)
@given(st.lists(st.binary(min_size=1, max_size=100), min_size=1, max_size=10))
def test_any_sequence_of_keys_signs_each_token_with_its_own_key(keys: list[bytes]) -> None:
    for key in keys + keys[::-1]:
        assert _core.Key.prepare(key, "key").sign(HS256_HEADER, PAYLOAD) == pyjwt_token(key)


# ---- no cache: a key given as text is the object's own ------------------------


def test_a_key_given_as_text_is_prepared_anew_for_each_object(secret: str) -> None:
    first = _core.Key.prepare(secret, "key")
    assert _core.Key.prepare(secret, "key") is not first
    # ...and nothing but the caller holds it: as many references as a
    # local of our own (3.14 no longer counts getrefcount's argument).
    own = object()
    assert sys.getrefcount(first) == sys.getrefcount(own)


def test_a_key_given_as_a_key_is_used_as_it_is(secret: str) -> None:
    key = Key(secret)
    assert _core.Key.prepare(key, "auth_token") is key
    assert Key(key) is key
    held = sys.getrefcount(key)
    capability = TaskRouterCapability("AC1", key, "WS1", "WK1")
    assert sys.getrefcount(key) == held + 1  # its Minter holds the very Key
    del capability
    assert sys.getrefcount(key) == held


@pytest.mark.parametrize(("name", "factory"), EVERY_CLASS, ids=[c[0] for c in EVERY_CLASS])
def test_every_class_mints_the_same_token_with_a_key(name: str, factory: Any, secret: str) -> None:
    key = Key(secret)
    with_text, with_key = factory(secret), factory(key)
    for _ in range(3):  # fresh, then the re-mint's prepared prefix
        token = minter(with_key)(ttl=60, now=NOW)
        assert token == minter(with_text)(ttl=60, now=NOW)
    assert decode(token, key, verify_exp=False) == decode(token, secret, verify_exp=False)
    assert decode_token(token, key, verify_exp=False).verified
    with pytest.raises(InvalidSignatureError):
        decode(token, Key(secret + "x"), verify_exp=False)


def test_mint_many_from_jwt_and_settable_keys_take_a_key(secret: str) -> None:
    key = Key(secret)
    sids = ["WK1", "WK2"]
    assert TaskRouterCapability.mint_many("AC1", key, "WS1", sids, now=NOW) == (
        TaskRouterCapability.mint_many("AC1", secret, "WS1", sids, now=NOW)
    )
    token = WorkerCapabilityToken("AC1", secret, "WS1", "WK1").to_jwt()
    assert WorkerCapabilityToken.from_jwt(token, key).to_jwt(now=NOW) == (
        WorkerCapabilityToken.from_jwt(token, secret).to_jwt(now=NOW)
    )
    access = AccessToken("AC1", "SK1", "other secret", identity="alice")
    access.secret_key = key
    assert decode(access.to_jwt(), secret)["sub"] == "AC1"


def test_threads_sharing_one_key_each_sign_right(secret: str) -> None:
    key, errors = Key(secret), []
    expected = TaskRouterCapability("AC1", secret, "WS1", "WK1").generate_token(now=NOW)

    def work() -> None:
        for _ in range(300):
            if TaskRouterCapability("AC1", key, "WS1", "WK1").generate_token(now=NOW) != expected:
                errors.append(1)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []


def test_decode_checks_each_token_against_its_own_key() -> None:
    token_a, token_b = pyjwt_token("key A"), pyjwt_token("key B")
    for _ in range(3):
        assert decode(token_a, "key A")["iss"] == decode(token_b, Key("key B"))["iss"] == "AC1"
        with pytest.raises(InvalidSignatureError):
            decode(token_a, "key B")
        with pytest.raises(InvalidSignatureError):
            decode(token_b, Key("key A"))


def test_the_module_holds_no_key_material() -> None:
    assert not hasattr(_core, "forget_keys") and not hasattr(twilio_trcap, "forget_keys")
    assert not hasattr(twilio_trcap, "backend") and not hasattr(_core, "json_string")


# ---- the memory scan: nothing left once the objects are gone ------------------

_K = [
    0x428A2F98, 0x71374491, 0xB5C0FBCF, 0xE9B5DBA5, 0x3956C25B, 0x59F111F1, 0x923F82A4, 0xAB1C5ED5,
    0xD807AA98, 0x12835B01, 0x243185BE, 0x550C7DC3, 0x72BE5D74, 0x80DEB1FE, 0x9BDC06A7, 0xC19BF174,
    0xE49B69C1, 0xEFBE4786, 0x0FC19DC6, 0x240CA1CC, 0x2DE92C6F, 0x4A7484AA, 0x5CB0A9DC, 0x76F988DA,
    0x983E5152, 0xA831C66D, 0xB00327C8, 0xBF597FC7, 0xC6E00BF3, 0xD5A79147, 0x06CA6351, 0x14292967,
    0x27B70A85, 0x2E1B2138, 0x4D2C6DFC, 0x53380D13, 0x650A7354, 0x766A0ABB, 0x81C2C92E, 0x92722C85,
    0xA2BFE8A1, 0xA81A664B, 0xC24B8B70, 0xC76C51A3, 0xD192E819, 0xD6990624, 0xF40E3585, 0x106AA070,
    0x19A4C116, 0x1E376C08, 0x2748774C, 0x34B0BCB5, 0x391C0CB3, 0x4ED8AA4A, 0x5B9CCA4F, 0x682E6FF3,
    0x748F82EE, 0x78A5636F, 0x84C87814, 0x8CC70208, 0x90BEFFFA, 0xA4506CEB, 0xBEF9A3F7, 0xC67178F2,
]
_H0 = [0x6A09E667, 0xBB67AE85, 0x3C6EF372, 0xA54FF53A, 0x510E527F, 0x9B05688C, 0x1F83D9AB, 0x5BE0CD19]


def _sha256_state_after(block: bytes) -> bytes:
    """SHA-256's chaining value h[0..7] after one 64-byte block (FIPS
    180-4 section 6.2.2), as the words sit in OpenSSL's SHA256_CTX: native
    byte order.  hashlib cannot say this: it only finishes hashes."""

    def rotr(x: int, n: int) -> int:
        return ((x >> n) | (x << (32 - n))) & 0xFFFFFFFF

    w = list(struct.unpack(">16I", block))
    for t in range(16, 64):
        s0 = rotr(w[t - 15], 7) ^ rotr(w[t - 15], 18) ^ (w[t - 15] >> 3)
        s1 = rotr(w[t - 2], 17) ^ rotr(w[t - 2], 19) ^ (w[t - 2] >> 10)
        w.append((w[t - 16] + s0 + w[t - 7] + s1) & 0xFFFFFFFF)
    a, b, c, d, e, f, g, h = _H0
    for t in range(64):
        t1 = h + (rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25)) + ((e & f) ^ (~e & g)) + _K[t] + w[t]
        t2 = (rotr(a, 2) ^ rotr(a, 13) ^ rotr(a, 22)) + ((a & b) ^ (a & c) ^ (b & c))
        a, b, c, d, e, f, g, h = (t1 + t2) & 0xFFFFFFFF, a, b, c, (d + t1) & 0xFFFFFFFF, e, f, g
    return struct.pack("=8I", *((x + y) & 0xFFFFFFFF for x, y in zip(_H0, (a, b, c, d, e, f, g, h))))


def hmac_states(key: bytes) -> list[bytes]:
    """The two states a prepared HMAC-SHA256 key is (RFC 2104 section 2)."""
    block = key.ljust(64, b"\0")
    return [_sha256_state_after(bytes(x ^ pad for x in block)) for pad in (0x36, 0x5C)]


def test_the_state_computation_is_sha256() -> None:
    # The chaining value after the one block of a 55-byte message is its hash.
    message = b"m" * 55
    padded = message + b"\x80" + struct.pack(">Q", 55 * 8)
    words = struct.unpack("=8I", _sha256_state_after(padded))
    assert struct.pack(">8I", *words) == hashlib.sha256(message).digest()


# Run in a child process: it is given, for each case, the first 8 bytes of
# each state and a hash of the whole 32, never the states themselves (which
# would then be in its memory as the needle).
SCAN = textwrap.dedent(
    r"""
    import gc, hashlib, json, sys
    from twilio_trcap import Key, TaskRouterCapability, decode, task_router_v4_5, task_router_v5
    from twilio_trcap.jwt.access_token import AccessToken
    from twilio_trcap.jwt.access_token.grants import TaskRouterGrant
    from twilio_trcap.jwt.taskrouter.capabilities import WorkerCapabilityToken

    cases = json.loads(sys.stdin.read())
    CHUNK, OVERLAP, LARGEST = 16 << 20, 31, 1 << 30

    def hits(needles):
        # Memory is read into one buffer, searched in place and zeroed
        # after: a copy of a state read here must not be found by the next
        # scan in memory this one freed.
        found = [0] * len(needles)
        buf = bytearray(CHUNK + OVERLAP)
        view = memoryview(buf)
        with open("/proc/self/maps") as maps, open("/proc/self/mem", "rb", 0) as mem:
            for line in maps:
                span, perms = line.split()[:2]
                lo, hi = (int(x, 16) for x in span.split("-"))
                # Over 1 GiB: a reservation (ASan's shadow), not a heap.
                if "rw" not in perms or hi - lo > LARGEST:
                    continue
                for start in range(lo, hi, CHUNK):
                    try:
                        mem.seek(start)
                        n = mem.readinto(view[:min(CHUNK + OVERLAP, hi - start)])
                    except (OSError, OverflowError, ValueError):
                        break
                    for k, (head, digest) in enumerate(needles):
                        i = buf.find(head, 0, n)
                        while 0 <= i < min(CHUNK, n):
                            if hashlib.sha256(view[i:i + 32]).hexdigest() == digest:
                                found[k] += 1
                            i = buf.find(head, i + 1, n)
        view[:] = bytes(len(buf))
        view.release()
        return found

    def use(key):
        # Every generation, fresh and re-minted (the prepared prefix keeps
        # a MAC state too), a batch, and decoding.
        made = [
            TaskRouterCapability("AC1", key, "WS1", "WK1"),
            task_router_v4_5.TaskRouterWorkerCapability("AC1", key, "WS1", "WK1"),
            task_router_v5.TaskRouterWorkspaceCapability("AC1", key, "WS1"),
            WorkerCapabilityToken("AC1", key, "WS1", "WK1"),
            AccessToken("AC1", "SK1", key, [TaskRouterGrant("WS1", "WK1")], "alice"),
        ]
        for obj in made:
            mint = getattr(obj, "generate_token", None) or obj.to_jwt
            for _ in range(3):
                token = mint()
            decode(token, key)
        TaskRouterCapability.mint_many("AC1", key, "WS1", ["WK1", "WK2"])
        return made

    report = {}
    for name, secret, needles in cases:
        needles = [(bytes.fromhex(h), d) for h, d in needles]
        key = Key(secret) if name == "Key" else secret
        made = use(key)
        alive = hits(needles)
        del made, key
        gc.collect()
        report[name] = {"alive": alive, "gone": hits(needles)}
    print(json.dumps(report))
    """
)


@pytest.mark.skipif(sys.platform != "linux", reason="reads /proc/self/mem")
def test_no_hmac_state_is_left_once_the_objects_and_the_key_are_gone() -> None:
    cases = []
    for name in ("text", "Key"):
        secret = f"{name}-{uuid.uuid4().hex}"
        needles = [(s[:8].hex(), hashlib.sha256(s).hexdigest()) for s in hmac_states(secret.encode())]
        cases.append((name, secret, needles))

    run = subprocess.run(
        [sys.executable, "-c", SCAN], input=json.dumps(cases), capture_output=True, text=True, timeout=600
    )
    assert run.returncode == 0, run.stderr
    report = json.loads(run.stdout)
    for name in ("text", "Key"):
        # Found while in use (the scan can see them), none after `del` and a
        # collection: no cache, no scratch context, no clearing call.
        assert all(n > 0 for n in report[name]["alive"]), report
        assert report[name]["gone"] == [0, 0], report
