"""extract_article over the fixture corpus fixtures/normalise/: each NAME.html has its
expected fields in NAME.expected.json; a new pair is a new test case."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from preserve import extract_article

CORPUS = Path(__file__).resolve().parent.parent / "fixtures" / "normalise"
PAGES = sorted(p.name.removesuffix(".html") for p in CORPUS.glob("*.html"))


def test_corpus_is_complete() -> None:
    expected = sorted(p.name.removesuffix(".expected.json")
                      for p in CORPUS.glob("*.expected.json"))
    assert PAGES == expected and {"article-json-ld", "listing", "cp1252",
                                  "no-metadata"} <= set(PAGES)


@pytest.mark.parametrize("name", PAGES)
def test_fixture(name: str) -> None:
    spec: dict[str, Any] = json.loads((CORPUS / f"{name}.expected.json").read_text("utf-8"))
    article = extract_article((CORPUS / f"{name}.html").read_bytes(), spec["url"],
                              http_charset=spec["http_charset"]).to_dict()
    assert {k: article[k] for k in spec["fields"]} == spec["fields"]
    body = article["body_text"]
    if "body_starts" in spec:
        assert body.startswith(spec["body_starts"]) and body.endswith(spec["body_ends"])
    for text in spec["body_excludes"]:
        assert text not in body
    assert article["problems"] == []
