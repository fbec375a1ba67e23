"""store.heads parses heads and WARC-Dates exactly as warcio does (the crawl no longer
imports warcio; `preserve index` and the index lines written while crawling must agree
with cdxj-indexer, which uses warcio)."""

from __future__ import annotations

import io
import itertools
from collections.abc import Callable

import pytest
from warcio.statusandheaders import StatusAndHeadersParser, StatusAndHeadersParserException
from warcio.timeutils import iso_date_to_timestamp

from preserve.store.heads import HeadError, HeadParser, timestamp14

_LINES = [b"HTTP/1.1 200 OK\r\n", b"http/1.0 404  Not Found \r\n", b"HTTP/1.1\r\n",
          b"WARC/1.1\r\n", b"X 1\r\n", b"Content-Type: text/html\r\n",
          b"content-type :  a\t \r\n", b" folded\r\n", b"\tfolded\r\n", b"NoColon\r\n",
          b": empty\r\n", b"A:\r\n", b"B: \xe9\xff\r\n", b"C: \xc3\xa9\r\n", b"\r\n",
          b"  \r\n", b"D: x\n", b""]
_PROTOCOLS = [(["HTTP/1.0", "HTTP/1.1"], False),
              (["WARC/1.1", "WARC/1.0", "WARC/0.17", "WARC/0.18"], True)]


def _parse(parser: type, error: type[Exception], data: bytes, protocols: list[str],
           verify: bool) -> tuple[object, ...]:
    stream = io.BytesIO(data)
    try:
        head = parser(protocols, verify=verify).parse(stream)
    except EOFError:
        return ("end",)
    except error:
        return ("not a head",)
    return (head.protocol, head.statusline, list(head.headers), head.total_len, bool(head),
            str(head), head.get_statuscode(), head.get_header("CONTENT-TYPE"), stream.tell())


@pytest.mark.parametrize(("protocols", "verify"), _PROTOCOLS)
def test_heads_parse_as_warcio_parses_them(protocols: list[str], verify: bool) -> None:
    for a, b, c in itertools.product(_LINES, repeat=3):
        data = a + b + c + b"Last: 1\r\n\r\nbody"
        ours = _parse(HeadParser, HeadError, data, protocols, verify)
        assert ours == _parse(StatusAndHeadersParser, StatusAndHeadersParserException,
                              data, protocols, verify), data


@pytest.mark.parametrize("date", [
    "2013-12-26T10:11:12Z", "2013-12-26T10:11:12.456789Z", "2013-12-26T10:11:12.0000001Z",
    "2013-12-26", "2013", "", "x", "2013-13-01T00:00:00Z", "2013-12-26T10:11:12+01:00",
    "1-2-3-4-5-6-7-8-9", "20131226101112", None])
def test_timestamps_are_warcios(date: str | None) -> None:
    def outcome(f: Callable[[str | None], str]) -> str:
        try:
            return f(date)
        except Exception as e:  # the kind of failure is compared
            return type(e).__name__
    # Where warcio overflows (a run of digits too long for a date field), a ValueError:
    # what every caller catches as "no valid WARC-Date".
    expected = outcome(iso_date_to_timestamp).replace("OverflowError", "ValueError")
    assert outcome(timestamp14) == expected
