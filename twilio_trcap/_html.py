"""Jupyter's rich view of twilio-trcap's objects: one renderer for all.

Every capability object (all generations), Access Token, decoded token
(:class:`~twilio_trcap.DecodedToken`) and decision
(:class:`~twilio_trcap.Decision`) gets ``_repr_html_`` from
:class:`HtmlRepr`, which calls :func:`to_html`.  The table shows the claims
(times also in words), the policies (allow or deny, method, URL, filters)
and, for a decision, the policy that decided it.

What it never shows: the key (no object here can read it back), and for a
token object the signed token (a bearer credential: a notebook is saved,
shared and rendered on the web).  A capability object's claims are those of
a token minted now; that token is decoded here and dropped, never printed.
Every piece of text goes through :func:`html.escape`, so a URL or a filter
name holding ``<script>`` is shown as text.

:class:`HtmlRepr` itself lives in ``twilio_trcap._mixins`` and imports this
module on its first call: ``import twilio_trcap`` does not load the renderer.
"""

from __future__ import annotations

import html
import json
import time
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from ._mixins import HtmlRepr
from ._time_words import in_words

if TYPE_CHECKING:
    from .check import Decision
    from .policy import Policy

__all__ = ["HtmlRepr", "in_words", "to_html"]

#: Claims that hold a time (seconds since the epoch, RFC 7519 section 4.1).
_TIME_CLAIMS = ("exp", "nbf", "iat")

_STYLE = (
    "<style>.trcap td,.trcap th{text-align:left;vertical-align:top;padding:2px 8px}"
    ".trcap code{white-space:pre-wrap}.trcap .deny{color:#b00}.trcap .allow{color:#070}</style>"
)


def _text(value: object) -> str:
    """A value as escaped text: strings as they are, the rest as JSON."""
    if isinstance(value, str):
        return html.escape(value)
    try:
        shown = json.dumps(value, ensure_ascii=False, sort_keys=False)
    except (TypeError, ValueError):
        shown = repr(value)
    return f"<code>{html.escape(shown)}</code>"


def _filter(value: Mapping[str, Any]) -> str:
    return _text(dict(value)) if value else ""


def _policy_row(index: int | None, policy: Policy) -> str:
    verdict = "allow" if policy.allow else "deny"
    return (
        f"<tr><td>{'' if index is None else index}</td>"
        f'<td class="{verdict}">{verdict}</td>'
        f"<td>{html.escape(policy.method)}</td><td>{html.escape(policy.url)}</td>"
        f"<td>{_filter(policy.query_filter)}</td><td>{_filter(policy.post_filter)}</td></tr>"
    )


def _policies(policies: Sequence[Policy], numbered: Iterable[int] | None = None) -> str:
    indices = list(range(len(policies))) if numbered is None else list(numbered)
    rows = "".join(_policy_row(i, p) for i, p in zip(indices, policies, strict=True))
    return (
        "<table><thead><tr><th>#</th><th>effect</th><th>method</th><th>URL</th>"
        f"<th>query filter</th><th>post filter</th></tr></thead><tbody>{rows}</tbody></table>"
    )


def _claims(claims: Mapping[str, Any], now: float | None) -> str:
    rows = []
    for name, value in claims.items():
        if name == "policies" and isinstance(value, list):
            shown = f"{len(value)} (below)"
        elif name in _TIME_CLAIMS and isinstance(value, (int, float)) and not isinstance(value, bool):
            shown = f"{html.escape(str(value))}: {html.escape(in_words(value, now))}"
        else:
            shown = _text(value)
        rows.append(f"<tr><th>{html.escape(name)}</th><td>{shown}</td></tr>")
    return f"<table><tbody>{''.join(rows)}</tbody></table>"


def _page(title: str, note: str, body: str) -> str:
    return (
        f'{_STYLE}<div class="trcap"><strong>{html.escape(title)}</strong>'
        f"<div>{html.escape(note)}</div>{body}</div>"
    )


def _token_view(
    title: str, note: str, header: Mapping[str, Any], claims: Mapping[str, Any],
    policies: Sequence[Policy], now: float | None,
) -> str:
    body = f"<div>header: {_text(dict(header))}</div>" + _claims(claims, now)
    if policies:
        body += _policies(policies)
    return _page(title, note, body)


def _decision(decision: Decision) -> str:
    verdict = "allowed" if decision.allowed else "denied"
    body = (
        f'<table><tbody><tr><th>result</th><td class="{"allow" if decision.allowed else "deny"}">'
        f"{verdict}</td></tr><tr><th>reason</th><td>{html.escape(decision.reason)}</td></tr>"
        "</tbody></table>"
    )
    if decision.policy is None:
        body += "<div>no policy matched</div>"
    else:
        body += "<div>deciding policy:</div>" + _policies([decision.policy], [decision.index or 0])
    return _page("Decision", "", body)


def to_html(obj: object) -> str:
    """The HTML view of a twilio-trcap object (see the module's docstring).

    :raises TypeError: `obj` is of no class this module renders.
    """
    # Imported here: the policy model is loaded on first use, and decode
    # imports the mixins that import this module.
    from .check import Decision
    from .decode import DecodedToken, decode_token

    name = type(obj).__name__
    if isinstance(obj, Decision):
        return _decision(obj)
    if isinstance(obj, DecodedToken):
        note = "signature verified" if obj.verified else "signature NOT verified: do not trust it"
        return _token_view(f"DecodedToken ({obj.header.get('alg')})", note,
                           obj.header, obj.payload, obj.policies, None)
    now = int(time.time())
    if hasattr(obj, "to_jwt"):
        # twilio.jwt's shape (capability tokens, Access Tokens): its own ttl.
        token = obj.to_jwt(now=now)
        note = "claims of a token minted now (to_jwt())"
    elif hasattr(obj, "generate_token"):
        # twilio 4.0 to 5.7: generate_token()'s default ttl, one hour.
        token = obj.generate_token(now=now)
        note = "claims of a token minted now (generate_token(), ttl 3600 s)"
    else:
        raise TypeError(f"no HTML view for {name}")
    decoded = decode_token(token, None, verify_exp=False, verify_nbf=False)
    del token  # a bearer credential: used for its claims only, never shown
    return _token_view(f"{type(obj).__module__}.{name}", note,
                       decoded.header, decoded.payload, decoded.policies, now)
