"""The extractors compared by the evaluation and the benchmark: ours and the references."""

from __future__ import annotations

from collections.abc import Callable

__all__ = ["EXTRACTORS", "Extractor"]

Extractor = Callable[[bytes, str], str]


def preserve_extract(html: bytes, url: str) -> str:
    from preserve import extract_article

    return extract_article(html, url).body_text


def _trafilatura(**options: bool) -> Extractor:
    def run(html: bytes, url: str) -> str:
        import trafilatura

        return trafilatura.extract(html.decode("utf-8", "replace"), url=url, **options) or ""

    return run


def readability_extract(html: bytes, url: str) -> str:
    from lxml import html as lxml_html
    from readability import Document

    summary = Document(html.decode("utf-8", "replace")).summary(html_partial=True)
    if not summary.strip():
        return ""
    return lxml_html.fragment_fromstring(summary, create_parent="div").text_content()


EXTRACTORS: dict[str, Extractor] = {
    "preserve": preserve_extract,
    "trafilatura": _trafilatura(),
    "trafilatura-precision": _trafilatura(favor_precision=True),
    "trafilatura-fast": _trafilatura(fast=True),
    "readability-lxml": readability_extract,
}
