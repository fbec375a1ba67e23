"""A deterministic test website (an archived MEP's site) served on 127.0.0.1 for crawls.

It is the crawler's test target, the demo and the benchmark target: content is generated
from the site's identity and article count only, so every run serves the same bytes
(apart from Date headers and the port in absolute URLs).

    with TestSite(articles=36) as site:
        crawl(site.url)
        assert site.expected_urls() <= captured
"""

from .faults import FAULT_PATHS
from .server import RequestLog, SiteGroup, TestSite, start_sites
from .site import Site

__all__ = ["TestSite", "RequestLog", "SiteGroup", "start_sites", "Site", "FAULT_PATHS"]
