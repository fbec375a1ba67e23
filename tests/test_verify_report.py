"""Finding codes are stable and documented; digests parse in every form found in the wild."""

from __future__ import annotations

import base64
import hashlib
import re
from pathlib import Path

import pytest

from preserve.verify import CODES, DigestFormatError, parse_digest
from preserve.verify.report import finding

DOCS = Path(__file__).resolve().parent.parent / "docs" / "verify.md"


def test_every_code_is_documented_and_only_those() -> None:
    text = DOCS.read_text(encoding="utf-8")
    documented = set(re.findall(r"^\| `([A-Z0-9_]+)` \|", text, re.M))
    assert documented == set(CODES), (set(CODES) - documented, documented - set(CODES))
    for code, (severity, _) in CODES.items():
        row = re.search(rf"^\| `{code}` \| (\w+) \|", text, re.M)
        assert row and row.group(1) == severity, code


def test_an_undocumented_code_cannot_be_raised() -> None:
    with pytest.raises(KeyError):
        finding("NO_SUCH_CODE", "f", "m")


DATA = b"hello"


@pytest.mark.parametrize("text", [
    "sha1:" + base64.b32encode(hashlib.sha1(DATA).digest()).decode(),
    "SHA1:" + base64.b32encode(hashlib.sha1(DATA).digest()).decode().lower(),
    "sha1:" + hashlib.sha1(DATA).hexdigest(),
    "sha256:" + hashlib.sha256(DATA).hexdigest(),
    "sha-256:" + hashlib.sha256(DATA).hexdigest().upper(),
    "sha256:" + base64.b32encode(hashlib.sha256(DATA).digest()).decode(),
    "sha256:" + base64.b32encode(hashlib.sha256(DATA).digest()).decode().rstrip("="),
    "md5:" + hashlib.md5(DATA).hexdigest(),
    "MD5:" + hashlib.md5(DATA).hexdigest().upper(),
    "sha512:" + hashlib.sha512(DATA).hexdigest(),
])
def test_digest_forms(text: str) -> None:
    d = parse_digest(text)
    assert d.raw == hashlib.new(d.algorithm, DATA).digest()


@pytest.mark.parametrize("text", ["sha1", "sha1:", "crc32:abcd", "sha1:NOTBASE32!!",
                                  "sha256:abcd", "md5:" + "z" * 32])
def test_bad_digests(text: str) -> None:
    with pytest.raises(DigestFormatError):
        parse_digest(text)
