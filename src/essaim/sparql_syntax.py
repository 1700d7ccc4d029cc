"""SPARQL text as tokens: the one place in essaim that knows SPARQL's lexical syntax.

The store (dataset clauses, update guards, inline data), the canned queries and the validation
compiler read SPARQL texts with :func:`tokens`. A token is a comment, a string, an IRI, a
prefixed name, a variable, a word (keyword or function name), a brace, or one other character;
comments, strings and IRIs may hold keywords and braces harmlessly, so nothing inside them is
taken for syntax.

Codepoint escapes (``\\u0041``, ``\\U00000041``): SPARQL 1.1 let them stand anywhere in the
text, decoded before parsing; SPARQL 1.2 and pyoxigraph decode them inside IRIs and strings
only (elsewhere they are a syntax error). :func:`readings` gives both readings of a text that
holds one, so that a check made for security holds whichever way the server reads it.

>>> [(t.kind, t.text) for t in tokens("SELECT ?s WHERE { ?s <p> 'a { b' } # }")]
... # doctest: +NORMALIZE_WHITESPACE
[('word', 'SELECT'), ('var', '?s'), ('word', 'WHERE'), ('brace', '{'), ('var', '?s'),
 ('iri', '<p>'), ('string', "'a { b'"), ('close', '}')]
>>> iri_text(r"<https://w3id.org/essaim/graph/\\u006Deta>")
'https://w3id.org/essaim/graph/meta'
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from urllib.parse import urljoin

import pyoxigraph as ox

_ESCAPE = r"\\u[0-9A-Fa-f]{4}|\\U[0-9A-Fa-f]{8}"
#: PN_LOCAL_ESC: the characters a backslash may escape in a prefixed name's local part.
_LOCAL_ESCAPE_CHARS = r"_~.\-!$&'()*+,;=/?#@%"

TOKENS = re.compile(
    rf"""
    (?P<comment>\#[^\n\r]*)
  | (?P<string>'''(?:[^'\\]|\\.|'(?!''))*'''|\"\"\"(?:[^"\\]|\\.|"(?!""))*\"\"\"
               |'(?:[^'\\\n\r]|\\.)*'|"(?:[^"\\\n\r]|\\.)*")
  | (?P<iri><(?:[^<>"{{}}|^`\\\x00-\x20]|{_ESCAPE})*>)
  | (?P<pname>(?:[A-Za-z][A-Za-z0-9_\-.]*)?:(?:[A-Za-z0-9_\-.:%]|\\[{_LOCAL_ESCAPE_CHARS}])*)
  | (?P<brace>\{{)
  | (?P<close>\}})
  | (?P<var>[?$][A-Za-z0-9_]+)
  | (?P<word>[A-Za-z_][A-Za-z0-9_]*)
  | (?P<star>\*)
  | (?P<other>\S)
    """,
    re.VERBOSE | re.DOTALL,
)
_CODEPOINT = re.compile(_ESCAPE)
_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*:")
_LOCAL_ESCAPE = re.compile(r"\\(.)")


@dataclass(frozen=True, slots=True)
class Token:
    kind: str
    text: str
    start: int

    @property
    def keyword(self) -> str:
        """The word in upper case ('' for anything but a word)."""
        return self.text.upper() if self.kind == "word" else ""


def tokens(text: str, *, comments: bool = False) -> list[Token]:
    """The tokens of a SPARQL text, comments left out unless asked for."""
    return [
        Token(match.lastgroup or "other", match.group(), match.start())
        for match in TOKENS.finditer(text)
        if comments or match.lastgroup != "comment"
    ]


def decode_codepoints(text: str) -> str:
    r"""The text with its ``\u``/``\U`` codepoint escapes decoded (an escape of a surrogate or
    beyond U+10FFFF is left as it is: no parser accepts it).

    >>> decode_codepoints(r"\u0053ERVICE <a\U00000062>")
    'SERVICE <ab>'
    """

    def one(match: re.Match[str]) -> str:
        code = int(match.group()[2:], 16)
        if code > 0x10FFFF or 0xD800 <= code <= 0xDFFF:
            return match.group()
        return chr(code)

    return _CODEPOINT.sub(one, text)


def readings(text: str) -> list[list[Token]]:
    r"""The text's tokens as pyoxigraph reads it (escapes decoded in IRIs and strings only) and,
    when it holds a codepoint escape, as a SPARQL 1.1 server may read it (every escape decoded
    before parsing).

    >>> [[t.text for t in r] for r in readings(r"'\u0027 } DROP ALL #'")]
    [["'\\u0027 } DROP ALL #'"], ["''", '}', 'DROP', 'ALL']]
    """
    first = tokens(text)
    if _CODEPOINT.search(text) is None:
        return [first]
    return [first, tokens(decode_codepoints(text))]


def iri_text(token: str) -> str:
    r"""The IRI an ``<…>`` token holds, its codepoint escapes decoded (not yet resolved)."""
    return decode_codepoints(token[1:-1])


@dataclass
class Prologue:
    """``BASE`` and ``PREFIX`` declarations met so far; they resolve IRIs and prefixed names.

    >>> prologue = Prologue()
    >>> found = tokens("BASE <https://ex.org/a/> PREFIX g: <graph/> GRAPH g:one")
    >>> prologue.declare(found, 0), prologue.declare(found, 2)
    (2, 5)
    >>> prologue.resolve(found[6])
    'https://ex.org/a/graph/one'
    """

    base: str | None = None
    prefixes: dict[str, str] = field(default_factory=dict)
    #: Set when a declaration could not be read: names resolved later may be wrong.
    broken: bool = False

    def declare(self, found: list[Token], position: int) -> int:
        """Read a ``BASE``/``PREFIX`` declaration at ``position``; the position after it, or
        ``position`` itself when there is none."""
        keyword = found[position].keyword
        if keyword == "BASE":
            iri = _kind(found, position + 1) == "iri" and _absolute(
                iri_text(found[position + 1].text), self.base
            )
            if not iri:
                self.broken = True
                return position + 1
            self.base = iri
            return position + 2
        if keyword == "PREFIX":
            if _kind(found, position + 1) != "pname" or _kind(found, position + 2) != "iri":
                self.broken = True
                return position + 1
            label, _, local = found[position + 1].text.partition(":")
            iri = _absolute(iri_text(found[position + 2].text), self.base)
            if local or not iri:
                self.broken = True
                return position + 3
            self.prefixes[label] = iri
            return position + 3
        return position

    def resolve(self, token: Token) -> str | None:
        """The absolute IRI an IRI or prefixed-name token names; None when it cannot be known
        (an undeclared prefix, a relative IRI without base, an invalid IRI)."""
        if self.broken:
            return None
        if token.kind == "iri":
            iri = _absolute(iri_text(token.text), self.base)
        elif token.kind == "pname":
            label, _, local = token.text.partition(":")
            namespace = self.prefixes.get(label)
            iri = None if namespace is None else namespace + _LOCAL_ESCAPE.sub(r"\1", local)
        else:
            return None
        if not iri:
            return None
        try:
            return ox.NamedNode(iri).value
        except ValueError:
            return None


def _label(token: Token) -> str:
    """A prefixed name's prefix label, upper-cased ('' for any other token)."""
    return token.text.partition(":")[0].upper() if token.kind == "pname" else ""


def _kind(found: list[Token], position: int) -> str:
    return found[position].kind if position < len(found) else ""


def _absolute(iri: str, base: str | None) -> str | None:
    if _SCHEME.match(iri):
        return iri
    return None if base is None else urljoin(base, iri)


def service_targets(text: str) -> list[str | None]:
    """The endpoints the text's ``SERVICE`` clauses call, in both :func:`readings`; None for
    one that cannot be known before the query runs (a variable, an undeclared prefix).

    >>> service_targets("PREFIX p: <http://peer.example/> SELECT * { SERVICE SILENT p:sparql "
    ...                 "{ ?s ?p 'SERVICE <x>' } SERVICE ?where { } } # SERVICE <y>")
    ['http://peer.example/sparql', None]
    >>> service_targets(r"SELECT * { \\u0053ERVICE <http://127.0.0.1/> {} }")
    ['http://127.0.0.1/']
    >>> service_targets("PREFIX SILENT: <http://peer.example/> SELECT * { SERVICE SILENT:x {} }")
    [None]
    """
    found: list[str | None] = []
    for reading in readings(text):
        prologue = Prologue()
        position = 0
        while position < len(reading):
            after = prologue.declare(reading, position)
            if after != position:
                position = after
                continue
            token = reading[position]
            target: str | None = None
            if token.keyword == "SERVICE":
                at = position + 1
                if at < len(reading) and reading[at].keyword == "SILENT":
                    at += 1
                if at < len(reading) and not _label(reading[at]).startswith("SILENT"):
                    target = prologue.resolve(reading[at])
            elif "SERVICE" not in token.keyword and "SERVICE" not in _label(token):
                position += 1
                continue
            # pyoxigraph reads keywords without a word boundary: SERVICESILENT<x>, SERVICE:x
            # (SERVICE then the prefixed name :x), SERVICE SILENT:x (SILENT then :x). Any
            # such spelling is a call to an endpoint that cannot be known here.
            if target not in found:
                found.append(target)
            position += 1
    return found
