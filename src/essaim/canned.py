"""Canned comparative queries: named SPARQL files with a header, and their parameters.

Each research question is one ``.rq`` file in ``queries/`` (``bundled_data().queries``): a SPARQL
1.1 query that runs as it is in any SPARQL tool, preceded by a header of comments
(``queries/README.md`` describes it)::

    # title: Barriers by territory
    # title@fr: Freins par territoire
    # description: The barriers coded on the initiatives of each territory...
    #   (a line starting with '#' and two spaces continues the previous entry)
    # param: territory iri class=essaim:Territory optional — Only this territory.
    # param@fr: territory — Seulement ce territoire.
    # tags: barriers, territories
    # federation: sum initiatives by territory barrier
    PREFIX essaim: <https://w3id.org/essaim/ontology#>
    SELECT ?territory ...

A parameter is a variable of the query. It is bound without touching the text: the values given
as strings are turned into RDF terms by :func:`bind` according to the parameter's type and passed
to the store as ``substitutions`` (pyoxigraph binds them in place; a remote store sends a
``VALUES`` block), so nothing a user types is ever spliced into SPARQL. pyoxigraph binds only
variables of the ``SELECT`` projection, so :func:`load_queries` refuses a parameter that is not
projected. A parameter left unbound (optional, no default) leaves the variable free: the query
then answers over everything, as it does when run as it is.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Final

import pyoxigraph as ox

from essaim.federation.rules import Rule, RuleError, parse_rule, read_rule
from essaim.namespaces import PREFIXES, RDFS, XSD
from essaim.resources import bundled_data
from essaim.sparql_syntax import TOKENS
from essaim.store import Dataset, QueryResult
from essaim.store.base import Term

#: The types a parameter may have, in the order error messages list them.
PARAMETER_TYPES: Final = ("iri", "string", "integer", "year", "language")
#: The keys a header line may use.
HEADER_KEYS: Final = (
    "title",
    "description",
    "param",
    "tags",
    "chart",
    "chart-title",
    "chart-description",
    "federation",
)
#: The charts a header may declare (``# chart: KIND key=column …``): for each kind, the keys it
#: needs and those it may take, each naming a column of the query's projection.
CHART_KINDS: Final[dict[str, tuple[tuple[str, ...], tuple[str, ...]]]] = {
    "bar": (("x", "y"), ("n", "count", "facet")),
    "grouped-bar": (("x", "y", "group"), ("n", "count", "facet")),
    "stacked-bar": (("x", "y", "group"), ("n", "count", "facet")),
    "heatmap": (("x", "y", "color"), ("n", "count")),
    "timeline": (("x", "y"), ("group",)),
    "network": (("source", "target"), ("weight",)),
}
#: What a canned query's name (its file name without ``.rq``) looks like.
QUERY_NAME: Final = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")

_VARIABLE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_LANGUAGE = re.compile(r"[A-Za-z]{1,8}(?:-[A-Za-z0-9]{1,8})*")
_KEY_LINE = re.compile(r"#\s*(?P<key>[A-Za-z][A-Za-z0-9_-]*)(?:@(?P<lang>[^:\s]*))?:(?P<value>.*)")
_CONTINUATION = re.compile(r"#(?: {2,}|\t)\s*(?P<value>\S.*)")
_SEPARATOR = re.compile(r"\s+(?:—|--)\s+")
_PREFIX_DECL = re.compile(r"PREFIX\s+([A-Za-z][A-Za-z0-9_.-]*)?:\s*<([^<>\s]*)>", re.IGNORECASE)
_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:")
_FORBIDDEN_IN_IRI = re.compile(r'[\s<>"{}|^`\\\x00-\x1f\x7f]')
_INTEGER = re.compile(r"[+-]?[0-9]{1,18}")
_YEAR = re.compile(r"[0-9]{4}")
_MAX_STRING = 1000
_MAX_IRI = 2000


class CannedQueryError(Exception):
    """Something is wrong with a canned query or its name; the message says what."""


class QueryHeaderError(CannedQueryError):
    """A canned query file is malformed; ``path`` and ``line`` say where."""

    def __init__(self, path: Path, line: int, message: str) -> None:
        super().__init__(f"{path}:{line}: {message}")
        self.path = path
        self.line = line
        self.message = message


class UnknownQuery(CannedQueryError):
    """No canned query has that name."""


class ParameterError(ValueError):
    """A value given for a parameter is refused; ``parameter`` names the parameter."""

    def __init__(self, parameter: str, message: str) -> None:
        super().__init__(f"parameter '{parameter}': {message}")
        self.parameter = parameter


@dataclass(frozen=True)
class Parameter:
    """A parameter of a canned query: the variable ``?name`` of the query."""

    name: str
    type: str
    class_iri: str | None
    default: str | None
    optional: bool
    description: dict[str, str]

    @property
    def required(self) -> bool:
        """True when the caller must give a value (no default, not optional)."""
        return self.default is None and not self.optional

    def signature(self) -> str:
        """The parameter in a few words.

        >>> territory = "https://w3id.org/essaim/ontology#Territory"
        >>> Parameter("territory", "iri", territory, None, True, {}).signature()
        'territory: iri essaim:Territory, optional'
        >>> Parameter("lang", "language", None, "en", False, {}).signature()
        'lang: language, default en'
        """
        kind = f"{self.type} {compact(self.class_iri)}" if self.class_iri else self.type
        if self.default is not None:
            return f"{self.name}: {kind}, default {self.default}"
        return f"{self.name}: {kind}, {'optional' if self.optional else 'required'}"


@dataclass(frozen=True)
class Chart:
    """How a canned query's answer is best seen (``# chart: KIND key=column …``): the kind, the
    column each key names (``x``, ``y``, ``group``, ``color``, ``n`` the denominator, ``count``),
    and an optional title and lead sentence by language."""

    kind: str
    columns: dict[str, str]
    title: dict[str, str]
    description: dict[str, str]


@dataclass(frozen=True)
class CannedQuery:
    """A named SPARQL query with its header: titles and descriptions by language, parameters,
    and the chart it declares, if any."""

    name: str
    path: Path
    title: dict[str, str]
    description: dict[str, str]
    parameters: tuple[Parameter, ...]
    tags: tuple[str, ...]
    text: str
    chart: Chart | None = None
    #: Which columns a federated run re-sums over the nodes (:mod:`essaim.federation.rules`).
    federation: Rule = Rule()  # noqa: RUF009 (immutable)

    def parameter(self, name: str) -> Parameter | None:
        """The parameter of that name, if the query has one."""
        return next((p for p in self.parameters if p.name == name), None)


def in_language(texts: Mapping[str, str], lang: str) -> str:
    """The text in ``lang``, else in English, else in any language.

    >>> in_language({"en": "Barriers", "fr": "Freins"}, "fr")
    'Freins'
    >>> in_language({"en": "Barriers"}, "de")
    'Barriers'
    """
    return texts.get(lang.lower()) or texts.get("en") or next(iter(texts.values()), "")


# --------------------------------------------------------------------------------------------
# Loading


def load_queries(folder: Path) -> dict[str, CannedQuery]:
    """Every ``*.rq`` file of ``folder``, by name (sorted); a malformed file raises
    :class:`QueryHeaderError` naming the file and the line."""
    files = sorted(
        (p for p in folder.iterdir() if p.is_file() and p.suffix.lower() == ".rq"),
        key=lambda p: p.name,
    )
    queries: dict[str, CannedQuery] = {}
    titles: dict[str, Path] = {}
    for path in files:
        name = path.stem
        if name.lower() in queries:
            raise QueryHeaderError(
                path, 1, f"another file is already named {name!r}: {queries[name.lower()].path}"
            )
        query = parse_query(path, path.read_text(encoding="utf-8"))
        title = query.title["en"].casefold()
        if title in titles:
            raise QueryHeaderError(
                path, 1, f"the same title as {titles[title]}: give each question its own title"
            )
        titles[title] = path
        queries[name.lower()] = query
    return dict(sorted(queries.items()))


def bundled_queries() -> dict[str, CannedQuery]:
    """The canned queries shipped with essaim (``queries/``)."""
    return load_queries(bundled_data().queries)


def find_query(name: str, folder: Path | None = None) -> CannedQuery:
    """The canned query of that name, in ``folder`` (default: the bundled ``queries/``)."""
    queries = load_queries(folder) if folder is not None else bundled_queries()
    if name not in queries:
        raise UnknownQuery(
            f"no canned query is named {name!r}: 'essaim queries' lists them "
            f"({', '.join(queries) or 'none'})"
        )
    return queries[name]


@dataclass
class _Entry:
    key: str
    lang: str | None
    value: str
    line: int


def parse_query(path: Path, text: str) -> CannedQuery:
    """One canned query from its file's text; ``path`` names it (its stem) and its errors."""
    name = path.stem
    if QUERY_NAME.fullmatch(name) is None:
        raise QueryHeaderError(
            path,
            1,
            f"the file name {path.name!r} must be kebab-case (e.g. barriers-by-territory.rq)",
        )
    entries = _header_entries(path, text)
    prefixes = {**PREFIXES, **_declared_prefixes(text)}
    titles: dict[str, str] = {}
    descriptions: dict[str, str] = {}
    parameters: dict[str, tuple[Parameter, int]] = {}
    translations: list[_Entry] = []
    tags: tuple[str, ...] = ()
    tags_seen = False
    chart: tuple[str, dict[str, str], int] | None = None
    chart_texts: dict[str, dict[str, str]] = {"chart-title": {}, "chart-description": {}}
    chart_text_line = 0
    federation: _Entry | None = None
    for entry in entries:
        if entry.key not in HEADER_KEYS:
            raise QueryHeaderError(
                path,
                entry.line,
                f"unknown header key {entry.key!r} (use {_or_list(HEADER_KEYS)})",
            )
        if not entry.value:
            raise QueryHeaderError(path, entry.line, f"'{entry.key}' has no value")
        if entry.key in ("title", "description"):
            target = titles if entry.key == "title" else descriptions
            lang = _header_language(path, entry)
            if lang in target:
                raise QueryHeaderError(
                    path, entry.line, f"a second {entry.key} in {lang!r}: give one per language"
                )
            target[lang] = entry.value
        elif entry.key == "param" and entry.lang is None:
            parameter = _parse_parameter(path, entry, prefixes)
            if parameter.name in parameters:
                raise QueryHeaderError(
                    path,
                    entry.line,
                    f"parameter {parameter.name!r} is declared twice "
                    f"(first on line {parameters[parameter.name][1]})",
                )
            parameters[parameter.name] = (parameter, entry.line)
        elif entry.key == "param":
            translations.append(entry)
        elif entry.key == "chart":
            if entry.lang is not None:
                raise QueryHeaderError(
                    path, entry.line, "a chart takes no language (use chart-title@LANG)"
                )
            if chart is not None:
                raise QueryHeaderError(
                    path, entry.line, f"a second 'chart' line (first on line {chart[2]}): give one"
                )
            chart = (*_parse_chart(path, entry), entry.line)
        elif entry.key in chart_texts:
            lang = _header_language(path, entry)
            if lang in chart_texts[entry.key]:
                raise QueryHeaderError(
                    path, entry.line, f"a second {entry.key} in {lang!r}: give one per language"
                )
            chart_texts[entry.key][lang] = entry.value
            chart_text_line = chart_text_line or entry.line
        elif entry.key == "federation":
            if entry.lang is not None or federation is not None:
                raise QueryHeaderError(
                    path, entry.line, "give one 'federation' line, without a language"
                )
            federation = entry
        else:
            if entry.lang is not None:
                raise QueryHeaderError(path, entry.line, "tags take no language")
            if tags_seen:
                raise QueryHeaderError(path, entry.line, "a second 'tags' line: give one")
            tags_seen = True
            tags = _parse_tags(path, entry)
    for entry in translations:
        _translate_parameter(path, entry, {n: p for n, (p, _) in parameters.items()})
    for key, texts in (("title", titles), ("description", descriptions)):
        if "en" not in texts:
            raise QueryHeaderError(path, 1, f"the header has no '# {key}: …' in English")
    projected = _check_query(path, text, {n: line for n, (_, line) in parameters.items()})
    declared: Chart | None = None
    if chart is None and chart_text_line:
        raise QueryHeaderError(
            path, chart_text_line, "a chart title or description needs a '# chart: …' line"
        )
    if chart is not None:
        kind, columns, line = chart
        for key, column in columns.items():
            if column not in projected:
                raise QueryHeaderError(
                    path,
                    line,
                    f"chart {key}={column}: the query does not return ?{column} "
                    f"(its columns: {', '.join(sorted(projected)) or 'none'})",
                )
        declared = Chart(kind, columns, chart_texts["chart-title"],
                         chart_texts["chart-description"])  # fmt: skip
    rule = read_rule(text)
    if federation is not None:
        try:
            rule = parse_rule(federation.value, projected)
        except RuleError as exc:
            raise QueryHeaderError(path, federation.line, f"federation: {exc}") from None
    return CannedQuery(
        name=name,
        path=path,
        title=titles,
        description=descriptions,
        parameters=tuple(p for p, _ in parameters.values()),
        tags=tags,
        text=text,
        chart=declared,
        federation=rule,
    )


def _parse_chart(path: Path, entry: _Entry) -> tuple[str, dict[str, str]]:
    """``KIND key=column …`` of a ``# chart:`` line, checked against :data:`CHART_KINDS`."""
    kind, *options = entry.value.split()
    if kind not in CHART_KINDS:
        raise QueryHeaderError(
            path, entry.line, f"unknown chart kind {kind!r} (use {_or_list(tuple(CHART_KINDS))})"
        )
    needed, optional = CHART_KINDS[kind]
    columns: dict[str, str] = {}
    for option in options:
        key, equals, column = option.partition("=")
        column = column.removeprefix("?")
        if not equals or key not in needed + optional:
            raise QueryHeaderError(
                path,
                entry.line,
                f"unknown chart option {option!r}: a {kind} chart takes "
                f"{', '.join(k + '=COLUMN' for k in needed + optional)}",
            )
        if _VARIABLE.fullmatch(column) is None:
            raise QueryHeaderError(
                path, entry.line, f"chart {key}={column!r}: name a column (a variable's name)"
            )
        if key in columns:
            raise QueryHeaderError(path, entry.line, f"chart option {key!r} is given twice")
        columns[key] = column
    missing = [k for k in needed if k not in columns]
    if missing:
        raise QueryHeaderError(
            path,
            entry.line,
            f"a {kind} chart needs {', '.join(k + '=COLUMN' for k in missing)}",
        )
    return kind, columns


def _header_entries(path: Path, text: str) -> list[_Entry]:
    """The header's entries: ``# key: value`` lines with their continuation lines."""
    lines = text.splitlines()
    if not lines or not lines[0].startswith("#"):
        raise QueryHeaderError(
            path, 1, "a canned query starts with a header of comments ('# title: …')"
        )
    entries: list[_Entry] = []
    current: _Entry | None = None
    for number, raw in enumerate(lines, start=1):
        line = raw.rstrip()
        if not line.startswith("#"):
            break
        if not line.strip("#").strip():  # '#' alone separates entries
            current = None
            continue
        continuation = _CONTINUATION.fullmatch(line)
        if continuation is not None:
            if current is None:
                raise QueryHeaderError(
                    path, number, "a continuation line ('#  …') must follow a '# key: value' line"
                )
            current.value = f"{current.value} {continuation['value'].strip()}".strip()
            continue
        match = _KEY_LINE.fullmatch(line)
        if match is None:
            raise QueryHeaderError(
                path,
                number,
                "expected '# key: value', or a continuation line starting with '#' and two spaces",
            )
        current = _Entry(match["key"], match["lang"], match["value"].strip(), number)
        entries.append(current)
    return entries


def _header_language(path: Path, entry: _Entry) -> str:
    if entry.lang is None:
        return "en"
    if _LANGUAGE.fullmatch(entry.lang) is None:
        raise QueryHeaderError(path, entry.line, f"{entry.lang!r} is not a language tag")
    return entry.lang.lower()


def _parse_parameter(path: Path, entry: _Entry, prefixes: Mapping[str, str]) -> Parameter:
    spec, description = _split_description(path, entry)
    try:
        tokens = shlex.split(spec)
    except ValueError as exc:
        raise QueryHeaderError(path, entry.line, f"cannot read the parameter: {exc}") from None
    if len(tokens) < 2:
        raise QueryHeaderError(
            path, entry.line, "a parameter reads 'NAME TYPE [class=…] [default=…] [optional] — …'"
        )
    name, kind, *options = tokens
    if _VARIABLE.fullmatch(name) is None:
        raise QueryHeaderError(
            path, entry.line, f"{name!r} is not a variable name (letters, digits and _)"
        )
    if kind not in PARAMETER_TYPES:
        raise QueryHeaderError(
            path, entry.line, f"unknown parameter type {kind!r} (use {_or_list(PARAMETER_TYPES)})"
        )
    class_iri: str | None = None
    default: str | None = None
    optional = False
    for option in options:
        key, equals, value = option.partition("=")
        if option == "optional":
            optional = True
        elif equals and key == "class":
            if kind != "iri":
                raise QueryHeaderError(path, entry.line, "only an iri parameter has a class")
            class_iri = _resolve_class(path, entry.line, value, prefixes)
        elif equals and key == "default":
            default = value
        else:
            raise QueryHeaderError(
                path,
                entry.line,
                f"unknown parameter option {option!r} (use class=…, default=… or optional)",
            )
    if kind == "iri" and class_iri is None:
        raise QueryHeaderError(
            path, entry.line, f"iri parameter {name!r} needs class=… (e.g. class=essaim:Territory)"
        )
    if default is not None and optional:
        raise QueryHeaderError(
            path, entry.line, "a parameter with a default is never unbound: drop 'optional'"
        )
    parameter = Parameter(name, kind, class_iri, default, optional, {"en": description})
    if default is not None:
        try:
            to_term(parameter, default)
        except ParameterError as exc:
            raise QueryHeaderError(
                path, entry.line, f"bad default for {name!r}: {str(exc).split(': ', 1)[1]}"
            ) from None
    return parameter


def _translate_parameter(path: Path, entry: _Entry, parameters: Mapping[str, Parameter]) -> None:
    lang = _header_language(path, entry)
    name, description = _split_description(path, entry)
    parameter = parameters.get(name.strip())
    if parameter is None:
        raise QueryHeaderError(
            path, entry.line, f"'param@{lang}' names {name.strip()!r}, which is not declared"
        )
    if lang in parameter.description:
        raise QueryHeaderError(
            path, entry.line, f"parameter {parameter.name!r} has a second description in {lang!r}"
        )
    parameter.description[lang] = description


def _split_description(path: Path, entry: _Entry) -> tuple[str, str]:
    parts = _SEPARATOR.split(entry.value, maxsplit=1)
    if len(parts) != 2 or not parts[1].strip():
        raise QueryHeaderError(
            path, entry.line, "a parameter needs a description after ' — ' (or ' -- ')"
        )
    return parts[0].strip(), parts[1].strip()


def _parse_tags(path: Path, entry: _Entry) -> tuple[str, ...]:
    tags = tuple(t.strip() for t in entry.value.split(","))
    for tag in tags:
        if QUERY_NAME.fullmatch(tag) is None:
            raise QueryHeaderError(
                path, entry.line, f"tag {tag!r}: tags are lower-case words separated by commas"
            )
    return tags


def _resolve_class(path: Path, line: int, value: str, prefixes: Mapping[str, str]) -> str:
    try:
        return _to_iri(value, prefixes)
    except ValueError as exc:
        raise QueryHeaderError(path, line, f"class {value!r}: {exc}") from None


def _declared_prefixes(text: str) -> dict[str, str]:
    return {m[1] or "": m[2] for m in _PREFIX_DECL.finditer(text)}


def _check_query(path: Path, text: str, parameters: Mapping[str, int]) -> set[str]:
    """The query parses, and each parameter is a variable of it and of its projection; the
    names of the projection's variables."""
    try:
        result = ox.Store().query(text)
    except SyntaxError as exc:
        position = re.search(r"error at (\d+):", str(exc))
        line = int(position[1]) if position else 1
        raise QueryHeaderError(path, line, f"the query does not parse: {exc}") from None
    used = _variables_outside_projection(text)
    projected = (
        {v.value for v in result.variables} if isinstance(result, ox.QuerySolutions) else set()
    )
    for name, line in parameters.items():
        if name not in used:
            raise QueryHeaderError(
                path, line, f"parameter {name!r} is not a ?{name} of the query's patterns"
            )
        if name not in projected:
            raise QueryHeaderError(
                path,
                line,
                f"parameter {name!r} is not in the SELECT projection: ?{name} can only be bound "
                f"there (add ?{name} to SELECT, and to GROUP BY when the query groups)",
            )
    if parameters:
        dummy = ox.NamedNode("https://w3id.org/essaim/kb/dummy")
        try:
            ox.Store().query(text, substitutions={ox.Variable(n): dummy for n in parameters})
        except RuntimeError as exc:  # what pyoxigraph says when it cannot bind a variable
            raise QueryHeaderError(
                path, min(parameters.values()), f"the parameters cannot be bound: {exc}"
            ) from None
    return projected


def _variables_outside_projection(text: str) -> set[str]:
    """The variables the query names outside its top ``SELECT`` clause (comments, strings and
    IRIs skipped): those its patterns, filters and modifiers use."""
    names: set[str] = set()
    in_projection = False
    seen_select = False
    for match in TOKENS.finditer(text):
        kind, token = match.lastgroup, match.group()
        if kind == "word" and not seen_select and token.upper() == "SELECT":
            in_projection = seen_select = True
        elif in_projection and (kind == "brace" or token.upper() in ("WHERE", "FROM")):
            in_projection = False
        elif kind == "var" and not in_projection:
            names.add(token[1:])
    return names


def _or_list(items: Sequence[str]) -> str:
    return f"{', '.join(items[:-1])} or {items[-1]}"


# --------------------------------------------------------------------------------------------
# Binding and running


def bind(query: CannedQuery, values: Mapping[str, str]) -> dict[str, Term]:
    """The RDF term of each parameter, from the strings given, the defaults and the types.

    A value that is empty or blank counts as not given. An unknown parameter name, a missing
    required parameter and a value that does not fit its type raise :class:`ParameterError`.
    """
    for name in values:
        if query.parameter(name) is None:
            known = ", ".join(p.name for p in query.parameters) or "none"
            raise ParameterError(
                name, f"query {query.name!r} has no such parameter (its parameters: {known})"
            )
    bindings: dict[str, Term] = {}
    for parameter in query.parameters:
        value = values.get(parameter.name)
        if value is not None and not isinstance(value, str):
            raise ParameterError(parameter.name, "give the value as text")
        if value is None or not value.strip():
            value = parameter.default
        if value is None:
            if parameter.optional:
                continue
            raise ParameterError(parameter.name, f"query {query.name!r} needs a value for it")
        bindings[parameter.name] = to_term(parameter, value)
    return bindings


def to_term(parameter: Parameter, value: str) -> Term:
    """The RDF term for one value of a parameter, by the parameter's type."""
    name, kind = parameter.name, parameter.type
    if kind == "iri":
        try:
            return ox.NamedNode(_to_iri(value, PREFIXES))
        except ValueError as exc:
            raise ParameterError(name, f"{_shorten(value)!r} is not an IRI: {exc}") from None
    if kind == "string":
        if len(value) > _MAX_STRING:
            raise ParameterError(name, f"at most {_MAX_STRING} characters")
        try:
            return ox.Literal(value)
        except (ValueError, UnicodeError) as exc:
            raise ParameterError(name, f"not a string: {exc}") from None
    text = value.strip()
    if kind == "integer":
        if _INTEGER.fullmatch(text) is None:
            raise ParameterError(name, f"{_shorten(value)!r} is not an integer")
        return ox.Literal(str(int(text)), datatype=ox.NamedNode(XSD + "integer"))
    if kind == "year":
        if _YEAR.fullmatch(text) is None or not 1000 <= int(text) <= 2999:
            raise ParameterError(
                name, f"{_shorten(value)!r} is not a year (four digits, 1000 to 2999)"
            )
        return ox.Literal(text, datatype=ox.NamedNode(XSD + "gYear"))
    if kind == "language":
        if _LANGUAGE.fullmatch(text) is None:
            raise ParameterError(
                name, f"{_shorten(value)!r} is not a language tag (BCP 47, e.g. en, fr, fr-BE)"
            )
        return ox.Literal(text.lower())
    raise ParameterError(name, f"unknown type {kind!r}")  # load_queries refuses it first


def _to_iri(value: str, prefixes: Mapping[str, str]) -> str:
    """An absolute IRI from ``<iri>``, ``iri`` or ``prefix:local``; ValueError otherwise."""
    text = value.strip()
    if len(text) > 2 and text.startswith("<") and text.endswith(">"):
        text = text[1:-1]
    if not text:
        raise ValueError("it is empty")
    if len(text) > _MAX_IRI:
        raise ValueError(f"longer than {_MAX_IRI} characters")
    bad = _FORBIDDEN_IN_IRI.search(text)
    if bad is not None:
        raise ValueError(f"an IRI cannot hold {bad.group()!r}")
    prefix, colon, local = text.partition(":")
    if colon and prefix in prefixes and not local.startswith("//"):
        text = prefixes[prefix] + local
    elif _SCHEME.match(text) is None:
        raise ValueError(
            f"give a full IRI (https://…) or a CURIE with a known prefix "
            f"({', '.join(sorted(p for p in prefixes if p))})"
        )
    elif "://" not in text and prefix.lower() not in ("urn", "mailto", "tag"):
        raise ValueError(
            f"unknown prefix {prefix!r}: give a full IRI (https://…) or use one of "
            f"{', '.join(sorted(p for p in prefixes if p))}"
        )
    ox.NamedNode(text)  # pyoxigraph's own IRI check: ValueError
    return text


def _shorten(value: str, limit: int = 80) -> str:
    return value if len(value) <= limit else value[: limit - 1] + "…"


def check_classes(store: Dataset, query: CannedQuery, bindings: Mapping[str, Term]) -> None:
    """Each bound iri parameter names an instance of its class (or of a subclass) in the store;
    :class:`ParameterError` otherwise. One ASK per iri parameter."""
    for parameter in query.parameters:
        term = bindings.get(parameter.name)
        if parameter.type != "iri" or parameter.class_iri is None:
            continue
        if not isinstance(term, ox.NamedNode):
            continue
        cls = ox.NamedNode(parameter.class_iri)
        # Both IRIs went through pyoxigraph's IRI check; str() writes them as <…>, escaped.
        ask = f"ASK {{ {term} a/<{RDFS}subClassOf>* {cls} }}"
        if not bool(store.query(ask)):
            raise ParameterError(
                parameter.name,
                f"{compact(term.value)} is not an instance of {compact(cls.value)} "
                "in the knowledge base",
            )


def run(
    store: Dataset, query: CannedQuery, values: Mapping[str, str], *, check: bool = False
) -> QueryResult:
    """Run a canned query with the values given (strings, by parameter name); with ``check``,
    first make sure that each IRI given is an instance of its parameter's class."""
    bindings = bind(query, values)
    if check:
        check_classes(store, query, bindings)
    return store.query(query.text, substitutions=bindings or None)


def compact(iri: str, prefixes: Mapping[str, str] = PREFIXES) -> str:
    """The CURIE of an IRI under the longest matching prefix, else the IRI.

    >>> compact("https://w3id.org/essaim/ontology#Territory")
    'essaim:Territory'
    """
    best = max(
        ((p, ns) for p, ns in prefixes.items() if iri.startswith(ns)),
        key=lambda item: len(item[1]),
        default=None,
    )
    return f"{best[0]}:{iri[len(best[1]) :]}" if best else iri


def parse_assignments(items: Iterable[str]) -> dict[str, str]:
    """``NAME=VALUE`` strings (as ``--param`` gives them) as a mapping.

    >>> parse_assignments(["territory=kb:territory/sarthe", "lang=fr"])
    {'territory': 'kb:territory/sarthe', 'lang': 'fr'}
    """
    values: dict[str, str] = {}
    for item in items:
        name, equals, value = item.partition("=")
        name = name.strip()
        if not equals or not name:
            raise ParameterError(name or item, "write it as NAME=VALUE")
        if name in values:
            raise ParameterError(name, "given twice")
        values[name] = value
    return values
