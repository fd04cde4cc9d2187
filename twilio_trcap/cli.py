"""The command line: ``python -m twilio_trcap`` (or ``trcap``).

Subcommands:

``mint``
    Prints a token: ``--kind worker`` (the documented
    ``TaskRouterCapability``, the default), ``taskqueue``, ``workspace``
    (twilio 6+'s capability tokens) or ``access-token`` (a TaskRouter grant).
    The key is read from ``TWILIO_AUTH_TOKEN`` (``TWILIO_API_SECRET`` for an
    Access Token) or the variable ``--key-env`` names, so that it stays out of
    shell history and process listings; ``--example`` mints with the
    documentation's example sids and key and needs no account.
``decode``
    Shows a token's header, claims and policies as a table (or JSON with
    ``--json``), the expiry in words, and whether the signature was
    verified: with the key in ``TWILIO_AUTH_TOKEN`` (``TWILIO_API_SECRET``
    for an Access Token, by its header's ``cty``) or ``--key-env VAR``.
``check METHOD URL``
    Says whether the token allows the request, and which policy decided
    (the local model of docs/policies.md).  Exit status 0 when allowed, 1
    when denied.

A token is read from the command line or, when absent or ``-``, from
stdin; options may come anywhere after the command.  Bad tokens, bad
arguments and requests the local model does not take are one line on
stderr and exit status 2, never a traceback, and never show an argument's
value or the token (docs/security.md, "The command line").  Options must be
spelt in full.  Human output escapes every non-printable character.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import time
from collections.abc import Callable, Sequence
from datetime import datetime, timezone
from typing import Any, NoReturn

from . import __version__, openssl_version
from .check import Decision, Request
from .decode import DecodedToken, decode_token, policies_of_claims
from .errors import DecodeError, InvalidSignatureError
from .policy import Policy
from .task_router import TaskRouterCapability

#: The documentation's example values (twilio-python 4.0's page).
EXAMPLE_ACCOUNT_SID = "AC123"
EXAMPLE_AUTH_TOKEN = "secret"
EXAMPLE_WORKSPACE_SID = "WS456"
EXAMPLE_WORKER_SID = "WK789"

AUTH_TOKEN_ENV = "TWILIO_AUTH_TOKEN"
ACCOUNT_SID_ENV = "TWILIO_ACCOUNT_SID"
#: Where an Access Token's key (an API key's secret) is read from.
API_SECRET_ENV = "TWILIO_API_SECRET"

_EXAMPLE = {
    "account_sid": EXAMPLE_ACCOUNT_SID,
    "workspace_sid": EXAMPLE_WORKSPACE_SID,
    "key": EXAMPLE_AUTH_TOKEN,
}
#: The sids --example uses for each kind.
_EXAMPLES: dict[str, dict[str, str]] = {
    "worker": {**_EXAMPLE, "worker_sid": EXAMPLE_WORKER_SID},
    "taskqueue": {**_EXAMPLE, "task_queue_sid": "WQ012"},
    "workspace": _EXAMPLE,
    "access-token": {
        **_EXAMPLE,
        "signing_key_sid": "SK123",
        "identity": "alice",
        "worker_sid": EXAMPLE_WORKER_SID,
        "role": "worker",
    },
}
_SID_OPTIONS = (
    "account_sid", "workspace_sid", "worker_sid", "task_queue_sid", "signing_key_sid",
    "identity", "role",
)

#: Permission flags of `mint`, and the kinds each applies to.
_FLAG_HELP = {
    "fetch-attributes": "worker: allow the Worker to fetch its attributes",
    "activity-updates": "worker: allow the Worker to change its Activity",
    "reservation-updates": "worker: allow the Worker to accept or reject reservations",
    "all": "worker: all three permissions above",
    "update-self": "taskqueue/workspace: allow POST on the resource",
    "delete-self": "taskqueue/workspace: allow DELETE on the resource",
    "fetch-subresources": "taskqueue/workspace: allow GET on its subresources",
    "update-subresources": "taskqueue/workspace: allow POST on its subresources",
    "delete-subresources": "taskqueue/workspace: allow DELETE on its subresources",
}
_RESOURCE_FLAGS = (
    "update-self", "delete-self", "fetch-subresources", "update-subresources",
    "delete-subresources",
)
_FLAGS: dict[str, tuple[str, ...]] = {
    "worker": ("fetch-attributes", "activity-updates", "reservation-updates", "all"),
    "taskqueue": _RESOURCE_FLAGS,
    "workspace": _RESOURCE_FLAGS,
    "access-token": (),
}


class UsageError(Exception):
    """A bad argument: reported on one line, exit status 2."""


# argparse messages that carry what the user typed, and the same message
# without it: an error never echoes an argument's value (it may be a key or
# a token given to the wrong option).
_VALUE_MESSAGES = (
    (re.compile(r"(argument [^:]+: invalid) (\w+) value: .*", re.S), r"\1 \2 value"),
    (re.compile(r"(argument [^:]+: invalid choice): .*?(\(choose from .*\))$", re.S), r"\1 \2"),
    (re.compile(r"(argument [^:]+: )ignored explicit argument .*", re.S), r"\1takes no value"),
)
# argparse messages made of option names and metavars only.
_NAME_MESSAGES = re.compile(
    r"(the following arguments are required: [A-Za-z0-9_, -]+"
    r"|argument [^:]+: expected (one|at most one|at least one) argument"
    r"|argument [^:]+: not allowed with argument [^:]+)",
)


class _Parser(argparse.ArgumentParser):
    """argparse, with its errors on one line (no usage block) and status 2,
    no abbreviated options (``--key`` must not become ``--key-env``), and
    no argument's value in any message.  Subcommand parsers are made of the
    same class."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs["allow_abbrev"] = False
        super().__init__(*args, **kwargs)

    def error(self, message: str) -> NoReturn:
        """Reports argparse's `message`, without any value it quotes."""
        for pattern, replacement in _VALUE_MESSAGES:
            if pattern.fullmatch(message):
                message = pattern.sub(replacement, message)
                break
        else:
            if not _NAME_MESSAGES.fullmatch(message):
                message = "bad arguments"
        _fail(f"{self.prog.split()[-1]}: {message} (see --help)")

    def parse_args(self, args: Any = None, namespace: Any = None) -> Any:
        parsed, extras = self.parse_known_args(args, namespace)
        self._refuse(extras)
        return parsed

    def parse_intermixed_args(self, args: Any = None, namespace: Any = None) -> Any:
        parsed, extras = self.parse_known_intermixed_args(args, namespace)
        self._refuse(extras)
        return parsed

    def _refuse(self, extras: list[str]) -> None:
        """Unknown arguments, named (an option's name, never its value;
        anything else only counted)."""
        if not extras:
            return
        options = [_option_name(a) for a in extras if a.startswith("-") and a != "-"]
        where = self.prog.split()[-1]
        if options:
            _fail(f"{where}: unknown option {options[0]} (see --help)")
        _fail(f"{where}: {len(extras)} unexpected argument{'s' if len(extras) > 1 else ''} "
              "(see --help)")


def _fail(message: str) -> NoReturn:
    print(f"twilio-trcap: error: {message}", file=sys.stderr)
    raise SystemExit(2)


def _option_name(argument: str) -> str:
    """An unknown option as it may be shown: its name up to any ``=``, if
    the name is made of letters, digits and dashes; else nothing of it."""
    name = argument.partition("=")[0]
    # Option names are lower-case words and dashes; anything else (a value
    # that happens to start with '-') is not shown.
    return name if re.fullmatch(r"--[a-z][a-z-]{0,40}", name) else "(not shown)"


def _parser() -> tuple[argparse.ArgumentParser, dict[str, argparse.ArgumentParser]]:
    """The program's parser, and the parser of each command by name."""
    parser = _Parser(
        prog="python -m twilio_trcap",
        description=(
            "Twilio TaskRouter capability tokens: mint them, decode them, and check "
            "what they allow."
        ),
    )
    parser.add_argument(
        "--version",
        action="version",
        version=f"twilio-trcap {__version__} ({openssl_version})",
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    mint = commands.add_parser(
        "mint",
        help="print a capability token or an Access Token",
        description=(
            "Print a TaskRouter token: a Worker's (twilio 4.0's documented "
            "TaskRouterCapability), a TaskQueue's or a Workspace's capability token "
            "(twilio 6+), or an Access Token with a TaskRouter grant. The key is read "
            f"from ${AUTH_TOKEN_ENV} (${API_SECRET_ENV} for an Access Token), or from "
            "the variable --key-env names, never from the command line. Every sid must "
            "start with its prefix (AC, WS, WK, WQ, SK), so that a key given as a sid is "
            "refused; an error never shows the value."
        ),
    )
    mint.add_argument(
        "--kind",
        choices=list(MINTERS),
        default="worker",
        help="what to mint (default: worker)",
    )
    mint.add_argument(
        "--account-sid",
        default=None,
        help=f"the account sid, AC... (default: ${ACCOUNT_SID_ENV})",
    )
    mint.add_argument("--workspace-sid", help="the Workspace sid, WS...")
    mint.add_argument("--worker-sid", help="the Worker sid, WK... (worker; access-token grant)")
    mint.add_argument("--task-queue-sid", help="the TaskQueue sid, WQ... (taskqueue)")
    mint.add_argument("--signing-key-sid", help="the API key sid, SK... (access-token)")
    mint.add_argument("--identity", help="the user's identity (access-token)")
    mint.add_argument("--role", help="the grant's role, e.g. worker (access-token)")
    mint.add_argument(
        "--key-env",
        metavar="VAR",
        help=(
            f"read the key from $VAR (default: ${AUTH_TOKEN_ENV}; "
            f"${API_SECRET_ENV} for access-token)"
        ),
    )
    for flag, meaning in _FLAG_HELP.items():
        mint.add_argument(f"--{flag}", action="store_true", help=meaning)
    mint.add_argument(
        "--ttl",
        type=int,
        default=3600,
        help="seconds the token is valid for (default: 3600)",
    )
    mint.add_argument(
        "--example",
        action="store_true",
        help="use the documentation's example sids and key (no account needed)",
    )
    mint.set_defaults(run=_mint)

    decode = commands.add_parser(
        "decode",
        help="show a token's header, claims and policies",
        description=(
            "Show a token's header, claims and policies, and when it expires. The "
            f"signature is verified with the key in ${AUTH_TOKEN_ENV} (or --key-env) "
            "when there is one."
        ),
    )
    _token_arguments(decode)
    decode.add_argument("--json", action="store_true", help="print JSON for scripts")
    decode.set_defaults(run=_decode)

    check = commands.add_parser(
        "check",
        help="does the token allow a request? (exit 0 allowed, 1 denied)",
        description=(
            "Say whether the token's policies allow METHOD on URL, and which policy "
            "decided, in twilio-trcap's local model of TaskRouter's check "
            "(docs/policies.md), not TaskRouter itself. Exit status 0 when allowed, "
            "1 when denied, 2 for a bad token or bad arguments."
        ),
    )
    check.add_argument("method", metavar="METHOD", help="the HTTP method, e.g. POST")
    check.add_argument("url", metavar="URL", help="the full request URL")
    _token_arguments(check)
    check.add_argument(
        "--query", action="append", default=[], metavar="NAME=VALUE",
        help="a query parameter of the request (repeatable)",
    )
    check.add_argument(
        "--post", action="append", default=[], metavar="NAME=VALUE",
        help="a form-body parameter of the request (repeatable)",
    )
    check.add_argument(
        "--ignore-expiry", action="store_true",
        help="check the policies of an expired or not yet valid token too",
    )
    check.add_argument("--json", action="store_true", help="print JSON for scripts")
    check.set_defaults(run=_check)
    return parser, dict(commands.choices)


def _parse(argv: Sequence[str]) -> argparse.Namespace:
    """The parsed arguments: options and positionals in any order after the
    command (``check POST URL --post A=1 TOKEN`` as well as ``check --post
    A=1 POST URL TOKEN``), which argparse's subcommands do not allow."""
    parser, commands = _parser()
    argv = list(argv)
    if not argv or argv[0].startswith("-"):
        # --help, --version, or nothing: the program's own parser.
        return parser.parse_args(argv)
    command = commands.get(argv[0])
    if command is None:
        _fail(f"unknown command (choose from {', '.join(commands)}; see --help)")
    args = command.parse_intermixed_args(argv[1:])
    args.command = argv[0]
    return args


def _token_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "token", nargs="?", default="-", metavar="TOKEN",
        help="the token (default: read from stdin)",
    )
    parser.add_argument(
        "--key-env", metavar="VAR",
        help=f"verify the signature with the key in $VAR (default: ${AUTH_TOKEN_ENV} if set)",
    )
    parser.add_argument(
        "--no-verify", action="store_true",
        help="do not verify the signature, even if a key is set",
    )
    parser.add_argument(
        "--now", type=float, default=None, metavar="SECONDS",
        help="the time to judge expiry at, in seconds since the epoch (default: now)",
    )


def _mint(args: argparse.Namespace) -> int:
    kind = args.kind
    stray = [f for f in _FLAG_HELP if getattr(args, f.replace("-", "_")) and f not in _FLAGS[kind]]
    if stray:
        raise UsageError(f"--{stray[0]} does not apply to --kind {kind}")
    token = MINTERS[kind](_Sids(args, _EXAMPLES[kind]), args)
    if args.example:
        print(
            f"twilio-trcap: --example: minted --kind {kind} with the documentation's "
            "example sids and an example key; Twilio will not accept it",
            file=sys.stderr,
        )
    print(token)
    return 0


class _Sids:
    """The sids and key `mint` was given: from options and the environment,
    or the examples with ``--example`` (which then refuses sid options)."""

    def __init__(self, args: argparse.Namespace, example: dict[str, str]) -> None:
        self._args = args
        self._example = example if args.example else None
        if self._example is not None:
            for option in _SID_OPTIONS:
                if getattr(args, option) is not None:
                    flag = option.replace("_", "-")
                    raise UsageError(f"--example sets its own sids; drop --{flag}")

    def __call__(self, option: str, *, required: bool = True) -> str | None:
        """The value of --`option` (with underscores), or its example."""
        if self._example is not None:
            return self._example.get(option)
        value = getattr(self._args, option)
        if option == "account_sid" and not value:
            value = os.environ.get(ACCOUNT_SID_ENV, "")
            if not value:
                raise UsageError(f"give --account-sid or set ${ACCOUNT_SID_ENV}")
        if required and not value:
            raise UsageError(f"give --{option.replace('_', '-')}")
        return str(value) if value else None

    def key(self, default_env: str) -> str:
        """The signing key, from the environment (or the example key)."""
        if self._example is not None:
            return self._example["key"]
        env = self._args.key_env or default_env
        key = os.environ.get(env, "")
        if not key:
            raise UsageError(f"set ${env} to the signing key (or use --example)")
        return key


def _mint_worker(sids: _Sids, args: argparse.Namespace) -> str:
    """A Worker token: twilio 4.0's documented TaskRouterCapability."""
    capability = TaskRouterCapability(
        str(sids("account_sid")),
        sids.key(AUTH_TOKEN_ENV),
        str(sids("workspace_sid")),
        str(sids("worker_sid")),
    )
    if args.fetch_attributes or args.all:
        capability.allow_worker_fetch_attributes()
    if args.activity_updates or args.all:
        capability.allow_worker_activity_updates()
    if args.reservation_updates or args.all:
        capability.allow_task_reservation_updates()
    return capability.generate_token(ttl=args.ttl)


def _resource_options(args: argparse.Namespace) -> dict[str, bool]:
    """The allow_* keywords of twilio 6+'s capability tokens, from flags."""
    return {
        "allow_update_self": args.update_self,
        "allow_delete_self": args.delete_self,
        "allow_fetch_subresources": args.fetch_subresources,
        "allow_update_subresources": args.update_subresources,
        "allow_delete_subresources": args.delete_subresources,
    }


def _mint_task_queue(sids: _Sids, args: argparse.Namespace) -> str:
    """A TaskQueue token: twilio 6+'s TaskQueueCapabilityToken."""
    from .jwt.taskrouter.capabilities import TaskQueueCapabilityToken

    token = TaskQueueCapabilityToken(
        str(sids("account_sid")),
        sids.key(AUTH_TOKEN_ENV),
        str(sids("workspace_sid")),
        str(sids("task_queue_sid")),
        ttl=args.ttl,
        **_resource_options(args),
    )
    return token.to_jwt()


def _mint_workspace(sids: _Sids, args: argparse.Namespace) -> str:
    """A Workspace token: twilio 6+'s WorkspaceCapabilityToken."""
    from .jwt.taskrouter.capabilities import WorkspaceCapabilityToken

    token = WorkspaceCapabilityToken(
        str(sids("account_sid")),
        sids.key(AUTH_TOKEN_ENV),
        str(sids("workspace_sid")),
        ttl=args.ttl,
        **_resource_options(args),
    )
    return token.to_jwt()


def _mint_access_token(sids: _Sids, args: argparse.Namespace) -> str:
    """An Access Token with a TaskRouter grant (twilio-taskrouter.js v2+)."""
    from .jwt.access_token import AccessToken
    from .jwt.access_token.grants import TaskRouterGrant

    token = AccessToken(
        str(sids("account_sid")),
        str(sids("signing_key_sid")),
        sids.key(API_SECRET_ENV),
        identity=sids("identity"),
        ttl=args.ttl,
    )
    token.add_grant(
        TaskRouterGrant(
            workspace_sid=sids("workspace_sid"),
            worker_sid=sids("worker_sid", required=False),
            role=sids("role", required=False),
        )
    )
    return token.to_jwt()


#: What ``mint --kind`` can mint: a name and a function from the sids and
#: the parsed arguments to a token.
MINTERS: dict[str, Callable[[_Sids, argparse.Namespace], str]] = {
    "worker": _mint_worker,
    "taskqueue": _mint_task_queue,
    "workspace": _mint_workspace,
    "access-token": _mint_access_token,
}

# -- decode and check ---------------------------------------------------------


def _read_token(argument: str) -> str:
    if not argument:
        raise UsageError("the token argument is empty")
    if argument != "-":
        return argument.strip()
    if sys.stdin is None or sys.stdin.isatty():
        raise UsageError("give the token as an argument, or pipe it on stdin")
    token = sys.stdin.read().strip()
    if not token:
        raise UsageError("no token on stdin")
    return token


#: What --key-env's value must look like to be shown in a message.
_ENV_NAME = re.compile(r"[A-Z][A-Z0-9_]{0,63}")

#: The header ``cty`` of an Access Token (twilio's "first-party application"
#: tokens), whose key is an API key's secret, not the auth token.
_ACCESS_TOKEN_CTY = "twilio-fpa;v=1"


def _default_key_env(token: str) -> str:
    """Where the key of `token` is found by default: ``$TWILIO_API_SECRET``
    for an Access Token (header ``cty``), ``$TWILIO_AUTH_TOKEN`` otherwise.
    The header is read unverified, only to choose; a token that cannot be
    read is left for the real decode to report."""
    try:
        header = decode_token(token, None, verify_exp=False, verify_nbf=False).header
    except (TypeError, ValueError, OverflowError):
        return AUTH_TOKEN_ENV
    return API_SECRET_ENV if header.get("cty") == _ACCESS_TOKEN_CTY else AUTH_TOKEN_ENV


def _key(args: argparse.Namespace, token: str) -> tuple[str | None, str]:
    """The key to verify `token` with (or None) and where it came from, in
    words."""
    if args.no_verify:
        if args.key_env:
            raise UsageError("--no-verify and --key-env contradict each other")
        return None, "--no-verify"
    if args.key_env:
        key = os.environ.get(args.key_env, "")
        if not key:
            # The name is repeated only if it looks like one (upper case, as
            # Twilio's keys are not): a key typed here by mistake must not
            # reach the terminal or a log.
            name = f"${args.key_env}" if _ENV_NAME.fullmatch(args.key_env) else "the variable"
            raise UsageError(f"--key-env: {name} is not set or empty")
        return key, f"${args.key_env}"
    env = _default_key_env(token)
    key = os.environ.get(env, "")
    if key:
        return key, f"${env}"
    return None, f"no key: set ${env} or use --key-env"


def _load(args: argparse.Namespace, *, check_times: bool) -> tuple[DecodedToken, str]:
    token = _read_token(args.token)
    key, source = _key(args, token)
    try:
        decoded = decode_token(
            token, key, verify_exp=check_times, verify_nbf=check_times, now=args.now
        )
    except InvalidSignatureError as exc:
        raise InvalidSignatureError(
            f"{exc} (key from {source}; use --key-env VAR for another key, or --no-verify)"
        ) from None
    return decoded, source


def _when(seconds: float, now: float) -> str:
    """`seconds` since the epoch as a UTC time, and how far from `now`."""
    try:
        stamp = datetime.fromtimestamp(seconds, timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")
    except (OverflowError, OSError, ValueError):
        return "beyond the calendar"
    delta = seconds - now
    span = abs(delta)
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if span >= 1.5 * size:
            amount = f"{round(span / size)} {unit}s"
            break
    else:
        amount = f"{int(span)} second{'s' if int(span) != 1 else ''}"
    return f"{stamp}, {'in ' + amount if delta > 0 else amount + ' ago'}"


def _time_status(claims: dict[str, Any], now: float) -> dict[str, Any]:
    exp, nbf = claims.get("exp"), claims.get("nbf")
    return {
        "now": now,
        "expired": exp is not None and int(exp) <= now,
        "not_yet_valid": nbf is not None and int(nbf) > now,
    }


_SHORT_ESCAPES = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _shown(text: str, *, backslash: bool = True) -> str:
    """`text` safe for a terminal: every character that is not printable
    (``str.isprintable``: C0 and C1 controls such as ESC, CR and LF, DEL,
    format characters such as the bidi overrides U+202A-U+202E and
    U+2066-U+2069 and zero-width characters, line and paragraph
    separators, spaces other than U+0020, unassigned and private-use code
    points, lone surrogates) is written as a Python escape (``\\x1b``,
    ``\\u202e``, ``\\udc80``), and a backslash as ``\\\\``, so that a
    token can neither move the cursor nor forge a line, nor look like an
    escape it does not hold.  Our own messages (`backslash` false) quote
    values with ``repr`` already, so their backslashes are left alone."""
    if text.isprintable() and not (backslash and "\\" in text):
        return text
    out = []
    for ch in text:
        if ch == "\\" and backslash:
            out.append("\\\\")
        elif ch.isprintable():
            out.append(ch)
        elif ch in _SHORT_ESCAPES:
            out.append(_SHORT_ESCAPES[ch])
        else:
            code = ord(ch)
            out.append(f"\\x{code:02x}" if code < 0x100 else
                       f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}")
    return "".join(out)


def _text(value: Any) -> str:
    """A header, claim or filter value as one line of human output."""
    return _shown(value if isinstance(value, str) else json.dumps(value, ensure_ascii=False))


def _json_out(value: Any, **options: Any) -> str:
    """JSON for scripts, ASCII only: non-ASCII and lone surrogates as
    ``\\u`` escapes (which any JSON reader reads back), DEL escaped too, so
    that no terminal control reaches the screen."""
    return json.dumps(value, ensure_ascii=True, **options).replace("\x7f", "\\u007f")


def _filters(policy: Policy) -> str:
    parts = []
    for where, rules in (("query", policy.query_filter), ("post", policy.post_filter)):
        for name, rule in rules.items():
            shown = "required" if rule == {"required": True} else (
                "optional" if rule == {"required": False} else _text(rule))
            parts.append(f"{where} {_shown(name)} {shown}")
    return ", ".join(parts) or "-"


def _table(rows: list[list[str]], indent: str = "  ") -> list[str]:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]) - 1)]
    return [
        indent + "  ".join(cell.ljust(w) for cell, w in zip(row, widths)) + "  " + row[-1]
        for row in rows
    ]


def _decode(args: argparse.Namespace) -> int:
    decoded, source = _load(args, check_times=False)
    now = time.time() if args.now is None else args.now
    claims = decoded.payload
    status = _time_status(claims, now)
    try:
        policies: list[Policy] | None = policies_of_claims(claims)
        problem = None
    except DecodeError as exc:
        policies, problem = None, str(exc)
    if args.json:
        out: dict[str, Any] = {
            "header": decoded.header,
            "claims": claims,
            "verified": decoded.verified,
            **status,
        }
        if problem:
            out["policies_error"] = problem
        print(_json_out(out, indent=2))
        return 0
    lines = ["header"]
    lines += _table([[_shown(name), _text(value)] for name, value in decoded.header.items()])
    lines.append(
        "signature  "
        + _shown(f"verified (key from {source})" if decoded.verified else f"NOT verified ({source})")
    )
    lines.append("claims")
    rows = []
    for name, value in claims.items():
        if name == "policies" and policies is not None:
            rows.append([name, f"{len(policies)}, below"])
        elif name in ("exp", "nbf", "iat") and isinstance(value, (int, float)):
            rows.append([name, f"{_text(value)}  ({_when(value, now)})"])
        else:
            rows.append([_shown(name), _text(value)])
    lines += _table(rows) if rows else ["  (none)"]
    if status["expired"]:
        lines.append("status     EXPIRED")
    elif status["not_yet_valid"]:
        lines.append("status     NOT YET VALID")
    elif "exp" in claims:
        lines.append("status     valid")
    if problem:
        lines.append(f"policies   {_shown(problem)}")
    elif policies:
        lines.append("policies")
        lines += _table(
            [["#", "allow", "method", "filters", "url"]]
            + [[str(i), "allow" if p.allow else "DENY", _shown(p.method), _filters(p), _shown(p.url)]
               for i, p in enumerate(policies)]
        )
    print("\n".join(lines))
    return 0


def _params(pairs: list[str], option: str) -> list[tuple[str, str]]:
    params = []
    for pair in pairs:
        name, _, value = pair.partition("=")
        if not name:
            raise UsageError(f"{option} wants NAME=VALUE, with a name before the '='")
        params.append((name, value))
    return params


def _check(args: argparse.Namespace) -> int:
    query = _params(args.query, "--query")
    post = _params(args.post, "--post")
    Request.parse(args.method, args.url, query, post)  # the request first, then the token
    decoded, _ = _load(args, check_times=not args.ignore_expiry)
    if not decoded.verified:
        print("twilio-trcap: note: the signature was not verified (no key)", file=sys.stderr)
    decision: Decision = decoded.explain(args.method, args.url, query=query, post=post)
    if args.json:
        print(_json_out({
            "allowed": decision.allowed,
            "index": decision.index,
            "policy": decision.policy.to_dict() if decision.policy is not None else None,
            "reason": decision.reason,
            "verified": decoded.verified,
        }))
    else:
        print(_shown(decision.reason))
    return 0 if decision.allowed else 1


def main(argv: Sequence[str] | None = None) -> int:
    """Runs the command line; returns the exit status.

    :param argv: the arguments after the program name (``sys.argv[1:]`` by
        default).
    """
    try:
        args = _parse(sys.argv[1:] if argv is None else argv)
        return int(args.run(args))
    except SystemExit as exc:
        # argparse's --help and --version, and _fail's status 2.
        if exc.code is None:
            return 0
        return exc.code if isinstance(exc.code, int) else 2
    except (UsageError, TypeError, ValueError, OverflowError) as exc:
        # DecodeError is a ValueError: a bad token is reported like a bad
        # argument.  No message of ours contains a key.
        print(f"twilio-trcap: error: {_shown(str(exc), backslash=False)}", file=sys.stderr)
        return 2
    except BrokenPipeError:
        # The reader went away (`| head`): stop quietly, and keep Python's
        # final flush of stdout from failing again.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
    except KeyboardInterrupt:
        return 130
