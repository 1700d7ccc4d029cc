"""Adjudication: an editor settles the units where coders differ; what the coders agreed on and
what the editor settled becomes the initiative's coded facts, in a public graph of its own.

**Items.** The units of agreement (``essaim.annotation.agreement``: sections by default) of an
initiative's case documents, among the coders who coded each document (two at least). A unit is
*agreed* when every coder gave it the same codes, each concept in one same statement mode; else
it is a *disagreement*, to be settled by a decision:

- ``coder``: keep one coder's codes in the unit (``coder`` names them);
- ``all``: keep every code any coder gave in the unit ("both");
- ``neither``: keep none;
- ``new``: a code none of them gave (``concept``): the editor's own annotation on the passage the
  coders marked (from the first start to the last end of their codings in the unit), derived from
  theirs.

``mode`` (a statement-mode concept) sets the mode of every fact the decision keeps; without it,
a fact takes the mode its annotations agree on, and a decision that leaves a fact without one
mode is refused. Decisions are remembered in the private annotation store (graph
:data:`DECISIONS_GRAPH`, never public), keyed by document and the unit's offsets; a new decision
on the same unit replaces the old one.

**Coded facts.** One ``essaim:CodedFact`` per concept and mode on the initiative, citing every
annotation behind it (``essaim:hasAnnotation`` and ``prov:wasDerivedFrom``), its coders
(``essaim:coder``), status ``coding-status:agreed`` when every unit behind it was agreed, else
``coding-status:adjudicated``, attributed (``prov:wasAttributedTo``) to the coders when agreed
and to the adjudicator when adjudicated; with the direct shortcut (``essaim:hasBarrier``…) when
the ontology says the property carries that mode and status. The annotations cited are copied
into the graph (without their memos and anchoring flags) so that the passage stays one click
away: from then on they are public.

**The graph.** ``https://w3id.org/essaim/graph/adjudication/<initiative>``: no case file and no
``make kb`` writes it, so reloading a file loses nothing. Every adjudication rebuilds it whole
from the decisions and goes through :func:`essaim.loading.load` — parsed, validated against the
SHACL contract, written atomically, recorded with the adjudicator as its author; a graph that
breaks the contract loads nothing and no decision is remembered.
"""

from __future__ import annotations

import hashlib
import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Literal, cast

import pyoxigraph as ox

from essaim import namespaces as ns
from essaim.annotation.agreement import (
    AgreementError,
    Coding,
    Unit,
    UnitKind,
    codings_of,
    document_units,
    named_node,
)
from essaim.annotation.model import ANNOTATION_BASE, Annotation, list_annotations, now
from essaim.loading import LoadOutcome, load
from essaim.store.base import Dataset

Choice = Literal["coder", "all", "neither", "new"]
CHOICES: tuple[Choice, ...] = ("coder", "all", "neither", "new")
ADJUDICATION_GRAPH_BASE = ns.GRAPH + "adjudication/"
DECISIONS_GRAPH = ns.GRAPH + "adjudication-decisions"
CODED_FACT_BASE = ns.KB + "coded-fact/"
AGREED = ns.CODEBOOK + "coding-status/agreed"
ADJUDICATED = ns.CODEBOOK + "coding-status/adjudicated"
STATEMENT_MODE = ns.CODEBOOK + "statement-mode/"
_DECISION = "urn:essaim:adjudication#"
_DATE_TIME = ox.NamedNode(ns.XSD + "dateTime")


class AdjudicationError(ValueError):
    """A decision cannot be taken or applied; one sentence naming what and where."""


@dataclass(frozen=True)
class Decision:
    document: str
    start: int  # the unit's offsets
    end: int
    choice: Choice
    coder: str | None = None
    concept: str | None = None
    mode: str | None = None
    adjudicator: str = ""
    decided: datetime = field(default_factory=now)


@dataclass
class Item:
    """A unit of a document, with each coder's codings in it and the decision taken, if any."""

    unit: Unit
    text: str
    codes: dict[str, list[Coding]]
    decision: Decision | None = None

    @property
    def agreed(self) -> bool:
        return len({_signature(cs) for cs in self.codes.values()}) == 1

    def concepts_of(self, coder: str) -> list[tuple[str, str | None]]:
        return sorted({(c.concept, c.mode) for c in self.codes.get(coder, [])}, key=str)


def _signature(codings: Sequence[Coding]) -> frozenset[tuple[str, str | None]]:
    return frozenset((c.concept, c.mode) for c in codings)


def adjudication_graph(initiative: str) -> str:
    """The public graph of an initiative's adjudicated facts.

    >>> adjudication_graph("https://w3id.org/essaim/kb/initiative/sarthe-ceas72")
    'https://w3id.org/essaim/graph/adjudication/sarthe-ceas72'
    """
    return ADJUDICATION_GRAPH_BASE + _local(initiative)


def _local(iri: str) -> str:
    tail = iri.rstrip("/").rsplit("/", 1)[-1].rsplit("#", 1)[-1]
    safe = "".join(ch if ch.isalnum() or ch in "-_." else "-" for ch in tail)
    return safe or hashlib.sha256(iri.encode()).hexdigest()[:16]


# ---------------------------------------------------------------------------- reading


_DOCUMENTS = f"""
SELECT ?initiative ?document WHERE {{ ?initiative <{ns.ESSAIM}caseDocument> ?document }}
ORDER BY ?document
"""
_INITIATIVE = f"""
SELECT ?document ?initiative WHERE {{
  ?initiative a <{ns.ESSAIM}Initiative> ; <{ns.ESSAIM}caseDocument> ?document
}} ORDER BY ?initiative
"""


def _named(value: str, what: str) -> ox.NamedNode:
    try:
        return named_node(value, what)
    except AgreementError as exc:
        raise AdjudicationError(str(exc)) from None


def initiative_of(public: Dataset, document: str) -> str:
    rows = cast(
        ox.QuerySolutions,
        public.query(_INITIATIVE, substitutions={"document": _named(document, "document")}),
    )
    for row in rows:
        return cast(ox.NamedNode, row["initiative"]).value
    raise AdjudicationError(f"{document} is the case document of no initiative")


def documents_of(public: Dataset, initiative: str) -> list[str]:
    rows = cast(
        ox.QuerySolutions,
        public.query(_DOCUMENTS, substitutions={"initiative": _named(initiative, "initiative")}),
    )
    found = [cast(ox.NamedNode, row["document"]).value for row in rows]
    if not found:
        raise AdjudicationError(f"{initiative} is no initiative with a case document")
    return found


def items(
    public: Dataset,
    annotations: ox.Store,
    documents: Sequence[str],
    *,
    unit_kind: UnitKind = "sections",
) -> list[Item]:
    """Every unit that at least two coders could code, with the decisions taken on it."""
    decisions = {(d.document, d.start, d.end): d for d in read_decisions(annotations)}
    found: list[Item] = []
    for document in documents:
        text, units = document_units(public, document, unit_kind)
        codings = codings_of(list_annotations(annotations, document=document))
        coders = sorted({c.coder for c in codings})
        if len(coders) < 2:
            continue
        for unit in units:
            codes: dict[str, list[Coding]] = {coder: [] for coder in coders}
            for coding in codings:
                if coding.start < unit.end and unit.start < coding.end:
                    codes[coding.coder].append(coding)
            decision = decisions.get((document, unit.start, unit.end))
            found.append(Item(unit, text[unit.start : unit.end], codes, decision))
    return found


def disagreements(items: Iterable[Item]) -> list[Item]:
    return [item for item in items if not item.agreed]


# ---------------------------------------------------------------------------- decisions


def _p(name: str) -> ox.NamedNode:
    return ox.NamedNode(_DECISION + name)


def decision_quads(decision: Decision) -> list[ox.Quad]:
    key = f"{decision.document} {decision.start} {decision.end}"
    node = ox.NamedNode("urn:essaim:decision:" + hashlib.sha256(key.encode()).hexdigest()[:32])
    graph = ox.NamedNode(DECISIONS_GRAPH)
    values: list[tuple[str, ox.NamedNode | ox.Literal]] = [
        ("document", ox.NamedNode(decision.document)),
        ("start", ox.Literal(str(decision.start), datatype=ox.NamedNode(ns.XSD + "integer"))),
        ("end", ox.Literal(str(decision.end), datatype=ox.NamedNode(ns.XSD + "integer"))),
        ("choice", ox.Literal(decision.choice)),
        ("adjudicator", ox.NamedNode(decision.adjudicator)),
        ("decided", ox.Literal(decision.decided.isoformat(), datatype=_DATE_TIME)),
    ]  # fmt: skip
    for name, value in (("coder", decision.coder), ("concept", decision.concept),
                        ("mode", decision.mode)):  # fmt: skip
        if value:
            values.append((name, ox.NamedNode(value)))
    return [ox.Quad(node, _p(name), value, graph) for name, value in values]


def read_decisions(annotations: ox.Store) -> list[Decision]:
    rows = cast(
        ox.QuerySolutions,
        annotations.query(
            f"SELECT ?d ?p ?o WHERE {{ GRAPH <{DECISIONS_GRAPH}> {{ ?d ?p ?o }} }} ORDER BY ?d"
        ),
    )
    grouped: dict[str, dict[str, str]] = {}
    for row in rows:
        subject = cast(ox.NamedNode, row["d"]).value
        name = cast(ox.NamedNode, row["p"]).value.removeprefix(_DECISION)
        grouped.setdefault(subject, {})[name] = cast(ox.NamedNode | ox.Literal, row["o"]).value
    return [
        Decision(
            document=v["document"],
            start=int(v["start"]),
            end=int(v["end"]),
            choice=cast(Choice, v["choice"]),
            coder=v.get("coder"),
            concept=v.get("concept"),
            mode=v.get("mode"),
            adjudicator=v["adjudicator"],
            decided=datetime.fromisoformat(v["decided"]),
        )
        for v in grouped.values()
    ]


def _remember(annotations: ox.Store, decisions: Sequence[Decision]) -> None:
    for decision in decisions:
        for quad in decision_quads(decision):
            for old in list(
                annotations.quads_for_pattern(quad.subject, None, None, quad.graph_name)
            ):
                annotations.remove(old)
    for decision in decisions:
        annotations.extend(decision_quads(decision))


# ---------------------------------------------------------------------------- facts


@dataclass
class Fact:
    concept: str
    mode: str
    annotations: dict[str, Coding] = field(default_factory=dict)
    adjudicated: bool = False
    derived: set[str] = field(default_factory=set)  # coders' annotations behind a new code


@dataclass
class Outcome:
    graph: str
    facts: int
    agreed: int
    adjudicated: int
    pending: int  # disagreements without a decision
    loaded: list[LoadOutcome]


def _check(decision: Decision, item: Item, concepts: set[str], modes: set[str]) -> None:
    where = f"{decision.document} [{decision.start}, {decision.end})"
    if decision.choice not in CHOICES:
        raise AdjudicationError(
            f"{where}: unknown choice {decision.choice!r}: use coder, all, neither or new"
        )
    if decision.choice == "coder" and decision.coder not in item.codes:
        raise AdjudicationError(f"{where}: {decision.coder} did not code this document")
    if decision.choice == "new" and decision.concept not in concepts:
        raise AdjudicationError(
            f"{where}: {decision.concept} is not a concept that can code a passage"
        )
    if decision.mode is not None and decision.mode not in modes:
        raise AdjudicationError(f"{where}: {decision.mode} is not a statement mode")
    if not decision.adjudicator:
        raise AdjudicationError(f"{where}: the decision names no adjudicator")


def _codable(public: Dataset) -> tuple[set[str], set[str]]:
    concepts = {
        cast(ox.NamedNode, row["c"]).value
        for row in cast(
            ox.QuerySolutions,
            public.query(
                f"SELECT ?c WHERE {{ ?c <{ns.SKOS}inScheme>/<{ns.ESSAIM}codableOnPassage> true"
                f" FILTER NOT EXISTS {{ ?c <{ns.OWL}deprecated> true }} }}"
            ),
        )
    }
    modes = {
        cast(ox.NamedNode, row["c"]).value
        for row in cast(
            ox.QuerySolutions,
            public.query(
                f"SELECT ?c WHERE {{ ?c <{ns.SKOS}inScheme> <{ns.CODEBOOK}statement-mode> }}"
            ),
        )
    }
    return concepts, modes


def statement_modes(public: Dataset, lang: str = "en") -> list[tuple[str, str]]:
    """The statement modes, as (label in ``lang``, IRI), by label."""
    rows = public.query(
        f"SELECT ?c ?l WHERE {{ ?c <{ns.SKOS}inScheme> <{ns.CODEBOOK}statement-mode> ;"
        f" <{ns.SKOS}prefLabel> ?l }}"
    )
    found: dict[str, str] = {}
    for row in cast(ox.QuerySolutions, rows):
        label, iri = cast(ox.Literal, row["l"]), cast(ox.NamedNode, row["c"]).value
        if label.language == lang or iri not in found:
            found[iri] = label.value
    return sorted((label, iri) for iri, label in found.items())


def facts_of(items: Sequence[Item], concepts: set[str], modes: set[str]) -> list[Fact]:
    """The coded facts the agreed units and the decisions make (see the module's docstring)."""
    facts: dict[tuple[str, str], Fact] = {}

    def keep(concept: str, codings: list[Coding], adjudicated: bool, mode: str | None,
             where: str, derived: Iterable[str] = ()) -> None:  # fmt: skip
        chosen = mode or _one_mode(codings, concept, where)
        fact = facts.setdefault((concept, chosen), Fact(concept, chosen))
        fact.annotations.update({c.annotation: c for c in codings})
        fact.adjudicated = fact.adjudicated or adjudicated
        fact.derived.update(derived)

    for item in items:
        where = f"{item.unit.document} [{item.unit.start}, {item.unit.end})"
        every = [c for cs in item.codes.values() for c in cs]
        if item.agreed:
            for concept in {c.concept for c in every}:
                keep(concept, [c for c in every if c.concept == concept], False, None, where)
            continue
        decision = item.decision
        if decision is None or decision.choice == "neither":
            continue
        _check(decision, item, concepts, modes)
        if decision.choice == "new":
            assert decision.concept is not None
            keep(decision.concept, [_new_coding(decision, item)], True, decision.mode, where,
                 derived=[c.annotation for c in every])  # fmt: skip
            continue
        kept = item.codes[decision.coder] if decision.choice == "coder" else every  # type: ignore[index]
        for concept in {c.concept for c in kept}:
            backing = [c for c in every if c.concept == concept]
            keep(concept, backing, True, decision.mode, where)
    return sorted(facts.values(), key=lambda f: (f.concept, f.mode))


def _one_mode(codings: Sequence[Coding], concept: str, where: str) -> str:
    modes = {c.mode for c in codings}
    if len(modes) != 1 or None in modes:
        raise AdjudicationError(
            f"{where}: the annotations of {concept} give "
            + ("no statement mode" if modes == {None} else "different statement modes")
            + ": the decision must set the mode"
        )
    return cast(str, next(iter(modes)))


def _new_coding(decision: Decision, item: Item) -> Coding:
    every = [c for cs in item.codes.values() for c in cs]
    if every:
        start, end = min(c.start for c in every), max(c.end for c in every)
    else:
        start, end = item.unit.start, item.unit.end
    key = f"{decision.document} {decision.start} {decision.end} {decision.concept}"
    iri = ANNOTATION_BASE + "adjudication-" + hashlib.sha256(key.encode()).hexdigest()[:32]
    offset = start - item.unit.start
    exact = item.text[offset : offset + end - start]
    return Coding(iri, decision.document, cast(str, decision.concept), start, end,
                  decision.adjudicator, exact, decision.mode)  # fmt: skip


# ---------------------------------------------------------------------------- the graph


_SHORTCUTS = f"""
SELECT ?property ?scheme ?mode ?status WHERE {{
  ?property <{ns.ESSAIM}shortcutScheme> ?scheme ;
      <{ns.ESSAIM}shortcutMode> ?mode ;
      <{ns.ESSAIM}shortcutStatus> ?status .
}}"""
_SCHEME = f"SELECT ?concept ?scheme WHERE {{ ?concept <{ns.SKOS}inScheme> ?scheme }}"


def _shortcut(public: Dataset, concept: str, mode: str, status: str) -> str | None:
    schemes = {
        cast(ox.NamedNode, row["scheme"]).value
        for row in cast(
            ox.QuerySolutions,
            public.query(_SCHEME, substitutions={"concept": ox.NamedNode(concept)}),
        )
    }
    for row in cast(ox.QuerySolutions, public.query(_SHORTCUTS)):
        if (
            cast(ox.NamedNode, row["scheme"]).value in schemes
            and cast(ox.NamedNode, row["mode"]).value == mode
            and cast(ox.NamedNode, row["status"]).value == status
        ):
            return cast(ox.NamedNode, row["property"]).value
    return None


def fact_iri(initiative: str, concept: str, mode: str) -> str:
    tail = concept.removeprefix(ns.CODEBOOK).replace("/", "-")
    return f"{CODED_FACT_BASE}adjudication-{_local(initiative)}-{_local(tail)}-{_local(mode)}"


def graph_triples(
    public: Dataset,
    annotations: ox.Store,
    initiative: str,
    facts: Sequence[Fact],
    adjudicator: str,
    stored: dict[str, Annotation],
) -> list[ox.Triple]:
    """The adjudication graph: the facts, their shortcuts, and the annotations they cite."""
    e, prov = ns.ESSAIM, ns.PROV
    subject = ox.NamedNode(initiative)
    triples: list[ox.Triple] = []
    copied: set[str] = set()

    def add(s: ox.NamedNode, p: str, o: ox.NamedNode | ox.Literal) -> None:
        triples.append(ox.Triple(s, ox.NamedNode(p), o))

    for fact in facts:
        node = ox.NamedNode(fact_iri(initiative, fact.concept, fact.mode))
        status = ADJUDICATED if fact.adjudicated else AGREED
        add(subject, e + "hasCodedFact", node)
        add(node, ns.RDF + "type", ox.NamedNode(e + "CodedFact"))
        add(node, e + "concept", ox.NamedNode(fact.concept))
        add(node, e + "statementMode", ox.NamedNode(fact.mode))
        add(node, e + "codingStatus", ox.NamedNode(status))
        coders = sorted({c.coder for c in fact.annotations.values()})
        for coder in coders:
            add(node, e + "coder", ox.NamedNode(coder))
        for iri in sorted(fact.annotations):
            add(node, e + "hasAnnotation", ox.NamedNode(iri))
        for iri in sorted({*fact.annotations, *fact.derived}):
            add(node, prov + "wasDerivedFrom", ox.NamedNode(iri))
        for agent in [adjudicator] if fact.adjudicated else coders:
            add(node, prov + "wasAttributedTo", ox.NamedNode(agent))
        if prop := _shortcut(public, fact.concept, fact.mode, status):
            add(subject, prop, ox.NamedNode(fact.concept))
        for coding in fact.annotations.values():
            if coding.annotation not in copied:
                copied.add(coding.annotation)
                triples += _public_annotation(coding, initiative, stored.get(coding.annotation))
    return list(dict.fromkeys(triples))


def _public_annotation(
    coding: Coding, initiative: str, stored: Annotation | None
) -> list[ox.Triple]:
    """The annotation as the public graph holds it: no memo, no anchoring flag."""
    if stored is None:  # the editor's new code
        stored = Annotation(
            iri=coding.annotation, document=coding.document, concept=coding.concept,
            start=coding.start, end=coding.end, exact=coding.exact, creator=coding.coder,
            mode=coding.mode,
        )  # fmt: skip
    public = Annotation(
        iri=stored.iri, document=stored.document, concept=stored.concept, start=stored.start,
        end=stored.end, exact=stored.exact, creator=stored.creator, prefix=stored.prefix,
        suffix=stored.suffix, mode=stored.mode, status=stored.status, created=stored.created,
        modified=stored.modified, initiative=initiative,
    )  # fmt: skip
    anchored = ox.NamedNode(ns.ESSAIM + "anchored")
    return [t for t in public.to_triples() if t.predicate != anchored]


def adjudicate(
    public: Dataset,
    annotations: ox.Store,
    initiative: str,
    decisions: Sequence[Decision],
    adjudicator: str,
    *,
    unit_kind: UnitKind = "sections",
) -> Outcome:
    """Apply ``decisions`` (with those taken before) and rebuild the initiative's adjudication
    graph through the validated load; see the module's docstring."""
    documents = documents_of(public, initiative)
    for decision in decisions:
        if decision.document not in documents:
            raise AdjudicationError(f"{decision.document} is not a case document of {initiative}")
    found = items(public, annotations, documents, unit_kind=unit_kind)
    by_unit = {(i.unit.document, i.unit.start, i.unit.end): i for i in found}
    for decision in decisions:
        item = by_unit.get((decision.document, decision.start, decision.end))
        if item is None:
            raise AdjudicationError(
                f"{decision.document} [{decision.start}, {decision.end}) is no unit two coders "
                f"coded ({unit_kind})"
            )
        if item.agreed:
            raise AdjudicationError(
                f"{decision.document} [{decision.start}, {decision.end}): the coders agree "
                "there; nothing to settle"
            )
        item.decision = decision
    concepts, modes = _codable(public)
    for item in found:
        if item.decision is not None:
            _check(item.decision, item, concepts, modes)
    facts = facts_of(found, concepts, modes)
    stored = {a.iri: a for d in documents for a in list_annotations(annotations, document=d)}
    triples = graph_triples(public, annotations, initiative, facts, adjudicator, stored)
    graph = adjudication_graph(initiative)
    with tempfile.TemporaryDirectory(prefix="essaim-adjudication-") as folder:
        path = Path(folder) / f"adjudication-{_local(initiative)}.nt"
        path.write_bytes(ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES) or b"")
        loaded = load(
            public,
            [path],
            base=Path(folder),
            graph=graph,
            force=True,
            user=adjudicator,
            described=[initiative],
        )
    _remember(annotations, decisions)
    return Outcome(
        graph=graph,
        facts=len(facts),
        agreed=sum(1 for f in facts if not f.adjudicated),
        adjudicated=sum(1 for f in facts if f.adjudicated),
        pending=sum(1 for i in found if not i.agreed and i.decision is None),
        loaded=loaded,
    )
