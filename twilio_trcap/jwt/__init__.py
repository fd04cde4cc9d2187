"""Today's ``twilio.jwt`` (twilio-python 6 and later): the base of the
token classes, ``JwtDecodeError`` and ``Jwt.GENERATE``.

The modules below mirror twilio's, so that changing ``twilio.jwt`` to
``twilio_trcap.jwt`` in an import is the whole migration:

- :mod:`twilio_trcap.jwt.taskrouter`: ``TaskRouterCapabilityToken``
- :mod:`twilio_trcap.jwt.taskrouter.capabilities`: ``WorkerCapabilityToken``,
  ``TaskQueueCapabilityToken``, ``WorkspaceCapabilityToken``
- :mod:`twilio_trcap.jwt.access_token`: ``AccessToken``, ``AccessTokenGrant``
- :mod:`twilio_trcap.jwt.access_token.grants`: ``TaskRouterGrant``

With ``nbf`` and ``valid_until`` fixed, ``to_jwt()`` returns the very token
twilio returns, byte for byte, signed by the C core.  Where twilio is wrong
we are not: ``from_jwt`` returns an instance of the class it is called on,
and ``str()`` of a token object does not show the signed token.
"""

from __future__ import annotations

import abc
import base64
import enum
import json
from typing import Any, ClassVar, Final, NoReturn, Self, TypeAlias, cast

from .._capability import KeyHolder
from .._checks import check_claim_time, check_int, check_ttl, current_time
from .._jwt_compat import _decode_for_from_jwt
from ..errors import DecodeError, JwtDecodeError, MalformedTokenError

__all__ = ["GENERATE", "Jwt", "JwtDecodeError", "Nbf"]


class _Generate(enum.Enum):
    """The type of :data:`GENERATE`."""

    GENERATE = "GENERATE"

    def __repr__(self) -> str:
        return "Jwt.GENERATE"


#: ``nbf`` default: the time the token is minted (twilio's ``Jwt.GENERATE``).
GENERATE: Final = _Generate.GENERATE

# A claim value no JSON can hold, for comparing claims that may be absent.
_ABSENT: Final = object()

#: What ``nbf`` accepts: seconds since the epoch, ``GENERATE`` or ``None``.
Nbf: TypeAlias = "int | _Generate | None"


def _claims_of(token: str) -> dict[str, Any]:
    """The payload of a token minted here (three base64url segments)."""
    segment = token.split(".")[1]
    claims: dict[str, Any] = json.loads(base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4)))
    return claims


class Jwt(KeyHolder, abc.ABC):
    """The base of twilio-trcap's token classes, as ``twilio.jwt.Jwt`` is
    of twilio's.

    It is not a general JWT builder: subclasses mint their own claims with
    the C core.  What every token shares is here: ``ttl``, ``nbf``,
    ``valid_until``, :meth:`to_jwt`, :attr:`payload`, :attr:`headers` and
    :meth:`from_jwt`.
    """

    __slots__ = ("_minter", "_ttl", "_nbf", "_valid_until", "__weakref__")

    #: ``nbf`` default: the time the token is minted.
    GENERATE: Final = GENERATE
    #: The only algorithm: HMAC-SHA256 (RFC 7518 section 3.2).
    ALGORITHM: ClassVar[str] = "HS256"

    _ttl: int
    _nbf: Nbf
    _valid_until: int | None

    def _init_times(self, ttl: object, nbf: object, valid_until: object) -> None:
        self._ttl = check_ttl(ttl)
        if nbf is GENERATE or nbf is None:
            self._nbf = nbf
        else:
            self._nbf = check_claim_time(check_int(nbf, "nbf"), "nbf")
        if valid_until is None:
            self._valid_until = None
        else:
            self._valid_until = check_claim_time(check_int(valid_until, "valid_until"), "valid_until")

    # -- what the reference exposes ---------------------------------------

    @property
    def algorithm(self) -> str:
        """``"HS256"``."""
        return self.ALGORITHM

    @property
    def ttl(self) -> int:
        """Seconds from minting to ``exp`` (unless :attr:`valid_until` is
        set)."""
        return self._ttl

    @property
    def nbf(self) -> Nbf:
        """The ``nbf`` claim: seconds since the epoch, :data:`GENERATE` (the
        minting time) or ``None`` (no ``nbf`` claim)."""
        return self._nbf

    @property
    def valid_until(self) -> int | None:
        """The ``exp`` claim if fixed (seconds since the epoch), else
        ``None``: ``exp`` is then the minting time plus :attr:`ttl`."""
        return self._valid_until

    @property
    def secret_key(self) -> NoReturn:
        """Not readable: the key stays inside the C core."""
        self._unreadable("secret_key")

    @property
    @abc.abstractmethod
    def headers(self) -> dict[str, Any]:
        """The JOSE header, as a new dict in twilio's order."""

    @property
    def payload(self) -> dict[str, Any]:
        """The claims :meth:`to_jwt` would sign now, as a new dict in
        token order."""
        return _claims_of(self.to_jwt())

    def to_jwt(self, ttl: int | None = None, *, now: int | None = None) -> str:
        """The signed token (a str).

        :param ttl: if given, ``exp`` is `now` plus `ttl` seconds,
            whatever :attr:`ttl` and :attr:`valid_until` say (as in
            twilio, except that ``ttl=0`` means zero seconds; twilio ignored
            it).
        :param now: the minting time, in seconds since the epoch; the
            current time by default.
        :raises TypeError: `ttl` or `now` is not an int.
        :raises ValueError: `ttl` is negative.
        :raises OverflowError: ``exp`` does not fit a signed 64-bit int.
        """
        current = current_time(now)
        if ttl is not None:
            exp = current + check_ttl(ttl)
        elif self._valid_until is not None:
            exp = self._valid_until
        else:
            exp = current + self._ttl
        nbf = current if self._nbf is GENERATE else self._nbf
        return self._sign(current, check_claim_time(exp, "exp"), nbf)

    @abc.abstractmethod
    def _sign(self, now: int, exp: int, nbf: int | None) -> str:
        """The token minted at `now` with these time claims."""

    # -- decoding -------------------------------------------------------------

    @classmethod
    def from_jwt(cls, jwt: str, key: str | bytes, *, now: int | None = None) -> Self:
        """The token object `jwt` was minted from, verified with `key`.

        Returns an instance of the class it is called on (twilio returned a
        bare ``Jwt``): ``WorkerCapabilityToken.from_jwt`` a
        ``WorkerCapabilityToken``, ``Jwt.from_jwt`` whichever class wrote
        the token.  Its ``to_jwt()`` gives `jwt` back.

        :param jwt: the token.
        :param key: the key it was signed with; required (twilio skipped
            the signature check without one).
        :param now: the time to check ``exp`` and ``nbf`` against; the
            current time by default.
        :raises TypeError: `jwt` or `key` has the wrong type.
        :raises ValueError: `key` is empty.
        :raises JwtDecodeError: the token is malformed, its signature does
            not match, it has expired or is not yet valid, its algorithm is
            not HS256, or its claims are not those this class writes (each
            a subclass of :class:`~twilio_trcap.errors.DecodeError`).
        """
        header, payload = _decode_for_from_jwt(jwt, key, now=now)
        try:
            token = cls._from_claims(header, payload, key)
        except DecodeError:
            raise
        except (TypeError, ValueError) as exc:
            raise MalformedTokenError(
                f"the token's claims do not make a {cls.__name__}: {exc}"
            ) from None
        rebuilt = token.payload
        wrong = sorted(
            name
            for name in payload.keys() | rebuilt.keys()
            if payload.get(name, _ABSENT) != rebuilt.get(name, _ABSENT)
        )
        if wrong or token.headers != header:
            what = f"claims {wrong}" if wrong else "header"
            raise MalformedTokenError(
                f"the token's {what} differ from what a {type(token).__name__} writes"
            )
        return token

    @classmethod
    def _from_claims(cls, header: dict[str, Any], payload: dict[str, Any], key: str | bytes) -> Self:
        """The token object for these verified claims.  Here, on ``Jwt``
        itself: an Access Token if the header says so, else a TaskRouter
        capability token."""
        # Imported here: those modules build on this one.
        from .access_token import AccessToken
        from .taskrouter import TaskRouterCapabilityToken

        token: Jwt
        if header.get("cty") == AccessToken.CONTENT_TYPE:
            token = AccessToken._from_claims(header, payload, key)
        else:
            token = TaskRouterCapabilityToken._from_claims(header, payload, key)
        # Reached on Jwt itself only (each token class has its own), where
        # every token is an instance of cls.
        return cast(Self, token)

    # -- safety ----------------------------------------------------------------

    @abc.abstractmethod
    def __repr__(self) -> str:
        """The object's identity, never its key or signed token."""

    def __str__(self) -> str:
        # twilio printed "<WorkerCapabilityToken eyJ...>": a bearer credential
        # in every log line that formats the object.
        return repr(self)
