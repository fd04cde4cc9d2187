"""The exceptions twilio-trcap raises for tokens it cannot accept.

Every class here is a :class:`ValueError`, so ``except ValueError`` keeps
working for code written against twilio, and :class:`TrcapError` catches
them all::

    TrcapError(ValueError)
    └── DecodeError                  (twilio's name: JwtDecodeError)
        ├── MalformedTokenError      not three base64url segments of JSON objects,
        │                            or claims of the wrong shape
        ├── InvalidSignatureError    the signature does not match the key
        ├── ExpiredTokenError        ``exp`` is not after the current time
        ├── NotYetValidError         ``nbf`` is after the current time
        └── UnsupportedAlgorithmError the header's ``alg`` is not HS256

Wrong argument types are :class:`TypeError` and are not part of this
hierarchy: they are programming errors, not bad tokens.

The compiled core imports this module while the package initialises (its
decoder raises these classes), so it imports nothing from the package.
"""

from __future__ import annotations

__all__ = [
    "DecodeError",
    "ExpiredTokenError",
    "InvalidSignatureError",
    "JwtDecodeError",
    "MalformedTokenError",
    "NotYetValidError",
    "TrcapError",
    "UnsupportedAlgorithmError",
]


class TrcapError(ValueError):
    """The root of twilio-trcap's own exceptions (a :class:`ValueError`)."""


class DecodeError(TrcapError):
    """A token could not be decoded, verified or read."""


class MalformedTokenError(DecodeError):
    """The token is not a compact JWS of JSON objects (RFC 7515 section
    7.1), or its claims are not those the class reading it writes."""


class InvalidSignatureError(DecodeError):
    """The HS256 signature does not match the key (RFC 7515 section 5.2)."""


class ExpiredTokenError(DecodeError):
    """The ``exp`` claim is not after the current time (RFC 7519 section
    4.1.4)."""


class NotYetValidError(DecodeError):
    """The ``nbf`` claim is after the current time (RFC 7519 section
    4.1.5)."""


class UnsupportedAlgorithmError(DecodeError):
    """The header's ``alg`` is not HS256 (``none`` is never accepted)."""


#: twilio's name (``twilio.jwt.JwtDecodeError``): catches every decode failure.
JwtDecodeError = DecodeError
