"""INTERIM token verification for ``from_jwt`` (standard library only).

To be replaced by the C decoder (``twilio_trcap.decode``, issue 4) when it
lands: ``_decode_for_from_jwt`` is the one place ``from_jwt`` verifies a
token, so the swap is this file alone.  Until then it checks what twilio's
``Jwt.from_jwt`` asks PyJWT to check (signature, ``alg``, ``exp``, ``nbf``),
with the errors of :mod:`twilio_trcap.errors`.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import re
import time
from typing import Any

from ._checks import check_key
from .errors import (
    ExpiredTokenError,
    InvalidSignatureError,
    MalformedTokenError,
    NotYetValidError,
    UnsupportedAlgorithmError,
)

# RFC 7515 section 2: base64url without padding (RFC 4648 section 5).
_SEGMENT = re.compile(r"[A-Za-z0-9_-]*")


def _segment(text: str, what: str) -> bytes:
    if not _SEGMENT.fullmatch(text) or len(text) % 4 == 1:
        raise MalformedTokenError(f"the token's {what} is not base64url without padding")
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except binascii.Error:
        raise MalformedTokenError(f"the token's {what} is not base64url") from None


def _json_object(data: bytes, what: str) -> dict[str, Any]:
    try:
        value = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise MalformedTokenError(f"the token's {what} is not UTF-8 JSON") from None
    if not isinstance(value, dict):
        raise MalformedTokenError(f"the token's {what} is not a JSON object")
    return value


def _time_claim(payload: dict[str, Any], name: str) -> int | None:
    value = payload.get(name)
    if value is None and name not in payload:
        return None
    if not isinstance(value, int) or isinstance(value, bool):
        raise MalformedTokenError(f"the {name} claim must be an integer")
    return value


def _decode_for_from_jwt(
    token: object, key: object, *, now: int | None = None
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The header and payload of `token`, verified with `key` (HS256).

    :param token: a compact JWS (str, or ASCII bytes).
    :param key: the HMAC key (str as UTF-8, or bytes), not empty.
    :param now: the time to check ``exp`` and ``nbf`` against (seconds
        since the epoch); the current time by default.
    :raises TypeError: `token` or `key` has the wrong type.
    :raises ValueError: `key` is empty.
    :raises MalformedTokenError: not three base64url segments of JSON
        objects, or a time claim that is not an integer.
    :raises UnsupportedAlgorithmError: the header's ``alg`` is not HS256.
    :raises InvalidSignatureError: the signature does not match.
    :raises ExpiredTokenError: ``exp`` is not after `now`.
    :raises NotYetValidError: ``nbf`` is after `now`.
    """
    if isinstance(token, bytes):
        try:
            token = token.decode("ascii")
        except UnicodeDecodeError:
            raise MalformedTokenError("the token is not ASCII") from None
    if not isinstance(token, str):
        raise TypeError(f"jwt must be str, not {type(token).__name__}")
    secret = check_key(key, "key")
    if isinstance(secret, str):
        try:
            secret = secret.encode("utf-8")
        except UnicodeEncodeError:
            raise ValueError(
                "key contains a lone surrogate and cannot be encoded as UTF-8"
            ) from None
    segments = token.split(".")
    if len(segments) != 3:
        raise MalformedTokenError(
            f"a token has three dot-separated segments, not {len(segments)}"
        )
    header = _json_object(_segment(segments[0], "header"), "header")
    payload = _json_object(_segment(segments[1], "payload"), "payload")
    signature = _segment(segments[2], "signature")
    if header.get("alg") != "HS256":
        raise UnsupportedAlgorithmError(
            f"the token's algorithm is {header.get('alg')!r}, expected 'HS256'"
        )
    signing_input = f"{segments[0]}.{segments[1]}".encode("ascii")
    expected = hmac.new(secret, signing_input, hashlib.sha256).digest()
    if not hmac.compare_digest(expected, signature):
        raise InvalidSignatureError("the token's signature does not match the key")
    current = int(time.time()) if now is None else now
    # RFC 7519 sections 4.1.4 and 4.1.5, with PyJWT's comparisons (no leeway).
    exp = _time_claim(payload, "exp")
    if exp is not None and exp <= current:
        raise ExpiredTokenError("the token has expired")
    nbf = _time_claim(payload, "nbf")
    if nbf is not None and nbf > current:
        raise NotYetValidError("the token is not yet valid")
    return header, payload
