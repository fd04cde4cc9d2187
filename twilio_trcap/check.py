"""Does a token allow a request?  A local model of TaskRouter's policy check.

Twilio does not document how TaskRouter evaluates a capability token's
policies.  This module implements the model the Twilio SDKs are written
against, specified in ``docs/policies.md``; it is a tool for testing
permissions before a Worker.js page meets a 403, **not** Twilio's server,
whose answer is the one that counts.

The model, in short (every rule is in ``docs/policies.md``):

* a request URL is an absolute http(s) URL in canonical form: printable
  ASCII only, no user info, no fragment, a host and port in their one
  spelling (no trailing dot, no percent-encoding, no IPv4 shorthand, no
  IP literal, no leading zeros in the port), a path without empty
  segments, dot-segments, percent-encoding, backslashes or ``;``, and no
  ``;`` in the query; anything else is a ValueError, never a quiet
  "denied", because a server may see such a URL as another resource;
* a method is an RFC 9110 token (ASCII), compared in ASCII upper case;
* a policy's ``url`` matches a request URL exactly, but for the scheme and
  host (case-insensitive, RFC 3986 section 6.2.2.1) and a default port,
  and for the case of a deny's path; a policy URL ending in ``/**``
  matches every URL below it, at any depth, but not the URL without the
  ``/**``;
* a policy URL that a server could read in more than one way (not a
  canonical request URL once its final ``/**`` is removed, or with a
  query, or a ``*`` elsewhere: :func:`check_policy_url`) names no request
  in an allow and every URL in a deny: a deny in any spelling denies;
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
from typing import Any, Union
from urllib.parse import parse_qsl

from ._checks import check_method, exact_str
# Checkable (allows and explain as methods) is defined with the mixins that
# load this module on first use, so that a token class has them without
# importing it; it is re-exported here, where it is documented.
from ._mixins import Checkable, HtmlRepr
from .policy import Policy

__all__ = ["Checkable", "Decision", "Params", "Request", "allows", "check_policy_url", "explain"]

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


# scheme://authority path [?query], printable ASCII without space (RFC 3986
# section 3; the characters are checked before this is applied).
_URL = re.compile(r"(?P<scheme>[A-Za-z][A-Za-z0-9+.-]*)://(?P<authority>[^/?#]*)(?P<path>[^?#]*)(?:\?(?P<query>[^#]*))?")
_DEFAULT_PORT = {"http": "80", "https": "443"}
# A registered name (RFC 3986 section 3.2.2), lower case: labels of
# letters, digits, '-' and '_', none empty, no trailing dot.
_HOST = re.compile(r"[a-z0-9_-]+(?:\.[a-z0-9_-]+)*")
# A last label a WHATWG URL parser reads as a number, which makes the whole
# host an IPv4 address in one of its many spellings (127.1, 0x7f.0.0.1,
# 017.0.0.1, 2130706433 all name 127.0.0.1).
_NUMBER = re.compile(r"[0-9]+|0x[0-9a-f]*")
_OCTET = r"(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])"
_IPV4 = re.compile(rf"{_OCTET}(?:\.{_OCTET}){{3}}")
_PORT = re.compile(r"[1-9][0-9]{0,4}")
_EMPTY_SEGMENT = (
    "url path must not have empty segments ('//' or a trailing '/') or dot-segments ('.', '..')"
)


def _canonical(url: str) -> tuple[str, str]:
    """`url` as the model compares it, and its query string: the one URL
    grammar of the model, for requests and policies alike.

    The scheme and host are lower-cased and a default port dropped (RFC
    3986 sections 6.2.2.1 and 6.2.3: the same resource by definition).
    Everything else must already be in the one form that no server can
    read in two ways, because what a server makes of ``//``, ``.``,
    ``..``, ``%2e``, ``%2f``, ``\\``, ``;``, ``host.``, ``:0443`` or
    ``127.1`` is not something a local model can know.

    :raises ValueError: the URL breaks one of the rules of
        docs/policies.md (the message starts with ``url`` and never holds
        the URL).
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
    if authority.startswith("["):
        raise ValueError("url host must not be an IP literal ([...]): an IPv6 address has many spellings")
    host, colon, port = authority.partition(":")
    if not _HOST.fullmatch(host):
        raise ValueError(
            "url host must be dot-separated letters, digits, '-' and '_' (no trailing dot, "
            "no empty label, no percent-encoding)"
        )
    if _NUMBER.fullmatch(host.rpartition(".")[2]) and not _IPV4.fullmatch(host):
        raise ValueError(
            "url host must not be a number other than a dotted-decimal IPv4 address "
            "(127.1, 0x7f.0.0.1 and 2130706433 all name 127.0.0.1)"
        )
    if colon:
        if not _PORT.fullmatch(port) or int(port) > 65535:
            raise ValueError(
                "url port must be a number from 1 to 65535 without leading zeros "
                "(':', ':0443' and ':+443' are other spellings of a port)"
            )
        if port == _DEFAULT_PORT[scheme]:
            colon = port = ""
    path = match["path"]
    if "%" in path:
        # %2e, %2f and %5c may become ".", "/" and "\\" on the server (the
        # path would name another resource); no TaskRouter path needs one.
        raise ValueError("url path must not be percent-encoded")
    if "\\" in path:
        raise ValueError("url path must not hold a backslash")
    if ";" in path:
        # Java servlet containers drop ";..." from a segment (path
        # parameters): /Tasks;x/WT1 is /Tasks/WT1 there.
        raise ValueError("url path must not hold ';' (some servers drop what follows it)")
    if path not in ("", "/"):
        for segment in path.split("/")[1:]:
            if segment in ("", ".", ".."):
                raise ValueError(_EMPTY_SEGMENT)
    else:
        path = "/"
    query = match["query"] or ""
    if ";" in query:
        # Some servers split parameters at ';' as well as '&' (the W3C's old
        # advice): ?A=1;B=2 would carry a B that a filter cannot see here.
        raise ValueError("url query must not hold ';' (some servers split parameters at it)")
    return f"{scheme}://{host}{colon}{port}{path}", query


def _excerpt(text: str, limit: int = 48) -> str:
    """`text` quoted and escaped (``ascii``), cut to `limit` characters with
    a marker: how a policy URL that was refused is shown."""
    if len(text) <= limit:
        return ascii(text)
    return f"{ascii(text[:limit])}... ({len(text)} characters)"


@functools.lru_cache(maxsize=4096)
def _read(url: str) -> tuple[str, bool] | str:
    """A policy URL as the model compares it (see :func:`_canonical`) and
    whether it covers a subtree (``/**``); or, for a URL a server could
    read in more than one way, the reason it is refused (a str)."""
    subtree = url.endswith(_SUBTREE)
    base = url[: -len(_SUBTREE)] if subtree else url
    try:
        canonical, query = _canonical(base)
    except ValueError as exc:
        return str(exc)
    if query or "?" in base:
        # A request's query string is never part of its URL here.
        return "url must not have a ?query in a policy (a request's query string is not part of its URL)"
    if subtree and base.endswith("/"):
        # ".../Tasks//**" or "https://host//**": an empty segment before "**".
        return _EMPTY_SEGMENT
    if "*" in base:
        return "url must not hold '*' in a policy but in a final '/**' (a server may read it as a wildcard)"
    return canonical, subtree


def check_policy_url(url: str) -> None:
    """Refuses a policy URL that a server could read in more than one way.

    A policy URL is readable when it is a URL the model takes as a request
    (docs/policies.md: absolute http(s), printable ASCII without spaces, no
    user information or fragment, a host and port in their one spelling, a
    path without percent-encoding, backslashes, ``;``, empty or
    dot-segments) with no query string and no ``*`` but in a final
    ``/**``.  :func:`explain` reads every policy with this rule: a
    readable allow names its URL, an unreadable one names no request; a
    readable deny names its URL (its path in any case), an unreadable one
    every URL.

    :raises TypeError: `url` is not a str.
    :raises ValueError: `url` is not readable; the message names ``url``
        and the rule, and shows at most a short escaped excerpt of it.
    """
    read = _read(exact_str(url, "url"))
    if isinstance(read, str):
        raise ValueError(f"{read}; policy url {_excerpt(url)}")


def _url_matches(base: str, subtree: bool, url: str) -> bool:
    if subtree:
        # A subresource: the base, a slash, and at least one more segment
        # (the request has no empty segment, so one more character is one).
        stem = base.rstrip("/")
        return url.startswith(stem + "/") and len(url) > len(stem) + 1
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
        # A method that is not a token is also what explain(url, "GET")
        # (arguments swapped) ends in.
        method = check_method(method)
        path, query_string = _canonical(url)
        in_url = [name for name, _ in parse_qsl(query_string, keep_blank_values=True)]
        return cls(
            method,
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

    Each policy's URL is read as :func:`check_policy_url` says: an allow
    names its URL exactly, or no request when a server could read its URL
    in more than one way; a deny names its URL with the path compared
    ignoring ASCII case, or **every** URL when a server could read its URL
    in more than one way (a deny the model cannot read still denies,
    whatever it meant: the model fails closed).  The reason says when a
    policy was read so, and why.

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
        absolute http(s), user information, a fragment, a host or port
        spelled other than in its one form, empty or dot-segments,
        percent-encoding, a backslash or ``;`` in the path, ``;`` in the
        query, control characters, whitespace or non-ASCII).
    """
    request = Request.parse(method, url, query, post)
    allow: tuple[int, Policy] | None = None
    near: list[str] = []
    for index, item in enumerate(policies):
        policy = Policy.coerce(item)
        if policy.method != request.method:
            continue
        read = _read(policy.url)
        how = ""
        if isinstance(read, str):
            if policy.allow:
                near.append(f"policy {index} (allow {policy.method} {_excerpt(policy.url)}) "
                            f"names no request: {read}")
                continue
            # Fail closed: what this deny names on the server is unknown,
            # so it is taken to name every URL.
            shown = _excerpt(policy.url)
            how = f"; its {read}, so it is read as naming every URL"
        else:
            base, subtree = read
            shown = policy.url
            if not _url_matches(base, subtree, request.url):
                # Whether TaskRouter's paths are case-sensitive is not
                # documented: a deny takes the reading that denies.
                if policy.allow or not _url_matches(base.lower(), subtree, request.url.lower()):
                    continue
                how = "; its path is compared ignoring case"
        missing = [f"query parameter {n!r}" for n in _required(policy.query_filter)
                   if n not in request.query]
        missing += [f"form parameter {n!r}" for n in _required(policy.post_filter)
                    if n not in request.post]
        if missing:
            near.append(
                f"policy {index} ({'allow' if policy.allow else 'deny'} {policy.method} "
                f"{shown}) requires {', '.join(missing)}"
            )
            continue
        if not policy.allow:
            return Decision(
                False, policy, index,
                f"denied by policy {index} (deny {policy.method} {shown}){how}; "
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
