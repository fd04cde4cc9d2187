"""Does a token allow a request?  A local model of TaskRouter's policy check.

Twilio does not document how TaskRouter evaluates a capability token's
policies.  This module implements the model the Twilio SDKs are written
against, specified in ``docs/policies.md``; it is a tool for testing
permissions before a Worker.js page meets a 403, **not** Twilio's server,
whose answer is the one that counts.

The model, in short:

* a policy's ``url`` matches the request URL exactly (character for
  character, no normalisation); a policy URL ending in ``/**`` matches
  every URL below it, at any depth, but not the URL without the ``/**``;
* methods compare case-insensitively;
* a filter entry ``{"Name": {"required": true}}`` requires the parameter
  ``Name`` in the query string (``query_filter``) or the form body
  (``post_filter``); other filter entries require nothing;
* among the policies that match, a deny wins over any allow; with no
  matching policy the request is denied.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Union
from urllib.parse import parse_qsl

from ._html import HtmlRepr
from .policy import Policy

if TYPE_CHECKING:
    from collections.abc import Sequence

__all__ = ["Checkable", "Decision", "Params", "Request", "allows", "explain"]

#: Request parameters: a mapping of names to values, or (name, value) pairs.
Params = Union[Mapping[str, Any], Iterable[tuple[str, Any]], None]

_SUBTREE = "/**"


@dataclass(frozen=True)
class Decision(HtmlRepr):
    """The answer of :func:`explain`: allowed or not, the policy that
    decided, and why in words.

    ``policy`` (and its position ``index`` in the token) is the matching
    deny that refused the request, or the first matching allow that
    granted it; ``None`` when no policy matched.  A Decision is true when
    the request is allowed.
    """

    allowed: bool
    policy: Policy | None
    index: int | None
    reason: str

    def __bool__(self) -> bool:
        return self.allowed


def _names(params: Params, name: str) -> set[str]:
    if params is None:
        return set()
    if isinstance(params, (str, bytes)):
        raise TypeError(f"{name} must be a mapping or (name, value) pairs, not {type(params).__name__}")
    items = params.keys() if isinstance(params, Mapping) else (pair[0] for pair in params)
    names = set()
    for key in items:
        if not isinstance(key, str):
            raise TypeError(f"{name} names must be str, not {type(key).__name__}")
        names.add(key)
    return names


def _required(filter_: Mapping[str, Any]) -> list[str]:
    """The parameter names a filter requires, in its order."""
    return [
        name
        for name, rule in filter_.items()
        if isinstance(rule, Mapping) and rule.get("required") is True
    ]


def _url_matches(pattern: str, url: str) -> bool:
    if pattern.endswith(_SUBTREE):
        base = pattern[: -len(_SUBTREE)]
        # A subresource: the base, a slash, and at least one more character.
        return len(url) > len(base) + 1 and url.startswith(base + "/")
    return pattern == url


def _split_query(url: str) -> tuple[str, list[str]]:
    """The URL without its query string, and the names in that query."""
    base, sep, query = url.partition("?")
    if not sep:
        return url, []
    return base, [name for name, _ in parse_qsl(query, keep_blank_values=True)]


@dataclass(frozen=True)
class Request:
    """A request as the model sees it: the method in upper case, the URL
    without its query string, and the names of its query and form
    parameters (values do not matter to a filter)."""

    method: str
    url: str
    query: frozenset[str]
    post: frozenset[str]

    @classmethod
    def parse(cls, method: str, url: str, query: Params = None, post: Params = None) -> Request:
        """The request, checked.

        :param method: the HTTP method (any case).
        :param url: the full request URL; a query string in it counts as
            query parameters (a ``#fragment`` is not allowed).
        :param query: query parameters: a mapping or (name, value) pairs.
        :param post: form-body parameters, likewise.
        :raises TypeError: an argument has the wrong type.
        :raises ValueError: an empty method or URL, or a URL with a fragment.
        """
        if not isinstance(method, str) or not isinstance(url, str):
            bad = "method" if not isinstance(method, str) else "url"
            raise TypeError(f"{bad} must be str")
        if not method or not url:
            raise ValueError(f"{'method' if not method else 'url'} must not be empty")
        if "#" in url:
            raise ValueError("url must not have a #fragment: it is never sent to the server")
        path, in_url = _split_query(url)
        return cls(
            method.upper(),
            path,
            frozenset(_names(query, "query") | set(in_url)),
            frozenset(_names(post, "post")),
        )


def explain(
    policies: Iterable[Policy | Mapping[str, Any]],
    method: str,
    url: str,
    query: Params = None,
    post: Params = None,
) -> Decision:
    """Whether `policies` allow `method` on `url`, with the deciding policy.

    :param policies: the token's policies, in token order (Policy values
        or policy mappings as twilio builds them).
    :param method: the HTTP method (any case).
    :param url: the full request URL; a query string in it counts as query
        parameters (a ``#fragment`` is not allowed).
    :param query: query parameters: a mapping or (name, value) pairs; only
        the names matter.
    :param post: form-body parameters, likewise.
    :raises TypeError: an argument has the wrong type.
    :raises ValueError: an empty method or URL, or a URL with a fragment.
    """
    request = Request.parse(method, url, query, post)
    allow: tuple[int, Policy] | None = None
    near: list[str] = []
    for index, item in enumerate(policies):
        policy = Policy.coerce(item)
        if policy.method != request.method or not _url_matches(policy.url, request.url):
            continue
        missing = [f"query parameter {n!r}" for n in _required(policy.query_filter)
                   if n not in request.query]
        missing += [f"form parameter {n!r}" for n in _required(policy.post_filter)
                    if n not in request.post]
        if missing:
            near.append(
                f"policy {index} ({'allow' if policy.allow else 'deny'} {policy.method} "
                f"{policy.url}) requires {', '.join(missing)}"
            )
            continue
        if not policy.allow:
            return Decision(
                False, policy, index,
                f"denied by policy {index} (deny {policy.method} {policy.url}); "
                "a matching deny overrides every allow",
            )
        if allow is None:
            allow = (index, policy)
    if allow is not None:
        index, policy = allow
        return Decision(True, policy, index,
                        f"allowed by policy {index} (allow {policy.method} {policy.url})")
    reason = f"denied: no policy matches {request.method} {request.url}"
    if near:
        reason += "; " + "; ".join(near)
    return Decision(False, None, None, reason)


def allows(
    policies: Iterable[Policy | Mapping[str, Any]],
    method: str,
    url: str,
    query: Params = None,
    post: Params = None,
) -> bool:
    """``True`` if `policies` allow the request (see :func:`explain`)."""
    return explain(policies, method, url, query, post).allowed


class Checkable(HtmlRepr):
    """Adds :meth:`allows` and :meth:`explain` to a class with a
    ``policies`` attribute (a sequence of :class:`Policy`)."""

    __slots__ = ()

    if TYPE_CHECKING:
        @property
        def policies(self) -> Sequence[Policy]: ...

    def allows(self, method: str, url: str, query: Params = None, post: Params = None) -> bool:
        """``True`` if this token's policies allow the request, in the
        local model of ``docs/policies.md`` (not Twilio's server).

        :raises TypeError: an argument has the wrong type.
        :raises ValueError: an empty method or URL, or a URL with a fragment.
        """
        return explain(self.policies, method, url, query, post).allowed

    def explain(self, method: str, url: str, query: Params = None, post: Params = None) -> Decision:
        """The :class:`Decision` for the request: allowed or not, the
        deciding policy and why (local model, ``docs/policies.md``).

        :raises TypeError: an argument has the wrong type.
        :raises ValueError: an empty method or URL, or a URL with a fragment.
        """
        return explain(self.policies, method, url, query, post)
