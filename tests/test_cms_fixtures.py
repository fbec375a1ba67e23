"""extract_article over pages saved from real CMS sites (fixtures/cms/): each NAME.html has
the fields a correct extractor gives in NAME.expected.json, written from what the site was
populated with (scripts/wordpress/save_fixtures.py), not from our own output. A new pair
is a new test case.

``published_day`` compares the day of ``published`` (None: no date); tags and categories
compare as sorted lists.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from preserve import extract_article

CORPUS = Path(__file__).resolve().parent.parent / "fixtures" / "cms"
PAGES = sorted(str(p.relative_to(CORPUS)).removesuffix(".html") for p in CORPUS.glob("*/*.html"))


def test_corpus_is_complete() -> None:
    expected = sorted(str(p.relative_to(CORPUS)).removesuffix(".expected.json")
                      for p in CORPUS.glob("*/*.expected.json"))
    assert PAGES == expected and len(PAGES) >= 10


def found(article: dict[str, Any], field: str) -> Any:
    if field == "published_day":
        return article["published"][:10] if article["published"] else None
    value = article.get(field)
    return sorted(value) if field in ("tags", "categories") and value is not None else value


@pytest.mark.parametrize("name", PAGES)
def test_fixture(name: str) -> None:
    spec: dict[str, Any] = json.loads((CORPUS / f"{name}.expected.json").read_text("utf-8"))
    article = extract_article((CORPUS / f"{name}.html").read_bytes(), spec["url"],
                              http_charset=spec["http_charset"]).to_dict()
    assert {k: found(article, k) for k in spec["fields"]} == spec["fields"]
