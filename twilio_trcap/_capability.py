"""What every capability class shares: its policies, and its key kept out
of reach.

A capability keeps its policies inside the C core's ``Minter``, as the JSON
each one adds to the token.  ``allow``, ``deny`` and ``add_policy`` are the
public way to add one of one's own (twilio 4.5 to 5.7 had them; twilio 6 and
later have none); ``policies`` is the live list.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar, NoReturn

from . import _core
from .policy import Policy, PolicyList

__all__ = ["KeyHolder", "PolicyMethods"]

_policy_json = _core.policy_json


class KeyHolder:
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


class PolicyMethods(KeyHolder):
    """The policy methods of every capability class (a mixin)."""

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

    def _grant(self, url: str, method: str, post_filter: dict[str, Any] | None = None) -> None:
        """Appends a default policy: its url is built from checked sids and
        its method is a constant, so it goes to the C core unchecked."""
        self._minter.add_policy(_policy_json(url, method, True, None, post_filter))

    @property
    def auth_token(self) -> NoReturn:
        """Not readable: the auth token stays inside the C core."""
        self._unreadable("auth_token")
