"""The third-party components normalise cannot work without, checked once before any page.

trafilatura, the second opinion on a page's body, imports ``lxml.html.clean``, which lxml
5.2 and later ship as a project of their own, lxml_html_clean. An installation without it
(the pip of a fresh Python 3.11 venv skips lxml's ``html_clean`` extra on lxml 6) would
otherwise fail on every page, one problem a page and no warning: ``check_components``
turns that into one error, before anything is read or written.
"""

from __future__ import annotations

import importlib

from ..errors import ComponentMissing

__all__ = ["REQUIRED", "check_components"]

# module: (the distribution that provides it, what it does for normalise)
REQUIRED = {
    "lxml.html.clean": ("lxml_html_clean", "lxml's HTML cleaner, which trafilatura uses"),
    "trafilatura": ("trafilatura", "the second reading of a page's main content"),
}


def check_components() -> None:
    """Import every required component; a ComponentMissing for the first that fails."""
    for module, (package, role) in REQUIRED.items():
        try:
            importlib.import_module(module)
        except Exception as e:  # ImportError, or whatever a broken install raises
            error = " ".join(f"{type(e).__name__}: {e}".split())  # one line
            raise ComponentMissing(module, package, role, error) from e
