"""Reading tokens back: a strict, verifying decoder.

:func:`decode` returns a token's claims after checking, in this order
(PyJWT's, so that a token with several faults is refused for the same kind
of reason): its size and three base64url segments, the header's JSON and
fields, the algorithm, the HS256 signature, the payload's JSON, then the
time claims ``nbf`` and ``exp``.  Everything up to the payload's JSON is
done by the compiled core (``src/core/jws_decode.c``, ``src/core/json_reader.c``);
the time claims are compared here, with Python's exact int/float
comparisons, as PyJWT compares them.

:func:`decode_token` returns a :class:`DecodedToken` (header, claims and
whether the signature was checked) that can also answer "does this token
allow that request?" (:mod:`twilio_trcap.check`).

Limits and the places where this decoder is stricter than PyJWT are listed
in ``docs/decoding.md``.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping
from datetime import timedelta  # with the module: leeway's annotation names it
from typing import Any, Final

from . import _core
from ._checks import KeyLike, check_key
from ._mixins import Checkable
from .errors import ExpiredTokenError, MalformedTokenError, NotYetValidError
from .policy import Policy


__all__ = [
    "DEFAULT_ALGORITHMS",
    "MAX_HEADER_LENGTH",
    "MAX_JSON_DEPTH",
    "MAX_TOKEN_LENGTH",
    "DecodedToken",
    "decode",
    "decode_token",
]

#: The algorithms a token may use unless the caller says otherwise.
DEFAULT_ALGORITHMS: Final = ("HS256",)
#: The longest token accepted, in characters.
MAX_TOKEN_LENGTH: Final[int] = _core.MAX_TOKEN_LENGTH
#: The longest header segment accepted, in characters (it is read before
#: the signature is checked).
MAX_HEADER_LENGTH: Final[int] = _core.MAX_HEADER_LENGTH
#: The deepest nesting of JSON objects and arrays accepted.
MAX_JSON_DEPTH: Final[int] = _core.MAX_JSON_DEPTH

def _algorithms(algorithms: object) -> tuple[str, ...]:
    if algorithms is DEFAULT_ALGORITHMS:
        return DEFAULT_ALGORITHMS
    if isinstance(algorithms, (str, bytes)) or not isinstance(algorithms, Iterable):
        raise TypeError(
            "algorithms must be a sequence of algorithm names such as ('HS256',), "
            f"not {type(algorithms).__name__}"
        )
    names = tuple(algorithms)
    if not names:
        raise ValueError("algorithms must name at least one algorithm")
    for name in names:
        if not isinstance(name, str):
            raise TypeError(f"algorithms must hold str, not {type(name).__name__}")
        if name.lower() == "none":
            raise ValueError("algorithms must not allow 'none': unsigned tokens are never accepted")
    return names


def _seconds(value: object, name: str) -> float | int:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        if isinstance(value, timedelta) and name == "leeway":
            return value.total_seconds()
        raise TypeError(f"{name} must be a number of seconds, not {type(value).__name__}")
    if value != value or value in (float("inf"), float("-inf")):
        raise ValueError(f"{name} must be a finite number of seconds")
    return value


def _clock(leeway: object, now: object) -> tuple[float, float]:
    """(leeway, now) checked: the arguments are refused before the token."""
    slack = 0 if leeway == 0 and type(leeway) is int else _seconds(leeway, "leeway")
    if slack < 0:
        raise ValueError("leeway must be zero or more seconds")
    at = time.time() if now is None else _seconds(now, "now")
    return slack, at


def _number_claim(claims: dict[str, Any], name: str) -> int | None:
    """The claim `name` as PyJWT compares it (int() truncates a fraction),
    or None when absent."""
    if name not in claims:
        return None
    value = claims[name]
    # RFC 7519 section 2, NumericDate: a JSON number (a fraction is
    # allowed).  PyJWT also takes numeric strings and booleans, since it
    # calls int() on them; neither is a date, so we refuse them.
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise MalformedTokenError(
            f"malformed token: the {name} claim must be a number of seconds, "
            f"not {_json_type(value)}"
        )
    return int(value)


def _check_claims(
    claims: dict[str, Any], slack: float, at: float, verify_exp: bool, verify_nbf: bool
) -> None:
    """The registered claims (RFC 7519 section 4.1), in PyJWT's order."""
    _number_claim(claims, "iat")
    nbf = _number_claim(claims, "nbf")
    if verify_nbf and nbf is not None and nbf > at + slack:
        raise NotYetValidError(f"the token is not valid before {nbf} (nbf)")
    exp = _number_claim(claims, "exp")
    if verify_exp and exp is not None and exp <= at - slack:
        raise ExpiredTokenError(f"the token expired at {exp} (exp)")
    if "aud" in claims:
        # Section 4.1.3: a reader that is not in the audience must refuse
        # the token; this decoder has no audience (PyJWT, given none,
        # refuses too).
        raise MalformedTokenError(
            "malformed token: the token is restricted to an audience (aud); "
            "twilio-trcap decodes only tokens without one"
        )
    for name in ("sub", "jti"):
        if name in claims and not isinstance(claims[name], str):
            raise MalformedTokenError(
                f"malformed token: the {name} claim must be a string, not "
                f"{_json_type(claims[name])}"
            )


def _json_type(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, list):
        return "an array"
    return "an object"


def decode(
    token: str | bytes,
    key: KeyLike,
    *,
    algorithms: Iterable[str] = DEFAULT_ALGORITHMS,
    leeway: float | timedelta = 0,
    verify_exp: bool = True,
    verify_nbf: bool = True,
    now: float | None = None,
) -> dict[str, Any]:
    """The claims of an HS256 token, after checking that it is authentic
    and valid now.

    :param token: the token (a str of ASCII characters, or bytes).
    :param key: the HS256 key: a str (its UTF-8 is the key), bytes or a Key; for a
        Twilio token, the account's auth token or the API key's secret.
    :param algorithms: the ``alg`` values accepted; only HS256 can be
        verified, and ``none`` is refused whatever is given here.
    :param leeway: seconds (or a timedelta) of clock skew allowed for
        ``exp`` and ``nbf``.
    :param verify_exp: refuse a token whose ``exp`` is past.
    :param verify_nbf: refuse a token whose ``nbf`` is in the future.
    :param now: the time to check against, in seconds since the epoch (the
        current time by default; for tests).
    :returns: a new dict of the payload's claims.
    :raises MalformedTokenError: the token is not a strict HS256 JWS with
        JSON objects for header and payload, is too large, or has a
        registered claim of the wrong type or an audience (``aud``).
    :raises UnsupportedAlgorithmError: ``alg`` is missing, ``none``, not in
        `algorithms`, or not HS256.
    :raises InvalidSignatureError: the signature does not match `key`.
    :raises ExpiredTokenError: ``exp`` is at or before ``now - leeway``.
    :raises NotYetValidError: ``nbf`` is after ``now + leeway``.
    :raises TypeError: an argument has the wrong type.
    :raises ValueError: an empty key, no algorithms, or a negative leeway.

    Every exception about the token is a :class:`~twilio_trcap.errors.DecodeError`
    (also available as ``JwtDecodeError``); no message contains the key.
    """
    return _read(token, check_key(key, "key"), algorithms, leeway, verify_exp, verify_nbf, now)[1]


def decode_token(
    token: str | bytes,
    key: KeyLike | None,
    *,
    algorithms: Iterable[str] = DEFAULT_ALGORITHMS,
    leeway: float | timedelta = 0,
    verify_exp: bool = True,
    verify_nbf: bool = True,
    now: float | None = None,
) -> DecodedToken:
    """Like :func:`decode`, but returns a :class:`DecodedToken` with the
    header too.

    With ``key=None`` the signature is **not** checked (the result says so
    in :attr:`DecodedToken.verified`): for looking at a token whose key you
    do not have, never for trusting it.  Everything else is checked as by
    :func:`decode`.

    :raises: as :func:`decode`.
    """
    if key is not None:
        key = check_key(key, "key")
    header, claims = _read(token, key, algorithms, leeway, verify_exp, verify_nbf, now)
    return DecodedToken(header, claims, verified=key is not None)


def _read(
    token: str | bytes,
    key: KeyLike | None,
    algorithms: Iterable[str],
    leeway: float | timedelta,
    verify_exp: bool,
    verify_nbf: bool,
    now: float | None,
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The header and claims of `token`, read in the order :func:`decode`
    documents, after the key (already checked by the caller; None skips
    the signature).  The arguments are refused before the token."""
    names = _algorithms(algorithms)
    slack, at = _clock(leeway, now)
    header, claims = _core.decode_jws(token, key, names)
    _check_claims(claims, slack, at, verify_exp, verify_nbf)
    return header, claims


class DecodedToken(Checkable):
    """A decoded token: its header, its claims, and whether its signature
    was verified.

    :meth:`allows` and :meth:`explain` apply the local policy model
    (``docs/policies.md``) to the token's ``policies`` claim.
    """

    __slots__ = ("_header", "_payload", "_verified")

    def __init__(self, header: dict[str, Any], payload: dict[str, Any], *, verified: bool) -> None:
        self._header = header
        self._payload = payload
        self._verified = verified

    @property
    def header(self) -> dict[str, Any]:
        """The JOSE header (a dict; ``alg`` is HS256)."""
        return self._header

    @property
    def payload(self) -> dict[str, Any]:
        """The claims (a dict, as :func:`decode` returns them)."""
        return self._payload

    @property
    def verified(self) -> bool:
        """``True`` if the signature was checked against a key."""
        return self._verified

    @property
    def policies(self) -> list[Policy]:
        """The ``policies`` claim as :class:`~twilio_trcap.policy.Policy`
        values (empty when the token has none, as Access Tokens do).

        :raises MalformedTokenError: the claim is not a list of policies
            with ``url``, ``method`` and ``allow``.
        """
        return policies_of_claims(self._payload)

    def __repr__(self) -> str:
        """The algorithm, whether the signature was verified, and the claim names (never their values or the token)."""
        state = "verified" if self._verified else "NOT verified"
        return f"<DecodedToken {self._header.get('alg')!r} {state}, claims {sorted(self._payload)}>"


def policies_of_claims(claims: Mapping[str, Any]) -> list[Policy]:
    """The ``policies`` claim of decoded claims as Policy values.

    A token's policy must carry ``url``, ``method`` and ``allow`` (every
    twilio generation writes all five fields); a missing filter is ``{}``.

    :raises MalformedTokenError: the claim or one of its policies is not
        of that shape.
    """
    raw = claims.get("policies", [])
    if not isinstance(raw, list):
        raise MalformedTokenError("malformed token: the policies claim is not an array")
    policies = []
    for index, item in enumerate(raw):
        if not isinstance(item, dict) or not {"url", "method", "allow"} <= item.keys():
            raise MalformedTokenError(
                f"malformed token: policy {index} is not an object with url, method and allow"
            )
        try:
            policies.append(Policy.coerce(item))
        except (TypeError, ValueError) as exc:
            raise MalformedTokenError(f"malformed token: policy {index}: {exc}") from None
    return policies
