"""Crawl scope: which discovered URLs are fetched, which are followed, which are only logged.

Order of decisions: trap guards (the URL's own shape, and sitemaps nested deeper than
``MAX_SITEMAP_NESTING``), ``--exclude``, ``--include``, the scope rule (the seeds'
hosts, their domains, or the seeds' URL prefixes), the depth limit (link hops only),
then the site profile (capture/profiles.py), which leaves out a CMS's known noise but
never a page requisite.
A URL outside the scope is still fetched when it is a page requisite of an in-scope page
(an image or a stylesheet on a CDN), but nothing found in it is followed except further
requisites (a font in that stylesheet). A seed that redirects to another host (http to
https, or to www.) brings that host into scope.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from ..config import CrawlConfig
from ..web.urls import TrapLimits, host_of, registered_domain, trap_reason
from .profiles import Profile, Rule, profile_for

__all__ = ["Scope", "Decision", "PROFILE_REASON", "link_depth", "sitemap_nesting",
           "MAX_SITEMAP_NESTING"]

# Hops that count towards --max-depth: links and URLs listed in sitemaps or feeds.
_DEPTH_HOPS = frozenset("LS")
_MAX_OFFSITE_EMBEDS = 2
# Sitemaps in a row (hop X): a sitemap (1), the sitemaps a sitemap index lists (2). The
# protocol allows no index inside an index; one more level is tolerated, for generators
# that nest anyway, and nothing deeper: a sitemap index that lists itself under new
# names would otherwise be fetched for ever, since X hops are not link hops.
MAX_SITEMAP_NESTING = 3


def link_depth(hops: str) -> int:
    return sum(1 for h in hops if h in _DEPTH_HOPS)


def sitemap_nesting(hops: str) -> int:
    """How many sitemaps (or feeds) in a row led to a URL: its trailing X hops."""
    return len(hops) - len(hops.rstrip("X"))


@dataclass(frozen=True)
class Decision:
    fetch: bool
    follow: bool  # extract and follow links (not only requisites)
    reason: str = ""  # why not fetched: out-of-scope, excluded, max-depth, trap:...,
    # profile:RULE


PROFILE_REASON = "profile:"


class Scope:
    def __init__(self, config: CrawlConfig) -> None:
        self.config = config
        self.profile: Profile | None = profile_for(config.profile, config)
        self.mode = config.scope
        self.max_depth = config.max_depth
        self.include = [re.compile(p) for p in config.include]
        self.exclude = [re.compile(p) for p in config.exclude]
        self.traps = TrapLimits(
            max_url_length=config.max_url_length,
            max_path_depth=config.max_path_depth,
            max_repeated_segments=config.max_repeated_segments,
        )
        self.hosts: set[str] = set()
        self.domains: set[str] = set()
        self.prefixes: list[str] = []
        for seed in config.seeds:
            self.add_seed(seed)

    def add_seed(self, url: str) -> None:
        host = host_of(url)
        self.hosts.add(host)
        self.domains.add(registered_domain(host))
        parts = urlsplit(url)
        path = parts.path or "/"
        prefix_path = path[: path.rfind("/") + 1]
        self.prefixes.append(f"{parts.scheme}://{parts.netloc.lower()}{prefix_path}")

    @property
    def detecting(self) -> bool:
        """True while ``profile = "auto"`` has not yet chosen a profile (or none)."""
        return self.config.profile == "auto" and self._auto is None

    _auto: str | None = None

    def use_profile(self, name: str) -> None:
        """The profile chosen by detection (or "none"), from now on."""
        self._auto = name
        if self.config.profile == "auto":
            self.profile = profile_for(name, self.config)

    def profile_rule(self, url: str, hops: str) -> Rule | None:
        """The profile rule that leaves ``url`` out; never for a seed or a requisite."""
        if self.profile is None or not hops or hops.endswith("E"):
            return None
        return self.profile.match(url)

    def in_scope(self, url: str) -> bool:
        if any(p.search(url) for p in self.include):
            return True
        host = host_of(url)
        if self.mode == "host":
            return host in self.hosts
        if self.mode == "domain":
            return any(host == d or host.endswith("." + d) for d in self.domains)
        return any(url.startswith(p) for p in self.prefixes)

    def decide(self, url: str, hops: str) -> Decision:
        trap = trap_reason(url, self.traps)
        if trap:
            return Decision(False, False, f"trap:{trap}")
        if sitemap_nesting(hops) > MAX_SITEMAP_NESTING:
            return Decision(False, False, "trap:sitemap-nesting")
        if any(p.search(url) for p in self.exclude):
            return Decision(False, False, "excluded")
        if self.in_scope(url):
            if self.max_depth is not None and link_depth(hops) > self.max_depth:
                return Decision(False, False, "max-depth")
            rule = self.profile_rule(url, hops)
            if rule is not None:
                return Decision(False, False, PROFILE_REASON + rule.name)
            return Decision(True, True)
        trailing = len(hops) - len(hops.rstrip("ER"))
        if hops.rstrip("R").endswith("E") and trailing <= _MAX_OFFSITE_EMBEDS + 1:
            return Decision(True, False)
        return Decision(False, False, "out-of-scope")
