"""The event log as PREMIS 3 XML: one object per file, every event, preserve as the agent.

Elements are in the order of the PREMIS 3.0 schema (object, event, agent); event types
carry the Library of Congress preservation vocabulary URI where one matches.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

from lxml import etree

from .. import __version__
from ..atomic import atomic_write
from ..errors import ExportError
from ..store.events import AGENT

__all__ = ["write_premis", "premis_tree", "PREMIS_NS"]

PREMIS_NS = "http://www.loc.gov/premis/v3"
_XSI = "http://www.w3.org/2001/XMLSchema-instance"
_SCHEMA = "http://www.loc.gov/premis/v3 https://www.loc.gov/standards/premis/premis.xsd"
_VOCAB = "http://id.loc.gov/vocabulary/preservation/eventType"
_TYPES = {"fixity check": "fix", "file closed": "mes", "crawl started": "cap",
          "crawl resumed": "cap", "crawl finished": "cap", "crawl stopped": "cap"}
_P = f"{{{PREMIS_NS}}}"


def _sub(parent: etree._Element, name: str, text: str | None = None,
         **attrs: str) -> etree._Element:
    # Passed as ``attrib``, not spread as keywords: a spread key could land on
    # SubElement's ``attrib`` or ``nsmap`` parameters, so the typed call would not check.
    el = etree.SubElement(parent, _P + name, attrib=attrs)
    if text is not None:
        el.text = text
    return el


def _format(path: str) -> str:
    if path.endswith((".warc.gz", ".warc")):
        return "WARC"
    if path.endswith(".cdxj"):
        return "CDXJ"
    if path.endswith(".jsonl"):
        return "JSON Lines"
    if path.endswith(".toml"):
        return "TOML"
    return "text/plain"


def premis_tree(events: Iterable[dict[str, Any]],
                objects: dict[str, dict[str, Any]]) -> etree._Element:
    """``objects``: path -> {"sha256": ..., "size": ...} (as last checked)."""
    root = etree.Element(_P + "premis", nsmap={"premis": PREMIS_NS, "xsi": _XSI},
                         version="3.0")
    root.set(f"{{{_XSI}}}schemaLocation", _SCHEMA)
    events = list(events)
    for path in sorted(objects):
        facts = objects[path]
        o = _sub(root, "object", **{f"{{{_XSI}}}type": "premis:file"})
        ident = _sub(o, "objectIdentifier")
        _sub(ident, "objectIdentifierType", "local")
        _sub(ident, "objectIdentifierValue", path)
        chars = _sub(o, "objectCharacteristics")
        if facts.get("sha256"):
            fixity = _sub(chars, "fixity")
            _sub(fixity, "messageDigestAlgorithm", "SHA-256",
                 authority="cryptographicHashFunctions",
                 authorityURI="http://id.loc.gov/vocabulary/preservation/"
                              "cryptographicHashFunctions",
                 valueURI="http://id.loc.gov/vocabulary/preservation/"
                          "cryptographicHashFunctions/sha256")
            _sub(fixity, "messageDigest", str(facts["sha256"]))
            _sub(fixity, "messageDigestOriginator", AGENT)
        if isinstance(facts.get("size"), int):
            _sub(chars, "size", str(facts["size"]))
        fmt = _sub(chars, "format")
        _sub(_sub(fmt, "formatDesignation"), "formatName", _format(path))
    for e in events:
        ev = _sub(root, "event")
        ident = _sub(ev, "eventIdentifier")
        _sub(ident, "eventIdentifierType", "UUID")
        _sub(ident, "eventIdentifierValue", str(e.get("eventIdentifier", "")))
        etype = str(e.get("eventType", ""))
        attrs = {}
        if etype in _TYPES:
            attrs = {"authority": "eventType", "authorityURI": _VOCAB,
                     "valueURI": f"{_VOCAB}/{_TYPES[etype]}"}
        _sub(ev, "eventType", etype, **attrs)
        _sub(ev, "eventDateTime", str(e.get("eventDateTime", "")))
        outcome = _sub(ev, "eventOutcomeInformation")
        _sub(outcome, "eventOutcome", str(e.get("eventOutcome", "")))
        detail = _sub(outcome, "eventOutcomeDetail")
        note = str(e.get("eventOutcomeDetail", ""))
        data = e.get("data")
        if isinstance(data, dict) and data.get("sha256"):
            # The digest as found, in the note: an extension element would need a schema.
            note += f" (SHA-256 {data['sha256']}" + (
                f", {data['size']} bytes)" if "size" in data else ")")
        _sub(detail, "eventOutcomeDetailNote", note)
        agent = _sub(ev, "linkingAgentIdentifier")
        _sub(agent, "linkingAgentIdentifierType", "local")
        _sub(agent, "linkingAgentIdentifierValue", str(e.get("linkingAgent") or AGENT))
        _sub(agent, "linkingAgentRole", "executing program")
        obj = e.get("linkingObject")
        if isinstance(obj, str) and obj:
            link = _sub(ev, "linkingObjectIdentifier")
            is_url = obj.startswith(("http:", "https:"))
            _sub(link, "linkingObjectIdentifierType", "URI" if is_url else "local")
            _sub(link, "linkingObjectIdentifierValue", obj)
            _sub(link, "linkingObjectRole", "outcome" if etype == "file closed" else "source")
    agents = sorted({str(e.get("linkingAgent") or AGENT) for e in events} | {AGENT})
    for name in agents:
        a = _sub(root, "agent")
        ident = _sub(a, "agentIdentifier")
        _sub(ident, "agentIdentifierType", "local")
        _sub(ident, "agentIdentifierValue", name)
        _sub(a, "agentName", name.partition("/")[0])
        _sub(a, "agentType", "software")
        _sub(a, "agentVersion", name.partition("/")[2] or __version__)
    return root


def write_premis(path: Path, events: Iterable[dict[str, Any]],
                 objects: dict[str, dict[str, Any]]) -> int:
    """Write PREMIS 3 XML atomically; return the number of events written. Raises
    ExportError if ``path`` cannot be written."""
    tree = premis_tree(events, dict(objects))
    count = len(tree.findall(_P + "event"))
    try:
        with atomic_write(path, "wb") as f:
            f.write(etree.tostring(tree, xml_declaration=True, encoding="UTF-8",
                                   pretty_print=True))
    except OSError as e:
        raise ExportError(f"cannot write the PREMIS file ({e.strerror or e})", path) from e
    return count
