"""Just enough SPARQL lexing to compile SHACL's SPARQL-based constraints: string literals,
variables, keywords and the brace that opens the WHERE clause, outside comments, IRIs and
strings."""

from __future__ import annotations

import re
from collections.abc import Iterator

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


TOKENS = re.compile(
    r"""
    (?P<comment>\#[^\n\r]*)
  | (?P<string>'''(?:[^'\\]|\\.|'(?!''))*'''|\"\"\"(?:[^"\\]|\\.|"(?!""))*\"\"\"
               |'(?:[^'\\\n\r]|\\.)*'|"(?:[^"\\\n\r]|\\.)*")
  | (?P<iri><[^<>"{}|^`\\\x00-\x20]*>)
  | (?P<var>[?$][A-Za-z0-9_]+)
  | (?P<word>[A-Za-z_][A-Za-z0-9_\-.]*(?::[A-Za-z0-9_\-.:%]*)?)
  | (?P<star>\*)
  | (?P<other>\S)
    """,
    re.VERBOSE | re.DOTALL,
)


def sparql_tokens(text: str) -> Iterator[tuple[str, str, int]]:
    """The tokens of a query (kind, text, offset), comments left out."""
    for match in TOKENS.finditer(text):
        kind = match.lastgroup or "other"
        if kind != "comment":
            yield kind, match.group(), match.start()


def where_brace(tokens: list[tuple[str, str, int]]) -> int:
    """The offset of the ``{`` that opens the WHERE clause: the first one outside parentheses."""
    depth = 0
    for kind, text, at in tokens:
        if kind != "other":
            continue
        if text == "(":
            depth += 1
        elif text == ")":
            depth -= 1
        elif text == "{" and depth == 0:
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
