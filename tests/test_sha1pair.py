"""verify.sha1pair: the compiled two-stream SHA-1 (verify/_sha1x2.c, where it was built and
the CPU has the SHA extensions) gives hashlib's digests, and the scanner's findings are
the same with it and without it.

The compiled tests skip where the extension is absent (an install without a C compiler)
or the CPU has no SHA extensions; the last test then compares hashlib with itself.
"""

from __future__ import annotations

import hashlib
import json
import random
import subprocess
import sys
from pathlib import Path

import pytest

from preserve.verify import sha1pair
from preserve.verify.warcscan import scan_warc

CORPUS = Path(__file__).resolve().parent.parent / "fixtures" / "warc"

try:
    from preserve.verify import _sha1x2
except ImportError:
    _sha1x2 = None  # type: ignore[assignment]

compiled = pytest.mark.skipif(_sha1x2 is None or not _sha1x2.available(),
                              reason="the extension is not built, or this CPU has no SHA")

DATA = random.Random(19).randbytes(4200)
LENGTHS = [*range(0, 140), 191, 192, 193, 255, 256, 257, 1000, 4095, 4096, 4097, 4200]
CHUNKS = (1, 2, 63, 64, 65, 127, 1000, 5000)


@compiled
def test_one_stream_matches_hashlib() -> None:
    for n in LENGTHS:
        h = _sha1x2.Sha1()
        h.update(DATA[:n])
        assert h.digest() == hashlib.sha1(DATA[:n]).digest(), n
        assert h.digest() == hashlib.sha1(DATA[:n]).digest(), n  # digest() leaves it as it was


@compiled
@pytest.mark.parametrize("chunk", CHUNKS)
def test_block_and_payload_streams_match_hashlib(chunk: int) -> None:
    """A block (head + payload) and its payload, fed as the scanner feeds them: the head to
    the block alone, then the payload to both in chunks; every head length from 0 to the
    whole block, across block boundaries (63, 64, 65)."""
    rng = random.Random(chunk)
    for n in LENGTHS:
        heads = {0, 1, 63, 64, 65, 128, n // 2, n - 1, n} & set(range(n + 1))
        for head in sorted(heads):
            block, payload = _sha1x2.Sha1(), _sha1x2.Sha1()
            block.update(DATA[:head])
            pos = head
            while pos < n:
                step = rng.randint(1, chunk)
                _sha1x2.update2(block, payload, memoryview(DATA)[pos:min(pos + step, n)])
                pos += step
            assert block.digest() == hashlib.sha1(DATA[:n]).digest(), (n, head)
            assert payload.digest() == hashlib.sha1(DATA[head:n]).digest(), (n, head)


@compiled
def test_update2_of_one_object_feeds_it_twice() -> None:
    h = _sha1x2.Sha1()
    _sha1x2.update2(h, h, DATA[:100])
    assert h.digest() == hashlib.sha1(DATA[:100] * 2).digest()


@compiled
def test_update2_takes_only_its_own_hashers() -> None:
    with pytest.raises(TypeError):
        _sha1x2.update2(_sha1x2.Sha1(), hashlib.sha1(), b"x")  # type: ignore[arg-type]


def test_fallback_matches_hashlib() -> None:
    a, b = hashlib.sha1(b"head"), hashlib.sha1()
    sha1pair._update2(a, b, b"payload")
    assert (a.digest(), b.digest()) == (hashlib.sha1(b"headpayload").digest(),
                                       hashlib.sha1(b"payload").digest())


# Runs the corpus's scans with the extension hidden (an import of it fails, as in an
# install built without a C compiler), printing their findings as JSON.
WITHOUT = """
import json, sys
sys.modules["preserve.verify._sha1x2"] = None
from pathlib import Path
from preserve.verify import sha1pair
from preserve.verify.warcscan import scan_warc
assert not sha1pair.COMPILED
print(json.dumps([[f.code, f.offset, str(f.found)] for p in sys.argv[1:]
                  for f in scan_warc(Path(p), p, algorithms=("sha256",)).findings]))
"""


def test_scanner_findings_are_the_same_without_the_extension() -> None:
    paths = sorted(str(p) for p in CORPUS.iterdir() if not p.name.endswith(".json"))
    here = [[f.code, f.offset, str(f.found)] for p in paths
            for f in scan_warc(Path(p), p, algorithms=("sha256",)).findings]
    assert any(code == "WARC_PAYLOAD_DIGEST" for code, _, _ in here)  # mismatches compared
    done = subprocess.run([sys.executable, "-c", WITHOUT, *paths], capture_output=True,
                          text=True, timeout=120, check=True)
    assert json.loads(done.stdout) == here
