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
from operator import itemgetter

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


def merge(
    answers: Sequence[Answer],
    rule: Rule,
    *,
    shared: str = CODEBOOK,
    shares: Sequence[Share | None] = (),
) -> Merged:
    """The answers made into one (see the module's docstring). ``shares``: each answer's
    :func:`share`, when already made (as each answer arrived); the missing ones are made here."""
    variables: list[str] = []
    for answer in answers:
        for name in answer.variables:
            if name not in variables:
                variables.append(name)
    column = NODE_COLUMN if NODE_COLUMN not in variables else "sourceNode"
    made = [
        shares[index] or share(answer, rule, shared=shared)
        if index < len(shares)
        else share(answer, rule, shared=shared)
        for index, answer in enumerate(answers)
    ]
    rows: tuple[Row, ...] = ()
    if column == NODE_COLUMN:
        rows = tuple(row for part in made for row in part.rows)
    else:
        rows = tuple(
            {column: {"type": "literal", "value": answer.node}, **row}
            for answer in answers
            if answer.ok
            for row in answer.rows
        )
    totals = _totals(made, rule) if rule.totals else None
    per_node = tuple(name for name in rule.per_node if name in variables)
    return Merged((column, *variables), rows, tuple(answers), rule, totals, per_node)


#: A term as a key of the totals: its type, value, and language or datatype.
_Key = tuple[str, str, str, str]
_Group = tuple[_Key | None, ...]


@dataclass(frozen=True)
class Share:
    """One node's part of a merged answer, made as soon as its answer arrives (so that little
    is left to do after the slowest node): its rows with the :data:`NODE_COLUMN`, and its
    groups' sums (each group's terms, rolled up through the node's links and written as the
    totals write them, and its sums)."""

    node: str
    rows: tuple[Row, ...]
    groups: dict[_Group, tuple[tuple[Binding | None, ...], list[Decimal]]]
    integral: dict[str, bool]
    rolled: dict[tuple[str, str], str]
    unmatched: dict[tuple[str, str], str]
    not_numbers: frozenset[tuple[str, str]]


def share(answer: Answer, rule: Rule, *, shared: str = CODEBOOK) -> Share:
    """``answer``'s part of the merged answer by ``rule`` (empty when it did not answer)."""
    node = answer.node
    groups: dict[_Group, tuple[tuple[Binding | None, ...], list[Decimal]]] = {}
    integral: dict[str, bool] = dict.fromkeys(rule.summed, True)
    rolled: dict[tuple[str, str], str] = {}
    unmatched: dict[tuple[str, str], str] = {}
    not_numbers: set[tuple[str, str]] = set()
    if not answer.ok:
        return Share(node, (), groups, integral, rolled, unmatched, frozenset())
    tag = {"type": "literal", "value": node}
    rows = tuple({NODE_COLUMN: tag, **row} for row in answer.rows)
    if not rule.totals:
        return Share(node, rows, groups, integral, rolled, unmatched, frozenset())
    resolve = Resolver(answer.links, shared)
    by, summed = rule.by, tuple(enumerate(rule.summed))
    zero = [Decimal(0)] * len(summed)
    for row in answer.rows:
        terms = [row.get(name) for name in by]
        if resolve.edges:  # the node codes with concepts of its own
            for index, term in enumerate(terms):
                if term is None or term["type"] != "uri" or not resolve.extension(term["value"]):
                    continue
                target, why = resolve(term["value"])
                if target is None:
                    unmatched[(node, term["value"])] = why
                else:
                    rolled[(node, term["value"])] = target
                    terms[index] = {"type": "uri", "value": target}
        key = tuple(
            None if t is None
            else (t["type"], t["value"], t.get("xml:lang", ""), t.get("datatype", ""))
            for t in terms
        )  # fmt: skip
        group = groups.get(key)
        if group is None:
            written = tuple(None if t is None else _binding(t) for t in terms)
            group = groups[key] = (written, zero.copy())
        sums = group[1]
        for index, name in summed:
            term = row.get(name)
            if term is None:
                continue
            number = _number(term)
            if number is None:
                not_numbers.add((node, name))
                continue
            sums[index] += number[0]
            if not number[1]:
                integral[name] = False
    return Share(node, rows, groups, integral, rolled, unmatched, frozenset(not_numbers))


def _binding(term: Binding) -> Binding:
    """A key's term as the totals write it: its type and value, and its language or datatype."""
    out = {"type": term["type"], "value": term["value"]}
    if term.get("xml:lang"):
        out["xml:lang"] = term["xml:lang"]
    elif term.get("datatype"):
        out["datatype"] = term["datatype"]
    return out


def _totals(shares: Sequence[Share], rule: Rule) -> Totals:
    groups: dict[_Group, tuple[tuple[Binding | None, ...], list[Decimal], set[str]]] = {}
    integral: dict[str, bool] = dict.fromkeys(rule.summed, True)
    rolled: dict[tuple[str, str], str] = {}
    unmatched: dict[tuple[str, str], str] = {}
    not_numbers: set[tuple[str, str]] = set()
    for part in shares:
        for key, (terms, sums) in part.groups.items():
            group = groups.get(key)
            if group is None:
                groups[key] = (terms, sums.copy(), {part.node})
                continue
            group[2].add(part.node)
            running = group[1]
            for index, value in enumerate(sums):
                running[index] += value
        for name, whole in part.integral.items():
            integral[name] = integral[name] and whole
        rolled.update(part.rolled)
        unmatched.update(part.unmatched)
        not_numbers |= part.not_numbers
    out: list[tuple[Decimal, tuple[str, ...], Row]] = []
    integer = XSD + "integer"
    for terms, values, nodes in groups.values():
        total: Row = {n: t for n, t in zip(rule.by, terms, strict=True) if t is not None}
        for name, value in zip(rule.summed, values, strict=True):
            total[name] = _literal(value, integral[name])
        total[NODES_COLUMN] = {"type": "literal", "value": str(len(nodes)), "datatype": integer}
        order = tuple(t["value"] if t is not None else "" for t in terms)
        out.append((-values[0], order, total))
    out.sort(key=itemgetter(0, 1))
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
