"""The body of a listing: its teasers, one a line, instead of the prose of one of them.

A listing's own text is the list of pages it points to (title, link, date when given);
taking the text its extractor found would give the first teaser's excerpt, which makes
different listings look alike (docs/normalise.md, "Listings").
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from .pagetype import Teaser

__all__ = ["teaser_text", "teaser_markdown"]

_MD_SPECIAL = re.compile(r"([\\\[\]])")
_MD_URL_SPECIAL = re.compile(r"[\s()<>]")


def _date(t: Teaser) -> str:
    return f" ({t.published[:10]})" if t.published else ""


def teaser_text(teasers: Sequence[Teaser]) -> str:
    """One teaser a line: its title, and its day in brackets when the listing gives it."""
    return "\n".join(f"{t.title}{_date(t)}" for t in teasers)


def teaser_markdown(teasers: Sequence[Teaser]) -> str:
    """A Markdown list of links: ``- [Title](url) (2019-05-21)``."""
    lines = []
    for t in teasers:
        title = _MD_SPECIAL.sub(r"\\\1", t.title)
        url = f"<{t.url}>" if t.url and _MD_URL_SPECIAL.search(t.url) else t.url
        link = f"[{title}]({url})" if url else title
        lines.append(f"- {link}{_date(t)}")
    return "\n".join(lines)
