"""What every capability class shares: its policies, and its key kept out
of reach.

A capability keeps its policies inside the C core's ``Minter``, as the JSON
each one adds to the token.  ``allow``, ``deny`` and ``add_policy`` are the
public way to add one of one's own (twilio 4.5 to 5.7 had them; twilio 6 and
later have none); ``policies`` is the live list.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, ClassVar, Final, NoReturn

from . import _core
from ._checks import ACCOUNT_PREFIX, WORKSPACE_PREFIX, check_fields
from ._mixins import Checkable, HtmlRepr
from ._payload import (
    ACCOUNT,
    CHANNEL,
    RESOURCE_URL,
    WORKSPACE,
    WORKSPACE_URL,
    Fields,
    Url,
    allow,
    url_text,
)
from .policy import Policy, PolicyList

__all__ = [
    "ChannelCapability",
    "FieldsCapability",
    "KeyHolder",
    "PolicyMethods",
    "user_defined",
]

_PACKAGE: Final = __name__.split(".")[0] + "."


def user_defined(cls: type, name: str) -> bool:
    """Whether `cls` gets `name` from code outside this package: a class of
    one's own defines it, with a value that is not one of ours (such as
    ``Jwt._sign``, which ``Jwt.__init_subclass__`` puts on a subclass of
    one's own)."""
    for klass in cls.__mro__:
        if name in vars(klass):
            if klass.__module__.startswith(_PACKAGE) or klass is object:
                return False
            value = vars(klass)[name]
            # A property of ours (Jwt.payload) is known by its getter.
            module = getattr(value.fget if isinstance(value, property) else value, "__module__", None)
            return not (isinstance(module, str) and module.startswith(_PACKAGE))
    return False


#: Plans kept per class: one per distinct set of flags given (twilio 6+'s
#: twelve flags allow 4,096; real code uses a handful).
_MAX_PLANS: Final = 256


class _Recorder:
    """Stands in for a Minter while a plan is recorded: keeps the policies
    added, in order."""

    __slots__ = ("policies",)

    def __init__(self) -> None:
        self.policies: list[_core.Template | bytes] = []

    def add_policy(self, policy: _core.Template | bytes) -> None:
        self.policies.append(policy)


class KeyHolder(HtmlRepr):
    """A class whose key lives in a ``_core.Minter`` (stored in
    ``_minter``): the key is not readable, and the object is not pickled or
    copied (a copy would have to carry the key out of the C core)."""

    __slots__ = ()

    _minter: _core.Minter
    #: What the key is, for messages that mention it.
    _KEY_WHAT: ClassVar[str] = "an auth token"

    def _unreadable(self, name: str) -> NoReturn:
        raise AttributeError(
            f"{name} is not readable: twilio-trcap keeps the key only inside its C core"
        )

    def __reduce__(self) -> NoReturn:
        raise TypeError(f"cannot pickle {type(self).__name__}: it holds {self._KEY_WHAT}")


class PolicyMethods(Checkable, KeyHolder):
    """The policy methods of every capability class (a mixin), with
    :meth:`~twilio_trcap.check.Checkable.allows` and
    :meth:`~twilio_trcap.check.Checkable.explain` over its policies (the
    local model of docs/policies.md)."""

    __slots__ = ()

    @property
    def policies(self) -> PolicyList:
        """The policies the token will carry, in order: a live list.

        Items are :class:`~twilio_trcap.Policy` values; appending a Policy
        (or a policy dict) grants or denies one more request.
        """
        return PolicyList(self._minter)

    def add_policy(
        self,
        url: str,
        method: str,
        allowed: bool,
        query_filter: Mapping[str, Any] | None = None,
        post_filter: Mapping[str, Any] | None = None,
    ) -> None:
        """Appends one policy: `method` on `url` is allowed if `allowed`,
        denied otherwise.

        :param url: the resource URL; a trailing ``/**`` covers every
            subresource.
        :param method: the HTTP method, normalised to upper case.
        :param allowed: ``True`` to allow, ``False`` to deny.
        :param query_filter: query parameters the policy constrains, such as
            ``{"TaskQueueSid": REQUIRED}``, or ``None``.
        :param post_filter: form parameters the policy constrains, or ``None``.
        :raises TypeError: an argument has the wrong type (the message
            names it).
        :raises ValueError: an empty url or method, or a method that is not
            an HTTP method.
        """
        self._minter.add_policy(
            Policy(url, method, allowed, query_filter, post_filter).to_json()
        )

    def allow(
        self,
        url: str,
        method: str,
        query_filter: Mapping[str, Any] | None = None,
        post_filter: Mapping[str, Any] | None = None,
    ) -> None:
        """Appends a policy allowing `method` on `url`.

        :raises TypeError: an argument has the wrong type.
        :raises ValueError: an empty url or method, or a method that is not
            an HTTP method.
        """
        self.add_policy(url, method, True, query_filter, post_filter)

    def deny(
        self,
        url: str,
        method: str,
        query_filter: Mapping[str, Any] | None = None,
        post_filter: Mapping[str, Any] | None = None,
    ) -> None:
        """Appends a policy denying `method` on `url`.

        :raises TypeError: an argument has the wrong type.
        :raises ValueError: an empty url or method, or a method that is not
            an HTTP method.
        """
        self.add_policy(url, method, False, query_filter, post_filter)

    def _grant(self, url: Url, method: str, required: str | None = None) -> None:
        """Appends a built-in policy: `method` allowed on `url` (template
        items over the capability's fields, twilio_trcap._payload), with a
        post filter requiring the form parameter `required` if given.  One
        shared template per distinct policy; nothing is checked again."""
        self._minter.add_policy(allow(url, method, required))

    @property
    def auth_token(self) -> NoReturn:
        """Not readable: the auth token stays inside the C core."""
        self._unreadable("auth_token")


class FieldsCapability(PolicyMethods):
    """A capability whose payload is written from its fields
    (twilio_trcap._payload: the checked sids, then the version and base
    URLs), stored in ``_fields``: what every generation's class reads back
    from them."""

    __slots__ = ()

    _fields: Fields

    @property
    def account_sid(self) -> str:
        """The account sid (the ``iss`` claim, and ``account_sid``)."""
        return self._fields[ACCOUNT]

    @property
    def workspace_sid(self) -> str:
        """The Workspace sid."""
        return self._fields[WORKSPACE]

    @property
    def workspace_url(self) -> str:
        """The Workspace's URL."""
        return url_text(WORKSPACE_URL, self._fields)


class ChannelCapability(FieldsCapability):
    """A capability for one TaskRouter channel (a Worker, a TaskQueue or a
    Workspace), as twilio 4.5 and later shape it: the sids it was made with,
    and a repr that shows them, never the key or a token.

    The class using it stores its fields in ``_fields``, the channel in
    the CHANNEL field.
    """

    __slots__ = ()

    #: The methods whose policies a plan stands for (a class's own
    #: constructor steps), besides what every step calls.
    _PLAN_STEPS: ClassVar[tuple[str, ...]] = ()
    #: The plans of this class (:meth:`_record_plan`), or None when a class of
    #: one's own supplies a step, which then runs for every object.
    _PLANS: ClassVar[dict[object, tuple[_core.Template | bytes, ...]] | None] = None

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        # __del__ too: a probe (an object of the class whose __init__ never
        # ran) would run it.
        steps = (*cls._PLAN_STEPS, "_grant", "_resource", "channel_prefix", "__new__", "__del__")
        cls._PLANS = None if any(user_defined(cls, name) for name in steps) else {}

    @classmethod
    def _record_plan(
        cls,
        plans: dict[object, tuple[_core.Template | bytes, ...]],
        key: object,
        prefix: str,
        steps: tuple[Callable[[Any], object], ...],
    ) -> tuple[_core.Template | bytes, ...]:
        """The policies that `steps` (functions of the class, in order) add
        to a new object whose channel has `prefix`, recorded and kept in
        `plans` (the class's ``_PLANS``) under `key`, then shared
        (templates over the fields, holding no sid nor key).  The caller
        has looked `key` up in `plans` first, and runs its steps on the
        object itself when the class has no plans."""
        probe = cls.__new__(cls)
        recorder = _Recorder()
        # Through object.__setattr__: the slots are the concrete class's.
        object.__setattr__(probe, "_fields", ("", "", prefix, "", "", ""))
        object.__setattr__(probe, "_minter", recorder)
        for step in steps:
            step(probe)
        plan = tuple(recorder.policies)
        if len(plans) < _MAX_PLANS:
            plans[key] = plan
        return plan

    @staticmethod
    def _check_sids(
        account_sid: object,
        workspace_sid: object,
        channel_id: object,
        channel_name: str,
        prefixes: tuple[str, ...],
    ) -> tuple[str, str, str]:
        """The account, workspace and channel sids, checked; `channel_name`
        is the channel argument's name, `prefixes` the kinds of channel the
        class takes."""
        fields = check_fields(
            (
                ("account_sid", (ACCOUNT_PREFIX,)),
                ("workspace_sid", (WORKSPACE_PREFIX,)),
                (channel_name, prefixes),
            ),
            account_sid,
            workspace_sid,
            channel_id,
        )
        ChannelCapability._check_workspace_channel(fields, channel_name)
        account, workspace, channel = fields
        return account, workspace, channel

    @staticmethod
    def _check_workspace_channel(fields: tuple[str, ...], channel_name: str) -> None:
        """Refuses a Workspace channel other than the capability's own
        Workspace (`fields`: the account, workspace and channel sids
        first)."""
        channel, workspace = fields[CHANNEL], fields[WORKSPACE]
        if channel.startswith(WORKSPACE_PREFIX) and channel != workspace:
            # twilio 5.x accepted it and granted the Workspace's resource
            # with another Workspace's event channel.  Neither sid is shown
            # (docs/security.md, "Sids").
            raise ValueError(
                f"{channel_name} is a Workspace sid other than workspace_sid; a Workspace "
                "channel must be the capability's own Workspace"
            )

    @property
    def channel_id(self) -> str:
        """The channel sid (the ``channel`` and ``friendly_name`` claims)."""
        return self._fields[CHANNEL]

    @property
    def channel_prefix(self) -> str:
        """The channel's kind: ``"WK"``, ``"WQ"`` or ``"WS"``
        (twilio_trcap._checks.CHANNEL_PREFIXES)."""
        return self._fields[CHANNEL][:2]

    @property
    def _resource(self) -> Url:
        """The channel's own resource, as template items."""
        return RESOURCE_URL[self.channel_prefix]

    @property
    def resource_url(self) -> str:
        """The channel's own resource: the Worker, the TaskQueue or the
        Workspace."""
        return url_text(self._resource, self._fields)

    def __repr__(self) -> str:
        fields = self._fields
        return (
            f"{type(self).__name__}(account_sid={fields[ACCOUNT]!r}, "
            f"workspace_sid={fields[WORKSPACE]!r}, channel_id={fields[CHANNEL]!r}, "
            f"policies={len(self._minter.policies())})"
        )
