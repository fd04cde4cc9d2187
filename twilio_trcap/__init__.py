"""twilio-trcap: Twilio TaskRouter capability tokens, minted by a C core.

The documented twilio-python 4.0 API::

    from twilio_trcap import TaskRouterCapability

    capability = TaskRouterCapability(account_sid, auth_token, workspace_sid, worker_sid)
    capability.allow_worker_fetch_attributes()
    capability.allow_worker_activity_updates()
    capability.allow_task_reservation_updates()
    token = capability.generate_token(ttl=600)

Every token is an HS256 JSON Web Token whose JSON, base64url and signature
are produced by the compiled core (``twilio_trcap._core``, OpenSSL 3).

Later generations of twilio's API live in their own modules, named after
the twilio release they match: ``twilio_trcap.task_router_v4_5`` and
``twilio_trcap.task_router_v5`` (twilio 4.5 to 5.7), ``twilio_trcap.jwt``
(twilio 6 and later, with Access Tokens); see docs/migration.md.

Reading one back, and asking what it allows::

    from twilio_trcap import decode_token

    decoded = decode_token(token, auth_token)      # verified, or DecodeError
    decoded.allows("POST", worker_url, post={"ActivitySid": "WA1"})
"""

try:
    from . import _core
except ImportError as exc:  # no silent fallback: say what is missing and why
    import os as _os

    _here = _os.path.dirname(__file__)
    _checkout = _os.path.exists(_os.path.join(_here, "..", "setup.py"))
    raise ImportError(
        f"twilio_trcap's compiled core (twilio_trcap._core) cannot be imported from {_here}"
        + (
            ": this is the source checkout, whose twilio_trcap/ has no compiled core. "
            "After `pip install .`, run from outside the checkout (or use the `trcap` "
            "command); `pip install -e .` builds the core in place."
            if _checkout
            else f": {exc}"
        )
    ) from exc
from ._version import __version__
from .check import Decision
from .decode import DecodedToken, decode, decode_token
from .errors import (
    DecodeError,
    ExpiredTokenError,
    InvalidSignatureError,
    JwtDecodeError,
    MalformedTokenError,
    NotYetValidError,
    TrcapError,
    UnsupportedAlgorithmError,
)
from .policy import OPTIONAL, REQUIRED, Policy, PolicyList
from .task_router import TaskRouterCapability, make_policy

#: An auth token or API key secret prepared once (HMAC-SHA256 states):
#: accepted wherever a key is; see docs/security.md, "Preparing a key once".
Key = _core.Key

#: The OpenSSL version the core runs with.
openssl_version: str = _core.openssl_version


__all__ = [
    "OPTIONAL",
    "REQUIRED",
    "Decision",
    "DecodeError",
    "DecodedToken",
    "ExpiredTokenError",
    "InvalidSignatureError",
    "JwtDecodeError",
    "Key",
    "MalformedTokenError",
    "NotYetValidError",
    "Policy",
    "PolicyList",
    "TaskRouterCapability",
    "TrcapError",
    "UnsupportedAlgorithmError",
    "__version__",
    "decode",
    "decode_token",
    "make_policy",
    "openssl_version",
]
