"""How HTTPS connections are trusted, and what is learnt of a TLS session for the record.

``TlsPolicy`` holds the two SSL contexts of a crawl: the verifying one (requests' CA
bundle, or the archivist's ``ca-bundle``) and, with ``tls-verify = "record"``, the one
a connection falls back to when verification fails. The helpers name the protocol and
cipher suite as WARC-Protocol and WARC-Cipher-Suite write them, and read the chain the
server presented, for the metadata record of an unverified capture.
"""

from __future__ import annotations

import functools
import os
import ssl
import threading
from typing import Any, Literal

import requests

from ..errors import ConfigError

__all__ = ["TlsPolicy", "TlsVerify", "check_ca_bundle", "tls_version", "cipher_name",
           "peer_chain", "verify_error"]

TlsVerify = Literal["strict", "record"]


class TlsPolicy:
    """How certificates are checked: against ``ca_bundle`` (a PEM file; requests' bundle,
    certifi, when empty), and what a failure means: ``strict`` refuses the site,
    ``record`` captures it over an unverified connection and says so in the exchange."""

    def __init__(self, verify: TlsVerify = "strict", ca_bundle: str = "") -> None:
        self.verify = verify
        self.ca_bundle = ca_bundle
        # The archivist's bundle is read (and so checked) now; requests' own only at the
        # first HTTPS connection, so a crawl of http:// sites never parses one.
        self._lock = threading.Lock()
        self._verified = _context(ca_bundle) if ca_bundle else None
        self.unverified: ssl.SSLContext | None = None
        if verify == "record":
            context = ssl.create_default_context()
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
            self.unverified = context

    @property
    def verified(self) -> ssl.SSLContext:
        """The context that verifies certificates against the bundle."""
        context = self._verified
        if context is None:
            with self._lock:
                if self._verified is None:
                    self._verified = _context(requests.utils.DEFAULT_CA_BUNDLE_PATH)
                context = self._verified
        return context


def _context(cafile: str) -> ssl.SSLContext:
    try:
        st = os.stat(cafile)
        return _load(cafile, st.st_mtime_ns, st.st_size)
    except FileNotFoundError as e:
        raise ConfigError(f"ca-bundle {cafile}: no such file") from e
    except (ssl.SSLError, OSError, ValueError) as e:
        raise ConfigError(f"ca-bundle {cafile}: not a PEM file of CA certificates ({e})") from e


@functools.lru_cache(maxsize=4)
def _load(cafile: str, mtime_ns: int, size: int) -> ssl.SSLContext:
    # Once per bundle (as it is on disk) and process: parsing a CA bundle costs about
    # 20 ms of CPU, and a crawl given one checks it before the collection is made
    # (check_ca_bundle), then connects with it. The context is shared, as the crawl's
    # threads already share it; a changed file (a long-running scheduler) is read again.
    return ssl.create_default_context(cafile=cafile)


def check_ca_bundle(path: str) -> None:
    """ConfigError unless ``path`` is a readable PEM file of CA certificates."""
    _context(path)


def tls_version(sock: Any) -> str:
    version = str(sock.version() or "")  # TLSv1.3, as OpenSSL names it
    if version.startswith("TLSv"):
        number = version[4:]
        return "tls/" + (number if "." in number else number + ".0")
    return version.lower()


def peer_chain(sock: Any) -> tuple[str, ...]:
    """The certificates the server sent, leaf first, as PEM (not checked: record mode)."""
    getter = getattr(sock, "get_unverified_chain", None)  # Python 3.13+: DER
    if getter is not None:
        return tuple(ssl.DER_cert_to_PEM_cert(der) for der in getter() or ())
    sslobj = getattr(sock, "_sslobj", None)  # 3.10-3.12 have it under the SSL object
    getter = getattr(sslobj, "get_unverified_chain", None)
    if getter is not None:
        return tuple(str(cert.public_bytes()) for cert in getter() or ())
    leaf = sock.getpeercert(binary_form=True)
    return (ssl.DER_cert_to_PEM_cert(leaf),) if leaf else ()


def verify_error(exc: ssl.SSLCertVerificationError) -> str:
    message = exc.verify_message or exc.reason or str(exc)
    return f"certificate verify failed: {message}"


def cipher_name(sock: Any) -> str:
    cipher = sock.cipher()
    return str(cipher[0]) if cipher else ""
