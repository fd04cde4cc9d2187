"""What today's ``twilio.jwt`` needs beyond the token classes: how
``from_jwt`` verifies a token, the error class that both twilio's callers
and ours catch, and the signers of tokens (keyed once with a header that
is fixed, or keeping the key for a header known only when minting).

``_decode_for_from_jwt`` is the one place ``Jwt.from_jwt`` verifies a
token.  It asks :func:`twilio_trcap.decode.decode_token` for what twilio's
``Jwt.from_jwt`` asks PyJWT to check (signature, ``alg``, ``exp``, ``nbf``),
with the strict reading and the errors of :mod:`twilio_trcap.errors`
described in docs/decoding.md.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Final, NoReturn, TypeAlias

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


#: The header of every token whose header is fixed: ``{"alg": "HS256",
#: "typ": "JWT"}`` as PyJWT writes it (fields sorted), the core's default.
DEFAULT_HEADER: Final = b'{"alg":"HS256","typ":"JWT"}'


class FixedHeaderSigner:
    """Signs HS256 tokens whose header is known when the key is given: a
    core ``Minter`` keyed once with that header.  No Python object keeps
    the key (docs/security.md)."""

    __slots__ = ("_minter", "_header")

    def __init__(self, minter: _core.Minter, header: bytes) -> None:
        self._minter = minter
        self._header = header

    def sign(self, header: bytes, payload: bytes) -> str:
        """The token with this header JSON and payload JSON.

        :raises ValueError: `header` is not the header the key was given
            with (the core keeps them together).
        """
        if header != self._header:
            raise ValueError(
                "the headers of this token cannot change after its key is set: the key lives "
                "only in the C core with the header it signs (docs/security.md)"
            )
        return self._minter.sign(payload)

    def __repr__(self) -> str:
        """The type only, never the key."""
        return "<FixedHeaderSigner (key not shown)>"

    def __reduce__(self) -> NoReturn:
        """Refused: pickling would copy the key out of the core.

        :raises TypeError: always.
        """
        raise TypeError("cannot pickle a FixedHeaderSigner: it holds a key")


def _minter_factory(key: str | bytes, name: str) -> Callable[[bytes], _core.Minter]:
    # The key is held by this closure's cell only: no attribute of any
    # object names it.  gc.get_referents still reaches it (function ->
    # closure tuple -> cell -> key); docs/security.md says so.
    def minter_for(header: bytes) -> _core.Minter:
        return _core.Minter(key, header, name=name)

    return minter_for


class HeaderSigner:
    """Signs HS256 tokens whose header is known only at minting time (a
    subclass's own ``_generate_headers`` or ``headers``).

    The core's ``Minter`` takes its header when it is made, and a new one
    needs the key; so this object keeps a reference to the key object the
    caller passed (no copy: the caller's own str or bytes), in a closure
    rather than an attribute, and one Minter for the last header used.
    That reference is reachable through the garbage collector
    (``gc.get_referents``), as any Python reference is; docs/security.md
    says so, and what the core entry point planned in issue 10 changes.
    The key is never shown: not in ``repr``, not in a pickle, not in a
    message.
    """

    __slots__ = ("_minter_for", "_last")

    def __init__(self, key: str | bytes, name: str) -> None:
        minter_for = _minter_factory(key, name)
        # A Minter made now checks the key as the core will use it (a str
        # with a lone surrogate is refused here, not when minting).
        # (header, its Minter) in one attribute, read and replaced whole, so
        # that threads minting with different headers never pair one
        # header with another's Minter.
        self._last: tuple[bytes, _core.Minter] = (DEFAULT_HEADER, minter_for(DEFAULT_HEADER))
        self._minter_for = minter_for

    def sign(self, header: bytes, payload: bytes) -> str:
        """The token with this header JSON and payload JSON."""
        last = self._last
        if last[0] != header:
            last = (header, self._minter_for(header))
            self._last = last
        return last[1].sign(payload)

    def __repr__(self) -> str:
        """The type only, never the key."""
        return "<HeaderSigner (key not shown)>"

    def __reduce__(self) -> NoReturn:
        """Refused: pickling would copy the key out of the closure.

        :raises TypeError: always.
        """
        raise TypeError("cannot pickle a HeaderSigner: it holds a key")


Signer: TypeAlias = "FixedHeaderSigner | HeaderSigner"


def signer_for(key: object, header: bytes | None, name: str) -> Signer:
    """The signer for `key` (checked, the error naming `name`): keyed once
    with `header` if the header is fixed, else one that keeps the key for
    headers known only at minting time (`header` None)."""
    checked = check_key(key, name)
    if header is None:
        return HeaderSigner(checked, name)
    return FixedHeaderSigner(_core.Minter(checked, header, name=name), header)
