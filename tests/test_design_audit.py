"""The audit of the glue in docs/design.md ("Borrowed references") names
every function of ``src/glue/``, and only those (issue 20, item 6).

The audit is a hand-written table, one row per group of functions: what
each borrows, what Python code can run while it does, and why that is
safe.  Above it, a list says where each function lives, file by file.
This test keeps both in step with the code: it fails naming every
function defined in ``src/glue/`` that the table or the list leaves out,
every name they give that no longer is a function there, and every name
the list puts under the wrong file.  A new function therefore needs its
row (written after reading it), and a removed one needs its name taken
out, in the same change; removing a whole file (``capability.c``) needs
only its names and its line taken out of the doc.

Names are written as the doc writes them: without the ``trcap_py_``
prefix of the functions one glue file lends another, and in full (no
``Key_*``): a pattern would let a new function in without a row.

How functions are found: a regular expression over each ``.c`` and
``.h`` file of ``src/glue/``, after comments and string literals are
blanked, takes every name that starts a line's declaration (a line that
begins with neither a space nor ``#``), is followed by a parameter list
without ``;``, ``{`` or ``}``, and then by ``{``: a function definition as
the house style writes it, static or not, with the return type on the
line before or on the same line.  Its limits: a function whose parameter
list holds a brace or a semicolon, a function returning a function pointer
(``int (*f(void))(int) {``), a definition that a macro expands to, and a
definition indented or preceded by ``#`` are not seen; a function-like
macro is not a function.  None of these occurs in ``src/glue/`` today;
``test_the_scan_sees_every_name_that_starts_a_line`` fails if a name that
starts a line with ``(`` is neither a function found nor a known macro
call.
"""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GLUE = ROOT / "src" / "glue"
DESIGN = ROOT / "docs" / "design.md"
LENT = "trcap_py_"  # the prefix the doc leaves out

_COMMENT = re.compile(r"/\*.*?\*/|//[^\n]*", re.S)
_STRING = re.compile(r'"(?:\\.|[^"\\\n])*"|\'(?:\\.|[^\'\\\n])*\'')
_DEFINITION = re.compile(r"^(?![#\s])[\w\s*]*?\b(\w+)\s*\([^;{}]*?\)\s*\{", re.M)
# Calls at the start of a line that are not definitions (macros and
# declarations the scan rightly passes over).
_NOT_DEFINITIONS = {"PyDoc_STRVAR", "_Static_assert"}


def _blanked(text: str) -> str:
    """`text` with comments blanked (line breaks kept) and every string
    or character literal emptied."""
    text = _COMMENT.sub(lambda m: re.sub(r"[^\n]", " ", m.group()), text)
    return _STRING.sub('""', text)


def functions_by_file() -> dict[str, set[str]]:
    """Each file of src/glue/ and the functions it defines, named as the
    doc names them."""
    found: dict[str, set[str]] = {}
    for path in sorted(GLUE.glob("*.[ch]")):
        names = [m.group(1) for m in _DEFINITION.finditer(_blanked(path.read_text()))]
        found[path.name] = {name.removeprefix(LENT) for name in names}
    return found


def _audit_section() -> tuple[list[str], list[str]]:
    """The lines of the list of where each function lives, and the table's
    rows, of docs/design.md's audit."""
    lines = DESIGN.read_text().splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("**The audit**"))
    listed, rows = [], []
    i = start
    while not lines[i].startswith("| function |"):
        if lines[i].startswith("- `"):
            listed.append(lines[i])
        i += 1
    i += 2  # the header and the separator
    while i < len(lines) and lines[i].startswith("|"):
        rows.append(lines[i])
        i += 1
    return listed, rows


def _names(text: str, where: str, problems: list[str]) -> list[str]:
    """The backticked names in `text`; anything backticked that is not one
    name (a pattern such as ``Key_*``) is a problem."""
    names = []
    for quoted in re.findall(r"`([^`]+)`", text):
        if re.fullmatch(r"\w+", quoted):
            names.append(quoted)
        else:
            problems.append(f"{where}: `{quoted}` is not one function's name (name each one)")
    return names


def listed_by_file(problems: list[str]) -> dict[str, set[str]]:
    """The list above the table: ``- `file.c`: `name`, `name` ...``."""
    listed: dict[str, set[str]] = {}
    for line in _audit_section()[0]:
        match = re.match(r"- `([\w.]+\.[ch])`: (.*)", line)
        if match is None:
            problems.append(f"the list of where each function lives: unreadable line {line!r}")
            continue
        listed[match.group(1)] = set(_names(match.group(2), match.group(1), problems))
    return listed


def in_table(problems: list[str]) -> list[str]:
    """The names in the first column of the audit table, in order."""
    names = []
    for row in _audit_section()[1]:
        first = row.split("|")[1]
        names += _names(first, "the table's first column", problems)
    return names


def test_the_scan_finds_functions_of_every_kind() -> None:
    text = _blanked(
        "static int\nplain(void)\n{\n}\n"
        "PyObject *\ntrcap_py_lent(PyObject *Py_UNUSED(m), PyObject *const *args)\n{\n}\n"
        "static inline module_state *one_line(PyObject *m) { return NULL; }\n"
        "int declared(void);\n"
        "/* commented(void)\n{ */\n"
        "PyDoc_STRVAR(doc, \"inside(a string)\\n{\");\n"
        "    if (indented) {\n    }\n"
    )
    assert [m.group(1) for m in _DEFINITION.finditer(text)] == ["plain", "trcap_py_lent", "one_line"]


def test_the_scan_sees_every_name_that_starts_a_line() -> None:
    found = set().union(*functions_by_file().values())
    for path in sorted(GLUE.glob("*.[ch]")):
        for name in re.findall(r"^(\w+)\s*\(", _blanked(path.read_text()), re.M):
            assert name.removeprefix(LENT) in found or name in _NOT_DEFINITIONS, (
                f"{path.name}: {name}( starts a line but the scan finds no definition of it: "
                "extend the scan (or _NOT_DEFINITIONS) so that the audit sees it"
            )


def test_names_are_unique_without_the_prefix() -> None:
    seen: dict[str, str] = {}
    for file, names in functions_by_file().items():
        for name in names:
            assert name not in seen, f"{name} is defined in {seen[name]} and {file}"
            seen[name] = file


def test_the_list_says_where_each_function_lives() -> None:
    problems: list[str] = []
    listed = listed_by_file(problems)
    for file, names in functions_by_file().items():
        if not names:
            continue
        if file not in listed:
            problems.append(f"{file} has no line in the list (it defines {', '.join(sorted(names))})")
            continue
        for name in sorted(names - listed[file]):
            problems.append(f"{file}: {name} is defined there but not listed under it")
        for name in sorted(listed[file] - names):
            problems.append(f"{file}: {name} is listed under it but not defined there")
    for file in sorted(set(listed) - set(functions_by_file())):
        problems.append(f"{file} is listed but is no file of src/glue/ any more")
    assert not problems, "docs/design.md, the audit's list:\n" + "\n".join(problems)


def test_the_table_audits_every_function_once() -> None:
    problems: list[str] = []
    named = in_table(problems)
    defined = {name: file for file, names in functions_by_file().items() for name in names}
    for name in sorted(set(defined) - set(named)):
        problems.append(f"{name} ({defined[name]}) has no row: read it and add one")
    for name in sorted(set(named) - set(defined)):
        problems.append(f"{name} has a row but is no function of src/glue/ any more: remove it")
    for name in sorted({n for n in named if named.count(n) > 1}):
        problems.append(f"{name} is named in more than one row")
    assert not problems, "docs/design.md, the audit table:\n" + "\n".join(problems)


def test_the_doc_says_this_test_keeps_it_true() -> None:
    assert "tests/test_design_audit.py" in DESIGN.read_text()
