"""The time rules and the field rules, in the core (src/glue/times.c,
src/glue/errors.c), as twilio_trcap._checks names them for every
generation.

Each class's own tests (test_every_class.py) check what a caller sees
through ``generate_token`` and ``to_jwt``; these check the rules at their
edges: what counts as an int, how the clock is read, where a signed 64-bit
claim ends, and how a constructor's rules are given.
"""

from __future__ import annotations

import time
from unittest import mock

import pytest

from twilio_trcap import _checks

INT64_MAX = 2**63 - 1
INT64_MIN = -(2**63)


class Index:
    def __init__(self, value: object) -> None:
        self.value = value

    def __index__(self) -> object:
        return self.value


class BigInt(int):
    pass


@pytest.mark.parametrize("value", [0, 7, -3, 2**70, BigInt(5), Index(9)])
def test_check_int_takes_anything_with_index_as_an_exact_int(value: object) -> None:
    result = _checks.check_int(value, "n")
    assert type(result) is int
    assert result == int(value.__index__())  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("value", "pattern"),
    [
        (True, "^n must be an int, not bool$"),
        (1.0, "^n must be an int, not float$"),
        ("1", "^n must be an int, not str$"),
        (None, "^n must be an int, not NoneType$"),
        (Index("x"), "^n must be an int, not Index$"),
    ],
)
def test_check_int_refuses_with_the_name(value: object, pattern: str) -> None:
    with pytest.raises(TypeError, match=pattern):
        _checks.check_int(value, "n")


def test_check_int_lets_other_errors_of_index_through() -> None:
    class Broken:
        def __index__(self) -> int:
            raise ValueError("broken index")

    with pytest.raises(ValueError, match="broken index"):
        _checks.check_int(Broken(), "n")


@pytest.mark.parametrize(("ttl", "error"), [(-1, ValueError), (-(2**70), ValueError), (False, TypeError)])
def test_check_ttl(ttl: object, error: type) -> None:
    with pytest.raises(error, match="^ttl must be"):
        _checks.check_ttl(ttl)
    assert _checks.check_ttl(0) == 0 and _checks.check_ttl(2**70) == 2**70


@pytest.mark.parametrize(("clock", "seconds"), [(1000.9, 1000), (-1.5, -1), (12, 12), (2.0**40, 2**40)])
def test_the_clock_is_int_of_time_time_looked_up_at_each_read(clock: float, seconds: int) -> None:
    with mock.patch("time.time", return_value=clock):
        assert _checks.current_time(None) == seconds
        assert _checks.expiry(60, None) == seconds + 60
    assert abs(_checks.current_time(None) - time.time()) < 5


def test_a_clock_far_beyond_int64_overflows_as_now() -> None:
    # The minting time is checked where it is read, before exp is summed
    # (tests/test_time_bounds_every_claim.py: through every class).
    with mock.patch("time.time", return_value=1e30):
        with pytest.raises(
            OverflowError, match=r"^now \(\d+, from time.time\(\)\) does not fit a signed 64-bit integer$"
        ):
            _checks.expiry(60, None)


def test_a_clock_that_returns_no_number() -> None:
    with mock.patch("time.time", return_value=None):
        with pytest.raises(TypeError):
            _checks.current_time(None)


@pytest.mark.parametrize(
    ("ttl", "now", "exp"),
    [(0, INT64_MIN, INT64_MIN), (1, INT64_MAX - 1, INT64_MAX), (10, -20, -10), (INT64_MAX, INT64_MIN, -1)],
)
def test_expiry_is_exact_to_the_int64_edges(ttl: int, now: int, exp: int) -> None:
    assert _checks.expiry(ttl, now) == exp


@pytest.mark.parametrize(("ttl", "now"), [(1, INT64_MAX), (2**64, 0), (2**70, INT64_MAX)])
def test_expiry_beyond_int64(ttl: int, now: int) -> None:
    with pytest.raises(OverflowError, match=rf"^exp \({now + ttl}\) does not fit"):
        _checks.expiry(ttl, now)


@pytest.mark.parametrize("now", [INT64_MIN - 1, INT64_MAX + 1, 2**64, -(2**70)])
def test_a_now_beyond_int64_is_named_before_any_sum(now: int) -> None:
    for check in (lambda: _checks.expiry(0, now), lambda: _checks.current_time(now)):
        with pytest.raises(OverflowError, match=rf"^now \({now}\) does not fit a signed 64-bit integer$"):
            check()


def test_expiry_checks_now_before_ttl() -> None:
    with pytest.raises(TypeError, match="^now must be an int"):
        _checks.expiry("ttl", "now")


@pytest.mark.parametrize("value", [INT64_MIN, INT64_MAX, 0])
def test_check_claim_time_keeps_int64(value: int) -> None:
    assert _checks.check_claim_time(value, "nbf") == value


@pytest.mark.parametrize("value", [INT64_MIN - 1, INT64_MAX + 1])
def test_check_claim_time_beyond_int64(value: int) -> None:
    with pytest.raises(OverflowError, match=rf"^nbf \({value}\) does not fit"):
        _checks.check_claim_time(value, "nbf")
    with pytest.raises(TypeError, match="^nbf must be an int"):
        _checks.check_claim_time(1.0, "nbf")  # type: ignore[arg-type]


# -- check_fields -------------------------------------------------------------


RULES = (("account_sid", ("AC",)), ("version", None))


def test_check_fields_applies_each_rule_under_its_name() -> None:
    class Text(str):
        pass

    fields = _checks.check_fields(RULES, Text("AC1"), Text("v1"))
    assert fields == ("AC1", "v1") and all(type(f) is str for f in fields)
    with pytest.raises(ValueError, match="^account_sid must start with 'AC'"):
        _checks.check_fields(RULES, "WS1", "v1")
    with pytest.raises(TypeError, match="^version must be str, not int$"):
        _checks.check_fields(RULES, "AC1", 1)
    with pytest.raises(ValueError, match="^version must not be empty$"):
        _checks.check_fields(RULES, "AC1", "")


@pytest.mark.parametrize(
    ("rules", "values", "pattern"),
    [
        (RULES, ("AC1",), "tuple of 1 rules"),
        (list(RULES), ("AC1", "v1"), "tuple of 2 rules"),
        ((("account_sid",), ("version", None)), ("AC1", "v1"), r"\(name, prefixes\)"),
        (((1, None), ("version", None)), ("AC1", "v1"), "name must be str"),
        ((("account_sid", "AC"), ("version", None)), ("AC1", "v1"), "prefixes must be a tuple"),
        ((("account_sid", (1,)), ("version", None)), ("AC1", "v1"), "prefixes must hold str"),
    ],
)
def test_check_fields_refuses_bad_rules(rules: object, values: tuple, pattern: str) -> None:
    with pytest.raises(TypeError, match=pattern):
        _checks.check_fields(rules, *values)  # type: ignore[arg-type]
