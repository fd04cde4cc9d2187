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
from collections.abc import Mapping
from typing import Any, Final

from . import _core
from ._capability import REQUIRED_JSON, PolicyMethods
from ._checks import check_claim_time, check_key, check_text, check_ttl, current_time
from .policy import OPTIONAL, REQUIRED, Policy

__all__ = [
    "OPTIONAL",
    "REQUIRED",
    "TASK_ROUTER_BASE_URL",
    "TASK_ROUTER_BASE_WS_URL",
    "TaskRouterCapability",
    "make_policy",
]

TASK_ROUTER_BASE_URL: Final = "https://taskrouter.twilio.com"
TASK_ROUTER_BASE_WS_URL: Final = "https://event-bridge.twilio.com/v1/wschannels"

_js = _core.json_string


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


class TaskRouterCapability(PolicyMethods):
    """A TaskRouter capability token for one Worker, as twilio 4.0 made it.

    :param account_sid: the account the token is for (the ``iss`` claim).
    :param auth_token: the account's auth token (str or bytes): the HS256
        key.  It is kept only inside the C core, wiped when this object is
        freed, and never shown by ``repr``, ``str`` or an exception.
    :param workspace_sid: the Workspace the Worker belongs to.
    :param worker_sid: the Worker the token is for.
    :param base_url: the TaskRouter API's base URL.
    :param version: the API version, in URLs and the ``version`` claim.
    :param base_ws_url: the base URL of the Worker's event channel.
    :raises TypeError: a sid, URL or version is not a str; the auth token is
        neither str nor bytes.
    :raises ValueError: any of them is empty.

    A new object allows, in this order, GET and POST on the Worker's event
    channel and GET on the Workspace's Activities; each ``allow_*`` call
    appends one more policy, and :meth:`allow`, :meth:`deny` and
    :meth:`add_policy` append policies of one's own.
    """

    __slots__ = (
        "_account_sid",
        "_workspace_sid",
        "_worker_sid",
        "_version",
        "_base_url",
        "_base_ws_url",
        "_minter",
        "_suffix",
        "__weakref__",
    )

    def __init__(
        self,
        account_sid: str,
        auth_token: str | bytes,
        workspace_sid: str,
        worker_sid: str,
        base_url: str = TASK_ROUTER_BASE_URL,
        version: str = "v1",
        base_ws_url: str = TASK_ROUTER_BASE_WS_URL,
    ) -> None:
        self._account_sid = check_text(account_sid, "account_sid")
        self._workspace_sid = check_text(workspace_sid, "workspace_sid")
        self._worker_sid = check_text(worker_sid, "worker_sid")
        self._version = check_text(version, "version")
        self._base_url = f"{check_text(base_url, 'base_url')}/{version}"
        self._base_ws_url = check_text(base_ws_url, "base_ws_url")
        worker = _js(worker_sid)
        account = _js(account_sid)
        # The payload is head + policies + mid + exp + suffix (claims in
        # twilio 4.0's order); the core keeps the policies and the joined
        # prefix, rebuilt only after they change.
        self._minter = _core.Minter(
            check_key(auth_token, "auth_token"),
            head=b'{"version":' + _js(version) + b',"friendly_name":' + worker + b',"policies":[',
            mid=b'],"iss":' + account + b',"exp":',
            name="auth_token",
        )
        self._suffix = b"".join(
            (
                b',"account_sid":', account,
                b',"channel":', worker,
                b',"worker_sid":', worker,
                b',"workspace_sid":', _js(workspace_sid),
                b"}",
            )
        )
        channel = f"{base_ws_url}/{account_sid}/{worker_sid}"
        self._grant(channel, "GET")
        self._grant(channel, "POST")
        self._grant(f"{self.workspace_url}/Activities", "GET")

    # -- what the reference exposes -------------------------------------

    @property
    def account_sid(self) -> str:
        """The account sid (the ``iss`` claim)."""
        return self._account_sid

    @property
    def workspace_sid(self) -> str:
        """The Workspace sid."""
        return self._workspace_sid

    @property
    def worker_sid(self) -> str:
        """The Worker sid (also the ``channel`` and ``friendly_name``)."""
        return self._worker_sid

    @property
    def version(self) -> str:
        """The API version (the ``version`` claim)."""
        return self._version

    @property
    def base_url(self) -> str:
        """The TaskRouter API's base URL with the version, as in twilio 4.0."""
        return self._base_url

    @property
    def base_ws_url(self) -> str:
        """The base URL of the Worker's event channel."""
        return self._base_ws_url

    @property
    def workspace_url(self) -> str:
        """The Workspace's URL."""
        return f"{self._base_url}/Workspaces/{self._workspace_sid}"

    @property
    def worker_url(self) -> str:
        """The Worker's URL."""
        return f"{self.workspace_url}/Workers/{self._worker_sid}"

    # -- permissions ----------------------------------------------------

    def allow_worker_fetch_attributes(self) -> None:
        """Allows GET on the Worker: Worker.js may fetch its attributes."""
        self._grant(self.worker_url, "GET")

    def allow_worker_activity_updates(self) -> None:
        """Allows POST on the Worker with an ``ActivitySid``: Worker.js may
        change the Worker's Activity."""
        self._grant(self.worker_url, "POST", {"ActivitySid": REQUIRED_JSON})

    def allow_task_reservation_updates(self) -> None:
        """Allows POST on every Task's subresources with a
        ``ReservationStatus``: Worker.js may accept or reject reservations."""
        self._grant(f"{self.workspace_url}/Tasks/**", "POST", {"ReservationStatus": REQUIRED_JSON})

    # -- the token --------------------------------------------------------

    def generate_token(
        self, ttl: int = 3600, attributes: object = None, *, now: int | None = None
    ) -> str:
        """The signed token (a str): HS256, expiring ``ttl`` seconds from now.

        :param ttl: seconds the token is valid for; 3600 (one hour) by default.
        :param attributes: accepted for compatibility and ignored, as twilio
            4.0 ignored it (a ``UserWarning`` says so).
        :param now: the time to mint at, in seconds since the epoch; the
            current time by default (for tests and reproducible tokens).
        :raises TypeError: `ttl` or `now` is not an int (a bool is not).
        :raises ValueError: `ttl` is negative.
        :raises OverflowError: ``now + ttl`` does not fit a signed 64-bit int.

        Claims, in this order: ``version``, ``friendly_name``, ``policies``,
        ``iss``, ``exp``, ``account_sid``, ``channel``, ``worker_sid``,
        ``workspace_sid``.
        """
        if attributes is not None:
            warnings.warn(
                "generate_token(attributes=...) is ignored, as it was in twilio 4.0",
                UserWarning,
                stacklevel=2,
            )
        exp = check_claim_time(current_time(now) + check_ttl(ttl), "exp")
        return self._minter.mint(exp, self._suffix)

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(account_sid={self._account_sid!r}, "
            f"workspace_sid={self._workspace_sid!r}, worker_sid={self._worker_sid!r}, "
            f"policies={len(self._minter.policies())})"
        )


# Keep the names twilio 4.0 exported importable from here, so that
# ``from twilio_trcap.task_router import REQUIRED`` works as it did.
_ = (OPTIONAL, REQUIRED)
