"""Ingesting case documents (``essaim.ingest``), in process against a real pyoxigraph store that
holds the bundled ontology and knowledge base: templates as data, sectioning over variants of
the cahier template written for these tests (accents, case, punctuation, order, missing and
extra sections, bullets of several kinds, lists by commas or lines with a trailing "…",
Markdown, a .docx made here with python-docx), property tests (hypothesis) that the parser never
crashes and that offsets cut the text exactly, refusals that load nothing, selectors that stay
exact after a character outside the BMP, and actors reused, minted or reported ambiguous."""

from __future__ import annotations

import io
import unicodedata
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import cast

import docx
import pyoxigraph as ox
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from essaim.ingest.extract import extract
from essaim.ingest.headings import normalise
from essaim.ingest.ingester import NoTemplateFits, ingest, ingest_graph_iri
from essaim.ingest.readers import IngestError, read_document
from essaim.ingest.sections import split_sections
from essaim.ingest.templates import TemplateError, bundled_templates, load_template
from essaim.loading import LoadError
from essaim.resources import bundled_data
from essaim.store import EmbeddedStore
from loaded_kb_fixtures import LoadedKb

KB = "https://w3id.org/essaim/kb/"
ESSAIM = "https://w3id.org/essaim/ontology#"
PREFIXES = f"PREFIX essaim: <{ESSAIM}> PREFIX oa: <http://www.w3.org/ns/oa#> "


@pytest.fixture
def store(loaded_kb: LoadedKb, tmp_path: Path) -> Iterator[EmbeddedStore]:
    """A fresh copy of the store the bundled ontology and knowledge base were loaded into, for
    each test (writes stay in the test)."""
    opened = loaded_kb.store_in(tmp_path / "copy")
    yield opened
    opened.close()


def quads(store: EmbeddedStore) -> int:
    rows = store.query("SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }")
    return int(cast(ox.Literal, next(iter(cast(ox.QuerySolutions, rows)))["n"]).value)


# ---------------------------------------------------------------------------------------------
# A cahier written for the tests, and its variants
# ---------------------------------------------------------------------------------------------

HEADINGS = {
    "argument": "Argumentaire",
    "barriers": "Freins",
    "organisation": "L'organisation",
    "carrier-structure": "La structure porteuse de l'initiative",
    "actors": "Les acteurs (Qui ?)",
    "youth": "Les jeunes",
    "proposals-decision-makers": "Proposition pour influencer les décideurs",
    "proposals-public-opinion": "Propositions pour convaincre l'opinion",
    "resources": "Ressources, financements et moyens utilisés",
    "one-sentence-summary": "Synthèse de mon espérance en une seule phrase",
}
ACTORS = {
    ("alpha asso", "association"),
    ("beta", "association"),
    ("coop gamma", "cooperative"),
    ("mutuelle delta", "mutual-society"),
    ("ville d epsilon", "public-body"),
}
ACTIONS = [("Forum des acteurs", 2010, False), ("Atelier « ESS »", 2010, False),
           ("Cafés d'échanges", 2012, True)]  # fmt: skip


@dataclass
class Variant:
    """How the test cahier is written."""

    name: str
    heading: Callable[[str], str] = lambda h: h
    order: Callable[[list[str]], list[str]] = lambda o: o
    drop: tuple[str, ...] = ()
    bullet: str = "  •"
    actors: str = "commas"
    extra: str | None = None
    suffix: str = ".txt"
    prefix_text: str = ""
    headings: dict[str, str] = field(default_factory=dict)
    newline: str = "\n"
    ellipsis: str = "…"


def strip_accents(text: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFD", text) if not unicodedata.combining(c))


def write_cahier(variant: Variant) -> str:
    bullet = variant.bullet
    if variant.actors == "commas":
        actors = (
            "Une démarche partenariale, coordonnée par la Maison Zeta.\n\n"
            f"Associations : Alpha Asso, Beta{variant.ellipsis}\n\n"
            "Coopératives : Coop Gamma\n\n"
            "Mutuelles : Mutuelle Delta.\n\n"
            "Partenaires institutionnels : Ville d'Epsilon"
        )
    else:
        actors = (
            "Une démarche partenariale, coordonnée par la Maison Zeta.\n\n"
            f"Associations :\n{bullet} Alpha Asso\n{bullet} Beta{variant.ellipsis}\n\n"
            "Coopératives :\nCoop Gamma\n\n"
            f"Mutuelles :\n{bullet} Mutuelle Delta\n\n"
            "Partenaires institutionnels :\nVille d'Epsilon"
        )
    bodies = {
        "argument": "L'ESS est mal connue ici.",
        "barriers": "Le manque de moyens.\n\nLe manque de temps.",
        "organisation": (
            "Les acteurs se sont mobilisés :\n\nEn 2010 :\n\n"
            f"{bullet} Forum des acteurs\n\n{bullet} Atelier « ESS »\n\n"
            f"Depuis 2012 :\n{bullet} Cafés d'échanges\n\n"
            "Depuis 2004, la Maison Zeta anime un réseau (une activité antérieure)."
        ),
        "carrier-structure": "Maison Zeta",
        "actors": actors,
        "youth": "Deux jeunes en service civique animent les cafés.",
        "proposals-decision-makers": "Reconnaître l'ESS.\n\nFinancer l'animation.",
        "proposals-public-opinion": "Faire connaître l'ESS à l'école.",
        "resources": "Du bénévolat, et une subvention de la ville.",
        "one-sentence-summary": "L'ESS se met en réseau pour être reconnue.",
    }
    order = variant.order([t for t in HEADINGS if t not in variant.drop])
    parts = [variant.prefix_text + "Un réseau d'acteurs de l'ESS", "Cahier de l'entrée Coopérer"]
    for kind in order:
        heading = variant.heading(variant.headings.get(kind, HEADINGS[kind]))
        parts += [heading, bodies[kind]]
        if variant.extra is not None and kind == "barriers":
            parts += [variant.extra, "Un quartier prioritaire de la ville."]
    return "\n\n".join(parts).replace("\n", variant.newline)


VARIANTS = [
    Variant("as-written"),
    Variant("without-accents", heading=strip_accents),
    Variant("upper-case", heading=str.upper),
    Variant("lower-case-colon", heading=lambda h: h.lower() + " :"),
    Variant("colon-no-space", heading=lambda h: h + ":"),
    Variant("reordered", order=lambda o: list(reversed(o))),
    Variant("missing-sections", drop=("youth", "resources", "barriers")),
    Variant("extra-section-bold", extra="**Contexte local**"),
    Variant("extra-section-markdown", extra="## Contexte local", suffix=".md"),
    Variant("markdown", heading=lambda h: "## " + h, suffix=".md"),
    Variant("dash-bullets", bullet="-"),
    Variant("star-bullets", bullet="*"),
    Variant("en-dash-bullets", bullet="–"),
    Variant("numbered-bullets", bullet="1."),
    Variant("parenthesis-numbers", bullet="2)"),
    Variant("actors-by-lines", actors="lines"),
    Variant("actors-by-lines-dashes", actors="lines", bullet="-"),
    Variant("qui-without-parentheses", headings={"actors": "Les acteurs"}),
    Variant("qui-compact", headings={"actors": "LES ACTEURS (QUI?)"}),
    Variant(
        "english-headings",
        headings={
            "argument": "Rationale",
            "barriers": "Barriers",
            "organisation": "Organisation",
            "carrier-structure": "Carrier structure",
            "actors": "Actors (Who?)",
            "youth": "Young people",
            "resources": "Resources, funding and means used",
            "proposals-decision-makers": "Proposals to influence decision-makers",
            "proposals-public-opinion": "Proposals to convince public opinion",
            "one-sentence-summary": "One-sentence summary",
        },
    ),
    Variant("emoji-before-everything", prefix_text="🌱 "),
    Variant("crlf-line-ends", newline="\r\n"),
    Variant("ascii-ellipsis", ellipsis="..."),
    Variant("etc-by-lines", ellipsis=", etc.", actors="lines"),
]


def check_offsets(text: str, split_sections_result: object) -> None:
    sections = split_sections_result.sections  # type: ignore[attr-defined]
    previous_end = 0
    for section in sections:
        assert previous_end <= section.start <= section.body_start <= section.end <= len(text)
        assert text[section.start :].startswith(section.heading)
        assert text[section.start : section.end] == text[section.start : section.end].rstrip("\n\r")
        previous_end = section.end


@pytest.mark.parametrize("variant", VARIANTS, ids=lambda v: v.name)
def test_the_cahier_in_every_variant(variant: Variant) -> None:
    text = write_cahier(variant)
    document = read_document("case" + variant.suffix, text.encode())
    split = split_sections(document.text, load_template("cahier-2011"))
    check_offsets(text, split)
    found_types = {s.type for s in split.sections}
    expected = {t for t in HEADINGS if t not in variant.drop} | {"title-and-entry"}
    assert expected <= found_types
    assert set(split.missing_types) == set(variant.drop) | {
        "development-conditions", "possible-scaling", "success-factors", "impacts",
        "presentation",
    }  # fmt: skip
    if variant.extra is not None:
        assert split.unmatched_headings == (variant.extra,)
        assert "other-section" in found_types
    found = extract(text, split)
    assert {(normalise(a.name), a.family) for a in found.actors} == ACTORS
    assert found.actor_list_incomplete
    assert found.carrier is not None and found.carrier.name == "Maison Zeta"
    actions = [(text[a.passage.start : a.passage.end], a.year, a.since) for a in found.actions]
    assert actions == ACTIONS
    audiences = sorted(p.audience for p in found.proposals)
    assert audiences == ["decision-makers", "decision-makers", "public-opinion"]
    assert found.summary is not None
    assert text[found.summary.start : found.summary.end].startswith("L'ESS se met en réseau")
    assert len(found.youth) == (0 if "youth" in variant.drop else 1)
    assert len(found.resources) == (0 if "resources" in variant.drop else 1)
    assert found.entry is not None and text[found.entry.start : found.entry.end] == "Coopérer"


def test_the_template_is_found_for_each_variant(store: EmbeddedStore) -> None:
    for variant in VARIANTS[:6]:
        result = ingest(
            store, [(f"{variant.name}.txt", write_cahier(variant).encode())],
            territory="72", dry_run=True,
        )  # fmt: skip
        assert result.cases[0].template == "cahier-2011", variant.name
        assert result.conforms, (variant.name, result.reports)


def test_a_docx_made_with_python_docx(store: EmbeddedStore) -> None:
    word = docx.Document()
    word.add_paragraph("Un réseau d'acteurs de l'ESS", style="Title")
    word.add_heading("Organisation", level=1)
    word.add_paragraph("En 2010 :")
    word.add_paragraph("Forum des acteurs", style="List Bullet")
    word.add_paragraph("Atelier « ESS »", style="List Bullet")
    word.add_heading("Contexte local", level=2)  # a heading style the template does not know
    word.add_paragraph("Un quartier prioritaire.")
    word.add_heading("Structure porteuse", level=1)
    word.add_paragraph("Maison Zeta")
    word.add_heading("Les acteurs (Qui ?)", level=1)
    word.add_paragraph("Associations : Alpha Asso, Beta…")
    buffer = io.BytesIO()
    word.save(buffer)
    result = ingest(store, [("case.docx", buffer.getvalue())], territory="72", dry_run=True)
    case = result.cases[0]
    assert case.template == "cahier-2011"
    assert [t for t, *_ in case.sections] == [
        "title-and-entry", "organisation", "other-section", "carrier-structure", "actors",
    ]  # fmt: skip
    assert case.unmatched_headings == ["Contexte local"]
    assert case.counts["actions"] == 2 and case.counts["participants"] == 3
    assert result.conforms, result.reports
    document = read_document("case.docx", buffer.getvalue())
    for _type, heading, start, _end in case.sections:
        assert document.text[start:].startswith(heading)


def test_a_markdown_document_with_the_generic_template(store: EmbeddedStore) -> None:
    text = "# Notes de terrain\n\n## Contexte\n\nUn quartier.\n\n## Ce qui a marché\n\n- Tout.\n"
    result = ingest(store, [("notes.md", text.encode())], dry_run=True)
    case = result.cases[0]
    assert case.template == "generic"
    assert [h for _t, h, *_ in case.sections] == [
        "# Notes de terrain", "## Contexte", "## Ce qui a marché",
    ]  # fmt: skip
    assert case.initiative is None and case.counts == {}
    assert result.conforms, result.reports


# ---------------------------------------------------------------------------------------------
# Properties
# ---------------------------------------------------------------------------------------------

LINES = st.sampled_from(
    ["Freins :", "## Les acteurs", "Associations : A, B…", "En 2006 :", "  • item", "- x",
     "LES JEUNES", "> why?", "**Gras**", "", " ", "\u00a0:", "1. one", "Depuis 2008 :", "😀",
     "Synthèse", "Coopératives :", "puis", "…", "\r", "Qui ?"]
)  # fmt: skip
TEXTS = st.one_of(
    st.text(),
    st.lists(st.one_of(LINES, st.text(max_size=20)), max_size=30).map("\n".join),
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=TEXTS)
def test_the_parser_never_crashes_and_offsets_cut_the_text(text: str) -> None:
    for template in bundled_templates().values():
        split = split_sections(text, template)
        check_offsets(text, split)
        found = extract(text, split)
        passages = [found.title, found.entry, found.summary, *found.resources, *found.youth]
        passages += [a.passage for a in found.actions] + [p.passage for p in found.proposals]
        passages += [p for actor in found.actors for p in actor.passages]
        for passage in passages:
            if passage is not None:
                assert 0 <= passage.start < passage.end <= len(text)
                assert (
                    text[passage.start : passage.end].strip() == text[passage.start : passage.end]
                )


@settings(max_examples=200, deadline=None)
@given(data=st.binary(max_size=200), suffix=st.sampled_from([".txt", ".md", ".docx"]))
def test_reading_never_crashes(data: bytes, suffix: str) -> None:
    try:
        document = read_document("x" + suffix, data)
    except IngestError as error:
        assert str(error).startswith("x" + suffix)
    else:
        assert document.text.strip()


# ---------------------------------------------------------------------------------------------
# Refusals load nothing
# ---------------------------------------------------------------------------------------------

GOOD = write_cahier(Variant("as-written")).encode()


@pytest.mark.parametrize(
    ("files", "options", "message"),
    [
        ([("latin1.txt", "Freins : café".encode("latin-1"))], {"territory": "72"},
         "latin1.txt is not UTF-8 text: the byte 0xe9 at byte offset 12"),
        ([("empty.txt", b"\n \n")], {"territory": "72"}, "empty.txt is empty"),
        ([("fake.docx", b"PK\x03\x04 not really")], {"territory": "72"},
         "fake.docx is not a .docx document"),
        ([("plain.txt", b"just a sentence without any heading.")], {},
         "plain.txt fits no template: headings found: none"),
        ([("case.txt", GOOD)], {}, "needs its territory: give --territory"),
        ([("case.txt", GOOD)], {"territory": "nowhere"}, "no territory in the knowledge base"),
        ([("case.txt", GOOD)], {"territory": "72", "template": "nope"},
         "no template is named 'nope'"),
        ([("case.txt", GOOD.replace(b"La structure porteuse", b"Autre"))],
         {"territory": "72"}, "needs a carrier, and the document states none"),
        ([("good.txt", GOOD), ("bad.txt", b"\xff\xfe")], {"territory": "72"},
         "bad.txt is not UTF-8 text"),
    ],
)  # fmt: skip
def test_refused_documents_load_nothing(
    store: EmbeddedStore, files: list[tuple[str, bytes]], options: dict[str, str], message: str
) -> None:
    before = quads(store)
    with pytest.raises((IngestError, TemplateError, LoadError)) as refused:
        ingest(store, files, **options)  # type: ignore[arg-type]
    assert message in str(refused.value)
    assert "\n" not in str(refused.value)
    assert quads(store) == before


def test_a_misfit_names_the_headings_found_and_expected(store: EmbeddedStore) -> None:
    with pytest.raises(NoTemplateFits) as refused:
        ingest(store, [("x.txt", b"Bonjour\n\nrien")], template="cahier-2011", territory="72")
    assert "headings expected: cahier-2011: Argumentaire" in str(refused.value)
    with pytest.raises(IngestError, match="needs a title and a carrier"):
        ingest(store, [("x.txt", b"Freins\n\nrien")], template="cahier-2011", territory="72")
    text = "Intro\n\nCONTEXTE\n\nx"
    with pytest.raises(NoTemplateFits, match="headings found: CONTEXTE"):
        ingest(store, [("y.txt", text.encode())], template="cahier-2011", territory="72")


def test_a_graph_the_contract_refuses_loads_nothing(store: EmbeddedStore, tmp_path: Path) -> None:
    """A template whose audience is no concept of the codebook: SHACL refuses the batch."""
    source = (bundled_data().kb / "templates" / "cahier-2011.toml").read_text(encoding="utf-8")
    broken = tmp_path / "broken.toml"
    broken.write_text(
        source.replace('name = "cahier-2011"', 'name = "broken"').replace(
            'audience = "decision-makers"', 'audience = "nobody-at-all"'
        ),
        encoding="utf-8",
    )
    before = quads(store)
    with pytest.raises(LoadError, match="violation"):
        ingest(store, [("good.txt", GOOD)], template=str(broken), territory="72")
    assert quads(store) == before


# ---------------------------------------------------------------------------------------------
# Loading: graphs, selectors, actors
# ---------------------------------------------------------------------------------------------


def test_selectors_stay_exact_after_a_character_outside_the_bmp(store: EmbeddedStore) -> None:
    text = write_cahier(Variant("emoji", prefix_text="🌱🌍 "))
    text = text.replace("Alpha Asso", "😀 Alpha Asso")
    result = ingest(store, [("emoji.txt", text.encode())], territory="72")
    graph = result.loaded[0].graph
    rows = list(
        cast(
            ox.QuerySolutions,
            store.query(
                PREFIXES + "SELECT ?g ?exact ?start ?end ?text WHERE { GRAPH ?g {"
                " ?r oa:hasSource ?doc ; oa:hasSelector ?q , ?p ."
                " ?q oa:exact ?exact . ?p oa:start ?start ; oa:end ?end ."
                " ?doc essaim:fullText ?text } }",
                substitutions={"g": ox.NamedNode(graph)},
            ),
        )
    )
    assert len(rows) >= 15
    full = cast(ox.Literal, rows[0]["text"]).value
    assert full == text
    for row in rows:
        start = int(cast(ox.Literal, row["start"]).value)
        end = int(cast(ox.Literal, row["end"]).value)
        assert full[start:end] == cast(ox.Literal, row["exact"]).value
    # SPARQL counts code points too: the store agrees with Python on every passage
    mismatches = store.query(
        PREFIXES + "ASK { GRAPH ?g { ?r oa:hasSource ?doc ; oa:hasSelector ?q , ?p ."
        " ?q oa:exact ?exact . ?p oa:start ?start ; oa:end ?end . ?doc essaim:fullText ?text"
        " FILTER (SUBSTR(?text, ?start + 1, ?end - ?start) != ?exact) } }",
        substitutions={"g": ox.NamedNode(graph)},
    )
    assert not bool(mismatches)
    assert "😀 Alpha Asso" in {name for name, _ in result.cases[0].new_actors}


def test_a_loaded_case_is_one_named_graph_with_its_status_and_creator(
    store: EmbeddedStore,
) -> None:
    result = ingest(store, [("reseau-zeta.txt", GOOD)], territory="72")
    case = result.cases[0]
    assert case.graph == ingest_graph_iri("reseau-zeta")
    assert result.loaded[0].status == "loaded"
    ask = (
        PREFIXES + "ASK { GRAPH ?g { ?fact essaim:codingStatus "
        "<https://w3id.org/essaim/codebook/coding-status/extracted> ; "
        "<http://purl.org/dc/terms/creator> ?agent . "
        "?agent a <http://www.w3.org/ns/prov#SoftwareAgent> } }"
    )
    assert bool(store.query(ask, substitutions={"g": ox.NamedNode(case.graph)}))
    unextracted = (
        PREFIXES + "ASK { GRAPH ?g { VALUES ?c { essaim:Participation essaim:Action "
        "essaim:Proposal essaim:ResourceUse essaim:Finding } ?fact a ?c "
        "FILTER NOT EXISTS { ?fact essaim:codingStatus ?s ; essaim:evidence ?e } } }"
    )
    assert not bool(store.query(unextracted, substitutions={"g": ox.NamedNode(case.graph)}))
    # ingesting it again replaces the same graph: same slug, same size
    before = quads(store)
    again = ingest(store, [("reseau-zeta.txt", GOOD)], territory="72")
    assert again.cases[0].graph == case.graph and again.loaded[0].status == "replaced"
    assert again.cases[0].new_actors == case.new_actors
    assert quads(store) == before


def test_actors_of_the_store_are_reused_and_ambiguous_ones_reported(
    store: EmbeddedStore,
) -> None:
    text = GOOD.decode().replace("Alpha Asso", "Echotri").replace("Coop Gamma", "Twin")
    twins = (
        "@prefix e: <https://w3id.org/essaim/ontology#> . "
        "@prefix skos: <http://www.w3.org/2004/02/skos/core#> . "
        "@prefix t: <https://w3id.org/essaim/codebook/actor-type/> . "
        + " ".join(
            f'<{KB}actor/twin-{n}> a e:Organisation ; skos:prefLabel "Twin"@fr ; '
            f"e:actorType t:cooperative ; e:territory <{KB}territory/sarthe> ."
            for n in (1, 2)
        )
    )
    store.update(f"INSERT DATA {{ GRAPH <urn:test:twins> {{ {_nt(twins)} }} }}")
    result = ingest(store, [("reuse.txt", text.encode())], territory="sarthe", dry_run=True)
    case = result.cases[0]
    assert ("Echotri", f"{KB}actor/echotri") in case.reused_actors
    assert (
        len(case.ambiguous) == 1
        and "« Twin » (Coopératives) matches 2 actors" in (case.ambiguous[0])
    )
    assert "twin-1" not in case.turtle
    assert result.conforms


def test_two_names_of_one_actor_make_one_participation(store: EmbeddedStore) -> None:
    text = GOOD.decode().replace("Ville d'Epsilon", "DDJS, DDJS de la Sarthe")
    result = ingest(store, [("same.txt", text.encode())], territory="72", dry_run=True)
    case = result.cases[0]
    ddjs = [name for name, iri in case.reused_actors if iri.endswith("/actor/ddjs-sarthe")]
    assert ddjs == ["DDJS", "DDJS de la Sarthe"]
    assert case.turtle.count("participation:same-ddjs-sarthe a essaim:Participation") == 1
    assert result.conforms, result.reports


def _nt(turtle: str) -> str:
    parsed = ox.parse(turtle.encode(), format=ox.RdfFormat.TURTLE)
    return " ".join(f"{t.subject} {t.predicate} {t.object} ." for t in parsed)


def test_a_docx_cannot_read_local_files_through_entities(tmp_path: Path) -> None:
    """An external entity in word/document.xml is not resolved (no XXE)."""
    import zipfile

    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-CONTENT", encoding="utf-8")
    word = docx.Document()
    word.add_paragraph("PLACEHOLDER")
    buffer = io.BytesIO()
    word.save(buffer)
    source = zipfile.ZipFile(io.BytesIO(buffer.getvalue()))
    output = io.BytesIO()
    with zipfile.ZipFile(output, "w") as target:
        for item in source.infolist():
            data = source.read(item.filename)
            if item.filename == "word/document.xml":
                xml = data.decode("utf-8")
                head, _, rest = xml.partition("?>")
                doctype = f'<!DOCTYPE w:document [<!ENTITY x SYSTEM "file://{secret}">]>'
                data = (head + "?>" + doctype + rest.replace("PLACEHOLDER", "&x;")).encode()
            target.writestr(item, data)
    try:
        document = read_document("xxe.docx", output.getvalue())
    except IngestError:
        return  # refused outright: nothing read either
    assert "TOP-SECRET-CONTENT" not in document.text


def test_answers_on_the_heading_line() -> None:
    text = (
        "Mon titre\n\nLa structure porteuse : Maison Zeta\n\nFreins : pas de moyens.\n\n"
        "Les acteurs (Qui ?) : Associations : Alpha Asso, Beta…\n\n"
        "Proposition pour influencer les décideurs : Reconnaître l'ESS.\n\n"
        "Synthèse : Tout va bien."
    )
    split = split_sections(text, load_template("cahier-2011"))
    check_offsets(text, split)
    assert [(s.type, s.heading) for s in split.sections][1:3] == [
        ("carrier-structure", "La structure porteuse :"), ("barriers", "Freins :"),
    ]  # fmt: skip
    found = extract(text, split)
    assert found.carrier is not None and found.carrier.name == "Maison Zeta"
    assert {(normalise(a.name), a.family) for a in found.actors} == {
        ("alpha asso", "association"), ("beta", "association"),
    }  # fmt: skip
    assert [text[p.passage.start : p.passage.end] for p in found.proposals] == [
        "Reconnaître l'ESS."
    ]
    assert found.summary is not None
    assert text[found.summary.start : found.summary.end] == "Tout va bien."


def test_families_with_articles_and_actors_without_family() -> None:
    text = (
        "Mon titre\n\nLes acteurs (Qui ?)\n\nUne démarche partenariale.\n\n"
        "Les coopératives : Coop Gamma\n\n- Maison Zeta\n- Collectif Eta…"
    )
    found = extract(text, split_sections(text, load_template("cahier-2011")))
    assert {(a.name, a.family) for a in found.actors} == {
        ("Coop Gamma", "cooperative"), ("Maison Zeta", None), ("Collectif Eta", None),
    }  # fmt: skip
    assert found.actor_list_incomplete
