"""Who wrote the page's article: names from structured data and visible bylines.

Sources, strongest first; the first that names anyone gives every author:

1. JSON-LD: the article object's ``author`` and ``creator`` that are people (a
   ``Person``, a plain string, or an ``@id`` reference to a Person elsewhere in the page's
   graph, as Yoast writes it).
2. The article's visible byline, read only from the page's article (``scope``: never a
   comment, a widget or a teaser): microdata ``itemprop=author`` (its ``itemprop=name``,
   else its text), ``rel=author`` links, vcards (``.vcard .fn``, ``.author .fn``),
   elements classed as a byline or author, and lines such as "By Jane Doe" in about
   twenty languages.
3. Meta elements: ``author``, ``article:author`` (names, not profile URLs),
   ``DC.creator``/``dcterms.creator``, ``citation_author``, ``parsely-author``,
   ``sailthru.author``, ``byl``. They come after the byline because they are often the
   site's default (its owner, or a CMS account such as "admin"), not this article's.
4. JSON-LD authors that are organisations: often the publisher standing in for the
   writer, so any person named above wins.

Link prose is not a name: "View all of Jane Doe's posts.", "Posts by Jane Doe",
"Zeige alle Beiträge von Jane Doe" give Jane Doe by their pattern (the name follows the
byline word, or precedes "'s posts"), and anything else that does not look like a name
is skipped. Names are cleaned ("By", labels such as "Autor:", dates and times, e-mail
addresses, URLs, "| Site" tails and role suffixes such as ", AP Writer" go), several
authors are split on commas in a list and on "and", "&", "und", "et", "y", "e", "en", "og",
"och", "i", "és", "ja", "și", "a" (in the page's languages), and a name that is a domain
(``example.com``) or the site itself is the publisher, not an author. The rules, with
their reasons, are in docs/normalise.md ("Authors").
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Iterator
from typing import Any

from lxml import etree

from . import scope

__all__ = ["clean_names", "jsonld_authors", "meta_authors", "page_authors", "looks_like_name"]

_SPACE = re.compile(r"\s+")
# Byline words before a name, lower-case or capitalised: "By", "Von", "Par", "Por",
# "Di", "Door", "Av", "Af", "Przez", "Από", "Od", "Autor:" ... (one or two words of
# verb before them: "Written by", "Geschrieben von", "Écrit par", "Scritto da").
_BY_WORDS = (
    r"by|von|vom|par|por|di|da|door|av|af|przez|από|od|του|της|от|ot|napisal|napisała"
    r"|írta|kirjoittanut|autor(?:in|ius|s|e)?|auteur|author|text|texte|testo|tekst"
    r"|written\s+by|words\s+by|reported\s+by|posted\s+by|published\s+by|story\s+by"
    r"|geschrieben\s+von|verfasst\s+von|erstellt\s+von|écrit\s+par|rédigé\s+par"
    r"|publié\s+par|escrito\s+por|publicado\s+por|scritto\s+da|pubblicato\s+da"
    r"|geschreven\s+door|skrevet\s+af|skrevet\s+av|skriven\s+av|napisane\s+przez"
    r"|piše|pisze|scris\s+de"
)
_BY_WORD = re.compile(rf"^(?:{_BY_WORDS})$", re.I)
_BY_PREFIX = re.compile(rf"^\s*(?:\w+\s+by|{_BY_WORDS})\s*[:\-–]?\s+(?=\S)", re.I)
_BY_INSIDE = re.compile(rf"(?:^|\s)(?:{_BY_WORDS})\s*:?\s+(?P<name>\S.*)$", re.I)
# The name in WordPress's link prose: "View all of Jane Doe's posts.", "Posts by Jane
# Doe", "View all posts by Jane Doe", "Alle Beiträge von Jane Doe anzeigen", "Voir tous
# les articles de Jane Doe", "Ver todas las entradas de Jane Doe".
_PROSE_WORDS = frozenset({
    "view", "all", "posts", "post", "articles", "article", "stories", "more", "see",
    "show", "read", "browse", "profile", "about", "entries", "everything", "other",
    "alle", "beiträge", "artikel", "zeige", "anzeigen", "mehr", "weitere", "voir", "tous",
    "les", "plus", "ver", "todas", "todos", "las", "entradas", "artículos", "leggi",
    "tutti", "gli", "articoli", "bekijk", "berichten", "visa", "inlägg", "se", "indlæg",
    "innlegg", "zobacz", "wszystkie", "wpisy", "says", "said", "wrote", "writes", "says:",
    "posted", "published", "written", "photo", "photograph", "image", "video", "by",
    "über", "sobre", "propos", "edit", "autor", "author", "auteur", "autore", "text",
    "datum", "date", "stand", "uhr", "vorlesen", "nachricht", "share", "teilen", "print",
    "drucken", "menu", "home", "login", "anonymous", "unknown", "none", "null",
})
_POSSESSIVE = re.compile(r"^(?:.*\bof\s+)?(?P<name>.+?)['’]s\s+(?:posts|articles|stories|"
                         r"profile|page|work)\b", re.I)
_PROSE_BY = re.compile(r"\b(?:by|from|von|de|di|du|door|av|af|par|por|przez|od)\s+"
                       r"(?P<name>.+?)\s*$", re.I)
_PROSE_TAIL = re.compile(r"\s+(?:anzeigen|ansehen|bekijken|visualizza|ver|voir|»|→)\s*$",
                         re.I)
# Byline words that also begin names when capitalised ("Da Silva", "Di Maria").
_CAPITAL_PARTICLES = frozenset({"Da", "Di", "Od", "Ot", "De", "Du"})
# Lower-case words inside names: "Ursula von der Leyen", "Ortega y Gasset".
_PARTICLES = frozenset({"von", "van", "der", "den", "de", "del", "della", "di", "da",
                        "du", "la", "le", "ten", "ter", "zu", "bin", "al", "el", "dos",
                        "das", "do", "y", "e", "af", "av"})
_AND = re.compile(r"\s+(?:and|&|und|et|y|e|en|og|och|i|és|ja|și|a|и|και|ve)\s+|\s*[;&]\s*",
                  re.I)
# Separators after which a byline continues with something else: "Jane Doe | Site",
# "Jane Doe · 14 October 2021", "Jane Doe - http://...".
_SEPARATOR = re.compile(r"\s+[|\-–—»•·]\s+|\s*[|•·»]\s*|\s+[-–—]\s*$|^\s*[-–—|]\s+")
_DATE_TAIL = re.compile(
    r"^(?P<name>.*?\S)\s*,?\s+(?:(?:am|on|at|um|le|el|il|op|den|dnia|the|vor|hace|il y a)"
    r"\s+\D{0,12}\d.*|\S*\d.*|\S+\s+ago)$", re.I)
# "Jane Doe posted", "Jane Doe wrote": the verb after a name.
_VERB_TAIL = re.compile(r"\s+(?:posted|wrote|writes|says|said|schrieb|schreibt|a écrit|"
                        r"escribió|scrive|pisze|skrev)\s*:?$", re.I)
# A tail that is surely a date or a time, even after a name with digits ("jane1 am 20.09.2020").
_SURE_DATE = re.compile(r"\d{1,4}[./:\-]\d")
# A label before the name: "Autor: Jane Doe", "责任编辑：孔德明". Any other label ("Photo:")
# leaves its colon, and a name has none.
_LABEL = re.compile(
    r"^\s*(?:author|authors|autor|autorin|autoren|auteur|auteurs|autore|autori|autorzy|"
    r"text|texte|testo|tekst|texto|written\s+by|by|von|par|por|door|redakteur|redakteurin|"
    r"journalist|reporter|作者|责任编辑|編輯|编辑|记者|記者|著者|筆者|글|기자)\s*[:：]\s*(?=\S)",
    re.I)
_EMPTY_BRACKETS = re.compile(r"[<(\[]\s*[>)\]]")
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_URL = re.compile(r"(?:https?://|www\.)\S+", re.I)
_DOMAIN = re.compile(r"^[\w-]+(?:\.[\w-]+)*\.[a-z]{2,12}$", re.I)
# After a comma, an affiliation or role rather than another author.
_ROLE_WORDS = frozenset({
    "writer", "staff", "correspondent", "editor", "reporter", "contributor",
    "journalist", "columnist", "photographer", "redakteur", "redakteurin",
    "korrespondent", "korrespondentin", "rédacteur", "rédactrice", "redactor",
    "redactora", "corresponsal", "giornalista", "inviato", "phd", "ph.d.", "md",
})
_WORD_CHARS = re.compile(r"\w")


def _clean_space(value: str) -> str:
    return _SPACE.sub(" ", value).strip()


def looks_like_name(name: str) -> bool:
    """A person's or an organisation's name, not prose, a date or an address."""
    words = name.split()
    if not 2 <= len(name) <= 70 or not words or len(words) > 6:
        return False
    if not _WORD_CHARS.match(name[0]) or name[0].isdigit():
        return False
    if any(c in name for c in '!?"“”()[]{}<>=/\\:@«»©') or _DOMAIN.match(name):
        return False
    if _EMAIL.search(name) or _URL.search(name) or name.lower().startswith("http"):
        return False
    lowered = [w.lower().strip(".,:") for w in words]
    if any(w in _PROSE_WORDS for w in lowered) and len(words) > 1:
        return False
    if len(words) == 1 and lowered[0] in _PROSE_WORDS or _BY_WORD.match(lowered[-1]):
        return False  # a label, or a byline word with the name left out ("Beitrag von")
    if re.search(r"\.\s+[a-z]", name) or (name.endswith(".") and len(words[-1]) > 4):
        return False  # a sentence, not a name
    if len(words) > 2:
        capitals = sum(1 for w in words if w[0].isupper() or not w[0].isalpha())
        if capitals * 2 < len(words):
            return False
    return True


def _person_shaped(name: str) -> bool:
    """Stricter, for names found in free text: one word (a user name), or every word
    capitalised but the particles ("Ursula von der Leyen")."""
    words = name.split()
    return len(words) == 1 or all(w[0].isupper() or w in _PARTICLES for w in words)


def _strip_by(text: str) -> str:
    for _ in range(2):  # "Written by: Jane Doe"
        stripped = _BY_PREFIX.sub("", text, count=1)
        if stripped == text:
            break
        if stripped.split()[0].lower() in _PARTICLES - {"y", "e"} and \
                not text.lower().startswith(("by", "par", "por", "door", "przez")):
            break  # "von der Leyen" is a name, not "Von" and "der Leyen"
        if text.lstrip()[:2] in _CAPITAL_PARTICLES:
            break  # "Da Silva", "Di Maria", "De Vries": a name; the byline word is "di"
        text = stripped
    return text


def _cut_date(text: str) -> str:
    """"Jane Doe at 18:52", "Jane Doe am 26/05/14", "Jane Doe on Sun, 06/12/2026", "Jane
    Doe posted on March 3, 2021" less the date (and the verb)."""
    m = _DATE_TAIL.match(text)
    if m and (not any(c.isdigit() for c in m.group("name"))
              or _SURE_DATE.search(text[m.end("name"):])):
        text = m.group("name")
    return _VERB_TAIL.sub("", text)


def _one(part: str) -> str | None:
    """One name from one piece of a byline, or None."""
    part = _EMPTY_BRACKETS.sub("", _URL.sub("", _EMAIL.sub("", part)))
    part = _cut_date(_strip_by(_clean_space(part)))
    part = part.strip(" \t,;:|-–—·•»@")
    return part if looks_like_name(part) else None


def clean_names(text: str | None) -> list[str]:
    """The names in one byline: "By Jane Doe and John Roe, AP" gives both."""
    if not text:
        return []
    if "&" in text and ";" in text:
        text = html.unescape(text)
    text = _LABEL.sub("", _clean_space(text), count=1)
    if not text or len(text) > 200:
        return []
    pieces = [p for p in _SEPARATOR.split(text) if p and p.strip(" -–—|")]
    if not pieces:
        return []
    text = _cut_date(_strip_by(pieces[0].strip()))
    out: list[str] = []
    parts = [p.strip() for p in _AND.split(text) if p and p.strip()]
    for part in parts:
        commas = [c.strip() for c in part.split(",") if c.strip()]
        if len(parts) == 1 and len(commas) == 2:
            # "Doe, Jane" is one name, family name first; in "Jane Doe, AP" or "Jane
            # Doe, New York" what follows the comma is an affiliation or a place.
            single = all(len(c.split()) == 1 for c in commas)
            commas = [part] if single else commas[:1]
        for piece in commas:
            if set(piece.lower().replace(".", " ").split()) & _ROLE_WORDS:
                continue  # "Jane Doe, Staff Writer", "John Roe, PhD"
            name = _one(piece)
            if name:
                _add(out, name)
    return out


def _add(names: list[str], name: str) -> None:
    """Add ``name`` unless it is there already (in any case), inside one that is, or
    holds one that is ("Jane Doe" and "Jane")."""
    low = f" {name.casefold()} "
    for have in names:
        h = f" {have.casefold()} "
        if h in low or low in h:
            return
    names.append(name)


def _prose_name(text: str) -> str | None:
    """The name inside link prose ("View all of Jane Doe's posts."), or None."""
    text = _PROSE_TAIL.sub("", _clean_space(text)).rstrip(". ")
    m = _POSSESSIVE.match(text)
    if m and looks_like_name(m.group("name").strip()):
        name = m.group("name").strip()
        return name if name.split()[0].lower() not in _PROSE_WORDS else None
    m = _PROSE_BY.search(text)
    if m:
        before = text[:m.start()].lower().split()
        if before and all(w in _PROSE_WORDS for w in before):
            names = clean_names(m.group("name"))
            return names[0] if len(names) == 1 else None
    return None


# JSON-LD


def _index(objects: Iterable[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {o["@id"]: o for o in objects if isinstance(o.get("@id"), str)}


def _types(obj: dict[str, Any]) -> set[str]:
    t = obj.get("@type")
    items = t if isinstance(t, list) else [t]
    return {str(x).rsplit("/", 1)[-1].lower() for x in items if isinstance(x, str)}


def _person_name(obj: dict[str, Any]) -> str | None:
    name = obj.get("name")
    if isinstance(name, list):
        name = " ".join(n for n in name if isinstance(n, str))
    if isinstance(name, str) and name.strip():
        return name
    parts = [obj.get(k) for k in ("givenName", "additionalName", "familyName")]
    joined = " ".join(p for p in parts if isinstance(p, str) and p.strip())
    return joined or None


def jsonld_authors(objects: list[dict[str, Any]], article_types: frozenset[str]
                   ) -> tuple[list[str], list[str]]:
    """(people, organisations) named as authors of the page's article objects."""
    index = _index(objects)
    people: list[str] = []
    orgs: list[str] = []
    for obj in objects:
        if not _types(obj) & article_types:
            continue
        for key in ("author", "creator"):
            value = obj.get(key)
            for item in value if isinstance(value, list) else [value]:
                if isinstance(item, str):
                    for name in clean_names(item):
                        _add(people, name)
                    continue
                if not isinstance(item, dict):
                    continue
                if set(item) <= {"@id", "@type"} and isinstance(item.get("@id"), str):
                    item = index.get(item["@id"], item)
                types = _types(item)
                target = orgs if types and "person" not in types else people
                for found in clean_names(_person_name(item)):
                    _add(target, found)
    return people, orgs


_META_KEYS = ("author", "article:author", "dc.creator", "dcterms.creator", "citation_author",
              "parsely-author", "sailthru.author", "byl")


def meta_authors(values: dict[str, list[str]]) -> list[str]:
    """Names from the meta elements (``values``: lower-cased key to contents)."""
    out: list[str] = []
    for key in _META_KEYS:
        for value in values.get(key, []):
            for name in clean_names(value):
                _add(out, name)
    return out


# The page

# Found by attribute values, tested in Python: one regular expression over the values of
# one attribute costs less than XPath string functions over every element.
_ITEMPROPS = etree.XPath("//@itemprop")
_RELS = etree.XPath("//a/@rel")
# "field--name-uid" is Drupal's author field.
_BYLINE_CLASS = re.compile(r"author|byline|\bbyl\b|writer|autor|auteur|verfasser|"
                           r"submitted|posted-by|journalist|name-uid", re.I)
_CLASS_WORDS = re.compile(r"author|autor|auteur|byl|writer|verfasser|submitted|posted|"
                          r"journalist|name-uid|fn")
_FN = re.compile(r"(?:^|\s)fn(?:\s|$)")
_VCARD = re.compile(r"(?:^|\s)(?:vcard|author)(?:\s|$)")
_AUTHOR_PROP = re.compile(r"(?:^|\s)(?:author|creator)(?:\s|$)")
_REL_AUTHOR = re.compile(r"(?:^|\s)author(?:\s|$)", re.I)
# Free text "By Jane Doe" is looked for only near the headline: in the article, else
# around the first <h1>.
_H1 = etree.XPath("(//h1)[1]")
_BY_TAGS = ("p", "span", "div", "strong", "em", "b", "address", "small", "li", "h2", "h3",
            "h4", "h5", "h6", "td")
_BY_START = re.compile(rf"^\s*(?:{_BY_WORDS})\s*:?(?:\s|$)", re.I)
_NOT_CLASSED = frozenset({"body", "html", "article", "main"})
# Class words of things near a byline that are not it: the author's picture, biography,
# links to follow them, photo credits.
_NOT_BYLINE = re.compile(
    r"avatar|photo|picture|pic\b|image|img|bio\b|biography|description|desc\b|social|"
    r"follow|caption|credit|about|title|label|icon|screen-reader|sr-only|"
    r"visually-hidden|comment|box\b", re.I)
# More names than this from one kind of element are a list (a reference list, a team
# page), not a byline.
_MAX_BYLINE = 8
_HIDDEN_TEXT = re.compile(r"screen-reader|sr-only|visually-hidden|visuallyhidden", re.I)


def _visible_text(el: etree._Element) -> str:
    """The element's text without screen-reader labels ("Post author") and scripts."""
    parts: list[str] = []

    def walk(node: etree._Element) -> None:
        if node.text:
            parts.append(node.text)
        for child in node:
            tag = child.tag if isinstance(child.tag, str) else ""
            if tag not in ("script", "style", "noscript", "template") and not \
                    _HIDDEN_TEXT.search(child.get("class") or ""):
                walk(child)
            if child.tail:
                parts.append(child.tail)

    walk(el)
    return _clean_space(" ".join(parts))


def _in_figure(el: etree._Element) -> bool:
    return any(a.tag in ("figure", "figcaption") for a in el.iterancestors())


def _microdata(el: etree._Element) -> list[str]:
    if el.tag == "meta":
        return clean_names(el.get("content"))
    if el.tag == "link":
        return []
    for sub in el.iter():
        if sub is not el and sub.get("itemprop") == "name":
            return clean_names(sub.get("content") or _visible_text(sub))
    return clean_names(_visible_text(el))


def _rel_author(el: etree._Element) -> list[str]:
    text = _visible_text(el)
    names = clean_names(text) if text and not _prose_name(text) else []
    if names and len(text.split()) <= 6:
        return names
    name = _prose_name(text) or _prose_name(el.get("title") or "")
    return [name] if name else []


def _byline_element(el: etree._Element) -> list[str]:
    if _NOT_BYLINE.search(el.get("class") or ""):
        return []
    text = _visible_text(el)
    if not text or len(text) > 120:
        return []
    names = clean_names(text)
    if names:
        return names
    m = _BY_INSIDE.search(text)  # "Post author: By Jane Doe", "Erstellt von Jane Doe"
    return [n for n in clean_names(m.group("name")) if _person_shaped(n)] if m else []


def _of_interest(names: str) -> bool:
    """A quick test before the regular expressions: most classes have none of the words."""
    return _CLASS_WORDS.search(names.lower()) is not None


def _headline_region(doc: etree._Element, article: etree._Element | None
                     ) -> etree._Element | None:
    if article is not None:
        return article
    h1: list[etree._Element] = _H1(doc)
    region = h1[0] if h1 else None
    for _ in range(3):
        if region is not None and region.getparent() is not None:
            region = region.getparent()
    return region


def _candidates(page: scope.Page) -> Iterator[tuple[str, list[etree._Element]]]:
    doc, article = page.doc, page.article
    props: list[Any] = _ITEMPROPS(doc)
    yield "microdata", [p.getparent() for p in props if _AUTHOR_PROP.search(p)]
    rels: list[Any] = _RELS(doc)
    yield "rel-author", [r.getparent() for r in rels if _REL_AUTHOR.search(r)]
    classes = [c for c in page.classes if _of_interest(c)]
    fns = [c.getparent() for c in classes if _FN.search(c)]
    yield "vcard", [el for el in fns if any(_VCARD.search(a.get("class") or "")
                                            for a in el.iterancestors())]
    yield "byline", [c.getparent() for c in classes
                     if _BYLINE_CLASS.search(c) and c.getparent().tag not in _NOT_CLASSED]
    region = _headline_region(doc, article)
    yield "by-line", [] if region is None else [
        el for el in region.iter(*_BY_TAGS) if el.text and _BY_START.match(el.text)
        and len(_visible_text(el)) < 90]


def _byline_group(el: etree._Element) -> etree._Element:
    """Where the rest of a byline can be: two levels up from its first name, so
    "By <a>Jane Doe</a> and <a>John Roe</a>" gives both, and the bylines of teasers
    further down the page give nothing."""
    parent = el.getparent()
    grand = parent.getparent() if parent is not None else None
    return grand if grand is not None else (parent if parent is not None else el)


def _within(el: etree._Element, group: etree._Element) -> bool:
    return el is group or any(a is group for a in el.iterancestors())


def page_authors(page: scope.Page) -> tuple[list[str], str]:
    """Names from the article's visible byline, and which kind of element gave them."""
    for kind, elements in _candidates(page):
        names: list[str] = []
        group: etree._Element | None = None
        for el in elements[:30]:
            if group is not None and not _within(el, group):
                continue
            if _in_figure(el) or page.elsewhere(el):
                continue
            if kind == "microdata":
                found = _microdata(el)
            elif kind == "rel-author":
                found = _rel_author(el)
            elif kind == "byline":
                found = _byline_element(el)
            else:
                found = [n for n in clean_names(_visible_text(el)) if _person_shaped(n)]
            for name in found:
                _add(names, name)
            if found and group is None:
                group = _byline_group(el)
        if 0 < len(names) <= _MAX_BYLINE:
            return names, kind
    return [], ""
