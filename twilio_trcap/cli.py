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
    Shows whether the signature was verified and whether the token is in
    its times (the first two lines, before any value from the token), then
    its header, claims and policies as a table (or JSON with ``--json``).
``check METHOD URL``
    Says whether the token allows the request, and which policy decided
    (the local model of docs/policies.md).  Exit status 0 when allowed, 1
    when denied.

Both verify the signature with the key in ``--key-env VAR``, or else with
``TWILIO_AUTH_TOKEN`` and then ``TWILIO_API_SECRET`` (each that is set),
whatever the token's header says; a token no key verifies is an error
(exit status 2), and so is having no key at all: reading a token
unverified takes ``--no-verify``, and the output's first line then says
so.

A token is read from the command line or, when absent or ``-``, from
stdin; options may come anywhere after the command.  Bad tokens, bad
arguments and requests the local model does not take are one line on
stderr and exit status 2, never a traceback, and never show an argument's
value or the token (docs/security.md, "The command line").  Options must be
spelt in full.  Human output escapes every non-printable character.
"""

from __future__ import annotations

import argparse
import difflib
import json
import os
import re
import sys
import time
from collections.abc import Callable, Sequence
from typing import Any, NoReturn

from . import __version__, openssl_version
from ._time_words import in_words
from .check import Decision, Request
from .decode import MAX_TOKEN_LENGTH, DecodedToken, decode_token, policies_of_claims
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


# argparse messages that carry what the user typed: the value is shown only
# if it cannot be a key (`_word`), with what was expected.
_VALUE_MESSAGES = (
    re.compile(r"(?P<head>argument [^:]+: invalid (?P<type>\w+) value): '(?P<value>.*)'", re.S),
    re.compile(r"(?P<head>argument [^:]+: invalid choice): '(?P<value>.*?)' "
               r"\(choose from (?P<choices>.*)\)", re.S),
    re.compile(r"(?P<head>argument [^:]+: )ignored explicit argument .*", re.S),
)
#: What a value of each argparse type must look like.
_EXPECTED = {"int": "a whole number", "float": "a number"}
# argparse messages made of option names and metavars only.
_NAME_MESSAGES = re.compile(
    r"(the following arguments are required: [A-Za-z0-9_, -]+"
    r"|argument [^:]+: expected (one|at most one|at least one) argument"
    r"|argument [^:]+: not allowed with argument [^:]+)",
)
# Words that may be shown back: letters and dashes (a command, a choice, an
# option's name) or a short number.  A key has digits among its letters, or
# is long: Twilio's are 32 hexadecimal digits.
_WORD = re.compile(r"-{0,2}[A-Za-z][A-Za-z-]{0,23}|[-+]?[0-9][0-9.eE+-]{0,11}")


def _word(value: str) -> str | None:
    """`value` quoted, if it may be shown (it cannot be a key), else None."""
    return repr(value) if _WORD.fullmatch(value) else None


def _did_you_mean(word: str, choices: Sequence[str]) -> str:
    """"; did you mean X?" for the choice closest to `word`, or ""."""
    close = difflib.get_close_matches(word, choices, n=1, cutoff=0.6)
    return f"; did you mean {close[0]}?" if close else ""


def _value_message(message: str) -> str | None:
    """argparse's `message` about a bad value, with the value only if it
    may be shown, what was expected, and the closest choice; None if
    `message` is not about a value."""
    for pattern in _VALUE_MESSAGES:
        match = pattern.fullmatch(message)
        if match is None:
            continue
        groups = match.groupdict()
        if "value" not in groups:
            return f"{groups['head']}takes no value"
        shown = _word(groups["value"])
        head = f"{groups['head']} {shown}" if shown else f"{groups['head']} (not shown)"
        if "choices" in groups:
            choices = [c.strip(" '") for c in groups["choices"].split(",")]
            hint = _did_you_mean(groups["value"], choices) if shown else ""
            return f"{head}{hint} (choose from {', '.join(choices)})"
        return f"{head}: expected {_EXPECTED.get(groups['type'], 'a ' + groups['type'])}"
    return None


class _Parser(argparse.ArgumentParser):
    """argparse, with its errors on one line (no usage block) and status 2,
    no abbreviated options (``--key`` must not become ``--key-env``), no
    argument's value in any message unless it cannot be a key, and the
    closest option suggested for an unknown one.  Subcommand parsers are
    made of the same class."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs["allow_abbrev"] = False
        if sys.version_info >= (3, 14):
            # 3.15 turns on argparse's own "maybe you meant" by default; it
            # quotes the value and would hide the message from
            # _value_message.  The suggestions here are ours.
            kwargs["suggest_on_error"] = False
        super().__init__(*args, **kwargs)

    def error(self, message: str) -> NoReturn:
        """Reports argparse's `message`, without any value it quotes."""
        shown = _value_message(message)
        if shown is None:
            shown = message if _NAME_MESSAGES.fullmatch(message) else "bad arguments"
        _fail(f"{self.prog.split()[-1]}: {shown} (see --help)")

    def parse_args(self, args: Any = None, namespace: Any = None) -> Any:
        parsed, extras = self.parse_known_args(args, namespace)
        self._refuse(extras)
        return parsed

    def parse_intermixed_args(self, args: Any = None, namespace: Any = None) -> Any:
        parsed, extras = self.parse_known_intermixed_args(args, namespace)
        self._refuse(extras)
        return parsed

    def _refuse(self, extras: list[str]) -> None:
        """Unknown arguments, named (an option's name, with the closest
        option, never its value; anything else only counted)."""
        if not extras:
            return
        options = [_option_name(a) for a in extras if a.startswith("-") and a != "-"]
        where = self.prog.split()[-1]
        if options:
            name = options[0]
            hint = "" if name == "(not shown)" else _did_you_mean(
                name, [o for o in self._option_string_actions if o.startswith("--")])
            _fail(f"{where}: unknown option {name}{hint} (see --help)")
        _fail(f"{where}: {len(extras)} unexpected argument{'s' if len(extras) > 1 else ''} "
              "(see --help)")


def _option_name(argument: str) -> str:
    """An unknown option as it may be shown: its name up to any ``=``, if
    the name is made of letters, digits and dashes; else nothing of it."""
    name = argument.partition("=")[0]
    # Option names are lower-case words and dashes; anything else (a value
    # that happens to start with '-') is not shown.
    return name if re.fullmatch(r"--[a-z][a-z-]{0,40}", name) else "(not shown)"


def _fail(message: str) -> NoReturn:
    print(f"twilio-trcap: error: {message}", file=sys.stderr)
    raise SystemExit(2)


def _program_name() -> str:
    """How the program was run, for its usage lines: ``trcap``, or
    ``python -m twilio_trcap``."""
    run_as = os.path.basename(sys.argv[0]) if sys.argv and sys.argv[0] else ""
    return "python -m twilio_trcap" if run_as in ("__main__.py", "-m", "-c") else "trcap"


def _parser() -> tuple[argparse.ArgumentParser, dict[str, argparse.ArgumentParser]]:
    """The program's parser, and the parser of each command by name."""
    parser = _Parser(
        prog=_program_name(),
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
            "Show whether a token's signature is verified and whether it is in its "
            "times (the first two lines), then its header, claims and policies. The "
            f"signature is verified with the key in --key-env's variable, or else with "
            f"${AUTH_TOKEN_ENV} and then ${API_SECRET_ENV}, whichever is set and matches, "
            "never a key the token's header asks for; with no key, give --no-verify. "
            f"Values from the token are escaped and cut after {MAX_SHOWN} characters "
            "(--json shows them whole)."
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
            "1 when denied, 2 for a bad token, a token no key verifies, or bad "
            "arguments. The key is found as decode finds it."
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
        shown = _word(argv[0])
        hint = _did_you_mean(argv[0], list(commands)) if shown else ""
        _fail(f"unknown command{' ' + shown if shown else ''}{hint} "
              f"(choose from {', '.join(commands)}; see --help)")
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
        help=(
            f"verify the signature with the key in $VAR (default: ${AUTH_TOKEN_ENV}, "
            f"then ${API_SECRET_ENV}, each if set)"
        ),
    )
    parser.add_argument(
        "--no-verify", action="store_true",
        help=(
            "read the token without verifying its signature (needed when no key is "
            "set); the output says so first"
        ),
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
            raise UsageError(f"set {_env_shown(env)} to the signing key (or use --example)")
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
    # The longest token and a line end ("\r\n"), and one character more to
    # see that nothing follows: `decode < /dev/zero` ends at once.
    try:
        raw = sys.stdin.read(MAX_TOKEN_LENGTH + 3)
    except UnicodeDecodeError:
        raise UsageError("stdin is not UTF-8 text") from None
    token = raw.strip()
    if len(raw) > MAX_TOKEN_LENGTH + 2 or len(token) > MAX_TOKEN_LENGTH:
        raise UsageError(f"the token on stdin is longer than {MAX_TOKEN_LENGTH} characters")
    if not token:
        raise UsageError("no token on stdin")
    return token


#: What --key-env's value must look like to be shown in a message.
_ENV_NAME = re.compile(r"[A-Z][A-Z0-9_]{0,63}")


def _env_shown(name: str) -> str:
    """The variable `name` (--key-env's value, or a default) as a message
    may show it: ``$NAME`` only if it looks like a variable's name (upper
    case, as Twilio's keys are not), else "the variable": a key typed after
    --key-env by mistake must not reach the terminal or a log."""
    return f"${name}" if _ENV_NAME.fullmatch(name) else "the variable"

#: Where the key is looked for without --key-env, in this order: a
#: capability token's key (the auth token), then an Access Token's (an API
#: key's secret).  The token's header is never asked which: it is not
#: verified yet, and a forger writes what it likes there.
DEFAULT_KEY_ENVS = (AUTH_TOKEN_ENV, API_SECRET_ENV)


def _keys(args: argparse.Namespace) -> list[tuple[str, str]]:
    """The keys to verify with, each with the variable it came from: the
    one --key-env names, or every one of `DEFAULT_KEY_ENVS` that is set;
    empty for --no-verify (or when no variable is set: `_load` refuses
    that, since reading a token unverified is asked for by name)."""
    if args.no_verify:
        if args.key_env:
            raise UsageError("--no-verify and --key-env contradict each other")
        return []
    if args.key_env:
        key = os.environ.get(args.key_env, "")
        if not key:
            raise UsageError(f"--key-env: {_env_shown(args.key_env)} is not set or empty")
        return [(key, f"${args.key_env}")]
    return [(os.environ[env], f"${env}") for env in DEFAULT_KEY_ENVS if os.environ.get(env)]


def _load(args: argparse.Namespace, *, check_times: bool) -> tuple[DecodedToken, str]:
    """The token, decoded and verified with the first key it matches (or
    not verified, with --no-verify), and where that key came from."""
    token = _read_token(args.token)
    keys = _keys(args)
    options: dict[str, Any] = {
        "verify_exp": check_times, "verify_nbf": check_times, "now": args.now,
    }
    if args.no_verify:
        return decode_token(token, None, **options), "--no-verify"
    if not keys:
        # A token that is not even well formed says so first; one that is
        # is not shown without a key unless asked for by name.
        decode_token(token, None, verify_exp=False, verify_nbf=False)
        raise UsageError(
            f"no key to verify the signature with: set ${AUTH_TOKEN_ENV} (a capability token) "
            f"or ${API_SECRET_ENV} (an Access Token), or give --key-env VAR; "
            "--no-verify reads the token without verifying it"
        )
    for key, source in keys:
        try:
            return decode_token(token, key, **options), source
        except InvalidSignatureError as exc:
            error = exc
    sources = " or ".join(source for _, source in keys)
    raise InvalidSignatureError(
        f"{error} (key from {sources}; use --key-env VAR for another key, or --no-verify)"
    ) from None


def _time_status(claims: dict[str, Any], now: float) -> dict[str, Any]:
    exp, nbf = claims.get("exp"), claims.get("nbf")
    return {
        "now": now,
        "expired": exp is not None and int(exp) <= now,
        "not_yet_valid": nbf is not None and int(nbf) > now,
    }


_SHORT_ESCAPES = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}

#: How many characters of one value from a token human output shows; the
#: rest is cut, with a marker that counts it (``--json`` shows all).
MAX_SHOWN = 200

_SPACE_RUN = re.compile(r"  +")


def _shown(text: str, *, backslash: bool = True) -> str:
    """`text` safe for a terminal: every character that is not printable
    (``str.isprintable``: C0 and C1 controls such as ESC, CR and LF, DEL,
    format characters such as the bidi overrides U+202A-U+202E and
    U+2066-U+2069 and zero-width characters, line and paragraph
    separators, spaces other than U+0020, unassigned and private-use code
    points, lone surrogates) is written as a Python escape (``\\x1b``,
    ``\\u202e``, ``\\udc80``), every space of a run of two or more as
    ``\\x20`` (a value padded to a terminal's width cannot wrap onto a
    line of its own), and a backslash as ``\\\\``, so that a token can
    neither move the cursor nor forge a line, nor look like an escape it
    does not hold.  Our own messages (`backslash` false) quote values with
    ``repr`` already, so their backslashes are left alone."""
    if text.isprintable() and "  " not in text and not (backslash and "\\" in text):
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
    return _SPACE_RUN.sub(lambda run: "\\x20" * len(run.group()), "".join(out))


def _value(text: str) -> str:
    """A value read from a token, as `_shown` writes it, and cut after
    `MAX_SHOWN` characters with a marker that says how many more there
    were."""
    if len(text) <= MAX_SHOWN:
        return _shown(text)
    return f"{_shown(text[:MAX_SHOWN])}... [{len(text) - MAX_SHOWN} more characters; --json shows all]"


def _text(value: Any) -> str:
    """A header, claim or filter value as one line of human output."""
    return _value(value if isinstance(value, str) else json.dumps(value, ensure_ascii=False))


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
            parts.append(f"{where} {_value(name)} {shown}")
    return ", ".join(parts) or "-"


def _table(rows: list[list[str]], indent: str = "  ") -> list[str]:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]) - 1)]
    return [
        indent + "  ".join(cell.ljust(w) for cell, w in zip(row, widths)) + "  " + row[-1]
        for row in rows
    ]


def _verdict(decoded: DecodedToken, source: str, status: dict[str, Any], claims: dict[str, Any]) -> list[str]:
    """The first two lines of `decode`: whether the signature was verified,
    and whether the token is in its times.  They come before any value
    from the token, so that no value, however it wraps, can stand above
    them."""
    if status["expired"]:
        times = "EXPIRED"
    elif status["not_yet_valid"]:
        times = "NOT YET VALID"
    elif "exp" not in claims:
        times = "no expiry"
    else:
        times = "within its times"
    if decoded.verified:
        return [f"signature  verified (key from {source})",
                f"status     {'valid' if times == 'within its times' else times}"]
    return [f"signature  NOT verified ({source}): anyone could have written this token",
            f"status     {times}, NOT verified"]


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
            "verified": decoded.verified,
            "key_from": source if decoded.verified else None,
            "header": decoded.header,
            "claims": claims,
            **status,
        }
        if problem:
            out["policies_error"] = problem
        print(_json_out(out, indent=2))
        return 0
    lines = _verdict(decoded, source, status, claims)
    lines.append("header")
    lines += _table([[_value(name), _text(value)] for name, value in decoded.header.items()])
    lines.append("claims")
    rows = []
    for name, value in claims.items():
        if name == "policies" and policies is not None:
            rows.append([name, f"{len(policies)}, below"])
        elif name in ("exp", "nbf", "iat") and isinstance(value, (int, float)):
            rows.append([name, f"{_text(value)}  {in_words(value, now)}"])
        else:
            rows.append([_value(name), _text(value)])
    lines += _table(rows) if rows else ["  (none)"]
    if problem:
        lines.append(f"policies   {_shown(problem)}")
    elif policies:
        lines.append("policies")
        lines += _table(
            [["#", "allow", "method", "filters", "url"]]
            + [[str(i), "allow" if p.allow else "DENY", _value(p.method), _filters(p), _value(p.url)]
               for i, p in enumerate(policies)]
        )
    print("\n".join(lines))
    return 0


def _params(pairs: list[str], option: str) -> list[tuple[str, str]]:
    params = []
    for pair in pairs:
        name, equals, value = pair.partition("=")
        if not name or not equals:
            raise UsageError(f"{option} wants NAME=VALUE, with a name before the '='")
        params.append((name, value))
    return params


#: The methods `check` takes: HTTP's (RFC 9110 section 9, and PATCH, RFC
#: 5789).  The model takes any RFC 9110 token; a word that is not a method
#: is a typo here, not a request to deny.
HTTP_METHODS = ("GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH")


def _check(args: argparse.Namespace) -> int:
    if args.method.upper() not in HTTP_METHODS:
        shown = _word(args.method)
        hint = _did_you_mean(args.method.upper(), HTTP_METHODS) if shown else ""
        raise UsageError(f"METHOD {shown or '(not shown)'} is not an HTTP method{hint} "
                         f"(choose from {', '.join(HTTP_METHODS)})")
    query = _params(args.query, "--query")
    post = _params(args.post, "--post")
    Request.parse(args.method, args.url, query, post)  # the request first, then the token
    decoded, source = _load(args, check_times=not args.ignore_expiry)
    decision: Decision = decoded.explain(args.method, args.url, query=query, post=post)
    if args.json:
        print(_json_out({
            "verified": decoded.verified,
            "key_from": source if decoded.verified else None,
            "allowed": decision.allowed,
            "index": decision.index,
            "policy": decision.policy.to_dict() if decision.policy is not None else None,
            "reason": decision.reason,
        }))
    else:
        if not decoded.verified:
            print(f"signature NOT verified ({source}): anyone could have written this token")
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
