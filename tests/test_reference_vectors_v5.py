"""The 4.5 to 5.7 generation against twilio 4.5.0's and 5.7.0's own tokens.

tests/vectors/twilio-4.5.0.json and twilio-5.7.0.json hold tokens minted by
those releases (tests/vectors/generate.py, time fixed).  We replay every case
(constructor, method calls with their warnings and results, generate_token)
and compare the decoded payload, claim order and policy order included:

- twilio_trcap.task_router_v5 against 5.7.0, every case;
- twilio_trcap.task_router_v4_5 against 4.5.0, every case;
- where the two releases minted the same payload, both modules against
  both files.

Inputs the reference accepted but we refuse on purpose (see
docs/migration.md) are asserted as our documented error, never skipped.
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from conftest import SID_PATTERN, payload_text
from twilio_trcap import task_router_v4_5, task_router_v5

HERE = Path(__file__).parent / "vectors"


def load(version: str) -> dict[str, Any]:
    return json.loads((HERE / f"twilio-{version}.json").read_text(encoding="utf-8"))


VECTORS = {"4.5.0": load("4.5.0"), "5.7.0": load("5.7.0")}
MODULE = {"4.5.0": task_router_v4_5, "5.7.0": task_router_v5}
CASES = {version: {c["id"]: c for c in v["cases"]} for version, v in VECTORS.items()}
SAME = sorted(
    case_id
    for case_id, old in CASES["4.5.0"].items()
    if old["kind"] == CASES["5.7.0"][case_id]["kind"]
    and old.get("payload_json") == CASES["5.7.0"][case_id].get("payload_json")
    and old.get("error") == CASES["5.7.0"][case_id].get("error")
)

# The channel argument's name and accepted prefixes, by class.
CHANNEL = {
    "TaskRouterCapability": ("channel_id", ("WS", "WK", "WQ")),
    "TaskRouterWorkerCapability": ("worker_sid", ("WK",)),
    "TaskRouterTaskQueueCapability": ("channel_id", ("WQ",)),
    "TaskRouterWorkspaceCapability": ("workspace_sid", ("WS",)),
}


def ordered(text: str) -> Any:
    return json.loads(text, object_pairs_hook=list)


def refusal(case: dict[str, Any]) -> tuple[type[Exception], str] | None:
    """The error we raise on purpose, or where the reference raised too."""
    account, key, workspace, *rest = case["ctor_args"]
    channel_name, prefixes = CHANNEL[case["class"]]
    channel = rest[0] if rest else workspace
    for name, value, wanted in (
        ("account_sid", account, ("AC",)),
        ("workspace_sid", workspace, ("WS",)),
        (channel_name, channel, prefixes),
    ):
        if not isinstance(value, str):
            return TypeError, rf"^{name} must be str, not {type(value).__name__}$"
        if value == "":
            return ValueError, rf"^{name} must not be empty$"
        if not value.startswith(wanted):
            return ValueError, rf"^{name} must start with "
        if not SID_PATTERN.fullmatch(value):
            # The sid rule (docs/security.md): the "weird" sids of the
            # vectors would change the policy URLs they are written into.
            return ValueError, rf"^{name} must hold ASCII letters and digits only"
    if channel.startswith("WS") and channel != workspace:
        return ValueError, rf"^{channel_name} is a Workspace sid other than workspace_sid; "
    if key == "":
        return ValueError, "^auth_token must not be empty$"
    if any(0xD800 <= ord(ch) <= 0xDFFF for ch in key):
        return ValueError, "^auth_token contains a lone surrogate"
    for call in case["calls"]:
        if call.get("method", "").startswith(("allow_worker_", "allow_task_reservation")):
            if not channel.startswith("WK"):
                return ValueError, r"applies to a Worker channel \('WK\.\.\.'\) only"
        if call.get("method") == "allow_web_sockets" and call["args"] != [channel]:
            return ValueError, "^allow_web_sockets grants the capability's own channel"
    if case["generate_token_kwargs"].get("ttl", 0) < 0:
        return ValueError, "^ttl must be zero or more seconds"
    return None


def replay(module: ModuleType, case: dict[str, Any], seen: list[tuple[str, str]]) -> str:
    """Our token for `case`; the warnings raised go to `seen`, the results
    returned by the calls are checked against the reference's."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            capability = getattr(module, case["class"])(*case["ctor_args"])
            for call in case["calls"]:
                if call["op"] == "call":
                    result = getattr(capability, call["method"])(*call["args"], **call["kwargs"])
                elif call["op"] == "append_make_policy":
                    result = capability.make_policy(*call["args"], **call["kwargs"])
                    capability.policies.append(result)
                else:
                    raise AssertionError(f"unknown op {call['op']!r} in {case['id']}")
                if "result" in call:
                    assert result == call["result"]
            return str(capability.generate_token(**case["generate_token_kwargs"], now=int(case["now"])))
        finally:
            seen.extend((w.category.__name__, str(w.message)) for w in caught)


def reference_warnings(case: dict[str, Any]) -> list[tuple[str, str]]:
    return [
        (w["category"], w["message"])
        for stage in (case["ctor_warnings"], *(c["warnings"] for c in case["calls"]))
        for w in stage
    ]


def check(module: ModuleType, case: dict[str, Any]) -> None:
    seen: list[tuple[str, str]] = []
    refused = refusal(case)
    if refused is not None:
        error, message = refused
        with pytest.raises(error, match=message):
            replay(module, case, seen)
        if case["kind"] == "error":
            # Where the reference failed too, it warned as we did first.
            assert seen == reference_warnings(case)
        return
    assert case["kind"] == "token", f"the reference failed where we did not: {case['error']}"
    token = replay(module, case, seen)
    assert ordered(payload_text(token)) == ordered(case["payload_json"])
    # The reference's DeprecationWarnings, message for message.
    assert seen == reference_warnings(case)


@pytest.mark.parametrize("version", sorted(VECTORS))
def test_the_vectors_are_the_pinned_releases(version: str) -> None:
    vectors = VECTORS[version]
    assert vectors["reference"] == {
        "module": "twilio.task_router",
        "package": "twilio",
        "version": version,
    }
    assert vectors["fixed_time"] == 1700000000.0
    assert len(vectors["cases"]) == vectors["case_count"] >= 300
    # The reference turned DeprecationWarning on for the whole process at
    # import; we must not (test_generations_v5.py checks that we do not).
    assert ["always", None, "DeprecationWarning", None, 0] in vectors["import"][
        "import_added_warning_filters"
    ]


@pytest.mark.parametrize(
    ("version", "case_id"),
    [(v, case_id) for v in sorted(CASES) for case_id in sorted(CASES[v])],
)
def test_each_release_against_its_module(version: str, case_id: str) -> None:
    check(MODULE[version], CASES[version][case_id])


@pytest.mark.parametrize("case_id", SAME)
@pytest.mark.parametrize("version", sorted(VECTORS))
@pytest.mark.parametrize("module", [task_router_v4_5, task_router_v5], ids=lambda m: m.__name__)
def test_where_the_releases_agree_both_modules_agree(
    module: ModuleType, version: str, case_id: str
) -> None:
    check(module, CASES[version][case_id])


def test_where_the_releases_differ() -> None:
    # Only Worker tokens changed in 5.3: the Worker class, or the general
    # class on a Worker channel.
    differ = sorted(set(CASES["5.7.0"]) - set(SAME))
    assert len(SAME) >= 200 and len(differ) >= 100
    for case_id in differ:
        case = CASES["5.7.0"][case_id]
        channel = (case["ctor_args"] + [""])[3]
        assert case["class"] == "TaskRouterWorkerCapability" or channel.startswith("WK"), case_id
