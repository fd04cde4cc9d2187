"""The TaskRouter API of twilio-python 5.3 to 5.7: ``twilio.task_router``.

``TaskRouterWorkerCapability``, ``TaskRouterTaskQueueCapability`` and
``TaskRouterWorkspaceCapability`` (and the general ``TaskRouterCapability``
whose channel may be any of the three) mint the tokens of twilio-python
5.7.0, the last release of that generation, with its default policies in
its order and its claims in its order.  Change
``from twilio.task_router import ...`` to
``from twilio_trcap.task_router_v5 import ...``; for twilio 4.5 to 5.2 use
:mod:`twilio_trcap.task_router_v4_5`, whose Worker defaults differ.

On purpose, and unlike the reference: sids are checked by class (a
``TaskRouterWorkerCapability`` needs a ``WK`` sid), a ``None`` sid is a
``TypeError``, an empty key or a negative ttl is a ``ValueError``, and
importing this module does not change the process's warning filters.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from typing import Any, ClassVar, Final

from ._capability import ChannelCapability
from ._checks import (
    KeyLike,
    CHANNEL_PREFIXES,
    TASK_QUEUE_PREFIX,
    WORKER_PREFIX,
    WORKSPACE_PREFIX,
    exact_str,
    expiry,
)
from ._payload import (
    ACTIVITIES_URL,
    ALL_TASKS_URL,
    EVENTS_URL,
    Fields,
    LAYOUT_5,
    TASK_ROUTER_BASE_URL,
    TASK_ROUTER_BASE_WS_URL,
    TASK_ROUTER_VERSION,
    WORKER_RESERVATIONS_URL,
    WORKER_URL,
    make_key,
    new_minter,
    subresources,
    url_text,
)
from .policy import OPTIONAL, REQUIRED, Policy

__all__ = [
    "OPTIONAL",
    "REQUIRED",
    "TASK_ROUTER_BASE_EVENTS_URL",
    "TASK_ROUTER_BASE_URL",
    "TASK_ROUTER_VERSION",
    "TaskRouterCapability",
    "TaskRouterTaskQueueCapability",
    "TaskRouterWorkerCapability",
    "TaskRouterWorkspaceCapability",
]

TASK_ROUTER_BASE_EVENTS_URL: Final = TASK_ROUTER_BASE_WS_URL


class TaskRouterCapability(ChannelCapability):
    """A TaskRouter capability token for a Worker, a TaskQueue or a
    Workspace channel, as twilio 5.3 to 5.7 made it.

    :param account_sid: the account (``AC...``): the ``iss`` claim.
    :param auth_token: the account's auth token (str or bytes, or a Key), the HS256
        key; kept only inside the C core, never shown.
    :param workspace_sid: the Workspace (``WS...``).
    :param channel_id: the channel: a Worker (``WK...``), a TaskQueue
        (``WQ...``) or the Workspace itself (``WS...``, equal to
        `workspace_sid`).
    :raises TypeError: a sid is not a str (``None`` included); the auth
        token is neither str nor bytes.
    :raises ValueError: a sid is empty, has the wrong prefix or holds
        anything but ASCII letters and digits (docs/security.md: the message
        never shows the value); a Workspace channel is not `workspace_sid`;
        the auth token is empty.

    A new object allows GET and POST on the channel's event stream, then
    for a Worker channel GET on the Workspace's Activities, on every Task
    and on the Worker's Reservations, then GET on the channel's own
    resource.  Each ``allow_*`` call appends more; :meth:`allow`,
    :meth:`deny` and :meth:`add_policy` append policies of one's own.
    """

    __slots__ = ("_fields", "_minter", "__weakref__")

    #: The channel prefixes this class accepts.
    _CHANNEL_PREFIXES: ClassVar[tuple[str, ...]] = CHANNEL_PREFIXES
    _PLAN_STEPS: ClassVar[tuple[str, ...]] = (
        "_add_default_policies", "allow_web_sockets", "setup_resource",
    )  # fmt: skip

    def __init__(
        self, account_sid: str, auth_token: KeyLike, workspace_sid: str, channel_id: str
    ) -> None:
        self._setup(account_sid, auth_token, workspace_sid, channel_id, "channel_id")

    def _setup(
        self,
        account_sid: object,
        auth_token: object,
        workspace_sid: object,
        channel_id: object,
        channel_name: str,
    ) -> None:
        sids = self._check_sids(
            account_sid, workspace_sid, channel_id, channel_name, self._CHANNEL_PREFIXES
        )
        fields: Fields = (*sids, TASK_ROUTER_VERSION, TASK_ROUTER_BASE_URL, TASK_ROUTER_BASE_WS_URL)
        prefix = sids[2][:2]
        # The default policies: recorded once per class and channel kind
        # (ChannelCapability._record_plan), or added by the steps of a class of
        # one's own.
        cls = type(self)
        plans = cls._PLANS
        plan = None if plans is None else plans.get(prefix)
        if plan is None and plans is not None:
            plan = cls._record_plan(plans, prefix, prefix, (cls._add_default_policies,))
        # Claims in twilio 5.x's order (twilio_trcap._payload.LAYOUT_5).
        self._fields = fields
        self._minter = new_minter(make_key(auth_token, "auth_token"), fields, LAYOUT_5[prefix], plan or ())
        if plan is None:
            self._add_default_policies()

    def _add_default_policies(self) -> None:
        # twilio 5.3+ __init__: event channel, setup_resource(), own resource.
        self.allow_web_sockets()
        self.setup_resource()
        self._grant(self._resource, "GET")

    # -- what the reference exposes ---------------------------------------

    @property
    def base_url(self) -> str:
        """The Workspace's URL (twilio 5.x called it ``base_url``)."""
        return self.workspace_url

    def get_resource_url(self) -> str:
        """The channel's own resource URL (see :attr:`resource_url`)."""
        return self.resource_url

    def setup_resource(self) -> None:
        """Kept from twilio 5.x, where the constructor called it: for a
        Worker channel it allows GET on the Workspace's Activities, on every
        Task and on the Worker's Reservations (calling it again adds them
        again, as it did); for other channels it adds nothing."""
        if self.channel_prefix == WORKER_PREFIX:
            self._grant(ACTIVITIES_URL, "GET")
            self._grant(ALL_TASKS_URL, "GET")
            self._grant(WORKER_RESERVATIONS_URL, "GET")

    def validate_jwt(self) -> None:
        """Kept from twilio 5.x, where it checked the sids.  The sids are
        checked when the object is made and cannot change, so this does
        nothing."""

    def allow_web_sockets(self, channel_id: str | None = None) -> None:
        """Allows GET and POST on the channel's event stream.

        :param channel_id: ``None`` or the capability's own channel.  twilio
            5.x ignored this argument and always granted its own channel;
            rather than do silently something other than asked, another
            channel is refused.
        :raises TypeError: `channel_id` is neither a str nor None.
        :raises ValueError: `channel_id` is another channel.
        """
        if channel_id is not None and exact_str(channel_id, "channel_id") != self.channel_id:
            # Neither channel is shown: the argument may be anything, a key
            # included (docs/security.md, "Sids").
            raise ValueError(
                "allow_web_sockets grants the capability's own channel only, not another "
                "channel_id (twilio 5.x ignored the argument); use allow(url, 'GET') for "
                "another channel's event stream"
            )
        self._grant(EVENTS_URL, "GET")
        self._grant(EVENTS_URL, "POST")

    # -- permissions on the channel's own resource ---------------------------

    def allow_fetch_subresources(self) -> None:
        """Allows GET on every subresource of the channel's resource."""
        self._grant(subresources(self._resource), "GET")

    def allow_updates(self) -> None:
        """Allows POST on the channel's resource."""
        self._grant(self._resource, "POST")

    def allow_updates_subresources(self) -> None:
        """Allows POST on every subresource of the channel's resource."""
        self._grant(subresources(self._resource), "POST")

    def allow_delete(self) -> None:
        """Allows DELETE on the channel's resource."""
        self._grant(self._resource, "DELETE")

    def allow_delete_subresources(self) -> None:
        """Allows DELETE on every subresource of the channel's resource."""
        self._grant(subresources(self._resource), "DELETE")

    # -- twilio 4.0's methods, deprecated since 4.5 ---------------------------

    def _check_worker(self, name: str) -> None:
        # The reference's message and category, pointing at the caller of
        # the deprecated method; without its warnings.simplefilter('always',
        # DeprecationWarning) at import, so the usual filters decide.
        warnings.warn(f"Call to deprecated function {name}.", DeprecationWarning, stacklevel=3)
        if self.channel_prefix != WORKER_PREFIX:
            raise ValueError(
                f"{name}() applies to a Worker channel ('WK...') only, not a "
                f"'{self.channel_prefix}...' channel"
            )

    def allow_worker_fetch_attributes(self) -> None:
        """Deprecated (as in twilio 5.x): allows GET on the Worker.

        :raises ValueError: the channel is not a Worker.
        """
        self._check_worker("allow_worker_fetch_attributes")
        self._grant(WORKER_URL, "GET")

    def allow_worker_activity_updates(self) -> None:
        """Deprecated (as in twilio 5.x): allows POST on the Worker with an
        ``ActivitySid``.

        :raises ValueError: the channel is not a Worker.
        """
        self._check_worker("allow_worker_activity_updates")
        self._grant(WORKER_URL, "POST", "ActivitySid")

    def allow_task_reservation_updates(self) -> None:
        """Deprecated (as in twilio 5.x): allows POST on every Task's
        subresources, without the ``ReservationStatus`` filter twilio 4.0
        had.

        :raises ValueError: the channel is not a Worker.
        """
        self._check_worker("allow_task_reservation_updates")
        self._grant(ALL_TASKS_URL, "POST")

    # -- policies -------------------------------------------------------------

    def make_policy(
        self,
        url: str,
        method: str,
        allowed: bool = True,
        query_filter: Mapping[str, Any] | None = None,
        post_filter: Mapping[str, Any] | None = None,
    ) -> Policy:
        """A policy, not added: append it to :attr:`policies` to add it.

        :raises TypeError: an argument has the wrong type.
        :raises ValueError: an empty url or method.
        """
        return Policy(url, method, allowed, query_filter, post_filter)

    # -- the token --------------------------------------------------------------

    def generate_token(self, ttl: int = 3600, *, now: int | None = None) -> str:
        """The signed token (a str): HS256, expiring ``ttl`` seconds from now.

        :param ttl: seconds the token is valid for; 3600 by default.
        :param now: the time to mint at, in seconds since the epoch; the
            current time by default.
        :raises TypeError: `ttl` or `now` is not an int.
        :raises ValueError: `ttl` is negative.
        :raises OverflowError: `now` (or the clock) or ``now + ttl`` does not
            fit a signed 64-bit int.
        """
        return self._minter.mint(expiry(ttl, now))


class TaskRouterWorkerCapability(TaskRouterCapability):
    """The capability token of a Worker (``WK...``), as twilio 5.3 to 5.7
    made it.

    :param account_sid: the account (``AC...``).
    :param auth_token: the account's auth token (str or bytes, or a Key).
    :param workspace_sid: the Workspace (``WS...``).
    :param worker_sid: the Worker (``WK...``).
    :raises TypeError: a sid is not a str; the auth token is neither str
        nor bytes.
    :raises ValueError: a sid is empty, has the wrong prefix or holds
        anything but ASCII letters and digits (the message never shows the
        value); the auth token is empty.

    A new object allows GET and POST on the Worker's event stream, GET on
    the Worker, then GET on the Workspace's Activities, on every Task and on
    the Worker's Reservations.
    """

    __slots__ = ()

    _CHANNEL_PREFIXES: ClassVar[tuple[str, ...]] = (WORKER_PREFIX,)

    def __init__(
        self, account_sid: str, auth_token: KeyLike, workspace_sid: str, worker_sid: str
    ) -> None:
        self._setup(account_sid, auth_token, workspace_sid, worker_sid, "worker_sid")

    def _add_default_policies(self) -> None:
        # twilio 5.3+: the base class's defaults (setup_resource adds nothing
        # here), then the Worker's lists.
        TaskRouterCapability._add_default_policies(self)
        self._grant(ACTIVITIES_URL, "GET")
        self._grant(ALL_TASKS_URL, "GET")
        self._grant(WORKER_RESERVATIONS_URL, "GET")

    def setup_resource(self) -> None:
        """Kept from twilio 5.x; adds nothing for this class."""

    @property
    def activity_url(self) -> str:
        """The Workspace's Activities."""
        return url_text(ACTIVITIES_URL, self._fields)

    @property
    def reservations_url(self) -> str:
        """Every Task and its subresources (twilio's name for it)."""
        return url_text(ALL_TASKS_URL, self._fields)

    @property
    def worker_reservations_url(self) -> str:
        """The Worker's Reservations and their subresources."""
        return url_text(WORKER_RESERVATIONS_URL, self._fields)

    def allow_activity_updates(self) -> None:
        """Allows POST on the Worker with an ``ActivitySid``: the Worker may
        change its Activity."""
        self._grant(WORKER_URL, "POST", "ActivitySid")

    def allow_reservation_updates(self) -> None:
        """Allows POST on every Task's subresources and on the Worker's
        Reservations: the Worker may accept or reject reservations."""
        self._grant(ALL_TASKS_URL, "POST")
        self._grant(WORKER_RESERVATIONS_URL, "POST")


class TaskRouterTaskQueueCapability(TaskRouterCapability):
    """The capability token of a TaskQueue (``WQ...``), as twilio 5.x made
    it.

    :param account_sid: the account (``AC...``).
    :param auth_token: the account's auth token (str or bytes, or a Key).
    :param workspace_sid: the Workspace (``WS...``).
    :param channel_id: the TaskQueue (``WQ...``).
    :raises TypeError: a sid is not a str; the auth token is neither str
        nor bytes.
    :raises ValueError: a sid is empty, has the wrong prefix or holds
        anything but ASCII letters and digits (the message never shows the
        value); the auth token is empty.

    A new object allows GET and POST on the TaskQueue's event stream and
    GET on the TaskQueue.
    """

    __slots__ = ()

    _CHANNEL_PREFIXES: ClassVar[tuple[str, ...]] = (TASK_QUEUE_PREFIX,)


class TaskRouterWorkspaceCapability(TaskRouterCapability):
    """The capability token of a Workspace, as twilio 5.x made it.

    :param account_sid: the account (``AC...``).
    :param auth_token: the account's auth token (str or bytes, or a Key).
    :param workspace_sid: the Workspace (``WS...``), also the channel.
    :raises TypeError: a sid is not a str; the auth token is neither str
        nor bytes.
    :raises ValueError: a sid is empty, has the wrong prefix or holds
        anything but ASCII letters and digits (the message never shows the
        value); the auth token is empty.

    A new object allows GET and POST on the Workspace's event stream and
    GET on the Workspace.
    """

    __slots__ = ()

    _CHANNEL_PREFIXES: ClassVar[tuple[str, ...]] = (WORKSPACE_PREFIX,)

    def __init__(self, account_sid: str, auth_token: KeyLike, workspace_sid: str) -> None:
        self._setup(account_sid, auth_token, workspace_sid, workspace_sid, "workspace_sid")
