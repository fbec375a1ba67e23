"""A seed plan written out: one collection per MEP with a personal site, ready for
``preserve crawl``, the review CSV and ``plan.json`` (docs/seeds.md).

The plan is built in a temporary sibling directory and renamed into place, so a plan
directory is either the whole plan or absent; an existing one is replaced only when
asked (``force``), and then also by a rename.
"""

from __future__ import annotations

import contextlib
import csv
import json
import os
import re
import shutil
import tempfile
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..atomic import atomic_write, fsync_dir
from ..collection import Collection
from ..config import CollectionConfig, CrawlConfig, Description
from ..errors import ExportError
from .seedplan import MepSeeds, SeedPlan

__all__ = ["write_plan", "WrittenPlan", "PLAN_JSON", "REVIEW_CSV", "COLLECTIONS_DIR",
           "REVIEW_COLUMNS", "describe"]

PLAN_JSON = "plan.json"
REVIEW_CSV = "review.csv"
COLLECTIONS_DIR = "collections"
REVIEW_COLUMNS = ("identifier", "name", "country", "group", "terms", "issue", "urls",
                  "detail", "collection", "source_row")
# Letters NFKD does not take apart into a base letter and a mark.
_ASCII = str.maketrans({"Ł": "L", "ł": "l", "Ø": "O", "ø": "o", "Đ": "D", "đ": "d",
                        "ß": "ss", "Æ": "AE", "æ": "ae", "Œ": "OE", "œ": "oe", "Þ": "Th",
                        "þ": "th", "ı": "i"})


@dataclass(frozen=True)
class WrittenPlan:
    path: Path
    collections: int
    seeds: int


def slug(seeds: MepSeeds) -> str:
    """``mep-197490-magdalena-adamowicz``: the identifier keeps it unique, the name readable."""
    ascii_name = unicodedata.normalize("NFKD", seeds.mep.name.translate(_ASCII))
    ascii_name = ascii_name.encode("ascii", "ignore").decode("ascii").lower()
    name = re.sub(r"[^a-z0-9]+", "-", ascii_name).strip("-")[:40].strip("-")
    ident = re.sub(r"[^A-Za-z0-9]+", "-", seeds.mep.identifier.rsplit("/", 1)[-1]).strip("-")
    return "-".join(p for p in ("mep", ident, name) if p)


def _terms(seeds: MepSeeds) -> str:
    return ", ".join(str(t) for t in seeds.terms)


def describe(seeds: MepSeeds, source: str) -> Description:
    """The collection's Dublin Core description of an MEP's site (docs/seeds.md)."""
    mep = seeds.mep
    dates = f"{mep.start}/{mep.end}" if mep.start or mep.end else ""
    term = f"term {_terms(seeds)}" if len(seeds.terms) == 1 else \
        f"terms {_terms(seeds)}" if seeds.terms else ""
    where = f" for {mep.country}" if mep.country else ""
    when = f" in {term}" if term else ""
    span = f" ({dates})" if dates else ""
    group = f"; political group: {mep.group}" if mep.group else ""
    party = f"; national party: {mep.party}" if mep.party else ""
    return Description(
        title=f"{mep.name}, Member of the European Parliament: personal website",
        subject="; ".join(p for p in (mep.name, "Member of the European Parliament",
                                      f"European Parliament {term}" if term else "",
                                      mep.country, mep.group) if p),
        description=(f"The personal website of {mep.name} (MEP {mep.identifier}), Member of "
                     f"the European Parliament{where}{when}{span}{group}{party}. Seeds from "
                     f"the European Parliament's MEP list ({source})."),
        identifier=mep.uri,
        date=dates,
        coverage="; ".join(p for p in (mep.country, dates) if p),
        relation="; ".join(p for p in (mep.group, mep.party) if p),
        source=" ".join(seeds.seeds),
    )


def _record(seeds: MepSeeds, collection: str | None) -> dict[str, Any]:
    mep = seeds.mep
    return {
        "identifier": mep.identifier, "uri": mep.uri, "name": mep.name,
        "given_name": mep.given_name, "family_name": mep.family_name,
        "country": mep.country, "group": mep.group, "party": mep.party,
        "terms": list(seeds.terms), "start": mep.start, "end": mep.end,
        "source_row": mep.where, "collection": collection, "seeds": list(seeds.seeds),
        "urls": [{"url": u.url, "kind": u.kind, "written": u.written, "merged": list(u.merged)}
                 for u in seeds.urls],
        "review": [r.issue for r in seeds.reviews],
    }


def write_plan(plan: SeedPlan, dest: Path, source: str, *, force: bool = False) -> WrittenPlan:
    """Write ``plan`` as the directory ``dest``; ExportError if it exists and not ``force``."""
    if dest.exists() and not force:
        raise ExportError("already exists; choose another plan directory or give --force "
                          "to replace it", dest)
    if dest.exists() and not dest.is_dir():
        raise ExportError("is not a directory; choose another plan directory", dest)
    parent = dest.absolute().parent
    try:
        parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{dest.name}.", suffix=".tmp", dir=parent))
    except OSError as e:
        raise ExportError(f"cannot create the plan ({e.strerror})", dest) from e
    try:
        written = _fill(plan, tmp, source)
        old = None
        if dest.exists():
            old = Path(tempfile.mkdtemp(prefix=f".{dest.name}.", suffix=".old", dir=parent))
            os.replace(dest, old / "plan")
        os.replace(tmp, dest)
        fsync_dir(parent)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
    except OSError as e:
        with contextlib.suppress(OSError):
            shutil.rmtree(tmp)
        raise ExportError(f"cannot write the plan ({e.strerror or e})", dest) from e
    except BaseException:
        with contextlib.suppress(OSError):
            shutil.rmtree(tmp)
        raise
    return WrittenPlan(dest, written[0], written[1])


def _fill(plan: SeedPlan, root: Path, source: str) -> tuple[int, int]:
    records, collections, seeds = [], 0, 0
    # utf-8-sig: with a BOM, so that a spreadsheet opens the names as UTF-8, not cp1252
    with atomic_write(root / REVIEW_CSV, "w", encoding="utf-8-sig") as f:
        out = csv.writer(f, lineterminator="\n")
        out.writerow(REVIEW_COLUMNS)
        for mep_seeds in plan.meps:
            rel = None
            if mep_seeds.seeds and mep_seeds.mep.identifier:
                rel = f"{COLLECTIONS_DIR}/{slug(mep_seeds)}"
                config = CollectionConfig(describe(mep_seeds, source),
                                          CrawlConfig(seeds=mep_seeds.seeds))
                Collection.create(root / rel, config)
                collections += 1
                seeds += len(mep_seeds.seeds)
            mep = mep_seeds.mep
            for review in mep_seeds.reviews:
                out.writerow((mep.identifier, mep.name, mep.country, mep.group,
                              _terms(mep_seeds), review.issue, " ".join(review.urls),
                              review.detail, rel or "", mep.where))
            records.append(_record(mep_seeds, rel))
    doc = {"source": source, "term": plan.term, "meps": records,
           "collections": collections, "seeds": seeds,
           "review": dict(sorted(plan.issue_counts().items()))}
    with atomic_write(root / PLAN_JSON, "w", encoding="utf-8") as f:
        json.dump(doc, f, indent=2, ensure_ascii=False)
        f.write("\n")
    return collections, seeds
