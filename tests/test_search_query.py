"""The search query language (access/query.py) and the index's folding: what a person
types becomes an FTS5 expression that SQLite parses, or one clear QueryError."""

from __future__ import annotations

import sqlite3

import pytest

from preserve.access.query import QueryError, to_fts
from preserve.normalise.searchindex import fold


@pytest.mark.parametrize(("query", "fts"), [
    ("Düsseldorf", '"Dusseldorf"'),
    ("climate change", '("climate" AND "change")'),
    ('"climate change" policy', '("climate change" AND "policy")'),
    ("solar OR wind", '("solar" OR "wind")'),
    ("solar AND wind", '("solar" AND "wind")'),
    ("energy -nuclear", '("energy" NOT "nuclear")'),
    ("energy NOT nuclear", '("energy" NOT "nuclear")'),
    ("(solar OR wind) power", '(("solar" OR "wind") AND "power")'),
    ("ener*", '"ener"*'),
    ("title:energy", 'title : "energy"'),
    ('author:"Jane Doe"', 'authors : "Jane Doe"'),
    ("and or not", '("and" AND "or" AND "not")'),  # lower case: words, not operators
    ("e-mail", '"e-mail"'),
    ('say "hi" — now', '("say" AND "hi" AND "now")'),  # a dash alone is no word
    ("Αθήνα Ёлка", '("Αθηνα" AND "Елка")'),
    ('quote"inside"', '("quote" AND "inside")'),
])
def test_queries_become_fts5_expressions(query: str, fts: str) -> None:
    assert to_fts(query) == fts


@pytest.mark.parametrize(("query", "says"), [
    ('"unclosed phrase', "the quote at character 1 is not closed"),
    ("energy AND", "AND at the end of the query has nothing after it"),
    ("energy OR", "OR at the end of the query has nothing after it"),
    ("energy NOT", "NOT at the end of the query has nothing after it"),
    ("AND energy", "AND has nothing before it"),
    ("energy OR AND wind", "AND right after OR"),
    ("(energy", "a ( that is not closed"),
    ("energy)", "a ) with no ( before it"),
    ("()", "empty parentheses"),
    ("", "nothing to search for"),
    ("-nuclear", "only leaves words out"),
    ("... !!", "no word to search for"),
])
def test_what_is_not_a_query_is_one_clear_error(query: str, says: str) -> None:
    with pytest.raises(QueryError) as e:
        to_fts(query)
    assert says in str(e.value)
    assert "\n" not in str(e.value)


# Odd input that must never reach FTS5 as syntax: each becomes a query SQLite accepts.
@pytest.mark.parametrize("query", [
    'NEAR(a b)', 'a:b', '"a" * b', 'col:"x"', '^start', 'a + b', '{title}: x', "x'y",
    'title:(a OR b)', '""x""', 'AND"x"', 'a -', 'a - b', '*', 'a**', 'url:http://x.y/z?q=1',
])
def test_no_typed_character_is_fts5_syntax(query: str) -> None:
    db = sqlite3.connect(":memory:")
    db.execute("CREATE VIRTUAL TABLE t USING fts5 (title, body, authors, dates, url)")
    try:
        fts = to_fts(query)
    except QueryError:
        return  # refused with a clear line: fine too
    db.execute("SELECT * FROM t WHERE t MATCH ?", (fts,)).fetchall()


def test_fold_keeps_every_token_in_its_place() -> None:
    assert fold("Düsseldorf, Straße, Łódź") == "Dusseldorf, Strasse, Lodz"
    assert fold("Αθήνα Ἀθῆναι ὁδός") == "Αθηνα Αθηναι οδοσ"
    assert fold("Ёлка Москва́") == "Елка Москва"
    assert fold("plain ascii") == "plain ascii"
    # Marks used for snippets never survive into the index.
    assert fold("a\x02b\x03c") == "a b c"
