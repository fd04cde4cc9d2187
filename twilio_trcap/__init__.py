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
from typing import TYPE_CHECKING

from ._version import __version__

# The submodule twilio_trcap.decode shares its name with the function
# decode: imported here, before any other module can import the submodule
# and leave the package's ``decode`` naming the module.
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

if TYPE_CHECKING:
    from . import check
    from .check import Decision

#: An auth token or API key secret prepared once (HMAC-SHA256 states):
#: accepted wherever a key is; see docs/security.md, "Preparing a key once".
Key = _core.Key

#: The OpenSSL version the core runs with.
openssl_version: str = _core.openssl_version


# Names whose modules load on first use (PEP 562), so that ``import
# twilio_trcap`` loads what minting needs and no more: the policy model
# (twilio_trcap.check, with dataclasses and urllib.parse), as the public name
# Decision and as the submodule ``twilio_trcap.check`` that this package's
# import used to load.  The HTML views (twilio_trcap._html) load on the
# first ``_repr_html_``, the CLI (twilio_trcap.cli) when it runs.
# docs/distribution.md, "Import time"; tests/test_light_import.py.
_LAZY = {"Decision": "check", "check": "check"}

if not TYPE_CHECKING:
    # Hidden from type checkers: they see the imports under TYPE_CHECKING
    # above, and a module __getattr__ would make them accept any name.
    def __getattr__(name: str) -> object:
        module = _LAZY.get(name)
        if module is None:
            raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
        from importlib import import_module

        loaded = import_module(f".{module}", __name__)
        value = loaded if name == module else getattr(loaded, name)
        globals()[name] = value  # found directly from now on
        return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_LAZY})


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
