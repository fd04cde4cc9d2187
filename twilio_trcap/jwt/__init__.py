"""Today's ``twilio.jwt`` (twilio-python 6 and later): the base of the
token classes, ``JwtDecodeError`` and ``Jwt.GENERATE``.

The modules below mirror twilio's, so that changing ``twilio.jwt`` to
``twilio_trcap.jwt`` in an import is the whole migration:

- :mod:`twilio_trcap.jwt.taskrouter`: ``TaskRouterCapabilityToken``
- :mod:`twilio_trcap.jwt.taskrouter.capabilities`: ``WorkerCapabilityToken``,
  ``TaskQueueCapabilityToken``, ``WorkspaceCapabilityToken``
- :mod:`twilio_trcap.jwt.access_token`: ``AccessToken``, ``AccessTokenGrant``
- :mod:`twilio_trcap.jwt.access_token.grants`: every grant twilio has

``Jwt`` itself is twilio's generic base: a subclass supplies
``_generate_payload`` (and ``_generate_headers``), and ``to_jwt()`` signs
them with the C core, as twilio signs them with PyJWT.  With time and
``jti`` fixed, every token is the very token twilio returns, byte for
byte.  Where twilio is wrong we are not: ``from_jwt`` needs the key,
no attribute reads the key back (docs/security.md says where a
Python reference to it remains), and ``str()`` of a token object does not show
the signed token (docs/migration.md lists every difference).
"""

from __future__ import annotations

import abc
import calendar
import datetime
import enum
from typing import Any, ClassVar, Final, NoReturn, Self, TypeAlias, cast

from .. import _core
from .._capability import KeyHolder, user_defined
from .._checks import KeyLike, check_claim_time, check_int, check_ttl, current_time, expiry
from .._jwt_compat import ArgumentTypeError, _decode_for_from_jwt
from .._payload import make_key
from ..errors import DecodeError, JwtDecodeError, MalformedTokenError

__all__ = ["GENERATE", "ArgumentTypeError", "Jwt", "JwtDecodeError", "Nbf"]

#: The JWS algorithm names (RFC 7518 section 3.1): a refused algorithm is
#: named in its message only when it is one of these, never when it could
#: be anything else, a key given to the wrong argument included
#: (docs/security.md, "Sids").
_JWS_ALGORITHMS: Final = frozenset({
    "HS256", "HS384", "HS512", "RS256", "RS384", "RS512", "ES256", "ES384", "ES512",
    "PS256", "PS384", "PS512", "none",
})  # fmt: skip


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


def _dict_of(value: object, what: str) -> dict[str, Any]:
    """`value`, the header or claims a hook gave, as a new dict; anything
    but a dict (a list of pairs, a mapping of another kind) is a TypeError
    naming `what`.  twilio fails on the same values: it copies the hook's
    result and sets ``typ``/``alg`` or ``iss``/``exp`` in it, and PyJWT
    takes a dict only."""
    if not isinstance(value, dict):
        raise TypeError(f"{what} must be a dict, not {type(value).__name__}")
    return dict(value)


def _header_json(headers: dict[str, Any]) -> bytes:
    """The header JSON PyJWT's ``encode(..., headers=headers)`` writes for
    HS256: ``typ`` and ``alg`` first, updated with `headers`, a falsy
    ``typ`` left out, ``b64: true`` (the default, RFC 7797) left out, the
    fields of every object sorted, compact.  Its values follow the
    payload's rules (the core's writer: str keys, no NaN or infinity, at
    most 32 levels deep, so a dict that contains itself is a ValueError),
    and every header it writes is one our decoder reads back.

    :raises TypeError: `headers` is not a dict, a key is not a str, a value
        is not JSON, or ``kid`` is not a str (RFC 7515 section 4.1.4; PyJWT
        refuses to encode it, and decoders refuse to read it).
    :raises ValueError: ``alg`` is not HS256, ``b64`` is false (an
        unencoded payload, which the core does not write), ``crit`` is set
        (no extension is understood, RFC 7515 section 4.1.11: our decoder
        refuses such a token), a float is NaN or infinite, or the header is
        nested too deep.
    """
    header: dict[str, Any] = {"typ": "JWT", "alg": "HS256"}
    header.update(_dict_of(headers, "headers"))
    if not header["typ"]:
        del header["typ"]
    if header.get("alg") != "HS256":
        raise ValueError(f"the header's alg must be 'HS256', not {header.get('alg')!r}")
    if "kid" in header and not isinstance(header["kid"], str):
        raise TypeError(f"the header's kid must be str, not {type(header['kid']).__name__}")
    if "crit" in header:
        raise ValueError(
            "the header must not list critical extensions (crit): none is understood, "
            "so no decoder of twilio-trcap's would read the token"
        )
    if "b64" in header:
        if header["b64"] is False:
            raise ValueError("the header's b64 must not be false: the core writes base64url payloads only")
        del header["b64"]
    # sort_keys: json.dumps(sort_keys=True), as PyJWT writes every object
    # of the header; the rest is the payload's writer and rules.
    return _core.json_value(header, "headers", True)


def _payload_json(payload: dict[str, Any], name: str) -> bytes:
    """The payload JSON PyJWT's ``encode`` writes: a datetime in ``exp``,
    ``iat`` or ``nbf`` as seconds since the epoch (UTC), compact."""
    for claim in ("exp", "iat", "nbf"):
        value = payload.get(claim)
        if isinstance(value, datetime.datetime):
            payload = {**payload, claim: calendar.timegm(value.utctimetuple())}
    return _core.json_value(payload, name)


_user_defined: Final = user_defined




def _check_nbf(value: object) -> Nbf:
    if value is GENERATE or value is None:
        return cast(Nbf, value)
    return check_claim_time(check_int(value, "nbf"), "nbf")


def _check_valid_until(value: object) -> int | None:
    if value is None:
        return None
    return check_claim_time(check_int(value, "valid_until"), "valid_until")


class Jwt(KeyHolder, metaclass=abc.ABCMeta):
    """A JSON Web Token, as ``twilio.jwt.Jwt``: the base of every token
    class here, and of token types of one's own.

    A subclass supplies :meth:`_generate_payload` (its own claims) and may
    supply :meth:`_generate_headers`; :meth:`to_jwt` adds ``iss``,
    ``exp``, ``nbf`` and ``sub`` and has the C core sign the result with
    HMAC-SHA256, as twilio has PyJWT sign it (same bytes).

    :param secret_key: the HS256 key (str as UTF-8, or bytes, or a Key), or ``None``
        (then :meth:`to_jwt` raises ValueError, as twilio's does).  It can
        be set again, and has no attribute to read it by.  Where it lives:
        in the C core only (a prepared key, which signs any header); the
        token object keeps no reference to the value given
        (docs/security.md).
    :param issuer: the ``iss`` claim (a str).
    :param subject: the ``sub`` claim, or ``None`` to leave it out.
    :param algorithm: ``"HS256"`` or ``None`` (HS256).  twilio passes any
        algorithm to PyJWT; the core signs HS256 only, so anything else
        is a ValueError here, at once rather than when minting.
    :param nbf: :data:`GENERATE` (the minting time, the default), seconds
        since the epoch, or ``None`` to leave ``nbf`` out.
    :param ttl: seconds from minting to ``exp``; 3600 by default.
    :param valid_until: a fixed ``exp`` (seconds since the epoch) that
        overrides `ttl`, or ``None``.
    :raises TypeError: an argument has the wrong type.
    :raises ValueError: an empty key, a str key with a lone surrogate (no
        UTF-8 form), an algorithm other than HS256, or a negative `ttl`.
    :raises OverflowError: `nbf` or `valid_until` does not fit a signed
        64-bit int.

    ``secret_key``, ``issuer``, ``subject``, ``algorithm``, ``nbf``,
    ``ttl`` and ``valid_until`` can be set after construction, as in
    twilio; each new value is checked as the constructor checks it.  The
    clock is read through :func:`time.time` when a token is minted, so
    ``mock.patch("time.time")`` and freezegun freeze it.

    A subclass of any token class here (``AccessToken``, the capability
    tokens) that supplies ``_generate_payload``, ``_generate_headers``,
    ``payload`` or ``headers`` is minted from them, as twilio mints it.
    """

    __slots__ = (
        "_minter", "_signer", "_issuer", "_subject", "_algorithm",
        "_ttl", "_nbf", "_valid_until", "__weakref__",
    )  # fmt: skip

    #: ``nbf`` default: the time the token is minted.
    GENERATE: Final = GENERATE
    #: The only algorithm: HMAC-SHA256 (RFC 7518 section 3.2).
    ALGORITHM: ClassVar[str] = "HS256"
    _KEY_WHAT: ClassVar[str] = "a secret key"
    #: What a payload that JSON cannot hold is called in the TypeError.
    _PAYLOAD_NAME: ClassVar[str] = "payload"

    #: The key, prepared in the core (it signs any header), or None.
    _signer: _core.Key | None
    #: What the key is called in messages (the constructor's argument).
    _KEY_NAME: ClassVar[str] = "secret_key"
    #: Whether the class supplies its own header (a subclass of one's own
    #: with ``_generate_headers`` or ``headers``): then it is made when
    #: minting.
    _OWN_HEADERS: ClassVar[bool] = False
    #: Whether a subclass of one's own supplies the ``payload`` property.
    _OWN_PAYLOAD: ClassVar[bool] = False

    def __init_subclass__(cls, **kwargs: Any) -> None:
        """Notes which of twilio's hooks a subclass of one's own supplies,
        so that it is minted from them (see the class's docstring)."""
        super().__init_subclass__(**kwargs)
        headers = _user_defined(cls, "_generate_headers") or _user_defined(cls, "headers")
        claims = _user_defined(cls, "_generate_payload")
        cls._OWN_HEADERS = headers
        cls._OWN_PAYLOAD = _user_defined(cls, "payload")
        if headers or claims or cls._OWN_PAYLOAD:
            # Our token classes mint their own way (a capability token from
            # the core's template, an Access Token with its jti), which
            # would skip a subclass's hooks and give a silently different
            # token: such a subclass is minted the generic way, as twilio's.
            if not _user_defined(cls, "_sign"):
                cls._sign = Jwt._sign  # type: ignore[method-assign]
            if claims and not _user_defined(cls, "_claims_at"):
                cls._claims_at = Jwt._claims_at  # type: ignore[method-assign]
            if not cls._OWN_PAYLOAD:
                cls.payload = Jwt.payload  # type: ignore[method-assign]

    _issuer: str
    _subject: str | None
    _algorithm: str
    _ttl: int
    _nbf: Nbf
    _valid_until: int | None

    def __init__(
        self,
        secret_key: KeyLike | None,
        issuer: str,
        subject: str | None = None,
        algorithm: str | None = None,
        nbf: Nbf = GENERATE,
        ttl: int = 3600,
        valid_until: int | None = None,
    ) -> None:
        self._init_times(ttl, nbf, valid_until)
        self.secret_key = secret_key
        self.issuer = issuer
        self.subject = subject
        self.algorithm = algorithm

    def _init_times(self, ttl: object, nbf: object, valid_until: object) -> None:
        self._algorithm = self.ALGORITHM
        self._ttl = check_ttl(ttl)
        # The defaults need no check (and no call: every constructor runs this).
        self._nbf = GENERATE if nbf is GENERATE else _check_nbf(nbf)
        self._valid_until = None if valid_until is None else _check_valid_until(valid_until)

    # -- what the reference exposes, settable where it is ------------------

    @property
    def secret_key(self) -> NoReturn:
        """Not readable: the key stays inside the C core.  Setting it
        changes the key the next token is signed with."""
        self._unreadable("secret_key")

    @secret_key.setter
    def secret_key(self, value: KeyLike | None) -> None:
        self._set_key(value)

    def _set_key(self, value: object) -> None:
        self._signer = None if value is None else make_key(value, self._KEY_NAME)

    @property
    def issuer(self) -> str:
        """The ``iss`` claim."""
        return self._issuer

    @issuer.setter
    def issuer(self, value: str) -> None:
        if not isinstance(value, str):
            raise TypeError(f"issuer must be str, not {type(value).__name__}")
        self._issuer = value

    @property
    def subject(self) -> str | None:
        """The ``sub`` claim, or ``None`` (left out, as is an empty one)."""
        return self._subject

    @subject.setter
    def subject(self, value: str | None) -> None:
        if value is not None and not isinstance(value, str):
            raise TypeError(f"subject must be str or None, not {type(value).__name__}")
        self._subject = value

    @property
    def algorithm(self) -> str:
        """``"HS256"``, the only algorithm the core signs with."""
        return self._algorithm

    @algorithm.setter
    def algorithm(self, value: str | None) -> None:
        name = self.ALGORITHM if value is None else value
        if not isinstance(name, str):
            raise TypeError(f"algorithm must be str or None, not {type(name).__name__}")
        name = str.__str__(name)  # by value: a subclass's __eq__ or __repr__ never runs
        if name != "HS256":
            shown = (
                repr(name) if name in _JWS_ALGORITHMS
                else f"a value of {len(name)} characters (not shown)"
            )
            raise ValueError(
                f"algorithm must be 'HS256', not {shown}: twilio-trcap's C core signs "
                "and verifies HMAC-SHA256 only (docs/migration.md)"
            )
        self._algorithm = name

    @property
    def ttl(self) -> int:
        """Seconds from minting to ``exp`` (unless :attr:`valid_until` is
        set)."""
        return self._ttl

    @ttl.setter
    def ttl(self, value: int) -> None:
        self._ttl = check_ttl(value)

    @property
    def nbf(self) -> Nbf:
        """The ``nbf`` claim: seconds since the epoch, :data:`GENERATE` (the
        minting time) or ``None`` (no ``nbf`` claim)."""
        return self._nbf

    @nbf.setter
    def nbf(self, value: Nbf) -> None:
        self._nbf = _check_nbf(value)

    @property
    def valid_until(self) -> int | None:
        """The ``exp`` claim if fixed (seconds since the epoch), else
        ``None``: ``exp`` is then the minting time plus :attr:`ttl`."""
        return self._valid_until

    @valid_until.setter
    def valid_until(self, value: int | None) -> None:
        self._valid_until = _check_valid_until(value)

    # -- the hooks of twilio's Jwt ------------------------------------------

    def _generate_payload(self) -> dict[str, Any]:
        """The subclass's own claims (a dict of JSON values); ``iss``,
        ``exp``, ``nbf`` and ``sub`` are added after them."""
        raise NotImplementedError("Subclass must provide a payload.")

    def _generate_headers(self) -> dict[str, Any]:
        """Header fields besides ``typ`` and ``alg``; none by default."""
        return {}

    def _claims_at(self, now: int) -> dict[str, Any]:
        """The subclass's claims for a token minted at `now` (a new dict):
        :meth:`_generate_payload` unless the class knows better."""
        return _dict_of(self._generate_payload(), "_generate_payload()")

    @property
    def headers(self) -> dict[str, Any]:
        """The JOSE header: :meth:`_generate_headers`, then ``typ`` and
        ``alg`` (a new dict, in twilio's order; the token carries the
        fields sorted, as PyJWT writes them)."""
        headers = _dict_of(self._generate_headers(), "_generate_headers()")
        headers["typ"] = "JWT"
        headers["alg"] = self._algorithm
        return headers

    @property
    def payload(self) -> dict[str, Any]:
        """The claims :meth:`to_jwt` would sign now, as a new dict in
        token order."""
        now = current_time(None)
        return self._registered_claims(now, *self._time_claims(now, None))

    def _registered_claims(self, now: int, exp: int, nbf: int | None) -> dict[str, Any]:
        # twilio's Jwt.payload: the subclass's claims, then iss, exp, nbf
        # and sub, each assigned into the dict (a claim the subclass already
        # has keeps its place).
        payload = self._claims_at(now)
        payload["iss"] = self.issuer
        payload["exp"] = exp
        if nbf is not None:
            payload["nbf"] = nbf
        subject = self.subject
        if subject:
            payload["sub"] = subject
        return payload

    # -- the token ----------------------------------------------------------

    def _time_claims(self, now: int, ttl: object) -> tuple[int, int | None]:
        """``exp`` and ``nbf`` for a token minted at `now`."""
        # The one home of the rule: every token class's to_jwt asks here.
        if ttl is not None:
            exp = expiry(ttl, now)
        elif self._valid_until:
            # twilio tests valid_until for truth: 0 means "not set" there,
            # so it does here (not an exp of 1970).  It was checked when set.
            exp = self._valid_until
        else:
            exp = expiry(self._ttl, now)
        nbf = now if self._nbf is GENERATE else self._nbf
        return exp, nbf

    def to_jwt(self, ttl: int | None = None, *, now: int | None = None) -> str:
        """The signed token (a str).

        :param ttl: if given, ``exp`` is `now` plus `ttl` seconds,
            whatever :attr:`ttl` and :attr:`valid_until` say (as in
            twilio, except that ``ttl=0`` means zero seconds; twilio ignored
            it).
        :param now: the minting time, in seconds since the epoch; by
            default ``int(time.time())``, read now.
        :raises TypeError: `ttl` or `now` is not an int.
        :raises ValueError: `ttl` is negative, or there is no key.
        :raises OverflowError: `now` (or the clock) or ``exp`` does not fit a
            signed 64-bit int.
        """
        current = current_time(now)
        if self._OWN_PAYLOAD:
            # A subclass's own payload property: signed as it is, as twilio
            # signs it, with exp moved if ttl is given.
            payload = _dict_of(self.payload, "payload")
            if ttl is not None:
                payload["exp"] = expiry(ttl, current)
            return self._sign_claims(self.headers, payload)
        return self._sign(current, *self._time_claims(current, ttl))

    def _sign(self, now: int, exp: int, nbf: int | None) -> str:
        """The token minted at `now` with these time claims.  Here: the
        payload and headers of the hooks, written and signed by the core
        (PyJWT's bytes: compact JSON, header fields sorted)."""
        return self._sign_claims(self.headers, self._registered_claims(now, exp, nbf))

    def _sign_claims(self, headers: dict[str, Any], payload: dict[str, Any]) -> str:
        """The token of this header and payload, as PyJWT's ``encode``
        writes it: compact JSON, the header's fields sorted, a datetime
        ``exp``/``iat``/``nbf`` as an int, ``b64: true`` left out."""
        return self._sign_json(_header_json(headers), _payload_json(payload, self._PAYLOAD_NAME))

    def _sign_json(self, header: bytes, payload: bytes) -> str:
        """The token of this header and payload JSON, signed by the core."""
        signer = self._signer
        if signer is None:
            raise ValueError(f"{self._KEY_NAME} is None: this {type(self).__name__} has no key to sign with")
        return signer.sign(header, payload)

    # -- decoding -------------------------------------------------------------

    @classmethod
    def from_jwt(cls, jwt: str, key: KeyLike, *, now: int | None = None) -> Self:
        """The token object `jwt` was minted from, verified with `key` by
        the core.

        ``Jwt.from_jwt`` reads any HS256 token: an Access Token gives an
        :class:`~twilio_trcap.jwt.access_token.AccessToken`, a TaskRouter
        capability token its class, any other a ``Jwt`` whose
        :attr:`payload` and :attr:`headers` are the token's (as twilio's).
        A token class here returns an instance of itself
        (``WorkerCapabilityToken.from_jwt`` a ``WorkerCapabilityToken``);
        a subclass of one's own gets a decoded ``Jwt``, as from twilio.
        Its ``to_jwt()`` gives `jwt` back.

        A decoded ``Jwt`` (a token no class here writes) behaves as
        twilio's: its attributes can be set, but :meth:`to_jwt` signs the
        token's own claims and header, so a new ``issuer``, ``subject``,
        ``nbf``, ``ttl`` or ``valid_until`` does not change the token; a
        new ``secret_key`` signs it with that key, and ``to_jwt(ttl)``
        moves its ``exp``.

        :param jwt: the token.
        :param key: the key it was signed with; required (twilio skipped
            the signature check without one).
        :param now: the time to check ``exp`` and ``nbf`` against; the
            current time by default.
        :raises TypeError: `jwt` or `key` has the wrong type.
        :raises ValueError: `key` is empty.
        :raises JwtDecodeError: the token is malformed (a
            :class:`~twilio_trcap.errors.MalformedTokenError` also if its
            ``exp`` or ``nbf`` does not fit a signed 64-bit int), its
            signature does not match, it has expired or is not yet valid,
            its algorithm is not HS256, or (on a token class) its claims
            are not those the class writes (each a subclass of
            :class:`~twilio_trcap.errors.DecodeError`).
        """
        header, payload = _decode_for_from_jwt(jwt, key, now=now)
        for name in ("exp", "nbf"):
            value = payload.get(name)
            if isinstance(value, (int, float)) and not -(2**63) <= value < 2**63:
                raise MalformedTokenError(f"the {name} claim ({value!r}) does not fit a signed 64-bit integer")
        if cls is Jwt:
            # Imported here: those modules build on this one.
            from .access_token import AccessToken
            from .taskrouter import TaskRouterCapabilityToken

            kind: type[Jwt] | None = None
            if header.get("cty") == AccessToken.CONTENT_TYPE:
                kind = AccessToken
            elif "channel" in payload:
                kind = TaskRouterCapabilityToken
            if kind is not None:
                try:
                    return cast(Self, kind._rebuilt(header, payload, key))
                except DecodeError:
                    pass  # not one of ours after all: read it as any JWT
        elif cls._from_claims.__func__ is not Jwt._from_claims.__func__:  # type: ignore[attr-defined]
            return cls._rebuilt(header, payload, key)
        return cast(Self, _DecodedJwt(header, payload, key))

    @classmethod
    def _from_claims(cls, header: dict[str, Any], payload: dict[str, Any], key: KeyLike) -> Self:
        """The token object for these verified claims (a token class here
        overrides it)."""
        raise NotImplementedError

    @classmethod
    def _rebuilt(cls, header: dict[str, Any], payload: dict[str, Any], key: KeyLike) -> Self:
        """:meth:`_from_claims`, checked: the object must write these very
        claims and header."""
        try:
            token = cls._from_claims(header, payload, key)
        except DecodeError:
            raise
        except (TypeError, ValueError, OverflowError) as exc:
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

    # -- safety ----------------------------------------------------------------

    def __repr__(self) -> str:
        """The object's identity, never its key or signed token."""
        return f"<{type(self).__name__} iss={self._issuer!r} sub={self._subject!r}>"

    def __str__(self) -> str:
        """The repr: never the signed token."""
        # twilio printed "<JWT eyJ...>": a bearer credential in every log
        # line that formats the object.
        return repr(self)


def _whole(seconds: object) -> int | None:
    return None if seconds is None else int(cast(float, seconds))


class _DecodedJwt(Jwt):
    """What ``Jwt.from_jwt`` returns for a token no class here writes: its
    claims and header as they were (twilio's decoded ``Jwt``).

    Its attributes can be set, as twilio's, and, as there, only
    ``secret_key`` changes what :meth:`to_jwt` signs: the token's claims
    and header are signed as they were.
    """

    __slots__ = ("_decoded_payload", "_decoded_headers")

    def __init__(self, headers: dict[str, Any], payload: dict[str, Any], key: KeyLike) -> None:
        # Set first: the header the key is given with.
        self._decoded_payload = payload
        self._decoded_headers = headers
        issuer = payload.get("iss")
        subject = payload.get("sub")
        super().__init__(
            key,
            issuer if isinstance(issuer, str) else "",
            subject if isinstance(subject, str) else None,
            # The decoder has checked that these are numbers; a fraction
            # (RFC 7519 allows one) is cut as PyJWT cuts it.
            valid_until=_whole(payload.get("exp")),
            nbf=_whole(payload.get("nbf")),
        )
        if not isinstance(issuer, str):
            # Kept as the token has it (None if absent), as twilio keeps it.
            self._issuer = cast(str, issuer)

    @property
    def headers(self) -> dict[str, Any]:
        """The token's header (a new dict)."""
        return dict(self._decoded_headers)

    @property
    def payload(self) -> dict[str, Any]:
        """The token's claims (a new dict)."""
        return dict(self._decoded_payload)

    def to_jwt(self, ttl: int | None = None, *, now: int | None = None) -> str:
        """The token's claims and header signed again: `jwt` itself, or
        with ``exp`` moved to `now` plus `ttl` if `ttl` is given."""
        # Read and checked whether or not ttl uses it, as Jwt.to_jwt does.
        current = current_time(now)
        payload = dict(self._decoded_payload)
        if ttl is not None:
            payload["exp"] = expiry(ttl, current)
        return self._sign_claims(self._decoded_headers, payload)
