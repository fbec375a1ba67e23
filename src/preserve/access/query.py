"""The search query language, turned into an FTS5 expression that cannot fail to parse.

A query is words (all must match), ``"quoted phrases"``, ``word*`` (a prefix), ``OR``,
``NOT`` or ``-word`` (leave out), ``AND`` (the default, may be written), parentheses,
and a field in front of a word or phrase: ``title:``, ``author:``, ``body:``, ``date:``,
``url:``. Every word and phrase goes into the FTS5 expression quoted and folded as the
index folds text, so no character a person types reaches FTS5's own syntax; what is not
a query (an unclosed quote, ``AND`` at the end, a lone ``)``) is a ``QueryError`` naming
it (docs/search.md).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..errors import PreserveError
from ..normalise.searchindex import fold

__all__ = ["QueryError", "to_fts", "FIELDS"]

# The names a person may put before a colon, and the index column each searches.
FIELDS = {"title": "title", "body": "body", "text": "body", "author": "authors",
          "authors": "authors", "by": "authors", "date": "dates", "dates": "dates",
          "url": "url"}
_OPERATORS = ("AND", "OR", "NOT")
_FIELD = re.compile(r"([A-Za-z]+):(?=.)", re.DOTALL)


class QueryError(PreserveError):
    """A search query that is not one: says what and where, exit status 2."""

    def __init__(self, query: str, problem: str) -> None:
        self.query = query
        self.problem = problem
        super().__init__(f"search query {query!r}: {problem}")


@dataclass(frozen=True)
class _Token:
    kind: str  # "term", "op", "(", ")"
    text: str = ""  # the words of a term; the operator
    phrase: bool = False
    prefix: bool = False
    field: str | None = None
    negated: bool = False  # -word


def _tokens(query: str) -> list[_Token]:
    out: list[_Token] = []
    i, n = 0, len(query)
    while i < n:
        ch = query[i]
        if ch.isspace():
            i += 1
            continue
        if ch in "()":
            out.append(_Token(ch))
            i += 1
            continue
        negated = ch == "-" and i + 1 < n and not query[i + 1].isspace()
        j = i + negated
        field = None
        m = _FIELD.match(query, j)
        if m and m.group(1).lower() in FIELDS:
            field = FIELDS[m.group(1).lower()]
            j = m.end()
        if j < n and query[j] == '"':
            end = query.find('"', j + 1)
            if end < 0:
                raise QueryError(query, f'the quote at character {j + 1} is not closed; '
                                 'end the phrase with another "')
            text, i = query[j + 1:end], end + 1
            prefix = i < n and query[i] == "*"
            i += prefix
            out.append(_Token("term", text, True, prefix, field, negated))
            continue
        k = j
        while k < n and not query[k].isspace() and query[k] not in '()"':
            k += 1
        word, i = query[j:k], k
        if not negated and field is None and word in _OPERATORS:
            out.append(_Token("op", word))
            continue
        prefix = word.endswith("*")
        out.append(_Token("term", word.rstrip("*"), False, prefix, field, negated))
    return out


def _searchable(text: str) -> bool:
    return any(c.isalnum() for c in text)


class _Parser:
    """Recursive descent over the tokens: or := and (OR and)*; and := unary+ with AND
    optional and NOT/-word leaving out; unary := term | ( or )."""

    def __init__(self, query: str, tokens: list[_Token]) -> None:
        self.query, self.tokens, self.pos = query, tokens, 0

    def fail(self, problem: str) -> QueryError:
        return QueryError(self.query, problem)

    def peek(self) -> _Token | None:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def parse(self) -> str | None:
        expr = self.parse_or()
        tok = self.peek()
        if tok is not None:  # only a stray ")" stops parse_or early
            raise self.fail("a ) with no ( before it")
        return expr

    def parse_or(self) -> str | None:
        parts = [self.parse_and()]
        while (tok := self.peek()) is not None and tok.kind == "op" and tok.text == "OR":
            self.pos += 1
            parts.append(self.parse_and("OR"))
        kept = [p for p in parts if p is not None]
        if not kept:
            return None
        return kept[0] if len(kept) == 1 else "(" + " OR ".join(kept) + ")"

    def parse_and(self, after: str | None = None) -> str | None:
        include: list[str] = []
        exclude: list[str] = []
        terms = 0
        pending: str | None = after  # an operator that still needs a term after it
        while (tok := self.peek()) is not None and not (tok.kind == ")" or (
                tok.kind == "op" and tok.text == "OR")):
            if tok.kind == "op":
                if pending is not None:
                    raise self.fail(f"{tok.text} right after {pending}; put a word between "
                                    "them, or quote a word to search for it")
                if terms == 0:
                    raise self.fail(f"{tok.text} has nothing before it; put a word before "
                                    f"it, or quote it (\"{tok.text.lower()}\") to search "
                                    "for the word")
                pending = tok.text
                self.pos += 1
                continue
            negate = pending == "NOT" or (tok.kind == "term" and tok.negated)
            pending = None
            part = self.parse_unary()
            terms += 1
            if part is not None:
                (exclude if negate else include).append(part)
        if pending is not None:
            where = "at the end of the query" if self.peek() is None else "before )"
            raise self.fail(f"{pending} {where} has nothing after it; put a word after it, "
                            f'or quote it ("{pending.lower()}") to search for the word')
        if terms == 0:
            tok = self.peek()
            if tok is None:
                raise self.fail("nothing to search for; give a word or a \"phrase\"")
            raise self.fail("empty parentheses ()" if tok.kind == ")" and self.pos > 0
                            and self.tokens[self.pos - 1].kind == "(" else
                            "a ) with no ( before it")
        if exclude and not include:
            raise self.fail("it only leaves words out (NOT, -word); add a word to search "
                            "for")
        if not include:
            return None
        expr = include[0] if len(include) == 1 else "(" + " AND ".join(include) + ")"
        for part in exclude:
            expr = f"({expr} NOT {part})"
        return expr

    def parse_unary(self) -> str | None:
        tok = self.tokens[self.pos]
        self.pos += 1
        if tok.kind == "(":
            inner = self.parse_or()
            close = self.peek()
            if close is None or close.kind != ")":
                raise self.fail("a ( that is not closed; add a )")
            self.pos += 1
            return inner
        text = fold(tok.text)
        if not _searchable(text):
            return None  # punctuation alone: the index holds no token for it
        term = '"' + text.replace('"', '""') + '"' + ("*" if tok.prefix else "")
        return f"{tok.field} : {term}" if tok.field else term


def to_fts(query: str) -> str:
    """The FTS5 expression of ``query``; QueryError if it is not a query, or has no word
    to search for."""
    expr = _Parser(query, _tokens(query)).parse()
    if expr is None:
        raise QueryError(query, "no word to search for (a word needs letters or digits)")
    return expr
