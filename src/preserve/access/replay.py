"""Replay a collection with pywb, straight from its ``warcs/`` and ``indexes/index.cdxj``.

pywb runs as a subprocess (``python -m pywb.apps.cli``, the ``wayback`` server of the same
interpreter) in a temporary working directory that holds only its ``config.yaml`` and its
log. The config names one collection, ``REPLAY_COLLECTION``, whose ``index_paths`` is the
collection's CDXJ index and whose ``archive_paths`` is its ``warcs/`` directory: no WARC
is copied, nothing in the collection is written (a read-only collection replays), and the
temporary directory is removed when the server stops. Only closed WARCs are served, as
only they are indexed; ``*.warc.gz.open`` files still being written are counted, not read.

pywb opens ``archive_paths`` + a line's ``filename``, so an index line naming
``../../etc/passwd``, ``/etc/passwd`` or a symbolic link in ``warcs/`` would lead it
outside the collection. pywb is therefore given a checked copy of the index, in the
temporary directory: each line re-written from what ``store.cdxj`` parsed, and only
lines whose file is a plain name (``store.cdxj.confine_filename``) of a regular file
in ``warcs/``, reached through no symbolic link (``safeopen.check_in``). The lines left
out are counted in a ``Dropped``, the first of them named, given to ``on_dropped``. The
copy is made again whenever the collection's index is replaced (a crawl's last step
rebuilds it), so what a crawl beside replay captures is served once it finishes.
"""

from __future__ import annotations

import ctypes
import errno
import http.client
import importlib.util
import json
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

from ..collection import Collection
from ..errors import ExitStatus, PreserveError
from ..safeopen import Refused, check_in, open_in
from ..store.cdxj import CdxjEntry, FilenameOutside
from .links import DEFAULT_REPLAY_PORT, REPLAY_COLLECTION, replay_url

__all__ = ["ReplayError", "ReplaySource", "ReplayServer", "Dropped", "PYWB_MISSING",
           "replay_source", "pywb_installed", "confined_index"]

PYWB_MISSING = "pywb is not installed: pip install 'preserve[replay]'"
STARTUP_TIMEOUT = 60.0  # pywb imports gevent and its rewriters: seconds on a loaded machine
STOP_TIMEOUT = 10.0
_IN_USE = "Address already in use"
# pywb's archive_paths is a template ({param} is filled in, * globbed) and a path with
# "://" is taken for a URL: such a directory is given to pywb through a link instead.
_TEMPLATE_CHARS = re.compile(r"[{}*?\[\]]|://")
_VERDICTS_KEPT = 10_000  # files whose check confined_index remembers (a collection has few)
_WILDCARD = {"0.0.0.0": "127.0.0.1", "": "127.0.0.1", "::": "::1"}


class ReplayError(PreserveError):
    """The collection cannot be replayed (nothing to serve, pywb missing, the port taken)
    or pywb failed; str() is the one line for the user."""

    def __init__(self, message: str, status: ExitStatus = ExitStatus.USAGE) -> None:
        self.exit_status = status
        super().__init__(message)


@dataclass(frozen=True)
class ReplaySource:
    """What a replay serves: the collection's closed WARCs through its index."""

    collection: Collection
    closed_warcs: int
    open_warcs: int  # still being written (a crawl running or interrupted): not served
    unindexed_warcs: int  # closed after the index was last built: not served until indexed
    first_page: tuple[str, str] | None  # (14-digit timestamp, URL) of pages.jsonl's first


@dataclass(frozen=True)
class Dropped:
    """Index lines not given to pywb: how many, and the first one's number and why."""

    count: int
    first_line: int
    why: str

    def describe(self) -> str:
        more = f" (and {self.count - 1} more)" if self.count > 1 else ""
        return (f"{Collection.INDEX_REL} line {self.first_line}{more}: {self.why}; not "
                "served (`preserve verify` reports the index, `preserve index` rebuilds it)")


def confined_index(coll: Collection, out: Path) -> Dropped | None:
    """Write to ``out`` the lines of ``coll``'s index that keep pywb inside ``warcs/``
    (see the module's docstring), re-written as ``store.cdxj`` writes them; what was
    left out, or None. Raises ReplayError when the index cannot be read."""
    verdicts: dict[str, str | None] = {}  # file name -> why it is refused, or None
    count, first, first_why = 0, 0, ""
    try:
        source = open_in(coll.root, Collection.INDEX_REL)
    except Refused as e:
        raise ReplayError(f"{coll.index_path} is {e.what}; it is not read: replace it with "
                          f"the file (`preserve index {coll.root}` rebuilds it)") from e
    except OSError as e:
        raise ReplayError(f"{coll.index_path}: cannot read the index ({e.strerror})") from e
    with source as lines, out.open("w", encoding="utf-8") as sink:
        for lineno, raw in enumerate(lines, 1):
            why: str | None
            try:
                entry = CdxjEntry.from_line(raw.decode("utf-8"))
                if entry.filename not in verdicts:
                    if len(verdicts) >= _VERDICTS_KEPT:  # a hostile index names millions
                        verdicts.clear()
                    verdicts[entry.filename] = _refused(coll, entry.filename)
                why = verdicts[entry.filename]
            except FilenameOutside as e:
                why = str(e)
            except (ValueError, UnicodeDecodeError) as e:
                why = f"not a CDXJ line pywb can use ({e})"
            if why is None:
                sink.write(entry.to_line() + "\n")
                continue
            count += 1
            if count == 1:
                first, first_why = lineno, why
    return Dropped(count, first, first_why) if count else None


def _refused(coll: Collection, name: str) -> str | None:
    """Why the WARC called ``name`` is not served, or None (a missing file is served as
    missing: pywb answers that it cannot load it)."""
    try:
        check_in(coll.root, Collection.warc_rel(name))
    except Refused as e:
        return f"{e.rel} is {e.what}"
    except OSError:
        return None
    return None


def pywb_installed() -> bool:
    """Whether this interpreter can run pywb (found without importing it)."""
    try:
        return importlib.util.find_spec("pywb") is not None
    except (ImportError, ValueError):
        return False


def replay_source(coll: Collection) -> ReplaySource:
    """What ``coll`` would serve; ReplayError when there is nothing to serve."""
    closed = coll.closed_warcs()
    still_open = coll.open_warcs()
    if not closed:
        being = (f" ({len(still_open)} still being written: only closed WARCs are served; "
                 "let the crawl finish, or resume it with `preserve crawl`)"
                 if still_open else "; crawl it first with `preserve crawl`")
        raise ReplayError(f"{coll.root}: no closed WARC in {Collection.WARCS_DIR}/ to "
                          f"replay{being}")
    try:
        index = coll.index_path.stat()
    except FileNotFoundError:
        index = None
    except OSError as e:
        raise ReplayError(f"{coll.index_path}: cannot read the index ({e.strerror})") from e
    if index is None or index.st_size == 0:
        raise ReplayError(f"{coll.root}: no index of its WARCs ({Collection.INDEX_REL}); "
                          f"run `preserve index {coll.root}` first")
    unindexed = sum(1 for warc in closed if warc.stat().st_mtime > index.st_mtime)
    return ReplaySource(coll, len(closed), len(still_open), unindexed, _first_page(coll))


def _first_page(coll: Collection) -> tuple[str, str] | None:
    """The first page of ``pages/pages.jsonl`` (after its header line), if any."""
    try:
        with coll.pages_path.open(encoding="utf-8") as lines:
            for line in lines:
                try:
                    page = json.loads(line)
                except ValueError:
                    return None
                if isinstance(page, dict) and isinstance(page.get("url"), str) \
                        and isinstance(page.get("ts"), str):
                    timestamp = re.sub(r"\D", "", page["ts"])[:14]
                    if len(timestamp) == 14:
                        return timestamp, page["url"]
    except (OSError, UnicodeDecodeError):
        pass
    return None


class ReplayServer:
    """pywb serving one collection on ``host``:``port`` until stopped; a context manager.

    ``port`` 0 takes any free port. ``base`` is the server's address for a browser
    (a wildcard ``host`` such as 0.0.0.0 is reached on the loopback address).
    """

    def __init__(self, source: ReplaySource, *, host: str = "127.0.0.1",
                 port: int = DEFAULT_REPLAY_PORT,
                 startup_timeout: float = STARTUP_TIMEOUT,
                 stop_event: threading.Event | None = None,
                 on_dropped: Callable[[Dropped], None] | None = None) -> None:
        self.source = source
        # Set (by a signal handler) to stop: ends start()'s wait early and serve().
        self.stop_event = stop_event or threading.Event()
        self.host = host
        self.port = port
        self.startup_timeout = startup_timeout
        self.workdir: Path | None = None
        self.on_dropped = on_dropped  # told of index lines not given to pywb
        self._index_seen: tuple[int, int, int, int] | None = None  # what was copied
        self._proc: subprocess.Popen[bytes] | None = None

    @property
    def base(self) -> str:
        host = _WILDCARD.get(self.host, self.host)
        return f"http://{f'[{host}]' if ':' in host else host}:{self.port}"

    @property
    def collection_url(self) -> str:
        return f"{self.base}/{REPLAY_COLLECTION}/"

    @property
    def first_page_url(self) -> str | None:
        if self.source.first_page is None:
            return None
        timestamp, url = self.source.first_page
        return replay_url(self.base, timestamp, url)

    def __enter__(self) -> ReplayServer:
        self.start()
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()

    def start(self) -> None:
        """Start pywb and return once it serves the collection. ReplayError if pywb is
        missing, the port is taken, or pywb does not start. ``stop_event`` set meanwhile
        ends the wait early."""
        if not pywb_installed():
            raise ReplayError(PYWB_MISSING)
        try:
            try:
                self.workdir = Path(tempfile.mkdtemp(prefix="preserve-replay-"))
                self._write_config(self.workdir)
            except OSError as e:
                raise ReplayError(f"cannot write pywb's configuration in "
                                  f"{tempfile.gettempdir()} ({e.strerror}); set TMPDIR to a "
                                  "writable directory") from e
            chosen = self.port == 0
            for _attempt in range(3 if chosen else 1):
                self.port = _free_port(self.host) if chosen else self.port
                if not chosen:
                    _check_port(self.host, self.port)
                if self._launch() or self.stop_event.is_set():
                    return
            raise self._port_in_use()
        except BaseException:
            self.close()
            raise

    def _write_config(self, workdir: Path) -> None:
        coll = self.source.collection
        warcs, index = coll.warcs.resolve(), workdir / "index.cdxj"
        if _TEMPLATE_CHARS.search(str(warcs)):
            (workdir / "warcs").symlink_to(warcs, target_is_directory=True)
            warcs = workdir / "warcs"
        self._copy_index()
        config = {
            "enable_auto_colls": False,  # nothing but the one collection below
            "enable_memento": True,
            "collections": {REPLAY_COLLECTION: {"index_paths": str(index),
                                                "archive_paths": f"{warcs}/"}},
        }
        # JSON is YAML: every string is quoted, whatever the path holds.
        (workdir / "config.yaml").write_text(json.dumps(config, indent=2) + "\n",
                                             encoding="utf-8")

    def _index_state(self) -> tuple[int, int, int, int] | None:
        try:
            st = self.source.collection.index_path.stat(follow_symlinks=False)
        except OSError:
            return None
        return st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns

    def _copy_index(self) -> None:
        """(Re-)write pywb's checked copy of the index: a new file renamed over the old,
        so pywb reads the one or the other, whole."""
        assert self.workdir is not None
        seen = self._index_state()
        part = self.workdir / "index.cdxj.part"
        dropped = confined_index(self.source.collection, part)
        part.replace(self.workdir / "index.cdxj")
        self._index_seen = seen
        if dropped is not None and self.on_dropped is not None:
            self.on_dropped(dropped)

    def _refresh_index(self) -> None:
        """Copy the index again if it was replaced or changed since it was copied; while
        it cannot be read (being replaced, say), pywb keeps the copy it has."""
        if self.workdir is None or self._index_state() in (None, self._index_seen):
            return
        try:
            self._copy_index()
        except (ReplayError, OSError):
            pass

    def _launch(self) -> bool:
        """Start pywb and wait until it serves; False if the port was taken meanwhile."""
        assert self.workdir is not None
        log_path = self.workdir / "pywb.log"
        with log_path.open("wb") as log:
            self._proc = subprocess.Popen(
                [sys.executable, "-m", "pywb.apps.cli", "--bind", self.host,
                 "--port", str(self.port)],
                cwd=self.workdir, stdin=subprocess.DEVNULL, stdout=log,
                stderr=subprocess.STDOUT, process_group=0, preexec_fn=_die_with_parent)
        deadline = time.monotonic() + self.startup_timeout
        while time.monotonic() < deadline:
            if self.stop_event.is_set():
                return False
            if self._proc.poll() is not None:
                output = _tail(log_path)
                if _IN_USE in output:
                    self._reap()
                    return False
                raise ReplayError(f"pywb stopped while starting (exit status "
                                  f"{self._proc.returncode}): {_last_line(output)}",
                                  ExitStatus.PROBLEMS)
            home = _get_home(_WILDCARD.get(self.host, self.host), self.port)
            if home is not None:
                if f'href="/{REPLAY_COLLECTION}"' in home:
                    return True
                raise ReplayError(f"pywb started but did not load the collection: "
                                  f"{_last_line(_tail(log_path))}", ExitStatus.PROBLEMS)
            time.sleep(0.1)
        raise ReplayError(f"pywb did not answer on {self.base} within "
                          f"{self.startup_timeout:.0f} s: {_last_line(_tail(log_path))}",
                          ExitStatus.PROBLEMS)

    def _port_in_use(self) -> ReplayError:
        return ReplayError(f"port {self.port} on {self.host} is in use; choose another "
                           "with --port (--port 0: any free port)")

    def serve(self, poll_interval: float = 0.2) -> None:
        """Block until ``stop_event`` is set (by a signal handler); ReplayError (exit 1)
        if pywb stops on its own first."""
        assert self._proc is not None, "start() first"
        while not self.stop_event.wait(poll_interval):
            self._refresh_index()
            status = self._proc.poll()
            if status is not None:
                output = _tail(self.workdir / "pywb.log") if self.workdir else ""
                raise ReplayError(f"pywb stopped unexpectedly (exit status {status}): "
                                  f"{_last_line(output)}", ExitStatus.PROBLEMS)

    def close(self) -> None:
        """Stop pywb (SIGTERM, then SIGKILL) and remove the temporary directory."""
        self._reap()
        if self.workdir is not None:
            shutil.rmtree(self.workdir, ignore_errors=True)
            self.workdir = None

    def _reap(self) -> None:
        proc, self._proc = self._proc, None
        if proc is None or proc.poll() is not None:
            return
        proc.terminate()
        try:
            proc.wait(timeout=STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def _die_with_parent() -> None:
    """In the child before exec: SIGTERM it when preserve dies, even by SIGKILL (Linux's
    PR_SET_PDEATHSIG), so no orphaned pywb keeps serving the archive."""
    if sys.platform.startswith("linux"):
        try:
            ctypes.CDLL(None, use_errno=True).prctl(1, int(signal.SIGTERM), 0, 0, 0)
        except (OSError, AttributeError):
            pass  # best effort: close() still ends it on every ordinary exit


def _family(host: str) -> socket.AddressFamily:
    try:
        infos = socket.getaddrinfo(host, None, type=socket.SOCK_STREAM)
    except socket.gaierror as e:
        raise ReplayError(f"cannot listen on host {host!r} ({e.strerror}); "
                          "give an address such as 127.0.0.1") from e
    return infos[0][0]


def _free_port(host: str) -> int:
    with socket.socket(_family(host), socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def _check_port(host: str, port: int) -> None:
    """ReplayError, naming the port, if ``host``:``port`` cannot be listened on."""
    with socket.socket(_family(host), socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as pywb's gevent does
        try:
            sock.bind((host, port))
        except OSError as e:
            if e.errno == errno.EADDRINUSE:
                raise ReplayError(f"port {port} on {host} is in use; choose another with "
                                  "--port (--port 0: any free port)") from e
            raise ReplayError(f"cannot listen on {host} port {port} ({e.strerror})") from e


def _get_home(host: str, port: int) -> str | None:
    """pywb's home page, or None while nothing answers."""
    conn = http.client.HTTPConnection(host, port, timeout=2)
    try:
        conn.request("GET", "/")
        return conn.getresponse().read().decode("utf-8", "replace")
    except (OSError, http.client.HTTPException):
        return None
    finally:
        conn.close()


def _tail(path: Path, size: int = 8192) -> str:
    try:
        with path.open("rb") as f:
            f.seek(max(0, path.stat().st_size - size))
            return f.read().decode("utf-8", "replace")
    except OSError:
        return ""


def _last_line(output: str) -> str:
    lines = [line.strip() for line in output.splitlines() if line.strip()]
    return lines[-1] if lines else "no output"
