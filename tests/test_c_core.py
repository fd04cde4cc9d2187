"""The pure-C core on its own: known answers (RFC 4231, RFC 4648, RFC 7515
A.1, JSON escaping; strict decoding and verification) built without Python
and run under AddressSanitizer and UndefinedBehaviorSanitizer
(tests/c/test_core.c, tests/c/test_decode.c)."""

from __future__ import annotations

import os
import shlex
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SRC = ROOT / "src" / "core"
CORE = sorted(SRC.glob("*.c"))


def test_core_files_do_not_include_python() -> None:
    # src/core/ takes bytes and lengths and returns a status, so that it
    # can be tested and fuzzed alone; only src/glue/ includes Python.h.
    assert CORE, "no core sources found"
    for path in CORE + sorted(SRC.glob("*.h")):
        assert "Python.h" not in path.read_text(), path.name


def test_src_holds_only_the_core_and_the_glue() -> None:
    # The folder is the rule: a C file directly in src/, or in a third
    # folder, would be built by setup.py without either side's checks.
    assert sorted(p.name for p in (ROOT / "src").iterdir()) == ["core", "glue"]
    # Python.h comes first in every glue file (it sets feature macros the
    # C library's headers read), through module.h or minter.h.
    for path in sorted((ROOT / "src" / "glue").glob("*.c")):
        first = next(line for line in path.read_text().splitlines() if line.startswith("#include"))
        assert first in ('#include "module.h"', '#include "minter.h"'), path.name


# Each C test program and the fewest checks it must report passing.
C_TESTS = [("test_core.c", 70), ("test_decode.c", 120)]


def test_every_c_test_program_runs() -> None:
    assert sorted(p.name for p in (ROOT / "tests" / "c").glob("test_*.c")) == sorted(
        name for name, _ in C_TESTS
    )


@pytest.mark.parametrize(("source", "minimum"), C_TESTS)
def test_known_answers_under_sanitizers(tmp_path: Path, source: str, minimum: int) -> None:
    cc = shlex.split(os.environ.get("CC", "cc"))
    binary = tmp_path / "test_core"
    build = subprocess.run(
        [
            *cc,
            "-std=c11",
            "-Wall",
            "-Wextra",
            "-Werror",
            "-g",
            "-fsanitize=address,undefined",
            "-fno-sanitize-recover=undefined",
            "-fno-omit-frame-pointer",
            f"-I{SRC}",
            str(ROOT / "tests" / "c" / source),
            *map(str, CORE),
            "-lcrypto",
            "-o",
            str(binary),
        ],
        capture_output=True,
        text=True,
    )
    assert build.returncode == 0, build.stderr
    run = subprocess.run(
        [str(binary)],
        capture_output=True,
        text=True,
        env={**os.environ, "ASAN_OPTIONS": "detect_leaks=1:abort_on_error=0"},
    )
    assert run.returncode == 0, run.stdout + run.stderr
    last = run.stdout.strip().splitlines()[-1]
    passed, failed = (int(w) for w in last.replace(",", "").split()[::2])
    assert failed == 0 and passed >= minimum, last
