"""Site profiles: the known noise of a CMS (WordPress, Drupal, NationBuilder), left out of a crawl.

A profile is a tuple of named rules, each a regular expression searched in a URL's path
and query, with the reason the URL is noise (docs/profiles.md lists them all). ``detect``
tells the CMS that made a page from its headers, its ``<head>`` and the URLs it links
to; with ``profile = "auto"`` the crawl uses the first profile detected. A profile only
ever leaves URLs out: the seeds and page requisites (hop ``E``: the theme's CSS,
scripts, fonts and images, under ``wp-content/`` and ``wp-includes/`` or wherever) are
never matched, and robots.txt and the scope rules are applied before it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from urllib.parse import urlsplit

from ..config import PROFILE_NAMES, CrawlConfig
from ..errors import ConfigError

__all__ = ["Rule", "Profile", "Detection", "PROFILES", "RULE_NAMES", "DETECT_PAGES",
           "profile_for", "check_profile_settings", "detect"]

# With profile = "auto", the generator is looked for in this many pages; then the crawl
# goes on without a profile, and says so in its log.
DETECT_PAGES = 5


@dataclass(frozen=True)
class Rule:
    """One kind of CMS noise: ``pattern`` is searched in the URL's path and query (in the
    whole URL for a ``profile-exclude`` pattern, as for ``exclude``)."""

    name: str
    pattern: str
    reason: str
    whole_url: bool = False

    def matches(self, url: str, target: str) -> bool:
        return re.search(self.pattern, url if self.whole_url else target) is not None


@dataclass(frozen=True)
class Profile:
    name: str
    rules: tuple[Rule, ...]

    def match(self, url: str) -> Rule | None:
        """The first rule that ``url`` matches, or None."""
        parts = urlsplit(url)
        target = parts.path + ("?" + parts.query if parts.query else "")
        return next((r for r in self.rules if r.matches(url, target)), None)


_FEED_TYPES = r"(?:(?:rss2?|atom|rdf|rss-http)/)?"

PROFILES: dict[str, tuple[Rule, ...]] = {
    "wordpress": (
        Rule("wp-json", r"^/(?:[^?]*/)?wp-json(?:/|$)|[?&]rest_route=",
             "the REST API (JSON of every post, page, term and user, linked from every page "
             "as rel=alternate) and oEmbed answers (whose data-secret is random, so each "
             "recrawl stores them again); programs read them, replay does not"),
        Rule("replytocom", r"[?&]replytocom=",
             "a comment's Reply link without JavaScript: a full copy of the post per comment"),
        Rule("comment-feeds",
             r"^/(?!(?:category|tag|author)/)[^?]+/feed/" + _FEED_TYPES + r"$"
             r"|[?&]feed=comments-",
             "comment feeds: the site's (/comments/feed/) and one per post (/POST/feed/); "
             "the main feed and the category, tag and author feeds are kept"),
        Rule("xmlrpc", r"/xmlrpc\.php",
             "the XML-RPC endpoint for remote publishing, linked as EditURI (?rsd)"),
        Rule("wp-login", r"/wp-login\.php",
             "the login, registration and lost-password forms, one URL per page they "
             "return to (?redirect_to=)"),
        Rule("wp-admin", r"/wp-admin(?:[/?]|$)",
             "the dashboard (a login redirect) and admin-ajax.php, which answers a GET "
             "with 0 or 400"),
        Rule("share", r"[?&]share=",
             "Jetpack sharing buttons: each redirects to a social network or a mail form"),
        Rule("print", r"[?&](?:print|printpage)=|/print/?$",
             "print-friendly copies of a page made by print plugins"),
        Rule("wlwmanifest", r"/wlwmanifest\.xml$",
             "the Windows Live Writer manifest linked from every page (until WordPress 6.3)"),
    ),
    "drupal": (
        Rule("user-pages", r"/user/(?:login|register|password|logout)(?:[/?]|$)|^/user/?(?:\?|$)"
             r"|[?&]q=user(?:/|&|$)",
             "the login, registration and password forms"),
        Rule("node-edit", r"/node/(?:\d+/(?:edit|delete|revisions)|add)(?:[/?]|$)",
             "the edit, delete and revision forms of content, and the add-content form"),
        Rule("destination", r"[?&]destination=",
             "the same form again, once for every page that links to it (?destination=)"),
        Rule("admin", r"^/(?:[a-z]{2}(?:-[a-z]+)?/)?admin(?:[/?]|$)|[?&]q=admin",
             "the administration pages (a login form for a visitor)"),
        Rule("search", r"^/(?:[a-z]{2}(?:-[a-z]+)?/)?search(?:/|\?|$)",
             "search results: endless and made of pages the crawl finds anyway"),
        Rule("filter-tips", r"/filter/tips(?:[/?]|$)",
             "the text-format help page linked under every comment form"),
        Rule("comment-reply", r"/comment/reply/",
             "a comment's reply form: the page again with a form"),
    ),
    "nationbuilder": (
        Rule("login", r"^/(?:login|logout)(?:/|\?|$)",
             "the supporter login and logout pages"),
        Rule("users", r"^/users/",
             "supporter accounts: sign-in, password reset and confirmation forms"),
        Rule("recruiter", r"[?&]recruiter_id=",
             "a page again under a supporter's personal tracking link"),
        Rule("donate-forms", r"^/donate[^?]*\?",
             "the donation form again with a preset amount or tracking code"),
        Rule("forms", r"^/forms/",
             "the endpoints NationBuilder's forms post to (signups, donations, RSVPs)"),
    ),
}
assert tuple(PROFILES) == PROFILE_NAMES

RULE_NAMES = frozenset(r.name for rules in PROFILES.values() for r in rules)


def check_profile_settings(config: CrawlConfig) -> None:
    """A ConfigError for a ``profile-keep`` name that is no profile's rule."""
    for name in config.profile_keep:
        if name not in RULE_NAMES:
            raise ConfigError(f"profile-keep: {name!r} is not the name of a profile rule "
                              f"({', '.join(sorted(RULE_NAMES))}; docs/profiles.md)",
                              key="profile-keep")


def profile_for(name: str, config: CrawlConfig) -> Profile | None:
    """The profile ``name`` with the collection's overrides: the rules named in
    ``profile-keep`` left out, ``profile-exclude`` patterns added (rule ``custom``)."""
    if name not in PROFILES:
        return None
    rules = [r for r in PROFILES[name] if r.name not in config.profile_keep]
    rules += [Rule("custom", p, "profile-exclude in preserve.toml", whole_url=True)
              for p in config.profile_exclude]
    return Profile(name, tuple(rules))


@dataclass(frozen=True)
class Detection:
    """What made a page: a profile name, and the evidence, as the crawl log says it."""

    profile: str
    evidence: str


_HEAD_LIMIT = 65536
_META = re.compile(rb"<meta\b[^>]*>", re.I)
_NAME_GENERATOR = re.compile(rb"""\bname\s*=\s*["']?generator\b""", re.I)
_CONTENT = re.compile(rb"""\bcontent\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+))""", re.I)
_API_LINK = re.compile(rb"""rel\s*=\s*["']https://api\.w\.org/["']""", re.I)
_DRUPAL_SETTINGS = re.compile(rb"data-drupal-selector|drupal-settings-json|Drupal\.settings")
_NB_HOSTS = ("nationbuilder.com", "d3n8a8pro7vhmx.cloudfront.net")


def _generator(head: bytes) -> str | None:
    for tag in _META.finditer(head):
        if _NAME_GENERATOR.search(tag.group()):
            m = _CONTENT.search(tag.group())
            if m:
                value = next(g for g in m.groups() if g is not None)
                return value.decode("utf-8", "replace").strip()
    return None


def _by_generator(text: str) -> str | None:
    lowered = text.lower()
    for name, word in (("wordpress", "wordpress"), ("drupal", "drupal"),
                       ("nationbuilder", "nationbuilder")):
        if lowered.startswith(word) or f" {word}" in lowered:
            return name
    return None


def detect(url: str, header: Callable[[str], str | None], body: bytes,
           links: Iterable[tuple[str, str]]) -> Detection | None:
    """The CMS that made the HTML page ``url``, from its headers, ``<head>`` and links."""
    head = body[:_HEAD_LIMIT]
    generator = _generator(head)
    if generator:
        found = _by_generator(generator)
        if found:
            return Detection(found, f'meta generator "{generator}"')
    x_generator = header("x-generator") or ""
    found = _by_generator(x_generator)
    if found:
        return Detection(found, f"X-Generator: {x_generator}")
    link_header = header("link") or ""
    if "https://api.w.org/" in link_header:
        return Detection("wordpress", 'Link header rel="https://api.w.org/"')
    if _API_LINK.search(head):
        return Detection("wordpress", '<link rel="https://api.w.org/">')
    if header("x-drupal-cache") is not None or header("x-drupal-dynamic-cache") is not None:
        return Detection("drupal", "X-Drupal-Cache header")
    host = urlsplit(url).hostname or ""
    for link, hop in links:
        if hop != "E":  # the theme's own requisites, not what a post happens to link to
            continue
        parts = urlsplit(link)
        other = parts.hostname or ""
        if other == host and ("/wp-content/" in parts.path or "/wp-includes/" in parts.path):
            return Detection("wordpress", f"requisite {parts.path}")
        if other == host and ("/sites/default/files/" in parts.path
                              or parts.path.endswith("/drupal.js")):
            return Detection("drupal", f"requisite {parts.path}")
        if any(other == h or other.endswith("." + h) for h in _NB_HOSTS):
            return Detection("nationbuilder", f"requisites from {other}")
    if _DRUPAL_SETTINGS.search(body[:_HEAD_LIMIT * 4]):
        return Detection("drupal", "Drupal settings in the page")
    return None
