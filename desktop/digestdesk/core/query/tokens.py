"""The query language's tokenizer: the search bar's text -> words, phrases, fields, operators.

A token remembers where it starts, so that every :class:`~digestdesk.errors.QueryError` can
point at the part of the query at fault.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from digestdesk.errors import QueryError


@dataclass
class Token:
    kind: str  # "(" ")" AND OR NOT MINUS FIELD WORD PHRASE END
    text: str
    pos: int


_FIELD_RE = re.compile(r"([A-Za-z_]+):(.*)", re.DOTALL)
_OPERATORS = frozenset({"AND", "OR", "NOT"})


def tokenize(text: str) -> list[Token]:
    """The tokens of ``text``, ending with an ``END`` token (raises QueryError)."""
    tokens: list[Token] = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if c.isspace():
            i += 1
        elif c in "()":
            tokens.append(Token(c, c, i))
            i += 1
        elif c == '"':
            end = text.find('"', i + 1)
            if end < 0:
                raise QueryError(f'Unbalanced quote: the " at position {i + 1} is never closed.', i)
            tokens.append(Token("PHRASE", text[i + 1 : end], i))
            i = end + 1
        elif c in "-+" and i + 1 < n and not text[i + 1].isspace():
            if c == "-":
                tokens.append(Token("MINUS", c, i))
            i += 1
        else:
            j = i
            while j < n and not text[j].isspace() and text[j] not in '()"':
                j += 1
            chunk = text[i:j]
            m = _FIELD_RE.fullmatch(chunk)
            if chunk in _OPERATORS:
                tokens.append(Token(chunk, chunk, i))
            elif m:
                name, rest = m.group(1), m.group(2)
                tokens.append(Token("FIELD", name, i))
                if rest:
                    tokens.append(Token("WORD", rest, i + len(name) + 1))
                elif j >= n or text[j] not in '("':
                    raise QueryError(
                        f"{name}: needs a value right after the colon (e.g. {name}:something).",
                        i,
                    )
            else:
                tokens.append(Token("WORD", chunk, i))
            i = j
    tokens.append(Token("END", "", n))
    return tokens
