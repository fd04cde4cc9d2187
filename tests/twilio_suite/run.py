"""Runs twilio-python's own token tests against twilio_trcap.

    python tests/twilio_suite/run.py 4.0.0 --sdist twilio-4.0.0.tar.gz
    python tests/twilio_suite/run.py 5.7.0 --git /path/to/twilio-python.git --ref 5.7.0
    python tests/twilio_suite/run.py today --git /path/to/twilio-python.git --ref 9.11.0

The test files are read from twilio's sdist or git tree into a temporary
directory (nothing of them is kept in this project) and run by pytest with
the plugin ``twilio_shim`` (their ``twilio`` imports become ours; the
failures docs/migration.md lists are expected, strictly).  Extra arguments
after ``--`` go to pytest.  The exit status is pytest's.
"""

from __future__ import annotations

import argparse
import io
import os
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent

#: The token tests of each generation, as paths in twilio's tree.  4.0.0's
#: and 5.7.0's tests/task_router/ also test twilio's REST client for
#: TaskRouter (test_activities.py, ...), which twilio_trcap does not offer.
TEST_FILES = {
    "4.0.0": ["tests/task_router/test_capability.py"],
    "5.7.0": [
        "tests/task_router/test_capability.py",
        "tests/task_router/test_task_router_capability.py",
        "tests/task_router/test_task_router_taskqueue_capability.py",
        "tests/task_router/test_task_router_worker_capability.py",
        "tests/task_router/test_task_router_workspace_capability.py",
    ],
    "today": [
        "tests/unit/jwt/test_task_router.py",
        "tests/unit/jwt/test_access_token.py",
        "tests/unit/jwt/test_jwt.py",
    ],
}


def _from_sdist(sdist: Path, files: list[str], into: Path) -> None:
    with tarfile.open(sdist) as archive:
        for member in archive.getmembers():
            # twilio-4.0.0/tests/... -> tests/...
            inside = member.name.split("/", 1)[-1]
            if inside in files:
                data = archive.extractfile(member)
                assert data is not None
                (into / inside).parent.mkdir(parents=True, exist_ok=True)
                (into / inside).write_bytes(data.read())
    missing = [name for name in files if not (into / name).exists()]
    if missing:
        raise SystemExit(f"{sdist} has no {missing}")


def _from_git(git_dir: Path, ref: str, files: list[str], into: Path) -> None:
    archive = subprocess.run(
        ["git", f"--git-dir={git_dir}", "archive", "--format=tar", ref, *files],
        check=True, capture_output=True,
    ).stdout  # fmt: skip
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(into, filter="data")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("generation", choices=sorted(TEST_FILES))
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--sdist", type=Path, help="twilio's sdist (a .tar.gz with tests/)")
    source.add_argument("--git", type=Path, help="a git directory of twilio-python")
    parser.add_argument("--ref", help="the tag or commit to read with --git")
    parser.add_argument("pytest_args", nargs="*", help="more arguments for pytest (after --)")
    args = parser.parse_args(argv)
    files = TEST_FILES[args.generation]
    with tempfile.TemporaryDirectory(prefix=f"twilio-{args.generation}-") as tmp:
        root = Path(tmp)
        if args.sdist:
            _from_sdist(args.sdist, files, root)
        else:
            if not args.ref:
                parser.error("--git needs --ref")
            _from_git(args.git, args.ref, files, root)
        env = dict(os.environ, TRCAP_TWILIO_GENERATION=args.generation)
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(HERE), env.get("PYTHONPATH")]))
        command = [
            sys.executable, "-m", "pytest", "-p", "twilio_shim", "-p", "no:cacheprovider",
            "-c", str(HERE / "pytest.ini"), "--rootdir", str(root), "--confcutdir", str(root),
            "--import-mode=importlib", "-rxXfE", *args.pytest_args, *files,
        ]  # fmt: skip
        return subprocess.run(command, cwd=root, env=env).returncode


if __name__ == "__main__":
    sys.exit(main())
