"""The WARC fields of the record of an exchange's response: a response, or a revisit of
an earlier capture of the same payload. store.warc writes them, and a crawl's worker
threads make the same fields (with stand-in record IDs) to index a record before it is
written (WarcWriter.prepare)."""

from __future__ import annotations

from ..web.exchange import Exchange

__all__ = ["REVISIT_PROFILE", "response_fields", "revisit_fields"]

REVISIT_PROFILE = "http://netpreserve.org/warc/1.1/revisit/identical-payload-digest"


def response_fields(ex: Exchange, date: str, record_id: str, warcinfo_id: str,
                    extra: list[tuple[str, str]], block_digest: str,
                    payload_digest: str | None) -> list[tuple[str, str]]:
    """A response record's fields (no Content-Length: serialising adds it)."""
    fields = [
        ("WARC-Type", "response"),
        ("WARC-Record-ID", record_id),
        *_common(ex, date, warcinfo_id, extra),
        ("WARC-Block-Digest", block_digest),
    ]
    if payload_digest:
        fields.append(("WARC-Payload-Digest", payload_digest))
    if ex.truncated:
        fields.append(("WARC-Truncated", ex.truncated))
    fields.append(("Content-Type", "application/http;msgtype=response"))
    return fields


def revisit_fields(ex: Exchange, date: str, record_id: str, warcinfo_id: str,
                   extra: list[tuple[str, str]], original: tuple[str, str, str],
                   block_digest: str, payload_digest: str | None) -> list[tuple[str, str]]:
    """A revisit record's fields; ``original``: the URI, date and record ID of the
    capture it refers to."""
    uri, original_date, original_id = original
    return [
        ("WARC-Type", "revisit"),
        ("WARC-Record-ID", record_id),
        *_common(ex, date, warcinfo_id, extra),
        ("WARC-Profile", REVISIT_PROFILE),
        ("WARC-Refers-To-Target-URI", uri),
        ("WARC-Refers-To-Date", original_date),
        ("WARC-Refers-To", original_id),
        ("WARC-Block-Digest", block_digest),
        ("WARC-Payload-Digest", payload_digest or ""),
        ("Content-Type", "application/http;msgtype=response"),
    ]


def _common(ex: Exchange, date: str, warcinfo_id: str,
            extra: list[tuple[str, str]]) -> list[tuple[str, str]]:
    common = [("WARC-Date", date), ("WARC-Target-URI", ex.url)]
    if ex.ip:
        common.append(("WARC-IP-Address", ex.ip))
    common.append(("WARC-Warcinfo-ID", warcinfo_id))
    common.extend(_protocol_fields(ex))
    common.extend(extra)
    return common


def _protocol_fields(ex: Exchange) -> list[tuple[str, str]]:
    """WARC-Protocol, one per layer (``http/1.1``, ``tls/1.3``), and WARC-Cipher-Suite:
    the WARC 1.1 extension fields that Heritrix 3.4+ and warcprox write."""
    fields = []
    if ex.http_version:
        fields.append(("WARC-Protocol", ex.http_version))
    if ex.tls is not None:
        if ex.tls.protocol:
            fields.append(("WARC-Protocol", ex.tls.protocol))
        if ex.tls.cipher:
            fields.append(("WARC-Cipher-Suite", ex.tls.cipher))
    return fields
