"""Sphinx configuration of the docs site (built by .ci/docs.sh with -W).

Sphinx, for autodoc: the API reference (reference.md) is generated from the
package's docstrings, which are written in reStructuredText field lists
(``:param:``, ``:raises:``), Sphinx's own format.  MyST, so that the pages
stay Markdown that reads the same on GitHub, in the sdist and on the site.
Furo, a clean theme with no JavaScript framework of its own.
"""

from __future__ import annotations

import sys

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


def _is_public(cls: type) -> bool:
    """A class a user can import by a public name: its module path has no
    part starting with an underscore (twilio_trcap._core, ._capability,
    ._html) and its name is public there (no underscore, in ``__all__``)."""
    module = getattr(cls, "__module__", "") or ""
    name = cls.__qualname__
    if cls is object or module == "builtins":
        return True
    if any(part.startswith("_") for part in module.split(".")) or name.startswith("_"):
        return False
    exported = getattr(sys.modules.get(module), "__all__", None)
    return exported is None or name in exported


def _public_bases(app: object, name: str, obj: object, options: object, bases: list) -> None:
    """Shows a class's public ancestors in "Bases": a private base (the
    compiled core's types, the shared mixins of twilio_trcap._capability and
    ._html, grants' _Grant) is replaced by its own bases, until each is a
    public class or ``object``.  The reference page names only what a user
    can import; .ci/docs.sh checks the built site for the private names."""
    shown: list = []
    pending = list(bases)
    while pending:
        base = pending.pop(0)
        if not isinstance(base, type) or _is_public(base):
            if base not in shown:
                shown.append(base)
        else:
            pending[:0] = list(base.__bases__)
    if len(shown) > 1 and object in shown:
        shown.remove(object)
    bases[:] = shown


def setup(app: object) -> None:
    app.connect("autodoc-process-bases", _public_bases)  # type: ignore[attr-defined]
