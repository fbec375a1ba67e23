"""The crawl-state contract: what every backend of store/crawlstate.py's ``CrawlState`` must do.

Each test runs against every backend in ``OPENERS``: SQLite, and Redis (a real
redis-server, tests/helpers_redis.py). A backend is opened on a place (a directory
here; a namespace named after it in Redis) and must show the same state when opened
again there by a fresh object or another process: that is how a crawl resumes after
its process was killed.
"""

from __future__ import annotations

import contextlib
import signal
import sqlite3
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from helpers_crawl import create
from helpers_redis import redis_url
from preserve.capture.crawler import Crawler, CrawlSummary
from preserve.store.crawlstate import CrawlState, Frontier, FrontierItem
from preserve.store.crawlstate_redis import RedisCrawlState
from preserve.store.crawlstate_sqlite import SqliteCrawlState
from preserve.store.warc import Original
from testsite import TestSite

OPENERS: dict[str, Callable[[Path], CrawlState]] = {
    "sqlite": lambda where: SqliteCrawlState(where / "state.sqlite3"),
    # A namespace per test in the tests' redis-server (tests/helpers_redis.py).
    "redis": lambda where: RedisCrawlState(redis_url(), namespace=f"test:{where}"),
}

NOW = 1_800_000_000.0  # wall-clock seconds, as the crawl loop passes them
STARTED = "2026-12-06T10:00:00+00:00"


def every(_host: str) -> bool:
    return True


def urls_of(host: str, n: int, priority: int = 1) -> list[FrontierItem]:
    name = host.split(":")[0]
    return [FrontierItem(f"http://{name}/{i}", host, "L", f"http://{name}/", priority)
            for i in range(n)]


def drain(frontier: Frontier, now: float = NOW) -> list[FrontierItem]:
    """Claim until nothing more can be claimed (nothing is completed in between)."""
    claimed: list[FrontierItem] = []
    while batch := frontier.claim(every, 100, now):
        claimed += batch
    return claimed


@dataclass
class Backend:
    name: str
    where: Path

    def open(self) -> CrawlState:
        return OPENERS[self.name](self.where)


@pytest.fixture(params=sorted(OPENERS))
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Backend:
    if request.param == "redis":
        redis_url()  # started here (or skipped, saying why), so a child process finds it
    return Backend(request.param, tmp_path)


@pytest.fixture
def state(backend: Backend) -> Iterator[CrawlState]:
    opened = backend.open()
    try:
        yield opened
    finally:
        opened.close()


@pytest.fixture
def crawl(state: CrawlState) -> str:
    return state.start(STARTED, {"seeds": ["http://a/"]}).id


@pytest.fixture
def frontier(state: CrawlState, crawl: str) -> Frontier:
    return state.open_frontier(crawl)


# -- the frontier ---------------------------------------------------------------------


def test_a_url_is_claimed_once(frontier: Frontier) -> None:
    added = frontier.add(urls_of("a:80", 5) + urls_of("b:80", 5) + urls_of("c:80", 5))
    assert len(added) == 15
    claimed = drain(frontier)
    assert sorted(i.url for i in claimed) == sorted(i.url for i in added)
    assert len({i.id for i in claimed}) == 15  # distinct handles, as complete() needs
    assert frontier.claim(every, 100, NOW) == []  # all in flight: nothing to claim twice
    assert frontier.pending() == 0 and frontier.counts().in_flight == 15
    assert frontier.earliest() is None and list(frontier.queued_hosts()) == []


def test_one_url_per_host_per_claim_from_ready_hosts(frontier: Frontier) -> None:
    frontier.add(urls_of("a:80", 3) + urls_of("b:80", 3) + urls_of("c:80", 3))
    claimed = frontier.claim(lambda host: host != "b:80", 10, NOW)
    assert sorted(i.host for i in claimed) == ["a:80", "c:80"]
    assert len(frontier.claim(every, 1, NOW)) == 1  # the limit holds
    assert frontier.claim(every, 0, NOW) == []
    assert sorted(frontier.queued_hosts()) == ["a:80", "b:80", "c:80"]
    assert frontier.pending() == 6


def test_the_least_recently_served_host_first(frontier: Frontier) -> None:
    # One URL at a time, each completed before the next claim: with fewer workers than
    # hosts, every host gets its turn, never the same one while others wait.
    frontier.add(urls_of("a:80", 3) + urls_of("b:80", 3) + urls_of("c:80", 3))
    served = []
    for _ in range(6):
        [item] = frontier.claim(every, 1, NOW)
        served.append(item.host)
        frontier.complete(item, "done")
    assert sorted(served[:3]) == ["a:80", "b:80", "c:80"] and served[3:] == served[:3]


def test_priority_then_insertion_order(frontier: Frontier) -> None:
    items = [FrontierItem(f"http://a/{n}", "a:80", "L", None, p)
             for n, p in enumerate([1, 0, 1, -1, 0])]
    frontier.add(items)
    order = []
    while batch := frontier.claim(every, 5, NOW):
        assert len(batch) == 1
        order.append(batch[0].url)
    assert order == ["http://a/3", "http://a/1", "http://a/4", "http://a/0", "http://a/2"]


def test_release_requeues_not_before(frontier: Frontier) -> None:
    frontier.add(urls_of("a:80", 1))
    [item] = frontier.claim(every, 1, NOW)
    frontier.release(item, NOW + 10)
    assert frontier.pending() == 1 and list(frontier.queued_hosts()) == ["a:80"]
    assert frontier.earliest() == NOW + 10
    assert frontier.claim(every, 1, NOW + 9.9) == []
    [again] = frontier.claim(every, 1, NOW + 10)
    assert (again.url, again.id, again.attempts) == (item.url, item.id, 1)
    frontier.release(again, NOW + 20)
    [third] = frontier.claim(every, 1, NOW + 20)
    assert third.attempts == 2


def test_complete_is_final(frontier: Frontier) -> None:
    frontier.add(urls_of("a:80", 1) + urls_of("b:80", 1) + urls_of("c:80", 1)
                 + urls_of("d:80", 1))
    items = {i.host: i for i in frontier.claim(every, 10, NOW)}
    frontier.complete(items["a:80"], "done")
    frontier.complete(items["b:80"], "failed")
    frontier.complete(items["c:80"], "blocked")
    counts = frontier.counts()
    assert (counts.queued, counts.in_flight, counts.done, counts.failed, counts.blocked) == (
        0, 1, 1, 1, 1)
    assert frontier.add(urls_of("a:80", 1)) == []  # completed URLs are never queued again
    assert drain(frontier) == []
    assert frontier.seen([i.url for i in items.values()]) == {i.url for i in items.values()}


def test_known_and_seen(state: CrawlState, crawl: str, frontier: Frontier) -> None:
    url = "http://a/0"
    assert frontier.seen([url, "http://a/9"]) == set() and not frontier.known(url)
    assert [i.url for i in frontier.add(urls_of("a:80", 1))] == [url]
    assert frontier.seen([url, "http://a/9"]) == {url}
    assert [i.url for i in frontier.add(urls_of("a:80", 2))] == ["http://a/1"]  # new only
    many = [f"http://a/{n}" for n in range(1200)]  # more than one query's worth
    assert frontier.seen(many) == {"http://a/0", "http://a/1"}
    for u in many:  # known() may say "not known here", never a false "known"
        assert not frontier.known(u) or u in {"http://a/0", "http://a/1"}
    assert frontier.sample("a:80") in {"http://a/0", "http://a/1"}
    assert frontier.sample("z:80") is None
    state.finish(crawl, STARTED, "finished", {})
    other = state.open_frontier(state.start(STARTED, {}).id)
    assert other.seen([url]) == set() and not other.known(url)  # the seen set is per crawl
    assert [i.url for i in other.add(urls_of("a:80", 1))] == [url]


def test_excluded_is_noted_once(backend: Backend, state: CrawlState, crawl: str,
                                frontier: Frontier) -> None:
    assert frontier.excluded(["http://x/", "http://y/"]) == set()
    assert frontier.note_excluded("http://x/", "out-of-scope")
    assert not frontier.note_excluded("http://x/", "out-of-scope")
    assert not frontier.note_excluded("http://x/", "too-many-redirects")
    assert frontier.excluded(["http://x/", "http://y/"]) == {"http://x/"}
    state.close()
    reopened = backend.open()
    try:
        again = reopened.open_frontier(crawl)
        assert again.excluded(["http://y/", "http://x/"]) == {"http://x/"}  # not from memory
        assert not again.note_excluded("http://x/", "out-of-scope")
        later = reopened.open_frontier(reopened.start(STARTED, {}).id)
        assert later.excluded(["http://x/"]) == set()
        assert later.note_excluded("http://x/", "out-of-scope")  # per crawl
    finally:
        reopened.close()


def test_earliest(frontier: Frontier) -> None:
    assert frontier.earliest() is None
    frontier.add(urls_of("a:80", 1))
    earliest = frontier.earliest()
    assert earliest is not None and earliest <= NOW  # ready now


# -- dedup, robots, checkpoints, crawls -------------------------------------------------


def test_dedup_first_capture_wins_across_crawls(state: CrawlState, crawl: str) -> None:
    first = Original("http://a/x.png", "2026-12-06T10:00:01Z", "<urn:uuid:1>")
    digests = state.digests(crawl)
    assert digests.lookup("sha1:AAA") is None
    digests.add("sha1:AAA", first)
    digests.add("sha1:AAA", Original("http://b/x.png", "2026-12-06T10:00:02Z", "<urn:uuid:2>"))
    assert digests.lookup("sha1:AAA") == first
    assert digests.lookup("sha1:BBB") is None
    state.finish(crawl, STARTED, "finished", {})
    later = state.digests(state.start(STARTED, {}).id)
    assert later.lookup("sha1:AAA") == first  # a recrawl refers to the earlier crawl's record
    later.add("sha1:AAA", Original("http://a/x.png", "2026-12-07T10:00:00Z", "<urn:uuid:3>"))
    assert later.lookup("sha1:AAA") == first


def test_robots_cache(state: CrawlState, crawl: str) -> None:
    robots = state.robots(crawl)
    assert robots.get("a:80") is None
    robots.put("a:80", 200, b"User-agent: *\nDisallow: /private\n")
    robots.put("b:80", 0, b"")
    assert robots.get("a:80") == (200, b"User-agent: *\nDisallow: /private\n")
    assert robots.get("b:80") == (0, b"")
    robots.put("a:80", 404, b"")
    assert robots.get("a:80") == (404, b"")
    state.finish(crawl, STARTED, "finished", {})
    assert state.robots(state.start(STARTED, {}).id).get("a:80") is None  # per crawl


def test_checkpoints_are_saved_and_read(backend: Backend, state: CrawlState,
                                        crawl: str) -> None:
    assert state.committed("c-0001-a.warc.gz") is None and state.log_committed(crawl) is None
    state.checkpoint(crawl, "c-0001-a.warc.gz", 1000)
    state.checkpoint(crawl, "c-0001-a.warc.gz", 2500)
    state.checkpoint(crawl, "c-0001-b.warc.gz", 10)
    state.log_checkpoint(crawl, 300)
    state.log_checkpoint(crawl, 420)
    state.mark_closed("c-0001-a.warc.gz")
    state.close()
    reopened = backend.open()
    try:
        assert reopened.committed("c-0001-a.warc.gz") == 2500
        assert reopened.committed("c-0001-b.warc.gz") == 10
        assert reopened.warc_names(crawl) == ["c-0001-a.warc.gz", "c-0001-b.warc.gz"]
        assert reopened.log_committed(crawl) == 420
        assert reopened.warc_names(reopened.start(STARTED, {}).id) == []
    finally:
        reopened.close()


def test_crawls_are_numbered_stopped_and_finished(state: CrawlState) -> None:
    assert state.unfinished() is None
    first = state.start(STARTED, {"seeds": ["http://a/"], "retries": 2})
    assert (first.status, first.finished, first.config) == (
        "running", None, {"seeds": ["http://a/"], "retries": 2})
    assert state.unfinished() == first
    state.mark(first.id, final=True, label="before the move")
    state.add_scope_seed(first.id, "https://www.a/")
    state.add_scope_seed(first.id, "https://www.a/")
    state.stop(first.id, "interrupted", {"duration": 3.5})
    resumed = state.unfinished()
    assert resumed is not None and resumed.id == first.id
    assert (resumed.status, resumed.summary, resumed.final, resumed.label) == (
        "interrupted", {"duration": 3.5}, True, "before the move")
    assert state.scope_seeds(first.id) == ["https://www.a/"]
    state.finish(first.id, "2026-12-06T11:00:00+00:00", "finished", {"captured": 7})
    assert state.unfinished() is None
    second = state.start(STARTED, {})
    assert second.seq > first.seq and second.id != first.id
    assert state.unfinished() == second and state.scope_seeds(second.id) == []


def test_a_crawl_keeps_its_kind(backend: Backend, state: CrawlState) -> None:
    ordinary = state.start(STARTED, {})
    assert ordinary.kind == "crawl"
    state.finish(ordinary.id, "2026-12-06T11:00:00+00:00", "finished", {})
    patch = state.start(STARTED, {}, kind="patch")
    assert patch.kind == "patch" and state.unfinished() == patch
    state.close()
    reopened = backend.open()
    try:
        current = reopened.unfinished()
        assert current is not None and (current.id, current.kind) == (patch.id, "patch")
    finally:
        reopened.close()


# -- transactions -------------------------------------------------------------------


def test_a_failed_transaction_leaves_nothing(backend: Backend, state: CrawlState, crawl: str,
                                             frontier: Frontier) -> None:
    frontier.add(urls_of("a:80", 1))
    [item] = frontier.claim(every, 1, NOW)
    state.checkpoint(crawl, "w.warc.gz", 100)
    with pytest.raises(RuntimeError), state.transaction():
        with state.transaction():  # nested: only the outermost commits
            frontier.complete(item, "done")
            frontier.add(urls_of("b:80", 2))
        assert frontier.note_excluded("http://x/", "out-of-scope")
        assert frontier.note_excluded("http://y/", "out-of-scope")
        state.digests(crawl).add("sha1:AAA", Original("http://b/0", STARTED, "<urn:uuid:1>"))
        state.robots(crawl).put("b:80", 200, b"")
        state.checkpoint(crawl, "w.warc.gz", 900)
        state.log_checkpoint(crawl, 900)
        state.add_scope_seed(crawl, "https://www.a/")
        raise RuntimeError("the disk is full")

    def nothing_of_it(s: CrawlState, f: Frontier, excluded: str) -> None:
        assert f.seen(["http://b/0", "http://b/1"]) == set()
        assert not f.known("http://b/0") and list(f.queued_hosts()) == []
        assert s.digests(crawl).lookup("sha1:AAA") is None
        assert s.robots(crawl).get("b:80") is None
        assert s.committed("w.warc.gz") == 100 and s.log_committed(crawl) is None
        assert s.scope_seeds(crawl) == []
        assert f.note_excluded(excluded, "out-of-scope")  # (this one commits)

    assert frontier.counts().in_flight == 1 and frontier.pending() == 0
    nothing_of_it(state, frontier, "http://x/")
    frontier.complete(item, "done")  # the run goes on where the transaction left it
    state.close()
    reopened = backend.open()
    try:
        nothing_of_it(reopened, reopened.open_frontier(crawl), "http://y/")
    finally:
        reopened.close()


def test_a_committed_transaction_is_whole(backend: Backend, state: CrawlState, crawl: str,
                                          frontier: Frontier) -> None:
    frontier.add(urls_of("a:80", 1))
    [item] = frontier.claim(every, 1, NOW)
    with state.transaction():
        frontier.complete(item, "done")
        frontier.add(urls_of("b:80", 2))
        state.checkpoint(crawl, "w.warc.gz", 900)
    state.close()
    reopened = backend.open()
    try:
        assert reopened.committed("w.warc.gz") == 900
        assert sorted(i.url for i in drain(reopened.open_frontier(crawl))) == [
            "http://b/0", "http://b/1"]
    finally:
        reopened.close()


# -- resume: in-flight URLs of a crawl that did not finish are queued again ---------------


def _leave_work_in_flight(state: CrawlState) -> str:
    """A crawl cut short: a2 done (the WARC checkpoint moved with it), a0 and b0 in
    flight, b1 put back until NOW + 1000, a1 put back with no delay, c0 never claimed."""
    crawl = state.start(STARTED, {}).id
    frontier = state.open_frontier(crawl)
    frontier.add(urls_of("a:80", 3) + urls_of("b:80", 2) + urls_of("c:80", 1))
    claimed = {i.url: i for i in frontier.claim(lambda h: h != "c:80", 10, NOW)}
    claimed |= {i.url: i for i in frontier.claim(lambda h: h != "c:80", 10, NOW)}
    frontier.release(claimed["http://b/1"], NOW + 1000)
    [a2] = frontier.claim(lambda h: h == "a:80", 1, NOW)
    with state.transaction():
        frontier.complete(a2, "done")
        state.checkpoint(crawl, "w.warc.gz", 4096)
    assert frontier.counts().in_flight == 3  # a0, a1, b0
    frontier.release(claimed["http://a/1"], 0)  # back in the queue with no delay
    return crawl


def _check_resumed(reopened: CrawlState, crawl: str) -> None:
    current = reopened.unfinished()
    assert current is not None and current.id == crawl
    assert reopened.committed("w.warc.gz") == 4096
    frontier = reopened.open_frontier(crawl)
    counts = frontier.counts()
    assert (counts.queued, counts.in_flight, counts.done) == (5, 0, 1)
    assert frontier.earliest() is not None
    now = sorted(i.url for i in drain(frontier, NOW))
    assert now == ["http://a/0", "http://a/1", "http://b/0", "http://c/0"]
    assert [i.url for i in drain(frontier, NOW + 1000)] == ["http://b/1"]  # still delayed
    assert frontier.add(urls_of("a:80", 3)) == []


def test_resume_after_closing_without_finishing(backend: Backend, state: CrawlState) -> None:
    crawl = _leave_work_in_flight(state)
    state.close()
    reopened = backend.open()
    try:
        _check_resumed(reopened, crawl)
    finally:
        reopened.close()


_CHILD = """
import sys, time
sys.path.insert(0, sys.argv[1])
from pathlib import Path
from test_crawl_state_contract import Backend, _leave_work_in_flight
state = Backend(sys.argv[2], Path(sys.argv[3])).open()
print(_leave_work_in_flight(state), flush=True)
time.sleep(60)
"""


def test_resume_after_sigkill(backend: Backend) -> None:
    child = subprocess.Popen(
        [sys.executable, "-c", _CHILD, str(Path(__file__).parent), backend.name,
         str(backend.where)], stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout is not None
        crawl = child.stdout.readline().strip()
        assert crawl, "the child died before it left work in flight"
    finally:
        child.send_signal(signal.SIGKILL)
        child.communicate(timeout=30)
    assert child.returncode == -signal.SIGKILL
    reopened = backend.open()
    try:
        _check_resumed(reopened, crawl)
    finally:
        reopened.close()


# -- the crawler on a backend -------------------------------------------------------------


@pytest.mark.slow
def test_the_crawler_keeps_its_state_in_the_backend_it_is_given(
        backend: Backend, tmp_path: Path, shared_site: TestSite) -> None:
    coll = create(tmp_path / "coll", (shared_site.url,), delay=0.0)

    def crawl_once() -> CrawlSummary:
        return Crawler(coll, coll.load_config(),
                       crawl_state=lambda _coll: backend.open()).run()

    first = crawl_once()
    assert first.status == "finished" and first.captured > 10
    second = crawl_once()  # the same site again: the digest index is the backend's
    assert second.status == "finished"
    assert second.revisits - first.revisits >= first.captured // 2
    if coll.state_db.exists():  # a worker's record of the crawl, and nothing else:
        with contextlib.closing(sqlite3.connect(coll.state_db)) as db:  # no frontier,
            for table in ("urls", "excluded", "robots", "digests"):  # robots or digests
                assert db.execute(f"SELECT count(*) FROM {table}").fetchone() == (0,), table
    state = backend.open()
    try:
        assert state.unfinished() is None
        assert state.warc_names(first.crawl) == first.warcs
        assert state.warc_names(second.crawl) == second.warcs
        assert [state.committed(n) is not None for n in second.warcs] == [True] * len(
            second.warcs)
    finally:
        state.close()
