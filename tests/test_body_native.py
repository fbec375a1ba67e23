"""Rules of the native scorer (normalise/native.py) added for body recall and precision on
real pages, each on a small hand-written page."""

from __future__ import annotations

from lxml import html as lxml_html

from preserve.normalise.blocks import render_text
from preserve.normalise.native import native_body

PARA = ("Parliament debated the proposal for several hours, and the member spoke twice, "
        "first on the budget, then on the timetable, before the vote was taken. ")
META = ("Filed under elections, parliament, budget, transport, the harbour, the timetable "
        "and everything else the member ever spoke about, in any session, since 2019.")


def _body(page: str) -> str:
    return render_text(native_body(lxml_html.document_fromstring(page)).blocks)


def _page(part_class: str, wrapper_class: str = "site") -> str:
    article = "".join(f"<p>Paragraph {i}. {PARA}</p>" for i in range(5))
    footer = "".join(f"<p>Footer note {i}. {PARA}</p>" for i in range(7))
    return (f'<html><body><div class="{wrapper_class}"><article class="post category-news '
            f'tag-eu"><h1>The vote</h1>{article}<div class="{part_class}"><p>{META}</p>'
            f"</div></article></div><footer>{footer}</footer></body></html>")


def test_a_class_joining_content_and_boilerplate_words_is_a_part_not_the_text() -> None:
    for name in ("post-meta", "entry-footer", "article-tags", "related_post", "PostCategory"):
        text = _body(_page(name))
        assert "Paragraph 4." in text, name
        assert "Filed under" not in text, name


def test_separate_classes_and_layout_wrappers_keep_the_article() -> None:
    """WordPress's ``post category-news tag-eu`` on the article, and a wrapper named for
    the layout (``content-with-sidebar-wrap``), are not boilerplate."""
    text = _body(_page("entry-summary-box", wrapper_class="content-with-sidebar-wrap"))
    for i in range(5):
        assert f"Paragraph {i}." in text
    assert "Filed under" in text


LEAD = ("The member's proposal, debated for a whole afternoon, passed by a single vote, "
        "after a late change to the timetable that neither side had expected in the morning.")


def _lead_page(lead_class: str, lead: str, outside: str = "") -> str:
    article = "".join(f"<p>Paragraph {i}. {PARA}</p>" for i in range(5))
    return (f"<html><body><div class='top'>{outside}</div><main><article><header><h1>The "
            f"vote</h1><p class='{lead_class}'>{lead}</p></header><div class='text'>"
            f"{article}</div></article></main></body></html>")


def test_a_lead_paragraph_above_the_container_is_part_of_the_body() -> None:
    for name in ("lead", "article__intro", "leadIn", "abstract", "chapo"):
        text = _body(_lead_page(name, LEAD))
        assert text.startswith(LEAD), name
        assert "Paragraph 4." in text


def test_a_deck_an_unnamed_paragraph_and_a_lead_outside_the_article_are_not() -> None:
    deck = "The member's proposal passed by a single vote."
    assert deck not in _body(_lead_page("lead", deck))
    assert LEAD not in _body(_lead_page("note", LEAD))
    outside = f"<p class='intro'>{LEAD.replace('member', 'minister')}</p>"
    assert "minister" not in _body(_lead_page("note", "A short deck.", outside))


def test_a_date_line_is_left_to_the_metadata_and_a_duration_is_kept() -> None:
    article = "".join(f"<p>Paragraph {i}. {PARA}</p>" for i in range(5))
    page = ("<html><body><article><div class='text'><p>Updated: <time datetime='2020-04-03'>"
            "03.04.2020</time></p>" + article + "<p>Baking: <time datetime='PT15M'>15 min"
            "</time></p></div></article></body></html>")
    text = _body(page)
    assert "03.04.2020" not in text
    assert "Baking: 15 min" in text
    assert "Paragraph 4." in text


def test_a_table_of_contents_is_not_the_text() -> None:
    article = "".join(f"<h2>Part {i}</h2><p>Paragraph {i}. {PARA}</p>" for i in range(4))
    toc = ("<div class='ez-toc-container'><p class='ez-toc-title'>Table of contents for the "
           "whole of this long article</p><ul>"
           + "".join(f"<li>Part {i}</li>" for i in range(4)) + "</ul></div>")
    text = _body(f"<html><body><article><div class='text'>{toc}{article}</div></article>"
                 "</body></html>")
    assert "Table of contents" not in text
    assert "Paragraph 3." in text


def test_a_headings_anchor_id_is_not_a_role() -> None:
    article = "".join(f"<h2 id='nav_part_{i}'>Part {i} of the debate</h2><p>Paragraph {i}. "
                      f"{PARA}</p>" for i in range(4))
    text = _body(f"<html><body><article><div class='text'>{article}</div></article>"
                 "</body></html>")
    assert "Part 3 of the debate" in text


OPENING = ("It was six in the morning and still dark when the member, who had not slept, "
           "walked into the chamber with the amended timetable under his arm. Nobody else "
           "had arrived yet, and the clerk, surprised, asked him whether the session had "
           "been moved. It had not; he only wanted to read the proposal once more, alone.")


def test_prose_above_the_container_is_the_articles_opening() -> None:
    """A paragraph of several sentences above the container, near it (under its
    grandparent), is the opening the scorer's container left out; a long line that is not
    sentences (a list of addresses) and prose after the container (an "about us") are
    not."""
    article = "".join(f"<p>Paragraph {i}. {PARA}</p>" for i in range(5))
    urls = " ".join(f"http://example.org/uploads/2018/10/image-{i}.jpeg 1200 676"
                    for i in range(8))
    about = OPENING.replace("member", "company")
    page = (f"<html><body><div class='page'><div class='gallery'><p>{urls}</p></div>"
            f"<header><div class='head'><h1>The vote</h1><p>{OPENING}</p></div></header>"
            f"<div class='text'>{article}</div>"
            f"<div class='about'><div><p>{about}</p></div></div></div></body></html>")
    text = _body(page)
    assert text.startswith(OPENING)
    assert "Paragraph 4." in text
    assert "example.org" not in text
    assert "company" not in text


CLOSING = ("The vote came late in the evening. The member left the chamber before the result "
           "was read out and went home by the last train that night. His proposal will now go "
           "to the second chamber in the spring where it is expected to pass without much "
           "debate in the committee. The timetable itself will change in the summer.")


def test_a_later_text_component_of_one_paragraph_is_read() -> None:
    """An article split into text components of one class: a later component holding a
    single paragraph scores too little to join on its own, but its prose is the article's
    end."""
    article = "".join(f"<p>Paragraph {i}. {PARA}</p>" for i in range(5))
    page = (f"<html><body><div class='page'><div class='rte'>{article}</div>"
            f"<div class='gallery'><img src='a.jpg'></div>"
            f"<div class='rte'><p>{CLOSING}</p></div></div><div class='x'><p>{PARA}</p>"
            f"</div></body></html>")
    text = _body(page)
    assert "Paragraph 4." in text
    assert text.endswith(CLOSING)
