"""Argument checks shared by every capability class.

Each check names the argument it rejects and what was expected: a wrong
type is a TypeError, a wrong value a ValueError, a number beyond what a
token can carry an OverflowError.
"""

from __future__ import annotations

import operator
import time

#: exp and nbf are written as signed 64-bit integers by the C core.
INT64_MAX = 2**63 - 1
INT64_MIN = -(2**63)


def check_text(value: object, name: str) -> str:
    """`value` as a non-empty str, or the error naming `name`."""
    if not isinstance(value, str):
        raise TypeError(f"{name} must be str, not {type(value).__name__}")
    if not value:
        raise ValueError(f"{name} must not be empty")
    return value


def check_key(value: object, name: str) -> str | bytes:
    """`value` as a non-empty str or bytes key, or the error naming `name`.

    The key itself never appears in a message.
    """
    if not isinstance(value, (str, bytes)):
        raise TypeError(f"{name} must be str or bytes, not {type(value).__name__}")
    if not value:
        raise ValueError(f"{name} must not be empty")
    return value


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


def check_sid(value: object, name: str, prefixes: tuple[str, ...]) -> str:
    """`value` as a sid starting with one of `prefixes` (Twilio's two-letter
    type codes, case-sensitive), or the error naming `name`."""
    sid = check_text(value, name)
    if not sid.startswith(prefixes):
        expected = " or ".join(repr(p) for p in prefixes)
        raise ValueError(f"{name} must start with {expected}, not {sid!r}")
    return sid


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
