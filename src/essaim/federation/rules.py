"""Which columns of a canned query's answer can be recomputed over the rows of several nodes.

A count or a sum over groups adds up across nodes: the network's count for a group is the sum of
each node's count for it. A ratio, an average, a minimum of ratios, or a ``COUNT(DISTINCT …)``
does not in general (the same thing may be counted on two nodes): such columns stay *per node*.

The rule of a query is either declared in its header::

    # federation: sum initiatives passages by territory barrier
    # federation: per-node

(``sum`` columns re-summed over the ``by`` columns; a ``COUNT(DISTINCT ?x)`` may be declared
summable when each node counts its own resources, as it does for its own initiatives), or read
from the query itself: the plain ``COUNT(…)`` and ``SUM(…)`` columns of the top ``SELECT`` are
re-summed over its projected ``GROUP BY`` variables; every other aggregate is per node.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from essaim.sparql_syntax import Token, tokens

_NAME = re.compile(r"\??([A-Za-z_][A-Za-z0-9_]*)")
_SUMMABLE = frozenset({"COUNT", "SUM"})
_AGGREGATES = frozenset({"COUNT", "SUM", "AVG", "MIN", "MAX", "SAMPLE", "GROUP_CONCAT"})
_AFTER_GROUP = frozenset({"HAVING", "ORDER", "LIMIT", "OFFSET", "VALUES"})


class RuleError(ValueError):
    """A ``# federation:`` header line that cannot be read; the message says why."""


@dataclass(frozen=True)
class Rule:
    """``summed`` columns re-summed over the ``by`` columns; ``per_node`` the aggregate columns
    that cannot be (flagged in the answer); ``declared`` when the header said so."""

    summed: tuple[str, ...] = ()
    by: tuple[str, ...] = ()
    per_node: tuple[str, ...] = ()
    declared: bool = False

    @property
    def totals(self) -> bool:
        """Whether the network's totals can be computed."""
        return bool(self.summed)


def parse_rule(value: str, projected: Iterable[str]) -> Rule:
    """The rule a ``# federation:`` header line declares; ``projected`` are the variables of the
    query's projection, which the names must be.

    >>> parse_rule("sum n by territory concept", ["territory", "concept", "n", "label"])
    Rule(summed=('n',), by=('territory', 'concept'), per_node=(), declared=True)
    >>> parse_rule("per-node", ["n"]).totals
    False
    """
    words = value.split()
    columns = set(projected)
    if words == ["per-node"]:
        return Rule(declared=True)
    if not words or words[0] != "sum" or "by" not in words:
        raise RuleError("write 'sum COLUMN… by KEY…' or 'per-node'")
    split = words.index("by")
    names: list[list[str]] = [[], []]
    for index, part in enumerate((words[1:split], words[split + 1 :])):
        for word in part:
            match = _NAME.fullmatch(word)
            if match is None:
                raise RuleError(f"{word!r} is not a variable name")
            if match[1] not in columns:
                raise RuleError(f"?{match[1]} is not a column of the query's SELECT")
            names[index].append(match[1])
    summed, by = names
    if not summed:
        raise RuleError("name at least one column to sum before 'by'")
    both = set(summed) & set(by)
    if both:
        raise RuleError(f"?{sorted(both)[0]} is both summed and a key")
    return Rule(tuple(summed), tuple(by), declared=True)


def read_rule(query: str) -> Rule:
    """The rule read from the query's text (see the module's docstring).

    >>> read_rule("SELECT ?t (COUNT(?i) AS ?n) (AVG(?x) AS ?a) WHERE { ?i ?p ?t } GROUP BY ?t")
    Rule(summed=('n',), by=('t',), per_node=('a',), declared=False)
    >>> read_rule("SELECT ?t (COUNT(DISTINCT ?i) AS ?n) WHERE { ?i ?p ?t } GROUP BY ?t").totals
    False
    """
    found = tokens(query)
    start = next((i for i, t in enumerate(found) if t.keyword == "SELECT"), None)
    if start is None:
        return Rule()
    plain: list[str] = []
    summed: list[str] = []
    per_node: list[str] = []
    index = start + 1
    while index < len(found):
        token = found[index]
        if token.kind == "brace" or token.keyword in ("WHERE", "FROM"):
            break
        if token.kind == "var":
            plain.append(token.text[1:])
        elif token.text == "(":
            end = _closing(found, index)
            name, summable, aggregate = _expression(found[index + 1 : end])
            if name is not None and summable:
                summed.append(name)
            elif name is not None and aggregate:
                per_node.append(name)
            index = end
        index += 1
    keys = _group_keys(found, index)
    by = tuple(name for name in plain if name in keys)
    if not by:
        return Rule(per_node=tuple(summed + per_node))
    return Rule(tuple(summed), by, tuple(per_node))


def _closing(found: list[Token], opening: int) -> int:
    depth = 0
    for index in range(opening, len(found)):
        if found[index].text == "(":
            depth += 1
        elif found[index].text == ")":
            depth -= 1
            if depth == 0:
                return index
    return len(found) - 1


def _expression(inner: list[Token]) -> tuple[str | None, bool, bool]:
    """The name an ``(expression AS ?name)`` projects, whether the expression is a plain
    ``COUNT(…)``/``SUM(…)`` and whether it holds an aggregate."""
    if len(inner) < 3 or inner[-2].keyword != "AS" or inner[-1].kind != "var":
        return None, False, False
    name = inner[-1].text[1:]
    expression = inner[:-2]
    aggregate = any(t.keyword in _AGGREGATES for t in expression)
    summable = (
        len(expression) >= 3
        and expression[0].keyword in _SUMMABLE
        and expression[1].text == "("
        and _closing(expression, 1) == len(expression) - 1
        and expression[2].keyword != "DISTINCT"
    )
    return name, summable, aggregate


def _group_keys(found: list[Token], index: int) -> set[str]:
    """The variables of the top-level ``GROUP BY`` (after the WHERE group closes)."""
    depth = 0
    keys: set[str] = set()
    grouping = False
    previous = ""
    for token in found[index:]:
        after, previous = previous, token.keyword
        if token.kind == "brace":
            depth += 1
        elif token.kind == "close":
            depth -= 1
        elif depth != 0:
            continue
        elif token.keyword == "BY" and after == "GROUP":
            grouping = True
        elif grouping and token.kind == "var":
            keys.add(token.text[1:])
        elif grouping and token.keyword in _AFTER_GROUP:
            grouping = False
    return keys
