"""Argument checks shared by every capability class.

Each check names the argument it rejects and what was expected: a wrong
type is a TypeError, a wrong value a ValueError, a number beyond what a
token can carry an OverflowError.
"""

from __future__ import annotations

import operator
import time
from typing import Final

from . import _core

#: exp and nbf are written as signed 64-bit integers by the C core.
INT64_MAX = 2**63 - 1
INT64_MIN = -(2**63)


def exact_str(value: object, name: str) -> str:
    """`value` as an exact ``str``, taken by value, or a TypeError naming
    `name`.

    A subclass of str is copied with ``str.__str__``, the base type's own
    slot: it copies the characters and runs none of the subclass's methods
    (``__str__``, ``__format__``, ``__eq__``, ``__hash__``, ``__add__``,
    ``upper`` ...).  Every later use (checks, f-strings, comparisons,
    claims) then sees the characters that were checked, and nothing the
    caller wrote can run again.
    """
    if type(value) is str:
        return value
    if isinstance(value, str):
        return str.__str__(value)
    raise TypeError(f"{name} must be str, not {type(value).__name__}")


#: check_text(value, name): `value` as a non-empty exact str (a subclass is
#: copied by value, as :func:`exact_str` copies it), or a TypeError (not a
#: str) or ValueError (empty) naming `name`: the rule of every text
#: argument that is not a sid (versions, URLs).  Implemented in the core,
#: beside :data:`check_sid`: a fresh capability checks three of them.
check_text: Final = _core.check_text


def check_key(value: object, name: str) -> str | bytes:
    """`value` as a non-empty exact str or bytes key, or the error naming
    `name`.  A subclass is copied by its base type's own slot, so that
    none of its methods runs later.

    The key itself never appears in a message.
    """
    if type(value) is bytes or type(value) is str:
        key: str | bytes = value
    elif isinstance(value, bytes):
        key = bytes.__bytes__(value)
    elif isinstance(value, str):
        key = str.__str__(value)
    else:
        raise TypeError(f"{name} must be str or bytes, not {type(value).__name__}")
    if not key:
        raise ValueError(f"{name} must not be empty")
    return key


def check_int(value: object, name: str) -> int:
    """`value` as an int (anything with __index__ but bool)."""
    if isinstance(value, bool):
        raise TypeError(f"{name} must be an int, not bool")
    try:
        return operator.index(value)  # type: ignore[arg-type]
    except TypeError:
        raise TypeError(f"{name} must be an int, not {type(value).__name__}") from None


def check_ttl(ttl: object) -> int:
    """A time to live in whole seconds, zero or more."""
    seconds = check_int(ttl, "ttl")
    if seconds < 0:
        raise ValueError(f"ttl must be zero or more seconds, not {seconds}")
    return seconds


def current_time(now: object) -> int:
    """`now` (seconds since the epoch) checked, or the current time."""
    if now is None:
        return int(time.time())
    return check_int(now, "now")


def check_claim_time(value: int, name: str) -> int:
    """A time claim that the token can carry (a signed 64-bit integer)."""
    if not INT64_MIN <= value <= INT64_MAX:
        raise OverflowError(f"{name} ({value}) does not fit a signed 64-bit integer")
    return value


_FAST_TTL_MAX = 2**62


def expiry(ttl: object, now: object) -> int:
    """The ``exp`` claim of a token minted at `now` (seconds since the
    epoch; the clock when ``None``, see :func:`current_time`) and valid for
    `ttl` seconds (see :func:`check_ttl`): the one expiry rule of every API
    generation.

    :raises TypeError: `ttl` or `now` is not an int.
    :raises ValueError: `ttl` is negative.
    :raises OverflowError: the sum does not fit a signed 64-bit int (named
        ``exp``).
    """
    if type(ttl) is int and 0 <= ttl <= _FAST_TTL_MAX:
        # What current_time and check_ttl return for these, without the
        # calls: this runs on every mint.  A ttl up to _FAST_TTL_MAX keeps
        # the clock's time + ttl within a signed 64-bit int (until the year
        # 146 billion), so only a given `now` needs the range check.
        if now is None:
            return int(time.time()) + ttl
        if type(now) is int:
            exp = now + ttl
            if INT64_MIN <= exp <= INT64_MAX:
                return exp
    return check_claim_time(current_time(now) + check_ttl(ttl), "exp")


#: check_sid(value, name, prefixes=()): `value` as a sid, or the error
#: naming `name`: the one sid rule of every API generation
#: (docs/security.md, "Sids"), implemented once, in the core, which
#: ``Key.mint_each`` applies to a batch's values too.  A sid is an exact str
#: (a subclass is copied by value, none of its methods runs) of ASCII
#: letters and digits only, starting with one of `prefixes` (Twilio's
#: two-letter type codes, case-sensitive; none required when empty, as
#: twilio 4.0 required none).  Twilio's own sids are two capital letters and
#: 32 hexadecimal digits; short ones such as the documentation's ``WK789``
#: keep working.  Every sid is written into policy URLs, so anything else
#: (``/``, ``.``, ``%``, ``?``, ``#``, ``*``, whitespace, control characters,
#: non-ASCII ...) could make a policy name another resource, and is refused
#: rather than escaped: a TypeError for a value that is not a str, a
#: ValueError for an empty sid, another prefix or another character.
check_sid: Final = _core.check_sid


def check_optional_text(value: object, name: str) -> str | None:
    """`value` as a non-empty str, or None."""
    if value is None:
        return None
    return check_text(value, name)


def check_flag(value: object, name: str) -> bool:
    """`value` as a bool (no other truthy or falsy value)."""
    if not isinstance(value, bool):
        raise TypeError(f"{name} must be bool, not {type(value).__name__}")
    return value
