"""Link extraction: the fixture corpus in fixtures/html, then each rule on its own."""

from __future__ import annotations

import json
import random
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urljoin

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from preserve.capture.links import (
    MAX_LINKS,
    LinkResolver,
    Outlinks,
    absolute_url,
    extract,
    extract_css,
    extract_html,
    refresh_target,
    srcset_urls,
)

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "html"
EXPECTATIONS = sorted(FIXTURES.glob("*.json"))


def _document(expectation: Path) -> Path:
    (document,) = [p for p in FIXTURES.glob(expectation.stem + ".*") if p.suffix != ".json"]
    return document


def test_corpus_is_complete() -> None:
    # Every input has its expectation and the other way round, so no fixture is skipped.
    documents = {p.stem for p in FIXTURES.iterdir() if p.suffix != ".json"}
    assert documents == {p.stem for p in EXPECTATIONS}
    assert len(documents) >= 20


@pytest.mark.parametrize("expectation", EXPECTATIONS, ids=lambda p: p.stem)
def test_fixture(expectation: Path) -> None:
    expected = json.loads(expectation.read_text(encoding="utf-8"))
    body = _document(expectation).read_bytes()
    found = extract(body, expected["url"], expected["content_type"])
    assert found == Outlinks(
        links=tuple(expected["links"]),
        embeds=tuple(expected["embeds"]),
        feeds=tuple(expected["feeds"]),
        refresh=expected["refresh"],
        title=expected["title"],
        base=expected["base"],
    )


@pytest.mark.parametrize(
    ("content", "target"),
    [
        ("0; url=/x", "/x"),
        ("0;URL=/x", "/x"),
        ("0; Url = /x", "/x"),
        ("0; url='/x'", "/x"),
        ('0; url="/x"', "/x"),
        ("0; url='/x' trailing", "/x"),
        ("0; url='/unterminated", "/unterminated"),
        ("0, /comma", "/comma"),
        ("0 /space", "/space"),
        ("5;/no-url-keyword", "/no-url-keyword"),
        ("1.5; url=/fraction", "/fraction"),
        ("  3  ;  url=  /padded  ", "/padded"),
        ("0; url=/with space", "/with space"),
        ("0", None),
        ("10;", None),
        ("0; url=", None),
        ("0; url=''", None),
        ("url=/no-time", None),
        ("", None),
        ("abc", None),
    ],
)
def test_refresh_target(content: str, target: str | None) -> None:
    assert refresh_target(content) == target


@pytest.mark.parametrize(
    ("srcset", "urls"),
    [
        ("a.jpg", ["a.jpg"]),
        ("a.jpg 1x", ["a.jpg"]),
        ("a.jpg 1x, b.jpg 2x", ["a.jpg", "b.jpg"]),
        ("a.jpg 320w,b.jpg 640w", ["a.jpg", "b.jpg"]),
        ("  a.jpg  100w ,  b.jpg  200w  ", ["a.jpg", "b.jpg"]),
        ("a.jpg, b.jpg", ["a.jpg", "b.jpg"]),
        ("a.jpg,b.jpg", ["a.jpg,b.jpg"]),  # no space: one URL, as browsers read it
        ("/r?w=1,h=2 1x, /r?w=2,h=4 2x", ["/r?w=1,h=2", "/r?w=2,h=4"]),
        ("a.jpg (x, y) 1x, b.jpg", ["a.jpg", "b.jpg"]),
        ("a.jpg,,, b.jpg", ["a.jpg", "b.jpg"]),
        ("", []),
        (" , , ", []),
    ],
)
def test_srcset_urls(srcset: str, urls: list[str]) -> None:
    assert srcset_urls(srcset) == urls


@pytest.mark.parametrize(
    ("raw", "url"),
    [
        ("p.html", "http://example.com/a/p.html"),
        ("/p.html", "http://example.com/p.html"),
        ("//other.example/p", "http://other.example/p"),
        ("../p.html", "http://example.com/p.html"),
        ("./p.html", "http://example.com/a/p.html"),
        ("?q=1", "http://example.com/a/b.html?q=1"),
        ("p.html#frag", "http://example.com/a/p.html"),
        ("HTTPS://Example.COM/X", "HTTPS://Example.COM/X"),
        ("  \t p.html \n", "http://example.com/a/p.html"),
        ("p\n.ht\tml", "http://example.com/a/p.html"),
        ("\x00\x1fp.html\x7f", "http://example.com/a/p.html\x7f"),
        ("#frag", None),
        ("#", None),
        ("", None),
        ("   ", None),
        ("javascript:void(0)", None),
        (" JavaScript:alert(1)", None),
        ("java\nscript:alert(1)", None),
        ("mailto:a@example.com", None),
        ("tel:+1555", None),
        ("data:text/plain,x", None),
        ("about:blank", None),
        ("ftp://example.com/f", None),
        ("http://", None),
        ("http:///path", None),
        ("http://[::1", None),
    ],
)
def test_absolute_url(raw: str, url: str | None) -> None:
    assert absolute_url(raw, "http://example.com/a/b.html") == url


@pytest.mark.slow
@settings(max_examples=2000, deadline=None)
@given(
    base=st.sampled_from(
        [
            "http://example.com/a/b/c.html",
            "https://example.com",
            "http://h:8080/dir/",
            "http://u:p@h/x?y=1",
            "https://h/a/b?q#f",
        ]
    ),
    ref=st.text(alphabet="ab/.?:#=%hs tp\\@-", max_size=24),
)
def test_resolver_agrees_with_urljoin(base: str, ref: str) -> None:
    # The string-concatenation fast path must give urljoin's answer. Python's urljoin
    # differs from browsers on ";" params and on "//" inside relative paths, which the
    # fast path resolves as browsers do; those shapes are left out of the comparison.
    ref = ref.strip()
    if "//" in ref[1:]:
        return
    expected: str | None
    try:
        expected = urljoin(base, ref)
    except ValueError:
        expected = None
    if (
        not ref
        or ref[0] == "#"
        or expected is None
        or expected.partition("://")[0].lower() not in ("http", "https")
        or expected.partition("://")[2][:1] in ("", "/", "?", "#")
    ):
        expected = None
    else:
        expected = expected.partition("#")[0]
    found = LinkResolver(base).resolve(ref)
    # urljoin drops an empty query ("p?" -> "p"); the browser keeps it.
    assert found == expected or (found is not None and found.rstrip("?") == expected)


@pytest.mark.parametrize(
    ("css", "embeds"),
    [
        ("a{b:url(x.png)}", ["x.png"]),
        ("a{b:url('x.png')}", ["x.png"]),
        ('a{b:url("x.png")}', ["x.png"]),
        ("a{b:url(  x.png  )}", ["x.png"]),
        ('a{b:url( " x.png " )}', ["x.png"]),
        ("a{b:URL(x.png)}", ["x.png"]),
        ("a{b:url(x\\ y.png)}", ["x y.png"]),
        ("a{b:url(x\\).png)}", ["x).png"]),
        ('a{content:"url(in-string.png)"}', []),
        ('a{content:"/*"} b{c:url(after-comment-in-string.png)}', ["after-comment-in-string.png"]),
        ("a{b:url('x\\27 y.png')}", ["x'y.png"]),
        ('@import "a.css";', ["a.css"]),
        ("@import 'a.css' screen;", ["a.css"]),
        ("@import url(a.css);", ["a.css"]),
        ('@import url("a.css") print;', ["a.css"]),
        ("@IMPORT 'a.css';", ["a.css"]),
        ("/* url(no.png) @import 'no.css'; */ a{b:url(yes.png)}", ["yes.png"]),
        ("a{b:url(yes.png)} /* unterminated url(no.png)", ["yes.png"]),
        ("a{b:url(data:image/png;base64,AAAA)}", []),
        ("a{b:url()}", []),
        ("a{b:url(#filter)}", []),
        ('a{b:image-set("1x.png" 1x, "2x.png" 2x)}', ["1x.png", "2x.png"]),
        ('a{b:-webkit-image-set(url(1x.png) 1x, "2x.png" 2x)}', ["1x.png", "2x.png"]),
        ("a{b:url(x.png)} c{d:url(x.png)}", ["x.png"]),
    ],
)
def test_css_forms(css: str, embeds: list[str]) -> None:
    base = "http://example.com/css/"
    found = extract_css(css.encode(), base + "s.css")
    assert found == Outlinks(embeds=tuple(base + e for e in embeds))


def test_css_charset_rule_is_honoured() -> None:
    css = '@charset "iso-8859-1";\na{b:url(caf\xe9.png)}'.encode("latin-1")
    found = extract_css(css, "http://example.com/s.css")
    assert found.embeds == ("http://example.com/caf\xe9.png",)


@pytest.mark.parametrize(
    ("content_type", "kind"),
    [
        ("text/html", "html"),
        ("TEXT/HTML; charset=UTF-8", "html"),
        ("application/xhtml+xml", "html"),
        ("text/css", "css"),
        ("text/css;charset=utf-8", "css"),
        ("text/plain", None),
        ("application/octet-stream", None),
        ("", None),
        (None, None),
    ],
)
def test_extract_dispatches_on_media_type(content_type: str | None, kind: str | None) -> None:
    body = b'<a href="page.html">x</a><style>p{b:url(i.png)}</style>'
    found = extract(body, "http://example.com/", content_type)
    if kind == "html":
        assert found.links == ("http://example.com/page.html",)
    elif kind == "css":
        assert found.embeds == ("http://example.com/i.png",) and found.links == ()
    else:
        assert found == Outlinks()


def test_http_charset_parameter_reaches_the_decoder() -> None:
    body = "<title>\u041f\u0440\u0438\u0432\u0435\u0442</title>".encode("cp1251")
    found = extract(body, "http://example.com/", 'text/html; charset="windows-1251"')
    assert found.title == "\u041f\u0440\u0438\u0432\u0435\u0442"


def test_links_are_capped_per_page() -> None:
    body = "".join(f'<a href="/p{i}">x</a><img src="/i{i}">' for i in range(MAX_LINKS + 500))
    found = extract_html(body.encode(), "http://example.com/")
    assert len(found.links) == MAX_LINKS
    assert len(found.embeds) == MAX_LINKS
    assert found.links[-1] == f"http://example.com/p{MAX_LINKS - 1}"


def test_absurd_nesting_keeps_what_came_before() -> None:
    depth = 100_000
    body = (
        b'<a href="/before">x</a>' + b"<div>" * depth + b'<a href="/deep">x</a>' + b"</div>" * depth
    )
    found = extract_html(body, "http://example.com/")
    # libxml2 stops building the tree at 2048 levels; the link before survives. Nothing
    # past that limit is read, so the work is bounded by it, not by the input's depth.
    assert found.links == ("http://example.com/before",)


def test_nesting_of_a_few_hundred_levels_is_parsed_whole() -> None:
    depth = 1000
    body = b"<div>" * depth + b'<a href="/deep">x</a>' + b"</div>" * depth
    assert extract_html(body, "http://example.com/").links == ("http://example.com/deep",)


@pytest.mark.parametrize("seed", range(20))
def test_binary_junk_gives_nothing_or_valid_urls(seed: int) -> None:
    rng = random.Random(seed)
    junk = rng.randbytes(rng.randrange(1, 20_000))
    found = extract_html(junk, "http://example.com/", rng.choice([None, "utf-8", "latin-1"]))
    for url in found.links + found.embeds:
        assert url.startswith("http://") and "#" not in url


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=2000) | st.text(alphabet='<>a href="=/:#\n\tjsx;,', max_size=400))
def test_arbitrary_input_never_raises(data: bytes | str) -> None:
    body = data.encode() if isinstance(data, str) else data
    found = extract_html(body, "https://example.com/x/")
    for url in found.links + found.embeds + found.feeds:
        assert url.lower().startswith(("http://", "https://")) and "#" not in url
    assert found.refresh is None or found.refresh.startswith("http")


def test_parsing_in_threads_gives_the_same_results() -> None:
    pages = sorted(FIXTURES.glob("*.html"))
    expected = [extract_html(p.read_bytes(), "http://example.com/") for p in pages]
    with ThreadPoolExecutor(max_workers=8) as pool:
        for _ in range(5):
            found = list(
                pool.map(lambda p: extract_html(p.read_bytes(), "http://example.com/"), pages)
            )
            assert found == expected
