"""Today's ``twilio.jwt.access_token``: ``AccessToken`` and the
``AccessTokenGrant`` base: the token of Twilio's client SDKs
(twilio-taskrouter.js v2 and later accept only an Access Token with a
TaskRouter grant).

The grants are in :mod:`twilio_trcap.jwt.access_token.grants` (every grant
twilio has); ``add_grant`` also takes any object with twilio's grant
protocol (a str ``key`` and ``to_payload()``), twilio's own grants included.
"""

from __future__ import annotations

import abc
import functools
from collections.abc import Iterable
from typing import Any, ClassVar, Final, Protocol, Self, cast

from ... import _core
from ..._checks import (
    KeyLike,
    ACCOUNT_PREFIX,
    SIGNING_KEY_PREFIX,
    check_optional_text,
    check_sid,
    check_text,
    current_time,
    expiry,
)
from ..._payload import make_key
from .. import GENERATE, ArgumentTypeError, Jwt, Nbf, _header_json, _user_defined

__all__ = ["AccessToken", "AccessTokenGrant", "GrantLike", "check_grant"]


class GrantLike(Protocol):
    """twilio's grant protocol: what :meth:`AccessToken.add_grant` takes."""

    @property
    def key(self) -> str:
        """The grant's name in the ``grants`` claim."""

    def to_payload(self) -> Any:
        """The grant's JSON value."""


def check_grant(grant: object, name: str = "grant") -> GrantLike:
    """`grant` if it follows twilio's grant protocol (an instance, not a
    class, with a str ``key`` and a callable ``to_payload``).

    :raises ArgumentTypeError: it does not (a TypeError, and a ValueError
        as twilio raised).
    """
    if type(grant) not in _KEEPING and not isinstance(grant, AccessTokenGrant) and (
        isinstance(grant, type)
        or not isinstance(getattr(grant, "key", None), str)
        or not callable(getattr(grant, "to_payload", None))
    ):
        raise ArgumentTypeError(
            f"{name} must be an AccessTokenGrant or an object with a str key and "
            f"to_payload(), not {type(grant).__name__}"
        )
    return cast(GrantLike, grant)


class AccessTokenGrant(abc.ABC):
    """A grant of an Access Token: the base of the grants in
    :mod:`twilio_trcap.jwt.access_token.grants`, and of any grant of one's
    own (give it a :attr:`key` and :meth:`to_payload`)."""

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
        """The grant's type and JSON value, as twilio shows a grant."""
        return f"<{type(self).__name__} {self.to_payload()}>"

    def _member(self) -> bytes | None:
        """The grant's member of the ``grants`` claim (``"key":value``), if
        the grant keeps it written; None: ask :meth:`to_payload` at each
        mint (a grant of one's own)."""
        return None


#: The header's ``cty``: a Twilio "first-party application" token.
_CONTENT_TYPE: Final = "twilio-fpa;v=1"


def _headers_of(region: str | None) -> dict[str, Any]:
    """twilio's header fields of an Access Token in `region` (besides
    ``typ`` and ``alg``)."""
    headers: dict[str, Any] = {"cty": _CONTENT_TYPE}
    if region is not None:
        headers["twr"] = region
    return headers


@functools.lru_cache(maxsize=64)
def _header_of(region: str | None) -> bytes:
    """The header JSON of an Access Token in `region`, as PyJWT writes it:
    made once per region (there are a handful) and shared."""
    return _header_json(_headers_of(region))


#: The payload of an Access Token for the core's Minter: its jti's key sid
#: (field 0), the tail (the minting time, the grants, iss, exp and nbf),
#: then sub, the account sid (field 1).
_LAYOUT: Final = _core.Template((b'{"jti":"', 0, b"-", "tail", b',"sub":"', 1, b'"}'))

#: The grant classes whose members are written as this package writes them
#: (the grants module's base of its grants, and subclasses of it that
#: keep its steps): Access Tokens ask them for their members.
_KEEPING: Final[set[type]] = set()

_ACCOUNT_PREFIXES: Final = (ACCOUNT_PREFIX,)
_KEY_PREFIXES: Final = (SIGNING_KEY_PREFIX,)


#: The setters the constructor calls, as twilio's assigns each attribute.
_SETTERS: Final = (
    "account_sid", "signing_key_sid", "grants", "identity", "region", "_set_key",
    "_init_times", "_set_jti", "secret_key",
)  # fmt: skip


#: What the generic mint (``Jwt.to_jwt``) calls on the token: a subclass
#: that supplies any of these is minted that way, so that its own code runs
#: as it would in twilio (twilio's hooks) or as it asks (ours).
_MINT_STEPS: Final = (
    "_generate_payload", "_generate_headers", "headers", "payload",
    "_sign", "_time_claims", "_registered_claims", "_claims_at", "_access_claims",
    "_sign_claims", "_sign_json", "issuer", "subject",
)  # fmt: skip


class AccessToken(Jwt):
    """An Access Token: what Twilio's client SDKs take (twilio-taskrouter.js
    v2 and later, the Voice, Conversations, Sync and Video SDKs).

    :param account_sid: the account (``AC...``): the ``sub`` claim.
    :param signing_key_sid: the API key (``SK...``) that signs: the ``iss``
        claim and the start of ``jti``.
    :param secret: the API key's secret (str or bytes, or a Key), the HS256 key;
        no attribute reads it back (docs/security.md).
    :param grants: grants to start with (an iterable of grants);
        :meth:`add_grant` adds more.
    :param identity: the user's identity (``grants.identity``), or ``None``.
    :param nbf: the ``nbf`` claim: :data:`~twilio_trcap.jwt.GENERATE` (the
        minting time, the default), seconds since the epoch, or ``None`` to
        leave it out.
    :param ttl: seconds from minting to ``exp``; 3600 by default.
    :param valid_until: a fixed ``exp`` that overrides `ttl`, or ``None``.
    :param region: the Twilio region (the ``twr`` header), or ``None``.
    :raises ArgumentTypeError: a grant is not a grant (both a TypeError
        and, as twilio raised, a ValueError).
    :raises TypeError: a sid, identity or region is not a str, the secret
        neither str nor bytes, a time not an int.
    :raises ValueError: a sid has the wrong prefix or holds anything but
        ASCII letters and digits (docs/security.md: the message never shows
        the value); a sid, the secret, the identity or the region is empty;
        `ttl` is negative.
    :raises OverflowError: `nbf` or `valid_until` does not fit a signed
        64-bit int.

    ``account_sid``, ``signing_key_sid``, ``identity``, ``grants``,
    ``region``, ``secret_key``, ``nbf``, ``ttl`` and ``valid_until`` can be
    set after construction, as in twilio, each checked as the constructor
    checks it.
    A decoded token (:meth:`from_jwt`) keeps its ``jti`` until
    ``signing_key_sid`` (which ``jti`` names) is set.

    The token equals twilio's byte for byte: header ``alg``, ``cty``
    (``twilio-fpa;v=1``), ``twr`` if a region is set, ``typ``; claims
    ``jti`` (``<signing_key_sid>-<minting time>``), ``grants``, ``iss``,
    ``exp``, ``nbf``, ``sub``.
    """

    __slots__ = (
        "_account_sid", "_signing_key_sid", "_identity", "_identity_json", "_region",
        "_grants", "_jti", "_header", "_fast_mint", "_iss_json", "_token_minter",
    )  # fmt: skip

    #: The header's ``cty``: a Twilio "first-party application" token.
    CONTENT_TYPE: Final = _CONTENT_TYPE
    _KEY_WHAT: ClassVar[str] = "an API key secret"
    _KEY_NAME: ClassVar[str] = "secret"
    _PAYLOAD_NAME: ClassVar[str] = "grants"

    _grants: list[GrantLike]
    _identity: str | None
    _region: str | None
    _jti: str | None
    #: Never None: the secret is required (see _set_key).
    _signer: _core.Key
    #: The core's Minter for the key, the header and the key sid, made at
    #: the first mint after one of them is set (None until then).
    _token_minter: _core.Minter | None
    #: The header JSON of :attr:`region` (set with it).
    _header: bytes
    #: Whether to_jwt writes the token itself: not when its jti is a
    #: decoded token's own, nor when its class has a mint step of its own
    #: (then Jwt.to_jwt mints it).
    _fast_mint: bool
    #: ',"iss":"<signing_key_sid>","exp":', made with the Minter (the sid
    #: is ASCII letters and digits: nothing to escape).
    _iss_json: bytes
    #: '"identity":' and the identity's JSON, or None.
    _identity_json: bytes | None
    #: Whether the class is minted the generic way (see _MINT_STEPS).
    _GENERIC_MINT: ClassVar[bool] = False
    #: Whether a class of one's own supplies a setter the constructor
    #: would call (see _SETTERS): then the constructor calls them all.
    _OWN_SETTERS: ClassVar[bool] = False

    def __init_subclass__(cls, **kwargs: Any) -> None:
        """Notes whether a subclass of one's own supplies a step of the
        generic mint: then :meth:`to_jwt` takes that path."""
        super().__init_subclass__(**kwargs)
        cls._GENERIC_MINT = any(_user_defined(cls, name) for name in _MINT_STEPS)
        cls._OWN_SETTERS = any(_user_defined(cls, name) for name in _SETTERS)

    def __init__(
        self,
        account_sid: str,
        signing_key_sid: str,
        secret: KeyLike,
        grants: Iterable[GrantLike] | None = None,
        identity: str | None = None,
        nbf: Nbf = GENERATE,
        ttl: int = 3600,
        valid_until: int | None = None,
        region: str | None = None,
    ) -> None:
        if self._OWN_SETTERS:
            # twilio assigns each attribute: a setter of one's own runs.
            self.account_sid = account_sid
            self.signing_key_sid = signing_key_sid
            self.grants = [] if grants is None else grants
            self.identity = identity
            self.region = region
            self._init_times(ttl, nbf, valid_until)
            self._set_key(secret)
            return
        # The same steps, in the same order, without a frame for each.
        self._account_sid = check_sid(account_sid, "account_sid", _ACCOUNT_PREFIXES)
        self._signing_key_sid = check_sid(signing_key_sid, "signing_key_sid", _KEY_PREFIXES)
        self._set_jti(None)
        if grants is None:
            self._grants = []
        else:
            self.grants = grants
        if identity is None:
            self._identity = None
            self._identity_json = None
        else:
            self.identity = identity
        if region is None:
            self._region = None
            self._header = _header_of(None)
        else:
            self.region = region
        self._init_times(ttl, nbf, valid_until)
        self._signer = make_key(secret, "secret")

    # -- what the reference exposes, settable as there ----------------------------

    @property
    def account_sid(self) -> str:
        """The account sid (the ``sub`` claim)."""
        return self._account_sid

    @account_sid.setter
    def account_sid(self, value: str) -> None:
        self._account_sid = check_sid(value, "account_sid", _ACCOUNT_PREFIXES)
        self._token_minter = None

    @property
    def signing_key_sid(self) -> str:
        """The API key sid (the ``iss`` claim)."""
        return self._signing_key_sid

    @signing_key_sid.setter
    def signing_key_sid(self, value: str) -> None:
        self._signing_key_sid = check_sid(value, "signing_key_sid", _KEY_PREFIXES)
        # A decoded token's jti names the key it was signed with: a new key
        # sid gets a new jti, as iss gets the new sid.
        self._set_jti(None)

    def _set_jti(self, jti: str | None) -> None:
        """Sets a decoded token's own jti, or ``None`` (the key sid and the
        minting time)."""
        self._jti = jti
        self._token_minter = None
        self._fast_mint = jti is None and not self._GENERIC_MINT

    @property
    def issuer(self) -> str:
        """The ``iss`` claim: :attr:`signing_key_sid`."""
        return self._signing_key_sid

    @issuer.setter
    def issuer(self, value: str) -> None:
        self.signing_key_sid = value

    @property
    def subject(self) -> str:
        """The ``sub`` claim: :attr:`account_sid`."""
        return self._account_sid

    @subject.setter
    def subject(self, value: str) -> None:
        self.account_sid = value

    @property
    def identity(self) -> str | None:
        """The identity (``grants.identity``), or ``None``."""
        return self._identity

    @identity.setter
    def identity(self, value: str | None) -> None:
        identity = check_optional_text(value, "identity")
        self._identity = identity
        self._identity_json = (
            None if identity is None else b'"identity":' + _core.json_value(identity, "identity")
        )

    @property
    def region(self) -> str | None:
        """The region (the ``twr`` header), or ``None``."""
        return self._region

    @region.setter
    def region(self, value: str | None) -> None:
        self._region = check_optional_text(value, "region")
        self._header = _header_of(self._region)
        self._token_minter = None

    def _set_key(self, value: object) -> None:
        # None is refused, as any other value that is no key (make_key).
        self._signer = make_key(value, self._KEY_NAME)
        self._token_minter = None

    @property
    def grants(self) -> list[GrantLike]:
        """The grants, in the order added: the live list, as twilio's (what
        is appended to it is checked when the token is minted)."""
        return self._grants

    @grants.setter
    def grants(self, value: Iterable[GrantLike]) -> None:
        if isinstance(value, (str, bytes)) or not isinstance(value, Iterable):
            raise ArgumentTypeError(f"grants must be an iterable of grants, not {type(value).__name__}")
        self._grants = [check_grant(grant) for grant in value]

    def add_grant(self, grant: GrantLike) -> None:
        """Adds a grant: one of :mod:`~twilio_trcap.jwt.access_token.grants`,
        a twilio grant, or any object with a str ``key`` and
        ``to_payload()``.  A later grant with the same key replaces an
        earlier one in the token, as in twilio.

        :raises ArgumentTypeError: `grant` is not a grant (a TypeError, and
            a ValueError as twilio raised).
        """
        self._grants.append(check_grant(grant))

    # -- twilio's hooks ----------------------------------------------------------

    def _generate_headers(self) -> dict[str, Any]:
        return _headers_of(self._region)

    def _generate_payload(self) -> dict[str, Any]:
        """twilio's claims: ``jti`` and ``grants`` (``iss``, ``exp``,
        ``nbf`` and ``sub`` are added after them)."""
        return self._access_claims(current_time(None))

    def _claims_at(self, now: int) -> dict[str, Any]:
        return self._access_claims(now)

    def _access_claims(self, now: int) -> dict[str, Any]:
        # jti first, before any grant's to_payload() runs, as in twilio: a
        # decoded token's own jti until the key sid is set.
        jti = f"{self._signing_key_sid}-{now}" if self._jti is None else self._jti
        return {"jti": jti, "grants": self._grants_claim()}

    def _grants_claim(self) -> dict[str, Any]:
        """The ``grants`` claim, as twilio builds it: each grant's
        ``to_payload()`` under its key (a later grant with the same key
        replaces an earlier one in place), then ``identity``."""
        grants = {}
        for grant in self._grants:
            grant = check_grant(grant, "a grant in grants")
            grants[grant.key] = grant.to_payload()
        if self._identity is not None:
            grants["identity"] = self._identity
        return grants

    # -- the token ---------------------------------------------------------------

    def to_jwt(self, ttl: int | None = None, *, now: int | None = None) -> str:
        """The signed token (a str), as :meth:`Jwt.to_jwt
        <twilio_trcap.jwt.Jwt.to_jwt>` mints it, written in one step.

        :raises TypeError: `ttl` or `now` is not an int, or a grant's
            payload holds something JSON cannot.
        :raises ValueError: `ttl` is negative, or an item of
            :attr:`grants` is not a grant.
        :raises OverflowError: `now` (or the clock) or ``exp`` does not fit a
            signed 64-bit int.
        """
        if not self._fast_mint:
            return Jwt.to_jwt(self, ttl, now=now)
        # Read in twilio's order, so that a grant whose to_payload() changes
        # the token changes what it would there: the header, jti, the
        # grants, the time claims, iss and sub, then the key (PyJWT's
        # argument after the payload); the token is written once all is
        # read.
        header, sid = self._header, self._signing_key_sid
        # A signed 64-bit int (current_time refuses any other, naming now),
        # as every generation's minting time: it is jti's tail and nbf.
        current = current_time(now)
        grants = self._grants_json()
        exp, nbf = self._time_claims(current, ttl)
        # The core's Minter for the key, the header and the sids: kept until
        # one of them is set (a grant's to_payload() setting one included).
        # If a grant set the key sid or the region, the jti and header read
        # before it stand, as in twilio: a Minter for them signs this one
        # token.
        minter = self._token_minter
        unchanged = self._signing_key_sid is sid and self._header is header
        if minter is None or not unchanged:
            minter = _core.Minter.create(
                self._signer, (sid, self._account_sid), _LAYOUT, (), header
            )
            # iss is the key sid as it is now (twilio reads it after the
            # grants), jti's the one read before them.
            iss = b',"iss":"' + self._signing_key_sid.encode() + b'","exp":'
            if unchanged:
                self._token_minter, self._iss_json = minter, iss
        else:
            iss = self._iss_json
        # The claims of _registered_claims, in its order (sub is never
        # empty, so always there): the tail of _LAYOUT, then sub.
        if nbf is None:
            return minter.mint(current, b'","grants":', grants, iss, exp)
        return minter.mint(current, b'","grants":', grants, iss, exp, b',"nbf":', nbf)

    def _grants_json(self) -> bytes:
        """The ``grants`` claim's JSON: each grant's member (its key and
        payload, which a grant of this package keeps written while it is
        unchanged), then ``identity``; as :meth:`_grants_claim` builds it
        for any other grant, or grants with the same key (written one
        level down, where it sits in the payload, so that the writer's
        depth limit counts as it does for the whole payload)."""
        grants = self._grants
        for grant in grants:
            if type(grant) not in _KEEPING:
                return _core.json_value((self._grants_claim(),), self._PAYLOAD_NAME)[1:-1]
        # Grants of ours that keep their members (_KEEPING).  Their keys are
        # their classes' KEY (a class that changes it is not in _KEEPING):
        # two grants with one key take twilio's way.
        if len(grants) > 1 and len({type(grant).KEY for grant in grants}) < len(grants):  # type: ignore[attr-defined]
            return _core.json_value((self._grants_claim(),), self._PAYLOAD_NAME)[1:-1]
        # Each member, kept or written (a loop: a comprehension is a frame).
        members = []
        for grant in grants:
            members.append(grant._member())  # type: ignore[attr-defined]
        identity = self._identity_json
        if identity is not None:
            members.append(identity)
        return b"{" + b",".join(members) + b"}"

    @classmethod
    def _from_claims(cls, header: dict[str, Any], payload: dict[str, Any], key: KeyLike) -> Self:
        from .grants import grant_from_payload

        claimed = payload.get("grants")
        if not isinstance(claimed, dict):
            raise TypeError("the grants claim must be an object")
        grants = [
            grant_from_payload(name, value) for name, value in claimed.items() if name != "identity"
        ]
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
        token._set_jti(check_text(payload.get("jti"), "jti"))
        return token

    def __repr__(self) -> str:
        """The sids, identity and grant names: never the secret or the
        signed token."""
        return (
            f"{type(self).__name__}(account_sid={self._account_sid!r}, "
            f"signing_key_sid={self._signing_key_sid!r}, identity={self._identity!r}, "
            f"grants={[grant.key for grant in self._grants]!r})"
        )
