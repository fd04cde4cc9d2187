"""The exception hierarchy: one package root that is also a ValueError,
and twilio's JwtDecodeError catching every decode failure."""

from __future__ import annotations

import pytest

import twilio_trcap
import twilio_trcap.jwt
from twilio_trcap import errors


def test_hierarchy() -> None:
    assert issubclass(errors.TrcapError, ValueError)
    assert issubclass(errors.DecodeError, errors.TrcapError)
    for name in (
        "MalformedTokenError",
        "InvalidSignatureError",
        "ExpiredTokenError",
        "NotYetValidError",
        "UnsupportedAlgorithmError",
    ):
        error = getattr(errors, name)
        assert error.__bases__ == (errors.DecodeError,)
        assert getattr(twilio_trcap, name) is error
    assert errors.JwtDecodeError is errors.DecodeError
    assert twilio_trcap.JwtDecodeError is twilio_trcap.jwt.JwtDecodeError is errors.DecodeError
    assert sorted(errors.__all__) == sorted(
        n for n in dir(errors) if n.endswith("Error") and not n.startswith("_")
    )


def test_every_decode_failure_is_caught_by_twilios_name() -> None:
    from twilio_trcap.jwt.taskrouter.capabilities import WorkerCapabilityToken

    for bad in ("", "a.b.c", "x" * 10):
        with pytest.raises(twilio_trcap.jwt.JwtDecodeError):
            WorkerCapabilityToken.from_jwt(bad, "key")
        with pytest.raises(ValueError):
            WorkerCapabilityToken.from_jwt(bad, "key")
