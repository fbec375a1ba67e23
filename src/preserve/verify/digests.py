"""WARC digests in every form found in the wild, parsed to an algorithm and raw bytes.

``sha1:`` in base32 (Heritrix, wget, preserve), ``sha256:`` or ``sha-256:`` in hex or
base32, ``md5:`` in hex, and the other hashlib algorithms in hex or base32; the label
and the value in any case. Values are compared as decoded bytes, so ``sha1:ABC...`` and
``SHA1:abc...`` are the same digest.
"""

from __future__ import annotations

import base64
import binascii
import functools
import hashlib
import re
from dataclasses import dataclass

__all__ = ["Digest", "DigestFormatError", "parse_digest", "hash_name", "format_like"]

# Labels seen in WARC headers and manifests -> hashlib names.
_ALIASES = {
    "sha1": "sha1", "sha-1": "sha1",
    "sha256": "sha256", "sha-256": "sha256",
    "sha512": "sha512", "sha-512": "sha512",
    "sha384": "sha384", "sha-384": "sha384",
    "sha224": "sha224", "sha-224": "sha224",
    "md5": "md5",
    "sha3-256": "sha3_256", "sha3_256": "sha3_256",
    "sha3-512": "sha3_512", "sha3_512": "sha3_512",
    "blake2b": "blake2b", "blake2s": "blake2s",
}


_BASE32 = re.compile(r"[A-Z2-7]+")
# RFC 4648 base32 digits to the digits int(..., 32) reads: two records in three carry two
# digests, and base64.b32decode is pure Python. (A bytes table: bytes.translate is a
# table lookup, str.translate a dict lookup per character.)
_TO_INT32 = bytes.maketrans(b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567",
                            b"0123456789abcdefghijklmnopqrstuv")


@functools.cache
def _digest_size(algorithm: str) -> int:
    return hashlib.new(algorithm).digest_size


def _base32(encoded: str, size: int) -> bytes:
    """``encoded`` decoded as base32 (any case, padding optional), or b"" if it is not."""
    upper = encoded.upper()
    bits = len(upper) * 5
    if bits >= size * 8 > bits - 5 and _BASE32.fullmatch(upper):
        # Exactly as many digits as ``size`` bytes need: the spare low bits are dropped,
        # as b32decode drops them.
        return (int(upper.encode("ascii").translate(_TO_INT32), 32)
                >> (bits - size * 8)).to_bytes(size, "big")
    try:
        return base64.b32decode(upper + "=" * (-len(upper) % 8))
    except (binascii.Error, ValueError):
        return b""


class DigestFormatError(ValueError):
    """A digest value that cannot be decoded, or names an algorithm we do not have."""

    def __init__(self, value: str, reason: str) -> None:
        self.value = value
        self.reason = reason
        super().__init__(f"{value!r}: {reason}")


@dataclass(frozen=True)
class Digest:
    """A parsed digest: the hashlib algorithm name, the raw digest and the text it came from."""

    algorithm: str
    raw: bytes
    text: str
    base32: bool


def hash_name(label: str) -> str | None:
    """The hashlib name for a digest label (``SHA-256`` -> ``sha256``), or None."""
    return _ALIASES.get(label.strip().lower())


def parse_digest(value: str) -> Digest:
    """Parse ``label:value``; raise DigestFormatError if it is not a digest we can check."""
    if len(value) == 37 and value.startswith("sha1:") and _BASE32.fullmatch(value, 5):
        # The form of nearly every record (Heritrix, wget, preserve): what the general
        # path below gives, without its steps.
        return Digest("sha1", int(value[5:].encode("ascii").translate(_TO_INT32),
                                  32).to_bytes(20, "big"), value, base32=True)
    label, sep, encoded = value.strip().partition(":")
    if not sep or not encoded.strip() or not label.strip():
        raise DigestFormatError(value, "not of the form algorithm:value")
    algorithm = hash_name(label)
    if algorithm is None:
        raise DigestFormatError(value, f"unsupported digest algorithm {label!r}")
    size = _digest_size(algorithm)
    encoded = encoded.strip()
    if len(encoded) == size * 2:
        try:
            return Digest(algorithm, bytes.fromhex(encoded), value, base32=False)
        except ValueError:
            pass
    raw = _base32(encoded, size)
    if len(raw) == size:
        return Digest(algorithm, raw, value, base32=True)
    raise DigestFormatError(
        value, f"not a {label} digest in hex ({size * 2} digits) or base32"
    )


def format_like(expected: Digest, raw: bytes) -> str:
    """``raw`` written in the same label and encoding as ``expected``, for reports."""
    label = expected.text.strip().partition(":")[0]
    if expected.base32:
        return f"{label}:{base64.b32encode(raw).decode('ascii').rstrip('=')}"
    return f"{label}:{raw.hex()}"
