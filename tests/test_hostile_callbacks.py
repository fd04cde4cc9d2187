"""Hostile callbacks against the C core: Python code run in the middle of a
core call (a str subclass's __eq__ or __repr__, a dict subclass's items(),
a list subclass's __iter__, a finalizer run by a collection that an
allocation started) must never free what the core is still using
(docs/design.md, "Borrowed references").

The memory-safety cases run in a child interpreter: a crash must fail one
test, not end the run, and gc thresholds are process-wide.  The child's
freed memory is made visible: under AddressSanitizer (.ci/run preloads it)
the child allocates with plain malloc, so ASan reports a use after free;
otherwise CPython's debug allocator fills freed memory with 0xDD, so a use
crashes.  Each child also reports whether its trap was sprung, so that a
test cannot pass because the hazard was never reached.
"""

from __future__ import annotations

import gc
import json
import os
import subprocess
import sys
import textwrap
import weakref
from collections import OrderedDict
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from twilio.jwt.access_token import AccessToken as TheirAccessToken
from twilio.jwt.access_token import AccessTokenGrant as TheirGrant

from conftest import core_minter, core_sign
from twilio_trcap import _core, decode_token
from twilio_trcap.check import explain
from twilio_trcap.errors import UnsupportedAlgorithmError
from twilio_trcap.jwt.access_token import AccessToken, AccessTokenGrant
from twilio_trcap.policy import Policy, PolicyList

# On 3.11 an allocation of a container can run the collector; from 3.12
# collections wait for the interpreter loop, so a C call that runs no
# Python code is never interrupted by a finalizer.
ALLOCATION_COLLECTS = sys.version_info < (3, 12)


def run_child(code: str) -> list[str]:
    """Runs `code` in a child interpreter with freed memory made visible;
    its stdout lines.  Fails with the child's stderr if it crashed."""
    env = dict(os.environ)
    asan = "libasan" in env.get("LD_PRELOAD", "")
    env["PYTHONMALLOC"] = "malloc" if asan else "debug"
    result = subprocess.run(
        [sys.executable, "-c", PRELUDE + textwrap.dedent(code)],
        capture_output=True, text=True, timeout=600, env=env,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-4000:]
    return result.stdout.splitlines()


# What every child starts with: tokens from JSON text, and a trap that runs
# `action` from a finalizer at the first collection where it succeeds.
PRELUDE = textwrap.dedent(
    '''
    import base64, gc, sys
    from twilio_trcap import _core

    def b64(text):
        return base64.urlsafe_b64encode(text.encode()).rstrip(b"=").decode()

    def token_of(payload, header='{"alg":"HS256","typ":"JWT"}'):
        return b64(header) + "." + b64(payload) + "." + "A" * 43

    sprung = []

    def find(predicate):
        for o in gc.get_objects():
            if predicate(o):
                return o
        return None

    def flush_freelists():
        # Fills CPython's free lists: lists and dicts freed next go back to
        # the allocator, where a use after free is seen.
        junk = [[] for _ in range(300)] + [{} for _ in range(300)]
        del junk

    def trap(action, tries=0):
        class Finalizer:
            def __del__(self):
                if sprung or tries > 5000:
                    return
                if action():
                    sprung.append(True)
                else:
                    trap(action, tries + 1)
        f = Finalizer()
        f.cycle = f  # cyclic garbage: freed by the collector, finalizer run

    def armed(call):
        gc.collect()
        gc.set_threshold(1)
        try:
            return call()
        finally:
            gc.set_threshold(700)
    '''
)


# -- finding 1: the decoder's header check ------------------------------------

def test_algorithms_are_compared_by_value_and_the_header_survives_an_eq() -> None:
    # A str subclass's __eq__ used to be called while `alg` was borrowed
    # from the header; clearing the header (found through gc) freed it.
    out = run_child(
        """
        from twilio_trcap import decode_token
        # A nested container makes the header tracked by gc, so findable.
        token = token_of('{"n":1}', '{"alg":"HS256","typ":"JWT","x5":[]}')
        calls = []

        class Hostile(str):
            def __eq__(self, other):
                calls.append(1)
                header = find(lambda o: type(o) is dict and "x5" in o)
                if header is not None:
                    header.clear()
                    sprung.append(True)
                return False

            __hash__ = str.__hash__

        decoded = decode_token(token, None, algorithms=[Hostile("HS256")])
        print(decoded.header["alg"], decoded.payload, len(calls))
        """
    )
    # Accepted by value, without calling the subclass's __eq__ at all.
    assert out == ["HS256 {'n': 1} 0"]


def test_a_refused_algorithm_is_named_after_a_repr_that_clears_the_header() -> None:
    # The error message formats repr(algorithms), which can run a str
    # subclass's __repr__: `alg` must still be alive when it is named.
    out = run_child(
        """
        token = token_of('{"n":1}', '{"alg":"HS256","typ":"JWT","x5":[]}')

        class Hostile(str):
            def __eq__(self, other):
                return self.clear_header() or False

            def __repr__(self):
                self.clear_header()
                return "Hostile()"

            def clear_header(self):
                header = find(lambda o: type(o) is dict and "x5" in o)
                if header is not None:
                    flush_freelists()
                    header.clear()
                    sprung.append(True)

            __hash__ = str.__hash__

        try:
            _core.decode_jws(token, None, (Hostile("RS256"),))
        except Exception as e:
            print(type(e).__name__, e, bool(sprung))
        """
    )
    assert out == [
        "UnsupportedAlgorithmError the token's algorithm 'HS256' is not among the "
        "algorithms allowed (Hostile(),) True"
    ]


def test_algorithms_that_are_not_str_never_match() -> None:
    token = core_sign(b"k" * 32, b'{"n":1}')
    with pytest.raises(UnsupportedAlgorithmError, match="not among the algorithms allowed"):
        _core.decode_jws(token, None, (b"HS256", 256, None))
    assert decode_token(token, None, algorithms=["RS256", "HS256"]).payload == {"n": 1}


# -- finding 2: the JSON builder on 3.11 --------------------------------------

BUILDER_CASES = {
    # The root is cleared while a list inside it is open.
    "root cleared, list open": (
        '{"m4rk3r":1,"a":[' + ",".join(f"[{i}]" for i in range(60)) + "]}",
        'lambda o: type(o) is dict and "m4rk3r" in o and o.get("a")',
        "o.clear()",
    ),
    # The root is cleared while a dict inside it is open.
    "root cleared, dict open": (
        '{"m4rk3r":1,"d":{' + ",".join(f'"k{i}":[{i}]' for i in range(60)) + "}}",
        'lambda o: type(o) is dict and "m4rk3r" in o and o.get("d")',
        "o.clear()",
    ),
    # An open list is emptied and dropped from its parent, deep inside.
    "inner list dropped": (
        '{"m4rk3r":[[' + ",".join(f"[{i}]" for i in range(60)) + "]]}",
        'lambda o: type(o) is dict and "m4rk3r" in o and o["m4rk3r"] and o["m4rk3r"][0]',
        'o["m4rk3r"].clear()',
    ),
    # The header is cleared while it is built.
    "header cleared": (
        None,
        'lambda o: type(o) is dict and "m4rk3r" in o and o.get("a")',
        "o.clear()",
    ),
}


@pytest.mark.parametrize("case", sorted(BUILDER_CASES))
def test_a_finalizer_that_clears_the_half_built_document(case: str) -> None:
    # The builder held its open containers as borrowed pointers; on 3.11 a
    # container's allocation runs the collector, whose finalizer here finds
    # the half-built document and frees what the builder still pointed to.
    payload, predicate, action = BUILDER_CASES[case]
    if payload is None:  # the header holds the nesting
        header = '{"alg":"HS256","typ":"JWT","m4rk3r":1,"a":[' + ",".join(
            f"[{i}]" for i in range(60)
        ) + "]}"
        token_expr = f"token_of('{{\"n\":1}}', {header!r})"
    else:
        token_expr = f"token_of({payload!r})"
    out = run_child(
        f"""
        token = {token_expr}
        predicate = {predicate}

        def action():
            o = find(predicate)
            if o is None:
                return False
            flush_freelists()
            {action}
            return True

        trap(action)
        try:
            armed(lambda: _core.decode_jws(token, None, ("HS256",)))
            print("decoded", bool(sprung))
        except Exception as e:  # a header emptied under the check: no alg
            print(type(e).__name__, bool(sprung))
        """
    )
    assert len(out) == 1 and out[0].split()[0] in {"decoded", "UnsupportedAlgorithmError"}
    if ALLOCATION_COLLECTS:
        assert out[0].endswith("True"), "the finalizer never ran mid-decode"


def test_a_finalizer_cannot_make_the_decoder_read_freed_keys() -> None:
    # Many members, a finalizer emptying the root at each collection it
    # sees: the builder's key and memo of names stay its own.
    out = run_child(
        """
        payload = "{" + ",".join(f'"k{i}":[{{"k{i}":{i}}}]' for i in range(80)) + "}"
        token = token_of(payload)
        count = []

        def action():
            o = find(lambda o: type(o) is dict and "k0" in o and isinstance(o["k0"], list))
            if o is not None:
                flush_freelists()
                o.clear()
                count.append(1)
            return len(count) > 20

        trap(action)
        claims = armed(lambda: _core.decode_jws(token, None, ("HS256",)))[1]
        print(len(count) > 0, all(k.startswith("k") for k in claims))
        """
    )
    assert out[0].split()[1] == "True"
    if ALLOCATION_COLLECTS:
        assert out[0].split()[0] == "True"


# -- the Minter and Template: what the core checked is what it keeps ----------

def test_minter_create_keeps_the_tuple_it_checked_not_what_iter_gives() -> None:
    # policies was checked item by item, then copied with list(), which
    # calls a tuple subclass's __iter__: a str came out and was read as a
    # Template (an out-of-bounds read, a crash).
    out = run_child(
        """
        class Liar(tuple):
            def __iter__(self):
                sprung.append(True)
                return iter(["x" * 10000])

        layout = _core.Template((b"{", "policies", "tail", b"}"))
        m = _core.Minter.create(_core.Key.prepare(b"k" * 32, "key"), ("a",), layout, Liar((b'"p":1',)))
        print(m.policies(), m.mint().count("."))
        """
    )
    assert out == ["[b'\"p\":1'] 2"]


def test_a_template_keeps_no_tuple_subclass() -> None:
    # A tuple subclass's __dict__ could hold the Template itself: a cycle
    # through an object the collector does not track, never freed.
    class Items(tuple):  # type: ignore[type-arg]
        pass

    class Canary:
        pass

    items = Items((b'{"a":', 0, b"}"))
    canary = Canary()
    seen = weakref.ref(canary)
    template = _core.Template(items)
    items.__dict__["canary"] = canary
    items.__dict__["template"] = template
    assert type(template.items) is tuple and template.items == (b'{"a":', 0, b"}")
    del items, canary, template
    gc.collect()
    assert seen() is None


# -- finding 6: JSON as json.dumps writes it, for subclasses too --------------

SEPARATORS = (",", ":")


def dumps(value: Any) -> bytes:
    return json.dumps(value, separators=SEPARATORS).encode()


class ReversedItems(dict):  # type: ignore[type-arg]
    """json.dumps reads a dict subclass through items()."""

    def items(self) -> Any:
        return list(reversed(list(super().items())))


class ReversedKeys(dict):  # type: ignore[type-arg]
    """keys() and __iter__ are not what json.dumps reads."""

    def keys(self) -> Any:
        return list(reversed(list(super().keys())))

    def __iter__(self) -> Any:
        return iter(self.keys())


class ItemsIterator(dict):  # type: ignore[type-arg]
    """items() may give any iterable of pairs."""

    def items(self) -> Any:
        return iter(sorted(super().items()))


class ReversedList(list):  # type: ignore[type-arg]
    """json.dumps reads a list subclass through __iter__."""

    def __iter__(self) -> Any:
        return iter(list(reversed(list(super().__iter__()))))


class ReversedTuple(tuple):  # type: ignore[type-arg]
    def __iter__(self) -> Any:
        return iter(list(reversed(list(super().__iter__()))))


def reordered(pairs: dict[str, Any], moves: list[int]) -> OrderedDict[str, Any]:
    od = OrderedDict(pairs)
    keys = list(pairs)
    for m in moves:
        if keys:
            od.move_to_end(keys[m % len(keys)], last=m % 2 == 0)
    return od


def make_dict(drawn: tuple[dict[str, Any], str, list[int]]) -> Any:
    pairs, kind, moves = drawn
    if kind == "ordered":
        return reordered(pairs, moves)
    return {"dict": dict, "items": ReversedItems, "keys": ReversedKeys,
            "iter": ItemsIterator}[kind](pairs)  # fmt: skip


def make_list(drawn: tuple[list[Any], str]) -> Any:
    items, kind = drawn
    return {"list": list, "tuple": tuple, "rlist": ReversedList, "rtuple": ReversedTuple}[kind](
        items
    )


json_leaves = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text()
)
json_trees = st.recursive(
    json_leaves,
    lambda children: st.tuples(
        st.dictionaries(st.text(max_size=8), children, max_size=5),
        st.sampled_from(["dict", "ordered", "items", "keys", "iter"]),
        st.lists(st.integers(0, 20), max_size=6),
    ).map(make_dict)
    | st.tuples(
        st.lists(children, max_size=5), st.sampled_from(["list", "tuple", "rlist", "rtuple"])
    ).map(make_list),
    max_leaves=25,
)


@given(json_trees)
def test_json_value_is_json_dumps_for_subclasses(value: Any) -> None:
    assert _core.json_value(value, "value") == dumps(value)


@given(st.dictionaries(st.text(max_size=8), json_leaves, min_size=1, max_size=8),
       st.lists(st.integers(0, 20), min_size=1, max_size=8))  # fmt: skip
def test_a_reordered_ordered_dict_filter_is_written_in_its_order(
    pairs: dict[str, Any], moves: list[int]
) -> None:
    od = reordered(pairs, moves)
    written = _core.policy_json("https://x", "GET", True, od, None)
    assert written.endswith(b',"query_filter":' + dumps(od) + b',"post_filter":{}}')
    assert Policy("https://x", "GET", query_filter=od).to_json() == written


class ReorderedGrant(AccessTokenGrant):
    """A grant of one's own whose payload is an OrderedDict moved around."""

    key = "chat"

    def to_payload(self) -> Any:
        od = OrderedDict(service_sid="IS1", endpoint_id="e1", push="CR1")
        od.move_to_end("service_sid")
        od["nested"] = OrderedDict(b=1, a=2)
        od["nested"].move_to_end("b")
        return od


class TheirReorderedGrant(TheirGrant):  # type: ignore[misc]
    key = "chat"

    def to_payload(self) -> Any:
        return ReorderedGrant().to_payload()


def test_an_access_token_with_a_reordered_grant_is_twilios(frozen_twilio: int) -> None:
    account, key_sid, secret = "AC" + "a" * 32, "SK" + "b" * 32, "s" * 32
    ours = AccessToken(account, key_sid, secret, [ReorderedGrant()], "bob")
    theirs = TheirAccessToken(account, key_sid, secret, grants=[TheirReorderedGrant()],
                              identity="bob")  # fmt: skip
    assert ours.to_jwt(now=frozen_twilio) == theirs.to_jwt()


def test_what_json_dumps_does_with_odd_subclasses_is_what_we_do() -> None:
    class StorageEmpty(dict):  # type: ignore[type-arg]
        def items(self) -> Any:
            return [("x", 1)]

    class Unrelated(list):  # type: ignore[type-arg]
        def __iter__(self) -> Any:
            return iter([9])

    for value in (StorageEmpty(), StorageEmpty(a=1), Unrelated(), Unrelated([1, 2]),
                  {"k": StorageEmpty(z=0)}):  # fmt: skip
        assert _core.json_value(value, "v") == dumps(value)

    class NotPairs(dict):  # type: ignore[type-arg]
        def items(self) -> Any:
            return [["a", 1]]

    with pytest.raises(ValueError, match="2-tuples"):
        dumps(NotPairs(a=1))
    with pytest.raises(ValueError, match=r"v: items\(\) of a NotPairs must give 2-tuples"):
        _core.json_value(NotPairs(a=1), "v")


# -- hostile subclasses while JSON is written ---------------------------------

def test_items_that_grow_the_dict_being_written() -> None:
    outer: dict[str, Any] = {}

    class Grows(dict):  # type: ignore[type-arg]
        def items(self) -> Any:
            outer[f"new{len(outer)}"] = 1
            return [("q", 1)]

    outer["a"] = Grows(z=1)
    outer["b"] = 1
    with pytest.raises(RuntimeError, match="v: a dict changed size while it was written"):
        _core.json_value(outer, "v")


def test_items_that_empty_the_dict_being_written_frees_nothing_in_use() -> None:
    out = run_child(
        """
        outer = {}

        class Empties(dict):
            def items(self):
                outer.clear()  # frees the value being written, but for our reference
                sprung.append(True)
                return [("q", "x" * 100)]

        outer["a"] = [Empties(z=1), "y" * 100]
        outer["b"] = "w" * 100
        try:
            _core.json_value(outer, "v")
        except RuntimeError as e:
            print(e)
        """
    )
    assert out == ["v: a dict changed size while it was written"]


def make_shared_items() -> Any:
    # items() gives a list it keeps; a later value's items() empties it.
    kept: list[Any] = []

    class Keeps(dict):  # type: ignore[type-arg]
        def items(self) -> Any:
            kept[:] = [("a", Empties(z=1)), ("b", "x" * 50), ("c", [1, 2, 3])]
            return kept

    class Empties(dict):  # type: ignore[type-arg]
        def items(self) -> Any:
            kept.clear()
            return [("e", 1)]

    class Appends(list):  # type: ignore[type-arg]
        def __iter__(self) -> Any:
            outer_list.append("late")
            return iter(["i"])

    outer_list: list[Any] = [Keeps(k=1), Appends([0]), 5]
    return outer_list


def test_kept_items_and_a_growing_list_are_written_as_json_dumps_writes_them() -> None:
    assert _core.json_value(make_shared_items(), "v") == dumps(make_shared_items())
    assert dumps(make_shared_items()) == b'[{"a":{"e":1}},["i"],5,"late"]'


def test_a_finalizer_that_clears_a_list_being_written() -> None:
    # A dict subclass inside makes the writer allocate containers (items()),
    # which on 3.11 can run a finalizer that empties the list it is in.
    out = run_child(
        """
        from collections import OrderedDict
        doc = {"m4rk3r": [OrderedDict(a=[i], b="x" * 40) for i in range(80)]}

        def action():
            lst = doc["m4rk3r"]
            if not lst:
                return False
            flush_freelists()
            lst.clear()
            return True

        trap(action)
        try:
            print(len(armed(lambda: _core.json_value(doc, "v"))) > 0, bool(sprung))
        except RuntimeError as e:
            print(e, bool(sprung))
        """
    )
    assert out[0].split()[0] == "True"
    if ALLOCATION_COLLECTS:
        assert out[0].endswith("True")


def test_hostile_filters_through_policy_json_do_not_crash() -> None:
    class Shrinks(dict):  # type: ignore[type-arg]
        def items(self) -> Any:
            self.clear()
            return [("Apple", {"required": True})]

    written = _core.policy_json("https://x", "GET", True, Shrinks(a=1), None)
    assert b'"query_filter":{"Apple":{"required":true}}' in written


# -- finding 12: PolicyList renders once per operation ------------------------

class CountingStore:
    """A PolicyList store that counts the policies it renders."""

    def __init__(self, n: int) -> None:
        self._minter = core_minter(b"k" * 32)
        for i in range(n):
            self._minter.add_policy(
                Policy(f"https://taskrouter.twilio.com/v1/Workspaces/WS1/Tasks/WT{i}", "GET").to_json()
            )
        self.rendered = 0

    def policies(self) -> list[bytes]:
        fragments = self._minter.policies()
        self.rendered += len(fragments)
        return fragments

    def set_policies(self, fragments: Any) -> None:
        self._minter.set_policies(fragments)

    def add_policy(self, fragment: bytes) -> None:
        self._minter.add_policy(fragment)


N = 300


@pytest.mark.parametrize(
    "operation",
    [
        lambda pl: list(pl),
        lambda pl: list(reversed(pl)),
        lambda pl: pl[N - 1] in pl,
        lambda pl: pl.index(pl[N - 1]),
        lambda pl: pl.count(pl[0]),
        lambda pl: pl == list(pl),
        lambda pl: repr(pl),
        lambda pl: pl.reverse(),
        lambda pl: pl.clear(),
        lambda pl: pl.remove(pl[N - 1]),
        lambda pl: explain(pl, "GET", "https://taskrouter.twilio.com/v1/Workspaces/WS1/Tasks/WT9"),
    ],
    ids=["list", "reversed", "in", "index", "count", "eq", "repr", "reverse", "clear",
         "remove", "explain"],  # fmt: skip
)
def test_policy_list_operations_render_each_policy_a_few_times(operation: Any) -> None:
    store = CountingStore(N)
    operation(PolicyList(store))
    assert store.rendered <= 4 * N


def test_policy_list_iteration_is_a_snapshot() -> None:
    store = CountingStore(3)
    pl = PolicyList(store)
    seen = []
    for policy in pl:
        pl.append(policy)  # a live iteration would never end
        seen.append(policy.url)
        if len(seen) > 10:
            break
    assert len(seen) == 3 and len(pl) == 6
    assert [p.url for p in reversed(pl)] == [p.url for p in list(pl)[::-1]]
    assert pl.index(pl[4], 2) == 4
    with pytest.raises(ValueError):
        pl.index(pl[0], 1, 3)


# -- dunders the core must not call -------------------------------------------

class Tripwire:
    """Dunders that fail the test if the core calls them."""

    calls: list[str] = []

    def _trip(self, name: str) -> Any:
        Tripwire.calls.append(name)
        raise AssertionError(f"the core called {name}")


class HostileStr(str):
    def __str__(self) -> str:
        return Tripwire()._trip("__str__")  # type: ignore[no-any-return]

    def __repr__(self) -> str:
        return Tripwire()._trip("__repr__")  # type: ignore[no-any-return]

    def __hash__(self) -> int:
        return Tripwire()._trip("__hash__")  # type: ignore[no-any-return]

    def __eq__(self, other: object) -> bool:
        return Tripwire()._trip("__eq__")  # type: ignore[no-any-return]


class HostileInt(int):
    def __index__(self) -> int:
        return Tripwire()._trip("__index__")  # type: ignore[no-any-return]

    def __int__(self) -> int:
        return Tripwire()._trip("__int__")  # type: ignore[no-any-return]

    def __repr__(self) -> str:
        return Tripwire()._trip("__repr__")  # type: ignore[no-any-return]


def test_str_and_int_subclasses_are_read_by_value_without_their_dunders() -> None:
    Tripwire.calls.clear()
    value = [HostileStr("sid\u00e9"), HostileInt(7), {"k": HostileStr("v")}]
    plain = ["sid\u00e9", 7, {"k": "v"}]
    assert _core.json_value(value, "v") == dumps(plain)
    assert _core.json_value(HostileStr("a\"b"), "v") == dumps('a"b')
    key = _core.Key.prepare(HostileStr("k" * 32), "key")
    layout = _core.Template((b'{"s":"', 0, b'","i":', 1, b',"n":', "tail", b"}"))
    minter = _core.Minter.create(key, (HostileStr("WK1"), HostileInt(5)), layout, ())
    assert minter.mint(HostileInt(12)) == core_sign(b"k" * 32, b'{"s":"WK1","i":5,"n":12}')
    template = _core.Template((b'{"a":"', 0, b'","b":', 1, b"}"))
    tokens = key.mint_each(
        template, (HostileStr("x"), HostileInt(3)), 0, [HostileStr("WKy")], "values", ("WK",)
    )
    assert tokens == _core.Key.prepare(b"k" * 32, "key").mint_each(
        template, ("x", 3), 0, ["WKy"], "values", ("WK",)
    )
    token = core_sign(b"k" * 32, b'{"n":1}')
    assert _core.decode_jws(HostileStr(token), HostileStr("k" * 32), (HostileStr("HS256"),))[1] == {
        "n": 1
    }
    assert Tripwire.calls == []
