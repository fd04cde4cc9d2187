"""Today's ``twilio.jwt.taskrouter.capabilities``: the Worker, TaskQueue
and Workspace capability tokens."""

from __future__ import annotations

from typing import ClassVar, Unpack

from ..._checks import TASK_QUEUE_PREFIX, KeyLike, WORKER_PREFIX, WORKSPACE_PREFIX
from ..._payload import ACTIVITIES_URL, ALL_TASKS_URL, WORKER_RESERVATIONS_URL, WORKER_URL
from . import CapabilityOptions, TaskRouterCapabilityToken

__all__ = [
    "TaskQueueCapabilityToken",
    "WorkerCapabilityToken",
    "WorkerOptions",
    "WorkspaceCapabilityToken",
]



class WorkerOptions(CapabilityOptions, total=False):
    """The keywords of :class:`WorkerCapabilityToken`, for type checkers."""

    allow_fetch_activities: bool
    allow_fetch_reservations: bool
    allow_fetch_worker_reservations: bool
    allow_update_activities: bool
    allow_update_reservations: bool


class WorkerCapabilityToken(TaskRouterCapabilityToken):
    """The capability token of a Worker, for twilio's Worker.js.

    :param account_sid: the account (``AC...``).
    :param auth_token: the account's auth token (str or bytes, or a Key).
    :param workspace_sid: the Workspace (``WS...``).
    :param worker_sid: the Worker (``WK...``): the channel.
    :param ttl: seconds from minting to ``exp``; 3600 by default.

    The keywords of
    :class:`~twilio_trcap.jwt.taskrouter.TaskRouterCapabilityToken`
    (``nbf``, ``valid_until``, ``allow_*``), and (:class:`WorkerOptions`):

    :param allow_fetch_activities: allow GET on the Workspace's Activities
        (default ``True``).
    :param allow_fetch_reservations: allow GET on every Task and its
        subresources (default ``True``).
    :param allow_fetch_worker_reservations: allow GET on the Worker's
        Reservations (default ``True``).
    :param allow_update_activities: allow POST on the Worker with an
        ``ActivitySid`` (default ``False``).
    :param allow_update_reservations: allow POST on every Task's
        subresources and on the Worker's Reservations (default ``False``).
    :raises TypeError: as :class:`~twilio_trcap.jwt.taskrouter.TaskRouterCapabilityToken`.
    :raises ValueError: as :class:`~twilio_trcap.jwt.taskrouter.TaskRouterCapabilityToken`.
    :raises OverflowError: as :class:`~twilio_trcap.jwt.taskrouter.TaskRouterCapabilityToken`.
    """

    __slots__ = ()

    CHANNEL_PREFIX: ClassVar[str] = WORKER_PREFIX
    _FLAGS: ClassVar[dict[str, bool]] = {
        **TaskRouterCapabilityToken._FLAGS,
        "allow_fetch_activities": True,
        "allow_fetch_reservations": True,
        "allow_fetch_worker_reservations": True,
        "allow_update_activities": False,
        "allow_update_reservations": False,
    }

    def __init__(
        self,
        account_sid: str,
        auth_token: KeyLike,
        workspace_sid: str,
        worker_sid: str,
        ttl: int = 3600,
        **options: Unpack[WorkerOptions],
    ) -> None:
        self._build(account_sid, auth_token, workspace_sid, worker_sid, "worker_sid", ttl, options)


    def allow_fetch_activities(self) -> None:
        """Allows GET on the Workspace's Activities."""
        self._grant(ACTIVITIES_URL, "GET")

    def allow_fetch_reservations(self) -> None:
        """Allows GET on every Task and its subresources."""
        self._grant(ALL_TASKS_URL, "GET")

    def allow_fetch_worker_reservations(self) -> None:
        """Allows GET on the Worker's Reservations."""
        self._grant(WORKER_RESERVATIONS_URL, "GET")

    def allow_update_activities(self) -> None:
        """Allows POST on the Worker with an ``ActivitySid``: the Worker may
        change its Activity."""
        self._grant(WORKER_URL, "POST", "ActivitySid")

    def allow_update_reservations(self) -> None:
        """Allows POST on every Task's subresources and on the Worker's
        Reservations: the Worker may accept or reject reservations."""
        self._grant(ALL_TASKS_URL, "POST")
        self._grant(WORKER_RESERVATIONS_URL, "POST")


class TaskQueueCapabilityToken(TaskRouterCapabilityToken):
    """The capability token of a TaskQueue.

    :param account_sid: the account (``AC...``).
    :param auth_token: the account's auth token (str or bytes, or a Key).
    :param workspace_sid: the Workspace (``WS...``).
    :param task_queue_sid: the TaskQueue (``WQ...``): the channel.
    :param ttl: seconds from minting to ``exp``; 3600 by default.

    The keywords of
    :class:`~twilio_trcap.jwt.taskrouter.TaskRouterCapabilityToken`
    (``nbf``, ``valid_until``, ``allow_*``).

    :raises TypeError: as :class:`~twilio_trcap.jwt.taskrouter.TaskRouterCapabilityToken`.
    :raises ValueError: as :class:`~twilio_trcap.jwt.taskrouter.TaskRouterCapabilityToken`.
    :raises OverflowError: as :class:`~twilio_trcap.jwt.taskrouter.TaskRouterCapabilityToken`.
    """

    __slots__ = ()

    CHANNEL_PREFIX: ClassVar[str] = TASK_QUEUE_PREFIX

    def __init__(
        self,
        account_sid: str,
        auth_token: KeyLike,
        workspace_sid: str,
        task_queue_sid: str,
        ttl: int = 3600,
        **options: Unpack[CapabilityOptions],
    ) -> None:
        self._build(
            account_sid, auth_token, workspace_sid, task_queue_sid, "task_queue_sid", ttl, options
        )



class WorkspaceCapabilityToken(TaskRouterCapabilityToken):
    """The capability token of a Workspace.

    :param account_sid: the account (``AC...``).
    :param auth_token: the account's auth token (str or bytes, or a Key).
    :param workspace_sid: the Workspace (``WS...``), also the channel.
    :param ttl: seconds from minting to ``exp``; 3600 by default.

    The keywords of
    :class:`~twilio_trcap.jwt.taskrouter.TaskRouterCapabilityToken`
    (``nbf``, ``valid_until``, ``allow_*``).

    :raises TypeError: as :class:`~twilio_trcap.jwt.taskrouter.TaskRouterCapabilityToken`.
    :raises ValueError: as :class:`~twilio_trcap.jwt.taskrouter.TaskRouterCapabilityToken`.
    :raises OverflowError: as :class:`~twilio_trcap.jwt.taskrouter.TaskRouterCapabilityToken`.
    """

    __slots__ = ()

    CHANNEL_PREFIX: ClassVar[str] = WORKSPACE_PREFIX

    def __init__(
        self,
        account_sid: str,
        auth_token: KeyLike,
        workspace_sid: str,
        ttl: int = 3600,
        **options: Unpack[CapabilityOptions],
    ) -> None:
        self._build(account_sid, auth_token, workspace_sid, workspace_sid, "workspace_sid", ttl, options)

