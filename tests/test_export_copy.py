"""The verified copy on its own: digests from one read, small files and large (threaded)."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest

from preserve.errors import FixityMismatch
from preserve.export.copy import THREADED_FROM, copy_to_file
from preserve.export.sources import Source


@pytest.mark.parametrize("size", [0, 1, 1 << 20, THREADED_FROM + 12345])
def test_copy_computes_every_digest_and_checks_the_expected_one(tmp_path: Path,
                                                                size: int) -> None:
    data = os.urandom(size)
    src = tmp_path / "src.bin"
    src.write_bytes(data)
    good = {"sha256": hashlib.sha256(data).hexdigest()}
    copied = copy_to_file(Source("warcs/src.bin", src, size, good), tmp_path / "out" / "a",
                          ("sha256", "sha512", "md5"))
    assert (tmp_path / "out" / "a").read_bytes() == data
    assert copied.size == size and copied.checked == ("sha256",)
    for name in ("sha256", "sha512", "md5"):
        assert copied.digests[name] == hashlib.new(name, data).hexdigest()

    bad = {"sha256": hashlib.sha256(data + b"x").hexdigest()}
    with pytest.raises(FixityMismatch) as caught:
        copy_to_file(Source("warcs/src.bin", src, size, bad), tmp_path / "out" / "b",
                     ("sha512",))
    assert caught.value.path == "warcs/src.bin"
    assert caught.value.expected == bad["sha256"]
    assert caught.value.found == good["sha256"]


def test_a_file_that_grows_while_copied_is_refused(tmp_path: Path) -> None:
    from preserve.errors import ExportError

    src = tmp_path / "src.bin"
    src.write_bytes(b"abc")
    with pytest.raises(ExportError, match="changed while"):
        copy_to_file(Source("events.jsonl", src, 2), tmp_path / "out", ("sha256",),
                     on_bytes=lambda n: src.write_bytes(b"abcdef"))
