"""The compiled fast path of verify (verify/_sha1x2.c: ``head`` and ``record``) under what
tests/test_fastrecord.py does not reach: an allocation that fails, and a buffer changed
while the call runs (anything but bytes is left to Python). Found by
scripts/fuzz_fastrecord.py (ASan and UBSan build).
"""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

from preserve.verify import warcheaders, warcscan

compiled_head = warcheaders._compiled_head
pytestmark = pytest.mark.skipif(compiled_head is None, reason="the extension is not built")

# A usual block whose WARC-Target-URI has no angle brackets.
BLOCK = (b"WARC/1.1\r\nWARC-Type: resource\r\nWARC-Record-ID: <urn:uuid:1>\r\n"
         b"WARC-Date: 2020-01-01T00:00:00Z\r\nContent-Length: 000000000000005\r\n"
         b"Content-Type: a/b\r\nWARC-Target-URI: http://a/")
RECORD = BLOCK + b"\r\n\r\nhello\r\n\r\n"


def test_a_failed_allocation_is_a_memory_error() -> None:
    # The unbracketed URI was looked up with PyDict_GetItemString, which hides the
    # MemoryError of the key it makes: NULL with no exception set, a SystemError.
    testcapi = pytest.importorskip("_testcapi")
    assert compiled_head is not None
    calls = [(compiled_head, BLOCK)]
    if warcscan._compiled_record is not None:
        calls.append((lambda data: warcscan._compiled_record(data, 0), RECORD))  # type: ignore[misc]
    for call, data in calls:
        want = call(data)
        assert want is not None
        for k in range(40):
            testcapi.set_nomemory(k, k + 1)
            try:
                got = call(data)
            except MemoryError:
                continue
            finally:
                testcapi.remove_mem_hooks()
            assert got == want


CHANGED_DURING_THE_CALL = """
import gc, importlib.machinery, importlib.util, sys
loader = importlib.machinery.ExtensionFileLoader("_sha1x2", sys.argv[1])
spec = importlib.util.spec_from_file_location("_sha1x2", sys.argv[1], loader=loader)
ext = importlib.util.module_from_spec(spec)
loader.exec_module(ext)
data = bytearray(sys.argv[2].encode("latin-1"))
at = data.index(b"000000000000005")

class Changer:
    def __del__(self):  # same size: a bytearray may change while it is exported
        data[at:at + 15] = bytes(15)

for threshold in range(1, 40):  # the GC runs at each allocation in turn
    data[at:at + 15] = b"000000000000005"
    gc.collect()
    a = Changer(); a.cycle = [a]; del a
    gc.set_threshold(threshold)
    try:
        got = ext.record(data, 0)
    finally:
        gc.set_threshold(700)
    assert got is None or got[7] == 5, got
print("ok")
"""


@pytest.mark.skipif(warcscan._compiled_record is None, reason="this CPU has no SHA")
def test_record_reads_no_length_from_a_buffer_changed_during_the_call() -> None:
    # Content-Length was checked when the head was parsed, then read again to compute
    # the length: a finalizer run by the GC in between could make it NUL bytes, a
    # negative length, and record() read far outside the buffer (a crash). In a child
    # process, so that a crash fails this test, not the run.
    so = warcscan._sha1x2.__file__
    done = subprocess.run([sys.executable, "-c", textwrap.dedent(CHANGED_DURING_THE_CALL),
                           so, RECORD.decode("latin-1")], capture_output=True, text=True,
                          timeout=60)
    assert (done.returncode, done.stdout.strip()) == (0, "ok"), done.stderr[-2000:]


def test_long_field_names_are_not_remembered() -> None:
    # Both paths remember the field names they have seen, for the life of the process: a
    # hostile file's megabyte names were kept (256 in C, three copies each: 782 MB after
    # 300 blocks of 1 MiB names; up to 1,024 in Python). A name over 64 characters is
    # not remembered: the C path leaves its record to Python, which reads it the general
    # way.
    assert compiled_head is not None
    short, long = b"X-" + b"s" * 62, b"X-" + b"l" * 63
    assert compiled_head(BLOCK + b"\r\n" + short + b": v") is not None
    assert compiled_head(BLOCK + b"\r\n" + long + b": v") is None
    head, problems = warcheaders.parse_python(BLOCK + b"\r\n" + long + b": v", 0)
    assert head is not None and problems == [] and head.fields[long.decode().lower()] == "v"
    assert long.decode() not in warcheaders._TOKENS_SEEN


def test_only_bytes_are_read_in_c() -> None:
    # A bytearray or a memoryview can change while the call runs (a finalizer run by an
    # allocation, as above); bytes cannot. Anything but bytes is left to the Python path.
    assert compiled_head is not None
    assert compiled_head(BLOCK) is not None
    for other in (bytearray(BLOCK), memoryview(BLOCK)):
        assert compiled_head(other) is None
    record = warcscan._compiled_record
    if record is not None:  # a CPU with SHA
        assert record(RECORD, 0) is not None
        assert record(bytearray(RECORD), 0) is None and record(memoryview(RECORD), 0) is None
