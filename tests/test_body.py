"""How the body combines trafilatura's extraction with the native scorer's
(normalise/body.py), one rule a test, on small hand-written blocks and pages."""

from __future__ import annotations

from lxml import html as lxml_html

from preserve.normalise.blocks import Block, render_text
from preserve.normalise.body import RIVAL, combine
from preserve.normalise.extract import extract_article
from preserve.normalise.native import native_body


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


_HARBOUR = ("The council voted on the new harbour plan on Tuesday, after a debate that lasted "
            "most of the afternoon, and well into the evening, when the last speaker, the "
            "mayor, sat down and the clerk read out the result of the vote to a nearly empty "
            "chamber.")
_NOTES = ("Visitors, residents, traders, all, it seems, have views, strong ones, on parking, "
          "buses, bins, and the weather.")


def test_competing_containers_make_trafilatura_read_the_whole_page() -> None:
    """Two columns score alike and the scorer picks the wrong one: the region around it
    does not hold the article, so trafilatura reads the whole page."""
    links = "".join(f'<li><a href="/t{i}">Topic number {i}</a></li>' for i in range(12))
    article = "".join(f"<p>Paragraph {i}. {_HARBOUR}</p>" for i in range(6))
    notes = "".join(f"<p>Note {i}. {_NOTES}</p>" for i in range(6))
    page = (f"<html><head><title>Harbour plan</title></head><body>"
            f'<div class="left"><ul>{links}</ul><div class="a"><h1>Harbour plan approved'
            f"</h1>{article}</div></div>"
            f'<div class="right"><ul>{links}</ul><div class="b">{notes}</div></div>'
            f"</body></html>")
    native = native_body(lxml_html.document_fromstring(page))
    assert native.container is not None and native.container.get("class") == "b"
    assert native.rival >= RIVAL and not native.confident
    body = extract_article(page).body_text
    for i in range(6):
        assert f"Paragraph {i}. The council voted" in body


def test_an_xhtml_page_with_an_xml_declaration_is_read() -> None:
    """lxml refuses a decoded page opening with ``<?xml ... encoding=...?>``; the page
    used to come out empty, with a parse problem."""
    page = ('<?xml version="1.0" encoding="utf-8"?>\n<!DOCTYPE html PUBLIC "-//W3C//DTD '
            'XHTML 1.0 Strict//EN" "http://www.w3.org/TR/xhtml1/DTD/xhtml1-strict.dtd">\n'
            '<html xmlns="http://www.w3.org/1999/xhtml"><head><title>Harbour</title></head>'
            f"<body><div><p>{_HARBOUR}</p><p>{_HARBOUR}</p></div></body></html>")
    for payload in (page, page.encode("utf-8")):
        article = extract_article(payload)
        assert not any(p.startswith("parse:") for p in article.problems)
        assert "The council voted on the new harbour plan" in article.body_text


def test_an_unsupported_opening_sentence_is_a_lead_and_a_label_is_not() -> None:
    """What trafilatura has above the scorer's body: a lead sentence stays, a kicker goes."""
    article = _paras("Article", 6)
    lead = Block("p", "Late on Tuesday the harbour board, meeting in public for the first "
                      "time in a decade, agreed to sell the old pier to the town.")
    kicker = Block("p", "Harbour news")
    blocks, _ = combine([lead, *article], article)
    assert render_text(blocks) == render_text([lead, *article])
    blocks, _ = combine([kicker, *article], article)
    assert render_text(blocks) == render_text(article)


def test_a_heading_with_nothing_under_it_does_not_end_the_body() -> None:
    """A section heading whose links the scorer dropped ("Related posts") is not text; a
    heading with its paragraph under it is."""
    related = "".join(f'<li><a href="/p{i}">Another post number {i}</a></li>' for i in range(8))
    page = (f"<html><head><title>Harbour</title></head><body><article>"
            f"<h1>Harbour plan approved</h1><p>{_HARBOUR}</p><h2>The vote</h2>"
            f"<p>{_HARBOUR}</p><h3>Related posts</h3><ul>{related}</ul>"
            f"</article></body></html>")
    body = extract_article(page).body_text
    assert "The vote" in body
    assert body.rstrip().endswith("chamber.")


def test_subheadings_and_list_items_inside_the_agreed_core_are_put_back() -> None:
    """trafilatura's precision mode left out a subheading and a list between paragraphs
    both bodies hold; the scorer's are put back in place. Its heading above the core and
    the items after it (outside what both agree on) are not."""
    article = _paras("Article", 6)
    heading = Block("h", "Costs", level=2)
    items = [Block("li", "new piles"), Block("li", "a wider quay")]
    native = [Block("h", "Before"), *article[:3], heading, *items, *article[3:],
              Block("li", "Share this")]
    blocks, method = combine(article, native)
    assert method == "combined"
    assert render_text(blocks) == render_text([*article[:3], heading, *items, *article[3:]])


def test_a_picture_credit_is_not_text_and_a_copyright_notice_is() -> None:
    """A short block crediting a picture ("© Getty Images") is a caption the markup did
    not name; a copyright line with its year is the article's own."""
    page = (f"<html><head><title>Harbour</title></head><body><article>"
            f"<h1>Harbour plan approved</h1><p>{_HARBOUR}</p>"
            f"<p>The mayor after the vote. | © Harbour Pictures/Getty Images</p>"
            f"<p>{_HARBOUR}</p><p>© 2019 Harbour Press. All rights reserved.</p>"
            f"</article></body></html>")
    body = extract_article(page).body_text
    assert "The mayor after the vote" not in body
    assert "© 2019 Harbour Press" in body
    assert body.count("The council voted") == 2
