"""The metadata gate on ../shared/metadata-eval/ (eval/metadata.py): the metric as that
set's README defines it, and preserve's title, date, author and body figures against the
floors pinned in eval/metadata_baseline.json and against trafilatura in the same run."""

from __future__ import annotations

import pytest

from eval.metadata import (
    FIELDS,
    MetaPage,
    Prediction,
    baseline,
    default_root,
    evaluate,
    load_pages,
    matches,
    norm,
    score,
)

ROOT = default_root()


def _page(**kw: object) -> MetaPage:
    fields: dict[str, object] = {"id": "x", "url": "", "html": b"", "with_": (), "without": (),
                                 "has_gold": True}
    fields.update(kw)
    return MetaPage(**fields)  # type: ignore[arg-type]


def test_norm_collapses_whitespace_but_keeps_case() -> None:
    assert norm("  Jane\n\t Doe ") == "Jane Doe"
    assert norm("ABC") != norm("abc")
    assert norm(None) == ""


def test_matches_follow_the_metric() -> None:
    page = _page(title="A  title", authors=("Jane Doe", " John Roe"), date="2024-12-05")
    good = Prediction("A title", "2024-12-05T10:00:00+01:00", ("John Roe", "Jane  Doe"), "")
    assert matches(page, good) == {"title": True, "date": True, "author": True}
    bad = Prediction("a title", "2024-12-06", ("Jane Doe",), "")
    assert matches(page, bad) == {"title": False, "date": False, "author": False}
    undated = _page(title="", authors=("",), date=None)
    assert matches(undated, Prediction(None, None, (), "")) == \
        {"title": True, "date": True, "author": True}
    assert not matches(undated, Prediction(None, "2024-01-01", ("",), ""))["date"]


def test_body_f1_is_pooled_over_snippets() -> None:
    a = _page(with_=("one", "two", "three"), without=("ads",), has_gold=False)
    b = _page(with_=("four",), without=("menu", "footer"))
    figures = score([(a, Prediction(None, None, (), "one two ads")),
                     (b, Prediction(None, None, (), "four menu footer"))])
    tp, fn, fp = 3, 1, 3  # pooled, not averaged per page
    precision, recall = tp / (tp + fp), tp / (tp + fn)
    assert figures.body == pytest.approx(2 * precision * recall / (precision + recall))
    assert (figures.pages, figures.gold_pages) == (2, 1)
    assert figures.title == 1.0 and figures.date == 1.0  # b's gold is all empty


@pytest.mark.slow
@pytest.mark.skipif(not (ROOT / "ground-truth.json").is_file(),
                    reason=f"metadata evaluation set not found at {ROOT} "
                           "(set PRESERVE_METADATA_EVAL_DIR)")
def test_preserve_stays_above_its_floors_and_level_with_trafilatura() -> None:
    pages = list(load_pages(ROOT))
    ours, _ = evaluate("preserve", pages)
    theirs, _ = evaluate("trafilatura", pages)
    assert (ours.gold_pages, ours.pages) == (441, 511)
    floors = baseline()
    low = [f"{k} {ours.get(k):.4f} < floor {floors[k]:.4f}" for k in FIELDS
           if ours.get(k) < floors[k]]
    assert not low, f"below the pinned floors: {low}"
    behind = [f"{k} {ours.get(k):.4f} < trafilatura's {theirs.get(k):.4f}"
              for k in FIELDS if ours.get(k) < theirs.get(k)]
    assert not behind, f"behind trafilatura in this run: {behind}"
