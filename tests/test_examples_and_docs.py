"""Every ```python block in README.md and docs/*.md runs, and so does the
example application in examples/."""

from __future__ import annotations

import importlib.util
import json
import re
from pathlib import Path
from wsgiref.util import setup_testing_defaults

import pytest

from conftest import payload_text, pyjwt_reencode

ROOT = Path(__file__).resolve().parent.parent
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
BLOCK = re.compile(r"^```python\n(.*?)^```", re.S | re.M)


def blocks() -> list[tuple[str, str]]:
    found = []
    for path in DOCS:
        for i, match in enumerate(BLOCK.finditer(path.read_text(encoding="utf-8"))):
            found.append((f"{path.relative_to(ROOT)}#{i + 1}", match.group(1)))
    return found


BLOCKS = blocks()


def test_the_docs_have_examples() -> None:
    assert len(BLOCKS) >= 5
    assert any(name.startswith("README.md") for name, _ in BLOCKS)


@pytest.mark.parametrize(("name", "code"), BLOCKS, ids=[n for n, _ in BLOCKS])
def test_doc_example_runs(name: str, code: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TWILIO_ACCOUNT_SID", "AC" + "0" * 32)
    monkeypatch.setenv("TWILIO_AUTH_TOKEN", "example-auth-token")
    namespace: dict[str, object] = {"__name__": "__doc_example__"}
    exec(compile(code, name, "exec"), namespace)  # noqa: S102 - our own docs


def load_example(name: str) -> object:
    spec = importlib.util.spec_from_file_location(name, ROOT / "examples" / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def call(app: object, path: str, query: str = "", user: str | None = None) -> tuple[str, dict[str, str], dict]:
    environ: dict[str, object] = {"PATH_INFO": path, "QUERY_STRING": query}
    if user is not None:
        environ["REMOTE_USER"] = user  # as the authenticating server in front sets it
    setup_testing_defaults(environ)
    seen: dict[str, object] = {}

    def start_response(status: str, headers: list[tuple[str, str]]) -> None:
        seen["status"], seen["headers"] = status, dict(headers)

    body = b"".join(app(environ, start_response))  # type: ignore[operator]
    return seen["status"], seen["headers"], json.loads(body)  # type: ignore[return-value]


WSGI_WORKERS = {"alice": "WK" + "3" * 32, "bob": "WK" + "4" * 32}


def test_wsgi_example_mints_the_authenticated_workers_tokens() -> None:
    example = load_example("wsgi_app")
    app = example.make_app("AC" + "1" * 32, "example-key", "WS" + "2" * 32, WSGI_WORKERS)  # type: ignore[attr-defined]
    # A worker named in the query string is ignored: REMOTE_USER decides.
    status, headers, body = call(app, "/token", "worker=" + WSGI_WORKERS["bob"], user="alice")
    assert status == "200 OK"
    assert headers["Cache-Control"] == "no-store"
    token = body["token"]
    assert token == pyjwt_reencode(token, "example-key")
    claims = json.loads(payload_text(token))
    assert claims["worker_sid"] == WSGI_WORKERS["alice"]
    assert len(claims["policies"]) == 6
    assert claims["exp"] == body["expires_at"]
    assert body["expires_in"] == example.TOKEN_TTL  # type: ignore[attr-defined]


def test_wsgi_example_refuses_requests_without_an_authenticated_worker() -> None:
    app = load_example("wsgi_app").make_app("AC1", "k", "WS1", WSGI_WORKERS)  # type: ignore[attr-defined]
    assert call(app, "/token", "worker=" + WSGI_WORKERS["alice"])[0] == "401 Unauthorized"
    assert call(app, "/token", user="mallory")[0] == "403 Forbidden"
    assert call(app, "/elsewhere", user="alice")[0] == "404 Not Found"


CLI_BLOCK = re.compile(r"<!-- cli-example -->\n```sh\n(.*?)^```", re.S | re.M)


def test_readme_command_lines_work_as_written(tmp_path: Path) -> None:
    import os
    import subprocess
    import sys

    scripts = CLI_BLOCK.findall((ROOT / "README.md").read_text(encoding="utf-8"))
    assert scripts, "README.md has no <!-- cli-example --> block"
    env = {k: v for k, v in os.environ.items() if not k.startswith("TWILIO_")}
    # `trcap` and `python` in the README are those of the environment the
    # tests run in.
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    for script in scripts:
        result = subprocess.run(
            ["bash", "-euo", "pipefail", "-c", script],
            cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120,
        )
        assert result.returncode == 0, result.stdout + result.stderr
        assert "Traceback" not in result.stderr
        assert "verified" in result.stdout
        assert result.stdout.rstrip().splitlines()[-1].startswith("allowed by policy")


MAIN_BLOCK = re.compile(r"<!-- main-command -->\n```sh\n(.*?)^```", re.S | re.M)


def test_readme_main_command_runs_where_it_is_typed() -> None:
    """The README's first command, past making the venv and installing,
    run in the checkout itself, where a user types it.  (.ci/main-command
    runs all of it, in a fresh clone, with Debian's own python3.)"""
    import os
    import subprocess
    import sys

    import twilio_trcap

    (command,) = MAIN_BLOCK.findall((ROOT / "README.md").read_text(encoding="utf-8"))
    steps = command.strip().split(" && ")
    assert steps[:3] == ["python3 -m venv .venv", ". .venv/bin/activate", "pip install -e ."]
    run = " && ".join(steps[3:])
    assert run.startswith("trcap ")
    # The same command as `python -m`, which the README promises works in
    # the checkout once the install is editable (the core is built into the
    # checkout's twilio_trcap/).  Installed otherwise (a wheel, the sdist),
    # the checkout's folder has no core, so it is run from elsewhere.
    editable = Path(twilio_trcap.__file__).resolve().parent == ROOT / "twilio_trcap"
    env = {k: v for k, v in os.environ.items() if k != "PYTHONSAFEPATH"}
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    for script, cwd in [
        (run, ROOT),
        (run.replace("trcap ", "python -m twilio_trcap ", 1), ROOT if editable else ROOT / "docs"),
    ]:
        result = subprocess.run(
            ["bash", "-euo", "pipefail", "-c", script],
            cwd=cwd, env=env, capture_output=True, text=True, timeout=120,
        )
        assert result.returncode == 0, result.stderr
        assert result.stdout.count(".") == 2 and "--example" in result.stderr


README_LINK = re.compile(r"\]\(([^)#\s]+)")
REPOSITORY = "https://github.com/twilio-trcap/twilio-trcap"


def test_readme_links_work_off_the_repository() -> None:
    """README.md is the package index's long description: its links must be
    absolute, into the repository (project URLs in pyproject.toml), and
    point at files that exist."""
    import tomllib

    links = README_LINK.findall((ROOT / "README.md").read_text(encoding="utf-8"))
    assert len(links) >= 8
    for link in links:
        assert link.startswith(f"{REPOSITORY}/blob/main/"), link
        assert (ROOT / link.removeprefix(f"{REPOSITORY}/blob/main/")).is_file(), link
    urls = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["urls"]
    assert urls["Source"] == REPOSITORY
    assert urls["Documentation"] == DOCS_SITE
    assert all(url.startswith(REPOSITORY) for name, url in urls.items() if name != "Documentation"), urls


DOCS_SITE = "https://twilio-trcap.readthedocs.io/"
TEST_BLOCK = re.compile(r"<!-- test-command -->\n```sh\n(.*?)^```", re.S | re.M)


def test_testing_page_quotes_the_readme_test_command_exactly() -> None:
    (readme,) = TEST_BLOCK.findall((ROOT / "README.md").read_text(encoding="utf-8"))
    (testing,) = TEST_BLOCK.findall((ROOT / "docs" / "testing.md").read_text(encoding="utf-8"))
    assert testing == readme


def test_links_to_the_docs_site_are_under_the_documentation_url() -> None:
    # The site's address is written in pyproject.toml (the Documentation
    # URL, checked above); every page that links into it uses that address.
    site_link = re.compile(r"https://[a-z0-9-]+\.readthedocs\.io/[^)>\s`]*")
    pages = [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]
    own = [link for path in pages for link in site_link.findall(path.read_text(encoding="utf-8"))
           if "twilio-trcap" in link]
    assert len(own) >= 4
    for link in own:
        assert link.startswith(DOCS_SITE), link
        page = link.removeprefix(DOCS_SITE).removeprefix("en/latest/")
        if page:
            assert (ROOT / "docs" / page.replace(".html", ".md")).is_file(), link


def _table_rows(text: str, heading: str) -> list[list[str]]:
    """The body rows of the first table under `heading`, split into cells."""
    section = text.split(heading, 1)[1]
    lines = [line for line in section.splitlines() if line.startswith("|")]
    table = []
    for line in lines[2:]:  # the header and the --- row
        table.append([cell.strip() for cell in line.strip("|").split(" | ")])
        if not section.split(line, 1)[1].startswith("\n|"):
            break
    return table


def test_readme_speed_rows_are_those_of_performance_md() -> None:
    """The README's speed claims are docs/performance.md's every-generation
    rows (benchmarks/bench.py writes both): the same classes in the same
    order, the same median ratio and re-mint time."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    block = readme.split("<!-- speed -->", 1)[1].split("<!-- /speed -->", 1)[0]
    performance = (ROOT / "docs" / "performance.md").read_text(encoding="utf-8")
    measured = _table_rows(performance, "## Every generation against today's twilio")
    claimed = _table_rows(block, "## How much faster")
    assert measured and len(claimed) == len(measured)
    for (label, speed, again), row in zip(claimed, measured):
        assert label == row[0]
        assert speed == row[4].split()[0] + "×", (label, speed, row[4])
        assert again == f"{row[6]} µs", (label, again, row[6])
