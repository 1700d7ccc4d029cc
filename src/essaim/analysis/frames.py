"""Query results as pandas DataFrames: canned queries (``essaim.canned``) run through the store
interface, ad hoc SPARQL, and SPARQLWrapper's JSON results, with the same typing of values.

A cell holds the Python value of its RDF term: an IRI as its string, a number as ``int`` or
``float``, a boolean as ``bool``, a ``xsd:gYear`` as ``int``, any other literal as its lexical
form; an unbound variable is missing (``None``; a column of whole numbers with gaps becomes
pandas' nullable ``Int64``). Nothing here loops over triples: the store does the work, one row
per solution comes back.
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal
from typing import Any, Final

import pandas as pd
import pyoxigraph as ox

from essaim.canned import CannedQuery, bundled_queries, find_query, run
from essaim.namespaces import XSD
from essaim.store import Dataset
from essaim.urls import safe_href

_INTEGERS: Final = frozenset(
    XSD + t
    for t in (
        "integer",
        "int",
        "long",
        "short",
        "byte",
        "nonNegativeInteger",
        "positiveInteger",
        "nonPositiveInteger",
        "negativeInteger",
        "unsignedInt",
        "unsignedLong",
        "unsignedShort",
        "unsignedByte",
        "gYear",
    )
)
_FLOATS: Final = frozenset(XSD + t for t in ("decimal", "double", "float"))
_BOOLEAN: Final = XSD + "boolean"


class FrameError(ValueError):
    """A query gave no table (an ASK or CONSTRUCT), or a result is not SPARQL JSON."""


def literal_value(lexical: str, datatype: str | None) -> object:
    """The Python value of a literal, by its datatype (its lexical form when not a number,
    a boolean or a year, or when the form is malformed).

    >>> literal_value("42", XSD + "integer"), literal_value("0.25", XSD + "decimal")
    (42, 0.25)
    >>> literal_value("true", XSD + "boolean"), literal_value("2007", XSD + "gYear")
    (True, 2007)
    >>> literal_value("Sarthe", None), literal_value("n/a", XSD + "integer")
    ('Sarthe', 'n/a')
    """
    try:
        if datatype in _INTEGERS:
            return int(lexical)
        if datatype in _FLOATS:
            return float(Decimal(lexical)) if datatype == XSD + "decimal" else float(lexical)
        if datatype == _BOOLEAN:
            if lexical in ("true", "1"):
                return True
            if lexical in ("false", "0"):
                return False
    except (ArithmeticError, ValueError):
        pass
    return lexical


def term_value(term: object) -> object:
    """The Python value of a pyoxigraph term (``None`` for an unbound variable)."""
    if term is None:
        return None
    if isinstance(term, ox.Literal):
        return literal_value(term.value, term.datatype.value)
    if isinstance(term, ox.NamedNode | ox.BlankNode):
        return term.value
    return str(term)


def table(rows: Iterable[list[object]], columns: Sequence[str]) -> pd.DataFrame:
    """A DataFrame of ``rows`` of Python values; whole-number columns with gaps as ``Int64``.

    >>> table([[1, "a"], [None, "b"]], ["n", "x"]).dtypes.astype(str).tolist()
    ['Int64', 'str']
    """
    cells = list(rows)
    data: dict[str, object] = {}
    for index, column in enumerate(columns):
        values = [row[index] for row in cells]
        kinds = {type(v) for v in values if v is not None}
        if kinds == {int}:
            data[column] = pd.Series(values, dtype="Int64")
        elif kinds == {bool} and None in values:
            data[column] = pd.Series(values, dtype="boolean")
        elif kinds and kinds <= {int, float}:
            data[column] = pd.Series(
                [float("nan") if v is None else v for v in values], dtype="float64"
            )
        else:
            data[column] = values
    return pd.DataFrame(data, columns=list(columns), index=range(len(cells)))


def solutions_frame(result: object) -> pd.DataFrame:
    """The DataFrame of a SELECT's solutions (pyoxigraph's, as every essaim store returns)."""
    if not isinstance(result, ox.QuerySolutions):
        raise FrameError("only a SELECT query gives a table (this one is an ASK or a CONSTRUCT)")
    columns = [variable.value for variable in result.variables]
    return table(([term_value(t) for t in solution] for solution in result), columns)


def query_frame(store: Dataset, sparql: str) -> pd.DataFrame:
    """An ad hoc SELECT query's solutions on ``store``."""
    return solutions_frame(store.query(sparql))


def frame(
    store: Dataset,
    query: str | CannedQuery,
    values: Mapping[str, str] | None = None,
    /,
    **parameters: str,
) -> pd.DataFrame:
    """A canned query's rows on ``store``, its parameters bound as ``essaim query`` binds them
    (``frame(store, "barriers-by-territory", territory="kb:territory/sarthe", lang="fr")``);
    a bad value raises :class:`essaim.canned.ParameterError` naming the parameter."""
    canned = query if isinstance(query, CannedQuery) else find_query(query)
    return solutions_frame(run(store, canned, {**(values or {}), **parameters}))


def titles(lang: str = "en") -> pd.DataFrame:
    """The canned queries: name, title and description in ``lang`` (English when missing)."""
    from essaim.canned import in_language

    return pd.DataFrame(
        [
            (q.name, in_language(q.title, lang), in_language(q.description, lang))
            for q in bundled_queries().values()
        ],
        columns=["query", "title", "description"],
    )


def sparql_json_frame(document: Mapping[str, Any]) -> pd.DataFrame:
    """The DataFrame of SPARQL 1.1 JSON results (what SPARQLWrapper's ``JSON`` format returns
    from ``query().convert()``), typed as :func:`solutions_frame` types a store's.

    >>> sparql_json_frame({"head": {"vars": ["n", "x"]}, "results": {"bindings": [
    ...     {"n": {"type": "literal", "value": "3",
    ...            "datatype": "http://www.w3.org/2001/XMLSchema#integer"}}]}})
       n     x
    0  3  None
    """
    try:
        columns = [str(v) for v in document["head"]["vars"]]
        bindings = document["results"]["bindings"]
    except (KeyError, TypeError):
        raise FrameError("not SPARQL JSON results (no head.vars and results.bindings)") from None

    def value(cell: Mapping[str, str] | None) -> object:
        if cell is None:
            return None
        if cell.get("type") in ("literal", "typed-literal"):
            return literal_value(cell["value"], cell.get("datatype"))
        return cell["value"]

    return table(([value(b.get(c)) for c in columns] for b in bindings), columns)


#: Where essaim's own IRIs live; a node serves their pages under the same paths.
ESSAIM_BASE: Final = "https://w3id.org/essaim"


def page_url(iri: str, node: str | None = None) -> str:
    """The page of an essaim IRI on the node at ``node`` (its base URL), else the IRI itself
    (w3id.org redirects it to the project's pages).

    >>> page_url("https://w3id.org/essaim/kb/initiative/x", "http://127.0.0.1:8000/")
    'http://127.0.0.1:8000/kb/initiative/x'
    >>> page_url("https://w3id.org/essaim/kb/initiative/x")
    'https://w3id.org/essaim/kb/initiative/x'
    """
    if node and iri.startswith(ESSAIM_BASE + "/"):
        return node.rstrip("/") + iri[len(ESSAIM_BASE) :]
    return iri


def link(label: str, iri: str, node: str | None = None) -> str:
    """An HTML link to the page of ``iri``, label and address escaped; the label alone (escaped)
    when the address is no http(s) URL (``essaim.urls.safe_href``).

    >>> link("<b>A & B</b>", "https://w3id.org/essaim/kb/initiative/x")
    '<a href="https://w3id.org/essaim/kb/initiative/x">&lt;b&gt;A &amp; B&lt;/b&gt;</a>'
    >>> link("x", "javascript:alert(1)")
    'x'
    """
    href = safe_href(page_url(iri, node))
    text = html.escape(label)
    return f'<a href="{html.escape(href)}">{text}</a>' if href else text
