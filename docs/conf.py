"""Sphinx configuration of the docs site (built by .ci/docs.sh with -W).

Sphinx, for autodoc: the API reference (reference.md) is generated from the
package's docstrings, which are written in reStructuredText field lists
(``:param:``, ``:raises:``), Sphinx's own format.  MyST, so that the pages
stay Markdown that reads the same on GitHub, in the sdist and on the site.
Furo, a clean theme with no JavaScript framework of its own.
"""

from __future__ import annotations

import twilio_trcap

project = "twilio-trcap"
author = "twilio-trcap developers"
copyright = "twilio-trcap developers"  # noqa: A001 - Sphinx's name
release = version = twilio_trcap.__version__

extensions = ["myst_parser", "sphinx.ext.autodoc"]
source_suffix = {".md": "markdown"}
root_doc = "index"
exclude_patterns = ["_build", "jupyter.ipynb", ".ipynb_checkpoints"]
html_theme = "furo"
html_title = f"twilio-trcap {release}"
html_static_path = ["_static"]

myst_enable_extensions = ["colon_fence", "deflist"]
# Anchors for "#section" links within and between pages.
myst_heading_anchors = 3

autodoc_member_order = "bysource"
autodoc_typehints = "description"
autodoc_default_options = {"members": True, "show-inheritance": True}


def _public_bases(app: object, name: str, obj: object, options: object, bases: list) -> None:
    """Leaves the compiled core's private types (twilio_trcap._core: the
    base that implements TaskRouterCapability's hot path) out of "Bases"."""
    bases[:] = [base for base in bases if getattr(base, "__module__", "") != "twilio_trcap._core"]


def setup(app: object) -> None:
    app.connect("autodoc-process-bases", _public_bases)  # type: ignore[attr-defined]
