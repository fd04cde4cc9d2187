"""The documented API of twilio-python 4.0: ``twilio.task_router``.

``TaskRouterCapability(account_sid, auth_token, workspace_sid, worker_sid)``
mints the token a Worker.js page needs, with the policies, claims and
defaults of twilio-python 4.0.0 (``twilio/task_router/__init__.py``).
Change ``from twilio.task_router import TaskRouterCapability`` to
``from twilio_trcap import TaskRouterCapability`` and the tokens stay the
same, minted by the C core.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable, Mapping
from typing import Any, Final, cast

from ._capability import FieldsCapability
from ._checks import (
    KeyLike,
    ACCOUNT_PREFIX,
    WORKER_PREFIX,
    WORKSPACE_PREFIX,
    check_fields,
    expiry,
)
from ._payload import (
    ACCOUNT,
    ACTIVITIES_URL,
    ALL_TASKS_URL,
    API_URL,
    BASE_WS_URL,
    CHANNEL,
    EVENTS_URL,
    EXP,
    Fields,
    LAYOUT_4_0,
    TASK_ROUTER_BASE_URL,
    TASK_ROUTER_BASE_WS_URL,
    TASK_ROUTER_VERSION,
    VERSION,
    WORKER_URL,
    WORKSPACE,
    allow,
    filled,
    make_key,
    new_minter,
    url_text,
)
from .policy import OPTIONAL, REQUIRED, Policy

__all__ = [
    "OPTIONAL",
    "REQUIRED",
    "TASK_ROUTER_BASE_URL",
    "TASK_ROUTER_BASE_WS_URL",
    "TaskRouterCapability",
    "make_policy",
]

# A new object's policies (twilio 4.0's _allow_worker_websocket_urls and
# _allow_activity_list_fetch), then one per permission method: templates
# over the object's fields (twilio_trcap._payload), shared by every object.
_DEFAULT_POLICIES: Final = (
    allow(EVENTS_URL, "GET"),
    allow(EVENTS_URL, "POST"),
    allow(ACTIVITIES_URL, "GET"),
)
_WORKER_FETCH: Final = allow(WORKER_URL, "GET")
_WORKER_ACTIVITY: Final = allow(WORKER_URL, "POST", "ActivitySid")
_TASK_RESERVATION: Final = allow(ALL_TASKS_URL, "POST", "ReservationStatus")

# The rules of the text arguments (twilio_trcap._checks.check_fields): the
# sids by the one sid rule with their prefixes, because each is written
# into a policy URL and a prefix keeps a key given as a sid out of the
# token (twilio 4.0 required none; docs/security.md, "Sids"); the version
# and the base URLs by the text rule.  _FIELD_RULES is in the order of the
# fields (twilio_trcap._payload); mint_many checks the same arguments but
# the worker's by _BATCH_RULES, and each worker sid in the core.
_WORKER_SIDS: Final = (WORKER_PREFIX,)
_TEXT: Final = None
_BATCH_RULES: Final = (
    ("account_sid", (ACCOUNT_PREFIX,)),
    ("workspace_sid", (WORKSPACE_PREFIX,)),
    ("version", _TEXT),
    ("base_url", _TEXT),
    ("base_ws_url", _TEXT),
)
_FIELD_RULES: Final = (*_BATCH_RULES[:2], ("worker_sid", _WORKER_SIDS), *_BATCH_RULES[2:])


def make_policy(
    url: str,
    method: str,
    query_filter: Mapping[str, Any] | None = None,
    post_filter: Mapping[str, Any] | None = None,
    allowed: bool = True,
) -> Policy:
    """A policy, with the arguments of twilio 4.0's ``make_policy``.

    Append it to :attr:`TaskRouterCapability.policies` to grant (or, with
    ``allowed=False``, deny) one more request.

    :raises TypeError: an argument has the wrong type.
    :raises ValueError: an empty url or method.
    """
    return Policy(url, method, allowed, query_filter, post_filter)


class TaskRouterCapability(FieldsCapability):
    """A TaskRouter capability token for one Worker, as twilio 4.0 made it.

    :param account_sid: the account the token is for (the ``iss`` claim):
        ``AC...``.
    :type account_sid: str
    :param auth_token: the account's auth token (str or bytes), the HS256
        key, or a :class:`twilio_trcap.Key` prepared from it.  It is kept
        only inside the C core, as OpenSSL's prepared states, never shown
        by ``repr``, ``str`` or an exception, and wiped once no object uses
        it (a ``Key`` you hold keeps them: see its trade-off).
    :type auth_token: str | bytes | Key
    :param workspace_sid: the Workspace the Worker belongs to: ``WS...``.
    :type workspace_sid: str
    :param worker_sid: the Worker the token is for: ``WK...``.
    :type worker_sid: str
    :param base_url: the TaskRouter API's base URL.
    :type base_url: str
    :param version: the API version, in URLs and the ``version`` claim.
    :type version: str
    :param base_ws_url: the base URL of the Worker's event channel.
    :type base_ws_url: str
    :raises TypeError: a sid, URL or version is not a str; the auth token is
        neither str nor bytes.
    :raises ValueError: any of them is empty, a sid does not start with its
        prefix (``AC``, ``WS``, ``WK``: twilio 4.0 checked none, but a key
        given as a sid would be written into the token), or a sid holds
        anything but ASCII letters and digits (a character that would change
        the policy URLs it is written into).  The message never shows the
        value (docs/security.md, "Sids").

    Text arguments are taken by value: a str subclass is copied to a plain
    str once, here, and none of its methods runs again.

    A new object allows, in this order, GET and POST on the Worker's event
    channel and GET on the Workspace's Activities; each ``allow_*`` call
    appends one more policy, and :meth:`allow`, :meth:`deny` and
    :meth:`add_policy` append policies of one's own.

    Each method is a few lines over the C core's shared pieces (a prepared
    key, a ``Minter`` over the payload's layout, docs/design.md), as every
    other generation's class is.
    """

    __slots__ = ("_fields", "_minter", "__weakref__")

    def __init__(
        self,
        account_sid: str,
        auth_token: KeyLike,
        workspace_sid: str,
        worker_sid: str,
        base_url: str = TASK_ROUTER_BASE_URL,
        version: str = TASK_ROUTER_VERSION,
        base_ws_url: str = TASK_ROUTER_BASE_WS_URL,
    ) -> None:
        fields = cast(Fields, check_fields(
            _FIELD_RULES, account_sid, workspace_sid, worker_sid, version, base_url, base_ws_url
        ))
        minter = new_minter(make_key(auth_token, "auth_token"), fields, LAYOUT_4_0, _DEFAULT_POLICIES)
        # Stored once all is checked: a failed second __init__ leaves the
        # object as it was.
        self._fields, self._minter = fields, minter

    # -- what the reference exposes -------------------------------------

    @property
    def worker_sid(self) -> str:
        """The Worker sid (also the ``channel`` and ``friendly_name``)."""
        return self._fields[CHANNEL]

    @property
    def version(self) -> str:
        """The API version (the ``version`` claim)."""
        return self._fields[VERSION]

    @property
    def base_url(self) -> str:
        """The TaskRouter API's base URL with the version, as in twilio 4.0."""
        return url_text(API_URL, self._fields)

    @property
    def base_ws_url(self) -> str:
        """The base URL of the Worker's event channel."""
        return self._fields[BASE_WS_URL]

    @property
    def worker_url(self) -> str:
        """The Worker's URL."""
        return url_text(WORKER_URL, self._fields)

    # -- permissions and the token ----------------------------------------

    def allow_worker_fetch_attributes(self) -> None:
        """Allows GET on the Worker: Worker.js may fetch its attributes."""
        self._minter.add_policy(_WORKER_FETCH)

    def allow_worker_activity_updates(self) -> None:
        """Allows POST on the Worker with an ``ActivitySid``: Worker.js may
        change the Worker's activity."""
        self._minter.add_policy(_WORKER_ACTIVITY)

    def allow_task_reservation_updates(self) -> None:
        """Allows POST on every Task's subresources with a
        ``ReservationStatus``: Worker.js may accept or reject
        reservations."""
        self._minter.add_policy(_TASK_RESERVATION)

    def generate_token(self, ttl: int = 3600, attributes: object = None, *, now: int | None = None) -> str:
        """The signed token (a str): HS256, expiring `ttl` seconds from now.

        :param ttl: seconds the token is valid for; 3600 (one hour) by default.
        :param attributes: accepted for compatibility and ignored, as twilio
            4.0 ignored it (a ``UserWarning`` says so).
        :param now: the time to mint at, in seconds since the epoch; the
            current time by default (for tests and reproducible tokens).
        :raises TypeError: `ttl` or `now` is not an int (a bool is not).
        :raises ValueError: `ttl` is negative.
        :raises OverflowError: `now` (or the clock) or ``now + ttl`` does not
            fit a signed 64-bit int.

        Claims, in this order: ``version``, ``friendly_name``, ``policies``,
        ``iss``, ``exp``, ``account_sid``, ``channel``, ``worker_sid``,
        ``workspace_sid``.  Minting again is cheap: from the second token
        on, the core re-uses the encoded claims before ``exp`` and the
        signature state after them until the policies change.
        """
        if attributes is not None:
            warnings.warn(
                "generate_token(attributes=...) is ignored, as it was in twilio 4.0",
                UserWarning,
                stacklevel=2,
            )
        # expiry may run Python code (the clock, an argument's __index__)
        # that re-initialises the object: the token is the object's as it
        # is after, so its Minter is read last.
        exp = expiry(ttl, now)
        return self._minter.mint(exp)

    @classmethod
    def mint_many(
        cls,
        account_sid: str,
        auth_token: KeyLike,
        workspace_sid: str,
        worker_sids: Iterable[str],
        *,
        allow_worker_fetch_attributes: bool = False,
        allow_worker_activity_updates: bool = False,
        allow_task_reservation_updates: bool = False,
        ttl: int = 3600,
        now: int | None = None,
        base_url: str = TASK_ROUTER_BASE_URL,
        version: str = TASK_ROUTER_VERSION,
        base_ws_url: str = TASK_ROUTER_BASE_WS_URL,
    ) -> list[str]:
        """Tokens for many Workers of one Workspace, with the same permissions.

        ``tokens[i]`` is the token that
        ``TaskRouterCapability(account_sid, auth_token, workspace_sid,
        worker_sids[i], base_url, version, base_ws_url)`` gives after the
        ``allow_*`` methods whose flags are true (called in the order of the
        flags) and ``generate_token(ttl, now=now)``; the clock is read once,
        so every token has the same ``exp``.  For a server that warms up a
        shift of agents: the core keys the HMAC once, and writes and signs
        the tokens with the GIL released, so threads minting for different
        lists run in parallel.

        :param worker_sids: the Workers, an iterable of str (not a str),
            each ``WK...``.
        :param allow_worker_fetch_attributes: as the method of that name.
        :param allow_worker_activity_updates: as the method of that name.
        :param allow_task_reservation_updates: as the method of that name.
        :raises TypeError: an argument has the wrong type (a flag that is not
            a bool, a worker sid that is not a str, `worker_sids` a str or
            not iterable), as for the constructor and :meth:`generate_token`.
        :raises ValueError: an empty sid, URL, version or auth token, a sid
            without its prefix or that holds anything but ASCII letters and
            digits (the message names it, ``worker_sids[i]`` for a worker,
            and never shows it), or a negative `ttl`.
        :raises OverflowError: `now` (or the clock) or ``now + ttl`` does not
            fit a signed 64-bit int.
        """
        account, workspace, *urls = check_fields(
            _BATCH_RULES, account_sid, workspace_sid, version, base_url, base_ws_url
        )
        key = make_key(auth_token, "auth_token")
        flags = (
            (allow_worker_fetch_attributes, "allow_worker_fetch_attributes", _WORKER_FETCH),
            (allow_worker_activity_updates, "allow_worker_activity_updates", _WORKER_ACTIVITY),
            (allow_task_reservation_updates, "allow_task_reservation_updates", _TASK_RESERVATION),
        )
        policies = list(_DEFAULT_POLICIES)
        for flag, name, template in flags:
            if not isinstance(flag, bool):
                raise TypeError(f"{name} must be bool, not {type(flag).__name__}")
            if flag:
                policies.append(template)
        exp = expiry(ttl, now)
        if isinstance(worker_sids, (str, bytes)) or not isinstance(worker_sids, Iterable):
            raise TypeError(
                f"worker_sids must be an iterable of str, not {type(worker_sids).__name__}"
            )
        # The layout with the policies and an exp field in its holes; the
        # worker's field varies: each sid in turn.
        payload = filled(LAYOUT_4_0, tuple(policies), (EXP,))
        fields: tuple[str | int, ...] = (account, workspace, "", *urls, exp)
        # The core checks each sid by the one sid rule, naming worker_sids[i].
        return key.mint_each(payload, fields, CHANNEL, worker_sids, "worker_sids", _WORKER_SIDS)

    def __repr__(self) -> str:
        fields = self._fields
        return (
            f"{type(self).__name__}(account_sid={fields[ACCOUNT]!r}, "
            f"workspace_sid={fields[WORKSPACE]!r}, worker_sid={fields[CHANNEL]!r}, "
            f"policies={len(self._minter.policies())})"
        )


# Keep the names twilio 4.0 exported importable from here, so that
# ``from twilio_trcap.task_router import REQUIRED`` works as it did.
_ = (OPTIONAL, REQUIRED)
