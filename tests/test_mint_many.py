"""TaskRouterCapability.mint_many: one call, many Workers, the same permissions.

Every token must be the one a capability made for that Worker alone gives
(same permission calls, same time), and PyJWT's re-encoding of itself.
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Iterator

import pytest
from hypothesis import given
from hypothesis import strategies as st

from conftest import ANY_TEXT, non_sid_text, pyjwt_reencode, sid_text
from twilio_trcap import TaskRouterCapability

ACCOUNT, WORKSPACE, KEY = "AC" + "a" * 32, "WS" + "b" * 32, "shift-key"
FLAGS = (
    "allow_worker_fetch_attributes",
    "allow_worker_activity_updates",
    "allow_task_reservation_updates",
)
NOW = 1_700_000_000


def one_by_one(
    sids: list[str], flags: dict[str, bool], ttl: int = 3600, key: str | bytes = KEY, **urls: str
) -> list[str]:
    tokens = []
    for sid in sids:
        capability = TaskRouterCapability(ACCOUNT, key, WORKSPACE, sid, **urls)
        for name in FLAGS:
            if flags.get(name):
                getattr(capability, name)()
        tokens.append(capability.generate_token(ttl, now=NOW))
    return tokens


@pytest.mark.parametrize("chosen", list(itertools.product([False, True], repeat=3)))
def test_equals_one_capability_per_worker(chosen: tuple[bool, bool, bool]) -> None:
    flags = dict(zip(FLAGS, chosen))
    sids = [f"WK{i:032x}" for i in range(25)]
    tokens = TaskRouterCapability.mint_many(ACCOUNT, KEY, WORKSPACE, sids, now=NOW, **flags)
    assert tokens == one_by_one(sids, flags)
    assert tokens[7] == pyjwt_reencode(tokens[7], KEY)


def test_sids_of_changing_lengths_in_one_batch() -> None:
    # The core lays a batch's payload out once per sid length and patches
    # each sid into it while the length stays the same: runs of equal
    # lengths, changes back and forth, and a single short sid between long
    # ones must each give the token a capability of its own gives.
    lengths = [34, 34, 34, 5, 5, 34, 3, 34, 34, 4, 60, 60, 34]
    sids = [("WK" + f"{i:x}" * 60)[:n] for i, n in enumerate(lengths)]
    flags = dict.fromkeys(FLAGS, True)
    tokens = TaskRouterCapability.mint_many(ACCOUNT, KEY, WORKSPACE, sids, now=NOW, **flags)
    assert tokens == one_by_one(sids, flags)


@given(
    sids=st.lists(sid_text("WK"), max_size=12),
    ttl=st.integers(min_value=0, max_value=10**8),
    key=st.one_of(st.binary(min_size=1, max_size=90), st.text(st.characters(exclude_categories=["Cs"]), min_size=1)),
    chosen=st.tuples(st.booleans(), st.booleans(), st.booleans()),
    version=ANY_TEXT,
    base_url=ANY_TEXT,
    base_ws_url=ANY_TEXT,
)
def test_any_text_equals_one_by_one(
    sids: list[str],
    ttl: int,
    key: str | bytes,
    chosen: tuple[bool, bool, bool],
    version: str,
    base_url: str,
    base_ws_url: str,
) -> None:
    # URLs and versions with quotes, controls, non-ASCII and lone
    # surrogates: each token is escaped exactly as a capability of its own
    # escapes it.
    flags = dict(zip(FLAGS, chosen))
    urls = {"version": version, "base_url": base_url, "base_ws_url": base_ws_url}
    tokens = TaskRouterCapability.mint_many(
        ACCOUNT, key, WORKSPACE, sids, ttl=ttl, now=NOW, **flags, **urls
    )
    assert tokens == one_by_one(sids, flags, ttl, key, **urls)


@given(
    good=st.lists(sid_text("WK"), max_size=4), bad=non_sid_text("WK"), data=st.data()
)
def test_a_sid_that_is_not_letters_and_digits_is_refused_by_index(
    good: list[str], bad: str, data: st.DataObject
) -> None:
    # The sid rule of docs/security.md: each sid is written into policy URLs.
    at = data.draw(st.integers(0, len(good)))
    sids = [*good[:at], bad, *good[at:]]
    with pytest.raises(ValueError, match=rf"^worker_sids\[{at}\] must hold ASCII letters"):
        TaskRouterCapability.mint_many(ACCOUNT, KEY, WORKSPACE, sids, now=NOW)


def test_any_iterable_and_the_empty_list() -> None:
    def sids() -> Iterator[str]:
        yield "WK1"
        yield "WK2"

    assert TaskRouterCapability.mint_many(ACCOUNT, KEY, WORKSPACE, sids(), now=NOW) == one_by_one(
        ["WK1", "WK2"], {}
    )
    assert TaskRouterCapability.mint_many(ACCOUNT, KEY, WORKSPACE, [], now=NOW) == []


def test_clock_read_once() -> None:
    tokens = TaskRouterCapability.mint_many(ACCOUNT, KEY, WORKSPACE, ["WK1"] * 50)
    assert len(set(tokens)) == 1


def test_threads_minting_shifts_at_once() -> None:
    # The GIL is released while the tokens are signed: threads minting their
    # own lists at once must still each get exactly their own tokens.
    shifts = [[f"WK{t}x{i}" for i in range(300)] for t in range(4)]
    flags = dict.fromkeys(FLAGS, True)
    results: dict[int, list[str]] = {}
    barrier = threading.Barrier(len(shifts))

    def work(t: int) -> None:
        barrier.wait()
        for _ in range(5):
            results[t] = TaskRouterCapability.mint_many(
                ACCOUNT, KEY, WORKSPACE, shifts[t], now=NOW, **flags
            )

    threads = [threading.Thread(target=work, args=(t,)) for t in range(len(shifts))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for t, shift in enumerate(shifts):
        assert results[t] == one_by_one(shift, flags)


@pytest.mark.parametrize(
    ("kwargs", "error", "pattern"),
    [
        ({"worker_sids": "WK1"}, TypeError, "^worker_sids must be an iterable of str, not str$"),
        ({"worker_sids": b"WK1"}, TypeError, "^worker_sids must be an iterable of str, not bytes$"),
        ({"worker_sids": 7}, TypeError, "^worker_sids must be an iterable of str, not int$"),
        ({"worker_sids": None}, TypeError, "^worker_sids must be an iterable of str, not NoneType$"),
        ({"worker_sids": ["WK1", 2]}, TypeError, r"^worker_sids\[1\] must be str, not int$"),
        ({"worker_sids": ["WK1", b"WK2"]}, TypeError, r"^worker_sids\[1\] must be str, not bytes$"),
        ({"worker_sids": ["WK1", "WK2", ""]}, ValueError, r"^worker_sids\[2\] must not be empty$"),
        ({"allow_worker_fetch_attributes": 1}, TypeError, "^allow_worker_fetch_attributes must be bool, not int$"),
        ({"allow_task_reservation_updates": None}, TypeError, "^allow_task_reservation_updates must be bool"),
        ({"ttl": -1}, ValueError, "^ttl must be zero or more seconds, not -1$"),
        ({"ttl": True}, TypeError, "^ttl must be an int, not bool$"),
        ({"ttl": 1.5}, TypeError, "^ttl must be an int, not float$"),
        ({"now": "x"}, TypeError, "^now must be an int"),
        ({"now": 2**63}, OverflowError, r"^now \(9223372036854775808\) does not fit"),
        ({"now": 2**63 - 1}, OverflowError, "^exp"),
        ({"account_sid": ""}, ValueError, "^account_sid must not be empty$"),
        ({"account_sid": 5}, TypeError, "^account_sid must be str, not int$"),
        ({"workspace_sid": None}, TypeError, "^workspace_sid must be str, not NoneType$"),
        ({"version": ""}, ValueError, "^version must not be empty$"),
        ({"base_url": 1}, TypeError, "^base_url must be str, not int$"),
        ({"base_ws_url": ""}, ValueError, "^base_ws_url must not be empty$"),
        ({"auth_token": ""}, ValueError, "^auth_token must not be empty$"),
        ({"auth_token": 3}, TypeError, "^auth_token must be str, bytes or Key, not int$"),
        ({"auth_token": "k\ud800"}, ValueError, "^auth_token contains a lone surrogate"),
    ],
)
def test_bad_input(kwargs: dict[str, object], error: type[Exception], pattern: str) -> None:
    args: dict[str, object] = {
        "account_sid": ACCOUNT,
        "auth_token": KEY,
        "workspace_sid": WORKSPACE,
        "worker_sids": ["WK1"],
    }
    args.update(kwargs)
    with pytest.raises(error, match=pattern) as info:
        TaskRouterCapability.mint_many(**args)  # type: ignore[arg-type]
    # One clean error, not one raised while handling the core's.
    assert info.value.__context__ is None or info.value.__suppress_context__


@pytest.mark.parametrize(
    "args",
    [(None, "k", "WS1", "WK1"), ("AC1", "", "WS1", "WK1"), ("AC1", "k", "WS1", "")],
)
def test_constructor_errors_are_clean(args: tuple[object, ...]) -> None:
    with pytest.raises((TypeError, ValueError)) as info:
        TaskRouterCapability(*args)  # type: ignore[arg-type]
    assert info.value.__context__ is None


def test_positional_flags_are_refused() -> None:
    with pytest.raises(TypeError):
        TaskRouterCapability.mint_many(ACCOUNT, KEY, WORKSPACE, ["WK1"], True)  # type: ignore[misc]


def test_mint_many_under_python_bb() -> None:
    # python -bb makes comparing bytes with str an error: filling the
    # layout's holes must not compare a text item with a hole's name.
    import subprocess
    import sys

    code = (
        "from twilio_trcap import TaskRouterCapability as T\n"
        "tokens = T.mint_many('AC1', 'k' * 32, 'WS1', ['WK1', 'WK2'], now=0,\n"
        "                     allow_worker_fetch_attributes=True)\n"
        "assert len(tokens) == 2 and tokens[0] != tokens[1]\n"
    )
    done = subprocess.run([sys.executable, "-bb", "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
