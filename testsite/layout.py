"""The WordPress-like page shell shared by every HTML page of the test site.

Header, navigation, the "this site is archived" banner, sidebar and footer are repeated
on every page, as on a real campaign site: boilerplate that a crawler must cope with and
that text extraction must learn to strip.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from html import escape
from urllib.parse import quote

from .model import Article
from .text import Identity

__all__ = ["Shell", "document", "long_date", "CALENDAR_ENTRY"]

CALENDAR_ENTRY = "/calendar/?month=2026-11"

_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August",
           "September", "October", "November", "December")


def long_date(when: datetime) -> str:
    # Not strftime("%B"): month names must not depend on the process locale.
    return f"{when.day} {_MONTHS[when.month - 1]} {when.year}"


def month_name(month: int) -> str:
    return _MONTHS[month - 1]


@dataclass(frozen=True)
class Shell:
    """What every page needs to know about the site around it."""

    ident: Identity
    base: str  # "http://127.0.0.1:PORT/"
    recent: Sequence[Article] = field(default_factory=tuple)
    inline_head: str = ""  # inlined by the theme into every page's head

    def absolute(self, path: str) -> str:
        return self.base.rstrip("/") + path


def _nav(path: str) -> str:
    items = [("/", "Home"), ("/news/", "News"), ("/about/", "About"), ("/contact/", "Contact")]
    links = []
    for href, label in items:
        current = ' class="current-menu-item"' if href == path else ""
        links.append(f'<li{current}><a href="{href}">{label}</a></li>')
    return '<nav class="main-navigation" aria-label="Main"><ul id="menu-main">' + "".join(
        links) + "</ul></nav>"


def _banner(ident: Identity) -> str:
    return (
        '<div class="archive-banner" role="note"><p>This site is archived. '
        f"For {escape(ident.first)}'s work as {escape(ident.later_role)} visit "
        f'<a href="{escape(ident.later_url)}">{escape(ident.later_url)}</a>.</p></div>'
    )


def _sidebar(shell: Shell, page_url: str) -> str:
    recent = "".join(
        f'<li><a href="{a.path}">{escape(a.title)}</a></li>' for a in shell.recent)
    shared = quote(page_url, safe="")
    return f"""<aside id="secondary" class="widget-area" role="complementary">
<section class="widget widget_search"><form role="search" method="get" action="/">
<label>Search for: <input type="search" class="search-field" name="s"></label>
<button type="submit">Search</button></form></section>
<section class="widget widget_newsletter"><h2 class="widget-title">Newsletter</h2>
<p>Get my monthly report from Brussels in your inbox.</p>
<form method="post" action="/newsletter/subscribe/">
<input type="email" name="email" placeholder="Your email address" required>
<button type="submit">Sign up</button></form></section>
<section class="widget widget_recent_entries"><h2 class="widget-title">Recent posts</h2>
<ul>{recent}</ul></section>
<section class="widget widget_events"><h2 class="widget-title">Events</h2>
<p><a href="{CALENDAR_ENTRY}">Surgeries and events calendar</a></p></section>
<section class="widget widget_share"><h2 class="widget-title">Share this page</h2>
<ul class="share-links">
<li><a href="https://twitter.example/intent/tweet?url={shared}" rel="nofollow">Twitter</a></li>
<li><a href="https://facebook.example/sharer.php?u={shared}" rel="nofollow">Facebook</a></li>
<li><a href="mailto:?subject=Shared%20page&amp;body={shared}">Email</a></li>
<li><a href="javascript:window.print()">Print</a></li>
</ul></section>
</aside>"""


def document(
    shell: Shell,
    *,
    path: str,
    title: str,
    main: str,
    head: str = "",
    body_class: str = "page",
    charset: str = "utf-8",
) -> str:
    """A whole HTML page; ``main`` is the page's own content, the rest is boilerplate."""
    ident = shell.ident
    page_url = shell.absolute(path)
    full_title = escape(ident.site_name) if path == "/" else (
        f"{escape(title)} &ndash; {escape(ident.site_name)}")
    return f"""<!DOCTYPE html>
<html lang="en-GB">
<head>
<meta charset="{charset}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{full_title}</title>
<link rel="stylesheet" id="theme-css" href="/static/site.css" type="text/css" media="all">
<link rel="icon" href="/favicon.ico" sizes="any">
<link rel="apple-touch-icon" href="/static/img/apple-touch-icon.png">
<link rel="alternate" type="application/rss+xml" title="{escape(ident.site_name)} &raquo; Feed"
 href="/feed.xml">
<link rel="canonical" href="{escape(page_url)}">
{shell.inline_head}{head}<script src="/static/site.js" defer></script>
</head>
<body class="{body_class}" id="top">
{_banner(ident)}
<div id="page" class="site">
<a class="skip-link screen-reader-text" href="#content">Skip to content</a>
<header id="masthead" class="site-header">
<div class="site-branding"><a href="/" rel="home"><img class="custom-logo"
 src="/static/img/logo.png" width="64" height="64" alt=""></a>
<p class="site-title"><a href="/" rel="home">{escape(ident.site_name)}</a></p>
<p class="site-description">Member of the European Parliament for {escape(ident.region)},
 2014&ndash;2020</p></div>
{_nav(path)}
</header>
<div id="content" class="site-content">
<main id="main" class="site-main">
{main}
</main>
{_sidebar(shell, page_url)}
</div>
<footer id="colophon" class="site-footer">
<p>&copy; 2014&ndash;2020 {escape(ident.name)}. Promoted by the {escape(ident.last)} office,
 12 High Street, {escape(ident.region)}. Printed and hosted by the same.</p>
<ul class="footer-links"><li><a href="/privacy/">Privacy and cookies</a></li>
<li><a href="/contact/">Contact</a></li><li><a href="#top">Back to top</a></li></ul>
</footer>
</div>
</body>
</html>
"""
