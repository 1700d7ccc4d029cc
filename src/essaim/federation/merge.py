"""The nodes' answers to one canned query made into one: every row with the node it came from,
and the network's totals where the query's columns add up (:mod:`essaim.federation.rules`).

**Roll-up through codebook extensions.** The codebook's IRIs (``https://w3id.org/essaim/
codebook/…``) are shared by every node; a territory may code with concepts of its own (its
extension, under its own base), each linked to the shared codebook. In the network's totals, a
key that is a concept of a node's extension counts under the shared concept it leads to by that
node's own links:

1. the shared concept it matches (``skos:exactMatch``, then ``skos:closeMatch``), when exactly
   one;
2. else the nearest shared concept it is narrower than: following ``skos:broader`` (and the
   matches) through the node's own concepts, step by step, the first step that reaches the
   shared codebook, when it reaches exactly one concept there.

A concept that reaches two shared concepts at the same step, or none, is not rolled up: it
keeps its own row in the totals, and the answer lists it (``unmatched``) with the reason. Links
are each node's own: a node's rows roll up through the links that node publishes.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from essaim.federation.fanout import Answer, Binding, Row
from essaim.federation.rules import Rule
from essaim.namespaces import CODEBOOK, SKOS, XSD

#: The column added to every row: the node it came from.
NODE_COLUMN = "node"
#: The column of the totals: how many nodes have rows for that key.
NODES_COLUMN = "nodes"
_MATCHES = (SKOS + "exactMatch", SKOS + "closeMatch")
_INTEGERS = frozenset(
    XSD + name
    for name in (
        "integer", "int", "long", "short", "byte", "nonNegativeInteger", "positiveInteger",
        "unsignedInt", "unsignedLong", "unsignedShort", "unsignedByte", "negativeInteger",
        "nonPositiveInteger",
    )
)  # fmt: skip
_NUMBERS = _INTEGERS | {XSD + "decimal", XSD + "double", XSD + "float"}


@dataclass(frozen=True)
class Totals:
    """The network's rows: the ``by`` keys (rolled up), the ``summed`` columns, and the number
    of nodes behind each; ``rolled_up`` lists (node, concept, shared concept) and ``unmatched``
    (node, concept, why) the extension concepts that could not be."""

    by: tuple[str, ...]
    summed: tuple[str, ...]
    rows: tuple[Row, ...]
    rolled_up: tuple[tuple[str, str, str], ...] = ()
    unmatched: tuple[tuple[str, str, str], ...] = ()
    not_numbers: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class Merged:
    """Every node's rows (``variables`` starts with :data:`NODE_COLUMN`), each node's answer
    (its status), the rule, the totals (None when the query's columns do not add up) and the
    aggregate columns that stay per node."""

    variables: tuple[str, ...]
    rows: tuple[Row, ...]
    answers: tuple[Answer, ...]
    rule: Rule
    totals: Totals | None
    per_node: tuple[str, ...]

    @property
    def missing(self) -> tuple[Answer, ...]:
        """The nodes that did not answer, with why."""
        return tuple(a for a in self.answers if not a.ok)


def merge(answers: Sequence[Answer], rule: Rule, *, shared: str = CODEBOOK) -> Merged:
    """The answers made into one (see the module's docstring)."""
    variables: list[str] = []
    for answer in answers:
        for name in answer.variables:
            if name not in variables:
                variables.append(name)
    column = NODE_COLUMN if NODE_COLUMN not in variables else "sourceNode"
    rows = tuple(
        {column: {"type": "literal", "value": answer.node}, **row}
        for answer in answers
        if answer.ok
        for row in answer.rows
    )
    totals = _totals(answers, rule, shared) if rule.totals else None
    per_node = tuple(name for name in rule.per_node if name in variables)
    return Merged((column, *variables), rows, tuple(answers), rule, totals, per_node)


#: A term as a key of the totals: its type, value, and language or datatype.
_Key = tuple[str, str, str, str]


def _key(binding: Binding | None) -> _Key | None:
    if binding is None:
        return None
    return (binding["type"], binding["value"], binding.get("xml:lang", ""),
            binding.get("datatype", ""))  # fmt: skip


def _binding(key: _Key) -> Binding:
    kind, value, lang, datatype = key
    out = {"type": kind, "value": value}
    if lang:
        out["xml:lang"] = lang
    elif datatype:
        out["datatype"] = datatype
    return out


def _totals(answers: Sequence[Answer], rule: Rule, shared: str) -> Totals:
    sums: dict[tuple[_Key | None, ...], list[Decimal]] = {}
    integral: dict[str, bool] = dict.fromkeys(rule.summed, True)
    nodes: dict[tuple[_Key | None, ...], set[str]] = {}
    rolled: dict[tuple[str, str], str] = {}
    unmatched: dict[tuple[str, str], str] = {}
    not_numbers: set[tuple[str, str]] = set()
    for answer in answers:
        if not answer.ok:
            continue
        resolve = Resolver(answer.links, shared)
        for row in answer.rows:
            key: list[_Key | None] = []
            for name in rule.by:
                term = row.get(name)
                if term is not None and term["type"] == "uri" and resolve.extension(term["value"]):
                    target, why = resolve(term["value"])
                    if target is None:
                        unmatched[(answer.node, term["value"])] = why
                    else:
                        rolled[(answer.node, term["value"])] = target
                        term = {"type": "uri", "value": target}
                key.append(_key(term))
            frozen = tuple(key)
            totals = sums.setdefault(frozen, [Decimal(0)] * len(rule.summed))
            nodes.setdefault(frozen, set()).add(answer.node)
            for index, name in enumerate(rule.summed):
                number = _number(row.get(name))
                if number is None:
                    if row.get(name) is not None:
                        not_numbers.add((answer.node, name))
                    continue
                totals[index] += number[0]
                integral[name] = integral[name] and number[1]
    out: list[tuple[Decimal, tuple[str, ...], Row]] = []
    for group, values in sums.items():
        total: Row = {n: _binding(k) for n, k in zip(rule.by, group, strict=True) if k is not None}
        for name, value in zip(rule.summed, values, strict=True):
            total[name] = _literal(value, integral[name])
        total[NODES_COLUMN] = {"type": "literal", "value": str(len(nodes[group])),
                               "datatype": XSD + "integer"}  # fmt: skip
        order = tuple(k[1] if k else "" for k in group)
        out.append((-values[0], order, total))
    out.sort(key=lambda item: (item[0], item[1]))
    return Totals(
        rule.by,
        rule.summed,
        tuple(row for _, _, row in out),
        tuple((n, c, t) for (n, c), t in sorted(rolled.items())),
        tuple((n, c, w) for (n, c), w in sorted(unmatched.items())),
        tuple(sorted(not_numbers)),
    )


def _number(term: Binding | None) -> tuple[Decimal, bool] | None:
    if term is None or term["type"] != "literal" or term.get("datatype") not in _NUMBERS:
        return None
    try:
        value = Decimal(term["value"].strip())
    except InvalidOperation:
        return None
    if not value.is_finite():
        return None
    return value, term.get("datatype") in _INTEGERS


def _literal(value: Decimal, integral: bool) -> Binding:
    if integral:
        return {"type": "literal", "value": str(int(value)), "datatype": XSD + "integer"}
    text = format(value.normalize(), "f")
    text = text if "." in text else text + ".0"
    return {"type": "literal", "value": text, "datatype": XSD + "decimal"}


class Resolver:
    """The shared concept each concept of one node's extension rolls up to, by that node's
    links (see the module's docstring).

    >>> cb, ext = "https://w3id.org/essaim/codebook/barrier/", "https://t.example/kb/concept/"
    >>> links = [(ext + "a", SKOS + "broader", ext + "b"),
    ...          (ext + "b", SKOS + "broader", cb + "x"),
    ...          (ext + "c", SKOS + "closeMatch", cb + "y"),
    ...          (ext + "c", SKOS + "broader", cb + "x")]
    >>> resolve = Resolver(links, "https://w3id.org/essaim/codebook/")
    >>> [resolve(ext + n)[0] == (cb + t if t else None) for n, t in [("a", "x"), ("c", "y")]]
    [True, True]
    >>> resolve(ext + "z")
    (None, 'no skos:broader, skos:closeMatch or skos:exactMatch link to the shared codebook')
    """

    def __init__(self, links: Iterable[tuple[str, str, str]], shared: str) -> None:
        self.shared = shared
        self.edges: dict[str, list[tuple[str, str]]] = {}
        for concept, relation, target in links:
            self.edges.setdefault(concept, []).append((relation, target))
        self._found: dict[str, tuple[str | None, str]] = {}

    def extension(self, iri: str) -> bool:
        """Whether ``iri`` is a concept outside the shared codebook that this node links."""
        return not iri.startswith(self.shared) and iri in self.edges

    def __call__(self, concept: str) -> tuple[str | None, str]:
        """The shared concept (or None) and, when None, why."""
        if concept not in self._found:
            self._found[concept] = self._resolve(concept)
        return self._found[concept]

    def _resolve(self, concept: str) -> tuple[str | None, str]:
        edges = self.edges.get(concept, [])
        for relation in _MATCHES:
            matched = {t for r, t in edges if r == relation and t.startswith(self.shared)}
            if len(matched) == 1:
                return matched.pop(), ""
            if len(matched) > 1:
                return None, f"{_short(relation)} to {len(matched)} shared concepts"
        seen = {concept}
        frontier = [concept]
        while frontier:
            reached: set[str] = set()
            following: list[str] = []
            for node in frontier:
                for _, target in self.edges.get(node, []):
                    if target.startswith(self.shared):
                        reached.add(target)
                    elif target not in seen:
                        seen.add(target)
                        following.append(target)
            if len(reached) == 1:
                return reached.pop(), ""
            if reached:
                return None, f"links to {len(reached)} shared concepts at the same step"
            frontier = following
        return (
            None,
            "no skos:broader, skos:closeMatch or skos:exactMatch link to the shared codebook",
        )


def _short(iri: str) -> str:
    return "skos:" + iri[len(SKOS) :] if iri.startswith(SKOS) else iri
