"""Checks across the records of every file read: unique WARC-Record-IDs, revisits whose
original exists and has the same payload digest.

The ids of all records go to an SQLite file in the run's scratch directory, so the
check needs no more memory for a billion records than for ten.
"""

from __future__ import annotations

import itertools
import sqlite3
from collections.abc import Iterable
from pathlib import Path

from .digests import DigestFormatError, parse_digest
from .report import Capped, Finding, finding

__all__ = ["CrossFileCheck"]


class CrossFileCheck:
    def __init__(self, db_path: Path, *, complete: bool) -> None:
        """``complete``: every file a revisit may refer to is in the run (a collection),
        so a missing original is an error rather than a warning."""
        self.complete = complete
        self.db = sqlite3.connect(db_path)
        self.db.execute("PRAGMA journal_mode=OFF")
        self.db.execute("PRAGMA synchronous=OFF")
        self.db.execute("CREATE TABLE rec (seq INTEGER, file TEXT, id TEXT, type TEXT, "
                        "offset INTEGER, pd TEXT, rt TEXT, ruri TEXT, rdate TEXT, uri TEXT, "
                        "date TEXT)")
        self._seq = 0

    def add_file(self, name: str, ids_path: Path) -> None:
        """The records of one file, from the ids file FactWriter wrote for it (its lines
        taken as they are: the offset column's INTEGER affinity stores the number)."""
        self._seq += 1
        seq = self._seq
        with open(ids_path, encoding="utf-8") as f:
            self.db.executemany(
                "INSERT INTO rec VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                ((seq, name, *line.rstrip("\n").split("\t")) for line in f))

    def findings(self) -> list[Finding]:
        db = self.db
        db.execute("CREATE INDEX rec_id ON rec (id)")
        out = Capped()
        for f in itertools.chain(self._duplicates(), self._revisits()):
            out.add(f)
        db.close()
        return out.done()

    def _duplicates(self) -> Iterable[Finding]:
        rows = self.db.execute(
            "SELECT id, file, offset FROM rec WHERE id IN "
            "(SELECT id FROM rec WHERE id != '' GROUP BY id HAVING COUNT(*) > 1) "
            "ORDER BY id, seq, offset")
        first: tuple[str, str, int] | None = None
        for record_id, file, offset in rows:
            if first is None or first[0] != record_id:
                first = (record_id, file, offset)
                continue
            yield finding("WARC_DUPLICATE_ID", file,
                          f"WARC-Record-ID {record_id} is also used at offset {first[2]} "
                          f"of {first[1]}", offset, "a unique id", record_id)

    def _revisits(self) -> Iterable[Finding]:
        db = self.db
        rows = db.execute("SELECT file, offset, pd, rt, ruri, rdate FROM rec "
                          "WHERE type = 'revisit' ORDER BY seq, offset").fetchall()
        if any(ruri and not rt for _, _, _, rt, ruri, _ in rows):
            db.execute("CREATE INDEX rec_uri ON rec (uri, date)")  # only then needed
        for file, offset, pd, rt, ruri, rdate in rows:
            if rt:
                original = db.execute("SELECT pd, file, offset FROM rec WHERE id = ? AND "
                                      "type != 'revisit' LIMIT 1", (rt,)).fetchone()
                ref = f"WARC-Refers-To {rt}"
            elif ruri:
                original = db.execute("SELECT pd, file, offset FROM rec WHERE uri = ? AND "
                                      "date = ? AND type = 'response' LIMIT 1",
                                      (ruri, rdate)).fetchone()
                ref = f"WARC-Refers-To-Target-URI {ruri} at {rdate or '?'}"
            else:
                continue  # a revisit naming no original (allowed by WARC 1.1)
            if original is None:
                if self.complete:
                    yield finding("WARC_REVISIT_UNRESOLVED", file, f"the revisit's {ref} "
                                  "names no record in the collection", offset,
                                  "a record of the collection", rt or ruri)
                else:
                    yield finding("WARC_REVISIT_EXTERNAL", file, f"the revisit's {ref} "
                                  "names no record in the files checked", offset,
                                  "a record of the files checked", rt or ruri)
                continue
            original_pd = original[0]
            if not pd or not original_pd:
                continue
            try:
                mine, theirs = parse_digest(pd), parse_digest(original_pd)
            except DigestFormatError:
                continue  # reported where the header is
            if mine.algorithm == theirs.algorithm and mine.raw != theirs.raw:
                yield finding("WARC_REVISIT_DIGEST", file,
                              f"the revisit's payload digest differs from that of its "
                              f"original at offset {original[2]} of {original[1]}", offset,
                              original_pd, pd)
