"""The whole of ``essaim ingest``: documents in, one validated named graph per case out.

For each document: read it (:mod:`.readers`), choose its template (given, or the bundled
template whose headings cover the document best; the generic template when no specific one
matches at least :data:`MIN_MATCHED` headings; none when the document has no heading at all),
cut it into sections, extract what the template states, resolve actors against the store,
and build the case graph ``https://w3id.org/essaim/graph/ingested/{slug}`` (the slug from the
file name; a suffix when another graph already uses the document's IRI). Then the batch goes
through :func:`essaim.loading.load` — parsed, validated against the SHACL contract as a whole,
written graph by graph — or, with ``dry_run``, only through its validation.

A template that extracts an initiative (the cahier) needs the case's territory and its title
and carrier: a document without them is refused with one sentence, and nothing is loaded.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePath
from typing import Any

import pyoxigraph as ox

from essaim import namespaces as ns
from essaim.ingest import rdf
from essaim.ingest.actors import ActorIndex, resolve_territory, slugify
from essaim.ingest.extract import Extraction, ListedActor, Passage, extract
from essaim.ingest.headings import looks_like_heading
from essaim.ingest.readers import Document, IngestError, read_document
from essaim.ingest.sections import SectionSplit, lines, split_sections
from essaim.ingest.templates import Template, bundled_templates, load_template
from essaim.loading import LoadOutcome, load, validate_files
from essaim.store.base import Dataset
from essaim.validation import ValidationReport

__all__ = ["CaseReport", "IngestResult", "NoTemplateFits", "ingest", "ingest_graph_iri"]

#: A specific template is chosen when at least this many of its headings are found.
MIN_MATCHED = 2
_FACTS = {"summary", "carrier", "actors-by-family", "actions-by-year", "proposals",
          "resources", "youth"}  # fmt: skip


class NoTemplateFits(IngestError):
    """No template fits the document; the message says which headings were found and expected."""


def ingest_graph_iri(slug: str, graph_base: str = ns.GRAPH) -> str:
    """The graph of an ingested case: ``<graph base>ingested/<slug>`` (``ESSAIM_GRAPH_BASE``)."""
    return f"{graph_base}ingested/{slug}"


@dataclass
class CaseReport:
    """What ingestion made of one document."""

    name: str
    template: str
    slug: str
    graph: str
    document: str
    initiative: str | None
    sections: list[tuple[str, str, int, int]]
    unmatched_headings: list[str]
    missing_types: list[str]
    counts: dict[str, int]
    reused_actors: list[tuple[str, str]] = field(default_factory=list)
    new_actors: list[tuple[str, str]] = field(default_factory=list)
    ambiguous: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    turtle: str = ""

    def to_json(self) -> dict[str, Any]:
        return {
            "file": self.name,
            "template": self.template,
            "graph": self.graph,
            "document": self.document,
            "initiative": self.initiative,
            "sections": [
                {"type": t, "heading": h, "start": s, "end": e} for t, h, s, e in self.sections
            ],
            "unmatched_headings": self.unmatched_headings,
            "missing_sections": self.missing_types,
            "extracted": self.counts,
            "reused_actors": [{"name": n, "iri": i} for n, i in self.reused_actors],
            "new_actors": [{"name": n, "iri": i} for n, i in self.new_actors],
            "ambiguous_actors": self.ambiguous,
            "notes": self.notes,
        }

    def lines(self) -> list[str]:
        """The report as lines of text (the CLI prints them)."""
        out = [f"{self.name}: template {self.template}, graph {self.graph}"]
        out.append(f"  {len(self.sections)} section(s): " + ", ".join(t for t, *_ in self.sections))
        if self.missing_types:
            out.append("  headings not found: " + ", ".join(self.missing_types))
        if self.unmatched_headings:
            out.append(
                "  headings the template does not know: " + " | ".join(self.unmatched_headings)
            )
        if self.counts:
            out.append("  extracted: " + ", ".join(f"{v} {k}" for k, v in self.counts.items()))
        for name, iri in self.reused_actors:
            out.append(f"  actor reused: {name} → {iri}")
        for name, iri in self.new_actors:
            out.append(f"  actor new: {name} → {iri}")
        out += [f"  ambiguous: {a}" for a in self.ambiguous]
        out += [f"  note: {n}" for n in self.notes]
        return out


@dataclass
class IngestResult:
    cases: list[CaseReport]
    loaded: list[LoadOutcome]
    reports: dict[str, ValidationReport]
    dry_run: bool

    @property
    def conforms(self) -> bool:
        return all(r.conforms for r in self.reports.values())


def headings_found(text: str) -> list[str]:
    """Heading-like lines of a text (the generic rules), for the report of a misfit."""
    return [c.strip() for _s, _e, c in lines(text) if looks_like_heading(c)][:40]


def choose_template(document: Document, forced: str | None) -> tuple[Template, SectionSplit]:
    """The given template, or the best fitting bundled one (module docstring)."""
    if forced is not None:
        template = load_template(forced)
        split = split_sections(document.text, template, document.heading_lines)
        if not template.any_heading and not split.matched_types:
            raise _misfit(document, [template])
        if template.any_heading and len(split.sections) < 2 and not document.heading_lines:
            raise _misfit(document, [template])
        return template, split
    templates = bundled_templates()
    best: tuple[int, float, str] | None = None
    chosen: tuple[Template, SectionSplit] | None = None
    for template in templates.values():
        if template.any_heading:
            continue
        split = split_sections(document.text, template, document.heading_lines)
        matched = len(split.matched_types)
        score = (matched, matched / max(1, len(template.types)), template.name)
        if matched >= MIN_MATCHED and (best is None or score[:2] > best[:2]):
            best, chosen = score, (template, split)
    if chosen is not None:
        return chosen
    generic = next((t for t in templates.values() if t.any_heading), None)
    if generic is not None:
        split = split_sections(document.text, generic, document.heading_lines)
        if any(s.type != generic.sections[0].type for s in split.sections):
            return generic, split
    raise _misfit(document, list(templates.values()))


def _misfit(document: Document, templates: Sequence[Template]) -> NoTemplateFits:
    found = headings_found(document.text)
    expected = "; ".join(
        f"{t.name}: "
        + ", ".join(s.headings[0] for s in t.sections if s.headings and s.extract != "title")
        for t in templates
        if not t.any_heading
    )
    shown = " | ".join(found[:20]) + (" | …" if len(found) > 20 else "") if found else "none"
    return NoTemplateFits(
        f"{document.name} fits no template: headings found: {shown}; headings expected: "
        f"{expected or 'any heading-like line (generic)'}; nothing was loaded."
    )


def _slug_free(store: Dataset, slug: str, graph: str, base: str) -> bool:
    """No graph but the case's own describes its document or initiative."""
    own = str(ox.NamedNode(graph))  # an IRI essaim built, serialised by pyoxigraph
    for kind in ("document", "initiative"):
        rows = store.query(
            f"ASK {{ GRAPH ?g {{ ?s ?p ?o }} FILTER (?g != {own}) }}",
            substitutions={"s": ox.NamedNode(f"{base}{kind}/{slug}")},
        )
        if bool(rows):
            return False
    return True


def _case_slug(store: Dataset, name: str, used: set[str], base: str, graph_base: str) -> str:
    stem = slugify(PurePath(name).stem)
    slug, number = stem, 1
    while slug in used or not _slug_free(store, slug, ingest_graph_iri(slug, graph_base), base):
        number += 1
        slug = f"{stem}-{number}"
    used.add(slug)
    return slug


def _plan(document: Document, template: Template) -> bool:
    """Whether the template extracts an initiative (facts beyond sections)."""
    return any(s.extract in _FACTS for s in template.sections)


def ingest(
    store: Dataset,
    files: Sequence[tuple[str, bytes]],
    *,
    template: str | None = None,
    territory: str | None = None,
    dry_run: bool = False,
    authorise: Callable[[list[str]], None] | None = None,
    user: str | None = None,
    base: str = ns.KB,
    graph_base: str = ns.GRAPH,
) -> IngestResult:
    """Ingest ``files`` (name, content) into ``store``; raise :class:`IngestError` (one
    sentence) or :class:`essaim.loading.LoadError` when anything is refused: nothing is loaded.
    ``authorise`` sees the graphs the batch would write before anything is built, and raises
    to refuse; ``user`` (a pseudonymous IRI) is recorded as the author of the writes.
    ``base`` and ``graph_base``: where the node mints its resources and graphs
    (``ESSAIM_BASE``, ``ESSAIM_GRAPH_BASE``)."""
    if not files:
        raise IngestError("no file was given: name at least one case document.")
    documents = [read_document(name, data) for name, data in files]
    chosen = [choose_template(doc, template) for doc in documents]
    territory_iri = resolve_territory(store, territory) if territory else None
    used: set[str] = set()
    slugs = [_case_slug(store, doc.name, used, base, graph_base) for doc in documents]
    graphs = [ingest_graph_iri(slug, graph_base) for slug in slugs]
    if authorise is not None:
        authorise(graphs)
    index = ActorIndex(store, exclude=graphs, base=base)
    for slug in slugs:
        index.reserve(f"{base}document/{slug}")
    cases = []
    for doc, (tpl, split), slug in zip(documents, chosen, slugs, strict=True):
        if _plan(doc, tpl) and territory_iri is None:
            raise IngestError(
                f"{doc.name}: the {tpl.name} template makes an initiative, which needs its "
                "territory: give --territory CODE (an official code such as 72, or the last "
                "part of a territory's IRI such as sarthe); nothing was loaded."
            )
        cases.append(_build(doc, tpl, split, slug, territory_iri, index, base, graph_base))
    with tempfile.TemporaryDirectory(prefix="essaim-ingest-") as folder:
        root = Path(folder)
        paths = []
        for case in cases:
            path = root / "ingested" / f"{case.slug}.ttl"
            path.parent.mkdir(exist_ok=True)
            path.write_text(case.turtle, encoding="utf-8")
            paths.append(path)
        if dry_run:
            reports = validate_files(store, paths, base=root)
            named = {str(p.relative_to(root)): r for p, r in reports.items()}
            return IngestResult(cases, [], named, dry_run=True)
        outcomes = load(store, paths, base=root, force=True, user=user, graph_base=graph_base)
    return IngestResult(cases, outcomes, {}, dry_run=False)


def _build(
    doc: Document,
    template: Template,
    split: SectionSplit,
    slug: str,
    territory: str | None,
    index: ActorIndex,
    base: str,
    graph_base: str,
) -> CaseReport:
    text = doc.text
    graph = rdf.CaseGraph(base=base)
    document = graph.iri("document", slug)
    found = extract(text, split)
    title_line = next((c.strip() for _s, _e, c in lines(text) if c.strip()), doc.name)
    title = text[found.title.start : found.title.end] if found.title else title_line
    section_iris = [
        (graph.iri("section", f"{slug}-{n:02d}-{s.type}"), s)
        for n, s in enumerate(split.sections, start=1)
    ]
    graph.document(
        document, title=title, language=template.language, text=text, sections=section_iris
    )
    report = CaseReport(
        name=doc.name,
        template=template.name,
        slug=slug,
        graph=ingest_graph_iri(slug, graph_base),
        document=document.value,
        initiative=None,
        sections=[(s.type, s.heading, s.start, s.end) for s in split.sections],
        unmatched_headings=list(split.unmatched_headings),
        missing_types=list(split.missing_types),
        counts={},
        notes=list(found.notes),
    )
    if _plan(doc, template):
        assert territory is not None
        _initiative(graph, doc, template, found, slug, territory, index, report)
    report.turtle = rdf.turtle(graph.triples, base)
    return report


def _initiative(
    graph: rdf.CaseGraph,
    doc: Document,
    template: Template,
    found: Extraction,
    slug: str,
    territory: str,
    index: ActorIndex,
    report: CaseReport,
) -> None:
    text, lang = doc.text, template.language
    document = graph.iri("document", slug)
    missing = [
        what
        for what, value in (("a title", found.title), ("a carrier", found.carrier))
        if value is None
    ]
    if missing:
        carrier_heading = next(
            (s.headings[0] for s in template.sections if s.extract == "carrier" and s.headings),
            "the carrier's heading",
        )
        raise IngestError(
            f"{doc.name}: the {template.name} template makes an initiative, which needs "
            f"{' and '.join(missing)}, and the document states none"
            + (f" (the carrier goes under « {carrier_heading} »)" if found.carrier is None else "")
            + "; nothing was loaded."
        )
    assert found.title is not None and found.carrier is not None
    initiative = graph.iri("initiative", slug)
    report.initiative = initiative.value

    def statement_fact(
        node: ox.NamedNode, kind: tuple[str, str, str, ox.NamedNode], passage: Passage
    ) -> None:
        """A proposal, resource use or finding: linked from the initiative by ``kind[0]``, of
        class ``kind[1]``, its ``kind[2]`` the concept ``kind[3]``, its statement the passage."""
        link, cls, prop, concept = kind
        graph.add(initiative, e(link), node)
        graph.add(node, rdf.RDF_TYPE, e(cls))
        graph.add(node, e(prop), concept)
        graph.add(node, e("statement"), rdf.literal(text[passage.start : passage.end], lang))
        graph.cite(node, document, text, passage.start, passage.end)
        graph.extracted(node)

    e = rdf.E
    graph.add(initiative, rdf.RDF_TYPE, e("Initiative"))
    graph.add(
        initiative, rdf.DC("title"), rdf.literal(text[found.title.start : found.title.end], lang)
    )
    graph.cite(initiative, document, text, found.title.start, found.title.end)
    graph.add(initiative, e("caseDocument"), document)
    graph.add(initiative, e("territory"), ox.NamedNode(territory))
    graph.add(initiative, rdf.DC("creator"), ox.NamedNode(rdf.ingester_iri()))
    graph.ingester()
    if found.entry is not None:
        graph.add(
            initiative, e("entry"), rdf.literal(text[found.entry.start : found.entry.end], lang)
        )
        graph.cite(initiative, document, text, found.entry.start, found.entry.end)
    if found.summary is not None:
        graph.add(
            initiative,
            e("summary"),
            rdf.literal(text[found.summary.start : found.summary.end], lang),
        )
        graph.cite(initiative, document, text, found.summary.start, found.summary.end)
    if found.actor_list_incomplete:
        graph.add(initiative, e("actorListComplete"), rdf.boolean(False))
    counts = report.counts
    # Actors: the carrier first, then the listed ones
    actors: list[ListedActor] = [found.carrier] + [
        a for a in found.actors if a is not found.carrier
    ]
    carrier_iri: str | None = None
    families: dict[ox.NamedNode, str | None] = {}  # participation → the family it is listed as
    for actor in actors:
        match = index.match(actor.name, actor.family, territory)
        family_note = f" ({actor.family_label})" if actor.family_label else ""
        if match.iri is None:
            report.ambiguous.append(
                f"« {actor.name} »{family_note} matches {len(match.candidates)} actors of the "
                f"knowledge base ({', '.join(match.candidates)}): left out, link it by hand"
            )
            continue
        actor_node = ox.NamedNode(match.iri)
        if match.new:
            report.new_actors.append((actor.name, match.iri))
            graph.add(actor_node, rdf.RDF_TYPE, e("Organisation"))
            graph.add(
                actor_node, ox.NamedNode(ns.SKOS + "prefLabel"), rdf.literal(actor.name, lang)
            )
            graph.add(
                actor_node, e("actorType"), rdf.concept("actor-type", actor.family or "not-stated")
            )
            graph.add(actor_node, e("territory"), ox.NamedNode(territory))
            graph.add(
                actor_node,
                ox.NamedNode(ns.SKOS + "note"),
                ox.Literal(
                    "Extracted by essaim ingest from a case document; type as listed by the case"
                    + (f" ({actor.family_label})." if actor.family_label else " (none stated).")
                    + " Territory taken from the case's.",
                    language="en",
                ),
            )
        else:
            report.reused_actors.append((actor.name, match.iri))
        participation = graph.iri("participation", f"{slug}-{match.iri.rsplit('/', 1)[-1]}")
        first = participation not in families
        if first:
            graph.add(initiative, e("hasParticipation"), participation)
            graph.add(participation, rdf.RDF_TYPE, e("Participation"))
            graph.add(participation, e("participant"), actor_node)
            graph.extracted(participation)
            counts["participants"] = counts.get("participants", 0) + 1
            families[participation] = None
        if actor.carrier:
            graph.add(participation, e("role"), rdf.concept("role", "carrier"))
            carrier_iri = match.iri
        if actor.listed:
            graph.add(participation, e("role"), rdf.concept("role", "partner"))
        if actor.family is not None:
            if families[participation] is None:
                families[participation] = actor.family
                graph.add(participation, e("listedAs"), rdf.concept("actor-type", actor.family))
            elif families[participation] != actor.family:
                report.notes.append(
                    f"« {actor.name} » is the same actor as one listed under another family "
                    f"({families[participation]}): listed as {families[participation]} only"
                )
        for passage in actor.passages:
            graph.cite(participation, document, text, passage.start, passage.end)
    if carrier_iri is None:
        raise IngestError(
            f"{doc.name}: the carrier « {found.carrier.name} » matches several actors of the "
            f"knowledge base ({'; '.join(report.ambiguous)}); nothing was loaded."
        )
    graph.add(initiative, e("carrier"), ox.NamedNode(carrier_iri))
    # Actions by year
    for number, action in enumerate(found.actions, start=1):
        when = f"{action.year}" if action.year is not None else "undated"
        node = graph.iri("action", f"{slug}-{when}-{number:02d}")
        graph.add(initiative, e("hasAction"), node)
        graph.add(node, rdf.RDF_TYPE, e("Action"))
        label = text[action.passage.start : action.passage.end]
        graph.add(node, ox.NamedNode(ns.RDFS + "label"), rdf.literal(label, lang))
        graph.add(node, e("actionType"), rdf.concept("action-type", "not-yet-coded"))
        if action.year is not None:
            graph.add(node, e("startYear" if action.since else "year"), rdf.year(action.year))
        graph.cite(node, document, text, action.passage.start, action.passage.end)
        if action.year_passage is not None:
            graph.cite(node, document, text, action.year_passage.start, action.year_passage.end)
        graph.extracted(node)
    if found.actions:
        counts["actions"] = len(found.actions)
    # Proposals
    per_audience: dict[str, int] = {}
    for proposal in found.proposals:
        per_audience[proposal.audience] = per_audience.get(proposal.audience, 0) + 1
        node = graph.iri(
            "proposal", f"{slug}-{proposal.audience}-{per_audience[proposal.audience]:02d}"
        )
        kind = rdf.concept("audience", proposal.audience)
        statement_fact(node, ("hasProposal", "Proposal", "audience", kind), proposal.passage)
    if found.proposals:
        counts["proposals"] = len(found.proposals)
    for number, passage in enumerate(found.resources, start=1):
        node = graph.iri("resource-use", f"{slug}-{number:02d}")
        kind = rdf.concept("resource-type", "not-yet-coded")
        statement_fact(node, ("usesResource", "ResourceUse", "resourceType", kind), passage)
    if found.resources:
        counts["resources"] = len(found.resources)
    for number, passage in enumerate(found.youth, start=1):
        node = graph.iri("finding", f"{slug}-youth-{number:02d}")
        kind = rdf.concept("finding-kind", "youth-involvement")
        statement_fact(node, ("hasFinding", "Finding", "findingKind", kind), passage)
    if found.youth:
        counts["youth passages"] = len(found.youth)
    if found.summary is not None:
        counts["summary"] = 1
