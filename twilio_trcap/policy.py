"""Policies: what a capability token allows or denies.

A policy says whether `method` may be used on `url`; `query_filter` and
`post_filter` name request parameters it constrains, for example
``{"ActivitySid": REQUIRED}``.  Every twilio generation writes a policy as
the JSON object ``{"url", "method", "allow", "query_filter",
"post_filter"}`` in that order, with an absent filter as ``{}``.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable, Iterator, Mapping, MutableSequence
from types import MappingProxyType
from typing import Any, Final, Protocol, overload

from . import _core
from ._checks import check_method, check_text

__all__ = ["OPTIONAL", "REQUIRED", "Policy", "PolicyList"]

#: Filter value: the parameter must be present.
REQUIRED: Final[Mapping[str, bool]] = MappingProxyType({"required": True})
#: Filter value: the parameter may be present.
OPTIONAL: Final[Mapping[str, bool]] = MappingProxyType({"required": False})

_FIELDS: Final = ("url", "method", "allow", "query_filter", "post_filter")

def _plain(value: Any) -> Any:
    """A filter with every Mapping turned into a dict (REQUIRED is a
    read-only mapping); everything else is left for the C encoder to check."""
    if isinstance(value, Mapping):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


def _check_filter(value: object, name: str) -> dict[str, Any] | None:
    if value is None:
        return None
    if not isinstance(value, Mapping):
        raise TypeError(f"{name} must be a mapping or None, not {type(value).__name__}")
    return _plain(value)  # type: ignore[no-any-return]


class Policy(Mapping[str, Any]):
    """One policy of a capability token; an immutable value.

    :param url: the resource URL; a trailing ``/**`` covers its subresources.
    :param method: the HTTP method, normalised to upper case.
    :param allow: ``True`` to allow the request, ``False`` to deny it.
    :param query_filter: query parameters the policy constrains, or ``None``.
    :param post_filter: form parameters the policy constrains, or ``None``.
    :raises TypeError: an argument has the wrong type (the message names it).
    :raises ValueError: an empty url or method, or a method that is not an
        HTTP token.

    A Policy reads like the dict twilio builds (``policy["url"]``,
    ``dict(policy)``, ``policy == {...}``); :meth:`to_dict` gives a plain
    dict for JSON.  Filters are returned as fresh copies.

    The URL is taken as twilio takes it, any text: tokens stay
    byte-identical to twilio's.  The local policy model
    (:func:`twilio_trcap.check.explain`, docs/policies.md) reads a URL that
    a server could read in more than one way (a fragment, user
    information, whitespace, percent-encoding, a trailing-dot host, a
    query, a ``*`` but in a final ``/**`` ...) as naming no request in an
    allow and every URL in a deny;
    :func:`twilio_trcap.check.check_policy_url` refuses such a URL with a
    ValueError, for code that wants to refuse it before minting.
    """

    __slots__ = ("_json", "_url", "_method", "_allow")

    _json: bytes
    _url: str
    _method: str
    _allow: bool

    def __init__(
        self,
        url: str,
        method: str,
        allow: bool = True,
        query_filter: Mapping[str, Any] | None = None,
        post_filter: Mapping[str, Any] | None = None,
    ) -> None:
        # By value (exact str): a subclass's upper() or __eq__ never runs.
        url = check_text(url, "url")
        method = check_method(check_text(method, "method"))
        if not isinstance(allow, bool):
            raise TypeError(f"allow must be bool, not {type(allow).__name__}")
        encoded = _core.policy_json(
            url,
            method,
            allow,
            _check_filter(query_filter, "query_filter"),
            _check_filter(post_filter, "post_filter"),
        )
        self._set(encoded, url, method, allow)

    def _set(self, encoded: bytes, url: str, method: str, allow: bool) -> None:
        object.__setattr__(self, "_json", encoded)
        object.__setattr__(self, "_url", url)
        object.__setattr__(self, "_method", method)
        object.__setattr__(self, "_allow", allow)

    @classmethod
    def _from_json(cls, encoded: bytes) -> Policy:
        """The policy whose JSON the C core wrote (no re-validation)."""
        fields = json.loads(encoded)
        self = cls.__new__(cls)
        self._set(encoded, fields["url"], fields["method"], fields["allow"])
        return self

    @classmethod
    def coerce(cls, value: object) -> Policy:
        """`value` as a Policy: a Policy as is, or a mapping with the keys
        of :meth:`to_dict` (``url`` and ``method`` required).

        :raises TypeError: `value` is neither.
        :raises ValueError: the mapping lacks a key or has an unknown one.
        """
        if isinstance(value, Policy):
            return value
        if not isinstance(value, Mapping):
            raise TypeError(
                "a policy must be a Policy or a mapping with url, method, allow, "
                f"query_filter and post_filter, not {type(value).__name__}"
            )
        unknown = set(value) - set(_FIELDS)
        if unknown:
            raise ValueError(f"a policy has no field {sorted(map(str, unknown))[0]!r}")
        missing = [k for k in ("url", "method") if k not in value]
        if missing:
            raise ValueError(f"a policy needs {missing[0]!r}")
        return cls(
            value["url"],
            value["method"],
            value.get("allow", True),
            value.get("query_filter"),
            value.get("post_filter"),
        )

    def __setattr__(self, name: str, value: object) -> None:
        """Refused: a Policy is immutable (it is hashable).

        :raises AttributeError: always.
        """
        raise AttributeError("Policy is immutable")

    def __delattr__(self, name: str) -> None:
        """Refused: a Policy is immutable.

        :raises AttributeError: always.
        """
        raise AttributeError("Policy is immutable")

    @property
    def url(self) -> str:
        """The resource URL."""
        return self._url

    @property
    def method(self) -> str:
        """The HTTP method, upper case."""
        return self._method

    @property
    def allow(self) -> bool:
        """``True`` if the policy allows, ``False`` if it denies."""
        return self._allow

    @property
    def query_filter(self) -> dict[str, Any]:
        """A copy of the query filter (``{}`` when there is none)."""
        return self.to_dict()["query_filter"]  # type: ignore[no-any-return]

    @property
    def post_filter(self) -> dict[str, Any]:
        """A copy of the post filter (``{}`` when there is none)."""
        return self.to_dict()["post_filter"]  # type: ignore[no-any-return]

    def to_dict(self) -> dict[str, Any]:
        """A new plain dict, in the order the token carries the fields."""
        return json.loads(self._json)  # type: ignore[no-any-return]

    def to_json(self) -> bytes:
        """The exact JSON this policy adds to a token."""
        return self._json

    # Mapping protocol: reads like twilio's policy dicts.
    def __getitem__(self, key: str) -> Any:
        """The field `key` (``url``, ``method``, ``allow``, ``query_filter``
        or ``post_filter``), as in twilio's policy dicts.

        :raises KeyError: `key` is not one of them.
        """
        if key == "url":
            return self._url
        if key == "method":
            return self._method
        if key == "allow":
            return self._allow
        if key in _FIELDS:
            return self.to_dict()[key]
        raise KeyError(key)

    def __iter__(self) -> Iterator[str]:
        """The field names, in the order the token carries them."""
        return iter(_FIELDS)

    def __len__(self) -> int:
        """The number of fields (five)."""
        return len(_FIELDS)

    def __eq__(self, other: object) -> bool:
        """Equal to a Policy with the same JSON, or to a mapping with the
        same fields (twilio's policy dicts)."""
        if isinstance(other, Policy):
            return self._json == other._json
        if isinstance(other, Mapping):
            return self.to_dict() == dict(other)
        return NotImplemented

    def __hash__(self) -> int:
        """The hash of the policy's JSON."""
        return hash(self._json)

    def __repr__(self) -> str:
        """Every field, as the constructor takes them."""
        d = self.to_dict()
        return (
            f"Policy(url={d['url']!r}, method={d['method']!r}, allow={d['allow']!r}, "
            f"query_filter={d['query_filter']!r}, post_filter={d['post_filter']!r})"
        )

    def __reduce__(self) -> tuple[Any, ...]:
        """Pickles as the constructor's arguments."""
        d = self.to_dict()
        return (type(self), tuple(d[k] for k in _FIELDS))


class _PolicyStore(Protocol):
    """Where a capability keeps its policies: the compiled core's Minter,
    which holds each policy's JSON in token order."""

    def policies(self) -> list[bytes]: ...
    def set_policies(self, policies: Iterable[bytes], /) -> None: ...
    def add_policy(self, policy: bytes, /) -> None: ...


class PolicyList(MutableSequence[Policy]):
    """The live list of a capability's policies, in the order the token
    carries them.

    It reads like the ``policies`` list of twilio's classes; appending,
    inserting, replacing or deleting changes the next token.  Items are
    :class:`Policy` values: a dict appended is checked and converted (its
    keys as in :meth:`Policy.to_dict`).  Each ``append`` is atomic; other
    edits read, change and write back the list, so threads that edit one
    capability's list at once need a lock of their own.
    """

    __slots__ = ("_store",)

    def __init__(self, store: _PolicyStore) -> None:
        self._store = store

    def __len__(self) -> int:
        """The number of policies."""
        return len(self._store.policies())

    # Sequence's own __iter__, __reversed__ and index read one item at a
    # time through __getitem__, and every read renders the whole list: a
    # loop over n policies would render n * n.  These render it once.
    def __iter__(self) -> Iterator[Policy]:
        """The policies as they are when iteration starts (a snapshot)."""
        return map(Policy._from_json, self._store.policies())

    def __reversed__(self) -> Iterator[Policy]:
        """The policies last first, as they are when iteration starts."""
        return map(Policy._from_json, reversed(self._store.policies()))

    def index(self, value: Any, start: int = 0, stop: int = sys.maxsize) -> int:
        """The index of the first policy equal to `value` in ``[start:stop]``.

        :raises ValueError: no policy there is equal to `value`.
        """
        return list(self).index(value, start, stop)

    def clear(self) -> None:
        """Removes every policy."""
        self._store.set_policies(())

    def reverse(self) -> None:
        """Reverses the policies in place."""
        policies = self._store.policies()
        policies.reverse()
        self._store.set_policies(policies)

    @overload
    def __getitem__(self, index: int) -> Policy: ...
    @overload
    def __getitem__(self, index: slice) -> list[Policy]: ...
    def __getitem__(self, index: int | slice) -> Policy | list[Policy]:
        """The policy at `index`, or a list of those in a slice."""
        policies = self._store.policies()
        if isinstance(index, slice):
            return [Policy._from_json(p) for p in policies[index]]
        return Policy._from_json(policies[index])

    @overload
    def __setitem__(self, index: int, value: Policy | Mapping[str, Any]) -> None: ...
    @overload
    def __setitem__(self, index: slice, value: Iterable[Policy | Mapping[str, Any]]) -> None: ...
    def __setitem__(self, index: Any, value: Any) -> None:
        """Replaces the policy at `index` (or a slice of them) with `value`
        (Policies or policy mappings, each checked)."""
        policies = self._store.policies()
        if isinstance(index, slice):
            policies[index] = [Policy.coerce(v)._json for v in value]
        else:
            policies[index] = Policy.coerce(value)._json
        self._store.set_policies(policies)

    def __delitem__(self, index: int | slice) -> None:
        """Removes the policy at `index` (or a slice of them)."""
        policies = self._store.policies()
        del policies[index]
        self._store.set_policies(policies)

    def insert(self, index: int, value: Policy | Mapping[str, Any]) -> None:
        """Inserts `value` (a Policy or a policy mapping) before `index`."""
        policies = self._store.policies()
        policies.insert(index, Policy.coerce(value)._json)
        self._store.set_policies(policies)

    def append(self, value: Policy | Mapping[str, Any]) -> None:
        """Appends `value` (a Policy or a policy mapping)."""
        self._store.add_policy(Policy.coerce(value)._json)

    def __eq__(self, other: object) -> bool:
        """Equal to a PolicyList with the same policies, or to a list or
        tuple of equal policies or policy mappings."""
        if isinstance(other, PolicyList):
            return self._store.policies() == other._store.policies()
        if isinstance(other, (list, tuple)):
            return list(self) == list(other)
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        """The repr of the list of policies."""
        return repr(list(self))
