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

from conftest import core_minter, core_sign, payload_text, pyjwt_reencode
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
    token = core_minter("k", tuple(items), fields).mint()
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
        ((b"a", "b"), TypeError),  # a str item that is no hole's name
        ((b"a", "policies", "policies"), ValueError),  # a hole at most once
        ((b"a", "tail", "tail"), ValueError),
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
    with pytest.raises(ValueError, match="layout refers to field 2 of 2"):
        core_minter("k", (b"{", 2, b"}"), ("a", "b"))
    minter = core_minter("k", (), ("a",))
    with pytest.raises(ValueError, match="refers to field 1 of 1"):
        minter.add_policy(Template((1,)))
    with pytest.raises(TypeError, match="must be bytes or a Template"):
        minter.add_policy((b"x",))  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="no 'policies' or 'tail' hole"):
        minter.add_policy(Template((b"x", "tail")))
    with pytest.raises(TypeError, match="must be bytes or a Template"):
        core_minter("k", (), ("a",), ("{",))  # type: ignore[arg-type]


def test_a_layout_has_one_tail_and_at_most_one_policies_hole() -> None:
    key = _core.Key.prepare("k", "key")
    with pytest.raises(ValueError, match="must have a 'tail' hole"):
        _core.Minter.create(key, (), Template((b"{}",)), ())
    with pytest.raises(TypeError, match="layout must be a Template"):
        _core.Minter.create(key, (), (b"{", "tail"), ())  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="key must be a Key"):
        _core.Minter.create("k", (), Template(("tail",)), ())  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="policies must be a tuple"):
        _core.Minter.create(key, (), Template(("tail",)), [b"1"])  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="takes 4"):
        _core.Minter.create(key, (), Template(("tail",)))  # type: ignore[call-arg]
    with pytest.raises(TypeError, match="cannot create"):
        _core.Minter()  # type: ignore[call-arg]
    with pytest.raises(TypeError, match=r"Key\(\) missing required argument 'secret'"):
        _core.Key()  # type: ignore[call-arg]
    with pytest.raises(TypeError, match="takes 2"):
        _core.Key.prepare(b"k")  # type: ignore[call-arg]
    with pytest.raises(TypeError, match="name must be str"):
        _core.Key.prepare(b"k", b"key")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="^auth_token must not be empty$"):
        _core.Key.prepare(b"", "auth_token")
    # The holes anywhere: policies after the tail, with text around both.
    layout = Template((b'{"e":', "tail", b',"p":[', "policies", b"]}"))
    minter = _core.Minter.create(key, ("a",), layout, (b"1", Template((b'"', 0, b'"'))))
    for _ in range(3):  # from scratch, preparing, prepared
        assert minter.mint(7) == core_sign("k", b'{"e":7,"p":[1,"a"]}')


@pytest.mark.parametrize("fields", [("a", 1.5), ("a", None), ["a"], ("a", True)])
def test_bad_fields(fields: object) -> None:
    with pytest.raises(TypeError):
        core_minter("k", (), fields)  # type: ignore[arg-type]


def test_field_numbers_beyond_int64() -> None:
    with pytest.raises(OverflowError, match="^a field does not fit a signed 64-bit integer$"):
        core_minter("k", (), (2**63,))
    with pytest.raises(OverflowError, match="^a number of the tail does not fit a signed 64-bit integer$"):
        core_minter("k", ()).mint(-(2**63) - 1)


@pytest.mark.parametrize("header", [None, b'{"alg":"HS256","cty":"twilio-fpa;v=1","typ":"JWT"}', b"{}"])
def test_a_minter_writes_the_header_it_is_given(header: bytes | None) -> None:
    layout = Template((b'{"a":"', 0, b'","exp":', "tail", b"}"))
    minter = _core.Minter.create(_core.Key.prepare("k", "key"), ("x",), layout, (), header)
    expected_header = b'{"alg":"HS256","typ":"JWT"}' if header is None else header
    for exp in (1, 22, 333):  # from scratch, preparing, prepared
        token = minter.mint(exp)
        assert token == _core.Key.prepare("k", "key").sign(expected_header, b'{"a":"x","exp":%d}' % exp)
    with pytest.raises(TypeError, match="header must be bytes or None, not str"):
        _core.Minter.create(_core.Key.prepare("k", "key"), (), layout, (), "{}")  # type: ignore[arg-type]


def test_policies_are_rendered_with_the_fields() -> None:
    head = Template((b"{", 0, b"}"))
    minter = core_minter("k", (), ("a",), (b"1", head))
    assert minter.policies() == [b"1", b"{a}"]
    with pytest.raises(TypeError, match="a policy must be bytes"):
        minter.set_policies([head])  # type: ignore[list-item]


def test_an_empty_tuple_of_fields_is_no_fields() -> None:
    # Valid everywhere fields are taken; a template can then refer to none.
    assert core_minter("k", (b'{"a":1}',)).mint() == core_sign("k", b'{"a":1}')
    assert core_minter("k", (), (), (b"[]",)).policies() == [b"[]"]
    with pytest.raises(ValueError, match="layout refers to field 0 of 0"):
        core_minter("k", (0,))
    with pytest.raises(ValueError, match="template refers to field 0 of 0"):
        _core.Key.prepare("k", "key").mint_each(Template((b'"', 0, b'"')), (), 0, ["WKa"], "values", WK)
    with pytest.raises(ValueError, match="field must be the index of a str field"):
        _core.Key.prepare("k", "key").mint_each(Template((b'{"a":1}',)), (), 0, ["WKa"], "values", WK)


#: The prefixes of mint_each's values in these tests: every sid has one.
WK = ("WK",)


def test_mint_each_bad_input() -> None:
    minter = _core.Key.prepare("k", "key")
    t = Template((b'{"w":"', 0, b'","e":', 1, b"}"))
    assert minter.mint_each(t, ("", 5), 0, ["WKx", "WKy"], "values", WK) == [
        core_sign("k", b'{"w":"WKx","e":5}'),
        core_sign("k", b'{"w":"WKy","e":5}'),
    ]
    with pytest.raises(ValueError, match="no 'policies' or 'tail' hole"):
        minter.mint_each(Template((b"{", 0, "tail")), ("",), 0, ["WKa"], "values", WK)
    with pytest.raises(TypeError):
        minter.mint_each((b"x",), ("",), 0, ["WKa"], "values", WK)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="field"):
        minter.mint_each(t, ("", 5), 1, ["WKa"], "values", WK)  # an int field cannot vary
    with pytest.raises(ValueError, match="field"):
        minter.mint_each(t, ("", 5), 2, ["WKa"], "values", WK)
    with pytest.raises(TypeError, match="field"):
        minter.mint_each(t, ("", 5), "0", ["WKa"], "values", WK)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"values\[1\] must be str, not int"):
        minter.mint_each(t, ("", 5), 0, ["WKa", 1], "values", WK)  # type: ignore[list-item]
    with pytest.raises(ValueError, match=r"values\[2\] must not be empty"):
        minter.mint_each(t, ("", 5), 0, ["WKa", "WKb", ""], "values", WK)
    with pytest.raises(TypeError):
        minter.mint_each(t, ("", 5), 0, 3, "values", WK)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="refers to field 1 of 1"):
        minter.mint_each(t, ("",), 0, ["WKa"], "values", WK)
    with pytest.raises(TypeError):
        minter.mint_each(t, ("", 5), 0, ["WKa"], "values")  # type: ignore[call-arg]
    with pytest.raises(ValueError, match="^prefixes must not be empty"):
        minter.mint_each(t, ("", 5), 0, ["WKa"], "values", ())
    with pytest.raises(ValueError, match="^a prefix must be two upper-case ASCII letters"):
        minter.mint_each(t, ("", 5), 0, ["WKa"], "values", ("wk",))


def test_mint_each_values_keep_the_one_sid_rule() -> None:
    # The values are sids: the core applies check_sid's rule to each, and
    # its message names the item, never shows it.
    key = _core.Key.prepare("k", "key")
    t = Template((b'{"w":"', 0, b'"}'))

    class Loud(str):
        def __repr__(self) -> str:
            raise AssertionError("a value's __repr__ ran")

    chars = r"must hold ASCII letters and digits only \(a Twilio sid\): "
    for bad, message in (
        ("WK/..", chars + r"character 3 of 5 is not one \(value not shown\)"),
        (Loud("WK%2e"), chars + r"character 3 of 5 is not one \(value not shown\)"),
        ("WK\u00e9", chars + r"character 3 of 3 is not one \(value not shown\)"),
        (Loud("0123456789abcdef0123456789abcdef"),
         r"must start with 'WK', then ASCII letters and digits only \(a Twilio sid\): "
         r"got 32 characters \(value not shown\)"),
        ("", "must not be empty"),
    ):
        with pytest.raises(ValueError, match=r"^worker_sids\[1\] " + message + "$"):
            key.mint_each(t, ("",), 0, ["WK1", bad], "worker_sids", WK)
    assert key.mint_each(t, ("",), 0, [Loud("WK1")], "worker_sids", WK) == [
        core_sign("k", b'{"w":"WK1"}')
    ]


def test_check_sid_is_the_rule_of_every_generation() -> None:
    assert _core.check_sid("WK1", "worker_sid", WK) == "WK1"
    assert type(_core.check_sid(type("S", (str,), {})("AC1"), "account_sid", ("AC",))) is str
    with pytest.raises(
        ValueError,
        match=r"^account_sid must start with 'AC' or 'XY', then ASCII letters and digits only "
        r"\(a Twilio sid\): got 3 characters \(value not shown\)$",
    ):
        _core.check_sid("WK1", "account_sid", ("AC", "XY"))
    with pytest.raises(TypeError, match="^sid must be str, not bytes$"):
        _core.check_sid(b"WK1", "sid", WK)
    with pytest.raises(TypeError, match="prefixes must be a tuple"):
        _core.check_sid("WK1", "sid", ["WK"])  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="prefixes must hold str only"):
        _core.check_sid("WK1", "sid", (b"WK",))  # type: ignore[arg-type]
    for prefixes in ((), ("W",), ("WKX",), ("wk",), ("W1",), ("\u0174K",)):
        with pytest.raises(ValueError, match="prefix"):
            _core.check_sid("WK1", "sid", prefixes)
    with pytest.raises(TypeError, match="takes 3 positional arguments"):
        _core.check_sid("WK1", "sid")  # type: ignore[call-arg]


def test_many_fields_plain_and_escaped() -> None:
    # Plain text is copied as is, the rest escaped; both past the 64th field.
    fields = tuple(f"f{i}" if i % 2 else f'q"{i}\u00e9' for i in range(70))
    items: list[bytes | int] = [b'{"a":"']
    for i in (0, 1, 63, 64, 65, 69):
        items += [i, b"|"]
    items.append(b'"}')
    token = core_minter("k", tuple(items), fields).mint()
    text = "|".join(fields[i] for i in (0, 1, 63, 64, 65, 69)) + "|"
    assert payload_text(token).encode() == b'{"a":' + quoted(text) + b"}"
    assert token == pyjwt_reencode(token, "k")
