"""HTTPS as archivists need it, against real TLS servers on 127.0.0.1 (issue #13).

Three servers answer with the same exact bytes: one with a certificate from a test CA
(trustme), one self-signed, one expired. ``strict`` (the default) refuses the last two
with a ``tls`` failure that is never retried; ``record`` captures them and says so in a
metadata record, the crawl log, the events and warcinfo.
"""

from __future__ import annotations

import base64
import datetime as dt
import ipaddress
import os
import socket
import ssl
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import trustme
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from helpers_crawl import WarcRecord, cli, crawl, jsonl, read_warc, tool
from helpers_socket import LoopbackServer, request_heads, request_path
from preserve.capture.addresses import AddressPolicy
from preserve.capture.fetcher import FetchLimits, HttpFetcher
from preserve.capture.tls import TlsPolicy
from preserve.web.exchange import Exchange, FetchFailure

pytestmark = pytest.mark.slow  # TLS servers and crawls over them

PAGE = (b"<html><head><title>Mairi Campbell MEP</title></head><body>"
        b'<a href="/news">news</a></body></html>')
NEWS = b"<html><head><title>News</title></head><body>nothing new</body></html>"


def _response(body: bytes, ctype: bytes = b"text/html; charset=utf-8") -> bytes:
    return (b"HTTP/1.1 200 OK\r\ncontent-type: " + ctype + b"\r\nX-Odd:  spaced \r\n"
            b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body)


RESPONSES = {
    b"/": _response(PAGE),
    b"/news": _response(NEWS),
    b"/robots.txt": _response(b"User-agent: *\nAllow: /\n", b"text/plain"),
}
NOT_FOUND = b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n"


class TlsServer(LoopbackServer):
    """Answers over TLS with canned bytes; keep-alive; records the requests it read."""

    scheme = "https"

    def __init__(self, cert_pem: bytes, key_pem: bytes, tmp: Path) -> None:
        chain, key = tmp / "chain.pem", tmp / "key.pem"
        chain.write_bytes(cert_pem)
        key.write_bytes(key_pem)
        self.context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.context.load_cert_chain(chain, key)
        self.requests: list[bytes] = []
        super().__init__()

    def handle(self, raw: socket.socket) -> None:
        raw.settimeout(10)
        try:
            conn = self.context.wrap_socket(raw, server_side=True)
        except OSError:
            raw.close()  # the client refused our certificate
            return
        with conn:
            for head in request_heads(conn):
                self.requests.append(head)
                path = request_path(head)
                try:
                    if path == b"/trickle":
                        self._trickle(conn)
                    conn.sendall(RESPONSES.get(path, NOT_FOUND))
                except OSError:
                    return

    def _trickle(self, conn: ssl.SSLSocket) -> None:
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 2000000000\r\n\r\n")
        for _ in range(600):
            conn.sendall(b"x")
            time.sleep(0.05)
        raise OSError("gave up")


@pytest.fixture(scope="module")
def ca() -> trustme.CA:
    return trustme.CA()


@pytest.fixture(scope="module")
def ca_file(ca: trustme.CA, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("ca") / "ca.pem"
    ca.cert_pem.write_to_path(str(path))
    return path


def _server(cert_pem: bytes, key_pem: bytes, tmp: pytest.TempPathFactory) -> Iterator[TlsServer]:
    server = TlsServer(cert_pem, key_pem, tmp.mktemp("tls"))
    yield server
    server.close()


@pytest.fixture(scope="module")
def valid(ca: trustme.CA, tmp_path_factory: pytest.TempPathFactory) -> Iterator[TlsServer]:
    leaf = ca.issue_cert("127.0.0.1")
    yield from _server(b"".join(b.bytes() for b in leaf.cert_chain_pems),
                       leaf.private_key_pem.bytes(), tmp_path_factory)


@pytest.fixture(scope="module")
def other_name(ca: trustme.CA, tmp_path_factory: pytest.TempPathFactory) -> Iterator[TlsServer]:
    leaf = ca.issue_cert("www.elsewhere.example")  # trusted, but for another name
    yield from _server(b"".join(b.bytes() for b in leaf.cert_chain_pems),
                       leaf.private_key_pem.bytes(), tmp_path_factory)


@pytest.fixture(scope="module")
def expired(ca: trustme.CA, tmp_path_factory: pytest.TempPathFactory) -> Iterator[TlsServer]:
    now = dt.datetime.now(dt.UTC)
    leaf = ca.issue_cert("127.0.0.1", not_before=now - dt.timedelta(days=400),
                         not_after=now - dt.timedelta(days=30))
    yield from _server(b"".join(b.bytes() for b in leaf.cert_chain_pems),
                       leaf.private_key_pem.bytes(), tmp_path_factory)


def _self_signed() -> tuple[bytes, bytes]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(days=1))
            .not_valid_after(now + dt.timedelta(days=30))
            .add_extension(x509.SubjectAlternativeName(
                [x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
            .sign(key, hashes.SHA256()))
    key_pem = key.private_bytes(serialization.Encoding.PEM,
                                serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
    return cert.public_bytes(serialization.Encoding.PEM), key_pem


@pytest.fixture(scope="module")
def self_signed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TlsServer]:
    cert_pem, key_pem = _self_signed()
    yield from _server(cert_pem, key_pem, tmp_path_factory)


def _fetcher(tls: TlsPolicy) -> HttpFetcher:
    return HttpFetcher("preserve-test/1", policy=AddressPolicy({"127.0.0.1"}), tls=tls,
                       limits=FetchLimits(timeout=5, max_time=10))


def _server_chain(server: TlsServer) -> list[x509.Certificate]:
    der = ssl.get_server_certificate(("127.0.0.1", server.port))
    return [x509.load_pem_x509_certificate(der.encode())]


# -- the fetcher --------------------------------------------------------------------


def test_a_certificate_from_a_trusted_ca_is_verified_and_the_bytes_are_exact(
    valid: TlsServer, ca_file: Path
) -> None:
    fetcher = _fetcher(TlsPolicy("strict", str(ca_file)))
    try:
        result = fetcher.fetch(valid.url("/"))
        assert isinstance(result, Exchange), result
        try:
            assert b"".join(result.response.chunks()) == RESPONSES[b"/"]
            assert result.request == valid.requests[-1]
            assert result.http_version == "http/1.1"
            assert result.tls is not None and result.tls.verified
            assert result.tls.protocol == "tls/1.3"
            assert result.tls.cipher.startswith("TLS_")
            assert result.tls.chain == ()
        finally:
            result.close()
    finally:
        fetcher.close()


@pytest.mark.parametrize(("name", "error"), [
    ("self_signed", "certificate verify failed: self-signed certificate"),
    ("expired", "certificate verify failed: certificate has expired"),
    ("valid", "certificate verify failed: unable to get local issuer certificate"),
    ("other_name", "certificate verify failed: IP address mismatch, certificate is not "
                   "valid for '127.0.0.1'."),
])
def test_strict_refuses_a_certificate_that_fails_and_never_retries(
    request: pytest.FixtureRequest, ca_file: Path, name: str, error: str
) -> None:
    server: TlsServer = request.getfixturevalue(name)
    # The valid server's CA is not in the default bundle: untrusted without --ca-bundle.
    fetcher = _fetcher(TlsPolicy("strict", "" if name == "valid" else str(ca_file)))
    try:
        before = len(server.requests)
        result = fetcher.fetch(server.url("/"))
    finally:
        fetcher.close()
    assert isinstance(result, FetchFailure), result
    assert (result.kind, result.message) == ("tls", error)
    assert not result.transient
    assert len(server.requests) == before  # not a byte of HTTP went over it


@pytest.mark.parametrize("name", ["self_signed", "expired", "other_name"])
def test_record_captures_and_keeps_the_chain_and_the_error(
    request: pytest.FixtureRequest, ca_file: Path, name: str
) -> None:
    server: TlsServer = request.getfixturevalue(name)
    fetcher = _fetcher(TlsPolicy("record", str(ca_file)))
    try:
        result = fetcher.fetch(server.url("/"))
        assert isinstance(result, Exchange), result
        assert b"".join(result.response.chunks()) == RESPONSES[b"/"]
        result.close()
        again = fetcher.fetch(server.url("/news"))  # the same (unverified) connection
        assert isinstance(again, Exchange), again
        again.close()
    finally:
        fetcher.close()
    assert result.tls is not None and not result.tls.verified
    assert result.tls.error.startswith("certificate verify failed: ")
    leaf = x509.load_pem_x509_certificate(result.tls.chain[0].encode())
    assert leaf == _server_chain(server)[0]
    assert again.tls == result.tls


def test_the_fetch_deadline_holds_over_tls(valid: TlsServer, ca_file: Path) -> None:
    fetcher = HttpFetcher("t", policy=AddressPolicy({"127.0.0.1"}),
                          tls=TlsPolicy("strict", str(ca_file)),
                          limits=FetchLimits(timeout=10, max_time=1.5))
    started = time.monotonic()
    try:
        result = fetcher.fetch(valid.url("/trickle"))
    finally:
        fetcher.close()
    assert time.monotonic() - started < 8.0  # the deadline (1.5 s), not the timeout (10 s)
    assert isinstance(result, Exchange), result
    result.close()
    assert result.truncated == "time" and result.response.payload_length > 5


def test_record_still_verifies_a_good_certificate(valid: TlsServer, ca_file: Path) -> None:
    fetcher = _fetcher(TlsPolicy("record", str(ca_file)))
    try:
        result = fetcher.fetch(valid.url("/"))
    finally:
        fetcher.close()
    assert isinstance(result, Exchange), result
    result.close()
    assert result.tls is not None and result.tls.verified and not result.tls.error


def test_the_address_guard_applies_to_https(self_signed: TlsServer, ca_file: Path) -> None:
    fetcher = HttpFetcher("t", policy=AddressPolicy(set()), tls=TlsPolicy("record"))
    connections = self_signed.connections
    try:
        result = fetcher.fetch(self_signed.url("/"))
    finally:
        fetcher.close()
    assert isinstance(result, FetchFailure) and result.kind == "blocked-address"
    assert self_signed.connections == connections


# -- crawls ---------------------------------------------------------------------------


def _records(coll_root: Path) -> list[WarcRecord]:
    return [r for w in sorted((coll_root / "warcs").glob("*.warc.gz")) for r in read_warc(w)]


def test_a_strict_crawl_of_a_self_signed_site_says_why_and_does_not_retry(
    self_signed: TlsServer, tmp_path: Path
) -> None:
    coll, summary = crawl(tmp_path / "c", (self_signed.url("/"),), retries=3, sitemaps=False)
    log = jsonl(coll.crawl_log_path(summary.crawl))
    assert [(e["url"], e["outcome"]) for e in log] == [
        (self_signed.url("/robots.txt"), "failed"), (self_signed.url("/"), "robots-blocked")]
    tls_error = "tls: certificate verify failed: self-signed certificate"
    assert log[0]["error"] == tls_error
    assert log[1]["error"] == ("disallowed by robots.txt (disallow-all: robots.txt could "
                               f"not be fetched, {tls_error})")
    [policy] = [e for e in jsonl(coll.events_path) if e["eventType"] == "robots policy"]
    assert policy["eventOutcomeDetail"].startswith(tls_error)
    assert summary.captured == 0


def test_a_strict_crawl_without_robots_logs_the_tls_error_once(
    expired: TlsServer, ca_file: Path, tmp_path: Path
) -> None:
    coll, summary = crawl(tmp_path / "c", (expired.url("/"),), retries=3,
                          ignore_robots=True, sitemaps=False, ca_bundle=str(ca_file))
    log = jsonl(coll.crawl_log_path(summary.crawl))
    assert [(e["outcome"], e["error"]) for e in log] == [
        ("failed", "tls: certificate verify failed: certificate has expired")]


def test_a_record_crawl_captures_and_records_the_failure(
    expired: TlsServer, ca_file: Path, tmp_path: Path
) -> None:
    coll, summary = crawl(tmp_path / "c", (expired.url("/"),), tls_verify="record",
                          ca_bundle=str(ca_file), sitemaps=False)
    assert summary.captured == 3 and summary.failures == 0  # robots.txt, /, /news
    error = "certificate verify failed: certificate has expired"
    log = jsonl(coll.crawl_log_path(summary.crawl))
    assert {e["outcome"] for e in log} - {"profile"} == {"captured"}  # profile: detection
    assert all(e["tls_error"] == error for e in log)
    [event] = [e for e in jsonl(coll.events_path)
               if e["eventType"] == "certificate not verified"]
    assert event["eventOutcome"] == "warning" and event["data"]["error"] == error

    records = _records(coll.root)
    [info] = [r for r in records if r.type == "warcinfo"]
    assert ("tls-verify", "record") in info.fields()
    responses = {r.uri: r for r in records if r.type == "response"}
    assert responses[expired.url("/")].block == RESPONSES[b"/"]  # decrypted, exact
    for response in responses.values():
        assert [v for k, v in response.headers if k == "WARC-Protocol"] == [
            "http/1.1", "tls/1.3"]
        assert (response.get("WARC-Cipher-Suite") or "").startswith("TLS_")
        [meta] = [r for r in records if r.type == "metadata"
                  and r.get("WARC-Concurrent-To") == response.id
                  and ("tls-verify", "record") in r.fields()]
        fields = dict(meta.fields())
        assert fields["tls-verify-error"] == error
        assert fields["tls-protocol"] == "tls/1.3"
        der = base64.b64decode(fields["peer-certificate"])
        assert x509.load_der_x509_certificate(der) == _server_chain(expired)[0]

    verify = cli("verify", coll.root)
    assert verify.returncode == 0, verify.stdout + verify.stderr
    for warc in coll.closed_warcs():
        check = tool("warcio", "check", warc)
        assert check.returncode == 0, check.stdout + check.stderr


def test_the_cli_honours_requests_ca_bundle_and_records_protocols(
    valid: TlsServer, ca_file: Path, tmp_path: Path
) -> None:
    env = {k: v for k, v in os.environ.items()
           if k not in ("REQUESTS_CA_BUNDLE", "SSL_CERT_FILE")}
    args = [sys.executable, "-m", "preserve", "crawl", str(tmp_path / "c"), "--seed",
            valid.url("/"), "--delay", "0", "--quiet"]
    refused = subprocess.run(args, capture_output=True, text=True, timeout=60, env=env,
                             stdin=subprocess.DEVNULL)
    assert refused.returncode == 2  # certifi does not know the test CA
    assert refused.stderr.count("\n") == 1
    assert ("tls: certificate verify failed: unable to get local issuer certificate; "
            "--tls-verify=record captures it and records the failure") in refused.stderr
    log = jsonl(tmp_path / "c" / "logs" / "crawl-0001.jsonl")
    assert log[0]["error"].startswith("tls: certificate verify failed")

    env["REQUESTS_CA_BUNDLE"] = str(ca_file)
    done = subprocess.run([*args[:4], str(tmp_path / "d"), *args[5:]], capture_output=True,
                          text=True, timeout=60, env=env, stdin=subprocess.DEVNULL)
    assert done.returncode == 0, done.stderr
    records = _records(tmp_path / "d")
    [info] = [r for r in records if r.type == "warcinfo"]
    assert ("tls-verify", "strict") in info.fields()
    [page] = [r for r in records if r.type == "response" and r.uri == valid.url("/")]
    assert [v for k, v in page.headers if k == "WARC-Protocol"] == ["http/1.1", "tls/1.3"]
    assert not [r for r in records if r.type == "metadata" and ("tls-verify", "record")
                in r.fields()]
    verify = cli("verify", tmp_path / "d")
    assert verify.returncode == 0, verify.stdout + verify.stderr


@pytest.mark.parametrize("variable", ["REQUESTS_CA_BUNDLE", "SSL_CERT_FILE", None])
def test_a_missing_ca_bundle_is_one_line_and_exit_2(tmp_path: Path,
                                                    variable: str | None) -> None:
    missing = tmp_path / "nope.pem"
    env = {k: v for k, v in os.environ.items()
           if k not in ("REQUESTS_CA_BUNDLE", "SSL_CERT_FILE")}
    args = [sys.executable, "-m", "preserve", "crawl", str(tmp_path / "c"), "--seed",
            "http://127.0.0.1:9/"]
    if variable is None:
        args += ["--ca-bundle", str(missing)]
    else:
        env[variable] = str(missing)
    result = subprocess.run(args, capture_output=True, text=True, timeout=60, env=env,
                            stdin=subprocess.DEVNULL)
    assert result.returncode == 2
    assert result.stderr == f"preserve: error: ca-bundle {missing}: no such file\n"
    assert not (tmp_path / "c").exists()
