"""HTML from bytes to a tree to text, one way for every stage that reads a page.

``decode_html``: BOM, HTTP charset, ``<meta charset>``, then detection. ``parse_html``:
the one lxml parse of a page, shared by every reader of it (normalise's extraction and
template learning, the change report). ``text_content``: an element's text with white
space collapsed.

The declared charsets are read by ``web.decoding.html_charset`` (browsers' order and
label aliases, so windows-1252 and its "iso-8859-1" alias give € and ü). A declaration
that does not fit the bytes (a page labelled UTF-8 that is not) is a lie worth noting:
the charset is then detected from the bytes, and the choice is reported as a problem.
The other lie, UTF-8 bytes under a legacy label, is recognised because non-ASCII bytes
that form valid UTF-8 are practically never text in a single-byte code page.
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass

from lxml import etree

from .decoding import html_charset
from .media import charset_param as http_charset

__all__ = ["Decoded", "decode_html", "http_charset", "parse_html", "text_content"]

_SPACE = re.compile(r"\s+")
# An XHTML page's XML declaration: lxml refuses text (already decoded) that names an encoding.
_XML_DECLARATION = re.compile(r"^[\s\ufeff]*<\?xml[^>]*>")

# Detection reads a sample: enough to be sure, bounded so a huge page costs little.
_DETECT_SAMPLE = 64 * 1024


@dataclass(frozen=True)
class Decoded:
    text: str
    encoding: str
    problems: tuple[str, ...] = ()


def _declared(body: bytes, http: str | None) -> bool:
    if http or body.startswith((codecs.BOM_UTF8, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return True
    head = body[:4096].lower()
    return b"charset" in head or b"encoding=" in head


def _detect(body: bytes) -> str | None:
    """charset-normalizer's guess; windows-1252, the web's legacy default (WHATWG), wins
    over a guess that reads the same bytes as the same text (cp1250 often does)."""
    from charset_normalizer import from_bytes

    sample = body[:_DETECT_SAMPLE]
    best = from_bytes(sample).best()
    if best is None:
        return None
    try:
        name = codecs.lookup(best.encoding).name
    except LookupError:
        return None
    try:
        if name != "cp1252" and sample.decode("cp1252") == sample.decode(name):
            return "cp1252"
    except UnicodeDecodeError:
        pass
    return name


def _is_utf8(body: bytes) -> bool:
    if body.isascii():
        return False
    try:
        body.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def decode_html(body: bytes, http: str | None = None) -> Decoded:
    """Decode ``body``; never raises (undecodable bytes become U+FFFD)."""
    encoding = html_charset(body, http)
    if not encoding.startswith("utf") and _is_utf8(body):
        # Non-ASCII bytes that happen to form valid UTF-8 are, in practice, never text
        # in a legacy code page: the declaration is stale (a template copied over).
        return Decoded(body.decode("utf-8").removeprefix("\ufeff"), "utf-8",
                       (f"charset: declared {encoding} but the bytes are UTF-8",))
    try:
        text = body.decode(encoding)
        if encoding.startswith("utf-16"):
            text = text.lstrip("\ufeff")
        elif encoding == "utf-8" and text.startswith("\ufeff"):
            text = text[1:]
        return Decoded(text, encoding)
    except UnicodeDecodeError:
        pass
    problems: list[str] = []
    declared = _declared(body, http)
    detected = _detect(body)
    if detected and detected != encoding:
        try:
            text = body.decode(detected)
            note = "declared" if declared else "assumed"
            problems.append(f"charset: {note} {encoding} does not fit the bytes; "
                            f"detected {detected}")
            return Decoded(text, detected, tuple(problems))
        except UnicodeDecodeError:
            pass
    problems.append(f"charset: bytes invalid in {encoding}; replaced")
    return Decoded(body.decode(encoding, errors="replace"), encoding, tuple(problems))


def parse_html(text: str) -> tuple[etree._Element, bool]:
    """The document, and whether libxml2's nesting limit cut it (it stops reading there
    and says so in the parser's error log). Raises ``etree.ParserError`` for an empty one."""
    # Plain lxml elements, not lxml.html's: no Python class lookup for every element
    # touched, which costs more than the parse itself over the walks that follow.
    parser = etree.HTMLParser(remove_comments=True, remove_pis=True, huge_tree=False)
    # The stubs say an element, but libxml2's HTML parser gives None for a document
    # with nothing in it.
    text = _XML_DECLARATION.sub("", text[:1024], count=1) + text[1024:]
    doc: etree._Element | None = etree.fromstring(text, parser=parser)
    if doc is None:
        raise etree.ParserError("Document is empty")
    return doc, any(e.type_name == "ERR_RESOURCE_LIMIT" and "depth" in e.message
                    for e in parser.error_log)


def text_content(el: etree._Element) -> str:
    """The text of ``el`` and its descendants, white space collapsed to single spaces."""
    return _SPACE.sub(" ", "".join(el.itertext())).strip()
