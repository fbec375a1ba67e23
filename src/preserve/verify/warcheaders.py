"""A WARC record's header block: parsed, and checked against the WARC standard.

``parse_head`` turns the bytes before the first CRLF CRLF into a RecordHead, with every
problem found as a (code, message, expected, found) tuple for the scanner to report.
The rules are those of WARC 1.1 (ISO 28500:2017; the sections are named in the
messages and in docs/verify.md), which WARC 1.0, 0.18 and 0.17 files also follow in
everything checked here: a version line, then named fields whose names are
case-insensitive, whose values are UTF-8 and may be folded onto continuation lines
(section 4), each defined field at most once except WARC-Concurrent-To (5.1), and the
value forms and per-type rules of sections 5 to 7. What the standard only recommends
(a SHOULD) is a warning; what it forbids is an error.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from collections.abc import Set as AbstractSet
from itertools import repeat
from operator import call, itemgetter

__all__ = ["RecordHead", "Problem", "parse_head", "content_length", "KNOWN_VERSIONS",
           "RECORD_TYPES"]

Problem = tuple[str, str, object, object]  # code, message, expected, found

KNOWN_VERSIONS = frozenset({"0.17", "0.18", "1.0", "1.1"})
RECORD_TYPES = frozenset({"warcinfo", "response", "resource", "request", "metadata",
                          "revisit", "conversion", "continuation"})
_MANDATORY = ("WARC-Record-ID", "Content-Length", "WARC-Date", "WARC-Type")
_MANDATORY_KEYS = tuple((name, name.lower()) for name in _MANDATORY)
_NEEDS_URI = frozenset({"response", "resource", "request", "revisit", "conversion",
                        "continuation"})
# The defined fields of section 5; each may appear once, except WARC-Concurrent-To (5.7).
_DEFINED = ("WARC-Type", "WARC-Record-ID", "WARC-Date", "Content-Length", "Content-Type",
            "WARC-Concurrent-To", "WARC-Block-Digest", "WARC-Payload-Digest",
            "WARC-IP-Address", "WARC-Refers-To", "WARC-Refers-To-Target-URI",
            "WARC-Refers-To-Date", "WARC-Target-URI", "WARC-Truncated", "WARC-Warcinfo-ID",
            "WARC-Filename", "WARC-Profile", "WARC-Identified-Payload-Type",
            "WARC-Segment-Number", "WARC-Segment-Origin-ID", "WARC-Segment-Total-Length")
_REPEATABLE = frozenset({"warc-concurrent-to"})
# Fields the standard says "shall not be used" in these record types (sections 5.7 to
# 5.21): field -> the types it is forbidden in, or (with a leading "!") the only types
# it is allowed in.
_FORBIDDEN_IN: dict[str, frozenset[str]] = {
    "warc-concurrent-to": frozenset({"warcinfo", "conversion", "continuation"}),
    "warc-ip-address": frozenset({"warcinfo", "conversion", "continuation"}),
    "warc-refers-to": frozenset({"warcinfo", "response", "resource", "request",
                                 "continuation"}),
    "warc-target-uri": frozenset({"warcinfo"}),
    "warc-warcinfo-id": frozenset({"warcinfo"}),
}
_ONLY_IN: dict[str, frozenset[str]] = {
    "warc-filename": frozenset({"warcinfo"}),
    "warc-segment-origin-id": frozenset({"continuation"}),
}
_DIGESTS = frozenset({"warc-block-digest", "warc-payload-digest"})  # the scanner parses these
_SECTION = {
    "warc-record-id": "5.2", "content-length": "5.3", "warc-date": "5.4",
    "warc-type": "5.5", "content-type": "5.6", "warc-concurrent-to": "5.7",
    "warc-block-digest": "5.8",
    "warc-payload-digest": "5.9",
    "warc-ip-address": "5.10", "warc-refers-to": "5.11",
    "warc-refers-to-target-uri": "5.12", "warc-refers-to-date": "5.13",
    "warc-target-uri": "5.14", "warc-truncated": "5.15", "warc-warcinfo-id": "5.16",
    "warc-filename": "5.17", "warc-profile": "5.18",
    "warc-identified-payload-type": "5.19", "warc-segment-number": "5.20",
    "warc-segment-origin-id": "5.21", "warc-segment-total-length": "5.22",
}

_VERSION = re.compile(rb"(WARC)/(\d+\.\d+)", re.IGNORECASE)
_IPV4 = re.compile(r"(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}"
                   r"(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)")
_TOKEN = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
_DATE = re.compile(r"\d{4}-\d\d-\d\d([Tt])\d\d:\d\d:\d\d(\.\d{1,9})?([Zz])")
_BRACKETED_URI = re.compile(r"<[A-Za-z][A-Za-z0-9+.-]*:[^<>\s]+>")
_URI = re.compile(r"<?[A-Za-z][A-Za-z0-9+.-]*:[^\s<>]*>?")
_MEDIA_TYPE = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+/[!#$%&'*+\-.^_`|~0-9A-Za-z]+"
                         r"\s*(;.*)?", re.DOTALL)


class RecordHead:
    """A record's WARC headers as parsed, with the offsets and length of its record."""

    __slots__ = ("offset", "version", "headers", "keys", "type", "uri", "fields")

    def __init__(self, offset: int, version: str, headers: list[tuple[str, str]]) -> None:
        self.offset = offset
        self.version = version
        self.headers = headers
        # The names in lower case (map, not a comprehension: this runs for every record).
        self.keys = list(map(str.lower, map(itemgetter(0), headers)))
        # The first value of each name, by its name in lower case (callers that name a
        # field by a literal use this, not get()). When a name repeats, built backwards,
        # so that the first one wins.
        self.fields: dict[str, str] = dict(zip(self.keys, map(itemgetter(1), headers),
                                               strict=True))
        if len(self.fields) != len(headers):
            self.fields = dict(zip(reversed(self.keys), map(itemgetter(1),
                                                            reversed(headers)),
                                   strict=True))
        # The record type in lower case (the standard's literals are case-insensitive).
        self.type = self.fields.get("warc-type", "").lower()
        # WARC-Target-URI, without the angle brackets WARC 1.0 wrote (wget still does).
        uri = self.fields.get("warc-target-uri") or ""
        self.uri = uri[1:-1] if uri.startswith("<") and uri.endswith(">") else uri

    @classmethod
    def made(cls, offset: int, version: str, headers: list[tuple[str, str]],
             keys: list[str], fields: dict[str, str], type_: str, uri: str) -> RecordHead:
        """A head parsed elsewhere (the compiled fast path, verify/_sha1x2.c), with
        what __init__ would give."""
        head = cls.__new__(cls)
        head.offset = offset
        head.version = version
        head.headers = headers
        head.keys = keys
        head.fields = fields
        head.type = type_
        head.uri = uri
        return head

    def get(self, name: str) -> str | None:
        """The first value of the field ``name`` (any case), or None."""
        return self.fields.get(name.lower())


# Version lines that need no check beyond their match: upper case, a known version.
_PLAIN_VERSIONS = {f"WARC/{v}": f"WARC/{v}" for v in KNOWN_VERSIONS}


def parse_head(raw: bytes, offset: int) -> tuple[RecordHead | None, list[Problem]]:
    """The header block ``raw`` (without its closing CRLF CRLF); None if it has no WARC
    version line, so record boundaries are lost."""
    if _compiled_head is not None:
        got = _compiled_head(raw)
        if got is not None:  # the usual block, with no problem: as parse_python gives
            return RecordHead.made(offset, *got), []
    return parse_python(raw, offset)


def parse_python(raw: bytes, offset: int) -> tuple[RecordHead | None, list[Problem]]:
    """parse_head in Python alone: every block, with every problem."""
    # The usual block: UTF-8, CRLF line ends, a plain version line, and every other line
    # a field whose name has been seen before (so a token with no space or tab around
    # it: no continuation line, no empty line). Each line is then split in C (map), not
    # in the loop below; the result is the same.
    try:
        lines = raw.decode("utf-8").split("\r\n")
    except UnicodeDecodeError:
        lines = None
    if lines is not None and lines[0] in _PLAIN_VERSIONS and raw.count(b"\n") == len(
            lines) - 1:
        parts = list(map(str.partition, lines[1:], repeat(":")))
        names = list(map(itemgetter(0), parts))
        if _TOKENS_SEEN.issuperset(names) and "" not in map(itemgetter(1), parts):
            head = RecordHead(offset, _PLAIN_VERSIONS[lines[0]], list(zip(
                names, map(str.strip, map(itemgetter(2), parts), repeat(" \t")),
                strict=True)))
            return head, _validate(head)
    return _parse_head(raw, offset)


def _parse_head(raw: bytes, offset: int) -> tuple[RecordHead | None, list[Problem]]:
    """parse_head's general path: every block, with every problem."""
    problems: list[Problem] = []
    lines = raw.split(b"\r\n")
    version = _VERSION.fullmatch(lines[0])
    if version is None:
        problems.append(("WARC_HEADER_MALFORMED", "no WARC version line where a record "
                         "starts (WARC 1.1 section 4)", "WARC/1.1", repr(lines[0][:40])))
        return None, problems
    number = version.group(2).decode("ascii")
    if version.group(1) != b"WARC":
        problems.append(("WARC_CASE_UNUSUAL", "the version line is not in upper case: "
                         "legal (the grammar's literals are case-insensitive), but a "
                         "reader that compares it exactly finds no record (WARC 1.1 "
                         "section 4)", f"WARC/{number}",
                         lines[0].decode("ascii")))
    if number not in KNOWN_VERSIONS:
        problems.append(("WARC_VERSION_UNKNOWN", f"WARC/{number} is no published version "
                         "of the format; checked as WARC/1.1", "0.17, 0.18, 1.0 or 1.1",
                         number))
    if raw.count(b"\n") != len(lines) - 1:
        problems.append(("WARC_HEADER_MALFORMED", "a header line ends in LF alone, not "
                         "CRLF (WARC 1.1 section 4)", "CRLF", "LF"))
    try:
        text = raw.decode("utf-8").split("\r\n")[1:]
    except UnicodeDecodeError:
        problems.append(("WARC_HEADER_MALFORMED", "a WARC header is not UTF-8 (WARC 1.1 "
                         "section 4)", None, None))
        text = raw.decode("utf-8", "replace").split("\r\n")[1:]
    headers: list[tuple[str, str]] = []
    for line in text:
        if line[:1] in (" ", "\t"):
            if not headers:
                problems.append(("WARC_HEADER_MALFORMED", "a continuation line with no "
                                 "field before it (WARC 1.1 section 4)", "Name: value",
                                 repr(line[:60])))
                continue
            # A folded value (LWS, section 4): the line break and indent count as one SP.
            name, value = headers[-1]
            more = line.strip(" \t")
            headers[-1] = (name, f"{value} {more}" if value and more else value or more)
            continue
        name, sep, value = line.partition(":")
        name = name.rstrip(" \t")
        if not sep or (name not in _TOKENS_SEEN and not _is_token(name)):
            problems.append(("WARC_HEADER_MALFORMED", "a header line is not a field name "
                             "(a token), a colon and a value (WARC 1.1 section 4)",
                             "Name: value", repr(line[:60])))
            continue
        headers.append((name, value.strip(" \t")))
    head = RecordHead(offset, f"WARC/{number}", headers)
    problems.extend(_validate(head))
    return head, problems


# The compiled fast path (verify/_sha1x2.c): the usual block parsed and checked in C,
# None for any other, which parse_python then reads. Optional, as the extension is.
_compiled_head: Callable[[bytes], tuple[str, list[tuple[str, str]], list[str],
                                        dict[str, str], str, str] | None] | None = None
try:
    from . import _sha1x2
except ImportError:  # built without a C compiler, or not built (a source checkout)
    pass
else:  # (an extension built before head() was added lacks it: Python then reads all)
    _compiled_head = getattr(_sha1x2, "head", None)

# Field names found to be tokens: the same few dozen names head every record.
_TOKENS_SEEN: set[str] = set()


def _is_token(name: str) -> bool:
    if _TOKEN.fullmatch(name) is None:
        return False
    if len(_TOKENS_SEEN) < 1024 and len(name) <= 64:  # (not a hostile file's long names)
        _TOKENS_SEEN.add(name)
    return True


def content_length(head: RecordHead) -> int | None:
    text = head.fields.get("content-length")
    return int(text) if text and text.isdigit() and text.isascii() else None


# A value's test gives something true for a good value. The regular expressions' own
# fullmatch is the test where one will do: a Python function around it would be called
# for nearly every field of every record. (WARC 1.0 wrote WARC-Target-URI in angle
# brackets, and wget still does; 1.1 without: _URI takes both.)
_Test = Callable[[str], object]
_uri_in_brackets: _Test = _BRACKETED_URI.fullmatch
_uri: _Test = _URI.fullmatch


def _ip(value: str) -> bool:
    if _IPV4.fullmatch(value):
        return True  # the common case, without ipaddress's slower parse
    import ipaddress  # here: nearly every address is IPv4, and workers start faster

    try:
        ipaddress.ip_address(value)
    except ValueError:
        return False
    return True


def _digits(value: str) -> bool:
    return value.isdigit() and value.isascii()


def _matches(pattern: re.Pattern[str]) -> _Test:
    return pattern.fullmatch


# field -> (the value's test, what a good value looks like)
_FORMS: dict[str, tuple[_Test, str]] = {
    "warc-record-id": (_uri_in_brackets, "<uri>, e.g. <urn:uuid:...>"),
    "content-length": (_digits, "a number of octets"),
    "warc-concurrent-to": (_uri_in_brackets, "<uri>"),
    "warc-refers-to": (_uri_in_brackets, "<uri>"),
    "warc-warcinfo-id": (_uri_in_brackets, "<uri>"),
    "warc-segment-origin-id": (_uri_in_brackets, "<uri>"),
    "warc-target-uri": (_uri, "an absolute URI, with no whitespace"),
    "warc-refers-to-target-uri": (_uri, "an absolute URI, with no whitespace"),
    "warc-ip-address": (_ip, "an IPv4 or IPv6 address"),
    "content-type": (_matches(_MEDIA_TYPE), "type/subtype[; parameters]"),
    "warc-identified-payload-type": (_matches(_MEDIA_TYPE),
                                     "type/subtype[; parameters]"),
    "warc-segment-number": (_digits, "a number"),
    "warc-segment-total-length": (_digits, "a number of octets"),
    "warc-truncated": (_matches(_TOKEN), "a token: length, time, disconnect, ..."),
    "warc-type": (_matches(_TOKEN), "a record type"),
    "warc-profile": (_uri, "a URI"),
}


def _date_form(value: str) -> bool:
    return True  # checked by _date, which also tells a lower-case t or z apart


_not_empty: _Test = len


def _any(value: str) -> bool:
    return True  # the digests: the scanner parses them (WARC_DIGEST_*)


# field (lower case) -> its name, its section, the test of its value, what a good value
# looks like, and the record types it shall not be used in
_Rule = tuple[str, str, _Test, str, frozenset[str]]
_RULES: dict[str, _Rule] = {}
for _name in _DEFINED:
    _key = _name.lower()
    _test, _what = _FORMS.get(_key, (_not_empty, "empty"))
    if _key in ("warc-date", "warc-refers-to-date"):
        _test = _date_form
    elif _key in _DIGESTS:
        _test = _any
    _not_in = _FORBIDDEN_IN.get(_key, frozenset())
    if _key in _ONLY_IN:
        _not_in = RECORD_TYPES - _ONLY_IN[_key]
    _RULES[_key] = (_name, _SECTION[_key], _test, _what, _not_in)


# The field tests of _validate's fast path: each gives something true only when the
# field has no problem of its own (the record's checks come after). Each is C code (map
# and operator.call run them without the interpreter loop). Where the general test is
# Python (_ip, _date), the fast one is stricter: an IPv6 address or a lower-case t or z
# fails it and goes the general way, as does any value that fails, which then finds
# its problems. ``type`` is true for any value: the test of an extension field, or of a
# digest (the scanner parses those).
_FAST_TEST: dict[str, _Test] = {}
_DIGITS = re.compile(r"[0-9]+")  # _digits, as a pattern: isdigit() and isascii()
_DATE_UPPER = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d{1,9})?Z")  # _date finds nothing
for _key, _rule in _RULES.items():
    _test = _rule[2]
    if _test is _date_form:
        _test = _DATE_UPPER.fullmatch
    elif _test is _digits:
        _test = _DIGITS.fullmatch
    elif _test is _ip:
        _test = _IPV4.fullmatch
    elif _test is _any:
        _test = type
    _FAST_TEST[_key] = _test
# record type -> the fields that shall not be used in it
_NOT_IN_TYPE: dict[str, frozenset[str]] = {
    t: frozenset(k for k, rule in _RULES.items() if t in rule[4]) for t in RECORD_TYPES}
_NOTHING: frozenset[str] = frozenset()


def _validate(head: RecordHead) -> list[Problem]:
    out: list[Problem] = []
    rec_type = head.type
    keys = head.keys
    # The usual record: no name twice, every field good and allowed in the record's
    # type. Only the record's own checks are then left (they look up defined fields
    # only, so all the names will do as what was seen). Any other record takes the loop.
    if (len(head.fields) == len(keys)
            and _NOT_IN_TYPE.get(rec_type, _NOTHING).isdisjoint(keys)
            and all(map(call, map(_FAST_TEST.get, keys, repeat(type)),
                        map(itemgetter(1), head.headers)))):
        return _validate_record(head, rec_type, head.fields.keys(), out)
    seen: set[str] = set()
    for key, (_, value) in zip(keys, head.headers, strict=True):
        rule = _RULES.get(key)
        if rule is None:
            continue  # an extension field: readers shall ignore it (5.1)
        canonical, section, test, what, not_in = rule
        if key in seen and key not in _REPEATABLE:
            out.append(("WARC_HEADER_DUPLICATE", f"{canonical} appears more than once; "
                        "a field other than WARC-Concurrent-To shall not be repeated "
                        "(WARC 1.1 section 5.1)", "one", value))
            continue
        seen.add(key)
        if test is _date_form:
            out.extend(_date(canonical, value, section))
        elif not test(value):
            out.append(_invalid(rule, value))
        if rec_type in not_in:
            out.append(_not_allowed(rule, rec_type, value))
    return _validate_record(head, rec_type, seen, out)


def _invalid(rule: _Rule, value: str) -> Problem:
    canonical, section, _, what, _ = rule
    if what == "empty":
        return ("WARC_HEADER_INVALID", f"{canonical} is empty (WARC 1.1 section {section})",
                "a value", "")
    return ("WARC_HEADER_INVALID", f"{canonical} is not {what} (WARC 1.1 section "
            f"{section})", what, value)


def _not_allowed(rule: _Rule, rec_type: str, value: str) -> Problem:
    canonical, section, _, _, _ = rule
    return ("WARC_FIELD_NOT_ALLOWED", f"{canonical} shall not be used in a {rec_type} "
            f"record (WARC 1.1 section {section})", None, value)


def _validate_record(head: RecordHead, rec_type: str, seen: AbstractSet[str],
                     out: list[Problem]) -> list[Problem]:
    """The checks of the record as a whole, after those of each field (``out``)."""
    for name, key in _MANDATORY_KEYS:
        if key not in seen:
            out.append(("WARC_HEADER_MISSING", f"no {name} header (WARC 1.1 section "
                        f"{_SECTION[key]})", name, None))
    raw_type = head.fields.get("warc-type") or ""
    if rec_type and rec_type not in RECORD_TYPES:
        out.append(("WARC_TYPE_UNKNOWN", f"a record of unknown type {raw_type!r}: readers "
                    "skip it (WARC 1.1 sections 5.5, 6.1)", "a WARC 1.1 record type",
                    raw_type))
    elif raw_type and raw_type != rec_type:
        out.append(("WARC_CASE_UNUSUAL", "the record type is not in lower case: legal, "
                    "but indexers that compare it exactly (cdxj-indexer) leave the record "
                    "out, so it cannot be replayed (WARC 1.1 section 5.5)", rec_type,
                    raw_type))
    if rec_type in _NEEDS_URI and "warc-target-uri" not in seen:
        out.append(("WARC_HEADER_MISSING", f"a {rec_type} record needs WARC-Target-URI "
                    "(WARC 1.1 section 5.14)", "WARC-Target-URI", None))
    if rec_type == "revisit" and "warc-profile" not in seen:
        out.append(("WARC_HEADER_MISSING", "a revisit record needs WARC-Profile (WARC 1.1 "
                    "section 5.18)", "WARC-Profile", None))
    # Each finds nothing in the usual record (not segmented; a Content-Type, and not a
    # warcinfo record), which is then spared the calls.
    if rec_type == "continuation" or "warc-segment-number" in head.fields:
        out.extend(_segments(head, rec_type, seen))
    if rec_type == "warcinfo" or "content-type" not in head.fields:
        out.extend(_advice(head, rec_type, seen))
    return out


def _date(name: str, value: str, section: str) -> list[Problem]:
    m = _DATE.fullmatch(value)
    if m is None:
        return [("WARC_HEADER_INVALID", f"{name} is not a UTC date in W3C ISO 8601 form "
                 f"(WARC 1.1 section {section})", "YYYY-MM-DDThh:mm:ssZ", value)]
    if m.group(1) == "t" or m.group(3) == "z":
        return [("WARC_CASE_UNUSUAL", f"{name} has a lower-case t or z (WARC 1.1 section "
                 f"{section} writes them in upper case)", "YYYY-MM-DDThh:mm:ssZ", value)]
    return []


def _segments(head: RecordHead, rec_type: str, seen: AbstractSet[str]) -> list[Problem]:
    """Section 7: a first segment is numbered 1, a continuation 2 or more, and a
    continuation names its origin."""
    out: list[Problem] = []
    number = head.fields.get("warc-segment-number")
    if rec_type == "continuation":
        for name in ("WARC-Segment-Origin-ID", "WARC-Segment-Number"):
            if name.lower() not in seen:
                out.append(("WARC_HEADER_MISSING", f"a continuation record needs {name} "
                            "(WARC 1.1 sections 5.20, 5.21, 7)", name, None))
        if number is not None and _digits(number) and int(number) < 2:
            out.append(("WARC_HEADER_INVALID", "a continuation record's "
                        "WARC-Segment-Number must be 2 or more: segment 1 is the first "
                        "record (WARC 1.1 section 7)", "2 or more", number))
    elif number is not None and _digits(number) and int(number) != 1:
        out.append(("WARC_HEADER_INVALID", "only a continuation record continues a "
                    f"segmented record: a {rec_type or 'record'}'s WARC-Segment-Number "
                    "must be 1 (WARC 1.1 section 7)", "1", number))
    return out


def _advice(head: RecordHead, rec_type: str, seen: AbstractSet[str]) -> list[Problem]:
    """What the standard recommends (SHOULD): warnings."""
    out: list[Problem] = []
    content_type = head.fields.get("content-type")
    length = head.fields.get("content-length")
    if (content_type is None and rec_type != "continuation" and length is not None
            and _digits(length) and int(length) > 0):
        out.append(("WARC_CONTENT_TYPE_MISSING", "a record with a block should have a "
                    "Content-Type (WARC 1.1 section 5.6)", "Content-Type", None))
    if (rec_type == "warcinfo" and content_type is not None and content_type
            and content_type.split(";")[0].strip().lower() != "application/warc-fields"):
        out.append(("WARC_CONTENT_TYPE_UNUSUAL", "a warcinfo record's block is "
                    "recommended to be application/warc-fields (WARC 1.1 section 6.2)",
                    "application/warc-fields", content_type))
    return out
