"""Today's ``twilio.jwt.taskrouter``: ``TaskRouterCapabilityToken``, the
base of the Worker, TaskQueue and Workspace tokens in
:mod:`twilio_trcap.jwt.taskrouter.capabilities`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from collections.abc import Callable
from typing import Any, ClassVar, Final, Self, TypedDict, Unpack, cast

from ..._capability import ChannelCapability, PolicyMethods
from ..._checks import (
    ACCOUNT_PREFIX,
    CHANNEL_PREFIXES,
    WORKSPACE_PREFIX,
    KeyLike,
    check_fields,
    check_flag,
    check_sid,
)
from ..._payload import (
    ACCOUNT,
    BASE_WS_URL,
    CHANNEL,
    EVENTS_URL,
    KIND_NAME,
    LAYOUT_6,
    TASK_ROUTER_BASE_URL,
    TASK_ROUTER_BASE_WS_URL,
    TASK_ROUTER_VERSION,
    WORKSPACE,
    Fields,
    make_key,
    new_minter,
    subresources,
)
from ...policy import Policy
from .. import GENERATE, ArgumentTypeError, Jwt, Nbf

__all__ = ["CapabilityOptions", "TaskRouterCapabilityToken"]

def _rules_of(prefix: str, channel_name: str) -> tuple[tuple[str, tuple[str, ...] | None], ...]:
    """The field rules of a capability token (twilio_trcap._checks.check_fields):
    the three sids, the channel's named `channel_name` with `prefix`, then
    the class's VERSION, DOMAIN and EVENTS_BASE_URL as text."""
    return (
        ("account_sid", (ACCOUNT_PREFIX,)),
        ("workspace_sid", (WORKSPACE_PREFIX,)),
        (channel_name, (prefix,)),
        ("VERSION", None),
        ("DOMAIN", None),
        ("EVENTS_BASE_URL", None),
    )


#: The rules of every channel kind under each name its argument has here,
#: made once.
_RULES: Final = {
    (prefix, channel_name): _rules_of(prefix, channel_name)
    for prefix in CHANNEL_PREFIXES
    for channel_name in ("channel_id", "channel", "worker_sid", "task_queue_sid", "workspace_sid")
}


class CapabilityOptions(TypedDict, total=False):
    """The keywords of every capability token class (twilio's ``**kwargs``),
    for type checkers; see :class:`TaskRouterCapabilityToken`."""

    nbf: Nbf
    valid_until: int | None
    allow_web_sockets: bool
    allow_fetch_self: bool
    allow_update_self: bool
    allow_delete_self: bool
    allow_fetch_subresources: bool
    allow_update_subresources: bool
    allow_delete_subresources: bool


class TaskRouterCapabilityToken(ChannelCapability, Jwt):
    """A TaskRouter capability token, as twilio 6 and later make it: the
    base of :class:`~twilio_trcap.jwt.taskrouter.capabilities.WorkerCapabilityToken`,
    ``TaskQueueCapabilityToken`` and ``WorkspaceCapabilityToken``, which
    say what the channel is (this class cannot be made itself).

    :param account_sid: the account (``AC...``): the ``iss`` claim.
    :param auth_token: the account's auth token (str or bytes, or a Key), the HS256
        key; kept only inside the C core (a subclass with its own
        ``_generate_headers`` also keeps a reference: docs/security.md),
        never shown.
    :param workspace_sid: the Workspace (``WS...``).
    :param channel_id: the channel, with the subclass's prefix.
    :param ttl: seconds from minting to ``exp``; 3600 by default.

    Keyword-only (:class:`CapabilityOptions`):

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
    :raises ValueError: a sid is empty, has the wrong prefix or holds
        anything but ASCII letters and digits (docs/security.md: the message
        never shows the value), the auth token is empty, `ttl` is negative.
    :raises OverflowError: `nbf` or `valid_until` does not fit a signed
        64-bit int.

    Policies are added in twilio's order: the event stream, then the
    resource's fetch, update and delete, then its subresources' fetch,
    delete and update, then (for a Worker) the Worker's own.
    """

    __slots__ = ("_fields",)

    VERSION: ClassVar[str] = TASK_ROUTER_VERSION
    _KEY_WHAT: ClassVar[str] = "an auth token"
    DOMAIN: ClassVar[str] = TASK_ROUTER_BASE_URL
    EVENTS_BASE_URL: ClassVar[str] = TASK_ROUTER_BASE_WS_URL
    #: The channel sid prefix of the subclass: ``WK``, ``WQ`` or ``WS``.
    CHANNEL_PREFIX: ClassVar[str]

    #: The ``allow_*`` keywords and their defaults, in the order twilio
    #: applies them (subresources: fetch, delete, update).
    _FLAGS: ClassVar[dict[str, bool]] = {
        "allow_web_sockets": True,
        "allow_fetch_self": True,
        "allow_update_self": False,
        "allow_delete_self": False,
        "allow_fetch_subresources": False,
        "allow_delete_subresources": False,
        "allow_update_subresources": False,
    }

    def __init__(
        self,
        account_sid: str,
        auth_token: KeyLike,
        workspace_sid: str,
        channel_id: str,
        ttl: int = 3600,
        **options: Unpack[CapabilityOptions],
    ) -> None:
        self._build(account_sid, auth_token, workspace_sid, channel_id, "channel_id", ttl, options)

    def __init_subclass__(cls, **kwargs: Any) -> None:
        # The constructor's steps are the allow_* methods of the flags:
        # ChannelCapability records their policies once per set of flags.
        cls._PLAN_STEPS = tuple(cls._FLAGS)
        super().__init_subclass__(**kwargs)

    def _build(
        self,
        account_sid: object,
        auth_token: object,
        workspace_sid: object,
        channel_id: object,
        channel_name: str,
        ttl: object,
        options: Mapping[str, object],
    ) -> None:
        """What every constructor does: check the arguments, key the core
        with the claims around the policies and the policies of the flags
        that are on (their ``allow_*`` methods' policies, recorded once per
        set of flags, or the methods called when a class of one's own
        supplies one)."""
        cls = type(self)
        try:
            prefix = cls.CHANNEL_PREFIX
        except AttributeError:
            raise TypeError(
                f"{cls.__name__} is abstract: make a WorkerCapabilityToken, "
                "TaskQueueCapabilityToken or WorkspaceCapabilityToken"
            ) from None
        if prefix not in LAYOUT_6:
            raise TypeError(
                f"{cls.__name__}.CHANNEL_PREFIX must be one of {', '.join(map(repr, LAYOUT_6))}"
            )
        given: tuple[tuple[str, bool], ...] = ()
        nbf: object = GENERATE
        valid_until: object = None
        if options:
            flags = cls._FLAGS
            chosen: list[tuple[str, bool]] = []
            for name, value in options.items():
                if name in flags:
                    if type(value) is not bool:  # not __class__, which a value can fake
                        check_flag(value, name)  # raises, naming the flag
                    chosen.append((name, value))  # type: ignore[arg-type]  # a bool
                elif name == "nbf":
                    nbf = value
                elif name == "valid_until":
                    valid_until = value
                else:
                    # twilio's **kwargs silently ignored a misspelt permission.
                    raise TypeError(
                        f"{cls.__name__}() got an unexpected keyword argument {name!r}"
                    )
            given = tuple(chosen)
        try:
            fields = check_fields(
                _RULES.get((prefix, channel_name)) or _rules_of(prefix, channel_name),
                account_sid, workspace_sid, channel_id,
                self.VERSION, self.DOMAIN, self.EVENTS_BASE_URL,
            )  # fmt: skip
        except TypeError as exc:
            # twilio raised ValueError for a None sid: catchable as both.
            raise ArgumentTypeError(str(exc)) from None
        if prefix == WORKSPACE_PREFIX:
            self._check_workspace_channel(fields, channel_name)
        self._fields = fields  # type: ignore[assignment]  # six strs (the rules)
        # Claims in twilio's order (twilio_trcap._payload.LAYOUT_6): its
        # _generate_payload, then iss, exp and nbf added by Jwt.payload.
        # The key also signs what a subclass with hooks of its own makes
        # (Jwt._sign).
        self._signer = key = make_key(auth_token, "auth_token")
        plans = cls._PLANS
        plan = None if plans is None else plans.get(given)
        if plan is None and plans is not None:
            plan = cls._record_plan(plans, given, prefix, self._steps(given))
        self._minter = new_minter(key, fields, LAYOUT_6[prefix], plan or ())
        self._init_times(ttl, nbf, valid_until)
        if plan is None:
            for step in self._steps(given):
                step(self)

    def _steps(self, given: tuple[tuple[str, bool], ...]) -> tuple[Callable[[Any], object], ...]:
        """The ``allow_*`` methods of the flags that are on, with the
        flags `given` over the defaults, in the order twilio calls them."""
        flags = {**self._FLAGS, **dict(given)}
        cls = type(self)
        return tuple(getattr(cls, name) for name, on in flags.items() if on)

    # -- twilio's hooks ----------------------------------------------------------

    def _generate_payload(self) -> dict[str, Any]:
        """twilio's claims of a capability token (a new dict): the sids,
        ``version``, ``friendly_name``, the policies as dicts, and the
        Worker's or TaskQueue's sid (``iss``, ``exp`` and ``nbf`` are added
        after them)."""
        fields = self._fields
        payload: dict[str, Any] = {
            "account_sid": fields[ACCOUNT],
            "workspace_sid": fields[WORKSPACE],
            "channel": fields[CHANNEL],
            "version": self.VERSION,
            "friendly_name": fields[CHANNEL],
            # The very JSON the token carries, read back.
            "policies": [json.loads(policy) for policy in self._minter.policies()],
        }
        kind = KIND_NAME[self.CHANNEL_PREFIX]
        if kind is not None:
            payload[kind.decode()] = fields[CHANNEL]
        return payload

    @property
    def issuer(self) -> str:
        """The ``iss`` claim: :attr:`account_sid` (read-only: the policies
        are built from it)."""
        return self.account_sid

    @issuer.setter
    def issuer(self, value: str) -> None:
        raise AttributeError("issuer is the account_sid, which the policies are built from")

    @property
    def subject(self) -> str | None:
        """``None``: a capability token has no ``sub`` claim."""
        return None

    @subject.setter
    def subject(self, value: str | None) -> None:
        raise AttributeError("a capability token has no subject")

    def _set_key(self, value: object) -> None:
        # The policies live in a Minter keyed once; setting secret_key or
        # auth_token would have to carry them to a new one.
        raise AttributeError(
            f"the key of a {type(self).__name__} cannot be changed: make a new token"
        )

    # -- permissions -----------------------------------------------------------

    def allow_web_sockets(self, channel_id: str | None = None) -> None:
        """Allows GET and POST on a channel's event stream: this token's
        channel, or `channel_id`.

        :raises TypeError: `channel_id` is not a str or None.
        :raises ValueError: `channel_id` is not a Worker, TaskQueue or
            Workspace sid (by prefix and by the sid rule of docs/security.md).
        """
        if channel_id is None:
            url = EVENTS_URL
        else:
            # Another channel: its sid (ASCII letters and digits) as text.
            channel = check_sid(channel_id, "channel_id", CHANNEL_PREFIXES)
            url = (BASE_WS_URL, b"/", ACCOUNT, b"/", channel.encode())
        self._grant(url, "GET")
        self._grant(url, "POST")

    def allow_fetch_self(self) -> None:
        """Allows GET on the channel's resource."""
        self._grant(self._resource, "GET")

    def allow_update_self(self) -> None:
        """Allows POST on the channel's resource."""
        self._grant(self._resource, "POST")

    def allow_delete_self(self) -> None:
        """Allows DELETE on the channel's resource."""
        self._grant(self._resource, "DELETE")

    def allow_fetch_subresources(self) -> None:
        """Allows GET on every subresource of the channel's resource."""
        self._grant(subresources(self._resource), "GET")

    def allow_update_subresources(self) -> None:
        """Allows POST on every subresource of the channel's resource."""
        self._grant(subresources(self._resource), "POST")

    def allow_delete_subresources(self) -> None:
        """Allows DELETE on every subresource of the channel's resource."""
        self._grant(subresources(self._resource), "DELETE")

    #: twilio's private way to add a policy, kept for code that reached for
    #: it (twilio 6+ has no public one): the same as :meth:`add_policy`.
    _make_policy = PolicyMethods.add_policy

    # -- the token ---------------------------------------------------------------

    def _sign(self, now: int, exp: int, nbf: int | None) -> str:
        if nbf is None:
            return self._minter.mint(exp, b"}")
        return self._minter.mint(exp, b',"nbf":', nbf, b"}")

    @classmethod
    def _from_claims(cls, header: dict[str, Any], payload: dict[str, Any], key: KeyLike) -> Self:
        channel = payload.get("channel")
        if not isinstance(channel, str):
            raise TypeError("the channel claim must be a str")
        kind = cls._kind_of(channel)
        token = kind.__new__(kind)
        times = {"nbf": payload.get("nbf"), "valid_until": payload.get("exp")}
        no_defaults = dict.fromkeys(kind._FLAGS, False)
        token._build(
            payload.get("account_sid"), key, payload.get("workspace_sid"), channel, "channel",
            3600, {**times, **no_defaults},
        )  # fmt: skip
        policies = payload.get("policies")
        if not isinstance(policies, list):
            raise TypeError("the policies claim must be a list")
        policies_json = [Policy.coerce(p).to_json() for p in policies]
        token._minter.set_policies(policies_json)
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
        # The claim is not shown: only the prefixes of the table are.
        raise ValueError(f"the channel claim is not the channel of a {cls.__name__}")
