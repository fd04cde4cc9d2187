"""The TaskRouter API of twilio-python 4.5 to 5.2: ``twilio.task_router``.

The same classes and methods as :mod:`twilio_trcap.task_router_v5` (twilio
5.3 to 5.7), with the Worker defaults of these releases (twilio-python
4.5.0; 4.6.0 to 5.2.0 changed only formatting and imports):

- a ``TaskRouterCapability`` on a Worker channel starts with GET on the
  Workspace's Activities and on every Task, *then* the event stream, then
  the Worker; nothing on the Worker's Reservations;
- a ``TaskRouterWorkerCapability`` starts with the event stream, the
  Worker, then GET on every Task and on the Activities (in that order);
- ``allow_reservation_updates`` allows POST on every Task's subresources
  only, not on the Worker's Reservations.

TaskQueue and Workspace tokens are the same in both modules.
"""

from __future__ import annotations

from . import task_router_v5 as _v5
from ._checks import WORKER_PREFIX
from ._payload import ACTIVITIES_URL, ALL_TASKS_URL, WORKER_URL
from .task_router_v5 import (
    OPTIONAL,
    REQUIRED,
    TASK_ROUTER_BASE_EVENTS_URL,
    TASK_ROUTER_BASE_URL,
    TASK_ROUTER_VERSION,
)

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


class TaskRouterCapability(_v5.TaskRouterCapability):
    """A TaskRouter capability token for a Worker, a TaskQueue or a
    Workspace channel, as twilio 4.5 to 5.2 made it.

    Arguments and errors as :class:`twilio_trcap.task_router_v5.TaskRouterCapability`.
    A new object on a Worker channel allows GET on the Workspace's
    Activities and on every Task, then GET and POST on the event stream,
    then GET on the Worker; on other channels, the event stream then the
    channel's resource.
    """

    __slots__ = ()

    def _add_default_policies(self) -> None:
        # twilio 4.5 __init__: setup_resource() came before the event channel.
        self.setup_resource()
        self.allow_web_sockets()
        self._grant(self._resource, "GET")

    def setup_resource(self) -> None:
        """Kept from twilio 4.5, where the constructor called it: for a
        Worker channel it allows GET on the Workspace's Activities and on
        every Task (calling it again adds them again, as it did)."""
        if self.channel_prefix == WORKER_PREFIX:
            self._grant(ACTIVITIES_URL, "GET")
            self._grant(ALL_TASKS_URL, "GET")


class TaskRouterWorkerCapability(_v5.TaskRouterWorkerCapability, TaskRouterCapability):
    """The capability token of a Worker (``WK...``), as twilio 4.5 to 5.2
    made it.

    Arguments and errors as
    :class:`twilio_trcap.task_router_v5.TaskRouterWorkerCapability`.  A new
    object allows GET and POST on the Worker's event stream, GET on the
    Worker, then GET on every Task and on the Workspace's Activities.
    """

    __slots__ = ()

    def _add_default_policies(self) -> None:
        self.allow_web_sockets()
        self._grant(WORKER_URL, "GET")
        self._grant(ALL_TASKS_URL, "GET")
        self._grant(ACTIVITIES_URL, "GET")

    def setup_resource(self) -> None:
        """Kept from twilio 4.5; adds nothing for this class."""

    def allow_reservation_updates(self) -> None:
        """Allows POST on every Task's subresources: the Worker may accept
        or reject reservations (twilio 4.5 did not add the Worker's own
        Reservations, as 5.3 does)."""
        self._grant(ALL_TASKS_URL, "POST")


class TaskRouterTaskQueueCapability(_v5.TaskRouterTaskQueueCapability, TaskRouterCapability):
    """The capability token of a TaskQueue (``WQ...``): the same as
    :class:`twilio_trcap.task_router_v5.TaskRouterTaskQueueCapability`."""

    __slots__ = ()


class TaskRouterWorkspaceCapability(_v5.TaskRouterWorkspaceCapability, TaskRouterCapability):
    """The capability token of a Workspace: the same as
    :class:`twilio_trcap.task_router_v5.TaskRouterWorkspaceCapability`."""

    __slots__ = ()
