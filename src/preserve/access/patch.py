"""``preserve patch``: a new crawl of the collection that asks again for what was missed.

``plan_patch`` takes what ``find_missed`` lists as missing requisites and failed URLs
(never robots-blocked or out-of-scope ones, nor those the address policy refused) and
checks each against the collection's scope as it is now; ``patch_collection`` runs them
as a crawl of kind "patch" (capture/crawler.py, ``PatchPlan``): numbered, logged and
stored like any crawl (WARCs, index, pages, events, the crawl log), polite like any (the
delay, robots.txt fetched again and obeyed, back-off), resumable after an interruption
with ``preserve patch`` again. A patch follows only the requisites and redirects of what
it fetches, never links or sitemaps.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from ..capture.crawler import Crawler, PatchPlan
from ..capture.fetcher import Fetcher
from ..capture.scope import Scope
from ..capture.session import config_from_dict
from ..capture.summary import CrawlSummary, Progress
from ..collection import Collection
from ..config import CollectionConfig
from ..errors import CollectionError
from ..store.cdxj import read_entries
from ..store.crawlstate import CrawlRecord, FrontierItem
from ..store.crawlstate_sqlite import SqliteCrawlState
from ..web.urls import canonicalize, host_key
from .missed import BLOCKED_ADDRESS, MissedURL, find_missed, is_requisite

__all__ = ["PatchTarget", "Patch", "PatchResult", "plan_patch", "patch_collection"]


@dataclass(frozen=True)
class PatchTarget:
    """A URL to ask for again, and why it was missed (``missed.reason``); ``skipped`` is
    the scope's reason when the scope now leaves it out (it is then not asked for)."""

    missed: MissedURL
    group: str  # "requisites" or "failed"
    skipped: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"group": self.group, "skipped": self.skipped} | self.missed.to_dict()


@dataclass(frozen=True)
class Patch:
    """What a patch would fetch (``targets``) and what the scope now leaves out
    (``skipped``); ``resumes`` the unfinished patch crawl it would finish, if any."""

    targets: list[PatchTarget]
    skipped: list[PatchTarget]
    config: CollectionConfig
    scope_seeds: tuple[str, ...] = ()
    resumes: str | None = None

    def plan(self, held: frozenset[str] = frozenset()) -> PatchPlan:
        items = []
        for t in self.targets:
            m = t.missed
            hops, url = m.hops or "", canonicalize(m.url)  # canonical: checked by the plan
            items.append(FrontierItem(url, host_key(url), hops, m.referrer,
                                      0 if is_requisite(hops) else 1))
        return PatchPlan(tuple(items), self.scope_seeds, held)


@dataclass
class PatchResult:
    """A patch crawl's outcome: the plan, the crawl's summary (None for a dry run or with
    nothing to patch), and which targets are still missed after it."""

    patch: Patch
    summary: CrawlSummary | None = None
    still_missed: list[PatchTarget] = field(default_factory=list)
    dry_run: bool = False

    @property
    def nothing_to_patch(self) -> bool:
        return not self.patch.targets

    @property
    def patched(self) -> int:
        """Targets captured by the patch (0 until it ran)."""
        if self.summary is None:
            return 0
        return len(self.patch.targets) - len(self.still_missed)

    def to_dict(self) -> dict[str, Any]:
        return {
            "crawl": None if self.summary is None else self.summary.crawl,
            "dry_run": self.dry_run,
            "resumed": self.patch.resumes,
            "targets": [t.to_dict() for t in self.patch.targets],
            "skipped": [t.to_dict() for t in self.patch.skipped],
            "patched": self.patched,
            "still_missed": [t.to_dict() for t in self.still_missed],
            "summary": None if self.summary is None else self.summary.to_dict(),
        }


def _registry_view(coll: Collection
                   ) -> tuple[CrawlRecord | None, tuple[str, ...], frozenset[str]]:
    """The unfinished crawl, if any, every scope seed earlier crawls recorded, and the ids
    of the crawls that imported from a web archive."""
    if not coll.state_db.exists():
        return None, (), frozenset()
    state = SqliteCrawlState(coll.state_db)
    try:
        current = state.unfinished()
        seeds: dict[str, None] = {}
        imports = set()
        for crawl in state.registry.all():
            seeds.update(dict.fromkeys(state.scope_seeds(crawl.id)))
            if crawl.kind == "import":
                imports.add(crawl.id)
    finally:
        state.close()
    return current, tuple(seeds), frozenset(imports)


def plan_patch(coll: Collection) -> Patch:
    """What a patch of ``coll`` would fetch now. CollectionLocked while another process
    holds the collection; CollectionError if a crawl (not a patch) is unfinished: it must
    finish first, or its queue would count as missed."""
    with coll.lock(read_only_ok=True):  # not beside a crawl, whose queue is not "missed"
        return _plan(coll)


def _plan(coll: Collection) -> Patch:
    current, scope_seeds, imports = _registry_view(coll)
    config = coll.load_config()
    resumes = None
    if current is not None:
        if current.kind == "import":
            raise CollectionError(f"crawl {current.id} is an unfinished import from a web "
                                  "archive; run the same `preserve import-archive` command "
                                  "again to finish it before a patch", coll.root)
        if current.kind != "patch":
            raise CollectionError(f"crawl {current.id} is unfinished; run `preserve crawl "
                                  f"{coll.root}` to finish it before a patch", coll.root)
        resumes = current.id
        if "user_agent" in current.config:  # the settings the patch started with
            config = CollectionConfig(config.description, config_from_dict(current.config))
    missed = find_missed(coll)
    scope = Scope(config.crawl)
    for url in scope_seeds:
        scope.add_seed(url)
    targets, skipped = [], []
    for group, entries in (("requisites", missed.requisites), ("failed", missed.failed)):
        for m in entries:
            if m.reason == BLOCKED_ADDRESS:
                continue  # the address policy would refuse it again
            if m.crawl_id in imports:
                # The web archive failed to give it: the live site (often gone) is not
                # where to ask; `preserve import-archive` asks the archive again.
                skipped.append(PatchTarget(m, group, "from-archive-import"))
                continue
            try:
                url = canonicalize(m.url)
            except ValueError:
                skipped.append(PatchTarget(m, group, "invalid-url"))
                continue
            decision = scope.decide(url, m.hops or "")
            if not decision.fetch:
                skipped.append(PatchTarget(m, group, decision.reason))
            else:
                targets.append(PatchTarget(m, group))
    return Patch(targets, skipped, config, scope_seeds, resumes)


def held_urls(coll: Collection) -> frozenset[str]:
    """The URLs the collection's index holds a good capture of (status below 400)."""
    held: set[str] = set()
    try:
        entries = read_entries(coll.index_path)
    except FileNotFoundError:
        return frozenset()
    for entry in entries:
        if entry.url and entry.status and entry.status.isdigit() and int(entry.status) < 400:
            held.add(entry.url)
    return frozenset(held)


def patch_collection(
    coll: Collection,
    *,
    dry_run: bool = False,
    fetcher: Fetcher | None = None,
    clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    on_progress: Callable[[Progress], None] | None = None,
    on_start: Callable[[str, bool], None] | None = None,
    stop: threading.Event | None = None,
) -> PatchResult:
    """Plan a patch of ``coll`` and, unless ``dry_run`` or there is nothing to patch, run
    it as a new crawl of kind "patch" (or finish the unfinished one). Library code: never
    prints; ``on_progress`` and ``on_start`` are the crawl's callbacks."""
    patch = plan_patch(coll)
    result = PatchResult(patch, dry_run=dry_run)
    if dry_run or (not patch.targets and patch.resumes is None):
        return result  # (an unfinished patch is finished even with nothing left to fetch)
    crawler = Crawler(coll, patch.config, fetcher=fetcher, clock=clock,
                      on_progress=on_progress, on_start=on_start, stop=stop,
                      patch=patch.plan(held_urls(coll)))
    result.summary = crawler.run()
    after = find_missed(coll)
    left = {m.url for m in (*after.requisites, *after.failed)}
    result.still_missed = [t for t in patch.targets if t.missed.url in left]
    return result
