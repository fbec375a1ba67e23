"""The shared rules of what on a page is template (regions.py), where the readers' earlier
copies disagreed."""

from __future__ import annotations

from lxml import etree, html

from preserve.normalise import regions


def _el(markup: str, xpath: str) -> etree._Element:
    doc = html.document_fromstring(f"<html><body>{markup}</body></html>")
    found: list[etree._Element] = doc.xpath(xpath)
    return found[0]


def test_names_are_read_as_words() -> None:
    assert regions.name_zone("commentList") == regions.COMMENTS
    assert regions.name_zone("comment-content") == regions.COMMENTS  # comments always
    assert regions.name_zone("footer-widgets") == regions.WIDGETS
    assert regions.name_zone("jp-relatedposts") == regions.RELATED
    assert regions.name_zone("site-footer") == regions.FOOTER
    assert regions.name_zone("entry-footer") is None


def test_a_content_word_or_a_blog_name_is_not_a_zone() -> None:
    assert regions.name_zone("content-sidebar-wrap") is None
    assert regions.name_zone("widget Blog Blog1") is None


def test_secondary_is_a_sidebar_only_as_a_whole_name() -> None:
    assert regions.name_zone("secondary") == regions.SIDEBAR
    assert regions.name_zone("badge badge-secondary") is None


def test_a_page_builders_widget_is_not_a_widget() -> None:
    assert regions.name_zone("elementor-widget elementor-widget-text-editor") is None
    assert regions.name_zone("widget widget_recent_entries") == regions.WIDGETS


def test_an_aside_is_the_articles_own_only_inside_it() -> None:
    inner = _el("<main><article><aside><p>x</p></aside></article></main>", "//aside")
    beside = _el("<main><article></article><aside><p>x</p></aside></main>", "//aside")
    assert regions.zone(inner, regions.where(inner)) is None
    assert regions.zone(beside, regions.where(beside)) == regions.ASIDE


def test_a_header_is_the_sites_outside_content_unless_named_as_content() -> None:
    site = _el("<header><p>Site</p></header><main></main>", "//header")
    own = _el("<div id='main'><header><h2>T</h2></header></div>", "//header")
    named = _el("<header class='article'><p>By A</p></header>", "//header")
    assert regions.zone(site, regions.where(site)) == regions.HEADER
    assert regions.zone(own, regions.where(own)) is None
    assert regions.zone(named, regions.where(named)) is None


def test_the_main_region() -> None:
    doc = html.document_fromstring(
        "<html><body><div id='primary'><p>x</p></div><div role='main'></div></body></html>")
    assert regions.main_region(doc)[0].get("id") == "primary"
    assert regions.main_region(doc, by_id=False)[0].get("role") == "main"
    bare = html.document_fromstring("<html><body><p>x</p></body></html>")
    assert regions.main_region(bare) == (bare.find("body"), False)
