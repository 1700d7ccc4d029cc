"""Loading RDF files into the store: parse → validate with the SHACL contract → write, atomically,
with provenance in the metadata graph.

- One named graph per file, named from the file's path relative to a base folder
  (``essaim.sources.graph_iri``), so the name is the same on every machine; a file outside the
  base folder is named from its file name and its absolute path
  (``essaim.sources.external_graph_iri``); a single file may be given its graph's name. A TriG
  or N-Quads file may also carry named graphs of its own: they keep their names; its
  default-graph triples go to the file's graph.
- A batch is validated as a whole before anything is written: a syntax error (file, line,
  column) or a SHACL violation in any file loads nothing. The shapes see the file's data with
  the ontology, the codebook, the other files of the batch and the types of the resources the
  file refers to that the store already holds, so a single case file validates on its own.
- Each graph is then written atomically (``Dataset.write_graph``): readers see the old graph or
  the new one. An unchanged file (same sha256 as recorded) is skipped unless ``force``.
- ``trusted`` skips SHACL for data the user vouches for, and the in-memory parse that
  validation needs: each file goes straight to the store's bulk loader, which loads nothing of
  a file that does not parse. Atomicity is then per file, not per batch, and a graph's metadata
  record is written just after its content.
"""

from __future__ import annotations

import hashlib
import re
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath
from typing import Literal, cast

import pyoxigraph as ox

from essaim import namespaces as ns
from essaim.metadata import GraphRecord, delete_operation, describe, read_records
from essaim.resources import bundled_data
from essaim.sources import RDF_MEDIA_TYPES, Source, discover, external_graph_iri, is_rdf
from essaim.store.base import Dataset, GraphWrite, QuerySyntaxError
from essaim.validation import ValidationReport, validate

Status = Literal["loaded", "replaced", "unchanged"]
Progress = Callable[[str, int, int], None]
CONTEXT_GRAPH = "urn:essaim:validation:context"
REFERENCED_GRAPH = "urn:essaim:validation:referenced"
_CHUNK = 1 << 20


class LoadError(Exception):
    """A load was refused; nothing was written. The message is one sentence naming the file."""


class SourceSyntaxError(LoadError):
    def __init__(self, path: Path, line: int | None, column: int | None, detail: str) -> None:
        self.path, self.line, self.column, self.detail = path, line, column, detail
        where = f"{path}:{line}:{column}" if line is not None else str(path)
        super().__init__(f"{where}: syntax error: {detail}")


class SourceInvalid(LoadError):
    """One or more files break the SHACL contract; ``reports`` has each file's report."""

    def __init__(self, reports: dict[Path, ValidationReport]) -> None:
        self.reports = reports
        count = sum(len(r.results) for r in reports.values())
        files = ", ".join(str(p) for p in reports)
        super().__init__(
            f"{files}: {count} violation(s) of the essaim contract (ontology/shapes.ttl); "
            "nothing was loaded"
        )


@dataclass(frozen=True)
class LoadOutcome:
    path: Path
    graph: str
    status: Status
    triples: int
    seconds: float


def sources_for(
    paths: Iterable[Path], base: Path, graph: str | None = None, graph_base: str = ns.GRAPH
) -> list[Source]:
    """The sources named by ``paths`` (folders expand to their RDF files, by the rule of
    ``essaim.sources``), each with its path relative to ``base``; files outside ``base`` get an
    external graph (``external_graph_iri``), and ``graph``, for a single file, names its graph.
    ``graph_base``: the base of the graphs named by their path (``ESSAIM_GRAPH_BASE``)."""
    base = base.resolve()
    paths = list(paths)
    if graph is not None:
        _check_graph_name(graph, paths)
    found: list[Source] = []
    for given in paths:
        path = given.resolve()
        if not path.exists():
            raise LoadError(f"{given}: no such file or folder")
        if path.is_dir():
            if path.is_relative_to(base):
                inner, _ = discover(base, [path.relative_to(base).as_posix()])
            else:
                inner = [_outside(s.path) for s in discover(path.parent, [path.name])[0]]
            found += inner
        elif not is_rdf(path):
            suffixes = ", ".join(sorted(RDF_MEDIA_TYPES))
            raise LoadError(f"{given} is not an RDF file (essaim reads {suffixes})")
        elif graph is not None:
            found.append(Source(path, PurePosixPath(path.name), graph))
        elif path.is_relative_to(base):
            relative = PurePosixPath(path.relative_to(base).as_posix())
            named = None if graph_base == ns.GRAPH else graph_base + str(relative.with_suffix(""))
            found.append(Source(path, relative, named))
        else:
            found.append(_outside(path))
    # ontology/ first: the rest is validated against it
    return sorted(found, key=lambda s: (s.relative.parts[0] != "ontology",))


def _outside(path: Path) -> Source:
    """A file outside the base folder: its graph from its name and absolute path; its record
    names the file alone (a local folder says nothing to readers, and may name a person)."""
    return Source(path, PurePosixPath(path.name), external_graph_iri(path))


def _check_graph_name(graph: str, paths: list[Path]) -> None:
    if len(paths) != 1 or paths[0].is_dir():
        given = "a folder" if len(paths) == 1 else f"{len(paths)} paths"
        raise LoadError(
            f"a graph name goes with one file, and {given} {'was' if len(paths) == 1 else 'were'}"
            " given: load them without a graph name, or one file at a time"
        )
    try:
        ox.NamedNode(graph)
    except ValueError:
        raise LoadError(f"{graph!r} is not an IRI: name the graph with an absolute IRI") from None
    if ":" not in graph:
        raise LoadError(f"{graph!r} is not an absolute IRI: name the graph with one")
    if graph == ns.META_GRAPH:
        raise LoadError(f"{graph} is the metadata graph, which essaim alone writes")


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def load(
    store: Dataset,
    paths: Sequence[Path],
    *,
    base: Path | None = None,
    trusted: bool = False,
    force: bool = False,
    progress: Progress | None = None,
    graph: str | None = None,
    user: str | None = None,
    described: Sequence[str] = (),
    graph_base: str = ns.GRAPH,
) -> list[LoadOutcome]:
    """Load files or folders into ``store``; see the module's docstring for the guarantees.
    ``graph`` names the graph of a single file; ``user`` (a pseudonymous IRI) is recorded as
    the author of the writes (a web upload's). ``described`` names resources the batch adds to
    and whose whole description, held by the store, the shapes must see (an adjudication graph
    adds coded facts to an initiative its case file describes)."""
    report = progress or (lambda _phase, _done, _total: None)
    sources = sources_for(paths, base or Path.cwd(), graph, graph_base)
    records = read_records(store)
    existing = set(store.named_graphs())
    digests = {s.path: sha256_of(s.path) for s in sources}
    todo = [
        s
        for s in sources
        if force
        or s.graph_iri not in records
        or records[s.graph_iri].sha256 != digests[s.path]
        or s.graph_iri not in existing
    ]
    outcomes = [
        LoadOutcome(s.path, s.graph_iri, "unchanged", records[s.graph_iri].triples, 0.0)
        for s in sources
        if s not in todo
    ]
    parsed: ox.Store | None = None
    if todo and not trusted:
        parsed = _parse_batch(todo, report)
        _validate_batch(store, parsed, todo, report, described)
    for done, source in enumerate(todo):
        report("write", done, len(todo))
        if parsed is None and _format(source).supports_datasets:
            parsed = _parse_batch([source], report)  # split into its graphs
        outcomes.append(
            _write(store, source, digests[source.path], trusted, existing, parsed, user)
        )
    report("write", len(todo), len(todo))
    order = {s.path: i for i, s in enumerate(sources)}
    return sorted(outcomes, key=lambda o: order[o.path])


def _format(source: Source) -> ox.RdfFormat:
    return cast(ox.RdfFormat, ox.RdfFormat.from_media_type(source.media_type))


def _parse_batch(todo: Sequence[Source], report: Progress) -> ox.Store:
    """Parse every file of the batch into an in-memory store, one graph per file: a syntax
    error anywhere stops the batch before anything is written."""
    parsed = ox.Store()
    for done, source in enumerate(todo):
        report("parse", done, len(todo))
        try:
            parsed.bulk_load(
                path=source.path,
                format=_format(source),
                base_iri=source.graph_iri,
                to_graph=ox.NamedNode(source.graph_iri),
            )
        except SyntaxError as exc:
            raise syntax_error(source.path, exc) from None
    report("parse", len(todo), len(todo))
    return parsed


_POSITION = re.compile(r"line (\d+) column (\d+)")


def syntax_error(path: Path, exc: SyntaxError) -> SourceSyntaxError:
    message = str(exc)
    line = column = None
    position = exc.args[1] if len(exc.args) > 1 else None
    if isinstance(position, tuple) and len(position) >= 3 and position[1] is not None:
        line, column = int(position[1]), int(position[2])
    elif match := _POSITION.search(message):
        line, column = int(match[1]), int(match[2])
    detail = message.split(": ", 1)[1] if message.startswith("Parser error") else message
    return SourceSyntaxError(path, line, column, detail)


def validate_files(
    store: Dataset, paths: Sequence[Path], *, base: Path | None = None
) -> dict[Path, ValidationReport]:
    """Check files against the contract, in the context of ``store``, writing nothing."""
    sources = sources_for(paths, base or Path.cwd())
    if not sources:
        return {}
    noop: Progress = lambda _phase, _done, _total: None  # noqa: E731
    parsed = _parse_batch(sources, noop)
    return _reports(store, parsed, sources, noop)


def _validate_batch(
    store: Dataset,
    parsed: ox.Store,
    todo: Sequence[Source],
    report: Progress,
    described: Sequence[str] = (),
) -> None:
    """Run the SHACL contract over each file of the batch, in context; raise when any fails."""
    reports = _reports(store, parsed, todo, report, described)
    failures = {p: r for p, r in reports.items() if not r.conforms}
    if failures:
        raise SourceInvalid(failures)


def _reports(
    store: Dataset,
    parsed: ox.Store,
    todo: Sequence[Source],
    report: Progress,
    described: Sequence[str] = (),
) -> dict[Path, ValidationReport]:
    context = ox.Store()
    for quad in parsed:
        context.add(quad)
    add_contract_context(context, todo)
    add_descriptions(store, context, described)
    add_referenced_types(store, context)
    reports: dict[Path, ValidationReport] = {}
    for done, source in enumerate(todo):
        report("validate", done, len(todo))
        reports[source.path] = validate(context, focus_graph=source.graph_iri)
    report("validate", len(todo), len(todo))
    return reports


def add_contract_context(context: ox.Store, todo: Sequence[Source]) -> None:
    """The ontology and the codebook, from the batch when it brings them, else bundled."""
    if any(s.relative.parts[0] == "ontology" for s in todo):
        return
    ontology = bundled_data().ontology
    files = [ontology / "essaim.ttl", *sorted((ontology / "codebook").glob("*.ttl"))]
    for path in files:
        context.bulk_load(
            path=path, format=ox.RdfFormat.TURTLE, to_graph=ox.NamedNode(CONTEXT_GRAPH)
        )


def add_descriptions(store: Dataset, context: ox.Store, resources: Sequence[str]) -> None:
    """Copy from the store every triple whose subject is one of ``resources``, with the blank
    nodes they point to two levels deep (an evidence passage and its selectors), which the
    shapes read through the resource and no IRI could fetch later."""
    target = ox.NamedNode(REFERENCED_GRAPH)
    for iri in resources:
        found = store.query(
            "CONSTRUCT { ?x ?p ?o . ?o ?p2 ?o2 . ?o2 ?p3 ?o3 } WHERE { ?x ?p ?o "
            "OPTIONAL { FILTER(isBlank(?o)) ?o ?p2 ?o2 "
            "OPTIONAL { FILTER(isBlank(?o2)) ?o2 ?p3 ?o3 } } }",
            substitutions={"x": ox.NamedNode(iri)},
        )
        for triple in cast(Iterable[ox.Triple], found):
            context.add(ox.Quad(triple.subject, triple.predicate, triple.object, target))


_UNDESCRIBED = """
SELECT DISTINCT ?o WHERE {
  GRAPH ?g { ?s ?p ?o } FILTER(isIRI(?o) && ?p != <http://www.w3.org/1999/02/22-rdf-syntax-ns#type>)
  FILTER NOT EXISTS { GRAPH ?h { ?o ?q ?v } }
}
"""


def add_referenced_types(store: Dataset, context: ox.Store) -> list[ox.NamedNode]:
    """Copy from the store the types (and schemes) of the resources the batch refers to and
    does not describe itself, so that shapes checking their class see them; those resources
    are returned (:func:`referenced_types` reads their types again)."""
    wanted = [
        cast(ox.NamedNode, row["o"]) for row in cast(ox.QuerySolutions, context.query(_UNDESCRIBED))
    ]
    target = ox.NamedNode(REFERENCED_GRAPH)
    context.extend(ox.Quad(t.subject, t.predicate, t.object, target)
                   for t in referenced_types(store, wanted))  # fmt: skip
    return wanted


def referenced_types(store: Dataset, wanted: Sequence[ox.NamedNode]) -> set[ox.Triple]:
    """The store's types (and schemes) of the resources ``wanted``."""
    found: set[ox.Triple] = set()
    for start in range(0, len(wanted), 500):
        values = " ".join(str(iri) for iri in wanted[start : start + 500])
        triples = store.query(
            f"CONSTRUCT {{ ?x a ?t . ?x <{ns.SKOS}inScheme> ?s }} WHERE {{ VALUES ?x {{ {values} }}"
            f" {{ ?x a ?t }} UNION {{ ?x <{ns.SKOS}inScheme> ?s }} }}"
        )
        found.update(cast(Iterable[ox.Triple], triples))
    return found


_LICENCES = f"""
SELECT DISTINCT ?license ?rights WHERE {{
  {{ ?x <{ns.DCTERMS}license> ?license }} UNION {{ ?x <{ns.DCTERMS}rights> ?rights }}
}}
"""


def licences(parsed: ox.Store | Dataset, graph: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    licenses: set[str] = set()
    rights: set[str] = set()
    rows: object
    if isinstance(parsed, ox.Store):
        rows = parsed.query(_LICENCES, default_graph=ox.NamedNode(graph))
    else:
        rows = parsed.query(_LICENCES, default_graphs=[graph])
    for row in cast(ox.QuerySolutions, rows):
        if isinstance(row["license"], ox.NamedNode):
            licenses.add(row["license"].value)
        if isinstance(row["rights"], ox.Literal):
            rights.add(row["rights"].value)
    return tuple(sorted(licenses)), tuple(sorted(rights))


def _graphs_of(parsed: ox.Store, source: Source) -> list[str]:
    """The graphs a source fills: its own, and for TriG/N-Quads the named graphs it names."""
    graphs = {source.graph_iri}
    if _format(source).supports_datasets:
        for quad in parsed.quads_for_pattern(None, None, None, None):
            if isinstance(quad.graph_name, ox.NamedNode):
                graphs.add(quad.graph_name.value)
    return sorted(graphs)


def _write(
    store: Dataset,
    source: Source,
    digest: str,
    trusted: bool,
    existing: set[str],
    parsed: ox.Store | None,
    user: str | None = None,
) -> LoadOutcome:
    started = datetime.now(UTC)
    clock = time.perf_counter()
    status: Status = "replaced" if source.graph_iri in existing else "loaded"
    total = 0
    if parsed is not None and _format(source).supports_datasets:
        graphs = [g for g in _graphs_of(parsed, source) if g != ns.META_GRAPH]
        for graph in graphs:
            data = parsed.dump(format=ox.RdfFormat.N_TRIPLES, from_graph=ox.NamedNode(graph))
            total += _write_one(
                store, source, graph, digest, trusted, parsed, started,
                GraphWrite(graph=graph, format=ox.RdfFormat.N_TRIPLES, data=data), user,
            )  # fmt: skip
    else:
        total = _write_one(
            store, source, source.graph_iri, digest, trusted, parsed, started,
            GraphWrite(
                graph=source.graph_iri, format=_format(source), path=source.path,
                base_iri=source.graph_iri,
            ), user,
        )  # fmt: skip
    return LoadOutcome(source.path, source.graph_iri, status, total, time.perf_counter() - clock)


def _write_one(
    store: Dataset,
    source: Source,
    graph: str,
    digest: str,
    trusted: bool,
    parsed: ox.Store | None,
    started: datetime,
    write: GraphWrite,
    user: str | None = None,
) -> int:
    if parsed is None:  # trusted: straight to the store, then describe what it holds
        try:
            store.write_graph(write)
        except QuerySyntaxError as exc:
            raise syntax_error(source.path, SyntaxError(*exc.args)) from None
    described: ox.Store | Dataset = store if parsed is None else parsed
    count = count_triples(described, graph)
    licenses, rights = licences(described, graph)
    record = GraphRecord(
        graph=graph,
        source=source.relative.as_posix(),
        sha256=digest,
        triples=count,
        started=started,
        ended=datetime.now(UTC),
        validated=not trusted,
        licenses=licenses,
        rights=rights,
        user=user,
    )
    if parsed is None:
        store.update(delete_operation(graph) + " ;\n" + insert_data(describe(record)))
        return count
    write = GraphWrite(
        graph=write.graph,
        format=write.format,
        path=write.path,
        data=write.data,
        base_iri=write.base_iri,
        metadata_delete=delete_operation(graph),
        metadata_insert=describe(record),
    )
    try:
        store.write_graph(write)
    except QuerySyntaxError as exc:  # the file changed between parsing and writing
        raise LoadError(f"{source.path}: {exc}") from None
    return count


def count_triples(source: ox.Store | Dataset, graph: str) -> int:
    rows = source.query(
        f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH {ox.NamedNode(graph)} {{ ?s ?p ?o }} }}"
    )
    return int(cast(ox.Literal, next(iter(cast(ox.QuerySolutions, rows)))["n"]).value)


def insert_data(quads: Iterable[ox.Quad]) -> str:
    body = "".join(f"GRAPH {q.graph_name} {{ {q.triple} }}\n" for q in quads)
    return f"INSERT DATA {{\n{body}}}"


def unload(store: Dataset, graph: str) -> None:
    """Drop a graph and its record."""
    store.drop_graph(graph, metadata_delete=delete_operation(graph))
