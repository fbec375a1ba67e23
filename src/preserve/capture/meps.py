"""The European Parliament's list of Members (MEPs), read from its CSV or its JSON(-LD) API
shape into one ``Mep`` per person, with the homepage cells as they were written.

The CSV is the open-data portal's MEP list (``mep_identifier``, ``mep_given_name``,
``mep_family_name``, ``mep_country_of_representation``, ``mep_political_group``,
``mep_homepage``, ...), in UTF-8 or cp1252, with or without a BOM, comma- or
semicolon-separated; column names are matched loosely (case, a ``mep_`` prefix and
punctuation do not matter; ``COLUMNS`` lists the names taken for each field). The JSON
is the API's ``/meps`` answer: ``data`` (or ``@graph``) holding Person objects with
``identifier``, ``label``/``givenName``/``familyName``, ``foaf:homepage`` and
``hasMembership`` (term, country, political group and their dates). Cleaning the
homepages is ``seedplan``'s job; this module only reads.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from ..errors import UnreadableInput

__all__ = ["Mep", "COLUMNS", "REQUIRED", "read_meps", "decode_text"]

# field -> the column names taken for it, compared after _column_key (lower case, no
# "mep" prefix, letters and digits only). The EP's own names come first.
COLUMNS: dict[str, tuple[str, ...]] = {
    "identifier": ("mep_identifier", "identifier", "id", "mep_id", "persid", "person_id"),
    "name": ("mep_label", "label", "full_name", "fullname", "name", "mep_full_name"),
    "given_name": ("mep_given_name", "mep_official_given_name", "given_name", "first_name",
                   "firstname", "forename"),
    "family_name": ("mep_family_name", "mep_official_family_name", "family_name",
                    "last_name", "lastname", "surname"),
    "country": ("mep_country_of_representation", "country_of_representation", "country",
                "country_code", "member_state", "mep_citizenship"),
    "group": ("mep_political_group", "political_group", "politicalgroup", "eu_group",
              "group", "mep_political_group_acro", "political_group_code"),
    "party": ("mep_local_party", "national_political_group", "nationalpoliticalgroup",
              "national_party", "party", "local_party"),
    "homepage": ("mep_homepage", "homepage", "home_page", "foaf_homepage", "website",
                 "websites", "web_site", "url"),
    "term": ("mep_term", "parliamentary_term", "term", "legislature", "legislative_term"),
    "start": ("mep_mandate_start", "mandate_start", "start_date", "startdate",
              "membership_start", "term_start", "member_from", "from"),
    "end": ("mep_mandate_end", "mandate_end", "end_date", "enddate", "membership_end",
            "term_end", "member_to", "to"),
}
# What a CSV must have; a name may also be given as given and family name.
REQUIRED = ("identifier", "name", "homepage")

_EP_PERSON = "https://data.europarl.europa.eu/person/"
_TERM_ORG = re.compile(r"(?:^|/)ep-(\d{1,2})$")
_TERM_TEXT = re.compile(r"(\d{1,2})")


@dataclass(frozen=True)
class Mep:
    """One Member as the source states them; ``homepage_cells`` are uncleaned."""

    identifier: str
    name: str
    given_name: str = ""
    family_name: str = ""
    country: str = ""
    group: str = ""
    party: str = ""
    term: int | None = None
    start: str = ""
    end: str = ""
    homepage_cells: tuple[str, ...] = ()
    where: str = ""  # "line 7" of a CSV, "data[3]" of a JSON file

    @property
    def uri(self) -> str:
        """The MEP's identifier as the European Parliament's person URI."""
        if not self.identifier or "://" in self.identifier:
            return self.identifier
        return _EP_PERSON + self.identifier


def decode_text(data: bytes) -> tuple[str, str]:
    """(text, encoding) of a file: a BOM decides, else UTF-8 if it decodes, else cp1252.

    The EP's exports have been both; cp1252 text with accented letters is almost never
    valid UTF-8 (an accented letter would have to be followed by the right symbols), so
    trying UTF-8 first is safe.
    """
    for bom, name in ((b"\xef\xbb\xbf", "utf-8-sig"), (b"\xff\xfe", "utf-16"),
                      (b"\xfe\xff", "utf-16")):
        if data.startswith(bom):
            return data.decode(name), name
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        return data.decode("cp1252"), "cp1252"


def read_meps(path: Path) -> tuple[list[Mep], str]:
    """The MEPs of a CSV or JSON file, and a word on what was read ("CSV, cp1252").

    Raises UnreadableInput for a file that cannot be opened, decoded or parsed, or a CSV
    without the columns REQUIRED names.
    """
    try:
        data = path.read_bytes()
    except OSError as e:
        raise UnreadableInput(path, e.strerror or str(e)) from e
    try:
        text, encoding = decode_text(data)
    except UnicodeDecodeError as e:
        raise UnreadableInput(path, f"neither UTF-8 nor cp1252 text ({e.reason})") from e
    if text.lstrip()[:1] in ("{", "["):
        return _from_json(path, text), f"JSON, {encoding}"
    return _from_csv(path, text), f"CSV, {encoding}"


def _column_key(name: str) -> str:
    key = re.sub(r"[^a-z0-9]", "", name.strip().lower())
    return key[3:] if key.startswith("mep") and len(key) > 3 else key


_WANTED = {field_name: tuple(dict.fromkeys(_column_key(c) for c in names))
           for field_name, names in COLUMNS.items()}


def _columns(header: list[str]) -> dict[str, int]:
    """field -> the index of its column; the first name of COLUMNS found wins."""
    keys = [_column_key(h) for h in header]
    found: dict[str, int] = {}
    for field_name, wanted in _WANTED.items():
        for key in wanted:
            if key in keys:
                found[field_name] = keys.index(key)
                break
    return found


def _from_csv(path: Path, text: str) -> list[Mep]:
    first = text.split("\n", 1)[0]
    delimiter = max(",;\t", key=first.count)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        header = next(reader, None)
        if not header:
            raise UnreadableInput(path, "empty file; expected the European Parliament's "
                                  "MEP list as CSV or JSON")
        cols = _columns(header)
        missing = [f for f in REQUIRED if f not in cols
                   and not (f == "name" and {"given_name", "family_name"} <= set(cols))]
        if missing:
            wanted = "; ".join(f"{f}: {' or '.join(COLUMNS[f][:3])}" for f in missing)
            raise UnreadableInput(path, f"not an MEP list: no column for {wanted}")
        meps = []
        line = reader.line_num + 1  # where the next row starts (a cell may hold newlines)
        for row in reader:
            start, line = line, reader.line_num + 1
            if not any(cell.strip() for cell in row):
                continue

            def cell(name: str, row: list[str] = row) -> str:
                i = cols.get(name)
                return row[i].strip() if i is not None and i < len(row) else ""
            meps.append(_mep(cell, f"line {start}"))
    except csv.Error as e:
        raise UnreadableInput(path, f"malformed CSV at line {reader.line_num}: {e}") from e
    return meps


def _mep(cell: Callable[[str], str], where: str) -> Mep:
    given, family = cell("given_name"), cell("family_name")
    name = cell("name") or " ".join(p for p in (given, family) if p)
    term_text = _TERM_TEXT.search(cell("term"))
    return Mep(identifier=cell("identifier"), name=name, given_name=given,
               family_name=family, country=cell("country"), group=cell("group"),
               party=cell("party"), term=int(term_text.group(1)) if term_text else None,
               start=cell("start"), end=cell("end"),
               homepage_cells=(cell("homepage"),) if cell("homepage") else (), where=where)


def _local(key: str) -> str:
    """A JSON-LD key without its prefix or namespace: foaf:homepage -> homepage."""
    return re.split(r"[:#/]", key)[-1].lower()


def _get(obj: dict[str, Any], *names: str) -> Any:
    wanted = {n.lower() for n in names}
    for key, value in obj.items():
        if _local(key) in wanted:
            return value
    return None


def _texts(value: Any) -> Iterator[str]:
    """Every string in a JSON-LD value: a string, a list, {"@id"}, {"@value"}, {"en": ...}."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, list):
        for item in value:
            yield from _texts(item)
    elif isinstance(value, dict):
        for key in ("@id", "@value", "url", "id", "en"):
            if isinstance(value.get(key), str):
                yield value[key]
                return
        for item in value.values():
            yield from _texts(item)
            return


def _text(value: Any) -> str:
    return next(_texts(value), "").strip()


def _people(doc: Any) -> list[Any]:
    if isinstance(doc, list):
        return doc
    if isinstance(doc, dict):
        for key in ("data", "@graph", "meps", "items"):
            if isinstance(doc.get(key), list):
                return list(doc[key])
        return [doc]
    return []


def _from_json(path: Path, text: str) -> list[Mep]:
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as e:
        raise UnreadableInput(path, f"malformed JSON at line {e.lineno}: {e.msg}") from e
    meps = []
    for n, person in enumerate(_people(doc)):
        if not isinstance(person, dict):
            raise UnreadableInput(path, f"data[{n}] is not a JSON object")
        ident = _text(_get(person, "identifier", "notation")) or \
            _text(_get(person, "id", "@id")).rsplit("/", 1)[-1]
        if not ident:
            raise UnreadableInput(path, f"data[{n}] has no identifier")
        given = _text(_get(person, "givenName"))
        family = _text(_get(person, "familyName"))
        name = _text(_get(person, "label", "name")) or " ".join(p for p in (given, family) if p)
        homepages = tuple(h for h in _texts(_get(person, "homepage", "homePage")) if h.strip())
        base = Mep(identifier=ident, name=name, given_name=given, family_name=family,
                   country=_text(_get(person, "country-of-representation")),
                   group=_text(_get(person, "political-group")),
                   homepage_cells=homepages, where=f"data[{n}]")
        meps.extend(_per_term(base, _as_list(_get(person, "hasMembership"))))
    return meps


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [] if value is None else [value]


@dataclass
class _Term:
    start: str = ""
    end: str = ""
    countries: list[str] = field(default_factory=list)
    groups: list[str] = field(default_factory=list)


def _per_term(base: Mep, memberships: Iterable[Any]) -> list[Mep]:
    """One Mep per parliamentary term the memberships show (the base alone if none)."""
    terms: dict[int, _Term] = {}
    groups: list[tuple[str, str, str]] = []  # (label, start, end)
    for m in memberships:
        if not isinstance(m, dict):
            continue
        kind = _text(_get(m, "membershipClassification")).rsplit("/", 1)[-1].upper()
        during = _get(m, "memberDuring")
        during = during if isinstance(during, dict) else {}
        start, end = _text(_get(during, "startDate")), _text(_get(during, "endDate"))
        org = _text(_get(m, "organization"))
        term = _TERM_ORG.search(org) or _TERM_ORG.search(_text(_get(m, "parliamentaryTerm")))
        if term and kind in ("", "EU_INSTITUTION"):
            t = terms.setdefault(int(term.group(1)), _Term())
            t.start = min(filter(None, (t.start, start)), default="")
            t.end = max(filter(None, (t.end, end)), default="")
            for country in _texts(_get(m, "represents")):
                code = country.rstrip("/").rsplit("/", 1)[-1]
                if code not in t.countries:
                    t.countries.append(code)
        elif kind == "EU_POLITICAL_GROUP":
            label = _text(_get(m, "organizationLabel", "label")) or org.rsplit("/", 1)[-1]
            groups.append((label, start, end))
    if not terms:
        return [base]
    result = []
    for number, t in sorted(terms.items()):
        in_term = [g for g, s, e in groups
                   if (not t.end or not s or s <= t.end) and (not e or not t.start or e >= t.start)]
        result.append(replace(
            base, term=number, start=t.start, end=t.end,
            country="; ".join(t.countries) or base.country,
            group="; ".join(dict.fromkeys(in_term)) if groups else base.group))
    return result
