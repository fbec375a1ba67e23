"""The text tag files of a bag, parsed as RFC 8493 says (section 2): the bag declaration
(bagit.txt), manifests, bag-info.txt and fetch.txt. Each parser returns what it read and
the findings about the file's form; verify/bag.py checks what they say against the bag.
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass, field

from .report import Finding, finding

__all__ = ["Declaration", "Manifest", "parse_declaration", "decode_tag", "parse_manifest",
           "parse_info", "parse_fetch", "Fetch", "lines_of", "KNOWN_VERSIONS",
           "check_info"]

KNOWN_VERSIONS = {(0, 93), (0, 94), (0, 95), (0, 96), (0, 97), (1, 0)}
V1 = (1, 0)
_LINE_END = re.compile(r"\r\n|\r|\n")
_PCT = re.compile(r"%(25|0[AaDd])")
_PCT_DECODED = {"25": "%", "0a": "\n", "0d": "\r"}


def lines_of(text: str) -> list[str]:
    """Lines ended by LF, CR or CRLF (section 2.3); a final line ending ends no line."""
    lines = _LINE_END.split(text)
    if lines and lines[-1] == "":
        lines.pop()
    return lines


@dataclass
class Declaration:
    version: tuple[int, int] = V1  # the rules applied when the version is unreadable
    version_text: str = ""
    encoding: str = "utf-8"  # a Python codec name


def parse_declaration(data: bytes) -> tuple[Declaration, list[Finding]]:
    """bagit.txt (section 2.1.1): exactly ``BagIt-Version: M.N`` and
    ``Tag-File-Character-Encoding: ENCODING``, in UTF-8 without a BOM."""
    name = "bagit.txt"
    out: list[Finding] = []
    d = Declaration()
    if data.startswith(codecs.BOM_UTF8):
        out.append(finding("BAGIT_DECLARATION_BOM", name, "bagit.txt starts with a UTF-8 "
                           "byte-order mark, which RFC 8493 2.1.1 forbids"))
        data = data[3:]
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as e:
        out.append(finding("BAGIT_DECLARATION_MALFORMED", name, f"bagit.txt is not UTF-8 "
                           f"(byte {e.start})", offset=e.start))
        text = data.decode("utf-8", "replace")
    lines = lines_of(text)
    while lines and not lines[-1].strip():
        lines.pop()
    labels = ("BagIt-Version", "Tag-File-Character-Encoding")
    values: list[str | None] = [None, None]
    loose = False
    for i, label in enumerate(labels):
        if i >= len(lines):
            out.append(finding("BAGIT_DECLARATION_MALFORMED", name, f"no `{label}:` line "
                               "(bagit.txt must hold exactly two lines: BagIt-Version, "
                               "then Tag-File-Character-Encoding)", expected=label))
            continue
        line = lines[i]
        m = re.fullmatch(r"([ \t]*)([^:]*?)([ \t]*):([ \t]*)(.*?)([ \t]*)", line)
        if not m or m.group(2).lower() != label.lower():
            out.append(finding("BAGIT_DECLARATION_MALFORMED", name, f"line {i + 1} is not "
                               f"`{label}: ...`", offset=i + 1, expected=label,
                               found=line[:80]))
            continue
        values[i] = m.group(5)
        if m.group(1) or m.group(3) or m.group(4) != " " or m.group(6):
            loose = True
    if len(lines) > 2:
        out.append(finding("BAGIT_DECLARATION_MALFORMED", name, f"{len(lines)} lines, not "
                           "two", expected=2, found=len(lines)))
    version, encoding = values
    if version is not None:
        d.version_text = version
        vm = re.fullmatch(r"(\d+)\.(\d+)", version)
        if vm is None:
            out.append(finding("BAGIT_VERSION_INVALID", name, f"BagIt-Version {version!r} "
                               "is not M.N (two numbers and a dot); checked by 1.0's rules",
                               expected="M.N", found=version))
        else:
            d.version = (int(vm.group(1)), int(vm.group(2)))
            if d.version not in KNOWN_VERSIONS:
                out.append(finding("BAGIT_VERSION_UNKNOWN", name, f"BagIt-Version "
                                   f"{version} is no published version (0.93 to 0.97, "
                                   "1.0); checked by 1.0's rules"))
                d.version = V1
    if loose:
        if d.version >= V1:
            out.append(finding("BAGIT_DECLARATION_MALFORMED", name, "whitespace around a "
                               "colon or at a line's end: each line must be `Label: value`"
                               " with one space after the colon (bagit.py accepts it)"))
        else:
            out.append(finding("BAGIT_LABEL_SPACING", name, "whitespace around a colon, "
                               "which bags before 1.0 may have"))
    if encoding is not None:
        try:
            d.encoding = codecs.lookup(encoding).name
        except LookupError:
            out.append(finding("BAGIT_ENCODING_UNKNOWN", name, f"Tag-File-Character-"
                               f"Encoding {encoding!r} is no known character set; tag "
                               "files are read as UTF-8"))
        if d.encoding != "utf-8":
            out.append(finding("BAGIT_ENCODING_LEGACY", name, f"tag files are in "
                               f"{encoding}, not UTF-8 as RFC 8493 recommends"))
    return d, out


def decode_tag(data: bytes, name: str, encoding: str) -> tuple[str, list[Finding]]:
    """A text tag file in the bag's declared encoding (section 2.3)."""
    out: list[Finding] = []
    if encoding == "utf-8" and data.startswith(codecs.BOM_UTF8):
        out.append(finding("BAGIT_TAG_BOM", name, "starts with a byte-order mark, which a "
                           "UTF-8 tag file must not"))
        data = data[3:]
    try:
        return data.decode(encoding), out
    except UnicodeDecodeError as e:
        out.append(finding("BAGIT_TAG_UNDECODABLE", name, f"not valid {encoding} (byte "
                           f"{e.start}), the encoding bagit.txt declares", offset=e.start))
        return data.decode(encoding, "replace"), out


def decode_path(raw: str, name: str, line: int, out: list[Finding]) -> str | None:
    """A manifest's or fetch.txt's file path as the file's name: %0A, %0D and %25
    decoded (section 2.1.3), a leading ``./`` dropped; None (with a finding) for a path
    that could lead out of the bag (section 5.1)."""
    if re.search(r"%(?!25|0[AaDd])", raw):
        out.append(finding("BAGIT_PATH_PERCENT", name, f"line {line}: a `%` that is not "
                           "%25, %0A or %0D: taken literally (RFC 8493 wants %25)",
                           offset=line))
    path = _PCT.sub(lambda m: _PCT_DECODED[m.group(1).lower()], raw)
    if path.startswith("./"):
        out.append(finding("BAGIT_PATH_DOT_SLASH", name, f"line {line}: a path starting "
                           "with `./`, read without it", offset=line))
        while path.startswith("./"):
            path = path[2:]
    parts = path.split("/")
    if (path.startswith("/") or re.match(r"[A-Za-z]:|\\\\", path)
            or any(p in ("", ".", "..") for p in parts)):
        out.append(finding("BAGIT_PATH_UNSAFE", name, f"line {line}: {raw!r} is not a "
                           "plain path inside the bag (absolute, `..`, `.` or empty "
                           "component): never opened", offset=line))
        return None
    return path


@dataclass
class Manifest:
    name: str  # e.g. "manifest-sha256.txt"
    algorithm: str  # hashlib's name
    entries: list[tuple[str, str, int]] = field(default_factory=list)  # path, hex, line


def parse_manifest(text: str, name: str, algorithm: str) -> tuple[Manifest, list[Finding]]:
    """Lines of ``checksum 1*WSP filepath`` (section 2.1.3)."""
    import hashlib

    out: list[Finding] = []
    man = Manifest(name, algorithm)
    width = hashlib.new(algorithm).digest_size * 2
    for n, line in enumerate(lines_of(text), 1):
        if not line.strip():
            continue
        m = re.fullmatch(r"([0-9A-Fa-f]+)[ \t]+(.+)", line)
        if m is None:
            out.append(finding("BAGIT_MANIFEST_MALFORMED", name, f"line {n} is not "
                               "`checksum  path`", offset=n))
            continue
        digest, raw = m.groups()
        if len(digest) != width:
            out.append(finding("BAGIT_MANIFEST_MALFORMED", name, f"line {n}: a {algorithm}"
                               f" digest has {width} hex digits", offset=n, expected=width,
                               found=len(digest)))
            continue
        if raw.startswith("*"):
            out.append(finding("BAGIT_MANIFEST_BINARY_MARK", name, f"line {n}: md5sum's binary "
                               "mark `*` before the path, read without it; the bag fails "
                               "strict validation", offset=n))
            raw = raw[1:]
        path = decode_path(raw, name, n, out)
        if path is not None:
            man.entries.append((path, digest.lower(), n))
    return man, out


def parse_info(text: str, name: str,
               version: tuple[int, int]) -> tuple[list[tuple[str, str]], list[Finding]]:
    """bag-info.txt (section 2.2.2): ``Label: value`` lines, values continued on lines
    that start with whitespace. Before 1.0, whitespace around the colon is allowed."""
    out: list[Finding] = []
    elements: list[tuple[str, str]] = []
    for n, line in enumerate(lines_of(text), 1):
        if not line.strip():
            out.append(finding("BAGIT_INFO_UNUSUAL", name, f"line {n} is blank",
                               offset=n))
            continue
        if line[0] in " \t":
            if not elements:
                out.append(finding("BAGIT_INFO_MALFORMED", name, f"line {n} continues no "
                                   "element", offset=n))
            else:
                label, value = elements[-1]
                elements[-1] = (label, f"{value} {line.strip()}")
            continue
        label, colon, value = line.partition(":")
        if not colon or not label.strip():
            out.append(finding("BAGIT_INFO_MALFORMED", name, f"line {n} is not "
                               "`Label: value`", offset=n))
            continue
        if label != label.rstrip() or (value and value[0] not in " \t"):
            if version >= V1:
                out.append(finding("BAGIT_INFO_MALFORMED", name, f"line {n}: a label must "
                                   "be followed by a colon and one space", offset=n))
            else:
                out.append(finding("BAGIT_LABEL_SPACING", name, f"line {n}: whitespace "
                                   "around the colon, which bags before 1.0 may have",
                                   offset=n))
        if not value.strip():
            out.append(finding("BAGIT_INFO_UNUSUAL", name, f"line {n}: {label.strip()} "
                               "has no value", offset=n))
        elements.append((label.strip(), value.strip()))
    return elements, out


_NOT_REPEATED = ("bagging-date", "bag-size", "bag-group-identifier", "bag-count",
                 "packing-date", "package-size")
_FORMS: dict[str, tuple[str, str]] = {
    "bagging-date": (r"\d{4}-\d{2}-\d{2}", "YYYY-MM-DD"),
    "packing-date": (r"\d{4}-\d{2}-\d{2}", "YYYY-MM-DD"),
    "bag-size": (r"(\d+(\.\d*)?|\.\d+) ?([KMGTPE]i?B|B|bytes?|octets?)",
                 "a size and a unit, such as 42.6 GB"),
    "package-size": (r"(\d+(\.\d*)?|\.\d+) ?([KMGTPE]i?B|B|bytes?|octets?)",
                     "a size and a unit, such as 42.6 GB"),
    "bag-count": (r"\d+ of (\d+|\?)", "N of T, such as 1 of 15 or 3 of ?"),
}


def check_info(elements: list[tuple[str, str]], name: str,
               ) -> tuple[tuple[int, int] | None, list[Finding]]:
    """The reserved elements' forms and repeats; the Payload-Oxum (octets, files) if one
    well-formed element gives it."""
    out: list[Finding] = []
    seen: dict[str, list[str]] = {}
    for label, value in elements:
        seen.setdefault(label.lower(), []).append(value)
    oxum: tuple[int, int] | None = None
    oxums = seen.get("payload-oxum", [])
    if len(oxums) > 1:
        out.append(finding("BAGIT_OXUM_INVALID", name, f"Payload-Oxum appears "
                           f"{len(oxums)} times; it must not be repeated"))
    elif oxums:
        m = re.fullmatch(r"(\d+)\.(\d+)", oxums[0])
        if m is None:
            out.append(finding("BAGIT_OXUM_INVALID", name, f"Payload-Oxum {oxums[0]!r} is "
                               "not OctetCount.StreamCount", expected="OctetCount."
                               "StreamCount", found=oxums[0]))
        else:
            oxum = (int(m.group(1)), int(m.group(2)))
    for label in _NOT_REPEATED:
        if len(seen.get(label, [])) > 1:
            out.append(finding("BAGIT_INFO_UNUSUAL", name, f"{label} appears "
                               f"{len(seen[label])} times; it should not be repeated"))
    for label, (pattern, form) in _FORMS.items():
        for value in seen.get(label, []):
            if value and not re.fullmatch(pattern, value, re.I):
                out.append(finding("BAGIT_INFO_UNUSUAL", name, f"{label} {value!r} is not "
                                   f"{form}", expected=form, found=value))
    return oxum, out


@dataclass(frozen=True)
class Fetch:
    url: str
    length: int | None
    path: str
    line: int


def parse_fetch(text: str, name: str) -> tuple[list[Fetch], list[Finding]]:
    """fetch.txt (section 2.2.3): ``url length filepath`` lines, the URL absolute, the
    length a number or ``-``. Nothing is fetched."""
    out: list[Finding] = []
    fetches: list[Fetch] = []
    for n, line in enumerate(lines_of(text), 1):
        if not line.strip():
            continue
        m = re.fullmatch(r"(\S+)[ \t]+(\d+|-)[ \t]+(.+)", line)
        if m is None:
            out.append(finding("BAGIT_FETCH_MALFORMED", name, f"line {n} is not `url "
                               "length path`", offset=n))
            continue
        url, length, raw = m.groups()
        if not re.match(r"[A-Za-z][A-Za-z0-9+.-]*:", url):
            out.append(finding("BAGIT_FETCH_MALFORMED", name, f"line {n}: {url!r} is not "
                               "an absolute URL", offset=n))
        path = decode_path(raw, name, n, out)
        if path is not None:
            fetches.append(Fetch(url, None if length == "-" else int(length), path, n))
    return fetches, out

