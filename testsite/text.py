"""Deterministic prose for the test site: who the site belongs to, and its article texts.

Every choice is a hash of its inputs (never ``random``, never the clock), so the same
site identity and article number give the same words on every run and Python version.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TypeVar

__all__ = ["Identity", "identity", "pick", "number", "title", "paragraphs", "slugify"]

T = TypeVar("T")


def number(*keys: object) -> int:
    """A stable non-negative integer derived from the keys."""
    digest = hashlib.sha256("\x1f".join(map(str, keys)).encode()).digest()
    return int.from_bytes(digest[:8], "big")


def pick(choices: Sequence[T], *keys: object) -> T:
    return choices[number(*keys) % len(choices)]


@dataclass(frozen=True)
class Identity:
    """The fictional politician a site belongs to."""

    first: str
    last: str
    region: str
    later_role: str  # "MSP for Inverness and Nairn"
    later_url: str  # out of scope: the crawler must never fetch it

    @property
    def name(self) -> str:
        return f"{self.first} {self.last}"

    @property
    def site_name(self) -> str:
        return f"{self.name} MEP"


_FIRST = ("Eilidh", "Rhodri", "Catriona", "Fergus", "Niamh", "Gareth", "Isla", "Euan",
          "Morag", "Tomos", "Ailsa", "Calum", "Sinead", "Dafydd", "Kirsty", "Ruaridh")
_LAST = ("MacLeod", "Pritchard", "Fraser", "Munro", "Gallagher", "Llewellyn", "Sutherland",
         "Ross", "Docherty", "Bevan", "Cameron", "Kerr", "Donnelly", "Griffiths", "Gunn")
_REGIONS = (("Scotland", "MSP for {}", ("Inverness and Nairn", "Skye, Lochaber and Badenoch",
                                         "Aberdeen Central", "Dundee City East")),
            ("Wales", "MS for {}", ("Ceredigion", "Cardiff North", "Arfon", "Gower")),
            ("Northern Ireland", "MLA for {}", ("Foyle", "South Down", "Belfast East")))


def identity(index: int) -> Identity:
    """Site 0 is Mairi Campbell; further sites (multi-host mode) get other names."""
    if index == 0:
        return Identity("Mairi", "Campbell", "Scotland", "MSP for Inverness and Nairn",
                        "http://www.parliament.example/msps/mairi-campbell")
    first, last = pick(_FIRST, "first", index), pick(_LAST, "last", index)
    region, role, seats = pick(_REGIONS, "region", index)
    slug = slugify(f"{first} {last}")
    return Identity(first, last, region, role.format(pick(seats, "seat", index)),
                    f"http://www.parliament.example/members/{slug}-{index}")


_TOPICS = (
    "fishing quotas in the North Sea", "offshore wind", "rural broadband",
    "the Erasmus+ programme", "citizens' rights after Brexit", "whisky tariffs",
    "structural funds for the Highlands", "single-use plastics", "food labelling",
    "mobile roaming charges", "seasonal agricultural workers", "Horizon 2020 research funding",
    "data protection", "air quality", "lifeline ferry services", "crofting",
    "salmon farming", "tidal energy", "the Common Agricultural Policy", "youth unemployment",
    "the Digital Services Act", "animal welfare in transport", "the energy union",
    "medicine shortages", "refugee resettlement", "steel jobs", "university partnerships",
    "the creative industries", "peatland restoration", "Gaelic broadcasting",
    "geographical indications for Scottish produce", "rail freight", "cross-border healthcare",
)
_PLACES = ("Inverness", "Aberdeen", "Dundee", "Stornoway", "Kirkwall", "Lerwick", "Fort William",
           "Oban", "Perth", "Stirling", "Dumfries", "Ullapool", "Elgin", "Wick", "Portree")
_TITLES = (
    "{last} calls for action on {topic}", "MEP welcomes Parliament vote on {topic}",
    "Questions to the Commission on {topic}", "Visit to {place} puts {topic} on the agenda",
    "New report on {topic} published", "Speech in Strasbourg on {topic}",
    "Constituents in {place} raise concerns over {topic}",
    "Committee backs {last} amendments on {topic}", "Letter to the UK Government on {topic}",
    "Funding secured for {topic} in {place}", "{place} and {topic}: what comes next",
    "Round-table in {place} on {topic}", "Statement on {topic}",
)
_SENTENCES = (
    "Speaking in Strasbourg this week, {first} said that {topic} could no longer be treated "
    "as an afterthought.",
    "The proposal was adopted by {n1} votes to {n2}, with {n3} abstentions.",
    "Local businesses in {place} have told me that {topic} is now their most pressing concern.",
    "The Commission has promised a response within six weeks, and I will hold it to that.",
    "I met representatives of {org} to hear their views before the committee vote.",
    "This is a practical measure that will make a real difference to families across {region}.",
    "Too often decisions on {topic} are taken far away from the communities they affect.",
    "The report calls for clearer rules, better funding and regular reviews.",
    "I tabled {n4} amendments, and I am pleased that most of them were accepted.",
    "Campaigners in {place} deserve enormous credit for keeping the issue in the public eye.",
    "We now need the governments in London and Edinburgh to play their part.",
    "The figures published this month show a rise of {n4} per cent since last year.",
    "Anyone affected is welcome to contact my office for advice.",
    "The vote sends a clear signal that Europe is listening.",
    "There is still work to do, but this is a welcome step forward.",
    "I have written to the Commissioner asking for an urgent meeting on {topic}.",
    "{org} estimates that more than {n1} jobs in {region} depend on getting this right.",
    "Members from every political group supported the compromise text.",
    "The new rules will be phased in over the next {n5} years.",
    "I will continue to press for a fair deal for {place} and the wider region.",
    "The debate in the chamber was lively, but the outcome was never really in doubt.",
    "My office has received more than {n1} letters and emails on {topic} this year.",
    "Small firms in particular need certainty if they are to plan ahead.",
    "I visited a family business near {place} to see the problem at first hand.",
    "The Council must now agree its position before talks can begin.",
    "Independent experts told the committee that the current approach is not working.",
    "I raised the matter directly with the Commissioner during question time.",
    "Nobody in {place} should be left behind by changes they did not ask for.",
    "The full text of the resolution is available on the Parliament's website.",
    "Our universities and colleges have a great deal to contribute here.",
    "It is a reminder of how much we achieve when we work together.",
    "I have asked the Commission to publish its impact assessment in full.",
)
_ORGS = ("the Scottish Fishermen's Federation", "NFU Scotland", "the Federation of Small "
         "Businesses", "Citizens Advice", "Highlands and Islands Enterprise", "the Crofting "
         "Commission", "the Royal Society for the Protection of Birds", "Universities Scotland",
         "the Scotch Whisky Association", "Community Energy Scotland")
_SUBHEADINGS = ("What happens next", "Background", "Why this matters", "The vote",
                "Local impact", "My view")


def _fill(template: str, ident: Identity, *keys: object) -> str:
    return template.format(
        first=ident.first, last=ident.last, region=ident.region,
        topic=pick(_TOPICS, "topic", *keys[:2]), place=pick(_PLACES, "place", *keys[:2]),
        org=pick(_ORGS, "org", *keys), n1=100 + number("n1", *keys) % 500,
        n2=20 + number("n2", *keys) % 200, n3=number("n3", *keys) % 60,
        n4=2 + number("n4", *keys) % 30, n5=2 + number("n5", *keys) % 5,
    )


def title(ident: Identity, site: int, index: int) -> str:
    text = _fill(pick(_TITLES, "title", site, index), ident, site, index)
    return text[0].upper() + text[1:]


def paragraphs(ident: Identity, site: int, index: int) -> list[str]:
    """Four to seven paragraphs; a paragraph starting with '## ' is a subheading."""
    # Sentences are dealt from a per-article shuffle, so none repeats within a paragraph.
    order = sorted(range(len(_SENTENCES)), key=lambda k: number("order", site, index, k))
    out: list[str] = []
    dealt = 0
    for p in range(4 + number("paras", site, index) % 4):
        if p == 2 and number("sub", site, index) % 2:
            out.append("## " + pick(_SUBHEADINGS, "subhead", site, index))
        sentences = []
        for s in range(3 + number("sents", site, index, p) % 3):
            k = order[dealt % len(order)]
            dealt += 1
            sentence = _fill(_SENTENCES[k], ident, site, index, p, s)
            sentences.append(sentence[0].upper() + sentence[1:])
        out.append(" ".join(sentences))
    return out


def slugify(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
