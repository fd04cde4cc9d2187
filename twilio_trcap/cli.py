"""The command line: ``python -m twilio_trcap`` (or ``trcap``).

Subcommands:

``mint``
    Prints a Worker token (the documented ``TaskRouterCapability``).  The
    auth token is read from ``TWILIO_AUTH_TOKEN`` so that it stays out of
    shell history and process listings; ``--example`` mints with the
    documentation's example sids and key and needs no account.

Errors are one line on stderr and exit status 2, never a traceback.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

from . import __version__, openssl_version
from .task_router import TaskRouterCapability

#: The documentation's example values (twilio-python 4.0's page).
EXAMPLE_ACCOUNT_SID = "AC123"
EXAMPLE_AUTH_TOKEN = "secret"
EXAMPLE_WORKSPACE_SID = "WS456"
EXAMPLE_WORKER_SID = "WK789"

AUTH_TOKEN_ENV = "TWILIO_AUTH_TOKEN"
ACCOUNT_SID_ENV = "TWILIO_ACCOUNT_SID"


class UsageError(Exception):
    """A bad argument: reported on one line, exit status 2."""


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m twilio_trcap",
        description="Twilio TaskRouter capability tokens, minted by a C core.",
    )
    parser.add_argument(
        "--version",
        action="version",
        version=f"twilio-trcap {__version__} ({openssl_version})",
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    mint = commands.add_parser(
        "mint",
        help="print a Worker capability token",
        description=(
            "Print a TaskRouter capability token for a Worker.js page. The auth token "
            f"is read from ${AUTH_TOKEN_ENV}."
        ),
    )
    mint.add_argument(
        "--account-sid",
        default=None,
        help=f"the account sid (default: ${ACCOUNT_SID_ENV})",
    )
    mint.add_argument("--workspace-sid", help="the Workspace sid")
    mint.add_argument("--worker-sid", help="the Worker sid")
    mint.add_argument(
        "--fetch-attributes",
        action="store_true",
        help="allow the Worker to fetch its attributes",
    )
    mint.add_argument(
        "--activity-updates",
        action="store_true",
        help="allow the Worker to change its Activity",
    )
    mint.add_argument(
        "--reservation-updates",
        action="store_true",
        help="allow the Worker to accept or reject reservations",
    )
    mint.add_argument(
        "--all",
        action="store_true",
        help="all three permissions above",
    )
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
    return parser


def _mint(args: argparse.Namespace) -> int:
    if args.example:
        for option in ("account_sid", "workspace_sid", "worker_sid"):
            if getattr(args, option) is not None:
                raise UsageError(f"--example sets its own sids; drop --{option.replace('_', '-')}")
        account_sid = EXAMPLE_ACCOUNT_SID
        auth_token = EXAMPLE_AUTH_TOKEN
        workspace_sid = EXAMPLE_WORKSPACE_SID
        worker_sid = EXAMPLE_WORKER_SID
    else:
        account_sid = str(args.account_sid or os.environ.get(ACCOUNT_SID_ENV, ""))
        if not account_sid:
            raise UsageError(f"give --account-sid or set ${ACCOUNT_SID_ENV}")
        if not args.workspace_sid:
            raise UsageError("give --workspace-sid")
        if not args.worker_sid:
            raise UsageError("give --worker-sid")
        auth_token = os.environ.get(AUTH_TOKEN_ENV, "")
        if not auth_token:
            raise UsageError(f"set ${AUTH_TOKEN_ENV} to the account's auth token (or use --example)")
        workspace_sid = args.workspace_sid
        worker_sid = args.worker_sid

    capability = TaskRouterCapability(account_sid, auth_token, workspace_sid, worker_sid)
    if args.fetch_attributes or args.all:
        capability.allow_worker_fetch_attributes()
    if args.activity_updates or args.all:
        capability.allow_worker_activity_updates()
    if args.reservation_updates or args.all:
        capability.allow_task_reservation_updates()
    token = capability.generate_token(ttl=args.ttl)
    if args.example:
        print(
            "twilio-trcap: --example: minted with the documentation's example sids "
            f"({EXAMPLE_ACCOUNT_SID}, {EXAMPLE_WORKSPACE_SID}, {EXAMPLE_WORKER_SID}) and "
            "an example key; TaskRouter will not accept this token",
            file=sys.stderr,
        )
    print(token)
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Runs the command line; returns the exit status.

    :param argv: the arguments after the program name (``sys.argv[1:]`` by
        default).
    """
    args = _parser().parse_args(argv)
    try:
        return int(args.run(args))
    except (UsageError, TypeError, ValueError, OverflowError) as exc:
        print(f"twilio-trcap: error: {exc}", file=sys.stderr)
        return 2
