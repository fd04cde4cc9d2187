"""No page tells a user to run `pip install twilio-trcap` as a command
today: nothing is on the package index before the first release
(docs/install.md).  Code blocks (what a reader copies) and the examples'
docstrings never install it by name; a page that mentions the command in
its prose, as what works from the first release, links docs/install.md."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]
EXAMPLES = sorted((ROOT / "examples").rglob("*.py"))
SHELL_BLOCK = re.compile(r"^```(?:sh|bash|shell|console)\n(.*?)^```", re.S | re.M)
# `pip install` naming the project as an index requirement: `twilio-trcap`
# or `twilio_trcap` as a word of its own, optionally with extras or a
# version; not a direct reference (`twilio-trcap @ git+...`), a path or a
# wheel file.
BY_NAME = re.compile(
    r"\bpip3? install\b[^\n#]*?(?<![\w./-])twilio[-_]trcap(?:\[[^\]]*\])?(?:[=<>~!]=?[^\s'\"]*)?"
    r"(?=[\s'\"]|$)(?!\s*@)"
)


def test_no_code_block_installs_from_the_index() -> None:
    found = []
    for path in PAGES:
        for block in SHELL_BLOCK.findall(path.read_text(encoding="utf-8")):
            found += [f"{path.relative_to(ROOT)}: {m.group(0)}" for m in BY_NAME.finditer(block)]
    for path in EXAMPLES:
        text = path.read_text(encoding="utf-8")
        found += [f"{path.relative_to(ROOT)}: {m.group(0)}" for m in BY_NAME.finditer(text)]
    assert not found, "fails until the first release (say so, and link docs/install.md):\n" + "\n".join(found)


def test_pages_that_name_the_release_command_link_the_install_page() -> None:
    for path in PAGES:
        if path.name in ("README.md", "install.md"):
            continue
        text = path.read_text(encoding="utf-8")
        if BY_NAME.search(text):
            assert re.search(r"\]\((?:\.\./)?install\.md[)#]", text), f"{path.relative_to(ROOT)} does not link install.md"


def test_the_rule_itself() -> None:
    for command in ["pip install twilio-trcap", "pip install twilio-trcap flask gunicorn",
                    "pip install flask twilio_trcap==0.1.0", "pip install 'twilio-trcap[docs]'",
                    "pip install --no-binary twilio-trcap twilio-trcap"]:
        assert BY_NAME.search(command), command
    for command in ["pip install . flask gunicorn", "pip install dist/twilio_trcap-0.1.0-cp311.whl",
                    "pip install 'twilio-trcap @ git+https://github.com/twilio-trcap/twilio-trcap@abc'",
                    "pip install -e '.[test]'", "git clone https://github.com/twilio-trcap/twilio-trcap"]:
        assert not BY_NAME.search(command), command
