"""Normalise: from archived HTML to articles with their text, metadata and provenance.

``extract_article`` reads one page; ``normalise_collection`` reads a collection's WARCs
and writes ``normalised/articles.jsonl`` (docs/normalise.md).
"""

from .article import Article, Image, Provenance
from .extract import extract_article

__all__ = ["Article", "Image", "Provenance", "extract_article"]
