"""Turtle of the UNDP Accelerator Labs experiments, from the committed extract (``make kb``).

One graph (file) per experiment, ``kb/cases/undp-accelerator-labs/{slug}.ttl``, so each keeps its
own source and a comparison can leave the corpus out by graph or by
``essaim:initiativeKind initiative-kind:accelerator-lab-experiment``; the countries in
``kb/territories/countries.ttl``; the labs, the corpus and the importer (a prov:SoftwareAgent) in
``kb/actors/undp-accelerator-labs.ttl``. Every graph states its licence, rights, rights holder,
source and derivation on the graph's own IRI. No blank node is written, so two runs give the
same triples and the same files.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import quote

import pyoxigraph as ox

from essaim import __version__
from essaim import namespaces as ns
from essaim.ingest import rdf
from essaim.ingest.extract import ListedActor
from essaim.ingest.extract import extract as extract_facts
from essaim.ingest.headings import normalise
from essaim.ingest.rdf import DC as _d
from essaim.ingest.rdf import RDF_TYPE as _TYPE
from essaim.ingest.rdf import CaseGraph
from essaim.ingest.rdf import E as _e
from essaim.ingest.rdf import concept as _concept
from essaim.ingest.rdf import typed as _typed
from essaim.ingest.sections import Section, SectionSplit, split_sections
from essaim.ingest.templates import Template, load_template
from essaim.ingest.undp import EXTRACT, ROOT, TEMPLATE
from essaim.ingest.undp import crosswalks as cw
from essaim.ingest.undp.extract import Record, read_extract
from essaim.sources import graph_iri

CASES_DIR = PurePosixPath("kb/cases/undp-accelerator-labs")
COUNTRIES_FILE = PurePosixPath("kb/territories/countries.ttl")
ACTORS_FILE = PurePosixPath("kb/actors/undp-accelerator-labs.ttl")

REPOSITORY = "https://github.com/UNDP-Accelerator-Labs/sdg-innovation-commons"
COMMIT = "15b33dfb1886da81cea8d74be35e53ea11f83164"
MIT = "https://opensource.org/license/mit"
RIGHTS = (
    "Page from the SDG Commons archive of the UNDP Accelerator Labs (repository "
    "UNDP-Accelerator-Labs/sdg-innovation-commons, branch gh-pages). The repository is under "
    "the MIT licence; no separate licence is stated for the page content. Personal data "
    "(experimenters' and reviewers' names, other reviewed personal names, e-mail addresses, "
    "phone numbers) removed by essaim and marked “[name removed]”."
)

#: When the annotations were made: the day the extract was taken (fixed, so that regenerating
#: from the same extract gives the same graphs).
EXTRACTED_ON = "2026-12-03T00:00:00Z"

KB = ns.KB
TERRITORY = KB + "territory/"
ACTOR = KB + "actor/"
CORPUS = ox.NamedNode(KB + "corpus/undp-accelerator-labs-experiments")
IMPORTER = ox.NamedNode(KB + "agent/undp-accelerator-labs-importer")
NETWORK = ox.NamedNode(ACTOR + "undp-accelerator-labs")
EXPERIMENT_KIND = ox.NamedNode(ns.CODEBOOK + "initiative-kind/accelerator-lab-experiment")

PREFIXES = {
    "essaim": ns.ESSAIM,
    "initiative": KB + "initiative/",
    "document": KB + "document/",
    "section": KB + "section/",
    "coded-fact": KB + "coded-fact/",
    "participation": KB + "participation/",
    "annotation": KB + "annotation/",
    "territory": TERRITORY,
    "actor": ACTOR,
    "corpus": KB + "corpus/",
    "agent": KB + "agent/",
    "section-type": ns.CODEBOOK + "section-type/",
    "scaling-result": ns.CODEBOOK + "scaling-result/",
    "scaling-outcome": ns.CODEBOOK + "scaling-outcome/",
    "statement-mode": ns.CODEBOOK + "statement-mode/",
    "coding-status": ns.CODEBOOK + "coding-status/",
    "actor-type": ns.CODEBOOK + "actor-type/",
    "role": ns.CODEBOOK + "role/",
    "initiative-kind": ns.CODEBOOK + "initiative-kind/",
    "territory-level": ns.CODEBOOK + "territory-level/",
    "oa": ns.OA,
    "prov": ns.PROV,
    "dcterms": ns.DCTERMS,
    "skos": ns.SKOS,
    "rdfs": ns.RDFS,
    "org": ns.ORG,
    "xsd": ns.XSD,
}


def _en(text: str) -> ox.Literal:
    return ox.Literal(text, language="en")


class Triples(CaseGraph):
    """Triples in the order they are added (so the Turtle is the same on every run); passages
    are named nodes (no blank node in a generated file)."""

    @property
    def items(self) -> list[ox.Triple]:
        return self.triples

    def turtle(self, header: str) -> bytes:
        """Turtle with each subject's triples together, subjects in order of first mention."""
        return rdf.grouped_turtle(self.items, header, PREFIXES)


def page_url(page: str | None) -> ox.NamedNode:
    if page is None:
        return ox.NamedNode(f"{REPOSITORY}/tree/{COMMIT}")
    return ox.NamedNode(f"{REPOSITORY}/blob/{COMMIT}/{quote(page)}")


def _graph_metadata(t: Triples, graph: str, source: ox.NamedNode, title: str) -> None:
    node = ox.NamedNode(graph)
    t.add(node, _d("title"), _en(title))
    t.add(node, _d("license"), ox.NamedNode(MIT))
    t.add(node, _d("rights"), _en(RIGHTS))
    t.add(node, _d("rightsHolder"), NETWORK)
    t.add(node, _d("source"), source)
    t.add(node, ox.NamedNode(ns.PROV + "wasDerivedFrom"), source)
    t.add(node, ox.NamedNode(ns.PROV + "wasAttributedTo"), IMPORTER)
    t.add(node, _d("isPartOf"), CORPUS)


def question_set_version(text: str) -> str:
    """v3 (the 2021 form), v2 (the short form) or v1 (the long form): see the template."""
    if "> What is the object being tested?" in text:
        return "v3"
    if "> What action learning plan is this activity related to?" in text:
        return "v2"
    return "v1"


@dataclass(frozen=True)
class Partner:
    """An organisation an experiment names as its partner, one actor per country and
    normalised name (the same partner of two experiments of a country is one actor)."""

    iri: ox.NamedNode
    name: str
    country: cw.Country


@dataclass(frozen=True)
class Experiment:
    record: Record
    slug: str
    title: str
    country: cw.Country

    @property
    def lab(self) -> ox.NamedNode:
        return ox.NamedNode(f"{ACTOR}undp-accelerator-lab-{self.country.slug}")


def experiments(records: list[Record]) -> list[Experiment]:
    """Each record with its unique slug and title; a record without a title is named by its
    country and year."""
    countries = cw.countries({r["country"][0] for r in records})
    seen: dict[str, int] = {}
    out = []
    for record in records:
        country = countries[record["country"][0]]
        title = record["title"] or f"Untitled experiment ({country.source_name}, {record['year']})"
        base = slugify_title(title)
        seen[base] = seen.get(base, 0) + 1
        slug = base if seen[base] == 1 else f"{base}-{seen[base]}"
        out.append(Experiment(record, slug, title, country))
    return out


def partner_iri(country: cw.Country, name: str) -> ox.NamedNode:
    slug = cw.slugify(normalise(name))[:60].rstrip("-") or "partner"
    return ox.NamedNode(f"{ACTOR}undp-partner-{country.slug}-{slug}")


def listed_partners(text: str, split: SectionSplit, skip: dict[str, str]) -> list[ListedActor]:
    """The organisations the partners section names (extract kind ``actors`` of the template),
    less the reviewed rows of partner-not-organisations.tsv."""
    found = extract_facts(text, split)
    return [actor for actor in found.actors if normalise(actor.name) not in skip]


def slugify_title(title: str) -> str:
    slug = cw.slugify(title)[:80].rstrip("-")
    return slug or "experiment"


def _checklist_line(text: str, sections: list[Section], value: str) -> tuple[int, int] | None:
    """The passage of the reported-scaling-result section that states ``value``."""
    for section in sections:
        if section.type != "reported-scaling-result":
            continue
        body = text[section.body_start : section.end]
        for match in re.finditer(r"[^\n]+", body):
            line = match.group()
            if value.casefold() in line.casefold():
                content = line.lstrip("-*• \t")
                start = section.body_start + match.start() + (len(line) - len(content))
                return start, start + len(content.rstrip())
    return None


def experiment_graph(
    experiment: Experiment,
    template: Template,
    partners: dict[tuple[str, str], Partner] | None = None,
) -> Triples:
    """The triples of one experiment: its case document and sections, its initiative, its
    structured facts and the extracted scaling facts."""
    record = experiment.record
    slug = experiment.slug
    text: str = record["text"]
    t = Triples()
    graph = graph_iri(CASES_DIR / f"{slug}.ttl")
    source = page_url(record["page"])
    _graph_metadata(t, graph, source, f"UNDP Accelerator Labs experiment: {experiment.title}")

    document = ox.NamedNode(f"{KB}document/undp-{slug}")
    initiative = ox.NamedNode(f"{KB}initiative/undp-{slug}")
    split = split_sections(text, template)

    t.document(
        document,
        title=experiment.title,
        language="en",
        text=text,
        sections=(
            (ox.NamedNode(f"{KB}section/undp-{slug}-{order:02d}"), section)
            for order, section in enumerate(split.sections, start=1)
        ),
    )
    t.add(document, _d("date"), rdf.year(record["year"]))
    t.add(document, _d("creator"), experiment.lab)
    t.add(document, _d("source"), source)
    t.add(document, _d("license"), ox.NamedNode(MIT))
    t.add(document, _d("rights"), _en(RIGHTS))
    t.add(document, _d("rightsHolder"), NETWORK)
    t.add(document, _d("isPartOf"), CORPUS)
    t.add(
        document,
        _d("conformsTo"),
        _en(f"{template.title}, question set {question_set_version(text)}"),
    )

    t.add(initiative, _TYPE, _e("Initiative"))
    t.add(initiative, _d("title"), _en(experiment.title))
    t.add(initiative, _e("initiativeKind"), EXPERIMENT_KIND)
    t.add(initiative, _e("territory"), ox.NamedNode(TERRITORY + experiment.country.slug))
    t.add(initiative, _e("carrier"), experiment.lab)
    t.add(initiative, _e("caseDocument"), document)
    t.add(initiative, _d("date"), rdf.year(record["year"]))
    t.add(initiative, _d("isPartOf"), CORPUS)
    _structured_facts(t, initiative, record)
    _partner_facts(t, experiment, initiative, document, text, split, partners)
    _scaling_facts(t, initiative, document, slug, text, split.sections, record.get("scaling"))
    return t


def _structured_facts(t: Triples, initiative: ox.NamedNode, record: Record) -> None:
    literal_fields = (
        ("experiment_status", "experimentStatus"),
        ("experiment_type", "experimentType"),
        ("total_cost", "costBand"),
        ("control_group", "controlGroup"),
        ("assignment_type", "assignment"),
    )
    for key, prop in literal_fields:
        for value in _values(record.get(key)):
            t.add(initiative, _e(prop), _en(value))
    for value in _values(record.get("sample_size")):
        t.add(initiative, _e("sampleSizeBand"), ox.Literal(value))
    for method in _values(record.get("methods")):
        t.add(initiative, _e("method"), _en(method))
    sectors = cw.partnering_sectors()
    for sector in _values(record.get("partnering_sector")):
        actor_type = cw.lookup(sectors, sector, "partnering-sectors.tsv")
        t.add(initiative, _e("partnerActorType"), _concept("actor-type", str(actor_type)))


def _partner_facts(
    t: Triples,
    experiment: Experiment,
    initiative: ox.NamedNode,
    document: ox.NamedNode,
    text: str,
    split: SectionSplit,
    partners: dict[tuple[str, str], Partner] | None,
) -> None:
    """A participation (role partner, status extracted, its passages) for each organisation the
    experiment names as a partner; the actor itself is declared in the actors graph, once."""
    for listed in listed_partners(text, split, cw.not_organisations()):
        key = (experiment.country.slug, normalise(listed.name))
        if partners is not None and key not in partners:
            partners[key] = Partner(
                partner_iri(experiment.country, listed.name), listed.name, experiment.country
            )
        actor = partner_iri(experiment.country, listed.name)
        local = actor.value.rsplit("/", 1)[-1]
        participation = ox.NamedNode(f"{KB}participation/undp-{experiment.slug}-{local}")
        t.add(initiative, _e("hasParticipation"), participation)
        t.add(participation, _TYPE, _e("Participation"))
        t.add(participation, _e("participant"), actor)
        t.add(participation, _e("role"), _concept("role", "partner"))
        t.add(participation, _e("codingStatus"), _concept("coding-status", "extracted"))
        t.add(participation, _d("creator"), IMPORTER)
        for number, passage in enumerate(listed.passages, start=1):
            target = ox.NamedNode(f"{participation.value}-evidence-{number}")
            t.add(participation, _e("evidence"), target)
            t.evidence(document, text, passage.start, passage.end, target=target)


def _values(value: Any) -> list[str]:
    if not value:
        return []
    items = value if isinstance(value, list) else [value]
    return sorted({str(v).strip() for v in items if v and str(v).strip()})


def _scaling_facts(
    t: Triples,
    initiative: ox.NamedNode,
    document: ox.NamedNode,
    slug: str,
    text: str,
    sections: list[Section],
    scaling: list[str] | None,
) -> None:
    """The reported scaling results as extracted coded facts (not the shortcut properties,
    which carry settled facts only), and the strongest degree among them."""
    table = cw.scaling_results()
    outcomes: list[str] = []
    for value in _values(scaling):
        result, outcome = cw.scaling_of(table, value)
        outcomes.append(outcome)
        fact = _coded_fact(
            t, initiative, f"undp-{slug}-scaling-result-{result}", "scaling-result", result
        )
        passage = _checklist_line(text, sections, value)
        if passage is not None:
            annotation = ox.NamedNode(f"{KB}annotation/undp-{slug}-scaling-result-{result}")
            t.add(fact, _e("hasAnnotation"), annotation)
            t.add(annotation, _TYPE, ox.NamedNode(ns.OA + "Annotation"))
            t.add(
                annotation, ox.NamedNode(ns.OA + "motivatedBy"), ox.NamedNode(ns.OA + "classifying")
            )
            t.add(annotation, _e("initiative"), initiative)
            t.add(annotation, ox.NamedNode(ns.OA + "hasBody"), _concept("scaling-result", result))
            target = ox.NamedNode(annotation.value + "-target")
            t.add(annotation, ox.NamedNode(ns.OA + "hasTarget"), target)
            t.evidence(document, text, *passage, target=target)
            t.add(annotation, _d("creator"), IMPORTER)
            t.add(annotation, _d("created"), _typed(EXTRACTED_ON, "dateTime"))
    if outcomes:
        best = min(outcomes, key=cw.OUTCOME_ORDER.index)
        _coded_fact(t, initiative, f"undp-{slug}-scaling-outcome-{best}", "scaling-outcome", best)


def _coded_fact(
    t: Triples, initiative: ox.NamedNode, local: str, scheme: str, concept: str
) -> ox.NamedNode:
    fact = ox.NamedNode(f"{KB}coded-fact/{local}")
    t.add(initiative, _e("hasCodedFact"), fact)
    t.add(fact, _TYPE, _e("CodedFact"))
    t.add(fact, _e("concept"), _concept(scheme, concept))
    t.add(fact, _e("statementMode"), _concept("statement-mode", "observed"))
    t.add(fact, _e("codingStatus"), _concept("coding-status", "extracted"))
    t.add(fact, _e("coder"), IMPORTER)
    return fact


def countries_graph(experiments_: list[Experiment]) -> Triples:
    t = Triples()
    graph = ox.NamedNode(graph_iri(COUNTRIES_FILE))
    t.add(graph, _d("title"), _en("Countries (ISO 3166-1) of the knowledge base"))
    t.add(graph, _d("source"), ox.Literal("kb/sources/essglobal/iso-countries.tsv"))
    t.add(graph, _d("source"), ox.Literal("kb/sources/essglobal/countries-iso-phrasetab.tsv"))
    t.add(
        graph,
        _d("rights"),
        _en(
            "ISO 3166-1 alpha-2 codes and English names, public reference facts, from the "
            "ESSGlobal tables iso-countries.tsv and countries-iso-phrasetab.tsv (French names; no "
            "licence stated for the tables); names that "
            "differ in the source data are mapped by kb/sources/undp-sdg-commons/country-names.tsv."
        ),
    )
    t.add(graph, ox.NamedNode(ns.PROV + "wasAttributedTo"), IMPORTER)
    for country in sorted({e.country for e in experiments_}, key=lambda c: c.slug):
        node = ox.NamedNode(TERRITORY + country.slug)
        t.add(node, _TYPE, _e("Territory"))
        t.add(
            node,
            ox.NamedNode(ns.SKOS + "prefLabel"),
            ox.Literal(country.french_name, language="fr"),
        )
        t.add(node, ox.NamedNode(ns.SKOS + "prefLabel"), _en(country.iso_name))
        if country.source_name != country.iso_name:
            t.add(node, ox.NamedNode(ns.SKOS + "altLabel"), _en(country.source_name))
        t.add(node, _e("territoryLevel"), _concept("territory-level", "country"))
        t.add(node, _e("officialCode"), ox.Literal(country.code))
        t.add(node, _e("codeScheme"), ox.Literal("ISO 3166-1 alpha-2"))
        t.add(node, _d("source"), ox.Literal("kb/sources/essglobal/iso-countries.tsv"))
    return t


def actors_graph(
    experiments_: list[Experiment], partners: dict[tuple[str, str], Partner] | None = None
) -> Triples:
    t = Triples()
    graph = graph_iri(ACTORS_FILE)
    _graph_metadata(
        t, graph, page_url(None), "UNDP Accelerator Labs, their corpus and its importer"
    )
    t.add(CORPUS, _TYPE, ox.NamedNode(ns.PROV + "Collection"))
    t.add(CORPUS, _d("title"), _en("UNDP Accelerator Labs experiments (SDG Commons)"))
    t.add(
        CORPUS,
        _d("description"),
        _en(
            "The 302 experiments of the UNDP Accelerator Labs published on the SDG Commons "
            "archive: "
            "experiments run by UNDP Accelerator Labs with their partners, not social and "
            "solidarity economy organisations. Their initiatives have essaim:initiativeKind "
            "initiative-kind:accelerator-lab-experiment."
        ),
    )
    t.add(CORPUS, _d("source"), page_url(None))
    t.add(CORPUS, _d("license"), ox.NamedNode(MIT))
    t.add(CORPUS, _d("rights"), _en(RIGHTS))
    t.add(CORPUS, _d("rightsHolder"), NETWORK)
    t.add(IMPORTER, _TYPE, ox.NamedNode(ns.PROV + "SoftwareAgent"))
    t.add(
        IMPORTER,
        ox.NamedNode(ns.RDFS + "label"),
        _en("essaim importer of the UNDP Accelerator Labs experiments"),
    )
    t.add(IMPORTER, _d("hasVersion"), ox.Literal(__version__))
    t.add(NETWORK, _TYPE, _e("Organisation"))
    t.add(NETWORK, ox.NamedNode(ns.SKOS + "prefLabel"), _en("UNDP Accelerator Labs"))
    t.add(NETWORK, _e("actorType"), _concept("actor-type", "international-organisation"))
    for country in sorted({e.country for e in experiments_}, key=lambda c: c.slug):
        lab = ox.NamedNode(f"{ACTOR}undp-accelerator-lab-{country.slug}")
        t.add(lab, _TYPE, _e("Organisation"))
        t.add(
            lab,
            ox.NamedNode(ns.SKOS + "prefLabel"),
            _en(f"UNDP Accelerator Lab {country.source_name}"),
        )
        t.add(lab, _e("actorType"), _concept("actor-type", "international-organisation"))
        t.add(lab, _e("territory"), ox.NamedNode(TERRITORY + country.slug))
        t.add(lab, ox.NamedNode(ns.ORG + "subOrganizationOf"), NETWORK)
    for partner in sorted((partners or {}).values(), key=lambda p: p.iri.value):
        t.add(partner.iri, _TYPE, _e("Organisation"))
        t.add(partner.iri, ox.NamedNode(ns.SKOS + "prefLabel"), ox.Literal(partner.name))
        t.add(partner.iri, _e("actorType"), _concept("actor-type", "not-stated"))
        t.add(partner.iri, _e("territory"), ox.NamedNode(TERRITORY + partner.country.slug))
        t.add(
            partner.iri,
            ox.NamedNode(ns.SKOS + "note"),
            _en(
                "Named as a partner by an experiment of the UNDP Accelerator Lab of "
                f'{partner.country.source_name} (extracted from the answer to "Please list the '
                'names of partners"; the name as first written, its type not stated). '
                "Territory: the lab's country."
            ),
        )
    return t


HEADER = (
    "# Generated by `python -m essaim.ingest.undp build` (make kb) from\n"
    "# kb/sources/undp-sdg-commons/experiments.DERIVED.jsonl: do not edit; change the extract,\n"
    "# the crosswalks or the template and regenerate.\n"
)


def generated(
    extract: Path = EXTRACT, template_path: Path | None = None
) -> Iterator[tuple[PurePosixPath, bytes]]:
    """Every generated file as (path relative to the repository root, content)."""
    template = load_template(template_path or TEMPLATE)
    experiments_ = experiments(read_extract(extract))
    partners: dict[tuple[str, str], Partner] = {}
    cases = [
        (
            CASES_DIR / f"{experiment.slug}.ttl",
            experiment_graph(experiment, template, partners).turtle(HEADER),
        )
        for experiment in experiments_
    ]
    yield COUNTRIES_FILE, countries_graph(experiments_).turtle(HEADER)
    yield ACTORS_FILE, actors_graph(experiments_, partners).turtle(HEADER)
    yield from cases


def build(root: Path = ROOT, extract: Path = EXTRACT) -> list[PurePosixPath]:
    """Write the generated files under ``root`` (stale experiment files removed)."""
    written = []
    cases = root / CASES_DIR
    cases.mkdir(parents=True, exist_ok=True)
    old = set(cases.glob("*.ttl"))
    for relative, content in generated(extract):
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)
        old.discard(path)
        written.append(relative)
    for stale in old:
        stale.unlink()
    return written


def files_of(paths: Iterable[PurePosixPath]) -> list[str]:
    return [str(p) for p in paths]
