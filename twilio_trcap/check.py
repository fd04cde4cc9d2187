"""Does a token allow a request?  A local model of TaskRouter's policy check.

Twilio does not document how TaskRouter evaluates a capability token's
policies.  This module implements the model the Twilio SDKs are written
against, specified in ``docs/policies.md``; it is a tool for testing
permissions before a Worker.js page meets a 403, **not** Twilio's server,
whose answer is the one that counts.

The model, in short (every rule is in ``docs/policies.md``):

* a request URL is an absolute http(s) URL in canonical form: printable
  ASCII only, no user info, no fragment, and a path without empty
  segments, dot-segments, percent-encoding or backslashes; anything else
  is a ValueError, never a quiet "denied", because a server may see such
  a URL as another resource;
* a method is an RFC 9110 token (ASCII), compared in ASCII upper case;
* a policy's ``url`` matches a request URL exactly, but for the scheme and
  host (case-insensitive, RFC 3986 section 6.2.2.1) and a default port;
  a policy URL ending in ``/**`` matches every URL below it, at any depth,
  but not the URL without the ``/**``; a policy URL that is not canonical
  names no request;
* a filter entry ``{"Name": {"required": true}}`` requires the parameter
  ``Name`` in the query string (``query_filter``) or the form body
  (``post_filter``); other filter entries require nothing;
* among the policies that match, a deny wins over any allow; with no
  matching policy the request is denied.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
import functools
import re
from typing import TYPE_CHECKING, Any, Union
from urllib.parse import parse_qsl

from ._checks import exact_str
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
        """True if the request is allowed, so that ``if decision:`` reads as a yes."""
        return self.allowed


def _names(params: Params, name: str) -> set[str]:
    """The parameter names in `params`: a mapping, or an iterable of
    (name, value) pairs, each a 2-tuple or 2-list (anything else is a
    TypeError: a bare ``['Apple']`` must not read as the name ``'A'``)."""
    if params is None:
        return set()
    if isinstance(params, (str, bytes, bytearray)):
        raise TypeError(f"{name} must be a mapping or (name, value) pairs, not {type(params).__name__}")
    if isinstance(params, Mapping):
        keys: Iterable[object] = list(params.keys())
    else:
        try:
            items = list(params)
        except TypeError:
            raise TypeError(
                f"{name} must be a mapping or (name, value) pairs, not {type(params).__name__}"
            ) from None
        keys = []
        for i, pair in enumerate(items):
            if not isinstance(pair, (tuple, list)) or len(pair) != 2:
                raise TypeError(
                    f"{name} must be a mapping or (name, value) pairs; {name}[{i}] is "
                    f"{type(pair).__name__}, not a pair"
                )
            keys.append(pair[0])
    names = set()
    for key in keys:
        if not isinstance(key, str):
            raise TypeError(f"{name} names must be str, not {type(key).__name__}")
        # By value: a subclass's __eq__ and __hash__ must not fake a name.
        names.add(exact_str(key, f"{name} names"))
    return names


def _required(filter_: Mapping[str, Any]) -> list[str]:
    """The parameter names a filter requires, in its order."""
    return [
        name
        for name, rule in filter_.items()
        if isinstance(rule, Mapping) and rule.get("required") is True
    ]


# An HTTP method is an RFC 9110 section 5.6.2 token (ASCII only).
_TOKEN = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+")
# scheme://authority path [?query], printable ASCII without space (RFC 3986
# section 3; the characters are checked before this is applied).
_URL = re.compile(r"(?P<scheme>[A-Za-z][A-Za-z0-9+.-]*)://(?P<authority>[^/?#]*)(?P<path>[^?#]*)(?:\?(?P<query>[^#]*))?")
_DEFAULT_PORT = {"http": ":80", "https": ":443"}


def _canonical(url: str) -> tuple[str, str]:
    """`url` as the model compares it, and its query string.

    The scheme and host are lower-cased and a default port dropped (RFC
    3986 section 6.2.3: the same resource by definition); the path is kept
    as written, and must already be canonical, because what a server makes
    of ``//``, ``.``, ``..``, ``%2e``, ``%2f`` or ``\\`` is not something a
    local model can know.

    :raises ValueError: the URL breaks one of the rules of
        docs/policies.md.
    """
    if not (url.isascii() and url.isprintable()) or " " in url:
        raise ValueError(
            "url must be printable ASCII without spaces (no control characters, no "
            "whitespace, no non-ASCII: percent-encode or leave them out)"
        )
    if "#" in url:
        raise ValueError("url must not have a #fragment: it is never sent to the server")
    match = _URL.fullmatch(url)
    if match is None or match["scheme"].lower() not in _DEFAULT_PORT or not match["authority"]:
        raise ValueError("url must be an absolute http:// or https:// URL with a host")
    scheme = match["scheme"].lower()
    authority = match["authority"].lower()
    if "@" in authority:
        raise ValueError("url must not carry user information (user@host)")
    if authority.endswith(_DEFAULT_PORT[scheme]):
        authority = authority[: -len(_DEFAULT_PORT[scheme])]
    path = match["path"]
    if "%" in path:
        # %2e, %2f and %5c may become ".", "/" and "\\" on the server (the
        # path would name another resource); no TaskRouter path needs one.
        raise ValueError("url path must not be percent-encoded")
    if "\\" in path:
        raise ValueError("url path must not hold a backslash")
    if path not in ("", "/"):
        for segment in path.split("/")[1:]:
            if segment in ("", ".", ".."):
                raise ValueError(
                    "url path must not have empty segments ('//' or a trailing '/') or "
                    "dot-segments ('.', '..')"
                )
    else:
        path = "/"
    return f"{scheme}://{authority}{path}", match["query"] or ""


_PERCENT = re.compile(r"%([0-9A-Fa-f]{2})")
_UNRESERVED = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")


def _loose(url: str) -> str | None:
    """What a deny policy's non-canonical URL could name: RFC 3986 section
    6.2.2 normalisation (scheme and host case, percent-encoded unreserved
    characters decoded, dot-segments removed, section 5.2.4), and more
    (backslashes read as slashes, empty segments dropped), because a server
    may do any of these.  None when no request the model takes could match."""
    match = _URL.fullmatch(url)
    if match is None or match["query"] is not None:
        return None
    scheme = match["scheme"].lower()
    authority = match["authority"].lower()
    if scheme not in _DEFAULT_PORT or not authority or "@" in authority:
        return None
    if authority.endswith(_DEFAULT_PORT[scheme]):
        authority = authority[: -len(_DEFAULT_PORT[scheme])]

    def decode(found: re.Match[str]) -> str:
        char = chr(int(found[1], 16))
        return char if char in _UNRESERVED else "%" + found[1].upper()

    out: list[str] = []
    for segment in _PERCENT.sub(decode, match["path"]).replace("\\", "/").split("/"):
        if segment == "..":
            if out:
                out.pop()
        elif segment not in ("", "."):
            out.append(segment)
    return f"{scheme}://{authority}/" + "/".join(out)


@functools.lru_cache(maxsize=4096)
def _pattern(url: str, allow: bool) -> tuple[str, bool] | None:
    """A policy URL as the model compares it (see :func:`_canonical`) and
    whether it covers a subtree (``/**``); None when it names no request.

    An allow policy whose URL is not canonical names no request (whatever
    it meant, the model will not answer "allowed" on a guess); a deny
    policy's URL is normalised every way a server might (:func:`_loose`),
    so that a deny covers at least what it could cover on the server."""
    if "?" in url:
        # A request's query string is never part of its URL here.
        return None
    subtree = url.endswith(_SUBTREE)
    base = url[: -len(_SUBTREE)] if subtree else url
    try:
        canonical, _ = _canonical(base)
    except ValueError:
        if allow:
            return None
        loose = _loose(base)
        return None if loose is None else (loose, subtree)
    return canonical, subtree


def _url_matches(pattern: tuple[str, bool] | None, url: str) -> bool:
    if pattern is None:
        return False
    base, subtree = pattern
    if subtree:
        # A subresource: the base, a slash, and at least one more segment
        # (the request has no empty segment, so one more character is one).
        return url.startswith(base.rstrip("/") + "/") and len(url) > len(base.rstrip("/")) + 1
    return base == url


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
        :raises ValueError: an empty method or URL, a method that is not an
            RFC 9110 token, or a URL the model refuses (docs/policies.md).
        """
        method = exact_str(method, "method")
        url = exact_str(url, "url")
        if not method or not url:
            raise ValueError(f"{'method' if not method else 'url'} must not be empty")
        if not _TOKEN.fullmatch(method):
            # Also what explain(url, "GET") (arguments swapped) ends in.
            raise ValueError(
                "method must be an HTTP method (an RFC 9110 token of ASCII letters, digits "
                "and !#$%&'*+.^_`|~-), such as 'GET'"
            )
        path, query_string = _canonical(url)
        in_url = [name for name, _ in parse_qsl(query_string, keep_blank_values=True)]
        return cls(
            # ASCII only (the token is ASCII), so "POſT" never becomes POST.
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
    :raises ValueError: an empty method or URL, a method that is not an
        RFC 9110 token, or a URL the model refuses (docs/policies.md: not
        absolute http(s), a fragment, empty or dot-segments, percent-encoding
        in the path, control characters, whitespace or non-ASCII).
    """
    request = Request.parse(method, url, query, post)
    allow: tuple[int, Policy] | None = None
    near: list[str] = []
    for index, item in enumerate(policies):
        policy = Policy.coerce(item)
        if policy.method != request.method or not _url_matches(_pattern(policy.url, policy.allow), request.url):
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
        :raises ValueError: an empty method or URL, a method that is not an
            RFC 9110 token, or a URL the model refuses (docs/policies.md).
        """
        return explain(self.policies, method, url, query, post).allowed

    def explain(self, method: str, url: str, query: Params = None, post: Params = None) -> Decision:
        """The :class:`Decision` for the request: allowed or not, the
        deciding policy and why (local model, ``docs/policies.md``).

        :raises TypeError: an argument has the wrong type.
        :raises ValueError: an empty method or URL, a method that is not an
            RFC 9110 token, or a URL the model refuses (docs/policies.md).
        """
        return explain(self.policies, method, url, query, post)
