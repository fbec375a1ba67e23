"""How the body combines trafilatura's extraction with the native scorer's
(normalise/body.py), one rule a test, on small hand-written blocks and pages."""

from __future__ import annotations

from preserve.normalise.blocks import Block, render_text
from preserve.normalise.body import combine


def _paras(word: str, n: int) -> list[Block]:
    return [Block("p", f"{word} paragraph {i}: the committee met on the budget, heard "
                  f"{i + 2} witnesses and adjourned until the following week.")
            for i in range(n)]


def test_a_narrow_native_body_does_not_trim_trafilaturas() -> None:
    """The scorer read one text component of ten: its edges are not the article's."""
    article = _paras("Article", 10)
    blocks, method = combine(article, article[4:6])
    assert render_text(blocks) == render_text(article)
    assert method == "trafilatura"


def test_a_broad_native_body_still_trims_trafilaturas_tail() -> None:
    """Where the scorer holds most of trafilatura's body, what trafilatura adds at the end
    (a comment thread) is cut."""
    article = _paras("Article", 8)
    comments = [Block("p", f"Reader {i} writes: I disagree with every word of this, and "
                           "so does my neighbour, who has written to you before.")
                for i in range(2)]
    blocks, method = combine(article + comments, article)
    assert render_text(blocks) == render_text(article)
    assert method == "combined"
