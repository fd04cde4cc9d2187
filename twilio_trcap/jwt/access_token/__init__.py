"""Today's ``twilio.jwt.access_token``: ``AccessToken`` and the
``AccessTokenGrant`` base, for twilio-taskrouter.js v2 and later (which
accept only an Access Token with a TaskRouter grant).

The grant itself is :class:`twilio_trcap.jwt.access_token.grants.TaskRouterGrant`.
"""

from __future__ import annotations

import abc
from collections.abc import Iterable
from typing import Any, ClassVar, Final, Self

from ... import _core
from ..._checks import check_key, check_optional_text, check_sid, check_text
from .. import GENERATE, Jwt, Nbf

__all__ = ["AccessToken", "AccessTokenGrant"]

_js = _core.json_string


class AccessTokenGrant(abc.ABC):
    """A grant of an Access Token: the base of
    :class:`~twilio_trcap.jwt.access_token.grants.TaskRouterGrant`, and of
    any grant of one's own (give it a :attr:`key` and :meth:`to_payload`)."""

    __slots__ = ()

    @property
    @abc.abstractmethod
    def key(self) -> str:
        """The grant's name in the ``grants`` claim."""

    @abc.abstractmethod
    def to_payload(self) -> Any:
        """The grant's JSON value (dicts, lists, str, int, float, bool or
        None)."""

    def __str__(self) -> str:
        return f"<{type(self).__name__} {self.to_payload()}>"


class _DecodedGrant(AccessTokenGrant):
    """A grant read by ``from_jwt`` that has no class here: kept as is."""

    __slots__ = ("_key", "_payload")

    def __init__(self, key: str, payload: Any) -> None:
        self._key = key
        self._payload = payload

    @property
    def key(self) -> str:
        return self._key

    def to_payload(self) -> Any:
        return self._payload

    def __repr__(self) -> str:
        return f"<grant {self._key!r}: {self._payload!r}>"


class AccessToken(Jwt):
    """An Access Token: what twilio-taskrouter.js v2 and later accept.

    :param account_sid: the account (``AC...``): the ``sub`` claim.
    :param signing_key_sid: the API key (``SK...``) that signs: the ``iss``
        claim and the start of ``jti``.
    :param secret: the API key's secret (str or bytes), the HS256 key; kept
        only inside the C core, never shown.
    :param grants: grants to start with (an iterable of
        :class:`AccessTokenGrant`); :meth:`add_grant` adds more.
    :param identity: the user's identity (``grants.identity``), or ``None``.
    :param nbf: the ``nbf`` claim: :data:`~twilio_trcap.jwt.GENERATE` (the
        minting time, the default), seconds since the epoch, or ``None`` to
        leave it out.
    :param ttl: seconds from minting to ``exp``; 3600 by default.
    :param valid_until: a fixed ``exp`` that overrides `ttl`, or ``None``.
    :param region: the Twilio region (the ``twr`` header), or ``None``.
    :raises TypeError: a sid, identity or region is not a str, the secret
        neither str nor bytes, a time not an int, or a grant not an
        :class:`AccessTokenGrant` (twilio raised ValueError for that one).
    :raises ValueError: a sid has the wrong prefix or holds anything but
        ASCII letters and digits (docs/security.md); a sid, the secret, the
        identity or the region is empty; `ttl` is negative.
    :raises OverflowError: `nbf` or `valid_until` does not fit a signed
        64-bit int.

    The token equals twilio's byte for byte: header ``alg``, ``cty``
    (``twilio-fpa;v=1``), ``twr`` if a region is set, ``typ``; claims
    ``jti`` (``<signing_key_sid>-<minting time>``), ``grants``, ``iss``,
    ``exp``, ``nbf``, ``sub``.
    """

    __slots__ = ("_account_sid", "_signing_key_sid", "_identity", "_region", "_grants", "_jti", "_tail")

    #: The header's ``cty``: a Twilio "first-party application" token.
    CONTENT_TYPE: Final = "twilio-fpa;v=1"
    _KEY_WHAT: ClassVar[str] = "an API key secret"

    _jti: str | None

    def __init__(
        self,
        account_sid: str,
        signing_key_sid: str,
        secret: str | bytes,
        grants: Iterable[AccessTokenGrant] | None = None,
        identity: str | None = None,
        nbf: Nbf = GENERATE,
        ttl: int = 3600,
        valid_until: int | None = None,
        region: str | None = None,
    ) -> None:
        self._account_sid = check_sid(account_sid, "account_sid", ("AC",))
        self._signing_key_sid = check_sid(signing_key_sid, "signing_key_sid", ("SK",))
        self._identity = check_optional_text(identity, "identity")
        self._region = check_optional_text(region, "region")
        self._grants: list[AccessTokenGrant] = []
        for grant in [] if grants is None else grants:
            self.add_grant(grant)
        self._jti = None
        # PyJWT writes the header with sorted keys (its sort_headers default).
        header = b'{"alg":"HS256","cty":' + _js(self.CONTENT_TYPE)
        if self._region is not None:
            header += b',"twr":' + _js(self._region)
        header += b',"typ":"JWT"}'
        self._minter = _core.Minter(check_key(secret, "secret"), header, name="secret")
        self._tail = b',"sub":' + _js(self._account_sid) + b"}"
        self._init_times(ttl, nbf, valid_until)

    # -- what the reference exposes -------------------------------------------

    @property
    def account_sid(self) -> str:
        """The account sid (the ``sub`` claim)."""
        return self._account_sid

    @property
    def signing_key_sid(self) -> str:
        """The API key sid (the ``iss`` claim)."""
        return self._signing_key_sid

    @property
    def identity(self) -> str | None:
        """The identity (``grants.identity``), or ``None``."""
        return self._identity

    @property
    def region(self) -> str | None:
        """The region (the ``twr`` header), or ``None``."""
        return self._region

    @property
    def grants(self) -> tuple[AccessTokenGrant, ...]:
        """The grants, in the order added (a snapshot; see :meth:`add_grant`)."""
        return tuple(self._grants)

    def add_grant(self, grant: AccessTokenGrant) -> None:
        """Adds a grant.  A later grant with the same key replaces an
        earlier one in the token, as in twilio.

        :raises TypeError: `grant` is not an :class:`AccessTokenGrant`.
        """
        if not isinstance(grant, AccessTokenGrant):
            raise TypeError(f"grant must be an AccessTokenGrant, not {type(grant).__name__}")
        self._grants.append(grant)

    @property
    def headers(self) -> dict[str, Any]:
        """The header in twilio's order: ``cty``, ``twr`` if a region is
        set, ``typ``, ``alg`` (a new dict; the token carries them sorted)."""
        headers: dict[str, Any] = {"cty": self.CONTENT_TYPE}
        if self._region is not None:
            headers["twr"] = self._region
        headers["typ"] = "JWT"
        headers["alg"] = self.ALGORITHM
        return headers

    # -- the token --------------------------------------------------------------

    def _sign(self, now: int, exp: int, nbf: int | None) -> str:
        grants = {grant.key: grant.to_payload() for grant in self._grants}
        if self._identity is not None:
            grants["identity"] = self._identity
        jti = f"{self._signing_key_sid}-{now}" if self._jti is None else self._jti
        nbf_parts: tuple[bytes | int, ...] = () if nbf is None else (b',"nbf":', nbf)
        return self._minter.sign(
            b'{"jti":', _js(jti),
            b',"grants":', _core.json_value(grants, "grants"),
            b',"iss":', _js(self._signing_key_sid),
            b',"exp":', exp,
            *nbf_parts,
            self._tail,
        )  # fmt: skip

    @classmethod
    def _from_claims(cls, header: dict[str, Any], payload: dict[str, Any], key: str | bytes) -> Self:
        from .grants import TaskRouterGrant

        claimed = payload.get("grants")
        if not isinstance(claimed, dict):
            raise TypeError("the grants claim must be an object")
        grants: list[AccessTokenGrant] = []
        for name, value in claimed.items():
            if name == "identity":
                continue
            if name == TaskRouterGrant.KEY and isinstance(value, dict):
                grants.append(TaskRouterGrant(**value))
            else:
                grants.append(_DecodedGrant(name, value))
        token = cls(
            payload.get("sub"),  # type: ignore[arg-type]  # checked by the constructor
            payload.get("iss"),  # type: ignore[arg-type]
            key,
            grants,
            identity=claimed.get("identity"),
            nbf=payload.get("nbf"),
            valid_until=payload.get("exp"),
            region=header.get("twr"),
        )
        # A decoded token keeps its jti, so that to_jwt() gives it back.
        token._jti = check_text(payload.get("jti"), "jti")
        return token

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(account_sid={self._account_sid!r}, "
            f"signing_key_sid={self._signing_key_sid!r}, identity={self._identity!r}, "
            f"grants={[grant.key for grant in self._grants]!r})"
        )
