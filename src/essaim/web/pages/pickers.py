"""The controls of a canned query's form, by parameter type (``essaim.canned_choices`` gathers
what they offer), so that nobody types a raw IRI:

- an iri parameter whose class holds few resources (``SELECT_LIMIT``; concepts grouped by scheme
  up to ``GROUPED_LIMIT``): a ``<select>`` of them with their labels in the page's language,
  concepts under one ``<optgroup>`` a scheme, indented by their hierarchy;
- an iri parameter whose class holds more: a search field and a list (a ``<select>``) of the
  resources of that class matching its words in the full-text index. Without JavaScript the
  field's *Find* button (``find=NAME``) re-renders the form with the matches; with it
  (``static/picker.js``) the list follows the words as they are typed (``/api/search`` with the
  class as kinds). Words given with nothing chosen show the matches rather than run the query;
- a year: a number input bounded by the years the knowledge base dates things with;
- a language: a ``<select>`` of the languages the codebook's labels are in;
- anything else: a text input.

The form submits IRIs (the options' values), as the API takes them; the words field is named
``q.NAME``, which no parameter can be (a parameter is a SPARQL variable name). What is offered is
gathered by the executor under the query time limit and remembered until the next write
(``Node.memo``); labels are escaped by the templates.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

from starlette.requests import Request

from essaim.canned import CannedQuery, Parameter, ParameterError, to_term
from essaim.canned_choices import (
    ClassChoices,
    Group,
    Option,
    class_choices,
    label_of,
    languages_present,
    search_choices,
    subclasses,
    year_range,
)
from essaim.web.node import Node

#: The name of the words field of parameter ``NAME``, and of the button searching them.
WORDS = "q."
FIND = "find"


@dataclass
class Picker:
    """How one parameter is asked: ``control`` is select, search, year, language or text."""

    parameter: Parameter
    control: str
    value: str
    groups: tuple[Group, ...] = ()
    #: For a search: the words, the resources matching them, and whether they were searched.
    words: str = ""
    matches: list[Option] = field(default_factory=list)
    searched: bool = False
    #: The class and its subclasses (what the search list asks the index for).
    kinds: list[str] = field(default_factory=list)
    #: How many resources the class holds (for a search: too many to list).
    count: int = 0
    #: The chosen resource with its label, when the value is an instance of the class.
    chosen: Option | None = None
    low: int | None = None
    high: int | None = None
    languages: list[str] = field(default_factory=list)

    @property
    def offered(self) -> set[str]:
        """The values the control lists."""
        found = {o.iri for g in self.groups for o in g.options} | {o.iri for o in self.matches}
        if self.chosen is not None:
            found.add(self.chosen.iri)
        return found | set(self.languages)

    @property
    def stray(self) -> bool:
        """A value given that the control does not list (kept, shown as given)."""
        return bool(self.value) and self.value not in self.offered


@dataclass
class ParameterForm:
    pickers: list[Picker]
    #: The words of a search were given (or its Find pressed): show the matches, do not run.
    searching: bool


async def parameter_form(
    request: Request, node: Node, query: CannedQuery, values: dict[str, str], lang: str
) -> ParameterForm:
    """The controls of ``query``'s parameters, with the values given (``values``) and the words
    typed in the search fields (``q.NAME``)."""
    pickers = await asyncio.gather(
        *(_picker(request, node, p, values.get(p.name, ""), lang) for p in query.parameters)
    )
    find = request.query_params.get(FIND)
    searching = any(
        p.control == "search" and (find == p.parameter.name or (p.words and not p.value))
        for p in pickers
    )
    return ParameterForm(list(pickers), searching)


async def _picker(
    request: Request, node: Node, parameter: Parameter, value: str, lang: str
) -> Picker:
    value = value.strip()
    if parameter.type == "year":
        years = await node.memo(("canned-years",), lambda: node.call(year_range))
        low, high = years if years is not None else (None, None)
        return Picker(parameter, "year", value, low=low, high=high)
    if parameter.type == "language":
        languages = await node.memo(("canned-languages",), lambda: node.call(languages_present))
        return Picker(parameter, "language", value, languages=languages)
    if parameter.type != "iri" or parameter.class_iri is None:
        return Picker(parameter, "text", value)
    class_iri = parameter.class_iri
    choices: ClassChoices = await node.memo(
        ("canned-choices", class_iri, lang), lambda: node.call(class_choices, class_iri, lang)
    )
    chosen = None
    if value:
        try:
            value = to_term(parameter, value).value  # a CURIE as its IRI
        except ParameterError:
            pass  # shown as given, refused when run
        else:
            chosen = await node.call(label_of, value, class_iri, lang)
    if choices.listed:
        return Picker(parameter, "select", value, groups=choices.groups, count=choices.count,
                      chosen=chosen)  # fmt: skip
    kinds = await node.memo(("canned-kinds", class_iri), lambda: node.call(subclasses, class_iri))
    words = request.query_params.get(WORDS + parameter.name, "").strip()
    matches: list[Option] = []
    if words:
        try:
            matches = await asyncio.to_thread(
                search_choices, node.search, words, kinds, lang,
                timeout_s=node.settings.server.query_timeout_s,
            )  # fmt: skip
        except TimeoutError:  # past the time limit: no matches offered, the form still shows
            matches = []
    if chosen is not None:
        matches = [m for m in matches if m.iri != chosen.iri]
    return Picker(parameter, "search", value, words=words, matches=matches, searched=bool(words),
                  kinds=kinds, count=choices.count, chosen=chosen)  # fmt: skip
