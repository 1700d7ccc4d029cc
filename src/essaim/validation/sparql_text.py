"""What the validation compiler needs of SPARQL texts: string literals, the brace that opens
the WHERE clause, variables replaced; the tokens come from the one lexer,
:mod:`essaim.sparql_syntax`."""

from __future__ import annotations

from collections.abc import Iterator

from essaim.sparql_syntax import tokens
from essaim.validation.errors import ShapesError


def sparql_string(text: str) -> str:
    """A SPARQL string literal holding ``text``.

    >>> print(sparql_string('a "b" \\\\.'))
    "a \\"b\\" \\\\."
    """
    escaped = (
        text.replace("\\", "\\\\")
        .replace('"', '\\"')
        .replace("\n", "\\n")
        .replace("\r", "\\r")
        .replace("\t", "\\t")
    )
    return f'"{escaped}"'


def sparql_tokens(text: str) -> Iterator[tuple[str, str, int]]:
    """The tokens of a query (kind, text, offset), comments left out: those of
    :mod:`essaim.sparql_syntax`.

    >>> [kind for kind, _, _ in sparql_tokens("SELECT $this WHERE { $this ex:p 'x' } # {")]
    ['word', 'var', 'word', 'brace', 'var', 'pname', 'string', 'close']
    """
    for token in tokens(text):
        yield token.kind, token.text, token.start


def where_brace(tokens: list[tuple[str, str, int]]) -> int:
    """The offset of the ``{`` that opens the WHERE clause: the first one outside parentheses."""
    depth = 0
    for kind, text, at in tokens:
        if text == "(":
            depth += 1
        elif text == ")":
            depth -= 1
        elif kind == "brace" and depth == 0:
            return at
    raise ShapesError("a SPARQL constraint's query has no WHERE clause")


def replace_variable(
    text: str, tokens: list[tuple[str, str, int]], name: str, replacement: str
) -> str:
    out, last = [], 0
    for kind, token, at in tokens:
        if kind == "var" and token[1:] == name:
            out.append(text[last:at])
            out.append(replacement)
            last = at + len(token)
    out.append(text[last:])
    return "".join(out)
