"""Today's ``twilio.jwt.access_token.grants``: every grant twilio has.

``ChatGrant``, ``SyncGrant``, ``VoiceGrant``, ``VideoGrant``,
``TaskRouterGrant`` and ``PlaybackGrant`` take twilio's constructor
arguments and give twilio's payloads (a field is left out when it is
``None``).  Their attributes can be set after construction, as twilio's
can; a new value is checked as the constructor checks it.

On purpose, and unlike the reference: a text argument must be a non-empty
str or ``None`` (twilio left an empty or falsy value out of the payload
without a word), ``incoming_allow`` a bool or ``None``, and the TaskRouter
grant's sids must have their prefixes (``WS``, ``WK``).
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Mapping
from typing import Any, ClassVar, Final

from ... import _core
from ..._capability import user_defined
from ..._checks import (
    WORKER_PREFIX,
    WORKSPACE_PREFIX,
    check_flag,
    check_optional_text,
    check_sid,
)
from . import _KEEPING, AccessTokenGrant

__all__ = [
    "ChatGrant",
    "PlaybackGrant",
    "SyncGrant",
    "TaskRouterGrant",
    "VideoGrant",
    "VoiceGrant",
    "grant_from_payload",
]

_Check = Callable[[object, str], Any]

#: What a grant's member is written from: a class of one's own that
#: supplies any of these writes it at every mint.
_MEMBER_STEPS: Final = (
    "to_payload", "key", "_payload_from", "KEY", "_member", "_CHECKS", "_KEEPABLE", "_SNAPSHOT",
)  # fmt: skip


def _snapshot_of(names: tuple[str, ...]) -> Callable[[object], tuple[Any, ...]]:
    """A function reading the attributes `names` of an object at once, as
    a tuple, in C (attrgetter gives a lone value for a single name: that
    name is asked for twice, and a reader of the tuple zips it with the
    names)."""
    return operator.attrgetter(*names, *names[:1]) if len(names) == 1 else operator.attrgetter(*names)


def _optional_flag(value: object, name: str) -> bool | None:
    return None if value is None else check_flag(value, name)


def _optional_mapping(value: object, name: str) -> Mapping[str, Any] | None:
    if value is None or isinstance(value, Mapping):
        return value
    raise TypeError(f"{name} must be a mapping or None, not {type(value).__name__}")


def _any_json(value: object, name: str) -> Any:
    # Checked when the token is written: the core refuses what JSON cannot hold.
    return value


def _sid(*prefixes: str) -> _Check:
    def check(value: object, name: str) -> str | None:
        return None if value is None else check_sid(value, name, prefixes)

    return check


class _Grant(AccessTokenGrant):
    """A grant whose attributes are the constructor's arguments, each
    checked by ``_CHECKS[name]`` whenever it is set.

    Its payload is written from a snapshot of its attributes (one read of
    each).  It keeps its member of the ``grants`` claim written
    (``_written``) with the snapshot it was written from, and gives it
    again while a new snapshot equals that one: no setter has to say that
    it changed, so no thread can leave a stale member behind.  It keeps
    one only when every attribute is checked text, a bool or None (none
    can change in place: a class whose attributes may hold a mapping says
    so with ``_KEEPABLE = False``) and its
    class writes its payload as this package does.
    """

    __slots__ = ("_written",)

    #: The grant's name in the ``grants`` claim.
    KEY: ClassVar[str]
    #: Each attribute and its check, in the constructor's order.
    _CHECKS: ClassVar[dict[str, _Check]]

    #: Each attribute of the class's own constructor, its check and its
    #: slot's setter, in the constructor's order (made from _CHECKS with
    #: the class; None if an attribute is not a slot of it).
    _STORES: ClassVar[tuple[tuple[str, _Check, Callable[[object, object], None]], ...] | None]
    #: Whether a class of one's own supplies __setattr__: then the
    #: constructor sets each attribute through it.
    _OWN_SETATTR: ClassVar[bool] = False
    #: Whether every attribute is checked text, a bool or None, so that two
    #: equal snapshots are the same payload: False for a class whose
    #: attributes may hold a mapping (changed in place, unseen by a setter).
    _KEEPABLE: ClassVar[bool] = True
    #: The attributes' values, in _CHECKS order (a tuple): the snapshot.
    _SNAPSHOT: Callable[[object], tuple[Any, ...]]

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls._OWN_SETATTR = user_defined(cls, "__setattr__")
        checks = getattr(cls, "_CHECKS", {})
        slots = {name: vars(cls).get(name) for name in checks}
        cls._STORES = (
            tuple((name, check, slots[name].__set__) for name, check in checks.items())  # type: ignore[union-attr]
            if all(hasattr(slot, "__set__") for slot in slots.values()) and "_CHECKS" in vars(cls)
            else None
        )
        names = tuple(checks)
        # A staticmethod: a lambda on the class would be bound to the grant.
        cls._SNAPSHOT = staticmethod(_snapshot_of(names))
        # A class that writes its payload as this package does, from
        # attributes that cannot change in place, keeps its member.
        if cls._KEEPABLE and not any(user_defined(cls, name) for name in _MEMBER_STEPS):
            _KEEPING.add(cls)

    def _assign(self, owner: type[_Grant], *values: object) -> None:
        """Sets the attributes of `owner`'s constructor (`owner` is the
        class whose ``__init__`` calls this, `self` may be of a subclass),
        in its order, checked as setting each would be, without a frame
        for each."""
        stores = owner._STORES
        if stores is None or self._OWN_SETATTR:
            for name, value in zip(owner._CHECKS, values):
                setattr(self, name, value)
            return
        for (name, check, store), value in zip(stores, values):
            store(self, check(value, name))

    def __setattr__(self, name: str, value: object) -> None:
        check = self._CHECKS.get(name)
        if check is None:
            raise AttributeError(f"{type(self).__name__} has no attribute {name!r} to set")
        object.__setattr__(self, name, check(value, name))

    def _member(self) -> bytes:
        """The grant's member of the ``grants`` claim (``"key":value``):
        kept while a snapshot of its attributes equals the one it was
        written from.  Only for a class in ``_KEEPING``."""
        values = self._SNAPSHOT(self)
        kept = getattr(self, "_written", None)
        if kept is not None and kept[0] == values:
            return kept[1]  # type: ignore[no-any-return]
        # Written one level down, where it sits in the payload: the
        # writer's depth limit counts as it does for the whole payload.
        member = _core.json_value(({self.KEY: self._payload_from(values)},), "grants")[2:-2]
        _store_written(self, (values, member))
        return member

    @property
    def key(self) -> str:
        """The grant's name in the ``grants`` claim."""
        return self.KEY

    def to_payload(self) -> Any:
        """The grant's claims (a new dict): each attribute that is not
        ``None``, in the constructor's order (a grant that writes more
        says how in ``_payload_from``)."""
        return self._payload_from(self._SNAPSHOT(self))

    def _payload_from(self, values: tuple[Any, ...]) -> Any:
        """The payload of a snapshot of the attributes: each that is not
        ``None``, in the constructor's order."""
        # A plain loop: a generator and a comprehension cost three times
        # as much, on every mint.
        present = {}
        for name, value in zip(self._CHECKS, values):
            if value is not None:
                present[name] = value
        return present

    def __eq__(self, other: object) -> bool:
        if type(other) is type(self):
            return bool(self.to_payload() == other.to_payload())
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]  # settable, as twilio's

    def __repr__(self) -> str:
        arguments = ", ".join(f"{name}={getattr(self, name)!r}" for name in self._CHECKS)
        return f"{type(self).__name__}({arguments})"


#: Sets a grant's written member (the ``_written`` slot's setter).
_store_written: Final = _Grant._written.__set__  # type: ignore[attr-defined]


class ChatGrant(_Grant):
    """Programmable Chat (``grants.chat``).

    :param service_sid: the Chat Service, or ``None``.
    :param endpoint_id: the endpoint, or ``None``.
    :param deployment_role_sid: the role, or ``None``.
    :param push_credential_sid: the push credential, or ``None``.
    :raises TypeError: an argument is neither a str nor None.
    :raises ValueError: an argument is empty.
    """

    __slots__ = ("service_sid", "endpoint_id", "deployment_role_sid", "push_credential_sid")
    KEY: ClassVar[str] = "chat"
    _CHECKS: ClassVar[dict[str, _Check]] = dict.fromkeys(__slots__, check_optional_text)

    service_sid: str | None
    endpoint_id: str | None
    deployment_role_sid: str | None
    push_credential_sid: str | None

    def __init__(
        self,
        service_sid: str | None = None,
        endpoint_id: str | None = None,
        deployment_role_sid: str | None = None,
        push_credential_sid: str | None = None,
    ) -> None:
        self._assign(ChatGrant, service_sid, endpoint_id, deployment_role_sid, push_credential_sid)


class SyncGrant(_Grant):
    """Sync (``grants.data_sync``).

    :param service_sid: the Sync Service, or ``None``.
    :param endpoint_id: the endpoint, or ``None``.
    :raises TypeError: an argument is neither a str nor None.
    :raises ValueError: an argument is empty.
    """

    __slots__ = ("service_sid", "endpoint_id")
    KEY: ClassVar[str] = "data_sync"
    _CHECKS: ClassVar[dict[str, _Check]] = dict.fromkeys(__slots__, check_optional_text)

    service_sid: str | None
    endpoint_id: str | None

    def __init__(self, service_sid: str | None = None, endpoint_id: str | None = None) -> None:
        self._assign(SyncGrant, service_sid, endpoint_id)


class VoiceGrant(_Grant):
    """Programmable Voice (``grants.voice``).

    :param incoming_allow: ``True`` to let the client receive calls
        (``incoming.allow``); ``False`` or ``None`` leaves it out.
    :param outgoing_application_sid: the TwiML application of outgoing
        calls (``outgoing.application_sid``), or ``None``.
    :param outgoing_application_params: parameters for it
        (``outgoing.params``; only with an application), or ``None``.
    :param push_credential_sid: the push credential, or ``None``.
    :param endpoint_id: the endpoint, or ``None``.
    :raises TypeError: `incoming_allow` is not a bool or None, the params
        not a mapping or None, another argument not a str or None.
    :raises ValueError: a str argument is empty.
    """

    __slots__ = (
        "incoming_allow", "outgoing_application_sid", "outgoing_application_params",
        "push_credential_sid", "endpoint_id",
    )  # fmt: skip
    KEY: ClassVar[str] = "voice"
    _KEEPABLE: ClassVar[bool] = False  # outgoing_application_params: a mapping
    _CHECKS: ClassVar[dict[str, _Check]] = {
        "incoming_allow": _optional_flag,
        "outgoing_application_sid": check_optional_text,
        "outgoing_application_params": _optional_mapping,
        "push_credential_sid": check_optional_text,
        "endpoint_id": check_optional_text,
    }

    incoming_allow: bool | None
    outgoing_application_sid: str | None
    outgoing_application_params: Mapping[str, Any] | None
    push_credential_sid: str | None
    endpoint_id: str | None

    def __init__(
        self,
        incoming_allow: bool | None = None,
        outgoing_application_sid: str | None = None,
        outgoing_application_params: Mapping[str, Any] | None = None,
        push_credential_sid: str | None = None,
        endpoint_id: str | None = None,
    ) -> None:
        self._assign(
            VoiceGrant, incoming_allow, outgoing_application_sid, outgoing_application_params,
            push_credential_sid, endpoint_id,
        )  # fmt: skip

    def to_payload(self) -> dict[str, Any]:
        """The grant's claims (a new dict), in twilio's order."""
        # Read where used: a Voice grant keeps no member (_KEEPABLE), so no
        # snapshot is needed.
        incoming, application = self.incoming_allow, self.outgoing_application_sid
        params = self.outgoing_application_params
        push_credential, endpoint = self.push_credential_sid, self.endpoint_id
        grant: dict[str, Any] = {}
        if incoming:
            grant["incoming"] = {"allow": True}
        if application is not None:
            outgoing: dict[str, Any] = {"application_sid": application}
            # twilio leaves empty params out too (it tests their truth).
            if params:
                outgoing["params"] = dict(params)
            grant["outgoing"] = outgoing
        if push_credential is not None:
            grant["push_credential_sid"] = push_credential
        if endpoint is not None:
            grant["endpoint_id"] = endpoint
        return grant


class VideoGrant(_Grant):
    """Programmable Video (``grants.video``).

    :param room: the room, or ``None`` for any.
    :raises TypeError: `room` is neither a str nor None.
    :raises ValueError: `room` is empty.
    """

    __slots__ = ("room",)
    KEY: ClassVar[str] = "video"
    _CHECKS: ClassVar[dict[str, _Check]] = {"room": check_optional_text}

    room: str | None

    def __init__(self, room: str | None = None) -> None:
        self._assign(VideoGrant, room)


class TaskRouterGrant(_Grant):
    """The TaskRouter grant (``grants.task_router``) of an Access Token,
    what twilio-taskrouter.js v2 and later read.

    :param workspace_sid: the Workspace (``WS...``), or ``None``.
    :param worker_sid: the Worker (``WK...``), or ``None``.
    :param role: the role, or ``None``.
    :raises TypeError: an argument is neither a str nor None.
    :raises ValueError: an argument is empty, or a sid has the wrong prefix
        or holds anything but ASCII letters and digits (docs/security.md:
        the message never shows the value).

    The grant carries the arguments that are not ``None``, in this order:
    ``workspace_sid``, ``worker_sid``, ``role``.
    """

    __slots__ = ("workspace_sid", "worker_sid", "role")
    KEY: ClassVar[str] = "task_router"
    _CHECKS: ClassVar[dict[str, _Check]] = {
        "workspace_sid": _sid(WORKSPACE_PREFIX),
        "worker_sid": _sid(WORKER_PREFIX),
        "role": check_optional_text,
    }

    workspace_sid: str | None
    worker_sid: str | None
    role: str | None

    def __init__(
        self,
        workspace_sid: str | None = None,
        worker_sid: str | None = None,
        role: str | None = None,
    ) -> None:
        self._assign(TaskRouterGrant, workspace_sid, worker_sid, role)


class PlaybackGrant(_Grant):
    """Twilio Live playback (``grants.player``).

    :param grant: the grant the Twilio API returned for a PlayerStreamer
        (a dict), carried as it is; ``None`` gives ``"player": null``, as
        in twilio.
    """

    __slots__ = ("grant",)
    KEY: ClassVar[str] = "player"
    _KEEPABLE: ClassVar[bool] = False  # grant: any JSON value
    _CHECKS: ClassVar[dict[str, _Check]] = {"grant": _any_json}

    grant: Any

    def __init__(self, grant: Any = None) -> None:
        self._assign(PlaybackGrant, grant)

    def to_payload(self) -> Any:
        """The grant as given (JSON is checked when the token is written)."""
        return self.grant


class _DecodedGrant(AccessTokenGrant):
    """A grant read by ``from_jwt`` that no class here writes: kept as is."""

    __slots__ = ("_key", "_payload")

    def __init__(self, key: str, payload: Any) -> None:
        self._key = key
        self._payload = payload

    @property
    def key(self) -> str:
        return self._key

    def to_payload(self) -> Any:
        return self._payload

    def __repr__(self) -> str:
        return f"<grant {self._key!r}: {self._payload!r}>"


def grant_from_payload(key: str, payload: Any) -> AccessTokenGrant:
    """The grant a decoded ``grants`` claim holds under `key`: a
    :class:`TaskRouterGrant` for ``task_router`` (whose sids are checked),
    any other kept as it is.

    :raises TypeError: the TaskRouter grant has a field of the wrong type
        or one it does not know.
    :raises ValueError: the TaskRouter grant has a wrong sid.
    """
    if key == TaskRouterGrant.KEY and isinstance(payload, dict):
        return TaskRouterGrant(**payload)
    return _DecodedGrant(key, payload)
