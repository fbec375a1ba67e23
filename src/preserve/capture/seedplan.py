"""Seeds from the MEP list: homepage cells cleaned into personal sites, and what needs a
human said as review items.

A cell is split on spaces, commas, semicolons and newlines; each piece is an http(s) URL
(a bare ``www.example.eu`` gets ``https://``) or is rejected. URLs that differ only in
scheme, a leading ``www.`` or a trailing slash are one site (https is kept). Social-media
profiles, European Parliament pages and political group or party pages are flagged, not
crawled: a URL is a party page when its host is a group's or when another MEP of the same
list gives the same host. ``plan_meps`` decides; ``planwrite`` writes the plan directory.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, replace
from urllib.parse import urlsplit

from ..web.urls import canonicalize, host_of, registered_domain
from .meps import Mep

__all__ = ["Url", "Review", "MepSeeds", "SeedPlan", "split_cell", "classify", "plan_meps",
           "SOCIAL_HOSTS", "GROUP_HOSTS", "SHARED_PLATFORMS", "REVIEW_ISSUES"]

# Registered domains (no www.) of social networks and link hubs: a profile there is not a
# site of the MEP's own that a crawl could capture.
SOCIAL_HOSTS = frozenset({
    "facebook.com", "fb.com", "fb.me", "m.facebook.com", "instagram.com", "twitter.com",
    "x.com", "mobile.twitter.com", "linkedin.com", "youtube.com", "youtu.be",
    "m.youtube.com", "tiktok.com", "threads.net", "bsky.app", "t.me", "telegram.me",
    "snapchat.com", "pinterest.com", "flickr.com", "vk.com", "wa.me", "whatsapp.com",
    "linktr.ee", "mastodon.social", "soundcloud.com", "vimeo.com", "spotify.com",
})
# The European Parliament's political groups' sites (terms 8 to 10).
GROUP_HOSTS = frozenset({
    "eppgroup.eu", "socialistsanddemocrats.eu", "reneweuropegroup.eu", "greens-efa.eu",
    "ecrgroup.eu", "left.eu", "guengl.eu", "idgroup.eu", "patriotsforeurope.eu",
    "esn-group.eu", "alde.eu", "efddgroup.eu",
})
# Hosts where many people have pages under one domain: giving the same one is no sign of
# a party page.
SHARED_PLATFORMS = frozenset({"medium.com", "sites.google.com", "about.me", "substack.com",
                              "blogspot.com", "wordpress.com", "wixsite.com", "github.io"})
# Review issues, in the order the review CSV lists them.
REVIEW_ISSUES = {
    "no-identifier": "no MEP identifier in the row: no collection made; fix the row",
    "no-homepage": "no homepage in the list: look for the site elsewhere (or there is none)",
    "social-only": "only social-media profiles: nothing to crawl as a site",
    "party-page": "a political group or party page (or one shared with another MEP), "
                  "not a personal site",
    "ep-page": "a European Parliament page, not a personal site",
    "social-media": "a social-media profile, left out of the seeds",
    "several-sites": "two or more different personal sites: check that each is the MEP's",
    "rejected-url": "not an http(s) URL: left out",
}
_SPLIT = re.compile(r"[\s,;|]+")
_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*):")
_BARE_HOST = re.compile(r"^(?:[A-Za-z0-9-]+\.)+[A-Za-z]{2,}(?:[/:?#]|$)")


@dataclass(frozen=True)
class Url:
    """One URL of a cell: ``kind`` is personal, social, party, ep or rejected."""

    url: str
    kind: str
    written: str  # as the cell had it
    merged: tuple[str, ...] = ()  # the other spellings of the same site


@dataclass(frozen=True)
class Review:
    issue: str
    urls: tuple[str, ...]
    detail: str


@dataclass(frozen=True)
class MepSeeds:
    mep: Mep  # the rows of the MEP merged: groups and countries joined, first start, last end
    terms: tuple[int, ...]
    urls: tuple[Url, ...]
    reviews: tuple[Review, ...]

    @property
    def seeds(self) -> tuple[str, ...]:
        return tuple(u.url for u in self.urls if u.kind == "personal")


@dataclass(frozen=True)
class SeedPlan:
    meps: tuple[MepSeeds, ...]
    term: int | None

    @property
    def reviews(self) -> int:
        return sum(len(m.reviews) for m in self.meps)

    def issue_counts(self) -> Counter[str]:
        return Counter(r.issue for m in self.meps for r in m.reviews)


def split_cell(cell: str) -> list[str]:
    """The URLs written in one cell, in order, without the separators around them."""
    return [p.strip("\"'<>()[]") for p in _SPLIT.split(cell) if p.strip("\"'<>()[]")]


def _site_key(url: str) -> str:
    """What makes two spellings one site: host without www., path without its last slash."""
    parts = urlsplit(url)
    query = f"?{parts.query}" if parts.query else ""
    return f"{registered_domain(parts.hostname or '')}{parts.path.rstrip('/')}{query}"


def _under(domain: str, domains: frozenset[str]) -> bool:
    """``domain`` is one of ``domains`` or a subdomain of one (de-de.facebook.com)."""
    return any(domain == d or domain.endswith("." + d) for d in domains)


def classify(written: str, shared_hosts: frozenset[str] = frozenset()) -> Url:
    """One piece of a cell as a Url: canonical and of its kind, or rejected with why."""
    text = written
    scheme = _SCHEME.match(text)
    if scheme is None and _BARE_HOST.match(text):
        text = "https://" + text
    elif scheme is not None and scheme.group(1).lower() not in ("http", "https"):
        return Url(written, "rejected", written)
    try:
        url = canonicalize(text)
    except ValueError:
        return Url(written, "rejected", written)
    host = host_of(url)
    domain = registered_domain(host)
    if _under(domain, SOCIAL_HOSTS):
        kind = "social"
    elif domain == "europa.eu" or domain.endswith(".europa.eu"):
        kind = "ep"
    elif _under(domain, GROUP_HOSTS) or domain in shared_hosts:
        kind = "party"
    else:
        kind = "personal"
    return Url(url, kind, written)


def _merge(urls: Iterable[Url]) -> list[Url]:
    """One Url per site: http and https, www. and not, with and without a final slash."""
    by_key: dict[str, Url] = {}
    for u in urls:
        if u.kind == "rejected":
            by_key[f"rejected {u.written}"] = u
            continue
        key = _site_key(u.url)
        old = by_key.get(key)
        if old is None:
            by_key[key] = u
            continue
        keep, other = (u, old) if (u.url.startswith("https:")
                                   and not old.url.startswith("https:")) else (old, u)
        merged = tuple(dict.fromkeys((*keep.merged, *other.merged, other.url)))
        by_key[key] = replace(keep, merged=tuple(m for m in merged if m != keep.url))
    return list(by_key.values())


def _shared_hosts(meps: Iterable[Mep]) -> frozenset[str]:
    """Domains that more than one MEP gives: a party's or a group's site, not a personal one."""
    owners: dict[str, set[str]] = {}
    for mep in meps:
        for cell in mep.homepage_cells:
            for piece in split_cell(cell):
                u = classify(piece)
                if u.kind == "personal" and mep.identifier:
                    owners.setdefault(registered_domain(host_of(u.url)), set()).add(
                        mep.identifier)
    return frozenset(d for d, who in owners.items()
                     if len(who) > 1 and not _under(d, SHARED_PLATFORMS))


def _reviews(mep: Mep, urls: list[Url]) -> list[Review]:
    def of(kind: str) -> tuple[str, ...]:
        return tuple(u.url for u in urls if u.kind == kind)

    found = []
    if not mep.identifier:
        found.append(Review("no-identifier", tuple(u.url for u in urls),
                            REVIEW_ISSUES["no-identifier"]))
    personal = of("personal")
    if not urls:
        found.append(Review("no-homepage", (), REVIEW_ISSUES["no-homepage"]))
    elif not personal and of("social") and not of("party") and not of("ep"):
        found.append(Review("social-only", of("social"), REVIEW_ISSUES["social-only"]))
    elif of("social"):
        found.append(Review("social-media", of("social"), REVIEW_ISSUES["social-media"]))
    if of("party"):
        found.append(Review("party-page", of("party"), REVIEW_ISSUES["party-page"]))
    if of("ep"):
        found.append(Review("ep-page", of("ep"), REVIEW_ISSUES["ep-page"]))
    if len({registered_domain(host_of(u)) for u in personal}) > 1:
        found.append(Review("several-sites", personal, REVIEW_ISSUES["several-sites"]))
    if of("rejected"):
        found.append(Review("rejected-url", of("rejected"), REVIEW_ISSUES["rejected-url"]))
    return found


def _joined(values: Iterable[str]) -> str:
    return "; ".join(dict.fromkeys(v for v in values if v))


def _merge_rows(meps: Iterable[Mep]) -> list[tuple[Mep, tuple[int, ...]]]:
    """One Mep per identifier, with the terms it sat in: rows repeated for another term
    or a group change are one person, whose site is one collection."""
    rows: dict[str, list[Mep]] = {}
    for mep in meps:
        # rows without an identifier cannot be told apart: each stays alone
        rows.setdefault(mep.identifier or f"?{mep.where}", []).append(mep)
    merged = []
    for same in rows.values():
        same.sort(key=lambda m: (m.term or 0, m.start))
        last = same[-1]
        ends = [m.end for m in same]  # the last term's end is empty while it runs
        merged.append((replace(
            last, group=_joined(m.group for m in same), country=_joined(m.country for m in same),
            party=_joined(m.party for m in same),
            start=min(filter(None, (m.start for m in same)), default=""),
            end=max(ends) if last.end else "",
            homepage_cells=tuple(c for m in same for c in m.homepage_cells)),
            tuple(sorted({m.term for m in same if m.term is not None}))))
    return merged


def plan_meps(meps: Iterable[Mep], term: int | None = None) -> SeedPlan:
    """Clean every MEP's homepages and say what needs a human.

    With ``term``, MEPs of other terms are left out; rows that name no term (the EP's
    CSVs are one file per term) are taken as of that term.
    """
    chosen = [m if m.term is not None or term is None else replace(m, term=term)
              for m in meps if term is None or m.term in (None, term)]
    people = _merge_rows(chosen)
    shared = _shared_hosts(m for m, _ in people)
    result = []
    for mep, terms in people:
        urls = _merge(classify(p, shared) for cell in mep.homepage_cells
                      for p in split_cell(cell))
        result.append(MepSeeds(mep, terms, tuple(urls), tuple(_reviews(mep, urls))))
    return SeedPlan(tuple(result), term)
