"""The key cache (src/glue/key.c): a key prepared again gets its Key back.

The core keeps the Keys of the last eight distinct keys it prepared, found
by a keyed fingerprint of the key (SipHash-2-4-128 under random bytes made
at import), never by the key itself.  These tests hold it to what a user
can see: the same key gives the same Key; other keys, however many and in
whatever order, still sign with their own key (PyJWT checks every token);
``forget_keys()`` lets go of every Key; hostile keys, finalizers that run
mid-call and threads change none of that.
"""

from __future__ import annotations

import datetime
import gc
import hmac
import os
import subprocess
import sys
import threading
import warnings

import jwt
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import twilio_trcap
from twilio_trcap import TaskRouterCapability, _core, decode
from twilio_trcap.errors import InvalidSignatureError

from conftest import HS256_HEADER

CACHE_SIZE = 8
PAYLOAD = b'{"iss":"AC1","exp":2000000000}'


def signed(key: object) -> str:
    return _core.Key.prepare(key, "key").sign(HS256_HEADER, PAYLOAD)


def pyjwt_token(key: str | bytes) -> str:
    # PyJWT warns about keys shorter than 32 bytes; the cache takes any key.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", jwt.warnings.InsecureKeyLengthWarning)
        return jwt.encode({"iss": "AC1", "exp": 2000000000}, key, algorithm="HS256")


@pytest.fixture(autouse=True)
def empty_cache():
    _core.forget_keys()
    yield
    _core.forget_keys()


def test_the_same_key_gives_the_same_key_object() -> None:
    first = _core.Key.prepare("k" * 32, "auth_token")
    assert _core.Key.prepare("k" * 32, "auth_token") is first
    # The key is its bytes: an ASCII str and its bytes are one key, and a
    # non-ASCII str is its UTF-8.
    assert _core.Key.prepare(b"k" * 32, "key") is first
    accented = _core.Key.prepare("clé", "key")
    assert _core.Key.prepare("clé".encode(), "key") is accented
    assert accented is not first


def test_different_keys_get_different_key_objects_that_sign_with_their_own_key() -> None:
    keys = [f"key-{i}" for i in range(CACHE_SIZE)]
    objects = [_core.Key.prepare(k, "key") for k in keys]
    assert len({id(o) for o in objects}) == CACHE_SIZE
    for key, obj in zip(keys, objects):
        assert obj.sign(HS256_HEADER, PAYLOAD) == pyjwt_token(key)


def test_a_ninth_key_pushes_out_the_least_recently_used() -> None:
    oldest = _core.Key.prepare("oldest", "key")
    recent = _core.Key.prepare("recent", "key")
    for i in range(CACHE_SIZE - 2):
        _core.Key.prepare(f"filler-{i}", "key")
    # "recent" used again: "oldest" is now the least recently used.
    assert _core.Key.prepare("recent", "key") is recent
    _core.Key.prepare("ninth", "key")
    again = _core.Key.prepare("oldest", "key")
    assert again is not oldest
    assert _core.Key.prepare("recent", "key") is recent
    # Both objects of the evicted key still sign with it.
    assert oldest.sign(HS256_HEADER, PAYLOAD) == again.sign(HS256_HEADER, PAYLOAD) == pyjwt_token(
        "oldest"
    )


def test_forget_keys_lets_go_of_every_key() -> None:
    key = _core.Key.prepare("to be forgotten", "key")
    held = sys.getrefcount(key)
    assert twilio_trcap.forget_keys() is None
    # The cache's reference is gone: only ours (and getrefcount's) remain.
    assert sys.getrefcount(key) == held - 1
    assert _core.Key.prepare("to be forgotten", "key") is not key
    # A Key still in use keeps working after it has left the cache.
    assert key.sign(HS256_HEADER, PAYLOAD) == pyjwt_token("to be forgotten")


def test_an_evicted_key_that_nothing_uses_is_freed() -> None:
    key = _core.Key.prepare("short-lived", "key")
    held = sys.getrefcount(key)
    for i in range(CACHE_SIZE):
        _core.Key.prepare(f"newer-{i}", "key")
    assert sys.getrefcount(key) == held - 1


@settings(max_examples=200, deadline=None)
@given(st.lists(st.binary(min_size=1, max_size=100), min_size=1, max_size=30))
def test_any_sequence_of_keys_signs_each_token_with_its_own_key(keys: list[bytes]) -> None:
    # Repeats, evictions and keys longer than a SHA-256 block (hashed first,
    # RFC 2104) in any order: every token is PyJWT's for its own key.
    for key in keys + keys[::-1]:
        assert signed(key) == pyjwt_token(key)


def test_hostile_str_subclass_keys_run_no_method_and_share_the_plain_keys_entry() -> None:
    calls: list[str] = []

    class Hostile(str):
        def __eq__(self, other: object) -> bool:
            calls.append("__eq__")
            return True

        def __hash__(self) -> int:
            calls.append("__hash__")
            return 0

        def __str__(self) -> str:
            calls.append("__str__")
            return "other key"

        def encode(self, *args: object, **kwargs: object) -> bytes:  # type: ignore[override]
            calls.append("encode")
            return b"other key"

    plain = _core.Key.prepare("secret-of-thirty-two-characters!", "key")
    assert _core.Key.prepare(Hostile("secret-of-thirty-two-characters!"), "key") is plain
    # One that equals every key and hashes like every other is still only
    # its own characters.
    other = _core.Key.prepare(Hostile("a different key"), "key")
    assert other is not plain
    assert other.sign(HS256_HEADER, PAYLOAD) == pyjwt_token("a different key")
    assert calls == []


def test_finalizers_that_prepare_and_forget_keys_mid_call() -> None:
    # A collection after nearly every allocation (on 3.11 inside Key.prepare
    # too, when it makes a Key), each running finalizers that prepare other
    # keys, prepare the very key the caller is preparing, and empty the
    # cache: every token must still be signed with its own key, and the
    # cache must still work as an LRU afterwards.
    class Meddler:
        def __init__(self, n: int) -> None:
            self.n = n
            self.cycle = self

        def __del__(self) -> None:
            _core.Key.prepare(f"finalizer-{self.n % 11}", "key")
            _core.Key.prepare(f"caller-{self.n % 13}", "key")
            if self.n % 3 == 0:
                _core.forget_keys()

    old = gc.get_threshold()
    gc.set_threshold(1, 1, 1)
    try:
        for i in range(400):
            Meddler(i)
            key = f"caller-{i % 13}"
            assert signed(key) == pyjwt_token(key)
    finally:
        gc.set_threshold(*old)
        gc.collect()
    # The key prepared last is found again after seven other distinct keys,
    # and pushed out by the eighth.
    last = _core.Key.prepare("caller-last", "key")
    for i in range(CACHE_SIZE - 1):
        _core.Key.prepare(f"other-{i}", "key")
    assert _core.Key.prepare("caller-last", "key") is last
    for i in range(CACHE_SIZE):
        _core.Key.prepare(f"newer-{i}", "key")
    assert _core.Key.prepare("caller-last", "key") is not last


def test_threads_preparing_keys_at_once_each_sign_with_their_own() -> None:
    errors: list[str] = []
    # The oracle's tokens are made here: warnings.catch_warnings (in
    # pyjwt_token) is not thread-safe before Python 3.14.
    expected = {f"thread-{t}-{k}": pyjwt_token(f"thread-{t}-{k}") for t in range(4) for k in range(12)}

    def work(t: int) -> None:
        for i in range(300):
            key = f"thread-{t}-{i % 12}"
            if signed(key) != expected[key]:
                errors.append(key)

    threads = [threading.Thread(target=work, args=(t,)) for t in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []


def test_decode_checks_each_token_against_its_own_key_with_both_cached() -> None:
    token_a = pyjwt_token("key A")
    token_b = pyjwt_token("key B")
    for _ in range(3):
        assert decode(token_a, "key A")["iss"] == "AC1"
        assert decode(token_b, "key B")["iss"] == "AC1"
        with pytest.raises(InvalidSignatureError):
            decode(token_a, "key B")
        with pytest.raises(InvalidSignatureError):
            decode(token_b, "key A")


def test_capabilities_of_two_accounts_made_alternately_verify_under_their_own_tokens() -> None:
    tokens = {"AC1": "auth token one", "AC2": "auth token two"}
    for _ in range(3):
        for account, auth_token in tokens.items():
            capability = TaskRouterCapability(account, auth_token, "WS1", "WK1")
            token = capability.generate_token(now=1_700_000_000)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", jwt.warnings.InsecureKeyLengthWarning)
                claims = jwt.decode(
                    token, auth_token, algorithms=["HS256"], options={"verify_exp": False}
                )
            assert claims["iss"] == account
            other = next(t for t in tokens.values() if t != auth_token)
            with pytest.raises(InvalidSignatureError):
                decode(token, other)


def test_bad_keys_are_refused_before_the_cache_is_touched() -> None:
    cached = _core.Key.prepare("kept", "key")
    with pytest.raises(TypeError, match="auth_token must be str or bytes, not int"):
        _core.Key.prepare(3, "auth_token")
    with pytest.raises(ValueError, match="auth_token must not be empty"):
        _core.Key.prepare(b"", "auth_token")
    with pytest.raises(ValueError, match="auth_token contains a lone surrogate"):
        _core.Key.prepare("\ud800", "auth_token")
    assert _core.Key.prepare("kept", "key") is cached


def test_forget_keys_is_public_documented_and_takes_no_arguments() -> None:
    assert "eight" in (twilio_trcap.forget_keys.__doc__ or "")
    assert "forget_keys" in twilio_trcap.__all__
    with pytest.raises(TypeError):
        twilio_trcap.forget_keys(1)  # type: ignore[call-arg]


def test_without_random_bytes_the_cache_is_off_and_the_import_still_works(tmp_path) -> None:
    # An OpenSSL configured with a random generator that does not exist
    # cannot make the fingerprint key: importing must still work, every key
    # is prepared anew, and tokens are still right.
    conf = tmp_path / "openssl.cnf"
    conf.write_text(
        "openssl_conf = openssl_init\n[openssl_init]\nrandom = random_section\n"
        "[random_section]\nrandom = NO-SUCH-DRBG\n"
    )
    script = (
        "from twilio_trcap import _core\n"
        "a = _core.Key.prepare('k' * 32, 'key'); b = _core.Key.prepare('k' * 32, 'key')\n"
        "print(a is b, a.sign(b'{\"alg\":\"HS256\",\"typ\":\"JWT\"}', b'{\"iss\":\"AC1\",\"exp\":2000000000}'))\n"
    )
    env = {**os.environ, "OPENSSL_CONF": str(conf)}
    done = subprocess.run(
        [sys.executable, "-c", script],
        env=env,
        capture_output=True,
        text=True,
        cwd=tmp_path,
        check=True,
        timeout=120,
    )
    same, token = done.stdout.split()
    assert same == "False"
    assert token == pyjwt_token("k" * 32)


# ---- the sid rule's character check, at every ASCII boundary ----------------


@pytest.mark.parametrize("code", range(128))
def test_the_sid_rule_takes_exactly_ascii_letters_and_digits(code: int) -> None:
    # Branch-free in the core (errors.c, sid_ok): every ASCII character,
    # the neighbours of each range ('/', ':', '@', '[', '`', '{', DEL) and
    # the controls among them, in each position of a sid.
    # Every sid has its prefix (docs/security.md, "Sids").
    c = chr(code)
    allowed = c.isascii() and c.isalnum()
    for sid in ("WK" + c, "WK1" + c, "WK1" + c + "2" * 40, "WK" + "3" * 14 + c + "4"):
        if allowed:
            assert _core.check_sid(sid, "worker_sid", ("WK",)) == sid
        else:
            with pytest.raises(ValueError, match="^worker_sid must hold ASCII letters and digits"):
                _core.check_sid(sid, "worker_sid", ("WK",))
    for sid in (c, c + "WK", "W" + c + "1"):
        if sid.startswith("WK"):
            assert _core.check_sid(sid, "worker_sid", ("WK",)) == sid
        else:
            with pytest.raises(ValueError, match="^worker_sid must start with 'WK'"):
                _core.check_sid(sid, "worker_sid", ("WK",))


# ---- check_text: the rule of text arguments that are not sids ----------------


def test_check_text_takes_an_exact_str_as_it_is() -> None:
    version = "v1"
    assert _core.check_text(version, "version") is version


def test_check_text_copies_a_subclass_by_value_running_none_of_its_methods() -> None:
    class Sly(str):
        def __str__(self) -> str:
            raise AssertionError("__str__ ran")

        def __len__(self) -> int:
            raise AssertionError("__len__ ran")

        def __bool__(self) -> bool:
            raise AssertionError("__bool__ ran")

    value = _core.check_text(Sly("https://example.com"), "base_url")
    assert type(value) is str and value == "https://example.com"


@pytest.mark.parametrize(
    ("value", "error", "message"),
    [
        (None, TypeError, "base_url must be str, not NoneType"),
        (b"v1", TypeError, "base_url must be str, not bytes"),
        (datetime.date(2020, 1, 1), TypeError, "base_url must be str, not date"),
        ("", ValueError, "base_url must not be empty"),
    ],
)
def test_check_text_names_the_argument_and_what_was_expected(
    value: object, error: type[Exception], message: str
) -> None:
    with pytest.raises(error) as caught:
        _core.check_text(value, "base_url")
    assert str(caught.value) == message
    with pytest.raises(error) as caught:
        TaskRouterCapability("AC1", "token", "WS1", "WK1", base_url=value)  # type: ignore[arg-type]
    assert str(caught.value) == message


def test_hmac_is_what_the_cache_serves() -> None:
    # The cached Key's MAC of a bare message is RFC 2104's (via the token's
    # signature), for a key longer than a block as well.
    long_key = b"L" * 100
    token = signed(long_key)
    signing_input, _, signature = token.rpartition(".")
    expected = hmac.new(long_key, signing_input.encode(), "sha256").digest()
    assert jwt.utils.base64url_decode(signature) == expected
