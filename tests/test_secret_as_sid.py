"""A secret passed where a sid goes is neither minted nor echoed (issue 19,
item 2).

A Twilio auth token is 32 hexadecimal digits and an API secret 32 letters
and digits: both keep the character rule of a sid.  The rule of
docs/security.md ("Sids") is that every sid of every generation starts with
its type's two upper-case letters (``AC``, ``WS``, ``WK``, ``WQ``, ``SK``),
so such a key is refused wherever a sid goes, and that no error shows a
refused value: only the argument's name, what was expected, the value's
length and, past a right prefix, where the first refused character is.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import jwt as pyjwt
import pytest

from twilio_trcap import TaskRouterCapability, task_router_v4_5, task_router_v5
from twilio_trcap.errors import DecodeError
from twilio_trcap.jwt import Jwt
from twilio_trcap.jwt.access_token import AccessToken
from twilio_trcap.jwt.access_token.grants import TaskRouterGrant
from twilio_trcap.jwt.taskrouter import capabilities
from twilio_trcap.policy import Policy

#: An auth token (lower-case hex, as Twilio's are) and an API secret
#: (letters and digits); the first starts with "ac", the account prefix in
#: the wrong case.
AUTH_TOKEN = "ac5e07f2b9d14c6380a7e1f5d2c94b08"
API_SECRET = "q7ZrT2mXv9LkP4sN8bWc1YdH6fJg3Ae0"
SECRETS = [AUTH_TOKEN, API_SECRET]
KEY = "the-real-signing-key-of-32-bytes"
GOOD = {"account_sid": "AC1", "workspace_sid": "WS1", "worker_sid": "WK1",
        "channel_id": "WK1", "task_queue_sid": "WQ1", "signing_key_sid": "SK1"}  # fmt: skip


def assert_not_shown(message: str, value: str) -> None:
    """No four characters in a row of `value` are in `message`, and the
    message is short whatever the value's length."""
    assert len(message) < 300, f"{len(message)} characters"
    for i in range(len(value) - 3):
        assert value[i : i + 4] not in message, f"{value[i:i + 4]!r} shown in {message!r}"


def refused(make: Callable[[], Any], name: str, value: str) -> str:
    with pytest.raises(ValueError) as caught:
        make()
    message = str(caught.value)
    assert message.startswith(name + " "), message
    assert_not_shown(message, value)
    return message


# -- the 4.0 class and mint_many: the swap of the issue -------------------------


@pytest.mark.parametrize("secret", SECRETS)
def test_the_4_0_class_refuses_an_auth_token_swapped_with_the_workspace_sid(secret: str) -> None:
    message = refused(lambda: TaskRouterCapability("AC1", "WS1", secret, "WK1"), "workspace_sid", secret)
    assert "must start with 'WS'" in message and "32 characters" in message
    assert "value not shown" in message


@pytest.mark.parametrize("secret", SECRETS)
@pytest.mark.parametrize("position", [0, 2, 3])
def test_the_4_0_class_refuses_a_secret_as_any_sid(secret: str, position: int) -> None:
    args = ["AC1", KEY, "WS1", "WK1"]
    args[position] = secret
    name = {0: "account_sid", 2: "workspace_sid", 3: "worker_sid"}[position]
    refused(lambda: TaskRouterCapability(*args), name, secret)


@pytest.mark.parametrize("secret", SECRETS)
def test_mint_many_refuses_a_secret_as_any_sid(secret: str) -> None:
    mint = TaskRouterCapability.mint_many
    refused(lambda: mint("AC1", "WS1", secret, ["WK1"]), "workspace_sid", secret)
    refused(lambda: mint(secret, KEY, "WS1", ["WK1"]), "account_sid", secret)
    refused(lambda: mint("AC1", KEY, "WS1", ["WK1", secret]), "worker_sids[1]", secret)


# -- every other generation ---------------------------------------------------------


def _v5(module: Any, cls: str) -> Callable[..., Any]:
    def make(account_sid: str, workspace_sid: str, *channel: str) -> Any:
        return getattr(module, cls)(account_sid, KEY, workspace_sid, *channel)
    return make


# (id, factory, its sid arguments in order)
MAKERS: list[tuple[str, Callable[..., Any], list[str]]] = [
    *(
        (f"{m.__name__.rsplit('.', 1)[1]}.{cls}", _v5(m, cls),
         ["account_sid", "workspace_sid", *([channel] if channel else [])])
        for m in (task_router_v4_5, task_router_v5)
        for cls, channel in (
            ("TaskRouterCapability", "channel_id"),
            ("TaskRouterWorkerCapability", "worker_sid"),
            ("TaskRouterTaskQueueCapability", "channel_id"),
            ("TaskRouterWorkspaceCapability", ""),
        )
    ),
    ("jwt.Worker", lambda a, w, c: capabilities.WorkerCapabilityToken(a, KEY, w, c),
     ["account_sid", "workspace_sid", "worker_sid"]),
    ("jwt.TaskQueue", lambda a, w, c: capabilities.TaskQueueCapabilityToken(a, KEY, w, c),
     ["account_sid", "workspace_sid", "task_queue_sid"]),
    ("jwt.Workspace", lambda a, w: capabilities.WorkspaceCapabilityToken(a, KEY, w),
     ["account_sid", "workspace_sid"]),
    ("AccessToken", lambda a, s: AccessToken(a, s, KEY), ["account_sid", "signing_key_sid"]),
    ("TaskRouterGrant", lambda w, k: TaskRouterGrant(w, k), ["workspace_sid", "worker_sid"]),
]
CASES = [(label, make, names, i) for label, make, names in MAKERS for i in range(len(names))]
IDS = [f"{label}-{names[i]}" for label, _, names, i in CASES]


def _good(label: str, name: str) -> str:
    if name == "channel_id" and "TaskQueue" in label:
        return "WQ1"
    return GOOD[name]


@pytest.mark.parametrize("secret", SECRETS)
@pytest.mark.parametrize(("label", "make", "names", "index"), CASES, ids=IDS)
def test_every_class_refuses_a_secret_as_a_sid_without_showing_it(
    label: str, make: Callable[..., Any], names: list[str], index: int, secret: str
) -> None:
    args = [_good(label, n) for n in names]
    make(*args)  # the good sids are taken
    args[index] = secret
    message = refused(lambda: make(*args), names[index], secret)
    assert "must start with '" in message


@pytest.mark.parametrize(("label", "make", "names", "index"), CASES, ids=IDS)
def test_a_million_character_sid_gives_a_short_message(
    label: str, make: Callable[..., Any], names: list[str], index: int
) -> None:
    good = [_good(label, n) for n in names]
    prefix = good[index][:2]
    for value in ("f" * 10**6, prefix + "7" * 10**6 + "/", prefix + "/" + "7" * 10**6):
        args = list(good)
        args[index] = value
        refused(lambda: make(*args), names[index], value)


def test_the_4_0_class_and_mint_many_give_short_messages_for_a_million_characters() -> None:
    for value in ("f" * 10**6, "WK" + "7" * 10**6 + "/"):
        refused(lambda: TaskRouterCapability("AC1", KEY, "WS1", value), "worker_sid", value)
        refused(lambda: TaskRouterCapability.mint_many("AC1", KEY, "WS1", [value]), "worker_sids[0]", value)


def test_a_right_prefix_shows_where_the_sid_goes_wrong_not_what_it_holds() -> None:
    value = "WK1/../" + AUTH_TOKEN
    message = refused(lambda: TaskRouterCapability("AC1", KEY, "WS1", value), "worker_sid", value)
    assert message == (
        "worker_sid must hold ASCII letters and digits only (a Twilio sid): character 4 of 39 "
        "is not one (value not shown)"
    )


@pytest.mark.parametrize("secret", SECRETS)
def test_setters_and_methods_that_take_a_sid_do_not_show_it(secret: str) -> None:
    token = AccessToken("AC1", "SK1", KEY)
    refused(lambda: setattr(token, "account_sid", secret), "account_sid", secret)
    refused(lambda: setattr(token, "signing_key_sid", secret), "signing_key_sid", secret)
    grant = TaskRouterGrant()
    refused(lambda: setattr(grant, "workspace_sid", secret), "workspace_sid", secret)
    refused(lambda: setattr(grant, "worker_sid", secret), "worker_sid", secret)
    worker = capabilities.WorkerCapabilityToken("AC1", KEY, "WS1", "WK1")
    refused(lambda: worker.allow_web_sockets(secret), "channel_id", secret)
    for module in (task_router_v4_5, task_router_v5):
        old = module.TaskRouterCapability("AC1", KEY, "WS1", "WK1")
        with pytest.raises(ValueError) as caught:
            old.allow_web_sockets(secret)
        assert_not_shown(str(caught.value), secret)


def test_another_workspace_as_the_channel_is_not_shown() -> None:
    other = "WS" + "9" * 10**6
    for module in (task_router_v4_5, task_router_v5):
        refused(lambda: module.TaskRouterCapability("AC1", KEY, "WS1", other), "channel_id", other)


def test_a_non_worker_channel_is_not_shown_by_the_deprecated_methods() -> None:
    queue = "WQ" + "8" * 10**6
    capability = task_router_v5.TaskRouterCapability("AC1", KEY, "WS1", queue)
    with pytest.warns(DeprecationWarning), pytest.raises(ValueError) as caught:
        capability.allow_worker_fetch_attributes()
    assert_not_shown(str(caught.value), queue)


def test_a_channel_claim_is_not_shown_by_from_jwt() -> None:
    claims = capabilities.WorkerCapabilityToken("AC1", KEY, "WS1", "WK1", valid_until=2**40).payload
    forged = pyjwt.encode({**claims, "channel": AUTH_TOKEN}, KEY, algorithm="HS256")
    with pytest.raises(DecodeError) as caught:
        capabilities.WorkerCapabilityToken.from_jwt(forged, KEY)
    assert_not_shown(str(caught.value), AUTH_TOKEN)


# -- other messages built from argument values --------------------------------------


class _Jwt(Jwt):
    def _generate_payload(self) -> dict[str, Any]:
        return {}


@pytest.mark.parametrize("secret", SECRETS)
def test_an_algorithm_is_named_only_when_it_is_one(secret: str) -> None:
    with pytest.raises(ValueError) as caught:
        _Jwt(KEY, "issuer", algorithm=secret)
    assert_not_shown(str(caught.value), secret)
    with pytest.raises(ValueError, match="^algorithm must be 'HS256', not 'HS512'"):
        _Jwt(KEY, "issuer", algorithm="HS512")


def test_a_refused_method_is_not_shown() -> None:
    value = AUTH_TOKEN + " "  # not an HTTP method: a space
    with pytest.raises(ValueError) as caught:
        Policy("https://taskrouter.twilio.com/v1/Workspaces/WS1", value)
    assert str(caught.value).startswith("method must be an HTTP method")
    assert_not_shown(str(caught.value), value)


# -- str subclasses: storage is read, no method runs ---------------------------------

# The spy of test_adversarial_sids.py: each method it makes records its
# name in CALLED.
from test_adversarial_sids import CALLED, _spy  # noqa: E402


class Liar(str):
    """A str whose every method says it is the good sid 'WS1'."""

    __str__ = _spy("__str__", "WS1")
    __repr__ = _spy("__repr__", "'WS1'")
    __format__ = _spy("__format__", "WS1")
    __eq__ = _spy("__eq__", True)
    __ne__ = _spy("__ne__", False)
    __hash__ = _spy("__hash__", 0)
    __len__ = _spy("__len__", 3)
    __getitem__ = _spy("__getitem__", "W")
    __iter__ = _spy("__iter__", iter("WS1"))
    startswith = _spy("startswith", True)
    isalnum = _spy("isalnum", True)
    isascii = _spy("isascii", True)
    encode = _spy("encode", b"WS1")


@pytest.mark.parametrize("secret", SECRETS)
def test_a_lying_str_subclass_gets_the_right_answer(secret: str) -> None:
    CALLED.clear()
    message = refused(lambda: TaskRouterCapability("AC1", KEY, Liar(secret), "WK1"), "workspace_sid", secret)
    assert "got 32 characters" in message  # its storage's length, not __len__'s 3
    refused(lambda: TaskRouterCapability.mint_many("AC1", KEY, "WS1", [Liar(secret)]), "worker_sids[0]", secret)
    refused(lambda: capabilities.WorkspaceCapabilityToken("AC1", KEY, Liar(secret)), "workspace_sid", secret)
    refused(lambda: AccessToken(Liar(secret), "SK1", KEY), "account_sid", secret)
    value = "WS1/" + secret
    message = refused(lambda: TaskRouterCapability("AC1", KEY, Liar(value), "WK1"), "workspace_sid", value)
    assert "character 4 of 36" in message
    made = TaskRouterCapability("AC1", KEY, Liar("WS2"), "WK1")
    assert type(made.workspace_sid) is str and made.workspace_sid == "WS2"
    assert CALLED == []


# -- the command line, as installed --------------------------------------------------


def trcap(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    program = Path(sys.executable).with_name("trcap")
    assert program.exists(), f"{program} is not installed"
    base = {k: v for k, v in os.environ.items() if not k.startswith("TWILIO_")}
    return subprocess.run(
        [str(program), *args], capture_output=True, text=True, env={**base, **env},
        cwd=tempfile.gettempdir(), timeout=120,
    )  # fmt: skip


@pytest.mark.parametrize(
    ("options", "env", "name"),
    [
        (["--workspace-sid", AUTH_TOKEN, "--worker-sid", "WK1"], {}, "workspace_sid"),
        (["--workspace-sid", "WS1", "--worker-sid", AUTH_TOKEN], {}, "worker_sid"),
        (["--account-sid", AUTH_TOKEN, "--workspace-sid", "WS1", "--worker-sid", "WK1"], {}, "account_sid"),
        # The two variables swapped.
        (["--workspace-sid", "WS1", "--worker-sid", "WK1"], {"TWILIO_ACCOUNT_SID": AUTH_TOKEN}, "account_sid"),
        (["--kind", "taskqueue", "--workspace-sid", "WS1", "--task-queue-sid", AUTH_TOKEN], {}, "task_queue_sid"),
        (["--kind", "workspace", "--workspace-sid", AUTH_TOKEN], {}, "workspace_sid"),
        (["--kind", "access-token", "--signing-key-sid", AUTH_TOKEN, "--identity", "alice",
          "--workspace-sid", "WS1"], {"TWILIO_API_SECRET": AUTH_TOKEN}, "signing_key_sid"),
    ],
)
def test_trcap_mint_refuses_a_secret_as_a_sid_without_showing_it(
    options: list[str], env: dict[str, str], name: str
) -> None:
    env = {"TWILIO_ACCOUNT_SID": "AC1", "TWILIO_AUTH_TOKEN": AUTH_TOKEN, **env}
    result = trcap("mint", *options, env=env)
    assert result.returncode == 2, (result.stdout, result.stderr)
    assert result.stdout == ""
    assert result.stderr.startswith(f"twilio-trcap: error: {name} must start with ")
    assert_not_shown(result.stdout + result.stderr, AUTH_TOKEN)


def test_an_empty_prefix_tuple_is_refused_everywhere_it_is_taken() -> None:
    # Every sid has a prefix: () is a programming error in a rule, not "any
    # sid", in each of the three places the core takes prefixes.
    from twilio_trcap import Key, _core

    message = r"^prefixes must not be empty: every sid has a prefix$"
    with pytest.raises(ValueError, match=message):
        _core.check_sid("WK1", "worker_sid", ())
    with pytest.raises(ValueError, match=message):
        _core.check_fields((("worker_sid", ()),), "WK1")
    template = _core.Template((b'{"a":"', 0, b'"}'))
    with pytest.raises(ValueError, match=message):
        Key("k").mint_each(template, ("",), 0, ["WK1"], "worker_sids", ())
