"""Today's ``twilio.jwt.taskrouter``: ``TaskRouterCapabilityToken``, the
base of the Worker, TaskQueue and Workspace tokens in
:mod:`twilio_trcap.jwt.taskrouter.capabilities`.
"""

from __future__ import annotations

import abc
from collections.abc import Mapping
from typing import Any, ClassVar, Final, Self, cast

from ... import _core
from ..._capability import PolicyMethods
from ..._checks import check_flag, check_key, check_sid
from ...policy import Policy
from ...task_router import TASK_ROUTER_BASE_URL, TASK_ROUTER_BASE_WS_URL
from .. import GENERATE, Jwt, Nbf

__all__ = ["TaskRouterCapabilityToken"]

_js = _core.json_string

# The claim a channel kind adds after the policies (twilio _generate_payload).
_KIND_CLAIM: Final = {"WK": b',"worker_sid":', "WQ": b',"taskqueue_sid":'}


class TaskRouterCapabilityToken(Jwt, PolicyMethods):
    """A TaskRouter capability token, as twilio 6 and later make it: the
    base of :class:`~twilio_trcap.jwt.taskrouter.capabilities.WorkerCapabilityToken`,
    ``TaskQueueCapabilityToken`` and ``WorkspaceCapabilityToken``, which
    say what the channel is (this class cannot be made itself).

    :param account_sid: the account (``AC...``): the ``iss`` claim.
    :param auth_token: the account's auth token (str or bytes), the HS256
        key; kept only inside the C core, never shown.
    :param workspace_sid: the Workspace (``WS...``).
    :param channel_id: the channel, with the subclass's prefix.
    :param ttl: seconds from minting to ``exp``; 3600 by default.
    :param nbf: the ``nbf`` claim: :data:`~twilio_trcap.jwt.GENERATE` (the
        minting time, the default), seconds since the epoch, or ``None`` to
        leave it out.
    :param valid_until: a fixed ``exp`` (seconds since the epoch) that
        overrides `ttl`; ``None`` by default.
    :param allow_web_sockets: allow GET and POST on the channel's event
        stream (default ``True``).
    :param allow_fetch_self: allow GET on the channel's resource (default
        ``True``).
    :param allow_update_self: allow POST on it (default ``False``).
    :param allow_delete_self: allow DELETE on it (default ``False``).
    :param allow_fetch_subresources: allow GET on its subresources (default
        ``False``).
    :param allow_update_subresources: allow POST on them (default ``False``).
    :param allow_delete_subresources: allow DELETE on them (default
        ``False``).
    :raises TypeError: a sid is not a str, the auth token neither str nor
        bytes, a time not an int, an ``allow_*`` flag not a bool, or an
        unknown keyword is given (twilio ignored unknown keywords).
    :raises ValueError: a sid is empty or has the wrong prefix, the auth
        token is empty, `ttl` is negative.
    :raises OverflowError: `nbf` or `valid_until` does not fit a signed
        64-bit int.

    Policies are added in twilio's order: the event stream, then the
    resource's fetch, update and delete, then its subresources' fetch,
    delete and update, then (for a Worker) the Worker's own.
    """

    __slots__ = ("_account_sid", "_workspace_sid", "_channel_id")

    VERSION: ClassVar[str] = "v1"
    DOMAIN: ClassVar[str] = TASK_ROUTER_BASE_URL
    EVENTS_BASE_URL: ClassVar[str] = TASK_ROUTER_BASE_WS_URL
    #: The channel sid prefix of the subclass: ``WK``, ``WQ`` or ``WS``.
    CHANNEL_PREFIX: ClassVar[str]

    def __init__(
        self,
        account_sid: str,
        auth_token: str | bytes,
        workspace_sid: str,
        channel_id: str,
        *,
        ttl: int = 3600,
        nbf: Nbf = GENERATE,
        valid_until: int | None = None,
        allow_web_sockets: bool = True,
        allow_fetch_self: bool = True,
        allow_update_self: bool = False,
        allow_delete_self: bool = False,
        allow_fetch_subresources: bool = False,
        allow_update_subresources: bool = False,
        allow_delete_subresources: bool = False,
    ) -> None:
        self._setup(account_sid, auth_token, workspace_sid, channel_id, "channel_id", ttl, nbf, valid_until)
        self._apply(
            # twilio's order (subresources: fetch, delete, update).
            allow_web_sockets=allow_web_sockets,
            allow_fetch_self=allow_fetch_self,
            allow_update_self=allow_update_self,
            allow_delete_self=allow_delete_self,
            allow_fetch_subresources=allow_fetch_subresources,
            allow_delete_subresources=allow_delete_subresources,
            allow_update_subresources=allow_update_subresources,
        )

    def _setup(
        self,
        account_sid: object,
        auth_token: object,
        workspace_sid: object,
        channel_id: object,
        channel_name: str,
        ttl: object,
        nbf: object,
        valid_until: object,
    ) -> None:
        account = check_sid(account_sid, "account_sid", ("AC",))
        workspace = check_sid(workspace_sid, "workspace_sid", ("WS",))
        channel = check_sid(channel_id, channel_name, (self.CHANNEL_PREFIX,))
        self._account_sid = account
        self._workspace_sid = workspace
        self._channel_id = channel
        a, c = _js(account), _js(channel)
        kind = _KIND_CLAIM.get(self.CHANNEL_PREFIX)
        # Claims in twilio's order: its _generate_payload, then iss, exp and
        # nbf added by Jwt.payload.  Everything after the policies varies
        # only in exp and nbf: the core keeps head + policies + mid.
        head = b"".join(
            (
                b'{"account_sid":', a,
                b',"workspace_sid":', _js(workspace),
                b',"channel":', c,
                b',"version":', _js(self.VERSION),
                b',"friendly_name":', c,
                b',"policies":[',
            )
        )  # fmt: skip
        mid = b"]" + (kind + c if kind else b"") + b',"iss":' + a + b',"exp":'
        self._minter = _core.Minter(
            check_key(auth_token, "auth_token"), head=head, mid=mid, name="auth_token"
        )
        self._init_times(ttl, nbf, valid_until)

    def _apply(self, **flags: bool) -> None:
        """Calls the ``allow_*`` method of each flag that is True, in order."""
        for name, value in flags.items():
            check_flag(value, name)
        for name, value in flags.items():
            if value:
                getattr(self, name)()

    # -- what the reference exposes -----------------------------------------

    @property
    def account_sid(self) -> str:
        """The account sid (the ``iss`` and ``account_sid`` claims)."""
        return self._account_sid

    @property
    def workspace_sid(self) -> str:
        """The Workspace sid."""
        return self._workspace_sid

    @property
    def channel_id(self) -> str:
        """The channel sid (the ``channel`` and ``friendly_name`` claims)."""
        return self._channel_id

    @property
    def channel_prefix(self) -> str:
        """The channel sid prefix of this class."""
        return self.CHANNEL_PREFIX

    @property
    def workspace_url(self) -> str:
        """The Workspace's URL."""
        return f"{self.DOMAIN}/{self.VERSION}/Workspaces/{self._workspace_sid}"

    @property
    @abc.abstractmethod
    def resource_url(self) -> str:
        """The channel's own resource."""

    @property
    def headers(self) -> dict[str, Any]:
        """``{"typ": "JWT", "alg": "HS256"}`` (a new dict)."""
        return {"typ": "JWT", "alg": self.ALGORITHM}

    # -- permissions -----------------------------------------------------------

    def allow_web_sockets(self, channel_id: str | None = None) -> None:
        """Allows GET and POST on a channel's event stream: this token's
        channel, or `channel_id`.

        :raises TypeError: `channel_id` is not a str or None.
        :raises ValueError: `channel_id` is not a Worker, TaskQueue or
            Workspace sid.
        """
        channel = (
            self._channel_id
            if channel_id is None
            else check_sid(channel_id, "channel_id", ("WK", "WQ", "WS"))
        )
        url = f"{self.EVENTS_BASE_URL}/{self._account_sid}/{channel}"
        self._grant(url, "GET")
        self._grant(url, "POST")

    def allow_fetch_self(self) -> None:
        """Allows GET on the channel's resource."""
        self._grant(self.resource_url, "GET")

    def allow_update_self(self) -> None:
        """Allows POST on the channel's resource."""
        self._grant(self.resource_url, "POST")

    def allow_delete_self(self) -> None:
        """Allows DELETE on the channel's resource."""
        self._grant(self.resource_url, "DELETE")

    def allow_fetch_subresources(self) -> None:
        """Allows GET on every subresource of the channel's resource."""
        self._grant(f"{self.resource_url}/**", "GET")

    def allow_update_subresources(self) -> None:
        """Allows POST on every subresource of the channel's resource."""
        self._grant(f"{self.resource_url}/**", "POST")

    def allow_delete_subresources(self) -> None:
        """Allows DELETE on every subresource of the channel's resource."""
        self._grant(f"{self.resource_url}/**", "DELETE")

    def _make_policy(
        self,
        url: str,
        method: str,
        allowed: bool,
        query_filter: Mapping[str, Any] | None = None,
        post_filter: Mapping[str, Any] | None = None,
    ) -> None:
        """twilio's private way to add a policy, kept for code that used it:
        the same as :meth:`add_policy`."""
        self.add_policy(url, method, allowed, query_filter, post_filter)

    # -- the token ---------------------------------------------------------------

    def _sign(self, now: int, exp: int, nbf: int | None) -> str:
        if nbf is None:
            return self._minter.mint(exp, b"}")
        return self._minter.mint(exp, b',"nbf":', nbf, b"}")

    @classmethod
    def _from_claims(cls, header: dict[str, Any], payload: dict[str, Any], key: str | bytes) -> Self:
        channel = payload.get("channel")
        if not isinstance(channel, str):
            raise TypeError("the channel claim must be a str")
        kind = cls._kind_of(channel)
        token = kind.__new__(kind)
        token._setup(
            payload.get("account_sid"),
            key,
            payload.get("workspace_sid"),
            channel,
            "channel",
            3600,
            payload.get("nbf"),
            payload.get("exp"),
        )
        policies = payload.get("policies")
        if not isinstance(policies, list):
            raise TypeError("the policies claim must be a list")
        fragments = [Policy.coerce(p).to_json() for p in policies]
        token._minter.set_policies(fragments)
        return token

    @classmethod
    def _kind_of(cls, channel: str) -> type[Self]:
        """The class (this one or a subclass) for a channel sid."""
        from .capabilities import (
            TaskQueueCapabilityToken,
            WorkerCapabilityToken,
            WorkspaceCapabilityToken,
        )

        for kind in (WorkerCapabilityToken, TaskQueueCapabilityToken, WorkspaceCapabilityToken):
            if issubclass(kind, cls) and channel.startswith(kind.CHANNEL_PREFIX):
                return cast("type[Self]", kind)
        raise ValueError(f"channel {channel!r} is not the channel of a {cls.__name__}")

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(account_sid={self._account_sid!r}, "
            f"workspace_sid={self._workspace_sid!r}, channel_id={self._channel_id!r}, "
            f"policies={len(self._minter.policies())})"
        )
