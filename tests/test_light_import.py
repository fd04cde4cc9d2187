"""``import twilio_trcap`` loads what minting needs; the policy model, the
HTML views and the CLI load when first used (issue 20, item 7;
docs/distribution.md, "Import time").

What is checked is which modules a fresh interpreter has loaded, never how
long it took: timings are measured by benchmarks/import_time.py, not
asserted.  Each probe runs with ``-S``, so that nothing ``site`` or an
editable install's import hook loads at startup (``re``, ``urllib.parse``,
``pathlib`` ...) can hide what the package itself imports.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

import twilio_trcap

# The directory holding the package (the checkout for an editable install,
# site-packages for a wheel): the probes' only sys.path entry besides the
# standard library's.
HOME = str(Path(twilio_trcap.__file__).resolve().parent.parent)

#: Loaded on first use only: the policy model and what it brings, the HTML
#: views and what they bring, the CLI and what it brings.
POLICY_MODEL = ("twilio_trcap.check", "dataclasses", "inspect", "urllib.parse")
HTML_VIEWS = ("twilio_trcap._html", "html")
CLI = ("twilio_trcap.cli", "argparse", "difflib")
DEFERRED = POLICY_MODEL + HTML_VIEWS + CLI

AC, WS, WK, KEY = "AC" + "a" * 32, "WS" + "b" * 32, "WK" + "c" * 32, "k" * 32
WORKER_URL = f"https://taskrouter.twilio.com/v1/Workspaces/{WS}/Workers/{WK}"
MINT = f"""
import twilio_trcap as t
c = t.TaskRouterCapability({AC!r}, {KEY!r}, {WS!r}, {WK!r})
c.allow_worker_fetch_attributes()
c.allow_worker_activity_updates()
c.allow_task_reservation_updates()
token = c.generate_token()
"""
MARK = "--modules--"


def loaded(code: str) -> set[str]:
    """The modules a fresh interpreter holds after running `code`."""
    probe = f"{code}\nimport sys\nprint({MARK!r})\nprint('\\n'.join(sorted(sys.modules)))\n"
    done = subprocess.run(
        [sys.executable, "-S", "-c", probe],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": HOME},
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    return set(done.stdout.split(MARK + "\n", 1)[1].split())


def test_the_probe_sees_a_clean_start() -> None:
    # Without site, nothing on the deferred list is loaded before the
    # package is: the tests below would pass vacuously otherwise.
    assert not loaded("pass") & set(DEFERRED)


def test_importing_and_minting_loads_none_of_the_deferred_modules() -> None:
    modules = loaded(MINT)
    assert "twilio_trcap._core" in modules
    assert sorted(modules & set(DEFERRED)) == []


@pytest.mark.parametrize(
    "module",
    [
        "twilio_trcap.task_router_v4_5",
        "twilio_trcap.task_router_v5",
        "twilio_trcap.jwt.taskrouter.capabilities",
        "twilio_trcap.jwt.access_token.grants",
    ],
)
def test_every_generation_imports_without_the_deferred_modules(module: str) -> None:
    modules = loaded(f"import {module}")
    assert sorted(modules & set(DEFERRED)) == []


@pytest.mark.parametrize(
    ("use", "loads", "leaves"),
    [
        (f"c.allows('GET', {WORKER_URL!r})", POLICY_MODEL, HTML_VIEWS + CLI),
        (f"c.explain('GET', {WORKER_URL!r})", POLICY_MODEL, HTML_VIEWS + CLI),
        (f"t.decode_token(token, {KEY!r}).allows('GET', {WORKER_URL!r})", POLICY_MODEL, CLI),
        ("from twilio_trcap import Decision", POLICY_MODEL, HTML_VIEWS + CLI),
        ("t.check.check_policy_url", POLICY_MODEL, HTML_VIEWS + CLI),
        ("c._repr_html_()", HTML_VIEWS, CLI),
        ("from twilio_trcap.cli import main; main(['--version'])", CLI, ()),
    ],
    ids=["allows", "explain", "decoded-allows", "Decision", "check-attribute", "repr_html", "cli"],
)
def test_first_use_loads_what_it_needs(
    use: str, loads: tuple[str, ...], leaves: tuple[str, ...]
) -> None:
    modules = loaded(MINT + use)
    # Our own module of the group; the standard library's it brings vary by
    # version (3.15's dataclasses no longer imports inspect).
    assert loads[0] in modules
    assert sorted(modules & set(leaves)) == []


def test_every_public_name_is_importable_and_listed() -> None:
    # In a fresh interpreter, so that no other test has loaded a deferred
    # module first: each name of __all__ by `from ... import`, and dir()
    # listing every one before any of them is used.
    code = (
        "import twilio_trcap as t\n"
        "missing = sorted(set(t.__all__) - set(dir(t)))\n"
        "assert missing == [], missing\n"
        "for name in t.__all__:\n"
        "    exec(f'from twilio_trcap import {name}')\n"
        "assert not hasattr(t, 'no_such_name')\n"
        "from twilio_trcap import *\n"
    )
    assert "twilio_trcap.check" in loaded(code)


def test_decode_names_the_function_whatever_imported_the_submodule() -> None:
    # twilio_trcap.decode is both a submodule and a function; the package
    # imports the submodule first, so a later `import twilio_trcap.decode`
    # (the HTML views and the CLI do) cannot rebind the name to the module.
    code = (
        "import twilio_trcap, twilio_trcap.decode, twilio_trcap._html, twilio_trcap.cli\n"
        "from twilio_trcap import decode\n"
        "assert callable(decode) and decode.__name__ == 'decode', decode\n"
    )
    loaded(code)


def test_the_public_functions_type_hints_resolve() -> None:
    # typing.get_type_hints evaluates the annotations in the module's
    # globals: every name they use must be there at run time (decode's
    # leeway: float | timedelta raised NameError while datetime was
    # deferred).
    import typing

    for name in twilio_trcap.__all__:
        value = getattr(twilio_trcap, name)
        if callable(value) and not isinstance(value, type):
            typing.get_type_hints(value)
    for kind in (twilio_trcap.TaskRouterCapability, twilio_trcap.Key):
        for method in vars(kind).values():
            if callable(method) and getattr(method, "__annotations__", None):
                typing.get_type_hints(method)
