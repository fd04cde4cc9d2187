"""Today's ``twilio.jwt.access_token.grants``, for TaskRouter:
``TaskRouterGrant``.

twilio's other grants (chat, sync, voice, video, playback) are not here:
subclass :class:`~twilio_trcap.jwt.access_token.AccessTokenGrant` for one.
"""

from __future__ import annotations

from typing import ClassVar

from ..._checks import check_optional_text, check_sid
from . import AccessTokenGrant

__all__ = ["TaskRouterGrant"]


class TaskRouterGrant(AccessTokenGrant):
    """The TaskRouter grant (``grants.task_router``) of an Access Token,
    what twilio-taskrouter.js v2 and later read.

    :param workspace_sid: the Workspace (``WS...``), or ``None``.
    :param worker_sid: the Worker (``WK...``), or ``None``.
    :param role: the role, or ``None``.
    :raises TypeError: an argument is neither a str nor None.
    :raises ValueError: an argument is empty, or a sid has the wrong prefix
        or holds anything but ASCII letters and digits (docs/security.md).

    The grant carries the arguments that are not ``None``, in this order:
    ``workspace_sid``, ``worker_sid``, ``role``.  It is immutable.
    """

    __slots__ = ("_workspace_sid", "_worker_sid", "_role")

    #: The grant's name in the ``grants`` claim.
    KEY: ClassVar[str] = "task_router"

    def __init__(
        self,
        workspace_sid: str | None = None,
        worker_sid: str | None = None,
        role: str | None = None,
    ) -> None:
        self._workspace_sid = (
            None if workspace_sid is None else check_sid(workspace_sid, "workspace_sid", ("WS",))
        )
        self._worker_sid = None if worker_sid is None else check_sid(worker_sid, "worker_sid", ("WK",))
        self._role = check_optional_text(role, "role")

    @property
    def key(self) -> str:
        """``"task_router"``."""
        return self.KEY

    @property
    def workspace_sid(self) -> str | None:
        """The Workspace sid, or ``None``."""
        return self._workspace_sid

    @property
    def worker_sid(self) -> str | None:
        """The Worker sid, or ``None``."""
        return self._worker_sid

    @property
    def role(self) -> str | None:
        """The role, or ``None``."""
        return self._role

    def to_payload(self) -> dict[str, str]:
        """The grant's claims (a new dict)."""
        grant = {}
        if self._workspace_sid is not None:
            grant["workspace_sid"] = self._workspace_sid
        if self._worker_sid is not None:
            grant["worker_sid"] = self._worker_sid
        if self._role is not None:
            grant["role"] = self._role
        return grant

    def __eq__(self, other: object) -> bool:
        if isinstance(other, TaskRouterGrant):
            return self.to_payload() == other.to_payload()
        return NotImplemented

    def __hash__(self) -> int:
        return hash(tuple(self.to_payload().items()))

    def __repr__(self) -> str:
        return (
            f"TaskRouterGrant(workspace_sid={self._workspace_sid!r}, "
            f"worker_sid={self._worker_sid!r}, role={self._role!r})"
        )
