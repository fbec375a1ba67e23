"""Dates as real sites write them: the EU's 24 languages, day-first numbers, and which
parts of a page may give a page its date (docs/normalise.md, "Dates")."""

from __future__ import annotations

import pytest

from preserve import extract_article
from preserve.normalise.dates import parse_date, url_date
from preserve.normalise.months import month_number

PARAS = "".join(
    f"<p>Paragraph {i} of the speech on fisheries, farming and the rules of the single "
    f"market that the committee agreed after a long debate in Strasbourg.</p>" for i in range(8))


def page(body: str, head: str = "", lang: str = "de") -> str:
    return (f'<!DOCTYPE html><html lang="{lang}"><head><meta charset="utf-8">'
            f"<title>A speech</title>{head}</head><body>"
            f"<nav><a href='/'>Home</a></nav>{body}"
            f"<footer><p>Copyright 05.01.2001</p></footer></body></html>")


# One date in each of the EU's 24 official languages, in the form its press writes it
# after a day number (inflected or genitive where the language inflects).
@pytest.mark.parametrize(("text", "lang"), [
    ("5 декември 2024 г.", "bg"),                 # Bulgarian
    ("5. prosinca 2024.", "hr"),                  # Croatian (genitive)
    ("5. prosince 2024", "cs"),                   # Czech (genitive)
    ("5. december 2024", "da"),                   # Danish
    ("5 december 2024", "nl"),                    # Dutch
    ("December 5th, 2024", "en"),                 # English
    ("5. detsember 2024", "et"),                  # Estonian
    ("5. joulukuuta 2024", "fi"),                 # Finnish (partitive)
    ("5 décembre 2024", "fr"),                    # French
    ("Donnerstag, 5. Dezember 2024", "de"),       # German
    ("5 Δεκεμβρίου 2024", "el"),                  # Greek (genitive)
    ("2024. december 5.", "hu"),                  # Hungarian (year first)
    ("5 Nollaig 2024", "ga"),                     # Irish
    ("5 dicembre 2024", "it"),                    # Italian
    ("2024. gada 5. decembrī", "lv"),             # Latvian (locative)
    ("2024 m. gruodžio 5 d.", "lt"),              # Lithuanian (genitive, year first)
    ("5 ta' Diċembru 2024", "mt"),                # Maltese
    ("5 grudnia 2024", "pl"),                     # Polish (genitive)
    ("5 de dezembro de 2024", "pt"),              # Portuguese
    ("5 decembrie 2024", "ro"),                   # Romanian
    ("5. decembra 2024", "sk"),                   # Slovak (genitive)
    ("5. decembra 2024", "sl"),                   # Slovenian (genitive)
    ("5 de diciembre de 2024", "es"),             # Spanish
    ("5 december 2024", "sv"),                    # Swedish
])
def test_a_date_in_each_eu_language(text: str, lang: str) -> None:
    assert parse_date(text, lang) == "2024-12-05"
    assert parse_date(text.upper(), lang) == "2024-12-05"  # case and accents folded


@pytest.mark.parametrize(("text", "expected"), [
    ("1er décembre 2024", "2024-12-01"),
    ("5 déc. 2024", "2024-12-05"),
    ("5 Meán Fómhair 2024", "2024-09-05"),  # Irish, two words
    ("Stand: 05.12.2024, 10:30 Uhr", "2024-12-05"),
    ("2024/12/05", "2024-12-05"),
    ("2024. 12. 05.", "2024-12-05"),
    ("13/12/2024", "2024-12-13"),  # only one reading
    ("12/13/2024", "2024-12-13"),
    ("5 minutes ago", None),
    ("10.20.2024", None),
    ("31.02.2024", None),
])
def test_other_written_forms(text: str, expected: str | None) -> None:
    assert parse_date(text) == expected


def test_ambiguous_numbers_follow_the_page_language() -> None:
    assert parse_date("5/12/2024", "fr-FR") == "2024-12-05"
    assert parse_date("5/12/2024", "en-GB") == "2024-12-05"
    assert parse_date("5/12/2024", "en-US") == "2024-05-12"
    assert parse_date("5/12/2024", "en") is None  # either reading would be a guess
    assert parse_date("5/12/2024") is None
    assert parse_date("05.12.2024", "en-US") == "2024-12-05"  # dots: day first everywhere


@pytest.mark.parametrize(("url", "expected"), [
    ("https://x.example/news/2019/7/12/slug", "2019-07-12"),
    ("https://x.example/meldungen/29-10-2021", "2021-10-29"),  # day first in a slug
    ("https://x.example/aktuelles/08112021-online-fachtag", "2021-11-08"),
    ("https://x.example/20191118-slug", "2019-11-18"),  # year first wins where both fit
    ("https://x.example/item/31-02-2021", None),
    ("https://x.example/p/123456789012/", None),
])
def test_url_dates(url: str, expected: str | None) -> None:
    assert url_date(url) == expected


def test_month_names_that_differ_between_languages() -> None:
    assert month_number("listopada", "hr") == 10  # Croatian October
    assert month_number("listopada", "pl") == 11  # Polish November
    assert month_number("listopada") == 11
    assert month_number("Mär.") == 3 and month_number("okt") == 10
    assert month_number("Monday") is None


def test_a_visible_date_in_the_article() -> None:
    a = extract_article(page('<article><h1>A speech</h1><p class="meta-date">'
                             'Veröffentlicht am 5. Dezember 2024</p>' + PARAS + "</article>"))
    assert a.published == "2024-12-05"


def test_a_date_line_below_the_title() -> None:
    body = ('<div class="c1"><h1>A speech</h1><p><span>Wiesbaden, 11. November 2024</span>'
            "</p>" + PARAS + "</div>")
    assert extract_article(page(body)).published == "2024-11-11"
    # A date inside the prose (an event's, not the page's) is not a date line.
    prose = ('<div class="c1"><h1>A speech</h1><p>The committee meets again on 11. November'
             " 2024 in Strasbourg to agree the rules of the single market for fisheries.</p>"
             + PARAS + "</div>")
    assert extract_article(page(prose)).published is None


@pytest.mark.parametrize(("line", "published"), [
    ("Zuletzt aktualisiert am 6. Dezember 2024", None),
    ("Last modified on 6 December 2024, at 19:23.", None),
    ("Publié le 5 décembre 2024, mis à jour le 6 décembre 2024", "2024-12-05"),
])
def test_a_changed_date_is_not_the_publication_date(line: str, published: str | None) -> None:
    body = f'<article><h1>A speech</h1><p class="entry-meta">{line}</p>{PARAS}</article>'
    assert extract_article(page(body)).published == published


def test_never_a_date_from_comments_widgets_or_the_site_footer() -> None:
    comments = ('<div id="comments"><article class="comment-body"><time datetime='
                '"2024-12-07T10:00:00Z">7 Dec</time><p class="comment-date">7. Dezember 2024'
                '</p></article></div>')
    widget = ('<aside class="widget-area"><section class="widget widget_recent_comments">'
              '<time datetime="2024-12-08">8 Dec</time><span class="date">08.12.2024</span>'
              '</section></aside>')
    related = ('<div class="related-posts"><span class="post-date">09.12.2024</span></div>')
    body = f"<article><h1>A speech</h1>{PARAS}</article>{comments}{widget}{related}"
    a = extract_article(page(widget + body))
    assert a.published is None  # the comments', the widget's and the footer's are others'
    dated = page(widget + body.replace("<h1>A speech</h1>",
                                       '<h1>A speech</h1><time datetime="2024-12-05">5 Dec'
                                       "</time>"))
    assert extract_article(dated).published == "2024-12-05"


def test_never_the_date_of_the_sites_header_or_of_a_related_list() -> None:
    # The site's header gives today's date (nachtkritik.de: "Mittwoch, 01. November 2023"
    # in <header class="container">, outside the content): regions.py's header zone.
    header = ('<header class="container"><div class="navtop"><time>Mittwoch, 01. November '
              "2023</time></div></header>")
    # DW's list of related articles is named with a content word: still another text's.
    related = ('<div class="col3 relatedContent"><div class="news"><h2>Another story '
               '<span class="date">19.01.2020</span></h2></div></div>')
    body = f'<div class="wrap">{header}<div class="col"><h1>A speech</h1>{PARAS}</div>'
    assert extract_article(page(body + f"{related}</div>")).published is None
    dated = body.replace("<h1>A speech</h1>", '<h1>A speech</h1><p class="date">'
                                              "31.10.2023</p>")
    assert extract_article(page(dated + f"{related}</div>")).published == "2023-10-31"


def test_an_articles_own_footer_gives_its_date() -> None:
    # Twenty Twenty-One puts the post's date in the entry footer, below the text.
    body = ('<aside class="widget-area"><time datetime="2024-12-08T10:00:00+00:00">x</time>'
            '</aside><main><article class="post hentry"><h1>A speech</h1>' + PARAS +
            '<footer class="entry-footer"><span class="posted-on">Published <time '
            'class="entry-date published updated" datetime="2024-12-05T09:00:00+00:00">'
            "December 5, 2024</time></span></footer></article></main>")
    a = extract_article(page(body, lang="en-US"))
    assert a.published == "2024-12-05T09:00:00+00:00"
    assert a.modified == a.published  # hAtom "updated" on the same element
    edited = body.replace("</time>", '</time><time class="updated" datetime="2024-12-06">'
                                     "</time>").replace("published updated", "published")
    b = extract_article(page(edited, lang="en-US"))
    assert (b.published, b.modified) == ("2024-12-05T09:00:00+00:00", "2024-12-06")


def test_an_articles_own_aside_gives_its_date() -> None:
    body = ('<article><h1>A speech</h1><aside class="post-info"><time datetime="2024-12-05">'
            "5 Dec</time></aside>" + PARAS + "</article>")
    assert extract_article(page(body)).published == "2024-12-05"


def test_microdata_and_published_apart_from_modified() -> None:
    body = ('<article><h1>A speech</h1><span itemprop="dateModified" content="2024-12-09">'
            '</span><span itemprop="datePublished" content="2024-12-05T08:00:00+01:00">'
            "5.12.2024</span>" + PARAS + "</article>")
    a = extract_article(page(body))
    assert (a.published, a.modified) == ("2024-12-05T08:00:00+01:00", "2024-12-09")


def test_a_time_of_a_change_is_not_the_publication_date() -> None:
    body = ('<article><h1>A speech</h1><time class="updated" datetime="2024-12-09">9 Dec'
            "</time>" + PARAS + "</article>")
    assert extract_article(page(body)).published is None


def test_a_web_pages_json_ld_date_is_not_a_publication_date() -> None:
    # SEO plugins write a WebPage datePublished on every page, static ones too.
    head = ('<script type="application/ld+json">{"@type": "WebPage", "datePublished": '
            '"2019-01-10T10:00:00+01:00", "dateModified": "2020-02-03"}</script>')
    a = extract_article(page(f"<article><h1>About</h1>{PARAS}</article>", head))
    assert (a.published, a.modified) == (None, "2020-02-03")


def test_no_trustworthy_date_stays_empty() -> None:
    a = extract_article(page(f"<article><h1>A speech</h1>{PARAS}</article>"))
    assert a.published is None and a.modified is None


def test_an_xhtml_page_with_an_xml_declaration_is_read() -> None:
    # lxml refused the decoded text of such a page, and the whole page was lost.
    xhtml = ('<?xml version="1.0" encoding="iso-8859-1"?>\n' + page(
        '<article><h1>A speech</h1><p class="date">5. Dezember 2024</p>' + PARAS +
        "</article>")).encode("iso-8859-1")
    a = extract_article(xhtml)
    assert not a.problems and a.title == "A speech" and a.published == "2024-12-05"
