"""The SHACL contract (ontology/shapes.ttl): well formed, bilingual, and it says what it means.

The data graph of every validation is the data plus ontology/essaim.ttl and every codebook
scheme, as a load builds it; no reasoning is needed (each example is also checked with RDFS
inference, which must not change the outcome). tests/data/valid/ holds data that must conform;
each file of tests/data/invalid/ breaks exactly one rule, and MANIFEST.csv says which focus
node, path and message the report must contain. The SPARQL-based constraints are also run on
pyoxigraph, the store's own engine, which must find the same violations as pyshacl.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph
import pytest
from pyshacl import validate
from pyshacl.errors import ReportableRuntimeError
from rdflib import Graph, Literal, Namespace, URIRef
from rdflib.collection import Collection
from rdflib.namespace import OWL, RDF, SH, SKOS

from essaim.ingest.sources.build import FILES as SOURCE_FILES

REPO = Path(__file__).resolve().parents[1]
ONTOLOGY = REPO / "ontology"
SHAPES = ONTOLOGY / "shapes.ttl"
CODEBOOK = ONTOLOGY / "codebook"
DATA = REPO / "tests" / "data"
MANIFEST = DATA / "invalid" / "MANIFEST.csv"

ESSAIM = Namespace("https://w3id.org/essaim/ontology#")
CB = "https://w3id.org/essaim/codebook/"
SHAPES_NS = "https://w3id.org/essaim/shapes#"

# Parameters of SHACL Core constraint components: a shape using one must say what to fix.
CORE_PARAMETER_NAMES = (
    "class datatype nodeKind minCount maxCount minExclusive minInclusive maxExclusive "
    "maxInclusive minLength maxLength pattern languageIn uniqueLang equals disjoint lessThan "
    "lessThanOrEquals not and or xone node qualifiedValueShape closed hasValue in"
)
CORE_PARAMETERS = {SH[name] for name in CORE_PARAMETER_NAMES.split(" ")}
# Shapes nested in these are reported through the shape that nests them, with its message.
NESTING = (SH["or"], SH["and"], SH.xone, SH["not"], SH.qualifiedValueShape)


def codebook_files() -> list[Path]:
    return sorted(CODEBOOK.glob("*.ttl"))


GENERATED = REPO / "kb" / "cases" / "undp-accelerator-labs"


def kb_files(*, corpus: int | None = None) -> list[Path]:
    """kb/'s Turtle files; ``corpus`` keeps only that many graphs of the generated experiments
    corpus (302 files that every default load validates whole with the SPARQL engine, and
    tests/test_undp_corpus.py too): pyshacl over all of it takes minutes."""
    files = sorted((REPO / "kb").rglob("*.ttl"))
    if corpus is None:
        return files
    # the issue-13 importers' graphs (130,000 triples) are left out like the corpus
    files = [p for p in files if p not in {REPO / f for f in SOURCE_FILES}]
    generated = [p for p in files if GENERATED in p.parents]
    return [p for p in files if GENERATED not in p.parents] + generated[:corpus]


# The shapes check codebook values against the codebook (see conftest: skipped, or failed in CI).
needs_codebook = pytest.mark.data("codebook")


@pytest.fixture(scope="module")
def shapes() -> Graph:
    return Graph().parse(SHAPES, format="turtle")


@pytest.fixture(scope="module")
def base() -> Graph:
    """The ontology and the codebook: what every data graph is validated together with."""
    graph = Graph().parse(ONTOLOGY / "essaim.ttl", format="turtle")
    for path in codebook_files():
        graph.parse(path, format="turtle")
    return graph


def data_graph(base: Graph, *paths: Path) -> Graph:
    graph = Graph()
    graph += base
    for path in paths:
        graph.parse(path, format="turtle")
    return graph


@dataclass(frozen=True)
class Result:
    focus: str
    path: str  # an IRI, "^IRI" for an inverse path, or "" when the result has none
    component: str
    messages: tuple[Literal, ...]


def path_text(graph: Graph, node: object) -> str:
    if node is None:
        return ""
    if isinstance(node, URIRef):
        return str(node)
    inverse = graph.value(node, SH.inversePath)
    if isinstance(inverse, URIRef):
        return f"^{inverse}"
    return f"<complex path {node}>"


def run_pyshacl(graph: Graph, shapes: Graph, inference: str = "none") -> tuple[bool, list[Result]]:
    conforms, report, _ = validate(
        graph, shacl_graph=shapes, inference=inference, allow_warnings=False
    )
    results = []
    for result in report.objects(None, SH.result):  # top-level results, not their sh:detail
        results.append(
            Result(
                focus=str(report.value(result, SH.focusNode)),
                path=path_text(report, report.value(result, SH.resultPath)),
                component=str(report.value(result, SH.sourceConstraintComponent)),
                messages=tuple(report.objects(result, SH.resultMessage)),
            )
        )
    return bool(conforms), results


def describe(results: list[Result]) -> str:
    lines = []
    for r in results:
        english = [str(m) for m in r.messages if m.language in ("en", None)]
        lines.append(f"{r.focus} {r.path} {r.component.rsplit('#', 1)[-1]}: {english}")
    return "\n".join(lines) or "(no results)"


def manifest_rows() -> list[dict[str, str]]:
    with MANIFEST.open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


# --- the shapes graph itself -----------------------------------------------------------------


def test_shapes_follow_the_shacl_shapes_for_shacl(shapes: Graph) -> None:
    conforms, _, text = validate(Graph(), shacl_graph=shapes, meta_shacl=True)
    assert conforms, text


def test_the_meta_shacl_check_rejects_a_broken_shape(shapes: Graph) -> None:
    broken = Graph()
    broken += shapes
    broken.add((URIRef(SHAPES_NS + "Initiative-title"), SH.minCount, Literal("one")))
    with pytest.raises(ReportableRuntimeError, match="MetaSHACL"):
        validate(Graph(), shacl_graph=broken, meta_shacl=True)


def constraint_shapes(shapes: Graph) -> list[object]:
    """Shapes and SPARQL constraints reported on their own, so that need their own messages."""
    nested: set[object] = set()
    for prop in NESTING:
        for _, value in shapes.subject_objects(prop):
            if (value, RDF.first, None) in shapes:
                nested.update(Collection(shapes, value))
            else:
                nested.add(value)
    candidates = set(shapes.subjects(RDF.type, SH.NodeShape))
    candidates |= set(shapes.subjects(RDF.type, SH.PropertyShape))
    candidates |= set(shapes.subjects(SH.path, None))
    candidates |= set(shapes.objects(None, SH.sparql))
    return sorted((c for c in candidates if c not in nested), key=str)


def test_every_constraint_says_what_to_fix_in_french_and_english(shapes: Graph) -> None:
    problems = []
    for node in constraint_shapes(shapes):
        own = {p for p, _ in shapes.predicate_objects(node)} & CORE_PARAMETERS
        is_sparql = (node, SH.select, None) in shapes
        messages = list(shapes.objects(node, SH.message))
        languages = sorted(m.language or "none" for m in messages if isinstance(m, Literal))
        if own or is_sparql:
            if "fr" not in languages or "en" not in languages:
                problems.append(f"{node}: messages in {languages}, needs fr and en")
        elif messages and (node, SH.sparql, None) in shapes:
            # pyshacl would add these to every SPARQL result, next to the query's own message.
            problems.append(f"{node}: only SPARQL constraints, so its messages belong to them")
        if any(m not in ("fr", "en") for m in languages):
            problems.append(f"{node}: a message is not tagged @fr or @en ({languages})")
    assert not problems, "\n".join(problems)
    assert len(constraint_shapes(shapes)) > 100  # the walk does find the shapes


def test_named_property_shapes_have_french_and_english_names(shapes: Graph) -> None:
    missing = []
    for node in set(shapes.subjects(SH.path, None)):
        if isinstance(node, URIRef):
            languages = {n.language for n in shapes.objects(node, SH.name)}
            if not {"fr", "en"} <= languages:
                missing.append(str(node))
    assert not missing, missing


def test_shapes_use_only_terms_the_ontology_defines(shapes: Graph) -> None:
    text = SHAPES.read_text(encoding="utf-8")
    used = {t for t in shapes.all_nodes() if isinstance(t, URIRef) and t.startswith(ESSAIM)}
    used |= {ESSAIM[name] for name in re.findall(r"\bessaim:([A-Za-z0-9]+)", text)}
    ontology = Graph().parse(ONTOLOGY / "essaim.ttl", format="turtle")
    undefined = sorted(t for t in used if (t, RDF.type, None) not in ontology)
    assert not undefined, f"not in ontology/essaim.ttl: {undefined}"
    assert ESSAIM.hasBarrier in used


@needs_codebook
def test_codebook_schemes_named_by_the_shapes_exist(shapes: Graph, base: Graph) -> None:
    text = SHAPES.read_text(encoding="utf-8")
    schemes = {URIRef(CB + s) for s in re.findall(r"\bcb:([a-z-]+)", text)}
    schemes |= {t for t in shapes.all_nodes() if isinstance(t, URIRef) and str(t).startswith(CB)}
    assert len(schemes) == 22
    missing = sorted(s for s in schemes if (s, RDF.type, SKOS.ConceptScheme) not in base)
    assert not missing, f"not declared as skos:ConceptScheme in ontology/codebook/: {missing}"


def test_every_targeted_class_is_an_ontology_or_web_annotation_class(shapes: Graph) -> None:
    ontology = Graph().parse(ONTOLOGY / "essaim.ttl", format="turtle")
    targets = set(shapes.objects(None, SH.targetClass))
    essaim_classes = {c for c in ontology.subjects(RDF.type, OWL.Class) if isinstance(c, URIRef)}
    # Every essaim class has a shape; the only other target is the Web Annotation class.
    assert essaim_classes <= targets, sorted(essaim_classes - targets)
    assert targets - essaim_classes == {URIRef("http://www.w3.org/ns/oa#Annotation")}


# --- examples --------------------------------------------------------------------------------

VALID = sorted((DATA / "valid").glob("*.ttl"))


@needs_codebook
@pytest.mark.parametrize("inference", ["none", "rdfs"])
@pytest.mark.parametrize("path", VALID, ids=[p.name for p in VALID])
def test_valid_example_conforms(path: Path, inference: str, shapes: Graph, base: Graph) -> None:
    conforms, results = run_pyshacl(data_graph(base, path), shapes, inference)
    assert conforms, describe(results)


def test_the_valid_examples_exercise_every_shape_target(shapes: Graph) -> None:
    graph = Graph()
    for path in VALID:
        graph.parse(path, format="turtle")
    for target in set(shapes.objects(None, SH.targetClass)):
        assert (None, RDF.type, target) in graph, f"no {target} in tests/data/valid/"
    assert (None, ESSAIM.evidence, None) in graph


def test_manifest_lists_every_invalid_file_once() -> None:
    listed = [row["file"] for row in manifest_rows()]
    on_disk = sorted(p.name for p in (DATA / "invalid").glob("*.ttl"))
    assert sorted(listed) == on_disk
    assert len(set(listed)) == len(listed)
    for name in (
        "missing-title.ttl",
        "barrier-not-a-barrier-concept.ttl",
        "bad-year.ttl",
        "actor-without-family.ttl",
    ):
        assert name in listed


@needs_codebook
@pytest.mark.parametrize("inference", ["none", "rdfs"])
@pytest.mark.parametrize("row", manifest_rows(), ids=lambda row: row["file"])
def test_invalid_example_fails_for_its_one_reason(
    row: dict[str, str], inference: str, shapes: Graph, base: Graph
) -> None:
    graph = data_graph(base, DATA / "invalid" / row["file"])
    conforms, results = run_pyshacl(graph, shapes, inference)
    assert not conforms, f"{row['file']} conforms but should not"
    report = describe(results)
    # Exactly one thing is wrong: every result is about the expected focus node and path.
    assert {(r.focus, r.path) for r in results} == {(row["focus_node"], row["result_path"])}, report
    assert any(row["message_en"] in str(m) for r in results for m in r.messages), (
        f"no message contains {row['message_en']!r}:\n{report}"
    )
    for r in results:
        if r.component == str(SH.SPARQLConstraintComponent):
            # pyshacl 0.40 drops the language tag of a SPARQL constraint's message when it fills
            # in its {?variables}; both messages are still there.
            assert len(set(r.messages)) >= 2, report
        else:
            assert {m.language for m in r.messages} >= {"fr", "en"}, report


@needs_codebook
@pytest.mark.slow
@pytest.mark.data("kb")
def test_the_knowledge_base_conforms(shapes: Graph, base: Graph) -> None:
    conforms, results = run_pyshacl(data_graph(base, *kb_files(corpus=5)), shapes)
    assert conforms, describe(results[:30])


# --- the SPARQL-based constraints on pyoxigraph ------------------------------------------------


@dataclass(frozen=True)
class SparqlConstraint:
    shape: str
    path: str
    query: str


def sparql_constraints(shapes: Graph) -> list[SparqlConstraint]:
    """Every SPARQL constraint, $PATH filled in and $this left free (it finds all focus nodes)."""
    prefixes = "".join(
        f"PREFIX {shapes.value(d, SH.prefix)}: <{shapes.value(d, SH.namespace)}>\n"
        for d in shapes.objects(None, SH.declare)
    )
    found = []
    for shape, constraint in shapes.subject_objects(SH.sparql):
        path = path_text(shapes, shapes.value(shape, SH.path))
        assert path and not path.startswith("<complex"), f"{shape}: unexpected path {path}"
        sparql_path = f"^<{path[1:]}>" if path.startswith("^") else f"<{path}>"
        select = str(shapes.value(constraint, SH.select)).replace("$PATH", sparql_path)
        found.append(SparqlConstraint(str(shape), path, prefixes + select))
    return found


def pyoxigraph_violations(shapes: Graph, base: Graph, *paths: Path) -> set[tuple[str, str]]:
    store = pyoxigraph.Store()
    store.load(base.serialize(format="nt").encode(), format=pyoxigraph.RdfFormat.N_TRIPLES)
    for path in paths:
        store.load(path=str(path), format=pyoxigraph.RdfFormat.TURTLE)
    found = set()
    for constraint in sparql_constraints(shapes):
        for row in store.query(constraint.query):
            found.add((row["this"].value, constraint.path))
    return found


def test_there_are_sparql_constraints_to_run(shapes: Graph) -> None:
    assert len(sparql_constraints(shapes)) >= 8


def test_sparql_substr_counts_code_points_in_rdflib_and_pyoxigraph() -> None:
    # Offsets count Unicode code points: U+1F331 is one character, as is U+00A0.
    query = 'SELECT (SUBSTR("a\\U0001F331\\u00A0bc", 3, 2) AS ?s) WHERE {}'
    expected = "\u00a0b"
    assert [str(row[0]) for row in Graph().query(query)] == [expected]
    assert [row["s"].value for row in pyoxigraph.Store().query(query)] == [expected]


@needs_codebook
@pytest.mark.parametrize("path", VALID, ids=[p.name for p in VALID])
def test_pyoxigraph_finds_no_sparql_violation_in_valid_data(
    path: Path, shapes: Graph, base: Graph
) -> None:
    assert pyoxigraph_violations(shapes, base, path) == set()


@needs_codebook
@pytest.mark.parametrize("row", manifest_rows(), ids=lambda row: row["file"])
def test_pyoxigraph_and_pyshacl_agree_on_sparql_violations(
    row: dict[str, str], shapes: Graph, base: Graph
) -> None:
    path = DATA / "invalid" / row["file"]
    _, results = run_pyshacl(data_graph(base, path), shapes)
    sparql = str(SH.SPARQLConstraintComponent)
    by_pyshacl = {(r.focus, r.path) for r in results if r.component == sparql}
    assert pyoxigraph_violations(shapes, base, path) == by_pyshacl


@needs_codebook
@pytest.mark.data("kb")
def test_pyoxigraph_finds_no_sparql_violation_in_the_knowledge_base(
    shapes: Graph, base: Graph
) -> None:
    assert pyoxigraph_violations(shapes, base, *kb_files()) == set()
