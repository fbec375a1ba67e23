"""The crawl loop: frontier -> politeness and robots -> fetch (worker threads) -> store.

The main thread owns all state. It claims URLs for hosts that politeness allows and whose
robots.txt is known, hands them to worker threads that fetch and find links, and stores
each result (WARC records, URL state, discovered URLs, WARC checkpoint) in one
transaction of the crawl state (store/crawlstate.py), so a crash at any moment loses
nothing and captures nothing twice. ``CrawlContext`` is everything the loop works with.
"""

from __future__ import annotations

import email.utils
from collections import deque
from collections.abc import Callable, Iterable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urljoin, urlsplit

from ..config import CrawlConfig
from ..store.crawllog import RECHECK_HOP, CrawlLog
from ..store.crawlstate import CrawlState, Frontier, FrontierItem
from ..store.events import EventLog
from ..store.prepared import PreparedBlock
from ..store.warc import PreparedExchange, WarcWriter
from ..web.exchange import Exchange, FetchFailure, FetchResult
from ..web.urls import canonicalize, host_key
from .discover import Discovered, discover
from .fetcher import Fetcher
from .politeness import Politeness
from .profiles import DETECT_PAGES, Detection
from .robots import RobotsGate
from .scope import PROFILE_REASON, Scope
from .summary import CrawlSummary, Progress

__all__ = ["CrawlContext", "CrawlRun"]

_RETRY_STATUSES = frozenset({500, 502, 503, 504, 429})
_BACKOFF_BASE = 1.0
_ROBOTS_REDIRECTS = 5
_HOP_PRIORITY = {"E": 0, "R": 0}


@dataclass
class _Work:
    item: FrontierItem
    results: list[FetchResult]
    found: Discovered | None = None
    robots: bool = False
    # found.links canonicalised (those that can be), by the worker: off the main thread
    links: tuple[tuple[str, str], ...] = ()
    # the records' blocks digested and compressed, and the index facts, by the worker
    prepared: PreparedExchange | None = None
    metadata: PreparedBlock | None = None  # the outlinks record's block, if it has one


@dataclass(frozen=True)
class CrawlContext:
    """What one run of the loop works with; the Crawler builds it. Everything that must
    outlive the run goes through ``state``: the frontier, the robots cache (behind the
    gate) and the writer's digest index are parts of it, opened for this crawl."""

    config: CrawlConfig
    state: CrawlState
    frontier: Frontier
    robots: RobotsGate
    writer: WarcWriter
    events: EventLog
    log: CrawlLog
    clock: Callable[[], datetime]
    monotonic: Callable[[], float]
    stop_requested: Callable[[], bool]
    wait_stop: Callable[[float], bool]
    on_progress: Callable[[Progress], None] | None = None
    # The pages the previous crawl captured (a URL may come more than once), for the
    # recheck at the end of a recrawl; None on a first crawl.
    previous_pages: Callable[[], Iterable[str]] | None = None
    # A patch crawl (access/patch.py): the URLs it asks for again, queued instead of the
    # seeds; it follows only their requisites and redirects, never links or sitemaps.
    patch: tuple[FrontierItem, ...] | None = None
    # A patch crawl: whether the collection already holds a good capture of a URL; the
    # requisites of what it fetches that the collection holds are not fetched again.
    held: Callable[[str], bool] | None = None


class CrawlRun:
    """One run of the loop: seed (a new crawl), then claim, fetch and store until done."""

    def __init__(self, ctx: CrawlContext, summary: CrawlSummary) -> None:
        self.ctx = ctx
        self.cfg = ctx.config
        self.state = ctx.state
        self.summary = summary
        self.crawl_id = summary.crawl
        self.frontier = ctx.frontier
        self.scope = Scope(self.cfg)
        for url in self.state.scope_seeds(self.crawl_id):
            self.scope.add_seed(url)
        if self.cfg.profile != "auto":
            summary.profile = self.cfg.profile
        elif summary.profile:  # detected by an earlier run of this crawl (its log says)
            self.scope.use_profile(summary.profile)
        self.politeness = Politeness(self.cfg.delay)
        self.stop_reason = ""
        self.robots_failures: dict[str, str] = {}  # host: why its robots.txt failed
        self.tls_unverified: set[str] = set()  # hosts already reported in events
        self.rechecked = False  # this run looked for unlinked pages of the previous crawl

    # -- time: politeness runs on the monotonic clock, retry times survive restarts ----

    def _wall(self) -> float:
        return self.ctx.clock().timestamp()

    def _now(self) -> str:
        return self.ctx.clock().astimezone(UTC).isoformat().replace("+00:00", "Z")

    # -- discovery ------------------------------------------------------------

    def seed(self) -> None:
        if self.ctx.patch is not None:
            self.frontier.add(self.ctx.patch)
            return
        items = []
        for seed in self.cfg.seeds:
            url = canonicalize(seed)
            items.append(FrontierItem(url, host_key(url), "", None, 0))
        if self.cfg.sitemaps:
            for root in sorted({_root(i.url) for i in items}):
                url = root + "sitemap.xml"
                items.append(FrontierItem(url, host_key(url), "X", None, 1))
        self.frontier.add(items)

    def found(self, parent: FrontierItem, links: tuple[tuple[str, str], ...],
              follow: bool) -> None:
        """Queue or exclude what ``parent`` links to: ``links`` are canonical URLs and
        their hops (``_canonical``)."""
        items = []
        excluded: list[tuple[str, str, str]] = []  # url, hops, reason
        for url, hop in links:
            if not follow and hop not in "ER":
                continue
            hops = parent.hops + hop
            if hop == "R" and parent.is_seed and not self.scope.in_scope(url):
                self.scope.add_seed(url)  # http -> https, example.org -> www.example.org
                self.state.add_scope_seed(self.crawl_id, url)
            if self.frontier.known(url):
                continue  # most links of a page are its site's navigation, met before
            if self.ctx.held is not None and self.ctx.held(url):
                continue  # a patch: the stylesheet every page shares is in the WARCs
            if url.endswith("/robots.txt") and urlsplit(url).path == "/robots.txt":
                continue  # fetched once per host by the robots gate
            if hop == "R" and len(hops) - len(hops.rstrip("R")) > self.cfg.max_redirects:
                excluded.append((url, hops, "too-many-redirects"))
                continue
            decision = self.scope.decide(url, hops)
            if not decision.fetch and not self._robots_first(url, decision.reason):
                excluded.append((url, hops, decision.reason))
                continue
            items.append(FrontierItem(url, host_key(url), hops, parent.url,
                                      _HOP_PRIORITY.get(hop, 1)))
        if items:
            self.frontier.add(items)
        if excluded:
            # A URL met again by a path that would not fetch it (past max-depth, as an
            # off-site link after it came in as a requisite) was reached another way: it
            # is in the crawl, not skipped.
            seen = self.frontier.seen([url for url, _, _ in excluded])
            for url, hops, reason in excluded:
                if url not in seen:
                    self._exclude(url, hops, parent, reason)

    def _exclude(self, url: str, hops: str, parent: FrontierItem | None, reason: str) -> None:
        if self.frontier.note_excluded(url, reason):
            if reason.startswith(PROFILE_REASON):
                self._log_profile_excluded(url, hops, parent.url if parent else None, reason)
                return
            outcome = "trap" if reason.startswith("trap") else "out-of-scope"
            entry = dict(time=self._now(), url=url, via=parent.url if parent else None,
                         hops=hops, outcome=outcome, error=reason)
            self.summary.count(entry)
            self.ctx.log.write(**entry)

    def recheck(self) -> int:
        """Once the frontier is empty: queue, with hop C, the pages of the previous crawl
        that nothing in this crawl led to (neither queued nor excluded), within the scope
        and up to ``recheck-limit``, so a deleted page is captured as its 404, 410 or
        redirect; note the rest excluded (``recheck-limit``, or the scope's reason).

        Every decision commits in one transaction, and a URL decided once is queued or
        excluded in this crawl, so a resumed crawl does not decide it again and the limit
        holds over every run. Returns how many were queued (robots.txt is checked when
        they are claimed, as for any URL)."""
        source = self.ctx.previous_pages
        if source is None or self.rechecked:
            return 0
        self.rechecked = True
        queued: list[FrontierItem] = []
        limit = self.cfg.recheck_limit
        with self.state.transaction():
            for batch in _batches(source(), 500):
                urls = list(dict.fromkeys(batch))
                decided = self.frontier.seen(urls) | self.frontier.excluded(urls)
                for url in urls:
                    if url in decided or self.frontier.known(url):
                        continue
                    decision = self.scope.decide(url, RECHECK_HOP)
                    if not decision.fetch:
                        self._exclude(url, RECHECK_HOP, None, decision.reason)
                    elif len(queued) < limit:
                        queued.append(FrontierItem(url, host_key(url), RECHECK_HOP, None, 1))
                        self.frontier.add(queued[-1:])
                    else:
                        self._exclude(url, RECHECK_HOP, None, "recheck-limit")
        return len(queued)
    # -- the site profile (capture/profiles.py) -------------------------------------

    def _log_profile_excluded(self, url: str, hops: str, via: str | None,
                              reason: str) -> None:
        rule = reason.removeprefix(PROFILE_REASON)
        entry = dict(time=self._now(), url=url, via=via, hops=hops,
                     outcome="profile-excluded", profile=self.summary.profile, rule=rule)
        self.summary.count(entry)
        self.ctx.log.write(**entry)

    def _robots_first(self, url: str, reason: str) -> bool:
        """A URL the profile leaves out but robots.txt disallows is robots-blocked, as
        it would be without a profile: queued, and refused by the robots check."""
        if not reason.startswith(PROFILE_REASON) or self.cfg.ignore_robots:
            return False
        rules = self.ctx.robots.known(host_key(url))
        return rules is not None and not rules.allowed(url, self.cfg.user_agent)

    def _profile_claimed(self, item: FrontierItem) -> bool:
        """False for a URL queued before the profile was detected that it leaves out."""
        rule = self.scope.profile_rule(item.url, item.hops)
        if rule is None or not self.scope.in_scope(item.url):
            return True
        with self.state.transaction():
            self.frontier.complete(item, "blocked")
            self._log_profile_excluded(item.url, item.hops, item.via,
                                       PROFILE_REASON + rule.name)
        return False

    def _detect(self, item: FrontierItem, found: Discovered, follow: bool) -> None:
        """With profile = "auto": choose the profile from the first pages of the site."""
        if not self.scope.detecting or not follow or not found.is_page:
            return
        detection = found.generator
        if detection is None:
            if self.summary.page_captures < DETECT_PAGES:
                return
            detection = Detection("none", f"no generator found in the first "
                                          f"{DETECT_PAGES} pages")
        self.scope.use_profile(detection.profile)
        entry = dict(time=self._now(), url=item.url, outcome="profile",
                     profile=detection.profile, evidence=detection.evidence)
        self.summary.count(entry)
        self.ctx.log.write(**entry)

    # -- the loop -------------------------------------------------------------

    def _limit(self, t0: float) -> str:
        cfg, s = self.cfg, self.summary
        if cfg.max_pages is not None and s.page_captures >= cfg.max_pages:
            return "max-pages"
        if cfg.max_urls is not None and s.captured >= cfg.max_urls:
            return "max-urls"
        if cfg.max_bytes is not None and s.bytes >= cfg.max_bytes:
            return "max-bytes"
        elapsed = s.duration + self.ctx.monotonic() - t0
        if cfg.max_time is not None and elapsed >= cfg.max_time:
            return "max-time"
        return ""

    def loop(self, fetcher: Fetcher, t0: float) -> None:
        """Keep every host that is due busy, one request per host, up to ``concurrency``.

        Each turn: claim a URL for every host that politeness allows (its previous
        request ended at least its delay ago) and that has a free worker; wait until a
        fetch ends or the next idle host becomes due. A worker says when its fetch has
        ended, before it finds the links and prepares the records: a host whose answer
        needs no back-off is freed then and its next URL claimed, so its next request
        overlaps with that work. Answers are stored when their work is done, each
        host's in the order they were claimed, so the store (WARC, index, state) of one
        host overlaps with the fetches of all of them. The main thread's work per URL
        bounds the crawl's rate, so it does no more than it must: links are canonicalised
        by the workers, and a turn commits once.
        """
        ctx = self.ctx
        mono = ctx.monotonic
        inflight: dict[Future[Any], FrontierItem] = {}  # claimed, not stored
        ended: dict[Future[Any], Future[Any]] = {}  # a job's fetch, not yet seen to end
        end_of: dict[Future[Any], Future[Any]] = {}  # the other way round
        released: set[Future[Any]] = set()  # host freed at the fetch's end, not stored
        order: dict[str, deque[Future[Any]]] = {}  # each host's unstored, as claimed
        ready: dict[Future[Any], _Work] = {}  # done, not yet stored

        def fetching() -> int:
            return len(inflight) - len(released)

        def fill() -> None:
            for item, robots in self._claim(self.cfg.concurrency - fetching()):
                self.politeness.started(item.host)
                if robots:
                    future = pool.submit(_robots_work, fetcher, item)
                else:
                    end: Future[FetchResult] = Future()
                    future = pool.submit(_work, fetcher, item, ctx.writer,
                                         self.scope.detecting, end)
                    ended[end], end_of[future] = future, end
                inflight[future] = item
                order.setdefault(item.host, deque()).append(future)
                self._progress(t0, fetching(), item.url)

        def in_order() -> list[tuple[_Work, bool]]:
            """The answers to store now, and whether their host was freed: each host's
            in the order its URLs were claimed."""
            out = []
            for done_first in list(ready):  # as they were seen done
                if done_first not in ready:
                    continue
                host = inflight[done_first].host
                queue = order[host]
                while queue and queue[0] in ready:
                    fut = queue.popleft()
                    out.append((ready.pop(fut), fut in released))
                    released.discard(fut)
                    del inflight[fut]
                if not queue:
                    del order[host]
            return out

        # A worker finishes its work while the next fetches run: twice as many threads
        # as fetches at once, so a fetch never waits for a thread.
        with ThreadPoolExecutor(2 * self.cfg.concurrency,
                                thread_name_prefix="preserve") as pool:
            while True:
                self.stop_reason = self.stop_reason or self._limit(t0)
                stopping = bool(self.stop_reason) or ctx.stop_requested()
                if not stopping and (not released or self._counts_room(len(released))):
                    fill()
                if not inflight:
                    if stopping:
                        break
                    wake = self._next_wake()
                    if wake is None:
                        if self.recheck():
                            continue
                        self.stop_reason = "finished"
                        break
                    ctx.wait_stop(max(0.0, min(wake - mono(), 1.0)))
                    continue
                timeout = 0.5  # and look at the stop request and the limits again
                if fetching() < self.cfg.concurrency:
                    wake = self._next_wake()
                    if wake is not None:
                        timeout = max(0.005, min(wake - mono(), timeout))
                done, _ = wait([*inflight, *ended], timeout=timeout,
                               return_when=FIRST_COMPLETED)
                if not done:
                    continue
                now = mono()
                freed = False
                # While the site profile is being chosen, an answer is stored (and may
                # choose it) before its host's next URL is claimed, so that no URL the
                # profile leaves out is claimed in between and fetched.
                early = not self.scope.detecting
                for fut in done:
                    job = ended.pop(fut, None)
                    if job is None or job in done:
                        continue
                    del end_of[job]
                    if early and _no_back_off(fut.result()):  # the fetch ended: free its host
                        self.politeness.finished(inflight[job].host, now)
                        released.add(job)
                        freed = True
                for fut in done:
                    if fut not in inflight:
                        continue
                    ended.pop(end_of.pop(fut, fut), None)
                    work = ready[fut] = fut.result()
                    if early and fut not in released and _needs_no_back_off(work):
                        self.politeness.finished(work.item.host, now)
                        released.add(fut)
                        freed = True
                works = in_order()
                # One commit for this turn's claims and stores: each result is still all
                # or nothing (its records, its crawl-log line and the checkpoints commit
                # with it), and the turn costs one commit instead of one per result. Its
                # crawl-log lines are written together before the commit, with one
                # checkpoint of the log's end. Answers freed but not stored count
                # against the limits.
                # The WARC checkpoint too is saved once, after the turn's last capture.
                with self.state.transaction(), ctx.log.held():
                    if freed and not stopping and \
                            self._room(t0, len(released) + len(works)):
                        fill()
                    stored = False
                    for work, was_freed in works:
                        if not work.robots:
                            stored = self.handle(work, freed=was_freed,
                                                 checkpoint=False) or stored
                            self._progress(t0, fetching(), work.item.url)
                    if stored:
                        self._checkpoint()
                for work, _ in works:
                    if work.robots:  # commits before its event is appended
                        self.handle(work)
                        self._progress(t0, fetching(), work.item.url)
        reason = self.stop_reason or "interrupted"
        self.summary.stop_reason = reason
        if reason == "finished":
            self.summary.status = "finished"
        elif reason.startswith("max-"):
            self.summary.status = "limit-reached"
        else:
            self.summary.status = "interrupted"

    def _room(self, t0: float, unstored: int) -> bool:
        """Whether more may be claimed before ``unstored`` answers are stored: no limit is
        reached, and storing them cannot reach a count limit either."""
        if self._limit(t0) or self.ctx.stop_requested():
            return False
        return self._counts_room(unstored)

    def _counts_room(self, unstored: int) -> bool:
        """Whether storing ``unstored`` answers cannot reach max-urls or max-pages."""
        cfg, s = self.cfg, self.summary
        if cfg.max_urls is not None and s.captured + unstored >= cfg.max_urls:
            return False
        return cfg.max_pages is None or s.page_captures + unstored < cfg.max_pages

    def _claim(self, slots: int) -> list[tuple[FrontierItem, bool]]:
        if slots <= 0:
            return []
        now = self.ctx.monotonic()
        jobs: list[tuple[FrontierItem, bool]] = []
        gate = self.ctx.robots
        if not self.cfg.ignore_robots:
            for host in self.frontier.queued_hosts():
                if len(jobs) >= slots:
                    return jobs
                if gate.needs_fetch(host) and self.politeness.ready(host, now):
                    sample = self.frontier.sample(host)
                    if sample is None:
                        continue
                    gate.fetching(host)
                    jobs.append((FrontierItem(_root(sample) + "robots.txt", host, "P",
                                              sample, -1), True))

        def ready(host: str) -> bool:
            if not self.politeness.ready(host, now):
                return False
            return self.cfg.ignore_robots or gate.known(host) is not None

        for item in self.frontier.claim(ready, slots - len(jobs), self._wall()):
            if self._allowed(item) and self._profile_claimed(item):
                jobs.append((item, False))
        return jobs

    def _next_wake(self) -> float | None:
        """When (monotonic) a host with queued URLs that is not busy becomes due, or
        None if nothing is queued. A host with a request in flight is not waited for:
        the end of that request wakes the loop."""
        hosts = self.frontier.queued_hosts()
        if not hosts:
            return None
        mono = self.ctx.monotonic()
        host_time = self.politeness.next_due(hosts)
        if host_time is None:
            return mono + 0.5
        earliest = self.frontier.earliest()
        if earliest is None:
            return host_time
        return float(max(host_time, mono + (earliest - self._wall())))

    def _allowed(self, item: FrontierItem) -> bool:
        if self.cfg.ignore_robots:
            return True
        rules = self.ctx.robots.known(item.host)
        if rules is not None and rules.allowed(item.url, self.cfg.user_agent):
            return True
        policy = rules.policy if rules is not None else "unknown"
        why = self.robots_failures.get(item.host)
        if why and policy == "disallow-all":
            policy += f": robots.txt could not be fetched, {why}"
        with self.state.transaction():
            self.frontier.complete(item, "blocked")
        entry = dict(time=self._now(), url=item.url, via=item.via, hops=item.hops,
                     outcome="robots-blocked", error=f"disallowed by robots.txt ({policy})")
        self.summary.count(entry)
        self.ctx.log.write(**entry)
        return False

    def _progress(self, t0: float, in_flight: int, url: str) -> None:
        cb = self.ctx.on_progress
        if cb is not None:
            s = self.summary
            cb(Progress(self.crawl_id, s.captured, self.frontier.pending(), in_flight, s.bytes,
                        s.failures, s.duration + self.ctx.monotonic() - t0, url))

    # -- results --------------------------------------------------------------

    def handle(self, work: _Work, freed: bool = False, checkpoint: bool = True) -> bool:
        """Store one fetch's answer; ``freed``: the loop already told politeness that
        the host's request ended (the answer asks for no back-off). Whether it wrote a
        capture; ``checkpoint=False``: the caller saves the WARC checkpoint after it,
        in the same transaction."""
        item = work.item
        now = self.ctx.monotonic()
        if not freed:
            self.politeness.finished(item.host, now)
        if work.robots:
            self._robots_result(work, now)
            return True
        result = work.results[-1]
        if isinstance(result, FetchFailure):
            self._failed(item, result, now)
            return False
        try:
            retry_in = self._retry_delay(item, result)
            if retry_in is not None:
                self._retry(item, now, retry_in, result.duration,
                            f"HTTP {result.status}; retry in {retry_in:.1f}s", result.status)
                return False
            self._store(item, result, work, checkpoint)
        finally:
            result.close()
        return True

    def _retry(self, item: FrontierItem, now: float, delay: float, duration: float,
               error: str, status: int | None = None) -> None:
        delay = min(delay, self.cfg.max_retry_after)
        self.politeness.back_off(item.host, now + delay)
        with self.state.transaction():
            self.frontier.release(item, self._wall() + delay)
        answer = {} if status is None else {"status": status}  # none after a network error
        self.ctx.log.write(time=self._now(), url=item.url, **answer, via=item.via,
                           hops=item.hops, outcome="retry", duration=round(duration, 4),
                           error=error)

    def _retry_delay(self, item: FrontierItem, ex: Exchange) -> float | None:
        if ex.status not in _RETRY_STATUSES or item.attempts >= self.cfg.retries:
            return None
        delay: float = _BACKOFF_BASE * 2.0 ** item.attempts
        if ex.status in (429, 503):
            after = _retry_after(ex.header("retry-after"), self.ctx.clock())
            if after is not None:
                delay = max(delay, after)
        return delay

    def _failed(self, item: FrontierItem, f: FetchFailure, now: float) -> None:
        if f.transient and item.attempts < self.cfg.retries:
            self._retry(item, now, _BACKOFF_BASE * (2 ** item.attempts), f.duration, f.message)
            return
        with self.state.transaction():
            self.frontier.complete(item, "blocked" if f.kind == "blocked-address" else "failed")
        self._log_failure(item, f)

    def _log_failure(self, item: FrontierItem, f: FetchFailure,
                     redirected_from: str | None = None) -> None:
        outcome = "blocked-address" if f.kind == "blocked-address" else "failed"
        via, hops = (item.via, item.hops) if redirected_from is None else (
            redirected_from, item.hops + "R")
        entry = dict(time=self._now(), url=f.url, via=via, hops=hops,
                     outcome=outcome, duration=round(f.duration, 4),
                     error=f"{f.kind}: {f.message}")
        self.summary.count(entry)
        self.ctx.log.write(**entry)

    def _robots_result(self, work: _Work, now: float) -> None:
        item, gate = work.item, self.ctx.robots
        final = work.results[-1]
        data: dict[str, float] | None = None
        try:
            with self.state.transaction():
                for result in work.results:
                    if isinstance(result, Exchange):
                        self._write(item, result, None, robots=True)
                if isinstance(final, Exchange):
                    body = work.found.body if work.found and work.found.body else b""
                    status = final.status if not 300 <= final.status < 400 else 0
                    rules = gate.learned(item.host, status, body)
                    # A day's Crawl-delay would stall the crawl: obeyed up to a cap, and said.
                    asked = rules.crawl_delay(self.cfg.user_agent)
                    cap = self.cfg.max_crawl_delay
                    self.politeness.set_crawl_delay(
                        item.host, None if asked is None else min(asked, cap))
                    if work.found is not None and self.ctx.patch is None:
                        # Sitemap: lines, whatever `sitemaps` says (a patch takes none)
                        self.found(item, work.links, follow=True)
                    detail = f"HTTP {final.status}: {rules.policy}"
                    if asked is not None and asked > cap:
                        detail += f"; Crawl-delay {asked:g}s capped at {cap:g}s (max-crawl-delay)"
                        data = {"crawl_delay": asked, "crawl_delay_used": cap}
                else:
                    retried = gate.failed(item.host, transient=final.transient)
                    if retried is None:
                        delay = _BACKOFF_BASE * 2 ** gate.attempts(item.host)
                        self.politeness.back_off(item.host, now + delay)
                        self.ctx.log.write(time=self._now(), url=item.url, via=item.via,
                                           hops=item.hops, outcome="retry",
                                           duration=round(final.duration, 4),
                                           error=f"{final.message}; retry in {delay:.1f}s")
                        return
                    detail = f"{final.kind}: {final.message}; host disallowed (RFC 9309)"
                    self.robots_failures[item.host] = f"{final.kind}: {final.message}"
                self._checkpoint()
        finally:
            for result in work.results:
                if isinstance(result, Exchange):
                    result.close()
        if isinstance(final, FetchFailure):
            # An attempt like any other, in the crawl log: under the URL that failed, which
            # after a redirect is not robots.txt's own (that one is logged as captured).
            previous = work.results[-2].url if len(work.results) > 1 else None
            self._log_failure(item, final, previous)
        ok = isinstance(final, Exchange) and data is None
        self.ctx.events.append("robots policy", obj=item.url, crawl=self.crawl_id,
                               outcome="success" if ok else "warning",
                               detail=detail, data=data)

    def _store(self, item: FrontierItem, ex: Exchange, work: _Work,
               checkpoint: bool = True) -> None:
        found, links = work.found, work.links
        with self.state.transaction():
            self._write(item, ex, found, prepared=work.prepared, metadata=work.metadata)
            self.frontier.complete(item, "done")
            if found is not None:
                decision = self.scope.decide(item.url, item.hops)
                follow = self.ctx.patch is None and (
                    decision.follow or item.is_seed or item.hops.endswith("X"))
                self._detect(item, found, follow)
                self.found(item, links, follow)
            if checkpoint:
                self._checkpoint()

    def _checkpoint(self) -> None:
        writer = self.ctx.writer
        path = writer.current_path
        if path is not None:
            self.state.checkpoint(self.crawl_id, path.name.removesuffix(".open"),
                                  writer.current_offset)

    def _write(self, item: FrontierItem, ex: Exchange, found: Discovered | None,
               robots: bool = False, prepared: PreparedExchange | None = None,
               metadata: PreparedBlock | None = None) -> None:
        """The records of one capture, all in one file, rolled back together on error;
        ``prepared`` and ``metadata``: their blocks as the worker made them ready."""
        writer = self.ctx.writer
        # Held: the capture's records reach the file in one flush, before its commit
        # (a system call per record, which lets go of the interpreter lock, was three).
        mark = writer.begin(held=True)
        try:
            response, _request = writer.write_exchange(ex, prepared)
            # A revisit of the same URL (an unchanged page in a recrawl) has the same
            # payload, so the same outlinks as its original's metadata record; its via and
            # hops are in the crawl log. Writing them again would store most of what
            # deduplication saves.
            unchanged = response.revisit_of is not None and response.revisit_of.uri == ex.url
            if found is not None and _has_outlinks(found, ex) and not unchanged:
                items = _outlinks(item, found) if metadata is None else []  # in the block
                writer.write_metadata(item.url, response.record_id, ex.date, items, metadata)
            writer.flush()
        except BaseException:
            writer.rollback(mark)
            raise
        failed = ex.status >= 500 and not robots
        entry = dict(
            time=self._now(), url=ex.url, status=ex.status, bytes=ex.response.length,
            mime=ex.mime, via=item.via, hops=item.hops, duration=round(ex.duration, 4),
            outcome="revisit" if response.record_type == "revisit" else "captured",
            truncated=ex.truncated, warc=response.filename, offset=response.offset,
            failed=failed or None,
            tls_error=ex.tls.error if ex.tls is not None and not ex.tls.verified else None,
        )
        self.summary.count(entry)
        # The log line follows the commit of the enclosing transaction closely; a crash in
        # between only loses the line, never the capture.
        self.ctx.log.write(**{k: v for k, v in entry.items() if v is not None})
        if entry["tls_error"] and item.host not in self.tls_unverified:
            self.tls_unverified.add(item.host)
            self.ctx.events.append(
                "certificate not verified", outcome="warning", obj=ex.url, crawl=self.crawl_id,
                detail=f"captured over a connection whose certificate failed verification "
                       f"(tls-verify = record): {entry['tls_error']}",
                data={"host": item.host, "error": entry["tls_error"]})


def _retry_after(value: str | None, now: datetime) -> float | None:
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - now).total_seconds())


def _batches(items: Iterable[str], size: int) -> Iterable[list[str]]:
    batch: list[str] = []
    for item in items:
        batch.append(item)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def _root(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}/"


def _needs_no_back_off(work: _Work) -> bool:
    """An answer after which the host may be asked again once its delay has passed,
    whatever storing it finds: not robots.txt (it may set a Crawl-delay), not a failure
    and not a status that may be retried after a back-off."""
    return not work.robots and _no_back_off(work.results[-1])


def _no_back_off(result: FetchResult) -> bool:
    """A fetch's answer after which its host may be asked again once its delay has
    passed: not a failure, nor a status that may be retried after a back-off."""
    return isinstance(result, Exchange) and result.status not in _RETRY_STATUSES


def _has_outlinks(found: Discovered, ex: Exchange) -> bool:
    """Whether a capture gets a metadata record of its outlinks (unless it is a revisit
    of the same URL)."""
    return found.is_page and 200 <= ex.status < 300


def _outlinks(item: FrontierItem, found: Discovered) -> list[tuple[str, str]]:
    """The fields of a page's metadata record: via, hopsFromSeed and its outlinks."""
    fields = [("via", item.via or ""), ("hopsFromSeed", item.hops)]
    fields += [("outlink", f"{u} {h}") for u, h in found.links]
    return [(k, v) for k, v in fields if v]


def _work(fetcher: Fetcher, item: FrontierItem, writer: WarcWriter,
          detecting: bool, ended: Future[FetchResult] | None = None) -> _Work:
    """Runs in a worker thread: fetch, find links, and make the records ready to write
    (digests, compression, index facts): CPU work off the main thread, which writes.
    ``detecting``: the site profile is still being chosen (the page's CMS is looked for).
    ``ended`` is given the fetch's result as soon as it has ended (its body read, its
    connection back in the pool), so the loop can free the host before this work ends."""
    result = fetcher.fetch(item.url, referer=item.via)
    if ended is not None:
        ended.set_result(result)
    if isinstance(result, FetchFailure):
        return _Work(item, [result])
    location = result.header("location") if 300 <= result.status < 400 else None
    found = discover(result, item.hops, detecting=detecting,
                     location=urljoin(item.url, location) if location else None)
    work = _Work(item, [result], found, links=_canonical(found))
    if result.status in _RETRY_STATUSES:
        return work  # likely retried, not written: the main thread writes it if not
    try:
        work.prepared = writer.prepare(result)
        if found is not None and _has_outlinks(found, result):
            work.metadata = writer.prepare_fields(_outlinks(item, found))
    except Exception:  # the main thread writes it as it is, and reports what fails
        work.prepared = work.metadata = None
    return work


def _robots_work(fetcher: Fetcher, item: FrontierItem) -> _Work:
    """Fetch robots.txt, following up to five redirects (RFC 9309 section 2.3.1.2)."""
    results: list[FetchResult] = []
    url = item.url
    for _ in range(_ROBOTS_REDIRECTS + 1):
        result = fetcher.fetch(url)
        results.append(result)
        if not isinstance(result, Exchange) or not 300 <= result.status < 400:
            break
        location = result.header("location")
        if not location:
            break
        url = urljoin(url, location)
    final = results[-1]
    found = discover(final, "P") if isinstance(final, Exchange) else None
    return _Work(item, results, found, robots=True, links=_canonical(found))


def _canonical(found: Discovered | None) -> tuple[tuple[str, str], ...]:
    """The discovered links in canonical form, those that have one, with their hops."""
    if found is None:
        return ()
    links = []
    for raw, hop in found.links:
        try:
            links.append((canonicalize(raw), hop))
        except ValueError:
            continue
    return tuple(links)
