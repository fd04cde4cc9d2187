"""The two mixins every token object inherits, kept light: their work is
done by modules loaded on first use, so that ``import twilio_trcap``
loads only what minting needs (docs/distribution.md, "Import time").

* :class:`HtmlRepr` gives ``_repr_html_``, Jupyter's rich view; the
  renderer is :func:`twilio_trcap._html.to_html` (``html`` and
  ``datetime`` come with it).
* :class:`Checkable` gives ``allows`` and ``explain`` over the object's
  ``policies``; the model is :mod:`twilio_trcap.check` (``dataclasses``,
  ``inspect`` and ``urllib.parse`` come with it).

Both are re-exported where they are documented:
``twilio_trcap._html.HtmlRepr`` and ``twilio_trcap.check.Checkable``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

# The package itself, not twilio_trcap.check: the annotations of allows and
# explain name the policy model's types through it
# (``twilio_trcap.check.Params``), so that typing.get_type_hints and
# inspect.signature(eval_str=True) resolve them at runtime, loading the
# model then (the package's __getattr__), and importing the package does
# not.
import twilio_trcap

if TYPE_CHECKING:
    from collections.abc import Sequence

    from .policy import Policy

__all__ = ["Checkable", "HtmlRepr"]


class HtmlRepr:
    """Adds ``_repr_html_`` (Jupyter's rich display) to a class; the work
    is done by :func:`twilio_trcap._html.to_html`."""

    __slots__ = ()

    def _repr_html_(self) -> str:
        """An HTML table of this object, for Jupyter: claims, policies, and
        for a decision the deciding policy; never a key or signed token."""
        from ._html import to_html

        return to_html(self)


class Checkable(HtmlRepr):
    """Adds :meth:`allows` and :meth:`explain` to a class with a
    ``policies`` attribute (a sequence of :class:`~twilio_trcap.Policy`)."""

    __slots__ = ()

    if TYPE_CHECKING:
        @property
        def policies(self) -> Sequence[Policy]: ...

    def allows(
        self,
        method: str,
        url: str,
        query: twilio_trcap.check.Params = None,
        post: twilio_trcap.check.Params = None,
    ) -> bool:
        """``True`` if this token's policies allow the request, in the
        local model of ``docs/policies.md`` (not Twilio's server).

        :raises TypeError: an argument has the wrong type.
        :raises ValueError: an empty method or URL, a method that is not an
            RFC 9110 token, or a URL the model refuses (docs/policies.md).
        """
        from .check import explain

        return explain(self.policies, method, url, query, post).allowed

    def explain(
        self,
        method: str,
        url: str,
        query: twilio_trcap.check.Params = None,
        post: twilio_trcap.check.Params = None,
    ) -> twilio_trcap.check.Decision:
        """The :class:`~twilio_trcap.Decision` for the request: allowed or
        not, the deciding policy and why (local model,
        ``docs/policies.md``).  A deny whose URL a server could read in more
        than one way denies every request of its method, and the reason
        names it and the rule its URL breaks (see
        :func:`twilio_trcap.check.explain`).

        :raises TypeError: an argument has the wrong type.
        :raises ValueError: an empty method or URL, a method that is not an
            RFC 9110 token, or a URL the model refuses (docs/policies.md).
        """
        from .check import explain

        return explain(self.policies, method, url, query, post)
