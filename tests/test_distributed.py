"""Distributed crawls: worker processes share one crawl through a real redis-server.

Each worker is ``preserve crawl COLL --frontier redis://... --worker-id ID`` in its own
process and collection (docs/distributed.md); two test sites are two hosts. What the
workers captured together is compared with what one worker alone captures.
"""

from __future__ import annotations

import collections
import json
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from helpers_crawl import cli, crawl, create, jsonl, read_warc
from helpers_redis import RedisServer, redis_url
from preserve.collection import Collection
from preserve.store.crawlstate import CrawlRecord, FrontierItem
from preserve.store.crawlstate_redis import RedisCrawlState
from preserve.store.crawlstate_sqlite import SqliteCrawlState
from testsite import TestSite

CAPTURED = ("captured", "revisit")
# The calendar is a trap that only max-depth ends, where the hops a URL was first found
# with decide: which worker found it first would decide what is captured.
TRAP = ("/calendar/",)


@pytest.fixture(scope="module")
def sites() -> Iterator[tuple[TestSite, TestSite]]:
    with TestSite(articles=5, latency=0.01) as a, TestSite(articles=5, identity=1,
                                                           latency=0.01) as b:
        yield a, b


@pytest.fixture(scope="module")
def alone(sites: tuple[TestSite, TestSite], tmp_path_factory: pytest.TempPathFactory) -> set[str]:
    """The URLs one crawler captures of both sites, with the default SQLite state."""
    coll, summary = crawl(tmp_path_factory.mktemp("alone") / "coll",
                          tuple(s.url for s in sites), exclude=TRAP)
    assert summary.status == "finished"
    return {e["url"] for e in jsonl(coll.crawl_log_path(summary.crawl))
            if e.get("outcome") in CAPTURED}


def _frontier(db: int) -> str:
    """A database of the tests' redis-server of its own, emptied."""
    url = redis_url().rsplit("/", 1)[0] + f"/{db}"
    state = RedisCrawlState(url)
    state.client.flushdb()
    state.close()
    return url


def _worker(root: Path, name: str, frontier: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "preserve", "crawl", str(root / name), "--frontier", frontier,
         "--worker-id", name, "--json", "-q"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, stdin=subprocess.DEVNULL)


def _collections(root: Path, sites: tuple[TestSite, TestSite], n: int,
                 lease: float = 30.0) -> list[str]:
    names = [f"w{i}" for i in range(n)]
    for name in names:
        create(root / name, tuple(s.url for s in sites), delay=0.0, lease=lease, exclude=TRAP)
    return names


def _listed(coll: Path) -> list[dict[str, Any]]:
    """``preserve crawls COLL --json``: what the collection knows without Redis."""
    listed = cli("crawls", coll, "--json")
    assert listed.returncode == 0, listed.stderr
    return list(json.loads(listed.stdout))


def _captures(log: Path, upto: int | None = None) -> list[str]:
    data = log.read_bytes()[:upto]
    return [e["url"] for e in map(json.loads, data.splitlines())
            if e.get("outcome") in CAPTURED]


def test_leases_hosts_and_late_workers(tmp_path: Path) -> None:
    url = _frontier(4)
    # Leases that never lapse during the test, however loaded the machine: a's ends
    # when the test deletes it, as it would expire had a died.
    a = RedisCrawlState(url, worker="a", lease=300.0, delay=0.0, join=True)
    b = RedisCrawlState(url, worker="b", lease=300.0, delay=0.0, join=True)
    try:
        crawl_id = a.start("2026-12-07T00:00:00+00:00", {}).id
        assert b.start("2026-12-07T00:00:01+00:00", {}).id == crawl_id  # joined
        fa, fb = a.open_frontier(crawl_id), b.open_frontier(crawl_id)
        fa.add([FrontierItem(f"http://h/{n}", "h:80", "L", None, 1) for n in range(3)])
        [first] = fa.claim(lambda _h: True, 5, time.time())
        assert fb.claim(lambda _h: True, 5, time.time()) == []  # one worker per host
        assert fb.earliest() is not None  # a's URL may add more: b does not finish
        assert b.client.delete("preserve:lease:a") == 1  # a's lease is over: a is dead
        taken = fb.claim(lambda _h: True, 5, time.time())
        assert [i.url for i in taken] == [first.url]  # back in the queue, first again
        fa.complete(first, "done")  # too late: b holds it now
        assert fb.counts().done == 0 and fb.counts().in_flight == 1
        fb.complete(taken[0], "done")
        assert fb.counts().done == 1
    finally:
        a.close()
        b.close()


def test_a_hosts_robots_txt_is_fetched_by_one_worker_once() -> None:
    url = _frontier(5)
    a = RedisCrawlState(url, worker="a", lease=300.0, join=True)
    b = RedisCrawlState(url, worker="b", lease=300.0, join=True)
    try:
        crawl_id = a.start("2026-12-07T00:00:00+00:00", {}).id
        b.start("2026-12-07T00:00:01+00:00", {})
        fa, fb = a.open_frontier(crawl_id), b.open_frontier(crawl_id)
        fa.add([FrontierItem("http://h/", "h:80", "", None, 1)])
        assert b.robots(crawl_id).get("h:80") is None  # b finds it missing ...
        assert fa.sample("h:80") == "http://h/"  # ... while a holds the host to fetch it
        assert fb.sample("h:80") is None
        with a.transaction():
            a.robots(crawl_id).put("h:80", 200, b"")
        assert fb.sample("h:80") is None  # ... and stored it: b does not fetch it again
    finally:
        a.close()
        b.close()


def test_a_workers_record_of_the_crawl_is_never_resumed_without_redis(tmp_path: Path) -> None:
    """The row a worker keeps of a distributed crawl (interrupted here) is a record: a
    crawl run from the collection's SQLite state starts a new crawl after it."""
    shared = CrawlRecord("0003", 3, "2026-12-07T00:00:00+00:00", None, "interrupted",
                         {"seeds": ["http://h/"]}, None)
    state = SqliteCrawlState(tmp_path / "state.sqlite3")
    try:
        assert state.registry.record(shared, "0003 2026-12-07T00:00:00+00:00") == "0003"
        assert state.unfinished() is None
        assert state.start("2026-12-07T01:00:00+00:00", {}).id == "0004"
    finally:
        state.close()


@pytest.mark.slow
def test_three_workers_capture_what_one_does_each_url_once(
        tmp_path: Path, sites: tuple[TestSite, TestSite], alone: set[str]) -> None:
    frontier = _frontier(1)
    names = _collections(tmp_path, sites, 3)
    t0 = time.time()
    workers = [_worker(tmp_path, name, frontier) for name in names]
    results = [w.communicate(timeout=120) for w in workers]
    t1 = time.time()
    for w, (out, err) in zip(workers, results, strict=True):
        assert w.returncode == 0, err
        assert json.loads(out)["crawl"] == "0001"  # one crawl, joined by every worker
    captured: collections.Counter[str] = collections.Counter()
    for name in names:
        coll = Collection(tmp_path / name)
        captured.update(_captures(coll.crawl_log_path("0001")))
        for warc in coll.closed_warcs():
            assert f"-0001-{name}-" in warc.name  # the worker's id in its file names
            assert read_warc(warc)[0].get("WARC-Type") == "warcinfo"
        assert not list(coll.warcs.glob("*.open"))
    assert [u for u, n in captured.items() if n > 1] == []  # none captured twice
    assert set(captured) == alone
    # How the work is shared depends on when each process gets going: on a loaded
    # machine one worker may do it all before the others start. That the others do take
    # over work is shown by test_a_killed_workers_urls_are_captured_by_the_others.
    # A recrawl by the worker that captured least: the digest index is shared, so
    # payloads the others captured are written as revisits too.
    counts = {n: len(_captures(Collection(tmp_path / n).crawl_log_path("0001")))
              for n in names}
    least = min(names, key=counts.__getitem__)
    own = counts[least]
    again = _worker(tmp_path, least, frontier)
    out, err = again.communicate(timeout=120)
    assert again.returncode == 0, err
    recrawl = json.loads(out)
    assert recrawl["crawl"] == "0002" and recrawl["revisits"] > own
    # Each worker's collection keeps its share of the crawl in its own registry, and
    # `preserve merge` makes the shares one crawl again: crawls, report and diff read it.
    for name in names:
        mine = _listed(tmp_path / name)
        assert [(c["id"], c["status"]) for c in mine][:1] == [("0001", "finished")]
        assert mine[0]["warcs"] == sorted(
            p.name for p in Collection(tmp_path / name).closed_warcs() if "-0001-" in p.name)
    status = cli("status", tmp_path / least, "--json")
    assert [c["id"] for c in json.loads(status.stdout)["crawls"]] == ["0001", "0002"]
    diff = cli("diff", tmp_path / least, "--json")
    assert diff.returncode == 0 and json.loads(diff.stdout)["to"] == "0002", diff.stderr
    merged = cli("merge", tmp_path / "merged", *(tmp_path / n for n in names))
    assert merged.returncode == 0, merged.stderr
    shares = _listed(tmp_path / "merged")
    assert [(c["id"], c["captured"]) for c in shares] == [
        ("0001", sum(captured.values())), ("0002", recrawl["captured"])]
    assert set(shares[0]["warcs"]) == {p.name for n in names for p in Collection(
        tmp_path / n).closed_warcs() if "-0001-" in p.name}
    report = cli("report", tmp_path / "merged", "--crawl", "0001", "--json")
    assert report.returncode == 0, report.stderr
    assert json.loads(report.stdout)["captures"]["records"] == sum(captured.values())
    diff = cli("diff", tmp_path / "merged", "--json")
    assert diff.returncode == 0 and json.loads(diff.stdout)["from"] == "0001", diff.stderr
    # Politeness across workers, as each server saw it: a request takes at least the
    # site's latency, so one that began sooner after the one before overlapped it.
    for site in sites:
        seen = sorted((e.time, e.path) for e in site.requests if t0 <= e.time < t1)
        assert len(seen) > 20
        overlapping = [(a, b) for a, b in zip(seen, seen[1:], strict=False)
                       if b[0] - a[0] < site.latency * 0.99]
        assert overlapping == []


@pytest.mark.slow
def test_a_killed_workers_urls_are_captured_by_the_others(
        tmp_path: Path, sites: tuple[TestSite, TestSite], alone: set[str]) -> None:
    frontier = _frontier(2)
    # The default lease (30 s), which no live worker lets lapse however loaded the
    # machine; the dead worker's is deleted once it is killed, as if it had expired.
    names = _collections(tmp_path, sites, 3)
    victim = _worker(tmp_path, names[0], frontier)
    log = Collection(tmp_path / names[0]).crawl_log_path("0001")
    deadline = time.monotonic() + 60
    while not (log.exists() and len(log.read_bytes().splitlines()) >= 5):
        assert victim.poll() is None and time.monotonic() < deadline
        time.sleep(0.01)
    others = [_worker(tmp_path, name, frontier) for name in names[1:]]
    state = RedisCrawlState(frontier, worker=names[0])
    try:
        leased = f"preserve:0001:wq:{names[0]}"
        while True:  # killed holding leases: stopped first, so none completes meanwhile
            assert victim.poll() is None and time.monotonic() < deadline
            victim.send_signal(signal.SIGSTOP)
            time.sleep(0.05)  # what it sent before it stopped reaches Redis first
            if state.client.smembers(leased):
                break
            victim.send_signal(signal.SIGCONT)
            time.sleep(0.005)
        victim.send_signal(signal.SIGKILL)
        victim.communicate(timeout=30)
        ids = list(state.client.smembers(leased))
        held = {json.loads(v)[0] for v in state.client.hmget("preserve:0001:items", ids)}
        committed = state.log_committed("0001")
        state.client.delete(f"preserve:lease:{names[0]}")  # its lease is over
    finally:
        state.close()
    assert held
    # Its collection's record of the crawl says `running`; nothing holds the lock now.
    assert [(c["id"], c["status"]) for c in _listed(tmp_path / names[0])] == [
        ("0001", "interrupted")]
    shown = cli("status", tmp_path / names[0])
    assert "crawl 0001  interrupted" in shown.stdout, shown.stdout
    assert "resume it where it ran" in shown.stdout, shown.stdout
    for w in others:
        out, err = w.communicate(timeout=120)
        assert w.returncode == 0, err
    # The victim's log up to what its state committed: the rest recovery would cut.
    captured = collections.Counter(_captures(log, committed))
    for name in names[1:]:
        coll = Collection(tmp_path / name)
        captured.update(_captures(coll.crawl_log_path("0001")))
        assert not list(coll.warcs.glob("*.open"))
    assert [u for u, n in captured.items() if n > 1] == []
    assert set(captured) == alone  # nothing lost: its leased URLs were taken by the others
    survivors = set().union(*(_captures(Collection(tmp_path / n).crawl_log_path("0001"))
                              for n in names[1:]))
    assert held <= survivors


@pytest.mark.slow
def test_a_worker_that_loses_redis_stops_in_one_line_and_resumes_when_it_is_back(
        tmp_path: Path, sites: tuple[TestSite, TestSite], alone: set[str]) -> None:
    redis_url()  # skips, saying why, without a redis-server
    server = RedisServer(tmp_path / "redis", persist=True)
    (tmp_path / "redis").mkdir()
    server.start()
    try:
        [name] = _collections(tmp_path, sites, 1)
        coll = Collection(tmp_path / name)
        worker = _worker(tmp_path, name, server.url)
        log = coll.crawl_log_path("0001")
        deadline = time.monotonic() + 60
        while not (log.exists() and len(log.read_bytes().splitlines()) >= 5):
            assert worker.poll() is None and time.monotonic() < deadline
            time.sleep(0.01)
        server.stop()  # Redis goes away mid-crawl
        out, err = worker.communicate(timeout=60)
        assert worker.returncode == 1
        assert err.startswith("preserve: error: lost the frontier ") and "Traceback" not in err
        assert len(err.strip().splitlines()) == 1
        server.start()  # back, with what it had written to its append-only file
        again = _worker(tmp_path, name, server.url)
        out, err = again.communicate(timeout=120)
        assert again.returncode == 0, err
        assert json.loads(out)["resumed"] is True
        assert not list(coll.warcs.glob("*.open"))
        captured = _captures(log)
        assert len(captured) == len(set(captured)) and set(captured) == alone
    finally:
        server.stop()


@pytest.mark.slow
def test_stop_asks_every_worker_to_finish_and_a_new_run_resumes(tmp_path: Path) -> None:
    frontier = _frontier(3)
    # Slow sites (0.25 s a response): the crawl lasts longer than `preserve` takes to start.
    with TestSite(articles=5, latency=0.25) as a, TestSite(articles=5, identity=1,
                                                           latency=0.25) as b:
        names = _collections(tmp_path, (a, b), 2)
        workers = [_worker(tmp_path, name, frontier) for name in names]
        try:
            logs = [Collection(tmp_path / n).crawl_log_path("0001") for n in names]
            state = RedisCrawlState(frontier)
            try:  # both at work: each holds a lease, and one has captured something
                deadline = time.monotonic() + 60
                while not (any(log.exists() and log.read_bytes() for log in logs)
                           and all(state.client.exists(f"preserve:lease:{n}") for n in names)):
                    for w in workers:
                        assert w.poll() is None, w.communicate()
                    assert time.monotonic() < deadline
                    time.sleep(0.01)
            finally:
                state.close()
            asked = cli("crawl", tmp_path / "elsewhere", "--frontier", frontier, "--stop")
            assert asked.returncode == 0 and "crawl 0001" in asked.stdout, asked.stderr
            for w in workers:
                out, err = w.communicate(timeout=60)
                assert w.returncode == 1, err  # stopped: resumable
                assert json.loads(out)["status"] == "interrupted"
        finally:
            for w in workers:
                if w.poll() is None:
                    w.kill()
                w.communicate()
        again = _worker(tmp_path, names[1], frontier)  # a run started after the stop
        out, err = again.communicate(timeout=120)
        assert again.returncode == 0 and json.loads(out)["status"] == "finished", err
    captured = collections.Counter(u for log in logs for u in _captures(log))
    assert [u for u, n in captured.items() if n > 1] == []
    state = RedisCrawlState(frontier)
    try:  # nothing left behind: every URL the crawl found was completed
        counts = state.open_frontier("0001").counts()
    finally:
        state.close()
    assert (counts.queued, counts.in_flight) == (0, 0)
    assert counts.done == len({u for u in captured if not u.endswith("/robots.txt")})
    none = cli("crawl", tmp_path / "elsewhere", "--frontier", frontier, "--stop")
    assert none.returncode == 2 and "no unfinished crawl" in none.stderr


@pytest.mark.slow
def test_an_unreachable_frontier_is_one_line_and_exit_2(tmp_path: Path,
                                                       shared_site: TestSite) -> None:
    redis_url()  # skips, saying why, without a redis-server
    closed = _free_port()
    result = cli("crawl", tmp_path / "c", "--seed", shared_site.url,
                 "--frontier", f"redis://127.0.0.1:{closed}/0", "--worker-id", "w1")
    assert result.returncode == 2
    assert result.stderr.startswith("preserve: error: ") and "frontier" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1 and "Traceback" not in result.stderr
    bad = cli("crawl", tmp_path / "d", "--seed", shared_site.url, "--frontier", "http://x/")
    assert bad.returncode == 2 and "redis://HOST:PORT/DB" in bad.stderr


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])
