"""What today's ``twilio.jwt`` needs beyond the token classes: how
``from_jwt`` verifies a token, and the error class that both twilio's
callers and ours catch.  (A token class signs with a ``_core.Key``, which
signs any header and payload: twilio_trcap._payload.make_key.)

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


class ArgumentTypeError(TypeError, ValueError):
    """An argument of the wrong type where twilio raised ``ValueError``.

    twilio's ``AccessToken`` raises ``ValueError`` for a grant that is not
    a grant, and its TaskRouter tokens raise it for a sid that is ``None``;
    twilio-trcap calls both a type error.  This class is both, so that
    ``except ValueError`` (code written for twilio) and ``except TypeError``
    (code written for us) catch it.
    """


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
