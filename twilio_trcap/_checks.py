"""Argument checks shared by every capability class.

Each check names the argument it rejects and what was expected: a wrong
type is a TypeError, a wrong value a ValueError, a number beyond what a
token can carry an OverflowError.
"""

from __future__ import annotations

import re
from typing import Final, TypeAlias

from . import _core


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

#: check_fields(rules, *values): `values` as a tuple of exact strs, each
#: checked by its rule in `rules`: ``(name, prefixes)`` is
#: :data:`check_sid` with those prefixes, ``(name, None)``
#: :data:`check_text`; the first value that breaks its rule raises that
#: rule's error.  One call for a constructor's text arguments.
check_fields: Final = _core.check_fields


#: What every argument that takes a key (auth token, API key secret,
#: decoding key) accepts: the secret, or a :class:`twilio_trcap.Key`
#: prepared from it.  A real union, not a string: an annotation that uses
#: it (``KeyLike | None``, in modules that do not import ``_core``) is then
#: resolved by typing.get_type_hints.
KeyLike: TypeAlias = str | bytes | _core.Key


#: check_key(value, name): `value` as a :class:`twilio_trcap.Key`: `value`
#: itself when it is one, else a new Key of a str (its UTF-8) or bytes key,
#: not empty; a TypeError or ValueError naming `name` otherwise.  The key
#: rule has one home, the core (src/glue/key.c, ``key_bytes``), which also
#: applies it to every key a class or the decoder is given; the key itself
#: never appears in a message.
check_key: Final = _core.Key.prepare


# The time rules, one home for every generation: in the core (times.c),
# because every mint runs expiry().  The clock is read through time.time(),
# looked up at each read, so that freezegun and mock.patch("time.time")
# freeze tokens as they froze twilio's.

#: check_int(value, name): `value` as an int (anything with __index__ but
#: bool), or a TypeError naming `name`.
check_int: Final = _core.check_int

#: check_ttl(ttl): a time to live in whole seconds, zero or more (a
#: TypeError for another type, a ValueError for a negative one).
check_ttl: Final = _core.check_ttl

#: current_time(now): `now` (seconds since the epoch) checked as an int,
#: or ``int(time.time())`` when it is None; either way a signed 64-bit int,
#: or an OverflowError naming ``now`` (a clock that reads NaN: a
#: ValueError).  The one check of the minting time, which every generation
#: reads here and which becomes ``nbf`` and an Access Token's ``jti`` as
#: well as the base of ``exp``.
current_time: Final = _core.current_time

#: check_claim_time(value, name): `value` (an int) if a token can carry it
#: as a time claim (a signed 64-bit integer), else an OverflowError naming
#: `name`.
check_claim_time: Final = _core.check_claim_time

#: expiry(ttl, now): the ``exp`` claim of a token minted at `now` (see
#: :data:`current_time`) and valid for `ttl` seconds (see :data:`check_ttl`):
#: the one expiry rule of every API generation.  A TypeError for a `ttl` or
#: `now` that is not an int, a ValueError for a negative `ttl`, an
#: OverflowError for a `now` (naming ``now``) or a sum (naming ``exp``)
#: beyond a signed 64-bit int.
expiry: Final = _core.expiry


# Twilio's sid prefixes: the one table.  Every sid the package takes, in
# every API generation, starts with the two upper-case letters of its type
# (docs/security.md, "Sids"); each class names its sids' prefixes from here.
#: An account (``AC...``).
ACCOUNT_PREFIX: Final = "AC"
#: A TaskRouter Workspace (``WS...``).
WORKSPACE_PREFIX: Final = "WS"
#: A TaskRouter Worker (``WK...``).
WORKER_PREFIX: Final = "WK"
#: A TaskRouter TaskQueue (``WQ...``).
TASK_QUEUE_PREFIX: Final = "WQ"
#: An API key, an Access Token's signing key (``SK...``).
SIGNING_KEY_PREFIX: Final = "SK"
#: The channels of a capability of twilio 4.5 and later: a Worker, a
#: TaskQueue or the Workspace itself.
CHANNEL_PREFIXES: Final = (WORKER_PREFIX, TASK_QUEUE_PREFIX, WORKSPACE_PREFIX)

#: check_sid(value, name, prefixes): `value` as a sid, or the error naming
#: `name`: the one sid rule of every API generation (docs/security.md,
#: "Sids"), implemented once, in the core, which ``Key.mint_each`` applies
#: to a batch's values too.  A sid is an exact str (a subclass is copied by
#: value, none of its methods runs) starting with one of `prefixes` (a
#: non-empty tuple from the table above, case-sensitive) and holding ASCII
#: letters and digits only.  Twilio's own sids are two capital letters and
#: 32 hexadecimal digits; short ones such as the documentation's ``WK789``
#: keep working.  Every sid is written into policy URLs, so anything else
#: (``/``, ``.``, ``%``, ``?``, ``#``, ``*``, whitespace, control characters,
#: non-ASCII ...) could make a policy name another resource, and is refused
#: rather than escaped: a TypeError for a value that is not a str, a
#: ValueError for an empty sid, another prefix or another character.  The
#: prefix is what keeps a key given as a sid (an auth token is 32
#: hexadecimal digits) out of a token; no message shows the value, only its
#: length and, past the prefix, where the first refused character is.
check_sid: Final = _core.check_sid


# An HTTP method is an RFC 9110 section 5.6.2 token (ASCII only).
_METHOD: Final = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+")


def check_method(method: str) -> str:
    """`method` (an exact str, as :data:`check_text` or :func:`exact_str`
    gives it) in ASCII upper case if it is an HTTP method, else a
    ValueError: the one method rule of a policy
    (:class:`twilio_trcap.Policy`) and of a request the policy model
    checks (:class:`twilio_trcap.check.Request`).

    The value is not shown: it could be anything, a key given to the wrong
    argument included (docs/security.md, "Sids").  The token is ASCII, so
    ``upper()`` cannot turn another character into a letter of a method
    ("POſT" never becomes POST).
    """
    if not _METHOD.fullmatch(method):
        raise ValueError(
            "method must be an HTTP method (an RFC 9110 token of ASCII letters, digits "
            f"and !#$%&'*+.^_`|~-), such as 'GET': got {len(method)} characters "
            "(value not shown)"
        )
    return method.upper()


def check_optional_text(value: object, name: str) -> str | None:
    """`value` as a non-empty str, or None."""
    if value is None:
        return None
    return check_text(value, name)


def check_flag(value: object, name: str) -> bool:
    """`value` as a bool (no other truthy or falsy value, nor an object
    whose ``__class__`` claims to be bool)."""
    if type(value) is not bool:
        raise TypeError(f"{name} must be bool, not {type(value).__name__}")
    return value
