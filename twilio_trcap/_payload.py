"""The payload of every generation's capability token, described once.

A capability's token is written by the C core from a *layout*: a
``_core.Template`` of JSON text with holes for the capability's *fields*
(its sids and URLs, escaped once per object), its *policies* (each a
template over the same fields, or JSON bytes) and the *tail* (the time
claims of one mint).  docs/design.md, "The payload's nouns", defines the
words; this module holds the one table of TaskRouter URLs, the layouts of
twilio 4.0, 4.5 to 5.7 and 6 and later, and the one way to make a key.
"""

from __future__ import annotations

import functools
from typing import Final, TypeAlias

from . import _core
from ._checks import TASK_QUEUE_PREFIX, WORKER_PREFIX, WORKSPACE_PREFIX
from .policy import REQUIRED

#: TaskRouter's REST API, and the base of its event channels.
TASK_ROUTER_BASE_URL: Final = "https://taskrouter.twilio.com"
TASK_ROUTER_BASE_WS_URL: Final = "https://event-bridge.twilio.com/v1/wschannels"
#: TaskRouter's API version: in every policy URL and the ``version`` claim.
TASK_ROUTER_VERSION: Final = "v1"

# ---------------------------------------------------------------------------
# Fields: every generation's capability has the same six, in this order; a
# template's int k stands for field k.  CHANNEL is the Worker (4.0) or the
# channel (a Worker, a TaskQueue or the Workspace).  mint_many adds EXP.
ACCOUNT, WORKSPACE, CHANNEL, VERSION, BASE_URL, BASE_WS_URL, EXP = range(7)

#: The fields of a capability, in field order.
Fields: TypeAlias = "tuple[str, str, str, str, str, str]"

#: A URL as template items: bytes (ASCII text, the same escaped or not) and
#: field indices.
Url: TypeAlias = "tuple[bytes | int, ...]"

# ---------------------------------------------------------------------------
# The TaskRouter URLs a capability's policies name: one table.
API_URL: Final[Url] = (BASE_URL, b"/", VERSION)
WORKSPACE_URL: Final[Url] = (*API_URL, b"/Workspaces/", WORKSPACE)
WORKER_URL: Final[Url] = (*WORKSPACE_URL, b"/Workers/", CHANNEL)
TASKQUEUE_URL: Final[Url] = (*WORKSPACE_URL, b"/TaskQueues/", CHANNEL)
ACTIVITIES_URL: Final[Url] = (*WORKSPACE_URL, b"/Activities")
ALL_TASKS_URL: Final[Url] = (*WORKSPACE_URL, b"/Tasks/**")
WORKER_RESERVATIONS_URL: Final[Url] = (*WORKER_URL, b"/Reservations/**")
#: The channel's event stream.
EVENTS_URL: Final[Url] = (BASE_WS_URL, b"/", ACCOUNT, b"/", CHANNEL)

#: The channel's own resource, by the channel sid's prefix.
RESOURCE_URL: Final[dict[str, Url]] = {
    WORKER_PREFIX: WORKER_URL,
    TASK_QUEUE_PREFIX: TASKQUEUE_URL,
    WORKSPACE_PREFIX: WORKSPACE_URL,
}


def subresources(url: Url) -> Url:
    """Every subresource of `url`, at any depth (a trailing ``/**``)."""
    return (*url, b"/**")


def url_text(url: Url, fields: Fields) -> str:
    """`url` with the fields as they are (not JSON-escaped): the URL."""
    return "".join(fields[p] if isinstance(p, int) else p.decode("ascii") for p in url)


@functools.lru_cache(maxsize=256)
def allow(url: Url, method: str, required: str | None = None) -> _core.Template:
    """The policy allowing `method` on `url`, with no query filter and, if
    `required` names a form parameter, a post filter requiring it.  One
    template per distinct policy, made once and shared."""
    post_filter = None if required is None else {required: dict(REQUIRED)}
    return _core.policy_template(url, method, True, None, post_filter)


# ---------------------------------------------------------------------------
# The layouts.  POLICIES and TAIL are the holes for the policies (joined by
# commas) and for mint()'s arguments.
POLICIES: Final = "policies"
TAIL: Final = "tail"

#: twilio 4.0's claims: version, friendly_name, policies, iss, exp,
#: account_sid, channel, worker_sid, workspace_sid.
LAYOUT_4_0: Final = _core.Template((
    b'{"version":"', VERSION, b'","friendly_name":"', CHANNEL,
    b'","policies":[', POLICIES,
    b'],"iss":"', ACCOUNT, b'","exp":', TAIL,
    b',"account_sid":"', ACCOUNT, b'","channel":"', CHANNEL,
    b'","worker_sid":"', CHANNEL, b'","workspace_sid":"', WORKSPACE, b'"}',
))  # fmt: skip

#: The claim naming the channel again by its kind (4.5 and later): none
#: for a Workspace.
KIND_NAME: Final = {
    WORKER_PREFIX: b"worker_sid",
    TASK_QUEUE_PREFIX: b"taskqueue_sid",
    WORKSPACE_PREFIX: None,
}


def _kind_claim(prefix: str, before: bytes, after: bytes) -> tuple[bytes | int, ...]:
    """The kind claim of `prefix` as template items, between `before` and
    `after` (the JSON that closes and opens around it); nothing for a
    Workspace."""
    name = KIND_NAME[prefix]
    return () if name is None else (before + b'"' + name + b'":"', CHANNEL, after)


#: twilio 4.5 to 5.7's claims, by channel kind: iss, exp, version,
#: friendly_name, policies, account_sid, workspace_sid, channel, then
#: worker_sid or taskqueue_sid.  exp comes early: a re-mint hashes what
#: follows it again (minter.h, "Re-minting").
LAYOUT_5: Final = {
    prefix: _core.Template((
        b'{"iss":"', ACCOUNT, b'","exp":', TAIL,
        b',"version":"', VERSION, b'","friendly_name":"', CHANNEL,
        b'","policies":[', POLICIES,
        b'],"account_sid":"', ACCOUNT, b'","workspace_sid":"', WORKSPACE,
        b'","channel":"', CHANNEL, b'"', *_kind_claim(prefix, b",", b'"'), b"}",
    ))  # fmt: skip
    for prefix in KIND_NAME
}

#: twilio 6 and later's claims, by channel kind: account_sid,
#: workspace_sid, channel, version, friendly_name, policies, worker_sid or
#: taskqueue_sid, iss, exp, then nbf if any: the tail is exp onwards.
LAYOUT_6: Final = {
    prefix: _core.Template((
        b'{"account_sid":"', ACCOUNT, b'","workspace_sid":"', WORKSPACE,
        b'","channel":"', CHANNEL, b'","version":"', VERSION,
        b'","friendly_name":"', CHANNEL, b'","policies":[', POLICIES, b"]",
        *_kind_claim(prefix, b",", b'"'),
        b',"iss":"', ACCOUNT, b'","exp":', TAIL,
    ))  # fmt: skip
    for prefix in KIND_NAME
}


def filled(
    layout: _core.Template, policies: tuple[_core.Template, ...], tail: tuple[bytes | int, ...]
) -> _core.Template:
    """`layout` with its holes filled: the items of `policies` joined by
    commas, and the items of `tail`.  A template without holes, for
    ``Key.mint_each``."""
    items: list[bytes | int | str] = []
    for item in layout.items:
        if isinstance(item, str) and item == POLICIES:
            for i, policy in enumerate(policies):
                items += (b",", *policy.items) if i else policy.items
        elif isinstance(item, str) and item == TAIL:
            items += tail
        else:
            items.append(item)
    return _core.Template(tuple(items))


#: A capability's minter: Minter.create(key, fields, layout, policies).
new_minter: Final = _core.Minter.create

#: make_key(value, name): `value` (str as UTF-8, or bytes, not empty) as a
#: prepared HS256 key; errors name `name` (a TypeError for another type, a
#: ValueError for an empty key or a str with no UTF-8 form).  The core reads
#: a str or bytes subclass by value, running none of its methods, and keeps
#: the key only inside OpenSSL's states.
make_key: Final = _core.Key.prepare
