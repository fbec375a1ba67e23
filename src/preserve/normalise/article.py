"""The Article: what normalisation produces for one page, and its JSON form."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

__all__ = ["Article", "Image", "Provenance", "PAGE_TYPES"]

PAGE_TYPES = ("article", "page", "listing", "other")


@dataclass(frozen=True)
class Image:
    src: str
    alt: str = ""
    caption: str = ""

    def to_dict(self) -> dict[str, str]:
        return {"src": self.src, "alt": self.alt, "caption": self.caption}


@dataclass(frozen=True)
class Provenance:
    """The archived record an article was read from (docs/normalise.md)."""

    warc_file: str
    offset: int
    length: int
    record_id: str
    capture_time: str
    payload_digest: str | None
    revisit_of: dict[str, Any] | None = None

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "warc_file": self.warc_file,
            "offset": self.offset,
            "length": self.length,
            "record_id": self.record_id,
            "capture_time": self.capture_time,
            "payload_digest": self.payload_digest,
        }
        if self.revisit_of is not None:
            out["revisit_of"] = self.revisit_of
        return out


@dataclass(frozen=True)
class Article:
    """One page, normalised. Dates are ISO 8601 strings; None when the page does not say."""

    url: str | None = None
    id: str | None = None
    canonical_url: str | None = None
    page_type: str = "other"
    title: str | None = None
    authors: tuple[str, ...] = ()
    published: str | None = None
    modified: str | None = None
    language: str | None = None
    description: str | None = None
    site_name: str | None = None
    tags: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    body_text: str = ""
    body_markdown: str = ""
    images: tuple[Image, ...] = ()
    links: tuple[str, ...] = ()
    word_count: int = 0
    encoding: str | None = None
    body_hash: str | None = None
    duplicate_of: str | None = None
    provenance: Provenance | None = None
    problems: tuple[str, ...] = field(default=())

    def dublin_core(self) -> dict[str, str | list[str]]:
        """The article's description in Dublin Core terms (docs/normalise.md, "Fields"):
        ``dc:creator`` one per author, ``dc:subject`` one per tag and category; what the
        page does not say is left out."""
        subjects: list[str] = []
        for term in (*self.tags, *self.categories):
            if term.casefold() not in {s.casefold() for s in subjects}:
                subjects.append(term)
        terms: dict[str, str | list[str] | None] = {
            "dc:title": self.title,
            "dc:creator": list(self.authors),
            "dc:subject": subjects,
            "dc:description": self.description,
            "dc:publisher": self.site_name,
            "dc:date": self.published,
            "dcterms:issued": self.published,
            "dcterms:modified": self.modified,
            "dc:type": "Collection" if self.page_type == "listing" else "Text",
            "dc:format": "text/html",
            "dc:identifier": self.canonical_url or self.url,
            "dc:source": self.url,
            "dc:language": self.language,
        }
        return {k: v for k, v in terms.items() if v}

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "url": self.url,
            "canonical_url": self.canonical_url,
            "page_type": self.page_type,
            "title": self.title,
            "authors": list(self.authors),
            "published": self.published,
            "modified": self.modified,
            "language": self.language,
            "description": self.description,
            "site_name": self.site_name,
            "tags": list(self.tags),
            "categories": list(self.categories),
            "body_text": self.body_text,
            "body_markdown": self.body_markdown,
            "images": [i.to_dict() for i in self.images],
            "links": list(self.links),
            "word_count": self.word_count,
            "encoding": self.encoding,
            "body_hash": self.body_hash,
            "duplicate_of": self.duplicate_of,
            "provenance": self.provenance.to_dict() if self.provenance else None,
            "problems": list(self.problems),
        }
