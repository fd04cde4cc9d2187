"""What today's ``twilio.jwt`` needs beyond the token classes: how
``from_jwt`` verifies a token, the error class that both twilio's callers
and ours catch, and the signer of tokens whose header is only known when
they are minted.

``_decode_for_from_jwt`` is the one place ``Jwt.from_jwt`` verifies a
token.  It asks :func:`twilio_trcap.decode.decode_token` for what twilio's
``Jwt.from_jwt`` asks PyJWT to check (signature, ``alg``, ``exp``, ``nbf``),
with the strict reading and the errors of :mod:`twilio_trcap.errors`
described in docs/decoding.md.
"""

from __future__ import annotations

from typing import Any, NoReturn

from . import _core
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


class HeaderSigner:
    """Signs HS256 tokens whose header is known only at minting time (a
    ``Jwt`` subclass's ``_generate_headers``, an Access Token's region).

    The core's ``Minter`` takes its header when it is made, and a new one
    needs the key; so this object keeps a reference to the key object the
    caller passed (no copy: it is the caller's own str or bytes) and one
    Minter for the last header used.  docs/security.md says why, and what
    a core entry point would change.  The key is never shown: not in
    ``repr``, not in a pickle, not in a message.
    """

    __slots__ = ("_key", "_name", "_last")

    def __init__(self, key: object, name: str) -> None:
        self._key = check_key(key, name)
        self._name = name
        # (header, its Minter) in one attribute, read and replaced whole, so
        # that threads minting with different headers never pair one
        # header with another's Minter.
        self._last: tuple[bytes, _core.Minter] | None = None

    def sign(self, header: bytes, payload: bytes) -> str:
        """The token with this header JSON and payload JSON."""
        last = self._last
        if last is None or last[0] != header:
            last = (header, _core.Minter(self._key, header, name=self._name))
            self._last = last
        return last[1].sign(payload)

    def __repr__(self) -> str:
        return "<HeaderSigner (key not shown)>"

    def __reduce__(self) -> NoReturn:
        raise TypeError("cannot pickle a HeaderSigner: it holds a key")
