"""The test site's data: an article, and a response the site wants the server to send."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

__all__ = ["Article", "Page"]


@dataclass(frozen=True)
class Article:
    """One news post; ``number`` is its stable id in the site's deterministic sequence."""

    number: int
    slug: str
    title: str
    author: str
    published: datetime
    paragraphs: tuple[str, ...]
    colour: tuple[int, int, int]
    json_ld: bool = False
    dublin_core: bool = False
    modified: datetime | None = None

    @property
    def path(self) -> str:
        return f"/news/{self.published:%Y/%m}/{self.slug}/"

    @property
    def image(self) -> str:
        return f"/media/{self.published:%Y/%m}/{self.slug}.jpg"

    @property
    def updated(self) -> datetime:
        return self.modified or self.published


@dataclass(frozen=True)
class Page:
    """What to send for one request; the server decides the framing from the flags.

    ``gzip``: Content-Encoding gzip when the request accepts it (with Vary).
    ``chunked``: Transfer-Encoding chunked instead of Content-Length.
    """

    status: int
    body: bytes
    content_type: str
    headers: tuple[tuple[str, str], ...] = ()
    gzip: bool = False
    chunked: bool = False
    last_modified: datetime | None = None
