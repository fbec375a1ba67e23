"""The extraction quality gate: F1 on the shared evaluation set must not fall below the
floor pinned in eval/baseline.json; and the scorer implements the benchmark's metric."""

from __future__ import annotations

import pytest

from eval.dataset import default_root, load_pages
from eval.run import floor
from eval.score import aggregate, page_score, shingles
from preserve import extract_article

EVAL_ROOT = default_root()


def test_shingles_follow_the_metric() -> None:
    assert sum(shingles("one two three four five").values()) == 2
    assert shingles("a b") == {("a", "b"): 1}
    assert shingles("  ,;  ") == {}
    assert sum(shingles("x y z w x y z w").values()) == 5  # a multiset: one repeats


def test_page_score_normalises_and_counts_multisets() -> None:
    s = page_score("a b c d e", "a b c d e")
    assert (s.precision, s.recall, s.exact) == (1.0, 1.0, True)
    half = page_score("a b c d e f g", "a b c d e x y")  # 4 truth shingles, 2 shared
    assert half.tp + half.fp + half.fn == pytest.approx(1.0)
    assert half.precision == pytest.approx(0.5) and half.recall == pytest.approx(0.5)
    miss = page_score("a b c d", "")
    assert miss.precision is None and miss.recall == 0.0


def test_aggregate_is_harmonic_mean_of_averages() -> None:
    pages = [page_score("a b c d e", "a b c d e"), page_score("a b c d e f g", "a b c d e x y"),
             page_score("a b c d", "")]
    score = aggregate(pages)
    assert score.precision == pytest.approx((1.0 + 0.5) / 2)  # the empty prediction is left out
    assert score.recall == pytest.approx((1.0 + 0.5 + 0.0) / 3)
    p, r = score.precision, score.recall
    assert score.f1 == pytest.approx(2 * p * r / (p + r))
    assert score.accuracy == pytest.approx(1 / 3)


@pytest.mark.slow
@pytest.mark.skipif(not (EVAL_ROOT / "ground-truth.json").is_file(),
                    reason=f"shared evaluation set not found at {EVAL_ROOT}")
def test_f1_stays_above_the_pinned_floor() -> None:
    articles = [(page, extract_article(page.html, page.url)) for page in load_pages(EVAL_ROOT)]
    score = aggregate(page_score(page.truth, a.body_text) for page, a in articles)
    assert score.pages == 92
    assert score.f1 >= floor(), f"F1 {score.f1:.4f} fell below the floor {floor():.4f}"
    # Every page of the set is a news or blog article: nearly all must be typed so.
    typed = sum(a.page_type == "article" for _, a in articles)
    assert typed >= 0.95 * len(articles), f"only {typed} of {len(articles)} typed article"
    assert all(a.title for _, a in articles)
