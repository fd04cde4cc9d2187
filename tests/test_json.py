"""The C JSON writer against json.dumps, for every code point and for
arbitrary JSON values (the payload JSON PyJWT would write)."""

from __future__ import annotations

import json
import math
import sys

import pytest
from hypothesis import given
from hypothesis import strategies as st

from conftest import core_sign
from twilio_trcap import _core
from twilio_trcap.decode import MAX_JSON_DEPTH


def dumps(value: object) -> bytes:
    return json.dumps(value, separators=(",", ":")).encode("ascii")


def test_every_code_point_is_escaped_like_json_dumps() -> None:
    every = "".join(map(chr, range(sys.maxunicode + 1)))
    assert _core.json_value(every, "text") == dumps(every)


@pytest.mark.parametrize("width_char", ["a", "\u00e9", "\u4e2d", "\U0001f600"])
def test_each_storage_width(width_char: str) -> None:
    # CPython stores a str in 1, 2 or 4 bytes per code point (PEP 393).
    text = width_char + '"\\\n\x00\x7f/\u2028'
    assert _core.json_value(text, "text") == dumps(text)


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(st.characters(codec=None)),
    lambda children: st.lists(children, max_size=4)
    | st.dictionaries(st.text(st.characters(codec=None), max_size=8), children, max_size=4),
    max_leaves=20,
)


@given(json_values)
def test_values_equal_json_dumps(value: object) -> None:
    assert _core.json_value(value, "v") == dumps(value)


def test_tuples_are_arrays_and_subclasses_use_base_repr() -> None:
    import enum

    class Level(enum.IntEnum):
        HIGH = 3

    class Text(str):
        def __str__(self) -> str:
            return "not this"

    assert _core.json_value((1, Level.HIGH, Text("t"), 1e16, -0.0), "v") == b'[1,3,"t",1e+16,-0.0]'


@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf])
def test_non_finite_floats_are_refused(bad: float) -> None:
    with pytest.raises(ValueError, match="post_filter.*not a JSON number"):
        _core.json_value({"x": bad}, "post_filter")


def test_non_str_keys_are_refused() -> None:
    with pytest.raises(TypeError, match="query_filter: keys must be str, not int"):
        _core.json_value({1: True}, "query_filter")


def test_non_json_values_are_refused() -> None:
    with pytest.raises(TypeError, match="post_filter must hold only JSON values.*set"):
        _core.json_value({"x": {1}}, "post_filter")


def test_the_deepest_filter_written_is_a_token_the_decoder_reads() -> None:
    # Two limits: the writer's (32 levels below where it starts; a filter
    # starts at 1) and the decoder's, MAX_JSON_DEPTH (64).  A filter sits
    # three containers down in a payload, so the writer's deepest is read.
    def nested(levels: int) -> dict:
        value: dict = {}
        for _ in range(levels - 1):
            value = {"a": value}
        return value

    accepted = []
    for levels in range(1, 40):
        try:
            accepted.append(_core.policy_json("u", "GET", True, None, nested(levels)))
        except ValueError as error:
            assert "nested more than 32 levels" in str(error)
    assert len(accepted) == 32
    token = core_sign("k", b'{"policies":[' + accepted[-1] + b"]}")
    _, claims = _core.decode_jws(token, "k", ("HS256",))
    assert claims["policies"][0]["post_filter"] == nested(32)
    assert 32 + 3 <= MAX_JSON_DEPTH == 64


def test_self_reference_is_an_error_not_a_crash() -> None:
    loop: dict = {}
    loop["again"] = loop
    with pytest.raises(ValueError, match="nested more than 32 levels"):
        _core.json_value(loop, "post_filter")
