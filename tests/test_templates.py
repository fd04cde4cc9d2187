"""The core's templates: payload JSON with fields filled in by the C core.

TaskRouterCapability describes its claims and policies once, as templates;
the core escapes an object's fields once and expands the templates into the
token.  Checked against json.dumps (the escaping), PyJWT (the tokens) and
bad input of every kind at the private surface (never a crash).
"""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from conftest import payload_text, pyjwt_reencode
from twilio_trcap import _core

Template = _core.Template


def quoted(text: str) -> bytes:
    return json.dumps(text).encode("ascii")


@given(st.lists(st.text(st.characters(codec=None)), min_size=1, max_size=4), st.integers(-(2**63), 2**63 - 1))
def test_fields_are_escaped_as_json_dumps_escapes_them(texts: list[str], number: int) -> None:
    fields = (*texts, number)
    items: list[bytes | int] = [b'{"s":"']
    for i in range(len(texts)):
        items += [i, b"/"]
    items += [b'","n":', len(texts), b"}"]
    minter = _core.Minter("k", head=Template(tuple(items)), fields=fields)
    token = minter.mint()
    expected = b'{"s":' + quoted("/".join(texts) + "/") + b',"n":' + str(number).encode() + b"}"
    assert payload_text(token).encode() == expected
    assert token == pyjwt_reencode(token, "k")


def test_template_items_read_back() -> None:
    t = Template((b"a", 0, b"b"))
    assert t.items == (b"a", 0, b"b")
    assert "Template" in repr(t)
    with pytest.raises(AttributeError):
        t.items = ()  # type: ignore[misc]


@pytest.mark.parametrize(
    ("items", "error"),
    [
        ([b"a"], TypeError),  # a list, not a tuple
        ((b"a", "b"), TypeError),  # str item
        ((b"a", True), TypeError),  # bool is not a field index
        ((b"a", 1.0), TypeError),
        ((bytearray(b"a"),), TypeError),
        ((-1,), ValueError),
        ((2**70,), OverflowError),
    ],
)
def test_bad_templates(items: object, error: type[Exception]) -> None:
    with pytest.raises(error):
        Template(items)  # type: ignore[arg-type]


def test_bytes_subclasses_are_refused() -> None:
    # Exact types only, so that nothing in a template can refer back to a
    # Minter (no reference cycle through one).
    class B(bytes):
        pass

    class I(int):  # noqa: E742
        pass

    with pytest.raises(TypeError):
        Template((B(b"x"),))
    with pytest.raises(TypeError):
        Template((I(0),))


def test_template_fields_must_exist() -> None:
    with pytest.raises(ValueError, match="refers to field 2 of 2"):
        _core.Minter("k", head=Template((b"{", 2, b"}")), fields=("a", "b"))
    minter = _core.Minter("k", fields=("a",))
    with pytest.raises(ValueError, match="refers to field 1 of 1"):
        minter.add_policy_template(Template((1,)))
    with pytest.raises(TypeError, match="must be a Template"):
        minter.add_policy_template((b"x",))  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="must be bytes or a Template"):
        _core.Minter("k", head="{")  # type: ignore[arg-type]


@pytest.mark.parametrize("fields", [("a", 1.5), ("a", None), ["a"], ("a", True)])
def test_bad_fields(fields: object) -> None:
    with pytest.raises(TypeError):
        _core.Minter("k", fields=fields)  # type: ignore[arg-type]


def test_field_numbers_beyond_int64() -> None:
    with pytest.raises(OverflowError):
        _core.Minter("k", fields=(2**63,))


def test_for_template_wants_non_empty_text_fields() -> None:
    head = Template((b"{", 0, b"}"))
    with pytest.raises(TypeError):
        _core.Minter.for_template("k", (1,), head, (), b"", b"", "key")
    with pytest.raises(ValueError):
        _core.Minter.for_template("k", ("",), head, (), b"", b"", "key")
    with pytest.raises(TypeError):
        _core.Minter.for_template("k", ("a",), head, [head], b"", b"", "key")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        _core.Minter.for_template("k", ("a",), head, (), b"", b"")  # type: ignore[call-arg]
    minter = _core.Minter.for_template("k", ("a",), head, (b"1", head), b"", b"", "key")
    assert minter.policies() == [b"1", b"{a}"]


def test_an_empty_tuple_of_fields_is_no_fields() -> None:
    # Valid everywhere fields are taken; a template can then refer to none.
    head = Template((b'{"a":1}',))
    assert _core.Minter("k", head=head, fields=()).mint() == _core.Minter("k").sign(b'{"a":1}')
    minter = _core.Minter.for_template("k", (), head, (b"[]",), b"", b"", "key")
    assert minter.policies() == [b"[]"]
    with pytest.raises(ValueError, match="head refers to field 0 of 0"):
        _core.Minter("k", head=Template((0,)), fields=())
    with pytest.raises(ValueError, match="template refers to field 0 of 0"):
        _core.Minter("k").mint_each(Template((b'"', 0, b'"')), (), 0, ["a"])
    with pytest.raises(ValueError, match="slot must be the index of a str field"):
        _core.Minter("k").mint_each(head, (), 0, ["a"])


def test_mint_each_bad_input() -> None:
    minter = _core.Minter("k")
    t = Template((b'{"w":"', 0, b'","e":', 1, b"}"))
    assert minter.mint_each(t, ("", 5), 0, ["x", "y"]) == [
        _core.Minter("k").sign(b'{"w":"x","e":5}'),
        _core.Minter("k").sign(b'{"w":"y","e":5}'),
    ]
    with pytest.raises(TypeError):
        minter.mint_each((b"x",), ("",), 0, ["a"])  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="slot"):
        minter.mint_each(t, ("", 5), 1, ["a"])  # an int field is no slot
    with pytest.raises(ValueError, match="slot"):
        minter.mint_each(t, ("", 5), 2, ["a"])
    with pytest.raises(TypeError, match="slot"):
        minter.mint_each(t, ("", 5), "0", ["a"])  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"values\[1\] must be str, not int"):
        minter.mint_each(t, ("", 5), 0, ["a", 1])  # type: ignore[list-item]
    with pytest.raises(ValueError, match=r"values\[2\] must not be empty"):
        minter.mint_each(t, ("", 5), 0, ["a", "b", ""])
    with pytest.raises(TypeError):
        minter.mint_each(t, ("", 5), 0, 3)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="refers to field 1 of 1"):
        minter.mint_each(t, ("",), 0, ["a"])
    with pytest.raises(TypeError):
        minter.mint_each(t, ("", 5), 0)  # type: ignore[call-arg]


def test_many_fields_plain_and_escaped() -> None:
    # Plain text is copied as is, the rest escaped; both past the 64th field.
    fields = tuple(f"f{i}" if i % 2 else f'q"{i}\u00e9' for i in range(70))
    items: list[bytes | int] = [b'{"a":"']
    for i in (0, 1, 63, 64, 65, 69):
        items += [i, b"|"]
    items.append(b'"}')
    token = _core.Minter("k", head=Template(tuple(items)), fields=fields).mint()
    text = "|".join(fields[i] for i in (0, 1, 63, 64, 65, 69)) + "|"
    assert payload_text(token).encode() == b'{"a":' + quoted(text) + b"}"
    assert token == pyjwt_reencode(token, "k")
