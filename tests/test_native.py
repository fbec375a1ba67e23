"""preserve's own content scorer (normalise/native.py) on small pages built to show each rule."""

from __future__ import annotations

from pathlib import Path

from lxml import etree
from lxml import html as lxml_html

from preserve.normalise.blocks import PathBlocks, render_text
from preserve.normalise.boilerplate import keyed_blocks, page_blocks
from preserve.normalise.native import native_body
from preserve.web.html import decode_html, parse_html

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "normalise"

PARA = ("Parliament debated the proposal for several hours, and the member spoke twice, "
        "first on the budget, then on the timetable, before the vote was taken. ")


def _article(n: int = 4, word: str = "Paragraph") -> str:
    return "".join(f"<p>{word} {i}. {PARA}</p>" for i in range(n))


def _body(page: str) -> str:
    return render_text(native_body(lxml_html.document_fromstring(page)).blocks)


def test_article_kept_and_boilerplate_regions_dropped() -> None:
    page = f"""<html><body>
      <nav><a href="/">Home</a> <a href="/news">News</a> and a long menu of many links</nav>
      <div class="post"><h1>The title</h1>{_article()}
        <div class="share-buttons"><p>Share this on every network you can think of, please,
          right now, today, with all your friends and family.</p></div>
      </div>
      <aside><p>{PARA}</p></aside>
      <div id="comments"><p>A reader, writing at length, disagrees, strongly, with all of
        it, and says so, twice.</p></div>
      <footer><p>Copyright, the party, all rights reserved, 2026.</p></footer>
    </body></html>"""
    text = _body(page)
    for i in range(4):
        assert f"Paragraph {i}." in text
    assert "The title" in text
    for gone in ("Home", "Share this", "A reader", "Copyright"):
        assert gone not in text
    assert text.count("Parliament debated") == 4  # not the aside's copy


def test_class_words_are_whole_words() -> None:
    # "PageBuilder-pageRow" holds "pager" and "Page-ad-margins" holds "ad" only as parts
    # or beside content; neither hides the article.
    page = f"""<html><body><div class="PageBuilder-pageRow">
      <div class="story">{_article()}</div></div></body></html>"""
    assert "Paragraph 3." in _body(page)


def test_a_marked_wrapper_of_most_of_the_page_is_not_boilerplate() -> None:
    page = f"""<html><body><form id="aspnetForm"><div>{_article(6)}</div></form>
      <div class="sidebar"><p>Other news.</p></div></body></html>"""
    text = _body(page)
    assert "Paragraph 5." in text
    assert "Other news" not in text


def test_an_article_body_named_so_inside_a_widget_is_kept() -> None:
    page = f"""<html><body>
      <div class="widget Blog"><div class="post-body">{_article(2)}</div>
        <div class="related"><p>{"Another story entirely, and another, and more. " * 3}</p>
        </div></div>
      <aside>{_article(2, "Aside")}</aside>
      <footer>{_article(2, "Footer")}</footer></body></html>"""
    text = _body(page)
    assert "Paragraph 1." in text
    assert "Another story" not in text and "Footer" not in text and "Aside" not in text


def test_hidden_and_link_heavy_blocks_are_dropped() -> None:
    links = " ".join(f'<a href="/t/{i}">Topic number {i}</a>' for i in range(12))
    page = f"""<html><body><article>{_article()}
      <p>{links}</p>
      <div style="display: none"><p>Hidden text that no reader sees at all, ever.</p></div>
      <div hidden><p>Also hidden from every reader of the page.</p></div>
    </article></body></html>"""
    text = _body(page)
    assert "Paragraph 3." in text
    assert "Topic number" not in text
    assert "hidden" not in text.lower()


def test_an_article_split_in_components_is_read_whole() -> None:
    page = f"""<html><body><div class="layout">
      <div class="component"><div class="text-component">{_article(3, "First")}</div></div>
      <div class="component"><div class="image"><p>A caption.</p></div></div>
      <div class="component"><div class="text-component">{_article(3, "Second")}</div></div>
    </div></body></html>"""
    text = _body(page)
    assert "First 2." in text and "Second 2." in text


def test_the_tree_is_not_changed() -> None:
    page = f"""<html><body><nav>Menu</nav><div class="post">{_article()}</div>
      <div class="comments"><p>Reply.</p></div></body></html>"""
    doc = lxml_html.document_fromstring(page)
    before = etree.tostring(doc)
    native_body(doc)
    assert etree.tostring(doc) == before


def test_pages_without_prose_give_no_body() -> None:
    for page in ("<html><body></body></html>", "<html><body><nav>Menu</nav></body></html>",
                 "<p>short</p>"):
        result = native_body(lxml_html.document_fromstring(page))
        assert result.container is None or not result.blocks or len(render_text(
            result.blocks)) < 20


def test_absurd_nesting_is_read_without_error() -> None:
    page = "<html><body>" + "<div>" * 3000 + _article(2) + "</div>" * 3000 + "</body></html>"
    doc = lxml_html.document_fromstring(page)  # libxml2 stops at its depth limit
    native_body(doc)  # no RecursionError, whatever the parser kept


def test_a_clear_winner_is_confident_and_a_contest_is_not() -> None:
    clear = f"""<html><body><nav><a href="/">Home</a></nav>
      <div class="story">{_article(6)}</div><footer><p>Footer text.</p></footer></body></html>"""
    result = native_body(lxml_html.document_fromstring(clear))
    assert result.confident and result.rival < 0.15 and result.share > 0.9
    # two equal containers, far apart in the tree (not siblings read as one article)
    contest = f"""<html><body><div class="left"><div><div>{_article(4, "Left")}</div></div>
      </div><div class="right"><div><div>{_article(4, "Right")}</div></div></div>
      </body></html>"""
    result = native_body(lxml_html.document_fromstring(contest))
    assert not result.confident and result.rival > 0.5


def test_the_body_asks_trafilatura_only_when_the_scorer_is_unsure() -> None:
    from preserve.normalise.body import extract_body

    clear = f"""<html><body><div class="story">{_article(6)}</div></body></html>"""
    doc = lxml_html.document_fromstring(clear)
    assert extract_body(doc, clear).method == "native"
    # two equal containers, far apart in the tree (not siblings read as one article)
    contest = f"""<html><body><div class="left"><div><div>{_article(4, "Left")}</div></div>
      </div><div class="right"><div><div>{_article(4, "Right")}</div></div></div>
      </body></html>"""
    doc = lxml_html.document_fromstring(contest)
    assert extract_body(doc, contest).method in ("combined", "trafilatura")


def _template_blocks_along_the_scorer(doc: etree._Element) -> list[tuple[str, str, str]]:
    page = PathBlocks()
    native_body(doc, page)
    assert page.done and not page.broken
    return [(b.key, b.text, b.path) for b in keyed_blocks(page.found).values()]


def test_the_scorer_cuts_the_template_blocks_of_its_walk_as_page_blocks_does() -> None:
    # What the scorer skips or reads otherwise than the template learner: buttons, frames,
    # formulas, options, menus, inputs, line breaks, blocks inside inline elements.
    page = f"""<html><body><div class="banner" role="note"><p>This site is archived and
      kept for reference only</p><button>Dismiss this notice now</button></div>
      <menu><li>Home page link</li> <li>News page link</li></menu>
      <div class="post"><h1>The <math>x plus y</math> title</h1>{_article(3)}
        <p>Before the frame<iframe>Your browser shows no frames</iframe>after it</p>
        <span>Inline <div>a block inside</div> text after it</span>
        <form><select><option>One choice</option></select><option>Stray option
        here</option><input type="text">tail of input<br>after break</form>
        <script>var x = "not text";</script>Text after script</div>
      <footer><p>Footer words of the site</p></footer></body></html>"""
    docs = [lxml_html.document_fromstring(page)]
    docs += [parse_html(decode_html(p.read_bytes()).text)[0]
             for p in sorted(FIXTURES.glob("*.html"))]
    for doc in docs:
        expected = [(b.key, b.text, b.path) for b in page_blocks(doc).values()]
        assert _template_blocks_along_the_scorer(doc) == expected
    assert any("[note]" in path for _, _, path in _template_blocks_along_the_scorer(docs[0]))


def test_a_tag_the_scorer_reads_otherwise_sends_the_learner_back_to_its_own_walk() -> None:
    doc = lxml_html.document_fromstring(f"<html><body>{_article(2)}</body></html>")
    body = doc.find("body")
    assert body is not None
    etree.SubElement(body, "SCRIPT").text = "not text for the template"
    page = PathBlocks()
    native_body(doc, page)
    assert page.broken
