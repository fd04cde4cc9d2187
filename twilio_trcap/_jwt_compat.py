"""How ``from_jwt`` verifies a token: through the compiled decoder.

``_decode_for_from_jwt`` is the one place ``Jwt.from_jwt`` verifies a
token.  It asks :func:`twilio_trcap.decode.decode_token` for what twilio's
``Jwt.from_jwt`` asks PyJWT to check (signature, ``alg``, ``exp``, ``nbf``),
with the strict reading and the errors of :mod:`twilio_trcap.errors`
described in docs/decoding.md.
"""

from __future__ import annotations

from typing import Any

from ._checks import check_key
from .decode import decode_token


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
    :raises MalformedTokenError: not three strict base64url segments of
        JSON objects, or a time claim that is not a number.
    :raises UnsupportedAlgorithmError: the header's ``alg`` is not HS256.
    :raises InvalidSignatureError: the signature does not match.
    :raises ExpiredTokenError: ``exp`` is not after `now`.
    :raises NotYetValidError: ``nbf`` is after `now`.
    """
    if not isinstance(token, (str, bytes)):
        raise TypeError(f"jwt must be str, not {type(token).__name__}")
    decoded = decode_token(token, check_key(key, "key"), now=now)
    return decoded.header, decoded.payload
