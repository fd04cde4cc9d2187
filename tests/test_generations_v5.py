"""The 4.5 to 5.7 generation beyond the vectors: deprecation warnings
without the reference's process-wide filter, and the documented
differences from the twilio 4.0 class for a Worker sid."""

from __future__ import annotations

import json
import subprocess
import tempfile
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

from conftest import payload_pairs
from twilio_trcap import TaskRouterCapability, task_router_v4_5, task_router_v5

VECTORS = Path(__file__).parent / "vectors"


def case(version: str, case_id: str) -> dict[str, Any]:
    cases = json.loads((VECTORS / f"twilio-{version}.json").read_text(encoding="utf-8"))["cases"]
    return next(c for c in cases if c["id"] == case_id)


def test_importing_changes_no_warning_filter() -> None:
    # twilio 4.5 to 5.7 ran warnings.simplefilter('always', DeprecationWarning)
    # at import; a fresh interpreter shows that we do not.
    code = textwrap.dedent(
        """
        import warnings
        before = list(warnings.filters)
        import twilio_trcap.task_router_v4_5, twilio_trcap.task_router_v5
        import twilio_trcap.jwt.taskrouter.capabilities, twilio_trcap.jwt.access_token.grants
        assert warnings.filters == before, warnings.filters
        print("ok")
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        # Not the checkout, whose twilio_trcap/ lacks the compiled core
        # unless the install was editable.
        cwd=tempfile.gettempdir(),
    )
    assert (result.returncode, result.stdout, result.stderr) == (0, "ok\n", "")


@pytest.mark.parametrize("module", [task_router_v4_5, task_router_v5], ids=lambda m: m.__name__)
@pytest.mark.parametrize(
    "method",
    ["allow_worker_fetch_attributes", "allow_worker_activity_updates", "allow_task_reservation_updates"],
)
def test_deprecated_methods_warn_at_the_caller(module: Any, method: str) -> None:
    capability = module.TaskRouterWorkerCapability("AC1", "key", "WS1", "WK1")
    with pytest.warns(DeprecationWarning, match=rf"^Call to deprecated function {method}\.$") as caught:
        getattr(capability, method)()
    assert [w.filename for w in caught] == [__file__]
    queue = module.TaskRouterTaskQueueCapability("AC1", "key", "WS1", "WQ1")
    with pytest.warns(DeprecationWarning), pytest.raises(ValueError, match="Worker channel"):
        getattr(queue, method)()


def test_the_4_0_class_and_the_5_x_class_differ_for_a_worker_sid() -> None:
    # What docs/migration.md says, read from the two releases' own tokens:
    # the same four arguments and calls, other claims order, other defaults.
    old = case("4.0.0", "legacy.short.methods.3.fetch+activity+reservation")
    new = case("5.7.0", "trc-wk.short.combo.deprecated-doc-order")
    assert old["ctor_args"] == new["ctor_args"] == ["AC123", "secret", "WS456", "WK789"]
    assert [c["method"] for c in old["calls"]] == [c["method"] for c in new["calls"]]
    old_claims = json.loads(old["payload_json"], object_pairs_hook=list)
    new_claims = json.loads(new["payload_json"], object_pairs_hook=list)
    assert [k for k, _ in old_claims] == [
        "version", "friendly_name", "policies", "iss", "exp",
        "account_sid", "channel", "worker_sid", "workspace_sid",
    ]  # fmt: skip
    assert [k for k, _ in new_claims] == [
        "iss", "exp", "version", "friendly_name", "policies",
        "account_sid", "workspace_sid", "channel", "worker_sid",
    ]  # fmt: skip
    api = "https://taskrouter.twilio.com/v1/Workspaces/WS456"

    def policies(vector: dict[str, Any]) -> list[tuple[str, str, str]]:
        return [
            (p["method"], p["url"], json.dumps(p["post_filter"]))
            for p in json.loads(vector["payload_json"])["policies"]
        ]

    assert len(policies(old)) == 3 + 3 and len(policies(new)) == 6 + 3
    # 5.x adds by default GET on every Task, on the Worker's Reservations and
    # on the Worker; its allow_task_reservation_updates drops the filter.
    assert set(policies(new)) - set(policies(old)) == {
        ("GET", f"{api}/Tasks/**", "{}"),
        ("GET", f"{api}/Workers/WK789/Reservations/**", "{}"),
        ("POST", f"{api}/Tasks/**", "{}"),
    }
    assert set(policies(old)) - set(policies(new)) == {
        ("POST", f"{api}/Tasks/**", '{"ReservationStatus": {"required": true}}'),
    }
    assert policies(new).count(("GET", f"{api}/Workers/WK789", "{}")) == 2
    # And our two classes mint exactly those two payloads.
    seed = TaskRouterCapability(*old["ctor_args"])
    general = task_router_v5.TaskRouterCapability(*new["ctor_args"])
    for method in ("allow_worker_fetch_attributes", "allow_worker_activity_updates",
                   "allow_task_reservation_updates"):  # fmt: skip
        getattr(seed, method)()
        with pytest.warns(DeprecationWarning):
            getattr(general, method)()
    now = int(old["now"])
    assert payload_pairs(seed.generate_token(now=now)) == old_claims
    assert payload_pairs(general.generate_token(now=now)) == new_claims


def test_v5_urls_and_attributes() -> None:
    # The repr of every class: test_every_class.py.
    capability = task_router_v5.TaskRouterWorkerCapability("AC1", "key", "WS1", "WK1")
    assert capability.get_resource_url() == capability.resource_url == (
        "https://taskrouter.twilio.com/v1/Workspaces/WS1/Workers/WK1"
    )
    assert capability.worker_reservations_url == capability.resource_url + "/Reservations/**"
    assert capability.channel_prefix == "WK"
    assert task_router_v4_5.TASK_ROUTER_BASE_EVENTS_URL == (
        "https://event-bridge.twilio.com/v1/wschannels"
    )
    with pytest.raises(AttributeError):
        capability.channel_id = "WK2"  # type: ignore[misc]

