"""Live HTTP fetching with requests, recording the exact bytes at the connection level.

``requests`` does the HTTP (pooling, TLS, timeouts); our connection class records the
request bytes as ``send()`` writes them and tees every byte ``http.client`` consumes
from the socket, so the response record holds the status line, the headers in their
order and case, chunked framing and content coding exactly as they came off the wire.
Nothing is patched globally: the recording lives in a transport adapter mounted on
each worker's own Session, so concurrent crawls and other code are unaffected.
"""

from __future__ import annotations

import functools
import http.client
import io
import socket
import ssl
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, Protocol

import requests
import urllib3
from requests.adapters import HTTPAdapter
from requests.cookies import extract_cookies_to_jar
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

from ..web.exchange import Exchange, FetchFailure, FetchResult, ResponseBlock, TlsInfo
from .addresses import AddressPolicy, BlockedAddress
from .cookies import BoundedJar
from .tls import TlsPolicy, cipher_name, peer_chain, tls_version, verify_error

__all__ = ["Fetcher", "HttpFetcher", "FetchLimits"]

_PARSED_TYPES = (
    "text/html", "application/xhtml+xml", "text/css", "text/xml", "application/xml",
    "application/rss+xml", "application/atom+xml", "text/plain", "application/x-gzip",
    "application/gzip", "application/octet-stream",
)


class Fetcher(Protocol):
    """Where bytes come from. Thread-safe: workers call fetch() concurrently."""

    def fetch(self, url: str, *, referer: str | None = None) -> FetchResult: ...

    def close(self) -> None: ...


class FetchLimits:
    """``timeout`` bounds each connect and each read from the socket; ``max_time`` is the
    wall-clock deadline of the whole fetch (connect, TLS, headers, body), which a server
    trickling bytes cannot stretch: every read waits at most for the time left."""

    def __init__(
        self,
        *,
        timeout: float = 30.0,
        max_response_size: int = 100_000_000,
        parse_limit: int = 20_000_000,
        max_time: float = 120.0,
    ) -> None:
        self.timeout = timeout
        self.max_response_size = max_response_size
        self.parse_limit = parse_limit
        self.max_time = max_time


class _Deadline:
    """The moment (on the monotonic clock) by which one fetch must be over."""

    def __init__(self, at: float, timeout: float) -> None:
        self.at = at
        self.timeout = timeout
        self.expired = False

    def left(self) -> float:
        return self.at - time.monotonic()


class _DeadlineIO(io.RawIOBase):
    """The socket under http.client's buffer, read with the deadline in force.

    Before each ``recv`` the socket's timeout is set to the time left (or the per-read
    timeout, if shorter), so no read, however slowly the server trickles, outlasts the
    deadline. Once it has passed, reads return end of file: http.client then hands up
    whatever it has, every byte of which the tee above has recorded.
    """

    def __init__(self, raw: Any, sock: socket.socket, deadline: _Deadline) -> None:
        super().__init__()
        self._raw = raw
        self._sock = sock
        self._deadline = deadline

    def readable(self) -> bool:
        return True

    def readinto(self, buf: Any) -> int:
        deadline = self._deadline
        left = deadline.left()
        if deadline.expired or left <= 0:
            deadline.expired = True
            return 0
        wait = min(deadline.timeout, left)
        if wait != self._sock.gettimeout():  # setting it is a system call, even unchanged
            self._sock.settimeout(wait)
        try:
            n: int | None = self._raw.readinto(buf)
        except TimeoutError:
            if deadline.left() > 0:
                raise
            deadline.expired = True
            return 0
        return n or 0

    def close(self) -> None:
        if not self.closed:
            self._raw.close()
        super().close()


class _Tee:
    """Wraps the socket file of one response; every byte http.client consumes is copied."""

    def __init__(self, fp: Any, sink: ResponseBlock) -> None:
        self._fp = fp
        self._sink = sink

    def readline(self, limit: int = -1) -> bytes:
        data: bytes = self._fp.readline(limit)
        self._sink.write(data)
        return data

    def read(self, n: int | None = -1) -> bytes:
        data: bytes = self._fp.read(n)
        self._sink.write(data)
        return data

    def read1(self, n: int = -1) -> bytes:
        data: bytes = self._fp.read1(n)
        self._sink.write(data)
        return data

    def readinto(self, buf: Any) -> int:
        n: int = self._fp.readinto(buf)
        if n:
            self._sink.write(memoryview(buf)[:n])
        return n

    def __getattr__(self, name: str) -> Any:  # peek, close, closed, fileno, flush
        return getattr(self._fp, name)


class _Wire:
    """What one request/response pair looked like on the wire."""

    def __init__(self, deadline: _Deadline, tls: TlsInfo | None) -> None:
        self.sent = bytearray()
        self.block = ResponseBlock()
        self.peer: str | None = None
        self.deadline = deadline
        self.tls = tls


class _HeaderDeadline(http.client.HTTPException):
    """The deadline passed before the final response header was complete."""


# The wire of the request under way in this thread, so that a fetch that fails before a
# response object exists can still release the wire's spool file.
_in_flight = threading.local()


class _RecordingResponse(http.client.HTTPResponse):
    def __init__(self, sock: socket.socket, *args: Any, wire: _Wire, **kwargs: Any) -> None:
        super().__init__(sock, *args, **kwargs)
        # The SocketIO that makefile() made stays underneath (it holds the socket open
        # after the connection hands it over); nothing has been read into the buffer yet.
        raw = self.fp.detach()
        reader = io.BufferedReader(_DeadlineIO(raw, sock, wire.deadline))
        self.fp = _Tee(reader, wire.block)  # type: ignore[assignment]
        self._wire = wire

    def begin(self) -> None:
        super().begin()
        if self._wire.deadline.expired:
            # End of file stood in for the rest: what looks like a header is cut short.
            raise _HeaderDeadline()
        self._wire.block.mark_headers_end()


def _refuse_before_connecting(policy: AddressPolicy, host: str, port: int) -> None:
    """BlockedAddress if no address ``host`` resolves to may be connected to.

    Checked before the connection is attempted, so not even a SYN reaches a private
    address; the peer is checked again once connected, as the name may resolve
    differently the second time.
    """
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError):
        return  # the connection attempt itself reports the resolution failure
    addresses = [str(info[4][0]) for info in infos]
    if addresses and not any(policy.permits(a) for a in addresses):
        raise BlockedAddress(addresses[0])


class _RecordingMixin:
    """Records sent bytes, tees received bytes, and checks the peer address."""

    preserve_policy: AddressPolicy | None = None
    preserve_tls: TlsInfo | None = None
    sock: socket.socket | None
    port: int
    _dns_host: str
    _wire: _Wire | None = None
    _peer: str | None = None

    def _new_conn(self) -> socket.socket:
        if self.preserve_policy is not None:
            _refuse_before_connecting(self.preserve_policy, self._dns_host, self.port)
        sock: socket.socket = super()._new_conn()  # type: ignore[misc]
        peer = str(sock.getpeername()[0])
        if self.preserve_policy is not None and not self.preserve_policy.permits(peer):
            sock.close()
            raise BlockedAddress(peer)
        self._peer = peer
        return sock

    def request(self, *args: Any, **kwargs: Any) -> None:
        wire = _Wire(_in_flight.deadline, self.preserve_tls)
        self._wire = wire
        _in_flight.wire = wire
        self.response_class = functools.partial(_RecordingResponse, wire=wire)
        super().request(*args, **kwargs)  # type: ignore[misc]

    def send(self, data: Any) -> None:
        if self._wire is not None and isinstance(data, bytes | bytearray | memoryview):
            self._wire.sent += data
        super().send(data)  # type: ignore[misc]

    def getresponse(self) -> Any:
        response = super().getresponse()  # type: ignore[misc]
        wire = self._wire
        if wire is not None:
            wire.peer = self._peer
        response.preserve_wire = wire
        return response


class _RecordingHTTPConnection(_RecordingMixin, HTTPConnection):  # type: ignore[misc]
    pass


class _RecordingHTTPSConnection(_RecordingMixin, HTTPSConnection):  # type: ignore[misc]
    """Connects with the crawl's trust; in record mode, again unverified if that fails."""

    preserve_trust: TlsPolicy

    def connect(self) -> None:
        trust = self.preserve_trust
        # Our contexts, not requests' per-connection CA loading (which would add certifi
        # to a bundle the archivist chose, and parse it on every connection).
        self.ca_certs = self.ca_cert_dir = self.ca_cert_data = None
        self.assert_hostname = None
        self.ssl_context, self.cert_reqs = trust.verified, ssl.CERT_REQUIRED
        try:
            super().connect()
        except ssl.SSLCertVerificationError as e:
            if trust.unverified is None:
                raise
            error = verify_error(e)
            self.ssl_context, self.cert_reqs = trust.unverified, ssl.CERT_NONE
            super().connect()  # a new socket: the address policy applies again
            self.preserve_tls = TlsInfo(tls_version(self.sock), cipher_name(self.sock),
                                        verified=False, error=error,
                                        chain=peer_chain(self.sock))
            return
        self.preserve_tls = TlsInfo(tls_version(self.sock), cipher_name(self.sock))


class _RecordingHTTPSPool(HTTPSConnectionPool):
    def _validate_conn(self, conn: Any) -> None:
        # As urllib3 does, less its InsecureRequestWarning: an unverified connection is
        # made only in record mode, on purpose, and recorded with every exchange.
        HTTPConnectionPool._validate_conn(self, conn)
        if conn.is_closed:
            conn.connect()


class _RecordingAdapter(HTTPAdapter):
    def __init__(self, policy: AddressPolicy | None, trust: TlsPolicy,
                 pool_maxsize: int) -> None:
        self._policy = policy
        self._trust = trust
        super().__init__(pool_connections=16, pool_maxsize=pool_maxsize, max_retries=0)

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        policy = self._policy
        http_conn = type("Conn", (_RecordingHTTPConnection,), {"preserve_policy": policy})
        https_conn = type("Conn", (_RecordingHTTPSConnection,),
                          {"preserve_policy": policy, "preserve_trust": self._trust})
        http_pool = type("Pool", (HTTPConnectionPool,), {"ConnectionCls": http_conn})
        https_pool = type("Pool", (_RecordingHTTPSPool,), {"ConnectionCls": https_conn})
        self.poolmanager.pool_classes_by_scheme = {"http": http_pool, "https": https_pool}


def _find(exc: BaseException | None, kind: type[BaseException]) -> BaseException | None:
    seen: set[int] = set()
    stack = [exc]
    while stack:
        e = stack.pop()
        if e is None or id(e) in seen:
            continue
        seen.add(id(e))
        if isinstance(e, kind):
            return e
        stack.extend([e.__cause__, e.__context__])
        stack.extend(a for a in getattr(e, "args", ()) if isinstance(a, BaseException))
        reason = getattr(e, "reason", None)
        if isinstance(reason, BaseException):
            stack.append(reason)
    return None


def _classify(exc: BaseException) -> tuple[str, str]:
    blocked = _find(exc, BlockedAddress)
    if blocked is not None:
        return "blocked-address", str(blocked)
    unverified = _find(exc, ssl.SSLCertVerificationError)
    if isinstance(unverified, ssl.SSLCertVerificationError):
        return "tls", verify_error(unverified)
    broken = _find(exc, ssl.SSLError)
    if isinstance(broken, ssl.SSLError) and not isinstance(
        broken, ssl.SSLEOFError | ssl.SSLZeroReturnError
    ):
        return "tls", f"TLS handshake failed: {broken.reason or broken}"
    if _find(exc, urllib3.exceptions.NameResolutionError) or _find(exc, socket.gaierror):
        return "dns", "host name could not be resolved"
    if _find(exc, ConnectionResetError) or _find(exc, BrokenPipeError):
        return "reset", "connection reset by peer"
    if isinstance(exc, requests.exceptions.ConnectTimeout):
        return "timeout", "connect timed out"
    if _find(exc, TimeoutError) or _find(exc, socket.timeout) or isinstance(
        exc, requests.exceptions.Timeout | urllib3.exceptions.ReadTimeoutError
    ):
        return "timeout", "read timed out"
    if _find(exc, ConnectionRefusedError):
        return "connect", "connection refused"
    if isinstance(exc, requests.exceptions.ConnectionError):
        if _find(exc, http.client.RemoteDisconnected) or _find(exc, http.client.IncompleteRead):
            return "protocol", "server closed the connection before the response was complete"
        if _find(exc, urllib3.exceptions.ProtocolError):
            # http.client's own reason ("got more than 100 headers"), not the repr of
            # urllib3's ("Connection aborted.", HTTPException(...)) tuple around it.
            return "protocol", _short(_find(exc, http.client.HTTPException) or exc)
        return "connect", _short(exc)
    if isinstance(exc, requests.exceptions.InvalidURL | requests.exceptions.InvalidSchema):
        return "invalid-url", _short(exc)
    if _find(exc, http.client.IncompleteRead) or _find(exc, urllib3.exceptions.ProtocolError):
        return "protocol", "server closed the connection before the response was complete"
    return "protocol", _short(exc)


_HTTP_VERSIONS = {9: "http/0.9", 10: "http/1.0", 11: "http/1.1", 20: "h2"}


def _bad_chunk_size(exc: BaseException, transfer_encoding: str | None) -> bool:
    """A chunk-size line that is no hex number ("zz") or a negative one ("-10"):
    http.client reports the first as the connection closing early (IncompleteRead, from
    the ValueError of parsing it) and the second as a read of a negative length."""
    chunked = "chunked" in (transfer_encoding or "").lower()
    return chunked and _find(exc, ValueError) is not None


def _header_deadline(limits: FetchLimits, wire: _Wire) -> str:
    return (f"no complete response header within the {limits.max_time:g}s fetch deadline "
            f"({wire.block.length} bytes received)")


def _short(exc: BaseException) -> str:
    text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    return text[:300]


class HttpFetcher:
    """Fetches over HTTP(S) with one pooled requests Session per worker thread."""

    def __init__(
        self,
        user_agent: str,
        *,
        limits: FetchLimits | None = None,
        policy: AddressPolicy | None = None,
        tls: TlsPolicy | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.user_agent = user_agent
        self.limits = limits or FetchLimits()
        self.policy = policy
        self.tls = tls or TlsPolicy()
        self.clock = clock
        self._local = threading.local()
        self._sessions: list[requests.Session] = []
        self._lock = threading.Lock()

    def _session(self) -> tuple[requests.Session, _RecordingAdapter]:
        """This thread's session and its adapter."""
        session: requests.Session | None = getattr(self._local, "session", None)
        if session is None:
            session = requests.Session()
            session.trust_env = False  # no proxies or netrc from the environment
            session.cookies = BoundedJar()
            adapter = _RecordingAdapter(self.policy, self.tls, pool_maxsize=4)
            session.mount("http://", adapter)
            session.mount("https://", adapter)
            session.headers.clear()
            session.headers.update(
                {
                    "User-Agent": self.user_agent,
                    "Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
                    "Accept-Encoding": "gzip, deflate",
                    "Connection": "keep-alive",
                }
            )
            self._local.session = session
            self._local.adapter = adapter
            with self._lock:
                self._sessions.append(session)
        return session, self._local.adapter

    def fetch(self, url: str, *, referer: str | None = None) -> FetchResult:
        date = self.clock()
        started = time.monotonic()
        limits = self.limits
        deadline = _Deadline(started + limits.max_time, limits.timeout)
        _in_flight.wire = None
        _in_flight.deadline = deadline
        try:
            session, adapter = self._session()
            # Prepared here rather than by Session.request, whose merging of settings
            # (proxies, auth, hooks from the environment, which trust_env=False disables
            # anyway) costs more CPU than the rest of the fetch; headers and cookies are
            # the session's, as Session.request would send them. A GET has no body.
            headers = dict(session.headers)
            if referer:
                headers["Referer"] = referer
            jar = session.cookies
            prepared = requests.PreparedRequest()
            prepared.prepare_method("GET")
            prepared.prepare_url(url, None)
            prepared.prepare_headers(headers)
            if len(jar):  # an empty jar adds no Cookie header
                prepared.prepare_cookies(jar)
            prepared.prepare_auth(None, url)  # credentials in the URL, as requests sends them
            connect = max(0.001, min(limits.timeout, deadline.left()))
            # Through the adapter, not Session.send: no proxies (trust_env is off and none
            # are set), no hooks, no redirects followed or prepared (each is a capture of
            # its own). The response's cookies go to the session's jar, as Session.send
            # puts them; a response without Set-Cookie has none to give.
            resp = adapter.send(
                prepared,
                stream=True,
                timeout=(connect, limits.timeout),
                verify=False,  # the connection class verifies, with the crawl's TlsPolicy
                proxies={},
            )
            raw_headers = resp.raw.headers
            if "set-cookie" in raw_headers or "set-cookie2" in raw_headers:
                extract_cookies_to_jar(jar, prepared, resp.raw)
            if session.get_redirect_target(resp):
                # As Session.send does with a redirect it does not follow (to prepare the
                # next request): the body is read and the connection released here, so
                # the loop below finds no entity to keep.
                try:
                    resp.content  # noqa: B018
                except (requests.exceptions.ChunkedEncodingError,
                        requests.exceptions.ContentDecodingError, RuntimeError):
                    resp.raw.read(decode_content=False)
                resp.close()
        except Exception as exc:  # requests raises a wide tree; every one is a failure record
            failed: _Wire | None = getattr(_in_flight, "wire", None)
            if failed is not None:
                failed.block.close()
                if failed.deadline.expired:
                    return FetchFailure(url, "deadline", _header_deadline(limits, failed),
                                        date, time.monotonic() - started)
            kind, message = _classify(exc)
            return FetchFailure(url, kind, message, date, time.monotonic() - started)

        wire: _Wire | None = getattr(resp.raw, "preserve_wire", None)
        if wire is None:  # not our connection class: a defect, not a network condition
            resp.close()
            raise RuntimeError("response was not recorded by preserve's transport adapter")
        block = wire.block
        mime = (resp.headers.get("content-type") or "").split(";", 1)[0].strip().lower()
        keep = mime.startswith(_PARSED_TYPES) or not mime
        entity = bytearray()
        truncated: str | None = None
        try:
            while True:
                chunk = resp.raw.read(1 << 16, decode_content=False)
                if not chunk:
                    break
                if keep:
                    if len(entity) + len(chunk) <= limits.parse_limit:
                        entity += chunk
                    else:
                        keep = False
                        entity = bytearray()
                if block.payload_length > limits.max_response_size:
                    truncated = "length"
                    break
                if deadline.expired:
                    break
        except Exception as exc:
            if not deadline.expired:  # a deadline ends reads early; anything else failed
                resp.raw.close()
                resp.close()
                block.close()
                kind, message = _classify(exc)
                if _bad_chunk_size(exc, resp.headers.get("transfer-encoding")):
                    kind, message = "protocol", "invalid chunk size in a chunked body"
                return FetchFailure(url, kind, message, date, time.monotonic() - started)
        if deadline.expired and truncated is None:
            truncated = "time"
        if truncated:
            resp.raw.close()  # drop the connection: the rest of the body is still in flight
        resp.close()
        return Exchange(
            url=url,
            method="GET",
            date=date,
            request=bytes(wire.sent),
            response=block,
            status=resp.status_code,
            reason=resp.reason or "",
            headers=list(resp.raw.headers.items()),
            ip=wire.peer,
            duration=time.monotonic() - started,
            truncated=truncated,
            entity=bytes(entity) if keep and not truncated else None,
            http_version=_HTTP_VERSIONS.get(resp.raw.version),
            tls=wire.tls,
        )

    def close(self) -> None:
        with self._lock:
            for session in self._sessions:
                session.close()
            self._sessions.clear()
