"""Runs a notebook with nbclient and an ipykernel kernel: used by
tests/test_notebook.py, and by .ci/docs.sh and .readthedocs.yaml, which
execute the built site's download of it in place (``python
tests/run_notebook.py --site HTML_DIR``; ``IN.ipynb OUT.ipynb`` otherwise).

The kernel runs in a scratch folder (so that it imports the installed
package, not the checkout's twilio_trcap/, which may have no compiled core)
and talks to this process over Unix sockets in that folder (IPC transport):
no TCP port is opened.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from traitlets.config import Config


def execute(path: Path) -> nbformat.NotebookNode:
    """The notebook at `path`, executed (outputs filled in)."""
    notebook = nbformat.read(path, as_version=4)
    with tempfile.TemporaryDirectory() as scratch:
        config = Config()
        config.KernelManager.transport = "ipc"
        config.KernelManager.ip = str(Path(scratch) / "kernel")
        NotebookClient(
            notebook, timeout=120, kernel_name="python3", config=config,
            resources={"metadata": {"path": scratch}},
        ).execute()
    return notebook


if __name__ == "__main__":
    if sys.argv[1] == "--site":
        # Sphinx copies the notebook to _downloads/<hash>/jupyter.ipynb.
        (source,) = [str(path) for path in Path(sys.argv[2]).glob("_downloads/*/jupyter.ipynb")]
        target = source
    else:
        source, target = sys.argv[1:3]
    executed = execute(Path(source))
    nbformat.write(executed, target)
    views = sum("text/html" in out.get("data", {}) for cell in executed.cells
                for out in cell.get("outputs", []))
    print(f"{source} executed: {views} HTML views")
