"""Issue 19, item 3: a time outside a signed 64-bit int is refused for every
claim that holds it, by name, in every generation.

The minting time (``now=``, or ``int(time.time())``) is the base of ``exp``,
is ``nbf`` when it is ``Jwt.GENERATE`` and the tail of an Access Token's
``jti``.  On 7899688 only the sum ``exp`` was checked: with ``valid_until``
set (or ``ttl`` bringing a negative time back into range) a token was
minted with ``nbf`` and ``jti`` beyond int64, which our own ``from_jwt``
then refused; a capability token refused it with "a number of the tail does
not fit a signed 64-bit integer", naming nothing; a clock reading NaN gave
int()'s "cannot convert float NaN to integer".  Now the time is checked
where it is read (src/glue/times.c, ``time_of``): an ``OverflowError`` naming
``now`` (a ``ValueError`` for a NaN clock), whichever path mints.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from typing import Any
from unittest import mock

import jwt as pyjwt
import pytest

from conftest import payload_text
from twilio_trcap import TaskRouterCapability, _checks, task_router_v4_5, task_router_v5
from twilio_trcap.decode import decode
from twilio_trcap.jwt import Jwt
from twilio_trcap.jwt.access_token import AccessToken
from twilio_trcap.jwt.access_token.grants import TaskRouterGrant
from twilio_trcap.jwt.taskrouter import capabilities

INT64_MAX = 2**63 - 1
INT64_MIN = -(2**63)
KEY = "0123456789abcdef0123456789abcdef"  # 32 bytes: PyJWT's recommended minimum
A, W, K, Q = "AC1", "WS1", "WK1", "WQ1"


class OwnClaims(Jwt):
    """A token type of one's own: twilio's generic mint."""

    def _generate_payload(self) -> dict[str, Any]:
        return {"scope": "x"}


class OwnPayload(Jwt):
    """A subclass that supplies the whole payload (``payload`` property): the
    minting time reaches no claim unless ``ttl`` is given, and is checked
    all the same."""

    @property
    def payload(self) -> dict[str, Any]:
        return {"iss": "me", "exp": 2_000_000_000}


class OwnAccessClaims(AccessToken):
    """An Access Token with a hook of one's own: the generic path."""

    def _generate_payload(self) -> dict[str, Any]:
        return {**super()._generate_payload(), "extra": 1}


#: A token no class here writes, read back as a decoded Jwt.
DECODED = OwnClaims(KEY, "me").to_jwt(now=1000)


def access(**options: Any) -> AccessToken:
    return AccessToken(A, "SK1", KEY, [TaskRouterGrant(W, K)], "alice", **options)


# (id, the call that mints at `now` with `ttl`): every generation and every
# path a minting time takes.
Mint = Callable[[int | None, int], Any]
MINTS: list[tuple[str, Mint]] = [
    ("4.0", lambda now, ttl: TaskRouterCapability(A, KEY, W, K).generate_token(ttl, now=now)),
    ("4.0.mint_many", lambda now, ttl: TaskRouterCapability.mint_many(A, KEY, W, [K], ttl=ttl, now=now)),
    *(
        (f"{module.__name__.rsplit('.', 1)[1]}.{name}", factory)
        for module in (task_router_v4_5, task_router_v5)
        for name, factory in (
            ("general", lambda now, ttl, m=module: m.TaskRouterCapability(A, KEY, W, K).generate_token(ttl, now=now)),
            ("worker", lambda now, ttl, m=module: m.TaskRouterWorkerCapability(A, KEY, W, K).generate_token(ttl, now=now)),
            ("workspace", lambda now, ttl, m=module: m.TaskRouterWorkspaceCapability(A, KEY, W).generate_token(ttl, now=now)),
        )
    ),
    ("jwt.worker", lambda now, ttl: capabilities.WorkerCapabilityToken(A, KEY, W, K).to_jwt(ttl, now=now)),
    ("jwt.taskqueue", lambda now, ttl: capabilities.TaskQueueCapabilityToken(A, KEY, W, Q).to_jwt(ttl, now=now)),
    ("jwt.workspace", lambda now, ttl: capabilities.WorkspaceCapabilityToken(A, KEY, W).to_jwt(ttl, now=now)),
    ("access-token", lambda now, ttl: access().to_jwt(ttl, now=now)),
    ("jwt.own-claims", lambda now, ttl: OwnClaims(KEY, "me").to_jwt(ttl, now=now)),
    ("jwt.own-payload", lambda now, ttl: OwnPayload(KEY, "me").to_jwt(ttl, now=now)),
    ("access-token.own-claims", lambda now, ttl: OwnAccessClaims(A, "SK1", KEY, identity="alice").to_jwt(ttl, now=now)),
    ("jwt.decoded", lambda now, ttl: Jwt.from_jwt(DECODED, KEY, now=1000).to_jwt(ttl, now=now)),
]

# (id, the call that mints at `now` with exp fixed by valid_until, and
# nbf = now (GENERATE) or no nbf): exp then never involves `now`, which on
# 7899688 let it through into nbf and jti.
FIXED_EXP: list[tuple[str, Callable[[int | None, object], Any]]] = [
    ("jwt.worker", lambda now, nbf: capabilities.WorkerCapabilityToken(
        A, KEY, W, K, valid_until=2_000_000_000, nbf=nbf).to_jwt(now=now)),
    ("jwt.taskqueue", lambda now, nbf: capabilities.TaskQueueCapabilityToken(
        A, KEY, W, Q, valid_until=2_000_000_000, nbf=nbf).to_jwt(now=now)),
    ("jwt.workspace", lambda now, nbf: capabilities.WorkspaceCapabilityToken(
        A, KEY, W, valid_until=2_000_000_000, nbf=nbf).to_jwt(now=now)),
    ("access-token", lambda now, nbf: access(valid_until=2_000_000_000, nbf=nbf).to_jwt(now=now)),
    ("access-token.own-claims", lambda now, nbf: OwnAccessClaims(
        A, "SK1", KEY, identity="alice", valid_until=2_000_000_000, nbf=nbf).to_jwt(now=now)),
    ("jwt.own-claims", lambda now, nbf: OwnClaims(KEY, "me", valid_until=2_000_000_000, nbf=nbf).to_jwt(now=now)),
]  # fmt: skip

BEYOND = [INT64_MAX + 1, 2**70, INT64_MIN - 1, -(2**70)]


def now_refused(now: int) -> str:
    return rf"^now \({now}\) does not fit a signed 64-bit integer$"


def claims_of(token: Any) -> dict[str, Any]:
    first = token[0] if isinstance(token, list) else token
    return dict(json.loads(payload_text(first)))


@pytest.mark.parametrize(("name", "mint"), MINTS, ids=[m[0] for m in MINTS])
def test_a_given_now_beyond_int64_is_refused_by_name(name: str, mint: Mint) -> None:
    # The edges themselves are times a token carries (ttl 0 keeps exp = now).
    for edge in (INT64_MIN, INT64_MAX):
        claims = claims_of(mint(edge, 0))
        if name != "jwt.own-payload":
            assert claims["exp"] == edge
    for now in BEYOND:
        # ttl chosen so that exp would fit: only `now` is out of range.
        ttl = 0 if now > 0 else -now + INT64_MIN
        with pytest.raises(OverflowError, match=now_refused(now)):
            mint(now, ttl)
        if name.startswith(("jwt.", "access-token")):
            # ttl None (the token's own exp): `now` is checked all the same.
            with pytest.raises(OverflowError, match=now_refused(now)):
                mint(now, None)  # type: ignore[arg-type]


@pytest.mark.parametrize(("name", "mint"), FIXED_EXP, ids=[m[0] for m in FIXED_EXP])
@pytest.mark.parametrize("nbf", [Jwt.GENERATE, None], ids=["nbf-now", "no-nbf"])
def test_now_is_refused_where_exp_is_fixed(name: str, mint: Callable[[int | None, object], Any], nbf: object) -> None:
    # On 7899688: a token with nbf (and an Access Token's jti) beyond int64,
    # which from_jwt refused, or "a number of the tail does not fit ...".
    for now in BEYOND:
        with pytest.raises(OverflowError, match=now_refused(now)):
            mint(now, nbf)
    # Within range it is minted, and our own decoder reads it back.
    token = mint(INT64_MIN, nbf)
    claims = decode(token, KEY, now=0)
    assert claims["exp"] == 2_000_000_000
    assert claims.get("nbf") == (INT64_MIN if nbf is Jwt.GENERATE else None)
    assert type(Jwt.from_jwt(token, KEY, now=0)).__name__ in {"WorkerCapabilityToken", "TaskQueueCapabilityToken",
                                                             "WorkspaceCapabilityToken", "AccessToken", "_DecodedJwt"}
    assert token == pyjwt.encode(
        pyjwt.decode(token, KEY, algorithms=["HS256"], options={"verify_exp": False, "verify_nbf": False}),
        KEY, algorithm="HS256", headers=pyjwt.get_unverified_header(token),
    )  # fmt: skip


CLOCKS_BEYOND = [
    (2.0**70, r"1180591620717411303424"),
    (-(2.0**70), r"-1180591620717411303424"),
    (1e30, r"\d+"),
    (2**63, r"9223372036854775808"),  # an int clock
    (float(2**63), r"9223372036854775808"),
]


@pytest.mark.parametrize(("name", "mint"), MINTS + [(f"{n}.fixed-exp", (lambda m: lambda now, ttl: m(now, Jwt.GENERATE))(m))
                                                     for n, m in FIXED_EXP], ids=lambda v: v if isinstance(v, str) else "")
def test_a_clock_beyond_int64_or_not_a_number_is_refused_by_name(name: str, mint: Mint) -> None:
    ttl = None if name.endswith("fixed-exp") or name.startswith(("jwt.", "access")) else 0
    for clock, digits in CLOCKS_BEYOND:
        with mock.patch("time.time", return_value=clock):
            with pytest.raises(
                OverflowError, match=rf"^now \({digits}, from time.time\(\)\) does not fit a signed 64-bit integer$"
            ):
                mint(None, ttl)  # type: ignore[arg-type]
    for clock, shown in ((float("inf"), "inf"), (float("-inf"), "-inf")):
        with mock.patch("time.time", return_value=clock):
            with pytest.raises(
                OverflowError, match=rf"^now \(time.time\(\) returned {shown}\) does not fit a signed 64-bit integer$"
            ):
                mint(None, ttl)  # type: ignore[arg-type]
    with mock.patch("time.time", return_value=float("nan")):
        with pytest.raises(ValueError, match=r"^now \(time.time\(\) returned nan\) is not a number of seconds$"):
            mint(None, ttl)  # type: ignore[arg-type]
    # A clock at the edges (a float's int() truncates toward zero) mints.
    with mock.patch("time.time", return_value=-(2.0**63)):
        mint(None, ttl)  # type: ignore[arg-type]


def test_the_payload_property_reads_a_checked_clock() -> None:
    # Jwt.payload and an Access Token's _generate_payload read the clock too.
    for reader in (lambda: OwnClaims(KEY, "me").payload, lambda: access()._generate_payload()):
        with mock.patch("time.time", return_value=float("nan")):
            with pytest.raises(ValueError, match="^now "):
                reader()
        with mock.patch("time.time", return_value=2.0**64):
            with pytest.raises(OverflowError, match="^now "):
                reader()


def test_a_number_too_long_to_write_is_still_named() -> None:
    # int's str() limit (4300 digits by default) must not replace our error
    # with its own ValueError, which names nothing.
    huge = 10 ** (sys.get_int_max_str_digits() + 10) if sys.get_int_max_str_digits() else 10**5000
    too_long = r"\(a number too long to write{}\) does not fit a signed 64-bit integer$"
    with pytest.raises(OverflowError, match="^now " + too_long.format("")):
        capabilities.WorkerCapabilityToken(A, KEY, W, K).to_jwt(now=huge)
    with pytest.raises(OverflowError, match="^now " + too_long.format("")):
        TaskRouterCapability(A, KEY, W, K).generate_token(now=-huge)
    with mock.patch("time.time", return_value=huge):
        with pytest.raises(OverflowError, match="^now " + too_long.format(", from time.time\\(\\)")):
            access().to_jwt()
    for name in ("nbf", "valid_until"):
        with pytest.raises(OverflowError, match=f"^{name} " + too_long.format("")):
            capabilities.WorkspaceCapabilityToken(A, KEY, W, **{name: huge})
    with pytest.raises(OverflowError, match="^exp " + too_long.format("")):
        access().to_jwt(huge, now=0)
    with pytest.raises(OverflowError, match="^nbf " + too_long.format("")):
        _checks.check_claim_time(huge, "nbf")


def test_check_claim_time_takes_an_int_subclass_by_value() -> None:
    # An exact int comes back, and the OverflowError's message is written
    # from that copy: none of the subclass's methods runs.
    class Loud(int):
        def __str__(self) -> str:
            raise AssertionError("a method of the subclass ran")

        __repr__ = __str__

    assert type(_checks.check_claim_time(Loud(5), "nbf")) is int
    with pytest.raises(OverflowError, match=r"^nbf \(18446744073709551616\) does not fit"):
        _checks.check_claim_time(Loud(2**64), "nbf")
