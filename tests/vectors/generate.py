#!/usr/bin/env python3
"""Generate golden TaskRouter capability-token vectors from an OLD twilio release.

Run this with the python of a throw-away virtualenv that has exactly one pinned
release of the reference library installed (see README.md in this folder):

    /tmp/twvec-5.7.0/bin/python tests/vectors/generate.py \
        --out tests/vectors/twilio-5.7.0.json

The script imports ``twilio.task_router`` from that release, freezes the clock
seen by that module, mints tokens for a fixed list of cases and writes, per
case, the inputs (class, constructor args, ordered method calls, ttl, auth
token, fixed time) and the outputs (raw token, decoded header and payload JSON
*text* exactly as it appears in the token, warnings emitted per call, or the
exception raised for invalid input).

It only uses the standard library besides the reference package, and never
touches anything outside the output file.
"""

import argparse
import base64
import hashlib
import hmac
import importlib.util
import inspect
import itertools
import json
import platform
import sys
import types
import urllib.parse
import warnings

FIXED_TIME = 1700000000.0
FORMAT_VERSION = 1

# ---------------------------------------------------------------------------
# Sid shapes
# ---------------------------------------------------------------------------

# Short sids as used in the reference library's documentation.
SHORT = {
    "account_sid": "AC123",
    "workspace_sid": "WS456",
    "worker_sid": "WK789",
    "taskqueue_sid": "WQ012",
    "auth_token": "secret",
}

# Realistic sids: two-letter prefix + 32 lowercase hex digits (34 chars).
REALISTIC = {
    "account_sid": "AC" + hashlib.md5(b"account").hexdigest(),
    "workspace_sid": "WS" + hashlib.md5(b"workspace").hexdigest(),
    "worker_sid": "WK" + hashlib.md5(b"worker").hexdigest(),
    "taskqueue_sid": "WQ" + hashlib.md5(b"taskqueue").hexdigest(),
    "auth_token": hashlib.md5(b"auth_token").hexdigest(),
}

# Awkward characters after a valid prefix: non-ASCII (Latin-1, BMP, astral),
# double quote, backslash, control characters, U+2028, slash.
_WEIRD_TAIL = "\u00e9\"\\\n\t\x00\x1f\x7f/\u2028\U0001F600"
WEIRD = {
    "account_sid": "AC" + _WEIRD_TAIL,
    "workspace_sid": "WS" + _WEIRD_TAIL,
    "worker_sid": "WK" + _WEIRD_TAIL,
    "taskqueue_sid": "WQ" + _WEIRD_TAIL,
    "auth_token": "s\u00e9cr\u00e8t\U0001F511",
}

SHAPES = {"short": SHORT, "realistic": REALISTIC, "weird": WEIRD}

URL = "https://taskrouter.twilio.com/v1/Workspaces/WS456/Tasks"
QF = {"TaskQueueSid": {"required": True}}
PF = {"ActivitySid": {"required": True}}
# Multi-key filter, keys deliberately not in sorted order.
PF_MULTI = {"ReservationStatus": {"required": True},
            "Attributes": {"required": False},
            "ActivitySid": {"required": False}}


# ---------------------------------------------------------------------------
# Import the reference library
# ---------------------------------------------------------------------------

def _import_reference():
    """Import twilio.task_router; returns (modules, facts about the import)."""
    facts = {"import_shims": [], "import_warnings": [],
             "import_added_warning_filters": []}

    # Old twilio releases do `from urlparse import parse_qs` falling back to
    # `from cgi import parse_qs` (twilio/rest/resources/imports.py, pulled in
    # by twilio/__init__.py). Neither exists on Python >= 3.8, so provide a
    # Python-2 style `urlparse` module exposing the stdlib parse_qs. This only
    # affects the REST client import path, not task_router / jwt.
    if importlib.util.find_spec("urlparse") is None:
        shim = types.ModuleType("urlparse")
        shim.parse_qs = urllib.parse.parse_qs
        sys.modules["urlparse"] = shim
        facts["import_shims"].append(
            "sys.modules['urlparse'] = module with parse_qs = "
            "urllib.parse.parse_qs (twilio/rest/resources/imports.py needs "
            "urlparse.parse_qs or cgi.parse_qs, both gone in Python 3.8+)")

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        before = list(warnings.filters)
        import twilio
        import twilio.jwt
        import twilio.task_router as tr
        after = list(warnings.filters)
    # Record (do not keep) filters the reference installs at import time;
    # catch_warnings restores the process-wide filters on exit.
    facts["import_added_warning_filters"] = [
        [f[0], None if f[1] is None else f[1].pattern, f[2].__name__,
         None if f[3] is None else f[3].pattern, f[4]]
        for f in after if f not in before]
    facts["import_warnings"] = _fmt_warnings(caught)
    return twilio, tr, facts


def _fmt_warnings(caught):
    return [{"category": w.category.__name__, "message": str(w.message)}
            for w in caught]


def _freeze_clock(tr):
    """Make `time.time()` inside twilio.task_router return FIXED_TIME.

    The reference module does `import time` and calls `time.time()`; we swap
    the module-global name `time` in that module only (not the real `time`
    module), so nothing else in the process is affected.
    """
    real = tr.time
    frozen = types.ModuleType("time")
    frozen.__dict__.update(real.__dict__)
    frozen.time = lambda: FIXED_TIME
    tr.time = frozen


def _b64url_decode(seg):
    return base64.urlsafe_b64decode(seg + "=" * (-len(seg) % 4))


# ---------------------------------------------------------------------------
# Case running
# ---------------------------------------------------------------------------

def call(method, *args, **kwargs):
    return {"op": "call", "method": method, "args": list(args),
            "kwargs": dict(kwargs)}


def append_make_policy(*args, **kwargs):
    """capability.policies.append(make_policy(*args, **kwargs)).

    In 4.0.0 make_policy is a module-level function; in 4.5.0+ it is a
    method of the capability (with a different parameter order).
    """
    return {"op": "append_make_policy", "args": list(args),
            "kwargs": dict(kwargs)}


def case(case_id, cls, ctor_args, ctor_kwargs=None, calls=(), ttl=None,
         gen_kwargs=None, auth_token_index=1):
    g = {} if ttl is None else {"ttl": ttl}
    if gen_kwargs:
        g.update(gen_kwargs)
    return {"id": case_id, "class": cls, "ctor_args": list(ctor_args),
            "ctor_kwargs": dict(ctor_kwargs or {}), "calls": list(calls),
            "generate_token_kwargs": g,
            "auth_token": ctor_args[auth_token_index]}


def run_case(tr, spec):
    rec = {
        "id": spec["id"],
        "class": spec["class"],
        "ctor_args": spec["ctor_args"],
        "ctor_kwargs": spec["ctor_kwargs"],
        "auth_token": spec["auth_token"],
        "calls": [],
        "generate_token_kwargs": spec["generate_token_kwargs"],
        "ttl": spec["generate_token_kwargs"].get("ttl"),
        "now": FIXED_TIME,
    }
    cls = getattr(tr, spec["class"])
    stage = "ctor"
    caught = []
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            cap = cls(*spec["ctor_args"], **spec["ctor_kwargs"])
        rec["ctor_warnings"] = _fmt_warnings(caught)
        for i, c in enumerate(spec["calls"]):
            stage = "calls[%d]" % i
            entry = {k: c[k] for k in ("op", "method", "args", "kwargs")
                     if k in c}
            rec["calls"].append(entry)
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                try:
                    if c["op"] == "call":
                        result = getattr(cap, c["method"])(*c["args"],
                                                           **c["kwargs"])
                    elif c["op"] == "append_make_policy":
                        mk = getattr(tr, "make_policy", None) or \
                            cap.make_policy
                        result = mk(*c["args"], **c["kwargs"])
                        cap.policies.append(result)
                    else:
                        raise AssertionError(c["op"])
                finally:
                    entry["warnings"] = _fmt_warnings(caught)
            if result is not None:
                entry["result"] = result
        stage = "generate_token"
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            token = cap.generate_token(**spec["generate_token_kwargs"])
        rec["generate_token_warnings"] = _fmt_warnings(caught)
    except Exception as exc:  # record what the reference raises
        if stage == "ctor":
            rec["ctor_warnings"] = _fmt_warnings(caught)
        elif stage == "generate_token":
            rec["generate_token_warnings"] = _fmt_warnings(caught)
        rec["kind"] = "error"
        rec["error"] = {"stage": stage, "type": type(exc).__name__,
                        "message": str(exc)}
        return rec

    rec["kind"] = "token"
    rec["token"] = token
    header_seg, payload_seg, sig_seg = token.split(".")
    rec["header_json"] = _b64url_decode(header_seg).decode("utf-8")
    rec["payload_json"] = _b64url_decode(payload_seg).decode("utf-8")
    rec["signature_b64url"] = sig_seg
    # Self-checks: signature is HMAC-SHA256 over "header.payload" with the
    # UTF-8 auth token, and exp is the frozen clock plus ttl.
    expect_sig = hmac.new(spec["auth_token"].encode("utf-8"),
                          (header_seg + "." + payload_seg).encode("ascii"),
                          hashlib.sha256).digest()
    assert _b64url_decode(sig_seg) == expect_sig, spec["id"]
    ttl = rec["ttl"]
    if ttl is None:
        ttl = inspect.signature(cap.generate_token).parameters["ttl"].default
    assert json.loads(rec["payload_json"])["exp"] == int(FIXED_TIME) + ttl, \
        spec["id"]
    return rec


# ---------------------------------------------------------------------------
# Case lists
# ---------------------------------------------------------------------------

LEGACY_METHODS = ["allow_worker_fetch_attributes",   # documented order
                  "allow_worker_activity_updates",
                  "allow_task_reservation_updates"]
LEGACY_ABBR = {"allow_worker_fetch_attributes": "fetch",
               "allow_worker_activity_updates": "activity",
               "allow_task_reservation_updates": "reservation"}


def legacy_cases():
    """twilio 4.0.0: TaskRouterCapability(account, token, workspace, worker)."""
    C = "TaskRouterCapability"
    out = []

    def sids(shape, **over):
        s = dict(SHAPES[shape])
        s.update(over)
        return [s["account_sid"], s["auth_token"], s["workspace_sid"],
                s["worker_sid"]]

    # Every ordered sequence of distinct methods (0..3 long), short sids.
    for n in range(4):
        for seq in itertools.permutations(LEGACY_METHODS, n):
            name = "+".join(LEGACY_ABBR[m] for m in seq) or "none"
            out.append(case("legacy.short.methods.%d.%s" % (n, name), C,
                            sids("short"), calls=[call(m) for m in seq]))
    # Each method called twice; documented sequence called twice.
    for m in LEGACY_METHODS:
        out.append(case("legacy.short.twice.%s" % LEGACY_ABBR[m], C,
                        sids("short"), calls=[call(m), call(m)]))
    out.append(case("legacy.short.twice.fetch+activity+reservation", C,
                    sids("short"),
                    calls=[call(m) for m in LEGACY_METHODS * 2]))
    out.append(case("legacy.short.twice.fetch+activity+fetch", C,
                    sids("short"),
                    calls=[call(LEGACY_METHODS[0]), call(LEGACY_METHODS[1]),
                           call(LEGACY_METHODS[0])]))

    doc = [call(m) for m in LEGACY_METHODS]
    # ttl variants.
    for ttl in (600, 0, -60, 1, 86400):
        tname = ("m%d" % -ttl) if ttl < 0 else str(ttl)
        out.append(case("legacy.short.ttl.%s.none" % tname, C, sids("short"),
                        ttl=ttl))
        out.append(case("legacy.short.ttl.%s.all" % tname, C, sids("short"),
                        calls=doc, ttl=ttl))
    # generate_token's `attributes` argument (accepted but ignored in 4.0.0).
    out.append(case("legacy.short.ttl.default.attributes-ignored", C,
                    sids("short"), calls=doc,
                    gen_kwargs={"attributes": {"extra": "x",
                                               "worker_sid": "WKzzz"}}))

    # Constructor keyword arguments.
    kw_variants = {
        "base_url": {"base_url": "https://example.test"},
        "base_url-trailing-slash": {"base_url": "https://example.test/"},
        "version": {"version": "v2"},
        "version-empty": {"version": ""},
        "base_ws_url": {"base_ws_url": "wss://ws.example.test/v9/chan"},
        "all": {"base_url": "https://example.test/tr", "version": "v7",
                "base_ws_url": "https://ws.example.test/wschannels"},
        "defaults-explicit": {
            "base_url": "https://taskrouter.twilio.com", "version": "v1",
            "base_ws_url": "https://event-bridge.twilio.com/v1/wschannels"},
    }
    for kname, kw in kw_variants.items():
        out.append(case("legacy.short.ctor.%s.none" % kname, C,
                        sids("short"), ctor_kwargs=kw))
        out.append(case("legacy.short.ctor.%s.all" % kname, C,
                        sids("short"), ctor_kwargs=kw, calls=doc, ttl=600))
    # Same three as positional args.
    out.append(case("legacy.short.ctor.positional.all", C,
                    sids("short") + ["https://example.test", "v3",
                                     "wss://ws.example.test"],
                    calls=doc))
    # Awkward characters in the URLs.
    out.append(case("legacy.weird.ctor.all.all", C, sids("short"),
                    ctor_kwargs={"base_url": "https://ex\u00e9.test/\"q\"",
                                 "version": "v\\1\n",
                                 "base_ws_url": "wss://\U0001F600/\u2028"},
                    calls=doc))

    # Appending make_policy(...) results to capability.policies.
    mp_variants = {
        "plain": ((URL, "GET"), {}),
        "query_filter": ((URL, "GET"), {"query_filter": QF}),
        "post_filter": ((URL, "POST"), {"post_filter": PF}),
        "post_filter-multi": ((URL, "POST"), {"post_filter": PF_MULTI}),
        "denied": ((URL, "DELETE"), {"allowed": False}),
        "denied-filters": ((URL, "POST"), {"query_filter": QF,
                                            "post_filter": PF_MULTI,
                                            "allowed": False}),
        "positional": ((URL, "POST", QF, PF, False), {}),
        "empty-filters": ((URL, "GET"), {"query_filter": {},
                                          "post_filter": {}}),
        "method-lowercase": ((URL, "get"), {}),
    }
    for mname, (a, kw) in mp_variants.items():
        out.append(case("legacy.short.make_policy.%s.only" % mname, C,
                        sids("short"), calls=[append_make_policy(*a, **kw)]))
    out.append(case("legacy.short.make_policy.mixed.before-after", C,
                    sids("short"),
                    calls=[append_make_policy(URL, "GET",
                                              query_filter=QF),
                           call(LEGACY_METHODS[0]),
                           call(LEGACY_METHODS[1]),
                           append_make_policy(URL, "DELETE", allowed=False),
                           call(LEGACY_METHODS[2]),
                           append_make_policy(URL, "POST",
                                              post_filter=PF_MULTI)]))

    # Sid shapes.
    for shape in ("realistic", "weird"):
        out.append(case("legacy.%s.methods.0.none" % shape, C, sids(shape)))
        out.append(case("legacy.%s.methods.3.fetch+activity+reservation"
                        % shape, C, sids(shape), calls=doc))
        out.append(case("legacy.%s.ttl.600.all" % shape, C, sids(shape),
                        calls=doc, ttl=600))
    out.append(case("legacy.weird-worker-only.methods.3.all", C,
                    sids("short", worker_sid=WEIRD["worker_sid"]),
                    calls=doc))
    # Lone surrogate in a sid (JSON escapes it; still ASCII on the wire).
    out.append(case("legacy.lone-surrogate-worker.methods.0.none", C,
                    sids("short", worker_sid="WK\ud800x")))

    # Auth token variants.
    for tname, tok in (("empty", ""), ("non-ascii", WEIRD["auth_token"]),
                       ("long", "k" * 200),
                       ("lone-surrogate", "sec\udc80ret")):
        out.append(case("legacy.auth_token.%s" % tname, C,
                        sids("short", auth_token=tok), calls=doc))

    # No validation in 4.0.0: None / empty / odd-prefix sids.
    for field in ("account_sid", "workspace_sid", "worker_sid"):
        out.append(case("legacy.none.%s" % field, C,
                        sids("short", **{field: None}), calls=doc))
        out.append(case("legacy.empty.%s" % field, C,
                        sids("short", **{field: ""}), calls=doc))
    out.append(case("legacy.wrong-prefix.all", C,
                    ["XX123", "secret", "YY456", "ZZ789"], calls=doc))
    return out


MODERN_SUBJECTS = [
    # (label, class, channel kind)  -- channel kind in WK / WQ / WS / None
    ("trc-wk", "TaskRouterCapability", "worker_sid"),
    ("trc-wq", "TaskRouterCapability", "taskqueue_sid"),
    ("trc-ws", "TaskRouterCapability", "workspace_sid"),
    ("worker", "TaskRouterWorkerCapability", "worker_sid"),
    ("taskqueue", "TaskRouterTaskQueueCapability", "taskqueue_sid"),
    ("workspace", "TaskRouterWorkspaceCapability", None),
]

DEPRECATED = ["allow_worker_fetch_attributes",
              "allow_worker_activity_updates",
              "allow_task_reservation_updates"]
CONVENIENCE = ["allow_fetch_subresources", "allow_updates",
               "allow_updates_subresources", "allow_delete",
               "allow_delete_subresources"]


def modern_ctor(cls, channel_field, s):
    if cls == "TaskRouterWorkspaceCapability":
        return [s["account_sid"], s["auth_token"], s["workspace_sid"]]
    return [s["account_sid"], s["auth_token"], s["workspace_sid"],
            s[channel_field]]


def modern_cases(tr):
    out = []
    for label, cls, chan in MODERN_SUBJECTS:
        if not hasattr(tr, cls):
            continue
        klass = getattr(tr, cls)

        def has(m):
            return callable(getattr(klass, m, None))

        for shape in ("short", "realistic", "weird"):
            s = SHAPES[shape]
            args = modern_ctor(cls, chan, s)
            p = "%s.%s" % (label, shape)
            # Defaults.
            out.append(case(p + ".defaults.ttl-default", cls, args))
            out.append(case(p + ".defaults.ttl-600", cls, args, ttl=600))
            if shape != "short":
                combo = [call(m) for m in CONVENIENCE if has(m)]
                out.append(case(p + ".combo.convenience", cls, args,
                                calls=combo, ttl=600))
                continue
            for ttl in (0, -60, 1, 86400):
                out.append(case(p + ".defaults.ttl-%s"
                                % (("m%d" % -ttl) if ttl < 0 else ttl),
                                cls, args, ttl=ttl))

            # Each public method alone.
            single = {
                "allow.get": call("allow", URL, "GET"),
                "allow.filters": call("allow", URL, "POST", query_filter=QF,
                                      post_filter=PF),
                "allow.filters-positional": call("allow", URL, "POST", QF,
                                                 PF_MULTI),
                "allow.empty-filters": call("allow", URL, "GET",
                                            query_filter={}, post_filter={}),
                "deny.delete": call("deny", URL, "DELETE"),
                "deny.filters": call("deny", URL, "POST", query_filter=QF,
                                     post_filter=PF_MULTI),
                "add_policy.allowed": call("add_policy", URL, "GET", True),
                "add_policy.denied-filters": call(
                    "add_policy", URL, "POST", False, query_filter=QF,
                    post_filter=PF),
                "add_policy.positional": call("add_policy", URL, "PUT", True,
                                              QF, PF),
                "allow_web_sockets.same": call("allow_web_sockets",
                                               args[-1]),
                # the channel_id argument is ignored by the reference
                "allow_web_sockets.other": call("allow_web_sockets",
                                                "WKother"),
                "get_resource_url": call("get_resource_url"),
                "make_policy.not-appended": call("make_policy", URL, "GET"),
                "make_policy.appended": append_make_policy(
                    URL, "POST", False, QF, PF),
                "setup_resource.again": call("setup_resource"),
                "validate_jwt": call("validate_jwt"),
            }
            for m in CONVENIENCE + DEPRECATED + ["allow_activity_updates",
                                                 "allow_reservation_updates"]:
                single[m] = call(m)
            for name, c in sorted(single.items()):
                if not has(c.get("method") or "make_policy"):
                    continue
                out.append(case(p + ".single." + name, cls, args, calls=[c]))

            # Combinations.
            conv = [call(m) for m in CONVENIENCE if has(m)]
            combos = {
                "convenience": conv,
                "convenience-reversed": conv[::-1],
                "allow_updates-twice": [call("allow_updates"),
                                        call("allow_updates")],
                "allow-then-deny-same-url": [call("allow", URL, "GET"),
                                             call("deny", URL, "GET")],
                "mixed": [call("allow_fetch_subresources"),
                          call("deny", URL, "DELETE", post_filter=PF),
                          call("allow_updates"),
                          call("add_policy", URL, "POST", True,
                               query_filter=QF),
                          call("allow_delete_subresources")],
            }
            if has("allow_activity_updates"):
                combos["worker-both"] = [call("allow_activity_updates"),
                                         call("allow_reservation_updates")]
                combos["worker-both-reversed"] = [
                    call("allow_reservation_updates"),
                    call("allow_activity_updates")]
                combos["worker-full"] = [call("allow_activity_updates"),
                                         call("allow_reservation_updates"),
                                         call("allow_fetch_subresources"),
                                         call("allow_updates")]
            if chan == "worker_sid" and all(has(m) for m in DEPRECATED):
                combos["deprecated-doc-order"] = [call(m) for m in DEPRECATED]
                combos["deprecated-reversed"] = [call(m)
                                                 for m in DEPRECATED[::-1]]
                combos["deprecated-then-convenience"] = \
                    [call(m) for m in DEPRECATED] + conv
            for name, calls in sorted(combos.items()):
                out.append(case(p + ".combo." + name, cls, args, calls=calls))
                out.append(case(p + ".combo." + name + ".ttl-600", cls, args,
                                calls=calls, ttl=600))

    # Class / channel mismatches (accepted by the reference's validation).
    mism = [
        ("mismatch.worker-with-wq", "TaskRouterWorkerCapability", "WQ012"),
        ("mismatch.worker-with-ws", "TaskRouterWorkerCapability", "WS456"),
        ("mismatch.taskqueue-with-wk", "TaskRouterTaskQueueCapability",
         "WK789"),
        ("mismatch.taskqueue-with-ws", "TaskRouterTaskQueueCapability",
         "WS456"),
        ("mismatch.trc-ws-other-workspace", "TaskRouterCapability", "WS999"),
    ]
    for name, cls, channel in mism:
        if hasattr(tr, cls):
            out.append(case(name + ".defaults", cls,
                            ["AC123", "secret", "WS456", channel]))
            if callable(getattr(getattr(tr, cls), "allow_activity_updates",
                                None)):
                out.append(case(name + ".worker-both", cls,
                                ["AC123", "secret", "WS456", channel],
                                calls=[call("allow_activity_updates"),
                                       call("allow_reservation_updates")]))

    # Minimal prefixes and odd tails that still validate.
    out.append(case("edge.prefix-only-sids", "TaskRouterCapability",
                    ["AC", "secret", "WS", "WK"]))
    out.append(case("edge.lone-surrogate-channel", "TaskRouterCapability",
                    ["AC123", "secret", "WS456", "WK\ud800x"]))
    for tname, tok in (("empty", ""), ("non-ascii", WEIRD["auth_token"]),
                       ("long", "k" * 200),
                       ("lone-surrogate", "sec\udc80ret")):
        out.append(case("edge.auth_token.%s" % tname, "TaskRouterCapability",
                        ["AC123", tok, "WS456", "WK789"]))

    # Invalid input the reference validates (expected to raise).
    bad = {  # name -> (account_sid, workspace_sid, channel_id)
        "account-none": (None, "WS456", "WK789"),
        "account-wrong-prefix": ("XX123", "WS456", "WK789"),
        "account-lowercase": ("ac123", "WS456", "WK789"),
        "account-empty": ("", "WS456", "WK789"),
        "account-int": (123, "WS456", "WK789"),
        "workspace-none": ("AC123", None, "WK789"),
        "workspace-wrong-prefix": ("AC123", "WK456", "WK789"),
        "workspace-empty": ("AC123", "", "WK789"),
        "channel-none": ("AC123", "WS456", None),
        "channel-wrong-prefix": ("AC123", "WS456", "WA789"),
        "channel-lowercase": ("AC123", "WS456", "wk789"),
        "channel-empty": ("AC123", "WS456", ""),
        "channel-one-char": ("AC123", "WS456", "W"),
    }
    for cls in ("TaskRouterCapability", "TaskRouterWorkerCapability",
                "TaskRouterTaskQueueCapability",
                "TaskRouterWorkspaceCapability"):
        if not hasattr(tr, cls):
            continue
        for name, (acc, ws, ch) in sorted(bad.items()):
            if cls == "TaskRouterWorkspaceCapability":
                if name.startswith("channel"):
                    continue
                a = [acc, "secret", ws]
            else:
                a = [acc, "secret", ws, ch]
            out.append(case("error.%s.%s" % (cls, name), cls, a))
    # (Deprecated worker-only methods on non-worker channels are covered by
    # the "<subject>.short.single.allow_worker_*" cases, which raise.)
    return out


# ---------------------------------------------------------------------------
# Main
# ---------------------------------------------------------------------------

def api_surface(tr, names):
    surface = {}
    for n in names:
        obj = getattr(tr, n, None)
        if obj is None:
            continue
        if inspect.isclass(obj):
            methods = {}
            for m, fn in inspect.getmembers(obj, inspect.isfunction):
                if m.startswith("__"):
                    continue
                try:
                    sig = str(inspect.signature(fn))
                except (TypeError, ValueError):
                    sig = None
                owner = next(k.__name__ for k in obj.__mro__
                             if m in k.__dict__)
                info = {"signature": sig, "defined_in": owner}
                if not fn.__qualname__.startswith(owner + "."):
                    # e.g. the 4.5+/5.x @deprecated wrapper
                    info["wrapper_qualname"] = fn.__qualname__
                methods[m] = info
            surface[n] = {"bases": [b.__name__ for b in obj.__bases__],
                          "ctor_signature": str(inspect.signature(obj)),
                          "methods": methods,
                          "properties": sorted(
                              k for k, v in inspect.getmembers(obj)
                              if isinstance(v, property))}
        elif callable(obj):
            surface[n] = {"signature": str(inspect.signature(obj))}
    return surface


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", required=True, help="output JSON file")
    opts = ap.parse_args()

    twilio, tr, facts = _import_reference()
    _freeze_clock(tr)

    modern = hasattr(tr, "TaskRouterWorkerCapability")
    specs = modern_cases(tr) if modern else legacy_cases()
    ids = [s["id"] for s in specs]
    dupes = sorted({i for i in ids if ids.count(i) > 1})
    if dupes:
        raise SystemExit("duplicate case ids: %r" % dupes)

    cases = sorted((run_case(tr, s) for s in specs), key=lambda r: r["id"])
    n_err = sum(1 for c in cases if c["kind"] == "error")

    doc = {
        "format_version": FORMAT_VERSION,
        "generator": "tests/vectors/generate.py",
        "reference": {"package": "twilio",
                      "version": twilio.__version__,
                      "module": "twilio.task_router"},
        "python": {"implementation": platform.python_implementation(),
                   "version": platform.python_version()},
        "fixed_time": FIXED_TIME,
        "clock_patch": "twilio.task_router.time.time -> fixed_time",
        "import": facts,
        "api": api_surface(tr, ["TaskRouterCapability",
                                "TaskRouterWorkerCapability",
                                "TaskRouterTaskQueueCapability",
                                "TaskRouterWorkspaceCapability",
                                "make_policy"]),
        "constants": {k: getattr(tr, k) for k in sorted(dir(tr))
                      if k.isupper() and isinstance(getattr(tr, k),
                                                     (str, dict, int))},
        "case_count": len(cases),
        "error_case_count": n_err,
        "cases": cases,
    }
    # No sort_keys: filter dicts passed to the reference keep their order,
    # which the payloads carry and a replay must reproduce.
    text = json.dumps(doc, indent=1, ensure_ascii=True)
    with open(opts.out, "w", encoding="ascii", newline="\n") as fh:
        fh.write(text + "\n")
    print("twilio %s: wrote %d cases (%d error) to %s"
          % (twilio.__version__, len(cases), n_err, opts.out))


if __name__ == "__main__":
    main()
