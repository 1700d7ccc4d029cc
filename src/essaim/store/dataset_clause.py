"""Does a SPARQL query name its own dataset (``FROM`` / ``FROM NAMED``)?

pyoxigraph's dataset options (``use_default_graph_as_union``, ``default_graph``, ``named_graphs``)
replace the dataset a query names, so essaim applies its union default graph only to queries
that name none. The dataset clause can only stand between the query form (after a CONSTRUCT
template) and the first ``{`` of the WHERE clause, so a scan of the tokens before that brace —
skipping comments, IRIs and string literals, where the word may appear harmlessly — answers
exactly.
"""

from __future__ import annotations

import re

# One alternative per lexical form that may hide the word FROM or a '{': long strings first.
_TOKENS = re.compile(
    r"""
    (?P<comment>\#[^\n\r]*)
  | (?P<string>'''(?:[^'\\]|\\.|'(?!''))*'''|\"\"\"(?:[^"\\]|\\.|"(?!""))*\"\"\"
               |'(?:[^'\\\n\r]|\\.)*'|"(?:[^"\\\n\r]|\\.)*")
  | (?P<iri><[^<>"{}|^`\\\x00-\x20]*>)
  | (?P<brace>\{)
  | (?P<close>\})
  | (?P<word>[A-Za-z_][A-Za-z0-9_\-.]*:?[A-Za-z0-9_\-.:%]*|[?$][A-Za-z0-9_]+)
  | (?P<other>\S)
    """,
    re.VERBOSE | re.DOTALL,
)


def names_dataset(query: str) -> bool:
    """True when the query has a ``FROM`` or ``FROM NAMED`` clause.

    >>> names_dataset("SELECT * FROM <http://ex.org/g> WHERE { ?s ?p ?o }")
    True
    >>> names_dataset("SELECT * WHERE { ?s <http://ex.org/from> 'FROM' } # FROM")
    False
    >>> names_dataset("PREFIX from: <http://ex.org/> SELECT ?from WHERE { ?s from:x ?from }")
    False
    >>> names_dataset("CONSTRUCT { ?s ?p 'FROM' } FROM <http://ex.org/g> WHERE { ?s ?p ?o }")
    True
    """
    previous = ""
    in_template = False
    for match in _TOKENS.finditer(query):
        kind, text = match.lastgroup, match.group()
        if kind == "comment":
            continue
        if in_template:
            in_template = kind != "close"
        elif kind == "brace":
            if previous != "CONSTRUCT":
                return False
            in_template = True
        elif kind == "word" and text.upper() == "FROM":
            return True
        previous = text.upper() if kind == "word" else text
    return False
