"""``RedisCrawlState``: the crawl-state seam in a Redis server, shared by many workers.

Every worker of a distributed crawl opens the same Redis database and namespace; the
queue, the seen set, the leases of in-flight URLs, per-host politeness across workers,
the robots.txt cache, the digest index, the checkpoints and the registry of crawls live
there, keyed by crawl id (docs/distributed.md draws the keys). Each change is one Lua
script, so it is atomic; a ``transaction()`` buffers its scripts and sends them as one
script call (``_BATCH``), so what it does commits whole or not at all (reads inside it
see its own writes through a small overlay).

A worker holds a lease (a key with an expiry it renews while its loop turns); a worker
whose lease expired is dead, and the next claim by any worker puts its in-flight URLs
back in the queue. A host one worker has URLs in flight for is not claimed by another,
and after it the host waits ``delay`` seconds for the others: one request at a time per
host across the cluster.

The client is the ``redis`` package; the code uses only what its 2.10 and 5.x releases
share (pywb pins 2.10.6), and scripts rather than newer commands.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from typing import Any

from ..errors import CollectionError, ConfigError, StorageError
from .crawlstate import CrawlRecord, Frontier, FrontierCounts, FrontierItem
from .warc import Original

__all__ = ["RedisCrawlState", "RedisUnavailable", "open_redis_state"]

_LEASE = 30.0  # seconds a worker's claims outlive its last sign of life
_WAIT = 0.25  # how soon a worker with nothing to claim looks again while others work
_SCORE = 10**13  # queue score: priority * _SCORE + id (priority first, then insertion)

# Keys: the namespace N (``preserve`` by default), then per crawl C the prefix "N:C:".
# Each script gets the prefix as ARGV[1] and builds its keys; a standalone Redis (or one
# hash slot per namespace in a cluster) runs them.

_REQUEUE_DEAD = f"local SCORE = {_SCORE}\n" + """
local function requeue(p, w)
  local ids = redis.call('SMEMBERS', p .. 'wq:' .. w)
  for _, id in ipairs(ids) do
    if redis.call('HGET', p .. 'st', id) == 'f' then
      local it = cjson.decode(redis.call('HGET', p .. 'items', id))
      local host = it[2]
      redis.call('HSET', p .. 'st', id, 'q')
      redis.call('HDEL', p .. 'inflight', id)
      redis.call('ZADD', p .. 'q:' .. host, it[5] * SCORE + id, id)
      redis.call('HINCRBY', p .. 'hq', host, 1)
      redis.call('HINCRBY', p .. 'counts', 'queued', 1)
      redis.call('HINCRBY', p .. 'counts', 'in_flight', -1)
      if redis.call('HINCRBY', p .. 'hcount', host, -1) <= 0 then
        redis.call('HDEL', p .. 'hcount', host)
        redis.call('HDEL', p .. 'hbusy', host)
      end
    end
  end
  redis.call('DEL', p .. 'wq:' .. w)
  redis.call('SREM', p .. 'workers', w)
end
"""

_FINISH_ITEM = """
local function leave(p, id, host, me, now, delay)
  redis.call('HDEL', p .. 'inflight', id)
  local owner = redis.call('HGET', p .. 'owner', id)
  if owner then redis.call('SREM', p .. 'wq:' .. owner, id) end
  redis.call('HDEL', p .. 'owner', id)
  redis.call('HINCRBY', p .. 'counts', 'in_flight', -1)
  if redis.call('HINCRBY', p .. 'hcount', host, -1) <= 0 then
    redis.call('HDEL', p .. 'hcount', host)
    redis.call('HDEL', p .. 'hbusy', host)
    redis.call('HSET', p .. 'hlast', host, me)
    redis.call('HSET', p .. 'hnext', host, now + delay)
  end
end
"""

# ARGV: prefix, then (id, url, host, priority, item json) per item; returns new ids.
_ADD = f"local SCORE = {_SCORE}\n" + """
local p = ARGV[1]
local new = {}
for i = 2, #ARGV, 5 do
  local id, url, host = ARGV[i], ARGV[i + 1], ARGV[i + 2]
  if redis.call('HSETNX', p .. 'seen', url, id) == 1 then
    redis.call('HSET', p .. 'items', id, ARGV[i + 4])
    redis.call('HSET', p .. 'st', id, 'q')
    redis.call('ZADD', p .. 'q:' .. host, tonumber(ARGV[i + 3]) * SCORE + id, id)
    redis.call('HINCRBY', p .. 'hq', host, 1)
    redis.call('HINCRBY', p .. 'counts', 'queued', 1)
    new[#new + 1] = id
  end
end
return new
"""

# ARGV: prefix, me, now, lease ms, limit, namespace, hosts...; returns {queued, n,
# host 1, ..., host n, id, attempts, item json, ...}: the queued count and the queued
# hosts after the claim (the crawl loop's next questions, answered in the same trip),
# then the items. The hosts are tried least recently served first (hserved: host ->
# turn), as the SQLite frontier does, so every host gets its turn.
_CLAIM = _REQUEUE_DEAD + """
local p, me, now, limit = ARGV[1], ARGV[2], tonumber(ARGV[3]), tonumber(ARGV[5])
local ns = ARGV[6]
for _, w in ipairs(redis.call('SMEMBERS', p .. 'workers')) do
  if w ~= me and redis.call('EXISTS', ns .. ':lease:' .. w) == 0 then requeue(p, w) end
end
for _, id in ipairs(redis.call('ZRANGEBYSCORE', p .. 'delayed', '-inf', now)) do
  local it = cjson.decode(redis.call('HGET', p .. 'items', id))
  redis.call('ZREM', p .. 'delayed', id)
  redis.call('ZADD', p .. 'q:' .. it[2], it[5] * SCORE + id, id)
end
local items = {}
if limit > 0 then
  redis.call('SADD', p .. 'workers', me)
  redis.call('SET', ns .. ':lease:' .. me, '1', 'PX', ARGV[4])
  local order = {}
  for i = 7, #ARGV do
    order[#order + 1] = {tonumber(redis.call('ZSCORE', p .. 'hserved', ARGV[i]) or '0'), i,
                         ARGV[i]}
  end
  table.sort(order, function(a, b) return a[1] < b[1] or (a[1] == b[1] and a[2] < b[2]) end)
  for _, o in ipairs(order) do
    local host = o[3]
    local busy = redis.call('HGET', p .. 'hbusy', host)
    if busy and busy ~= me and redis.call('EXISTS', ns .. ':lease:' .. busy) == 0 then
      busy = false  -- held by a dead worker (a robots.txt fetch it never finished)
    end
    local waits = redis.call('HGET', p .. 'hlast', host) ~= me and
      tonumber(redis.call('HGET', p .. 'hnext', host) or '0') > now
    if (not busy or busy == me) and not waits then
      local got = redis.call('ZRANGE', p .. 'q:' .. host, 0, 0)
      if #got == 1 then
        local id = got[1]
        redis.call('ZREM', p .. 'q:' .. host, id)
        if redis.call('HINCRBY', p .. 'hq', host, -1) <= 0 then
          redis.call('HDEL', p .. 'hq', host)
        end
        redis.call('HSET', p .. 'st', id, 'f')
        redis.call('HSET', p .. 'inflight', id, me)
        redis.call('HSET', p .. 'owner', id, me)
        redis.call('SADD', p .. 'wq:' .. me, id)
        redis.call('HSET', p .. 'hbusy', host, me)
        redis.call('HINCRBY', p .. 'hcount', host, 1)
        redis.call('ZADD', p .. 'hserved', redis.call('INCR', p .. 'turn'), host)
        redis.call('HINCRBY', p .. 'counts', 'queued', -1)
        redis.call('HINCRBY', p .. 'counts', 'in_flight', 1)
        items[#items + 1] = id
        items[#items + 1] = redis.call('HGET', p .. 'attempts', id) or '0'
        items[#items + 1] = redis.call('HGET', p .. 'items', id)
        if #items >= 3 * limit then break end
      end
    end
  end
end
local hosts = redis.call('HKEYS', p .. 'hq')
local out = {tonumber(redis.call('HGET', p .. 'counts', 'queued') or '0'), #hosts}
for _, h in ipairs(hosts) do out[#out + 1] = h end
for _, v in ipairs(items) do out[#out + 1] = v end
return out
"""

# ARGV: prefix, id, host, outcome, me, now, delay
_COMPLETE = _FINISH_ITEM + """
local p, id, host, outcome = ARGV[1], ARGV[2], ARGV[3], ARGV[4]
local st = redis.call('HGET', p .. 'st', id)
if st == 'f' and redis.call('HGET', p .. 'inflight', id) ~= ARGV[5] then
  return 0  -- a late worker: its lease expired and another worker holds the URL now
elseif st == 'f' then
  leave(p, id, host, ARGV[5], tonumber(ARGV[6]), tonumber(ARGV[7]))
elseif st == 'q' then
  redis.call('ZREM', p .. 'q:' .. host, id)
  redis.call('ZREM', p .. 'delayed', id)
  if redis.call('HINCRBY', p .. 'hq', host, -1) <= 0 then redis.call('HDEL', p .. 'hq', host) end
  redis.call('HINCRBY', p .. 'counts', 'queued', -1)
else
  return 0
end
redis.call('HSET', p .. 'st', id, outcome)
redis.call('HINCRBY', p .. 'counts', outcome, 1)
-- Never claimed again (the seen set keeps the URL out): its item is memory for nothing.
redis.call('HDEL', p .. 'items', id)
redis.call('HDEL', p .. 'attempts', id)
return 1
"""

# ARGV: prefix, id, host, not_before, me, now, delay
_RELEASE = _FINISH_ITEM + """
local p, id, host = ARGV[1], ARGV[2], ARGV[3]
if redis.call('HGET', p .. 'inflight', id) ~= ARGV[5] then return 0 end
leave(p, id, host, ARGV[5], tonumber(ARGV[6]), tonumber(ARGV[7]))
redis.call('HSET', p .. 'st', id, 'q')
redis.call('HINCRBY', p .. 'attempts', id, 1)
redis.call('ZADD', p .. 'delayed', ARGV[4], id)
redis.call('HINCRBY', p .. 'hq', host, 1)
redis.call('HINCRBY', p .. 'counts', 'queued', 1)
return 1
"""

_REQUEUE_MINE = _REQUEUE_DEAD + "requeue(ARGV[1], ARGV[2])\nreturn 1\n"

# ARGV: namespace, started, config, kind, after, join; returns the crawl id.
_START = """
local ns = ARGV[1]
if ARGV[6] == '1' then
  local last = redis.call('ZREVRANGE', ns .. ':unfinished', 0, 0)
  if #last == 1 and redis.call('HGET', ns .. ':crawl:' .. last[1], 'kind') == ARGV[4] then
    return last[1]
  end
end
local seq = redis.call('INCR', ns .. ':seq')
local after = tonumber(ARGV[5])
if seq <= after then
  seq = after + 1
  redis.call('SET', ns .. ':seq', seq)
end
local id = string.format('%04d', seq)
redis.call('HSET', ns .. ':crawl:' .. id, 'seq', seq)
redis.call('HSET', ns .. ':crawl:' .. id, 'started', ARGV[2])
redis.call('HSET', ns .. ':crawl:' .. id, 'status', 'running')
redis.call('HSET', ns .. ':crawl:' .. id, 'config', ARGV[3])
redis.call('HSET', ns .. ':crawl:' .. id, 'kind', ARGV[4])
redis.call('ZADD', ns .. ':unfinished', seq, id)
return id
"""

# ARGV: key, field, value...: HSET of several fields in one script (2.10 has no mapping)
_HSET = """
for i = 2, #ARGV, 2 do redis.call('HSET', ARGV[1], ARGV[i], ARGV[i + 1]) end
return 1
"""

_FINISH = """
for i = 3, #ARGV, 2 do redis.call('HSET', ARGV[1], ARGV[i], ARGV[i + 1]) end
redis.call('ZREM', ARGV[2] .. ':unfinished', string.match(ARGV[1], ':crawl:(.*)$'))
return 1
"""

_HSETNX = "return redis.call('HSETNX', ARGV[1], ARGV[2], ARGV[3])"

_SCOPE_SEED = """
if redis.call('SADD', ARGV[1] .. 'scope', ARGV[2]) == 1 then
  redis.call('RPUSH', ARGV[1] .. 'scopelist', ARGV[2])
end
return 1
"""

_CHECKPOINT = """
redis.call('HSET', ARGV[1] .. ':warcs', ARGV[3], ARGV[4])
redis.call('ZADD', ARGV[1] .. ':' .. ARGV[2] .. ':warcnames', 0, ARGV[3])
return 1
"""

# The robots.txt of a host is fetched by one worker, holding the host as for a URL, and
# once: nil when its answer is stored. ARGV: prefix, me, namespace, host; returns the
# host's first queued URL's item, or nil.
_ROBOTS_HOLD = """
local p, me, ns, host = ARGV[1], ARGV[2], ARGV[3], ARGV[4]
local got = redis.call('ZRANGE', p .. 'q:' .. host, 0, 0)
if #got == 0 then return false end
-- Stored since the worker found it missing: another worker fetched it meanwhile.
if redis.call('HEXISTS', p .. 'robots', host) == 1 then return false end
local busy = redis.call('HGET', p .. 'hbusy', host)
if busy and busy ~= me and redis.call('EXISTS', ns .. ':lease:' .. busy) == 1 then
  return false
end
if redis.call('HGET', p .. 'hrobots', host) ~= me then
  redis.call('HSET', p .. 'hrobots', host, me)
  if busy ~= me then redis.call('HDEL', p .. 'hcount', host) end
  redis.call('HSET', p .. 'hbusy', host, me)
  redis.call('HINCRBY', p .. 'hcount', host, 1)
end
return redis.call('HGET', p .. 'items', got[1])
"""

# ARGV: prefix, me, host, now, delay: the robots.txt answer is stored; the host is free.
_ROBOTS_FREE = """
local p, me, host = ARGV[1], ARGV[2], ARGV[3]
if redis.call('HGET', p .. 'hrobots', host) ~= me then return 0 end
redis.call('HDEL', p .. 'hrobots', host)
if redis.call('HINCRBY', p .. 'hcount', host, -1) <= 0 then
  redis.call('HDEL', p .. 'hcount', host)
  redis.call('HDEL', p .. 'hbusy', host)
  redis.call('HSET', p .. 'hlast', host, me)
  redis.call('HSET', p .. 'hnext', host, tonumber(ARGV[4]) + tonumber(ARGV[5]))
end
return 1
"""

_SCRIPTS = {
    "add": _ADD, "claim": _CLAIM, "complete": _COMPLETE, "release": _RELEASE,
    "requeue": _REQUEUE_MINE, "start": _START, "hset": _HSET, "finish": _FINISH,
    "scope": _SCOPE_SEED, "hsetnx": _HSETNX,
    "robots_hold": _ROBOTS_HOLD, "robots_free": _ROBOTS_FREE, "checkpoint": _CHECKPOINT,
}

# A transaction's scripts in one: ARGV is (name, argument count, arguments...) per call.
# One EVALSHA is atomic as MULTI/EXEC is, and costs one round trip where a pipeline of
# scripts costs two (the client asks SCRIPT EXISTS first); a server that lost its script
# cache answers NOSCRIPT having run nothing, and the client loads it and sends it again.
_BATCH = "local F = {}\n" + "".join(
    f"F['{name}'] = function(ARGV)\n{src}\nend\n" for name, src in _SCRIPTS.items()) + """
local i = 1
while i <= #ARGV do
  local n = tonumber(ARGV[i + 1])
  local a = {}
  for k = 1, n do a[k] = ARGV[i + 1 + k] end
  F[ARGV[i]](a)
  i = i + 2 + n
end
return 1
"""


class RedisUnavailable(StorageError):
    """The Redis server of a distributed crawl cannot be reached or answered an error."""


@dataclass
class _Pending:
    """What the open transaction wrote, for reads inside it; dropped on rollback."""

    calls: list[tuple[str, list[object]]] = field(default_factory=list)
    seen: dict[str, set[str]] = field(default_factory=dict)  # crawl -> urls
    excluded: dict[str, set[str]] = field(default_factory=dict)
    digests: dict[str, Original] = field(default_factory=dict)
    robots: dict[tuple[str, str], tuple[int, bytes]] = field(default_factory=dict)
    committed: dict[str, int] = field(default_factory=dict)
    logs: dict[str, int] = field(default_factory=dict)
    scope: dict[str, list[str]] = field(default_factory=dict)
    after: list[Callable[[], None]] = field(default_factory=list)  # run once it commits
    # crawl -> url -> noted excluded, as read with seen() (note_excluded's next question)
    hints: dict[str, dict[str, bool]] = field(default_factory=dict)


class RedisCrawlState:
    """``CrawlState`` in a Redis database, under ``namespace``, for worker ``worker``.

    ``join``: ``start`` returns the latest unfinished crawl of the same kind instead of
    numbering a new one, so workers started at the same moment share one crawl.
    """

    def __init__(self, url: str, *, namespace: str = "preserve", worker: str = "default",
                 lease: float = _LEASE, delay: float = 0.0, join: bool = False,
                 numbered: int = 0) -> None:
        import redis  # type: ignore[import-untyped]

        self.url = url
        self.ns = namespace
        self.worker = worker
        self.lease = lease
        self.delay = delay
        self.join = join
        self.numbered = numbered
        self._errors: tuple[type[BaseException], ...] = (redis.exceptions.RedisError,)
        self.client: Any = redis.StrictRedis.from_url(
            url, socket_timeout=10, socket_connect_timeout=5)
        self._scripts = {name: self.client.register_script(src)
                         for name, src in _SCRIPTS.items()}
        self._batch = self.client.register_script(_BATCH)
        self._tx: _Pending | None = None
        self._depth = 0
        self._renewed = 0.0
        self._stop_checked = 0.0
        self._stopping = False
        self._opened = 0.0  # when open_frontier was called, by Redis's clock
        try:
            self.client.ping()
        except self._errors as e:
            raise ConfigError(f"cannot reach the frontier {url} ({e}); start redis-server "
                              "there or correct --frontier", key="frontier") from e

    @contextmanager
    def _talk(self) -> Iterator[None]:
        try:
            yield
        except self._errors as e:
            raise RedisUnavailable(f"lost the frontier {self.url} ({e}); run the worker "
                                   "again when Redis is back to resume") from e

    def _run(self, name: str, args: Sequence[object]) -> Any:
        with self._talk():
            return self._scripts[name](keys=[], args=list(args))

    def _write(self, name: str, args: Sequence[object]) -> None:
        """Run a script now, or at the commit of the open transaction."""
        if self._tx is not None:
            self._tx.calls.append((name, list(args)))
        else:
            self._run(name, args)

    def _after(self, change: Callable[[], None]) -> None:
        """Make ``change`` (to what this process remembers) now, or once the open
        transaction commits; never if it rolls back."""
        if self._tx is not None:
            self._tx.after.append(change)
        else:
            change()

    def transaction(self) -> AbstractContextManager[object]:
        return self._transaction()

    @contextmanager
    def _transaction(self) -> Iterator[object]:
        outer = self._tx is None
        if outer:
            self._tx = _Pending()
        self._depth += 1
        try:
            yield self
            if outer and self._tx is not None and self._tx.calls:
                flat: list[object] = []
                for name, args in self._tx.calls:
                    flat += [name, len(args), *args]
                with self._talk():
                    self._batch(keys=[], args=flat)
            if outer and self._tx is not None:
                for after in self._tx.after:
                    after()
        finally:
            self._depth -= 1
            if outer:
                self._tx = None

    def close(self) -> None:
        with self._talk():
            self.client.connection_pool.disconnect()

    def renew(self) -> None:
        """Say this worker is alive (its lease), at most a few times per lease."""
        now = time.monotonic()
        if now - self._renewed >= self.lease / 4:
            with self._talk():
                self.client.set(f"{self.ns}:lease:{self.worker}", "1",
                                px=int(self.lease * 1000))
            self._renewed = now

    # -- stop control (preserve crawl --stop) -----------------------------------

    def request_stop(self) -> str | None:
        """Ask every worker of the unfinished crawl to finish gracefully; its id, or None."""
        current = self.unfinished()
        if current is not None:
            with self._talk():
                self.client.set(f"{self.ns}:{current.id}:stop", repr(self._server_time()))
        return None if current is None else current.id

    def _server_time(self) -> float:
        """Redis's clock: the one clock every worker's machine shares."""
        with self._talk():
            seconds, micros = self.client.time()
        return float(seconds) + float(micros) / 1e6

    def stop_requested(self, crawl: str) -> bool:
        """True once ``request_stop`` was called for ``crawl`` (asked at most twice a second)."""
        now = time.monotonic()
        if not self._stopping and now - self._stop_checked >= 0.5:
            self._stop_checked = now
            with self._talk():
                asked = self.client.get(f"{self.ns}:{crawl}:stop")
            # A stop asked before this worker opened the crawl is over: it resumes.
            self._stopping = asked is not None and float(asked) >= self._opened
        return self._stopping

    # -- crawls ---------------------------------------------------------------

    def _record(self, crawl: str) -> CrawlRecord:
        with self._talk():
            raw = self.client.hgetall(f"{self.ns}:crawl:{crawl}")
        f = {k.decode(): v.decode() for k, v in raw.items()}
        return CrawlRecord(
            id=crawl, seq=int(f["seq"]), started=f["started"], finished=f.get("finished"),
            status=f["status"], config=json.loads(f["config"]),
            summary=json.loads(f["summary"]) if "summary" in f else None,
            final=f.get("final") == "1", label=f.get("label") or None,
            kind=f.get("kind", "crawl"))

    def unfinished(self) -> CrawlRecord | None:
        with self._talk():
            last = self.client.zrevrange(f"{self.ns}:unfinished", 0, 0)
        return self._record(last[0].decode()) if last else None

    def start(self, started: str, config: dict[str, Any], kind: str = "crawl") -> CrawlRecord:
        crawl = self._run("start", [self.ns, started, json.dumps(config), kind,
                                    self.numbered, "1" if self.join else "0"])
        return self._record(crawl.decode())

    def mark(self, crawl: str, *, final: bool, label: str | None) -> None:
        args: list[object] = [f"{self.ns}:crawl:{crawl}"]
        if final:
            args += ["final", "1"]
        if label is not None:
            args += ["label", label]
        if len(args) > 1:
            self._write("hset", args)

    def finish(self, crawl: str, finished: str, status: str, summary: dict[str, Any]) -> None:
        self._write("finish", [f"{self.ns}:crawl:{crawl}", self.ns, "finished", finished,
                               "status", status, "summary", json.dumps(summary)])

    def stop(self, crawl: str, status: str, summary: dict[str, Any]) -> None:
        self._write("hset", [f"{self.ns}:crawl:{crawl}", "status", status,
                             "summary", json.dumps(summary)])

    def add_scope_seed(self, crawl: str, url: str) -> None:
        if self._tx is not None:
            self._tx.scope.setdefault(crawl, []).append(url)
        self._write("scope", [f"{self.ns}:{crawl}:", url])

    def scope_seeds(self, crawl: str) -> list[str]:
        with self._talk():
            urls = [u.decode() for u in self.client.lrange(f"{self.ns}:{crawl}:scopelist",
                                                           0, -1)]
        pending = self._tx.scope.get(crawl, []) if self._tx is not None else []
        return list(dict.fromkeys(urls + pending))

    # -- checkpoints ------------------------------------------------------------

    def checkpoint(self, crawl: str, name: str, committed: int) -> None:
        if self._tx is not None:
            self._tx.committed[name] = committed
        self._write("checkpoint", [self.ns, crawl, name, committed])

    def committed(self, name: str) -> int | None:
        if self._tx is not None and name in self._tx.committed:
            return self._tx.committed[name]
        with self._talk():
            value = self.client.hget(f"{self.ns}:warcs", name)
        return None if value is None else int(value)

    def mark_closed(self, name: str) -> None:
        self._write("hset", [f"{self.ns}:closed", name, "1"])

    def warc_names(self, crawl: str) -> list[str]:
        with self._talk():
            names = self.client.zrange(f"{self.ns}:{crawl}:warcnames", 0, -1)
        return sorted(n.decode() for n in names)

    def log_checkpoint(self, crawl: str, committed: int) -> None:
        # Each worker writes its own crawl log: its checkpoint is its own.
        if self._tx is not None:
            self._tx.logs[crawl] = committed
        self._write("hset", [f"{self.ns}:logs", f"{crawl}:{self.worker}", committed])

    def log_committed(self, crawl: str) -> int | None:
        if self._tx is not None and crawl in self._tx.logs:
            return self._tx.logs[crawl]
        with self._talk():
            value = self.client.hget(f"{self.ns}:logs", f"{crawl}:{self.worker}")
        return None if value is None else int(value)

    # -- the parts of one crawl ---------------------------------------------------

    def open_frontier(self, crawl: str) -> Frontier:
        self._opened = self._server_time()
        self._run("requeue", [f"{self.ns}:{crawl}:", self.worker])
        return RedisFrontier(self, crawl)

    def robots(self, crawl: str) -> RedisRobots:
        return RedisRobots(self, crawl)

    def digests(self, crawl: str) -> RedisDigests:
        return RedisDigests(self, crawl)


class RedisFrontier:
    """The queue, seen set and leases of one crawl (see the module's docstring).

    What the crawl loop asks on every turn is answered, where it can be, from what the
    last claim returned (the queued count and hosts) and what this worker changed since,
    so a URL costs a few round trips, not one per question (docs/distributed.md)."""

    def __init__(self, state: RedisCrawlState, crawl: str) -> None:
        self.s = state
        self.crawl = crawl
        self.p = f"{state.ns}:{crawl}:"
        self._known: set[str] = set()
        self._held = False  # hosts other workers hold were found since the last claim
        self._hosts_read: tuple[float, list[str]] | None = None  # (when, queued hosts)
        self._queued: int | None = None  # the queued count, as the last claim left it
        self._claimed: set[int] = set()  # ids this object claimed and has not left

    def _wall(self) -> float:
        return time.time()

    def _lookup(self, urls: Sequence[str], *, excluded: bool,
                reserve: int = 0) -> tuple[set[str], set[str], int]:
        """In one round trip: those of ``urls`` seen, those noted excluded (if asked),
        and the last of ``reserve`` new item ids."""
        chunks = [list(urls[n:n + 1000]) for n in range(0, len(urls), 1000)]
        with self.s._talk():
            pipe = self.s.client.pipeline(transaction=False)
            for chunk in chunks:
                pipe.hmget(self.p + "seen", chunk)
                if excluded:
                    pipe.hmget(self.p + "excluded", chunk)
            if reserve:
                pipe.incrby(self.p + "nextid", reserve)
            answers = pipe.execute()
        last = int(answers.pop()) if reserve else 0
        seen: set[str] = set()
        noted: set[str] = set()
        step = 2 if excluded else 1
        for n, chunk in enumerate(chunks):
            seen.update(u for u, v in zip(chunk, answers[step * n], strict=True)
                        if v is not None)
            if excluded:
                noted.update(u for u, v in zip(chunk, answers[step * n + 1], strict=True)
                             if v is not None)
        return seen, noted, last

    def _queue_grew(self, hosts: Iterable[str], by: int) -> None:
        """This worker queued ``by`` URLs of ``hosts``: what the last claim said, updated."""
        if self._queued is not None:
            self._queued += by
        if self._hosts_read is not None:
            listed = self._hosts_read[1]
            listed.extend(h for h in dict.fromkeys(hosts) if h not in listed)

    def _forget_reads(self) -> None:
        self._queued = None
        self._hosts_read = None

    def add(self, items: Iterable[FrontierItem]) -> list[FrontierItem]:
        fresh = {i.url: i for i in items}
        if not fresh:
            return []
        pending = self.s._tx.seen.get(self.crawl, set()) if self.s._tx else set()
        seen, _, last = self._lookup(list(fresh), excluded=False, reserve=len(fresh))
        self._known.update(seen)  # found by other workers: seen for good
        for url in seen | (pending & fresh.keys()):
            del fresh[url]
        if not fresh:
            return []
        first = last - len(fresh) + 1  # ids of URLs already seen are not used: gaps
        added = [FrontierItem(i.url, i.host, i.hops, i.via, i.priority, 0, first + n)
                 for n, i in enumerate(fresh.values())]
        args: list[object] = [self.p]
        for i in added:
            args += [i.id, i.url, i.host, i.priority,
                     json.dumps([i.url, i.host, i.hops, i.via, i.priority])]
        if self.s._tx is not None:
            self.s._tx.seen.setdefault(self.crawl, set()).update(fresh)
        urls = list(fresh)
        self.s._after(lambda: self._known.update(urls))
        self.s._after(lambda: self._queue_grew([i.host for i in added], len(added)))
        self.s._write("add", args)
        return added

    def claim(self, ready: Callable[[str], bool], limit: int, now: float) -> list[FrontierItem]:
        self.s.renew()
        # The hosts the last claim or queued_hosts() read, if recent (a host another
        # worker queued since waits for the next claim, which reads them again).
        hosts = [h for h in self._listed() if ready(h)]
        got = self.s._run("claim", [self.p, self.s.worker, now, int(self.s.lease * 1000),
                                    limit if hosts else 0, self.s.ns, *hosts])
        self._queued = int(got[0])
        n = int(got[1])
        self._hosts_read = (time.monotonic(), [h.decode() for h in got[2:2 + n]])
        rest = got[2 + n:]
        ids = [int(v) for v in rest[0::3]]
        attempts = [int(v) for v in rest[1::3]]
        # Hosts ready here but held by other workers (or waiting their delay after one):
        # earliest() says "soon", not "now", so the loop does not spin on Redis.
        if ids:
            self._held = False
        elif hosts and limit > 0:
            self._held = True
        out = []
        for id_, k, data in zip(ids, attempts, rest[2::3], strict=True):
            url, host, hops, via, priority = json.loads(data)
            out.append(FrontierItem(url, host, hops, via, priority, k, id_))
            self._claimed.add(id_)
        return out

    def _leave(self, name: str, item: FrontierItem, value: object) -> None:
        if item.id:
            self.s._write(name, [self.p, item.id, item.host, value, self.s.worker,
                                 self._wall(), self.s.delay])

    def complete(self, item: FrontierItem, outcome: str) -> None:
        if item.id in self._claimed:
            self._claimed.discard(item.id)  # the queue is as it was
        else:
            self.s._after(self._forget_reads)  # a queued URL completed: ask again
        self._leave("complete", item, outcome)

    def release(self, item: FrontierItem, not_before: float) -> None:
        self._claimed.discard(item.id)
        self.s._after(lambda: self._queue_grew([item.host], 1))
        self._leave("release", item, not_before)

    def _hosts(self) -> list[str]:
        with self.s._talk():
            hosts = [h.decode() for h in self.s.client.hkeys(self.p + "hq")]
        self._hosts_read = (time.monotonic(), hosts)
        return hosts

    def _listed(self) -> list[str]:
        """The queued hosts: as last read if that was recent and found some (an empty
        list is asked again: the crawl may be over), else read now."""
        read = self._hosts_read
        if read is not None and read[1] and time.monotonic() - read[0] < _WAIT:
            return read[1]
        return self._hosts()

    def _others_working(self) -> bool:
        with self.s._talk():
            pipe = self.s.client.pipeline(transaction=False)
            pipe.hget(self.p + "counts", "in_flight")
            pipe.scard(f"{self.p}wq:{self.s.worker}")
            total, mine = pipe.execute()
        return int(total or 0) > int(mine or 0)

    def earliest(self) -> float | None:
        self.s.renew()
        with self.s._talk():
            pipe = self.s.client.pipeline(transaction=False)
            pipe.hget(self.p + "counts", "queued")
            pipe.zcard(self.p + "delayed")
            pipe.zrange(self.p + "delayed", 0, 0, withscores=True)
            queued, delayed, first = pipe.execute()
        if int(queued or 0) > int(delayed or 0):
            return self._wall() + _WAIT / 5 if self._held else 0.0
        if first:
            return float(first[0][1])
        # Nothing queued, but another worker's URLs may yet add more, or come back to
        # the queue if it dies: look again soon rather than finish.
        return self._wall() + _WAIT if self._others_working() else None

    def queued_hosts(self) -> Sequence[str]:
        self.s.renew()
        hosts = list(self._listed())
        if not hosts and self._others_working():
            return [""]  # no host: nothing to claim or fetch robots.txt for, yet not done
        return hosts

    def pending(self) -> int:
        # For progress displays: what the last claim counted, with this worker's changes
        # since (other workers' show at the next claim).
        if self._queued is None:
            with self.s._talk():
                self._queued = int(self.s.client.hget(self.p + "counts", "queued") or 0)
        return self._queued

    def sample(self, host: str) -> str | None:
        """A queued URL of ``host``; the crawl loop asks only to fetch the host's
        robots.txt, so the host is held for this worker until its answer is stored
        (``RedisRobots.put``), and None while another worker holds it."""
        if not host:
            return None
        self.s.renew()
        data = self.s._run("robots_hold", [self.p, self.s.worker, self.s.ns, host])
        if data is None:
            self._held = True  # another worker fetches it: look again soon, not at once
            return None
        url: str = json.loads(data)[0]
        return url

    def counts(self) -> FrontierCounts:
        with self.s._talk():
            raw = self.s.client.hgetall(self.p + "counts")
        c = {k.decode(): int(v) for k, v in raw.items()}
        return FrontierCounts(c.get("queued", 0), c.get("in_flight", 0), c.get("done", 0),
                              c.get("failed", 0), c.get("blocked", 0))

    def note_excluded(self, url: str, reason: str) -> bool:
        # The crawl loop asks seen() for the URLs it is about to note, in the same
        # transaction: that round trip also read whether they were noted.
        tx = self.s._tx
        if tx is not None and url in tx.excluded.get(self.crawl, ()):
            return False
        hint = tx.hints.get(self.crawl, {}).get(url) if tx is not None else None
        if hint if hint is not None else self.excluded([url]):
            return False
        if self.s._tx is not None:
            self.s._tx.excluded.setdefault(self.crawl, set()).add(url)
        self.s._write("hset", [self.p + "excluded", url, reason])
        return True

    def excluded(self, urls: Sequence[str]) -> set[str]:
        pending = self.s._tx.excluded.get(self.crawl, set()) if self.s._tx else set()
        return self._lookup(urls, excluded=True)[1] | (pending & set(urls))

    def seen(self, urls: Sequence[str]) -> set[str]:
        pending = self.s._tx.seen.get(self.crawl, set()) if self.s._tx else set()
        found, noted, _ = self._lookup(urls, excluded=True)
        self._known.update(found)
        if self.s._tx is not None:
            self.s._tx.hints.setdefault(self.crawl, {}).update({u: u in noted for u in urls})
        return found | (pending & set(urls))

    def known(self, url: str) -> bool:
        # From memory: what this object added and committed (or adds in the open
        # transaction); other workers' URLs are "not known here" (``seen`` asks Redis).
        pending = self.s._tx.seen.get(self.crawl, ()) if self.s._tx is not None else ()
        return url in self._known or url in pending


class RedisRobots:
    def __init__(self, state: RedisCrawlState, crawl: str) -> None:
        self.s = state
        self.crawl = crawl
        self.key = f"{state.ns}:{crawl}:robots"

    def get(self, host: str) -> tuple[int, bytes] | None:
        if self.s._tx is not None and (self.crawl, host) in self.s._tx.robots:
            return self.s._tx.robots[(self.crawl, host)]
        with self.s._talk():
            value = self.s.client.hget(self.key, host)
        if value is None:
            return None
        status, _, body = bytes(value).partition(b"\n")
        return int(status), body

    def put(self, host: str, status: int, body: bytes) -> None:
        if self.s._tx is not None:
            self.s._tx.robots[(self.crawl, host)] = (status, body)
        self.s._write("hset", [self.key, host, f"{status}\n".encode() + body])
        self.s._write("robots_free", [f"{self.s.ns}:{self.crawl}:", self.s.worker, host,
                                      time.time(), self.s.delay])


class RedisDigests:
    """Payload digest -> first capture, shared by every crawl and worker of the namespace."""

    def __init__(self, state: RedisCrawlState, crawl: str) -> None:
        self.s = state
        self.key = f"{state.ns}:digests"

    def lookup(self, payload_digest: str) -> Original | None:
        if self.s._tx is not None and payload_digest in self.s._tx.digests:
            return self.s._tx.digests[payload_digest]
        with self.s._talk():
            value = self.s.client.hget(self.key, payload_digest)
        return None if value is None else Original(*json.loads(value))

    def add(self, payload_digest: str, original: Original) -> None:
        value = json.dumps([original.uri, original.date, original.record_id])
        if self.s._tx is not None:
            self.s._tx.digests.setdefault(payload_digest, original)
        self.s._write("hsetnx", [self.key, payload_digest, value])


def open_redis_state(url: str, *, worker: str, lease: float = _LEASE,
                     delay: float = 0.0) -> Callable[[Any], RedisCrawlState]:
    """A ``CrawlStateFactory`` for workers of one distributed crawl (they join it)."""

    def factory(coll: Any) -> RedisCrawlState:
        # Crawl numbers of the worker's collection are not used again (as in SQLite's).
        numbers = [int(n) for n in coll.crawl_logs()]
        state = RedisCrawlState(url, worker=worker, lease=lease, delay=delay, join=True,
                                numbered=max(numbers, default=0))
        try:
            _check_remembered(state, coll)
        except BaseException:
            state.close()
            raise
        return state

    return factory


def _check_remembered(state: RedisCrawlState, coll: Any) -> None:
    """A Redis that lost its data (restarted without persistence, flushed) does not know
    the collection's ``.open`` WARCs: recovery would take their records for uncommitted
    ones and cut them all. Refuse, so nothing captured is lost."""
    unknown = [p.name for p in coll.open_warcs()
               if state.committed(p.name.removesuffix(".open")) is None]
    with state._talk():
        forgot = not state.client.exists(f"{state.ns}:seq")
    if unknown and forgot:
        raise CollectionError(
            f"the frontier {state.url} holds no crawl, but warcs/{unknown[0]} is unfinished "
            "(was Redis restarted without persistence?); recovery would cut its records, "
            "so nothing was done: move the .open file(s) out of warcs/ to keep them, or use "
            "the Redis that holds the crawl", coll.root)
