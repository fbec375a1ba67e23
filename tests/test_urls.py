"""URL canonicalisation, SURT keys, host keys and trap guards (preserve.web.urls)."""

from __future__ import annotations

import re
import string

import pytest
import surt
from hypothesis import example, given
from hypothesis import strategies as st

from preserve.web.urls import (
    TrapLimits,
    canonicalize,
    host_key,
    host_of,
    is_http_url,
    registered_domain,
    surt_key,
    trap_reason,
)


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("HTTP://Example.COM/", "http://example.com/"),
        ("http://example.com", "http://example.com/"),
        ("http://example.com:80/a", "http://example.com/a"),
        ("https://example.com:443/a", "https://example.com/a"),
        ("https://example.com:80/a", "https://example.com:80/a"),
        ("http://example.com:8080/a", "http://example.com:8080/a"),
        ("http://example.com:/a", "http://example.com/a"),
        ("http://example.com/a#frag", "http://example.com/a"),
        ("http://example.com/a?b=1#frag", "http://example.com/a?b=1"),
        ("http://example.com/?", "http://example.com/"),
        # RFC 3986 5.4 dot-segment examples, on an absolute path
        ("http://a/b/c/./../../g", "http://a/g"),
        ("http://a/mid/content=5/../6", "http://a/mid/6"),
        ("http://a/../a", "http://a/a"),
        ("http://a/..", "http://a/"),
        ("http://a/.", "http://a/"),
        ("http://a/b/..", "http://a/"),
        ("http://a/b/.", "http://a/b/"),
        ("http://a/b/c/..", "http://a/b/"),
        ("http://a/b/../../../c", "http://a/c"),
        ("http://a/b//../c", "http://a/b/c"),
        ("http://a/b/%2E%2e/c", "http://a/c"),
        ("http://a/b/.hidden/..x", "http://a/b/.hidden/..x"),
        # percent-encoding: upper-case hex, unreserved decoded, reserved kept
        ("http://a/%7euser/%7Efoo", "http://a/~user/~foo"),
        ("http://a/%41%2d%5F", "http://a/A-_"),
        ("http://a/x%2fy%3a", "http://a/x%2Fy%3A"),
        ("http://a/100%", "http://a/100%25"),
        ("http://a/%zz", "http://a/%25zz"),
        ("http://a/?q=%e2%82%ac", "http://a/?q=%E2%82%AC"),
        # spaces and non-ASCII become UTF-8 percent-encoding
        ("http://a/a b", "http://a/a%20b"),
        ("http://a/caf\u00e9?q=\u20ac 1", "http://a/caf%C3%A9?q=%E2%82%AC%201"),
        # the query keeps its order
        ("http://a/?b=2&a=1&b=1", "http://a/?b=2&a=1&b=1"),
        ("http://a/?a=1&&a=1", "http://a/?a=1&&a=1"),
        # hosts: IDNA, IPv4, IPv6, user info
        ("http://B\u00fccher.example/", "http://xn--bcher-kva.example/"),
        ("http://\u0444.\u0440\u0444/", "http://xn--t1a.xn--p1ai/"),
        ("http://127.0.0.1:8000/x", "http://127.0.0.1:8000/x"),
        ("http://[::1]:80/", "http://[::1]/"),
        ("http://[2001:DB8::1]:8080/", "http://[2001:db8::1]:8080/"),
        ("http://User:Pw@Example.com/", "http://User:Pw@example.com/"),
        # surrounding whitespace, tabs and newlines are dropped, as browsers do
        ("  http://a/b\n ", "http://a/b"),
        ("http://a/b\tc", "http://a/bc"),
    ],
)
def test_canonicalize(url: str, expected: str) -> None:
    assert canonicalize(url) == expected
    assert canonicalize(expected) == expected


@pytest.mark.parametrize(
    ("url", "fragment"),
    [
        ("ftp://example.com/", "not an http(s) URL"),
        ("mailto:someone@example.com", "not an http(s) URL"),
        ("javascript:alert(1)", "not an http(s) URL"),
        ("/relative/path", "not an http(s) URL"),
        ("", "not an http(s) URL"),
        ("http:///path", "no host"),
        ("http://", "no host"),
        ("http://example.com:99999/", "invalid port"),
        ("http://example.com:port/", "invalid port"),
        ("http://exa mple.com/", "invalid host"),
        ("http://exa%2Fmple.com/", "invalid host"),
    ],
)
def test_canonicalize_rejects(url: str, fragment: str) -> None:
    with pytest.raises(ValueError, match=re.escape(fragment)):
        canonicalize(url)


_text = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",)), max_size=40
)


@given(
    scheme=st.sampled_from(["http", "https", "HTTP", "hTTps"]),
    host=st.sampled_from(["example.com", "EXAMPLE.com", "b\u00fccher.de", "127.0.0.1",
                          "[::1]", "a-b.c_d.example"]),
    port=st.sampled_from(["", ":80", ":443", ":8080"]),
    path=_text,
    query=_text,
)
@example(scheme="http", host="example.com", port="", path="%2e%2E/%", query="%7e")
@example(scheme="http", host="example.com", port="", path="/a/./../..//b/.", query="#x")
def test_canonicalize_is_idempotent(scheme: str, host: str, port: str, path: str,
                                    query: str) -> None:
    url = f"{scheme}://{host}{port}/{path}?{query}"
    try:
        once = canonicalize(url)
    except ValueError:
        return  # the only exception allowed (e.g. a "/" or "?" in path text making a bad URL)
    assert canonicalize(once) == once
    assert once.isascii()
    assert " " not in once and "#" not in once
    assert once.startswith(("http://", "https://"))
    assert is_http_url(once)


@pytest.mark.slow
@given(st.text(max_size=80))
def test_canonicalize_only_raises_value_error(text: str) -> None:
    for url in (text, "http://" + text, "https://example.com/" + text):
        try:
            canonicalize(url)
        except ValueError:
            pass


@given(path=st.text(alphabet=string.ascii_letters + "/.", max_size=30))
def test_dot_segments_never_escape_the_root(path: str) -> None:
    result = canonicalize("http://a/" + path)
    segments = result[len("http://a") :].split("/")
    assert "." not in segments and ".." not in segments


@pytest.mark.parametrize(
    "url",
    [
        "http://www.example.com/a/b?z=1&a=2",
        "https://Example.com:443/",
        "http://example.com:8080/x#y",
        "http://b\u00fccher.de/",
        "http://example.com/a%20b",
        "dns:example.com",
        "urn:uuid:1234",
        "not a url at all",
        "",
    ],
)
def test_surt_key_matches_surt_package_defaults(url: str) -> None:
    try:
        expected = surt.surt(url)
    except Exception:
        expected = url
    assert surt_key(url) == expected


def test_surt_key_examples() -> None:
    assert surt_key("http://www.Example.com/a/b?z=1&a=2") == "com,example)/a/b?a=2&z=1"
    assert surt_key("https://example.com:8443/") == "com,example:8443)/"


@pytest.mark.parametrize(
    ("url", "host", "key"),
    [
        ("http://Example.com/a", "example.com", "example.com:80"),
        ("https://example.com/a", "example.com", "example.com:443"),
        ("http://example.com:80/", "example.com", "example.com:80"),
        ("https://example.com:8443/", "example.com", "example.com:8443"),
        ("http://b\u00fccher.de/", "xn--bcher-kva.de", "xn--bcher-kva.de:80"),
        ("http://[::1]:8080/", "::1", "[::1]:8080"),
        ("http://u:p@127.0.0.1/", "127.0.0.1", "127.0.0.1:80"),
    ],
)
def test_host_of_and_host_key(url: str, host: str, key: str) -> None:
    assert host_of(url) == host
    assert host_key(url) == key


def test_host_of_without_host() -> None:
    assert host_of("mailto:x@example.com") == ""
    assert host_of("/relative") == ""


def test_host_key_rejects() -> None:
    with pytest.raises(ValueError):
        host_key("ftp://example.com/")
    with pytest.raises(ValueError):
        host_key("http:///x")


@pytest.mark.parametrize(
    ("host", "domain"),
    [
        ("www.example.com", "example.com"),
        ("WWW.Example.com", "example.com"),
        ("example.com", "example.com"),
        ("blog.example.com", "blog.example.com"),  # no public suffix list: kept as is
        ("www.example.co.uk", "example.co.uk"),
        ("www", "www"),
        ("www2.example.com", "www2.example.com"),
    ],
)
def test_registered_domain(host: str, domain: str) -> None:
    assert registered_domain(host) == domain


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("http://a/", None),
        ("http://a/2020/01/01/post", None),
        ("http://a/x/x/x/", None),
        ("http://a/" + "x" * 2100, "url-too-long"),
        ("http://a/" + "/".join(f"d{i}" for i in range(33)), "path-too-deep"),
        ("http://a/" + "/".join(f"d{i}" for i in range(32)), None),
        ("http://a/x/x/x/x", "repeated-segment"),
        ("http://a/a/b/a/b/a/b/a/b/", "repeated-segment"),
        ("http://a/cal/2020/cal/2021/cal/2022/cal/2023", "repeated-segment"),
        ("http://a/p?x=/x/x/x/x", None),  # only the path counts
    ],
)
def test_trap_reason(url: str, reason: str | None) -> None:
    assert trap_reason(url, TrapLimits()) == reason


def test_trap_limits_are_configurable() -> None:
    limits = TrapLimits(max_url_length=20, max_path_depth=2, max_repeated_segments=1)
    assert trap_reason("http://a/" + "x" * 20, limits) == "url-too-long"
    assert trap_reason("http://a/b/c/d", limits) == "path-too-deep"
    assert trap_reason("http://a/b/b", limits) == "repeated-segment"
    assert trap_reason("http://a/b/c", limits) is None


@pytest.mark.parametrize(
    ("url", "ok"),
    [
        ("http://a/", True),
        ("HTTPS://a.example/x", True),
        ("ftp://a/", False),
        ("http:///x", False),
        ("mailto:a@b", False),
        ("http://[::1/", False),
        ("", False),
    ],
)
def test_is_http_url(url: str, ok: bool) -> None:
    assert is_http_url(url) is ok
