"""The Chancery query language: a hand-written recursive-descent parser producing a small AST.

Grammar (AND binds tighter than OR; juxtaposition means AND):

    query   := or EOF
    or      := and ("OR" and)*
    and     := unary (["AND"] unary)*
    unary   := ("NOT" | "-") unary | primary
    primary := "(" or ")" | FIELD ":" value | PHRASE | WORD["*"]
    value   := PHRASE | WORD["*"] | "(" or ")" | DATE[".." DATE]

`parse` is strict: every error is a `QueryError` carrying the position where the query went
wrong. `parse_typed` reads a query as people type it: an unknown `word:` is words, and stray
quotes, brackets and operators are dropped, each with a notice; only a bad value of a real field
(a date, a flag), a query that only excludes, or nothing to search for is still an error. Queries
longer than MAX_QUERY_CHARS or nested deeper than MAX_DEPTH (parentheses and NOT/- together) are
refused.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date

from chancery.dates import bounds
from chancery.errors import QueryError
from chancery.search.schema import DATE_QUERIES, QUERY_FIELDS, QUERY_NAMES, Kind, canonical

OPERATORS = ("AND", "OR", "NOT")
MAX_QUERY_CHARS = 2000  # longer queries are refused before parsing
MAX_DEPTH = 32  # levels of parentheses and NOT/- one inside another

_FIELD_RE = re.compile(r"([A-Za-z_]+):")
_DATE_RE = re.compile(r"(\d{4})(?:-(\d{1,2})(?:-(\d{1,2}))?)?")


# -- AST ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Term:
    """A word (or a `word*` prefix), searched in `field` (None: title and text)."""

    text: str
    field: str | None = None
    prefix: bool = False
    position: int = 0


@dataclass(frozen=True)
class Phrase:
    text: str
    field: str | None = None
    position: int = 0


@dataclass(frozen=True)
class DateRange:
    """Documents whose date interval overlaps [start, end] (ISO days; None is open)."""

    start: str | None
    end: str | None
    position: int = 0


@dataclass(frozen=True)
class Flag:
    field: str
    value: bool
    position: int = 0


@dataclass(frozen=True)
class Not:
    child: Node
    position: int = 0


@dataclass(frozen=True)
class And:
    children: tuple[Node, ...] = field(default_factory=tuple)


@dataclass(frozen=True)
class Or:
    children: tuple[Node, ...] = field(default_factory=tuple)


Node = Term | Phrase | DateRange | Flag | Not | And | Or


# -- lexer ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class Token:
    kind: str  # word | phrase | field | lparen | rparen | minus | and | or | not | eof
    text: str
    position: int


def tokenize(query: str, notices: list[str] | None = None) -> list[Token]:
    """The query's tokens. With `notices` (lenient), an unclosed quote, an unknown `word:` and a
    field without a value become plain words, each with a notice appended."""
    tokens: list[Token] = []
    i, n = 0, len(query)
    while i < n:
        ch = query[i]
        if ch.isspace():
            i += 1
        elif ch in "()":
            tokens.append(Token("lparen" if ch == "(" else "rparen", ch, i))
            i += 1
        elif ch == '"':
            end = query.find('"', i + 1)
            if end < 0 and notices is not None:
                notices.append(f"a quote at position {i + 1} is never closed: read as plain words")
                i += 1
                continue
            if end < 0:
                raise QueryError("unbalanced quote: this phrase is never closed", i, query)
            tokens.append(Token("phrase", query[i + 1 : end], i))
            i = end + 1
        elif ch == "-" and i + 1 < n and not query[i + 1].isspace() and query[i + 1] not in "()":
            tokens.append(Token("minus", ch, i))
            i += 1
        else:
            match = _FIELD_RE.match(query, i)
            if match and (not tokens or tokens[-1].kind != "field"):
                name, end = match.group(1), match.end()
                missing = end >= n or query[end].isspace()
                if notices is not None and (canonical(name) is None or missing):
                    if canonical(name) is not None:
                        notices.append(f"{name}: has no value: read as the word {name!r}")
                    elif not missing:  # "colour:red" (a field-like word), not "Crisis: The ..." (plain text)
                        notices.append(
                            f"{name}: is not a field: read as words (fields: {', '.join(QUERY_NAMES)})"
                        )
                    tokens.append(Token("word", name, i))
                    i = end
                    continue
                tokens.append(Token("field", name.lower(), i))
                i = end
                if missing:
                    raise QueryError(f"missing value after {match.group(0)}", i, query)
                continue
            j = i
            while j < n and not query[j].isspace() and query[j] not in '()"':
                j += 1
            word = query[i:j]
            kind = word.lower() if word in OPERATORS else "word"
            tokens.append(Token(kind, word, i))
            i = j
    tokens.append(Token("eof", "", n))
    return tokens


# -- parser ---------------------------------------------------------------------------------
class Parser:
    def __init__(self, query: str, lenient: bool = False) -> None:
        if len(query) > MAX_QUERY_CHARS:
            raise QueryError(f"query too long: {len(query):,} characters (at most {MAX_QUERY_CHARS:,})")
        self.query = query
        self.lenient = lenient
        self.notices: list[str] = []
        self.tokens = tokenize(query, self.notices if lenient else None)
        if lenient:
            self.tokens = repair(self.tokens, self.notices)
        self.i = 0
        self.depth = 0

    def error(self, message: str, position: int) -> QueryError:
        return QueryError(message, position, self.query)

    def enter(self, token: Token) -> None:
        """One level deeper (a parenthesis or a NOT); refused beyond MAX_DEPTH."""
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise self.error(
                f"query nested too deeply: at most {MAX_DEPTH} levels of parentheses and NOT", token.position
            )

    def peek(self) -> Token:
        return self.tokens[self.i]

    def take(self) -> Token:
        token = self.tokens[self.i]
        self.i += 1
        return token

    def parse(self) -> Node:
        if not self.query.strip():
            raise QueryError('empty query: type a word, a "phrase" or a field such as date:1945')
        if self.tokens[0].kind == "eof":  # lenient, and nothing was left
            raise QueryError("nothing to search for: " + "; ".join(self.notices))
        node = self.parse_or(None)
        token = self.peek()
        if token.kind == "rparen":
            raise self.error("unbalanced parenthesis: ')' without '('", token.position)
        if token.kind != "eof":
            raise self.error(f"unexpected {token.text!r}", token.position)
        if _only_negative(node):
            raise self.error("a query cannot only exclude: add something to search for", 0)
        return node

    def parse_or(self, fld: str | None) -> Node:
        children = [self.parse_and(fld)]
        while self.peek().kind == "or":
            self.take()
            children.append(self.parse_and(fld))
        return children[0] if len(children) == 1 else Or(tuple(children))

    def parse_and(self, fld: str | None) -> Node:
        children = [self.parse_unary(fld)]
        while True:
            token = self.peek()
            if token.kind == "and":
                self.take()
                children.append(self.parse_unary(fld))
            elif token.kind in ("eof", "rparen", "or"):
                break
            else:
                children.append(self.parse_unary(fld))
        return children[0] if len(children) == 1 else And(tuple(children))

    def parse_unary(self, fld: str | None) -> Node:
        token = self.peek()
        if token.kind in ("not", "minus"):
            self.take()
            self.enter(token)
            child = self.parse_unary(fld)
            self.depth -= 1
            return Not(child, token.position)
        return self.parse_primary(fld)

    def parse_primary(self, fld: str | None) -> Node:
        token = self.take()
        if token.kind == "lparen":
            if self.peek().kind == "rparen":
                raise self.error("empty parentheses", token.position)
            self.enter(token)
            node = self.parse_or(fld)
            if self.peek().kind != "rparen":
                raise self.error("unbalanced parenthesis: '(' is never closed", token.position)
            self.take()
            self.depth -= 1
            return node
        if token.kind == "field":
            if fld is not None:
                raise self.error(f"field {token.text}: inside a {fld}: group", token.position)
            return self.parse_field(token)
        if token.kind == "phrase":
            return self.phrase(token, fld)
        if token.kind == "word":
            return self.word(token, fld)
        if token.kind == "eof":
            raise self.error("the query ends where a word was expected", token.position)
        if token.kind == "rparen":
            raise self.error("unbalanced parenthesis: ')' without '('", token.position)
        raise self.error(f"{token.text} needs a word on each side", token.position)

    def parse_field(self, token: Token) -> Node:
        name = canonical(token.text)
        if name is None:
            raise self.error(f"unknown field {token.text}: (known: {', '.join(QUERY_NAMES)})", token.position)
        value = self.peek()
        if name in DATE_QUERIES:
            self.take()
            if value.kind != "word":
                raise self.error(f"{name}: needs a date such as 1945, 1945-06 or 1945-06-30", value.position)
            return self.date(name, value)
        if QUERY_FIELDS[name].kind is Kind.FLAG:
            self.take()
            flag = value.text.lower()
            if value.kind != "word" or flag not in ("true", "false", "yes", "no"):
                raise self.error(f"{name}: takes true or false", value.position)
            return Flag(name, flag in ("true", "yes"), token.position)
        if value.kind == "lparen":
            return self.parse_primary(name)
        self.take()
        if value.kind == "phrase":
            return self.phrase(value, name)
        if value.kind == "word":
            return self.word(value, name)
        raise self.error(f"{name}: needs a value", value.position)

    def phrase(self, token: Token, fld: str | None) -> Phrase:
        if not token.text.strip():
            raise self.error("empty phrase", token.position)
        return Phrase(" ".join(token.text.split()), fld, token.position)

    def word(self, token: Token, fld: str | None) -> Term:
        text = token.text
        prefix = text.endswith("*")
        if prefix:
            text = text[:-1]
        if self.lenient and ("*" in text or (prefix and len(text) < 2)):
            self.notices.append(
                f"{token.text!r}: * works only at the end of a word of two letters or more: ignored"
            )
            return Term(text.replace("*", " ").strip() or text.replace("*", ""), fld, False, token.position)
        star = text.find("*")
        if star >= 0:
            raise self.error("* is allowed only at the end of a word", token.position + star)
        if prefix and len(text) < 2:
            raise self.error("* needs at least two letters before it, as in negotiat*", token.position)
        return Term(text, fld, prefix, token.position)

    def date(self, name: str, token: Token) -> DateRange:
        text, pos = token.text, token.position
        if name != "date":
            if ".." in text:
                raise self.error(f"{name}: takes one date, not a range", pos)
            start, end = self.day_bounds(text, pos)
            if name == "before":
                return DateRange(None, _shift(start, -1), pos)
            return DateRange(_shift(end, 1), None, pos)
        if ".." not in text:
            start, end = self.day_bounds(text, pos)
            return DateRange(start, end, pos)
        left, right = text.split("..", 1)
        if not left and not right:
            raise self.error("a date range needs at least one end, as in 1945-06..1945-07", pos)
        first = self.day_bounds(left, pos)[0] if left else None
        last = self.day_bounds(right, pos + len(left) + 2)[1] if right else None
        if first and last and first > last:
            raise self.error("the range ends before it begins", pos)
        return DateRange(first, last, pos)

    def day_bounds(self, text: str, pos: int) -> tuple[str, str]:
        """First and last day of a year, month or day written YYYY[-MM[-DD]]."""
        match = _DATE_RE.fullmatch(text)
        if not match:
            raise self.error(f"bad date {text!r}: write 1945, 1945-06 or 1945-06-30", pos)
        year, month, day = int(match.group(1)), match.group(2), match.group(3)
        try:
            first, last = bounds(year, int(month) if month else None, int(day) if day else None)
        except ValueError:
            raise self.error(f"bad date {text!r}: no such day or month", pos) from None
        return first.isoformat(), last.isoformat()


_BINARY = ("and", "or")
_UNARY = ("not", "minus")


def repair(tokens: list[Token], notices: list[str]) -> list[Token]:
    """The tokens with what cannot be read as a query dropped, each with a notice: brackets
    without their partner, empty brackets and phrases, operators without a word where they need
    one; a field without a value becomes the word it is."""
    # brackets: pair them; an unpaired one is dropped
    open_: list[int] = []
    drop: set[int] = set()
    for k, t in enumerate(tokens):
        if t.kind == "lparen":
            open_.append(k)
        elif t.kind == "rparen":
            if open_:
                open_.pop()
            else:
                drop.add(k)
                notices.append(f"')' at position {t.position + 1} has no '(': ignored")
    for k in open_:
        drop.add(k)
        notices.append(f"'(' at position {tokens[k].position + 1} is never closed: ignored")
    out = [
        t for k, t in enumerate(tokens) if k not in drop and not (t.kind == "phrase" and not t.text.strip())
    ]
    if len(out) < len(tokens) - len(drop):
        notices.append("empty quotes: ignored")
    changed = True
    while changed:
        changed = False
        for k, t in enumerate(out):
            prev = out[k - 1].kind if k else None
            nxt = out[k + 1].kind if k + 1 < len(out) else "eof"
            if t.kind == "lparen" and nxt == "rparen":
                notices.append(f"empty brackets at position {t.position + 1}: ignored")
                del out[k : k + 2]
            elif t.kind in _BINARY and (
                prev in (None, "lparen", "field", *_BINARY, *_UNARY) or nxt in ("eof", "rparen", *_BINARY)
            ):
                notices.append(f"{t.text} at position {t.position + 1} needs a word on each side: ignored")
                del out[k]
            elif t.kind in _UNARY and nxt in ("eof", "rparen", *_BINARY):
                notices.append(f"{t.text} at position {t.position + 1} has nothing to exclude: ignored")
                del out[k]
            elif t.kind == "field" and nxt not in ("word", "phrase", "lparen"):
                out[k] = Token("word", t.text, t.position)
            else:
                continue
            changed = True
            break
    return out


def _shift(day: str, days: int) -> str:
    return date.fromordinal(date.fromisoformat(day).toordinal() + days).isoformat()


def _only_negative(node: Node) -> bool:
    if isinstance(node, Not):
        return True
    if isinstance(node, And):
        return all(_only_negative(c) for c in node.children)
    if isinstance(node, Or):
        return all(_only_negative(c) for c in node.children)
    return False


def parse(query: str) -> Node:
    """Parse a query into its AST, or raise `QueryError` naming the position."""
    return Parser(query).parse()


def parse_typed(query: str) -> tuple[Node, list[str]]:
    """Parse a query as people type it: (AST, notices about what was read as words or dropped)."""
    parser = Parser(query, lenient=True)
    node = parser.parse()
    return node, parser.notices
