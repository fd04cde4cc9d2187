"""A time claim in words: the one wording of the HTML views
(:mod:`twilio_trcap._html`) and of ``twilio-trcap decode``
(:mod:`twilio_trcap.cli`).

Loaded by those two only, when first used: ``import twilio_trcap`` does not
load ``datetime`` for it.
"""

from __future__ import annotations

import datetime
import math
import time

__all__ = ["in_words"]

_UNITS = (("day", 86400), ("hour", 3600), ("minute", 60), ("second", 1))


def _duration(seconds: float) -> str:
    """`seconds` (not negative) in the two largest units, truncated, never
    rounded up: "1 hour 5 minutes".  A token with 1 hour 59 minutes left is
    never said to have 2 hours."""
    left = int(seconds)
    parts = []
    for name, size in _UNITS:
        count, left = divmod(left, size)
        if count:
            parts.append(f"{count} {name}{'' if count == 1 else 's'}")
        if len(parts) == 2:
            break
    return " ".join(parts) or "0 seconds"


def in_words(when: float, now: float | None = None) -> str:
    """`when` (seconds since the epoch) in words, relative to `now` (the
    clock by default): ``"in 1 hour (2026-12-02 01:00:00 UTC)"``,
    ``"5 minutes ago (...)"`` or ``"now (...)"``; a time that no UTC date
    can show (before year 1, after 9999, or not finite) is
    ``"beyond the calendar"``."""
    at = time.time() if now is None else now
    if isinstance(when, float) and not math.isfinite(when):
        return "beyond the calendar"
    try:
        stamp = datetime.datetime.fromtimestamp(when, datetime.timezone.utc).strftime(
            "%Y-%m-%d %H:%M:%S UTC"
        )
    except (OverflowError, OSError, ValueError):
        return "beyond the calendar"
    if when > at:
        return f"in {_duration(when - at)} ({stamp})"
    if when < at:
        return f"{_duration(at - when)} ago ({stamp})"
    return f"now ({stamp})"
