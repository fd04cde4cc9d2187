"""docs/jupyter.ipynb runs (nbclient, an ipykernel kernel) and shows what
docs/jupyter.md says it shows."""

from __future__ import annotations

from pathlib import Path

from run_notebook import execute

NOTEBOOK = Path(__file__).resolve().parent.parent / "docs" / "jupyter.ipynb"


def test_notebook_runs_and_shows_tables() -> None:
    notebook = execute(NOTEBOOK)
    outputs = [out for cell in notebook.cells if cell.cell_type == "code" for out in cell.outputs]
    assert not [out for out in outputs if out.output_type == "error"]
    views = [out.data["text/html"] for out in outputs if "text/html" in out.get("data", {})]
    # capability, decoded token, two decisions, twilio 6 token, Access Token
    assert len(views) == 6 and all("<table" in view for view in views)
    assert "claims of a token minted now" in views[0] and "signature verified" in views[1]
    assert ">allowed<" in views[2] and ">denied<" in views[3]
    assert "grants</th>" in views[5]
    for secret in ("secret</", "api-key-secret", "eyJ"):
        assert all(secret not in view for view in views)
    printed = "".join(out.get("text", "") for out in outputs if out.output_type == "stream")
    assert printed.startswith("TaskRouterCapability(account_sid='AC123'")
