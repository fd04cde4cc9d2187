"""docs/jupyter.ipynb runs (nbclient, an ipykernel kernel) and shows what
docs/jupyter.md says it shows."""

from __future__ import annotations

import html
import json
from pathlib import Path

import pytest

from run_notebook import execute

NOTEBOOK = Path(__file__).resolve().parent.parent / "docs" / "jupyter.ipynb"
#: The keys the notebook mints with, given in its environment as a user's
#: would be: distinctive, so that finding one in an output means a leak,
#: wherever and however it is quoted.
SECRETS = {"TWILIO_AUTH_TOKEN": "nb-key-Q7wX3zR9", "TWILIO_API_SECRET": "nb-api-secret-K4pL8m"}


def test_notebook_runs_and_shows_tables(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in SECRETS.items():
        monkeypatch.setenv(name, value)  # the kernel inherits the environment
    notebook = execute(NOTEBOOK)
    outputs = [out for cell in notebook.cells if cell.cell_type == "code" for out in cell.outputs]
    assert not [out for out in outputs if out.output_type == "error"]
    views = [out.data["text/html"] for out in outputs if "text/html" in out.get("data", {})]
    # capability, decoded token, two decisions, twilio 6 token, Access Token
    assert len(views) == 6 and all("<table" in view for view in views)
    assert "claims of a token minted now" in views[0] and "signature verified" in views[1]
    assert ">allowed<" in views[2] and ">denied<" in views[3]
    assert "grants</th>" in views[5]
    sources = "".join(cell.source for cell in notebook.cells)
    # The notebook reads its keys from the environment: no cell holds one.
    assert not any(secret in sources for secret in SECRETS.values())
    assert all(f'os.environ.get("{name}"' in sources for name in SECRETS)
    # Every output (HTML, plain text, printed), as the notebook file stores it.
    shown = json.dumps([out for out in outputs], ensure_ascii=False)
    for secret in (*SECRETS.values(), "eyJ"):
        for form in {secret, html.escape(secret), html.escape(html.escape(secret))}:
            assert form not in shown, f"an output shows {form!r}"
    printed = "".join(out.get("text", "") for out in outputs if out.output_type == "stream")
    assert printed.startswith("TaskRouterCapability(account_sid='AC123'")
