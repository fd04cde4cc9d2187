"""Shared test helpers: Hypothesis profiles and the PyJWT oracle."""

from __future__ import annotations

import base64
import gc
import json
import os
import re
import string
import types
import warnings
from typing import Any

import jwt
import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from twilio_trcap import _core

# Child interpreters the tests start (`python -c`, `python -m twilio_trcap`)
# must import the installed package, not the checkout's twilio_trcap/ (which
# has no compiled core unless the install was editable): with PYTHONSAFEPATH
# (Python 3.11+) they do not put the working directory on sys.path.
os.environ["PYTHONSAFEPATH"] = "1"

# "ci" is what .ci/run uses; "dev" is quicker; "expensive" digs deeper.
settings.register_profile(
    "ci", max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.register_profile("dev", max_examples=60, deadline=None)
settings.register_profile("expensive", max_examples=5000, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "dev"))


# -- sids (the rule of docs/security.md, written here independently) --------

#: What the sid rule accepts after the prefix: ASCII letters and digits.
SID_PATTERN = re.compile(r"[A-Za-z0-9]+")


def sid_text(prefix: str) -> st.SearchStrategy[str]:
    """Sids the rule accepts: `prefix` (every sid has its type's, such as
    "WK") and 1 to 32 ASCII letters and digits (Twilio's own are 32
    hexadecimal digits; the documentation's are short)."""
    tail = st.text(string.ascii_letters + string.digits, min_size=1, max_size=32)
    return tail.map(lambda t: prefix + t)


#: Any code point a str can hold, lone surrogates included.
ANY_TEXT = st.text(st.characters(codec=None), min_size=1, max_size=30)


def non_sid_text(prefix: str) -> st.SearchStrategy[str]:
    """`prefix` and text holding at least one character the sid rule
    refuses (so it must be refused wherever a sid is taken)."""
    return ANY_TEXT.filter(lambda t: not SID_PATTERN.fullmatch(t)).map(lambda t: prefix + t)


def b64url_decode(segment: str) -> bytes:
    """A base64url segment without padding (RFC 4648 section 5)."""
    return base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))


#: The header every capability token has, as PyJWT writes it.
HS256_HEADER = b'{"alg":"HS256","typ":"JWT"}'


def core_sign(key: str | bytes, payload: bytes) -> str:
    """The core's token of `payload` (JSON bytes) with the usual header."""
    return _core.Key.prepare(key, "key").sign(HS256_HEADER, payload)


def core_minter(
    key: str | bytes,
    items: tuple[bytes | int | str, ...] = (),
    fields: tuple[str | int, ...] = (),
    policies: tuple[bytes | _core.Template, ...] = (),
) -> _core.Minter:
    """A core Minter whose layout is `items` followed by the tail hole."""
    return _core.Minter.create(_core.Key.prepare(key, "key"), fields, _core.Template((*items, "tail")), policies)


def payload_text(token: str) -> str:
    """The payload JSON of a token, as the text it carries."""
    return b64url_decode(token.split(".")[1]).decode("ascii")


def payload_pairs(token: str) -> Any:
    """The payload with the order of every object kept (lists of pairs)."""
    return json.loads(payload_text(token), object_pairs_hook=list)


def header_text(token: str) -> str:
    return b64url_decode(token.split(".")[0]).decode("ascii")


def pyjwt_reencode(token: str, key: str | bytes) -> str:
    """PyJWT's token for the payload `token` carries: the byte-exact oracle.

    PyJWT verifies our signature on the way in, then encodes the payload
    with its own JSON, base64url and HMAC.  Its warning about keys shorter
    than 32 bytes is expected for short test keys and silenced here only.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", jwt.warnings.InsecureKeyLengthWarning)
        payload = jwt.decode(
            token, key, algorithms=["HS256"], options={"verify_exp": False}
        )
        return jwt.encode(payload, key, algorithm="HS256")


def pyjwt_accepts_key(key: str | bytes) -> bool:
    """PyJWT refuses HMAC keys that look like PEM, SSH, DER or JWK data."""
    try:
        jwt.algorithms.HMACAlgorithm(jwt.algorithms.HMACAlgorithm.SHA256).prepare_key(key)
    except jwt.exceptions.InvalidKeyError:
        return False
    except UnicodeEncodeError:
        return False
    return True


def holds_text(obj: object, secret: str) -> bool:
    """Whether `secret` is in a str or bytes that `obj` refers to, directly
    or one object further down (what a key kept in Python would look like)."""
    seen = []
    for referent in gc.get_referents(obj):
        seen.append(referent)
        seen.extend(gc.get_referents(referent))
    return any(
        (isinstance(o, str) and secret in o) or (isinstance(o, bytes) and secret.encode() in o)
        for o in seen
    )


def reaches_text(obj: object, secret: str, depth: int = 8) -> bool:
    """Whether the garbage collector reaches a str or bytes holding
    `secret` from `obj`, within `depth` steps (through closures too), not
    going through classes, modules or a function's globals (which reach
    everything)."""
    seen: set[int] = set()
    frontier = [obj]
    for _ in range(depth):
        following = []
        for item in frontier:
            if isinstance(item, str) and secret in item:
                return True
            if isinstance(item, bytes) and secret.encode() in item:
                return True
            if id(item) in seen or isinstance(item, (type, types.ModuleType)):
                continue
            seen.add(id(item))
            if isinstance(item, types.FunctionType):
                following.extend(item.__closure__ or ())
            else:
                following.extend(gc.get_referents(item))
        frontier = following
    return False


@pytest.fixture
def doc_capability() -> Any:
    """The documentation's example capability, no permissions added."""
    from twilio_trcap import TaskRouterCapability

    return TaskRouterCapability("AC123", "secret", "WS456", "WK789")


#: The time twilio's clock is frozen at by `frozen_twilio` (whole seconds).
FROZEN_TIME = 1_700_000_000


@pytest.fixture
def frozen_twilio(monkeypatch: pytest.MonkeyPatch) -> int:
    """Freezes the clock that today's twilio.jwt modules read, for this test
    only, and returns it: their ``time`` name (``import time``) is replaced
    by a namespace whose ``time()`` is FROZEN_TIME and three quarters, so
    that twilio's int() truncation is exercised too."""
    import types

    import twilio.jwt
    import twilio.jwt.access_token

    clock = types.SimpleNamespace(time=lambda: FROZEN_TIME + 0.75)
    monkeypatch.setattr(twilio.jwt, "time", clock)
    monkeypatch.setattr(twilio.jwt.access_token, "time", clock)
    return FROZEN_TIME


def b64url_encode(data: bytes) -> str:
    """base64url without padding, by the standard library."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def forge(
    header: bytes | dict[str, Any],
    payload: bytes | dict[str, Any],
    key: str | bytes = "k" * 32,
    *,
    signature: bytes | None = None,
) -> str:
    """A compact JWS built by the standard library (json, base64, hmac):
    any header and payload bytes, signed with HS256 under `key` unless a
    `signature` is given.  Dicts are serialised with json.dumps."""
    import hashlib
    import hmac

    if isinstance(header, dict):
        header = json.dumps(header).encode()
    if isinstance(payload, dict):
        payload = json.dumps(payload).encode()
    signing_input = f"{b64url_encode(header)}.{b64url_encode(payload)}"
    if signature is None:
        raw_key = key.encode() if isinstance(key, str) else key
        signature = hmac.new(raw_key, signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{b64url_encode(signature)}"


# -- the browser tests (tests/test_agent_page.py) ------------------------------
# They need Debian's chromium and chromium-driver, which `pip install
# '.[test]'` cannot bring, so they run only with --browser (.ci/browser.sh
# installs both and passes it).  Without it they are deselected, never
# skipped: pytest's summary counts them as deselected and the line below
# says how to run them; with it, a missing browser is a failure.


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--browser", action="store_true", default=False,
        help="also run the tests marked 'browser' (headless Chromium; needs the Debian "
        "packages chromium and chromium-driver, see .ci/browser.sh)",
    )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if config.getoption("--browser"):
        return
    browser = [item for item in items if item.get_closest_marker("browser")]
    if browser:
        items[:] = [item for item in items if not item.get_closest_marker("browser")]
        config.hook.pytest_deselected(items=browser)
        config.stash[_DESELECTED] = len(browser)


_DESELECTED = pytest.StashKey[int]()


def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:
    count = config.stash.get(_DESELECTED, 0)
    if count:
        terminalreporter.write_line(
            f"{count} browser test(s) deselected: run `pytest --browser` with chromium and "
            "chromium-driver installed (bash .ci/browser.sh does both)",
            yellow=True,
        )
