"""The ``essaim`` command line: thin commands over the store and the domain modules.

Every command opens the store named by ``--store`` / ``ESSAIM_STORE`` (a remote SPARQL 1.1
server) or else the embedded store in ``--data-dir`` / ``ESSAIM_DATA_DIR`` (default
``./.essaim``). Errors are one sentence on standard error and a non-zero exit, never a traceback.
"""

from __future__ import annotations

import asyncio
import functools
import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any, ParamSpec, TypeVar

import pyoxigraph as ox
import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from essaim import __version__, canned
from essaim.canned import CannedQueryError, ParameterError
from essaim.cli.annotations import agreement_command, annotations_app
from essaim.cli.users import users_app
from essaim.config import Settings, SettingsError, byte_size, iri_list
from essaim.docs import build_ontology_docs
from essaim.execution import Job, QueryFailed, QueryTimeout
from essaim.execution.replica import check_fits
from essaim.execution.standalone import executor_for
from essaim.federation import network
from essaim.federation.fanout import endpoints, term_of
from essaim.federation.harvest import HarvestError, harvest
from essaim.federation.release import DEFAULT_URL, ReleaseError, load_release, make_release
from essaim.ingest.readers import IngestError
from essaim.ingest.templates import TemplateError
from essaim.loading import LoadError, SourceInvalid, load, validate_files
from essaim.metadata import read_records
from essaim.resources import BundledDataMissing, bundled_data
from essaim.store import Dataset, EmbeddedStore, StoreError, open_store
from essaim.store.base import Term
from essaim.summary import summarise
from essaim.users import UserError
from essaim.validation import ValidationReport

app = typer.Typer(
    name="essaim",
    help="A linked-data knowledge base on social innovation in the social and solidarity economy.",
    no_args_is_help=True,
    add_completion=False,
)
# Piped or captured output is read by programs and people searching it: no line cut there.
console = Console(width=None if sys.stdout.isatty() else 1000)
err = Console(stderr=True, width=None if sys.stderr.isatty() else 1000)
P = ParamSpec("P")


def _table(*columns: str, title: str | None = None) -> Table:
    """A table whose cells wrap instead of being cut, so that IRIs and paths stay whole."""
    table = Table(title=title)
    for column in columns:
        table.add_column(column, overflow="fold")
    return table


R = TypeVar("R")


def _friendly(command: Callable[P, R]) -> Callable[P, R]:
    """Turn essaim's errors into one sentence on standard error and exit status 1."""

    @functools.wraps(command)
    def run(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return command(*args, **kwargs)
        except SourceInvalid as exc:
            for path, report in exc.reports.items():
                _print_report(path, report, "en")
            err.print(f"error: {exc}")
        except (
            LoadError, StoreError, BundledDataMissing, UserError, OSError, CannedQueryError,
            ParameterError, SettingsError, IngestError, TemplateError, HarvestError, ReleaseError,
        ) as exc:  # fmt: skip
            err.print(f"error: {exc}")
        except QueryTimeout as exc:
            err.print(f"error: {exc} (--timeout, or ESSAIM_QUERY_TIMEOUT, sets it)")
        raise typer.Exit(1)

    return run


class _State:
    settings = Settings()


def _version(value: bool) -> None:
    if value:
        console.print(f"essaim {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    data_dir: Annotated[
        Path | None,
        typer.Option(help="Folder of the embedded store [env: ESSAIM_DATA_DIR; default .essaim]"),
    ] = None,
    store: Annotated[
        str | None,
        typer.Option(
            help="Query URL of a SPARQL 1.1 server to use as the store [env: ESSAIM_STORE]"
        ),
    ] = None,
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Show the version.")
    ] = False,
) -> None:
    """essaim: ontology, codebook, case studies and comparative queries on ESS initiatives."""
    try:
        _State.settings = Settings.from_env(data_dir=data_dir, store=store)
    except SettingsError as exc:
        err.print(f"error: {exc}")
        raise typer.Exit(1) from None


@contextmanager
def _store() -> Iterator[Dataset]:
    store = open_store(_State.settings)
    try:
        yield store
    finally:
        store.close()


@contextmanager
def _progress(description: str) -> Iterator[Any]:
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
               TimeElapsedColumn())  # fmt: skip
    with Progress(*columns, console=err, transient=True) as bar:
        tasks: dict[str, Any] = {}

        def report(phase: str, done: int, total: int) -> None:
            if phase not in tasks:
                tasks[phase] = bar.add_task(f"{description}: {phase}", total=total)
            bar.update(tasks[phase], completed=done, total=total)

        yield report


@app.command("load")
@_friendly
def load_command(
    paths: Annotated[
        list[Path] | None,
        typer.Argument(help="Files or folders to load; none: the bundled ontology/ and kb/."),
    ] = None,
    trusted: Annotated[
        bool, typer.Option(help="Skip SHACL validation for data you vouch for.")
    ] = False,
    force: Annotated[bool, typer.Option(help="Reload files that have not changed.")] = False,
    graph: Annotated[
        str | None,
        typer.Option(
            help="The graph's IRI, for one file (default: from its path under the current "
            "folder, else external/<name>-<hash of its absolute path>)."
        ),
    ] = None,
    release: Annotated[
        Path | None,
        typer.Option(help="A release's folder (essaim release) to load into an empty store."),
    ] = None,
) -> None:
    """Load RDF files, each into its own named graph: validated, all-or-nothing, incremental."""
    if release is not None:
        if paths or graph is not None:
            raise LoadError("--release loads a release alone: give no files and no --graph")
        with _store() as store:
            loaded = load_release(store, release)
        console.print(f"loaded release {loaded.version}: {len(loaded.graphs)} graphs, "
                      f"{loaded.triples} triples (sha256 {loaded.sha256} checked)")  # fmt: skip
        return
    if paths:
        base, targets = Path.cwd(), list(paths)
    elif graph is not None:
        raise LoadError("--graph names the graph of one file: give the file")
    else:
        data = bundled_data()
        base, targets = data.root, [data.ontology, data.kb]
    if graph is not None and (len(targets) != 1 or targets[0].is_dir()):
        given = "a folder" if len(targets) == 1 else f"{len(targets)} paths"
        raise LoadError(f"--graph names the graph of one file, not {given}: load them "
                        "without --graph, or one file at a time")  # fmt: skip
    with _store() as store, _progress("loading") as report:
        outcomes = load(store, targets, base=base, trusted=trusted, force=force, progress=report,
                        graph=graph)  # fmt: skip
    table = _table("file", "graph", "status", "triples", "seconds")
    for outcome in outcomes:
        table.add_row(
            _relative(outcome.path, base), outcome.graph, outcome.status,
            str(outcome.triples), f"{outcome.seconds:.2f}",
        )  # fmt: skip
    console.print(table)


@app.command("harvest")
@_friendly
def harvest_command(
    url: Annotated[str, typer.Argument(help="The other essaim node's URL (or its /catalog).")],
    timeout: Annotated[
        float, typer.Option(help="Seconds the whole harvest may take before it gives up.")
    ] = 60.0,
) -> None:
    """Harvest another essaim node: the datasets of its DCAT catalogue whose checksum changed,
    checked against the SHACL contract, each into a graph of its own; all-or-nothing. Every URL
    must be allowed by ESSAIM_LOAD_SOURCES."""
    server = _State.settings.server
    with _store() as store:
        report = harvest(store, url, sources=server.load_sources, graph_base=server.graph_base,
                         timeout_s=timeout, max_bytes=server.harvest_max_bytes)  # fmt: skip
    for status in ("added", "changed", "unchanged", "removed"):
        graphs: list[str] = getattr(report, status)
        console.print(f"{status}: {len(graphs)}")
        if status != "unchanged":
            for graph in graphs:
                console.print(f"  {graph}")
    console.print(f"shared vocabulary, not harvested: {len(report.shared)}")
    console.print(f"bytes received: {report.bytes_received}")
    console.print(f"triples written: {report.triples}")
    console.print(f"seconds: {report.seconds:.2f}")


@app.command("release")
@_friendly
def release_command(
    version: Annotated[str, typer.Argument(help="The release's version: MAJOR.MINOR.PATCH.")],
    output: Annotated[
        Path | None,
        typer.Option(help="The folder of the releases (default: <data dir>/releases)."),
    ] = None,
    url: Annotated[
        str, typer.Option(help="Where the releases are published: their IRIs and CITATION url.")
    ] = DEFAULT_URL,
    repository: Annotated[
        str | None, typer.Option(help="The repository the CITATION.cff names.")
    ] = None,
) -> None:
    """Freeze the knowledge base as a citable release: a checksummed N-Quads dump, its DCAT
    record, a CITATION.cff and the changes since the previous release. On the embedded store
    (--data-dir) only; a version is never released twice."""
    if _State.settings.remote is not None:
        raise ReleaseError("essaim release works on the embedded store (--data-dir), not --store")
    root = output if output is not None else _State.settings.data_dir / "releases"
    with _store() as store:
        made = make_release(store, version, root, url=url, repository=repository)
    console.print(f"release {made.version}: {made.folder}")
    console.print(f"  {made.dump}: {made.bytes} bytes, {made.triples} triples, "
                  f"{len(made.graphs)} graphs, sha256 {made.sha256}")  # fmt: skip
    console.print(f"  changes since: {made.previous or 'none (first release)'}")


@app.command("ingest")
@_friendly
def ingest_command(
    files: Annotated[list[Path], typer.Argument(help="Case documents: .txt, .md or .docx.")],
    template: Annotated[
        str | None,
        typer.Option(help="A template of kb/templates/ (or a .toml file); default: the best fit."),
    ] = None,
    territory: Annotated[
        str | None,
        typer.Option(help="The case's territory: an official code (72, FR) or IRI name (sarthe)."),
    ] = None,
    dry_run: Annotated[
        bool, typer.Option(help="Print the Turtle and the report; load nothing.")
    ] = False,
) -> None:
    """Turn case documents into cases: text, sections and what the template states plainly."""
    from essaim.cli.ingest import run

    with _store() as store:
        server = _State.settings.server
        result = run(store, list(files), template=template, territory=territory,
                     dry_run=dry_run, out=console, err=err, base=server.resource_base,
                     graph_base=server.graph_base)  # fmt: skip
    if not result.conforms:
        raise typer.Exit(1)


@app.command("import-csv")
@_friendly
def import_csv_command(
    paths: Annotated[
        list[Path],
        typer.Argument(
            help="A folder of CSV files (the template's, or SEA standard CSV), a .zip, or files."
        ),
    ],
    territory: Annotated[
        str | None,
        typer.Option(help="Territory of rows that give none: an official code (72, FR) or name."),
    ] = None,
    name: Annotated[
        str | None,
        typer.Option(help="Batch name (its graph: graph/csv/NAME); default: the folder's name."),
    ] = None,
    dry_run: Annotated[
        bool, typer.Option(help="Check everything and print the Turtle; load nothing.")
    ] = False,
    lang: Annotated[str, typer.Option(help="Language of the messages: en or fr.")] = "en",
) -> None:
    """Publish initiatives from CSV files: convert, validate against the contract, load all or
    nothing. Every problem names its file, row and column."""
    from essaim.cli.publishing import run_import

    with _store() as store:
        server = _State.settings.server
        result = run_import(store, list(paths), name=name, territory=territory,
                            dry_run=dry_run, lang=lang, out=console, err=err,
                            base=server.resource_base, graph_base=server.graph_base)  # fmt: skip
    if result is None:
        raise typer.Exit(1)


@app.command("validate")
@_friendly
def validate_command(
    paths: Annotated[list[Path], typer.Argument(help="Files or folders to check.")],
    format: Annotated[str, typer.Option(help="table or json")] = "table",
    lang: Annotated[str, typer.Option(help="Language of the messages: en or fr.")] = "en",
) -> None:
    """Check files against the SHACL contract without loading them (exit 1 on violations)."""
    if format not in ("table", "json"):
        raise LoadError(f"unknown format {format!r}: use table or json")
    with _context_store() as store:
        reports = validate_files(store, paths, base=Path.cwd())
    if format == "json":
        payload = {str(path): report.to_json() for path, report in reports.items()}
        sys.stdout.write(json.dumps(payload, ensure_ascii=False, indent=2) + "\n")
    else:
        for path, report in reports.items():
            _print_report(path, report, lang)
    if not all(report.conforms for report in reports.values()):
        raise typer.Exit(1)


@contextmanager
def _context_store() -> Iterator[Dataset]:
    """The configured store when it exists (it tells the types of resources files refer to);
    an empty in-memory one otherwise, so that validating creates nothing."""
    settings = _State.settings
    if settings.remote is not None or (settings.data_dir / "store").exists():
        with _store() as store:
            yield store
    else:
        yield EmbeddedStore()


def _print_report(path: Path, report: ValidationReport, lang: str) -> None:
    if report.conforms:
        console.print(f"[green]✓[/green] {path}: conforms")
        return
    table = _table(
        "focus node", "path", "message", title=f"{path}: {len(report.results)} problem(s)"
    )
    for result in report.results:
        message = result.messages.get(lang) or next(iter(result.messages.values()), "")
        table.add_row(result.focus, result.path or "", message)
    console.print(table)


_RESULT_TYPES = {"csv": "text/csv", "tsv": "text/tab-separated-values",
                 "json": "application/sparql-results+json",
                 "xml": "application/sparql-results+xml",
                 "table": "application/sparql-results+json"}  # fmt: skip
_GRAPH_TYPES = {"ttl": "text/turtle", "nt": "application/n-triples",
                "jsonld": "application/ld+json", "rdfxml": "application/rdf+xml",
                "table": "text/turtle"}  # fmt: skip


@app.command("query")
@_friendly
def query_command(
    sparql: Annotated[
        str,
        typer.Argument(help="A SPARQL query, @file.rq to read one, or a canned query's name."),
    ],
    format: Annotated[
        str, typer.Option(help="table, csv, tsv, json, xml; for CONSTRUCT: ttl, nt, jsonld, rdfxml")
    ] = "table",
    param: Annotated[
        list[str] | None,
        typer.Option("--param", "-p", help="NAME=VALUE: a canned query's parameter (repeatable)."),
    ] = None,
    timeout: Annotated[
        float | None,
        typer.Option(
            help="Time limit, seconds [env: ESSAIM_QUERY_TIMEOUT; default 30, as the server]",
            min=0.1,
        ),
    ] = None,
    scope: Annotated[
        str,
        typer.Option(
            help="node (this node; 'this' is accepted too) or network (a canned query on this "
            "node and every peer of ESSAIM_FEDERATION_PEERS at once, merged; table, csv, tsv or "
            "json), as the API's scope=node|network",
        ),
    ] = "node",
) -> None:
    """Run a SPARQL query, or a canned query by name (essaim queries lists them), over the union
    of the graphs (unless it names its dataset), within a time limit (the query runs in a worker
    process, stopped at the limit). With --scope network, a canned query runs on this node and
    its federation peers at once: each row says its node, each node's status follows on stderr,
    and the exit code is 1 only when this node fails."""
    named = canned.QUERY_NAME.fullmatch(sparql) is not None
    values = canned.parse_assignments(param or [])
    if values and not named:
        raise ParameterError(next(iter(values)), "--param goes with a canned query's name")
    if scope not in ("node", "this", "network"):
        raise LoadError(f"--scope {scope!r}: use node (this node) or network")
    if scope == "network":
        if not named:
            raise LoadError("--scope network goes with a canned query's name (essaim queries)")
        _network_query(sparql, values, format, timeout)
        return
    if format not in _RESULT_TYPES and format not in _GRAPH_TYPES:
        raise LoadError(f"unknown format {format!r}: use table, csv, tsv, json, xml, ttl, nt, "
                        "jsonld or rdfxml")  # fmt: skip
    text = Path(sparql[1:]).read_text(encoding="utf-8") if sparql.startswith("@") else sparql
    limit = timeout if timeout is not None else _State.settings.server.query_timeout_s
    formats = {"solutions": _RESULT_TYPES.get(format), "graph": _GRAPH_TYPES.get(format),
               "boolean": _RESULT_TYPES["json"]}  # fmt: skip
    with _store() as store:
        bindings: dict[str, Term] = {}
        if named:
            query = canned.find_query(sparql)
            bindings = canned.bind(query, values)
            canned.check_classes(store, query, bindings)
            text = query.text
        asyncio.run(_run_query(store, Job(text, formats, substitutions=bindings), format, limit))


def _network_query(name: str, values: dict[str, str], format: str, timeout: float | None) -> None:
    """A canned query over the network, as ``GET /api/queries/<name>?scope=network`` runs it
    (:mod:`essaim.federation.network`): the rows with their ``node``, then each node's status
    and the missing nodes on stderr; exit 1 when this node failed."""
    if format not in _NETWORK_FORMATS:
        raise LoadError(f"--scope network answers in table, csv, tsv or json, not {format!r}")
    server = _State.settings.server
    peers = endpoints(server.federation_peers)
    if not peers:
        raise LoadError("--scope network: ESSAIM_FEDERATION_PEERS names no endpoint")
    query = canned.find_query(name)
    bindings = canned.bind(query, values)  # an IRI may name a peer's resource: not checked here
    limit = timeout if timeout is not None else server.query_timeout_s
    with _store() as store:
        peer_limit = min(limit, server.federation_timeout_s)
        arrived = asyncio.run(_network_answers(store, peers, query, bindings, limit, peer_limit))
    merged = network.merge_arrived(arrived, query)
    if format == "json":
        sys.stdout.write(json.dumps(network.document(merged), ensure_ascii=False, indent=1) + "\n")
    elif format == "csv":
        sys.stdout.write(network.csv_text(merged))
    elif format == "tsv":
        sys.stdout.write(network.tsv_text(merged))
    else:
        table = _table(*merged.variables)
        for row in merged.rows:
            table.add_row(*[_show(term_of(row[v])) if v in row else "" for v in merged.variables])
        console.print(table)
        console.print(f"{len(merged.rows)} row(s)")
    sys.stdout.flush()
    for answer in merged.answers:
        state = network.status(answer)
        reason = f" ({answer.reason})" if answer.reason else ""
        err.print(f"node {answer.node}: {answer.status}{reason}, {state['rows']} row(s), "
                  f"{state['seconds']} s", markup=False, highlight=False)  # fmt: skip
    for gone in network.missing(merged.missing):
        err.print(f"missing: {gone['node']}: {gone['reason']}", markup=False, highlight=False)
    if not arrived[0].answer.ok:
        raise typer.Exit(1)


_NETWORK_FORMATS = ("table", "csv", "tsv", "json")


async def _network_answers(
    store: Dataset, peers: tuple[str, ...], query: canned.CannedQuery,
    bindings: dict[str, Term], limit: float, peer_limit: float,
) -> list[network.Arrived]:  # fmt: skip
    async with executor_for(store) as executor:
        return await network.network_answers(
            executor, peers, query, bindings, timeout_s=limit, peer_timeout_s=peer_limit
        )


async def _run_query(store: Dataset, job: Job, format: str, limit: float) -> None:
    out = sys.stdout.buffer
    async with executor_for(store) as executor:
        try:
            stream = await executor.run(job, limit)
        except QueryFailed as exc:
            raise StoreError(exc.message) from None
        if stream.media_type is None:
            await stream.aclose()
            what = "SELECT" if stream.kind == "solutions" else "graph"
            raise LoadError(f"unknown format {format!r} for {what} results")
        body = bytearray(stream.head)
        if format == "table" and stream.kind == "solutions":
            async for chunk in stream.rest():
                body += chunk
            _print_solutions(ox.parse_query_results(bytes(body), format=ox.QueryResultsFormat.JSON))
        elif stream.kind == "boolean":
            async for chunk in stream.rest():
                body += chunk
            console.print("true" if json.loads(body)["boolean"] else "false")
        else:
            out.write(body)
            async for chunk in stream.rest():
                out.write(chunk)
        out.flush()


def _print_solutions(solutions: ox.QuerySolutions | ox.QueryBoolean) -> None:
    if isinstance(solutions, ox.QueryBoolean):
        console.print("true" if bool(solutions) else "false")
        return
    names = [v.value for v in solutions.variables]
    table = _table(*names)
    count = 0
    for row in solutions:
        table.add_row(*[_show(row[name]) for name in names])
        count += 1
    console.print(table)
    console.print(f"{count} row(s)")


def _show(term: object) -> str:
    if term is None:
        return ""
    if isinstance(term, ox.NamedNode | ox.Literal):
        return term.value
    return str(term)


@app.command("queries")
@_friendly
def queries_command(
    lang: Annotated[str, typer.Option(help="Language of the titles: en or fr.")] = "en",
) -> None:
    """List the canned comparative queries: name, title and parameters."""
    table = _table("name", "title", "parameters")
    for name, query in canned.bundled_queries().items():
        signatures = "; ".join(p.signature() for p in query.parameters)
        table.add_row(name, canned.in_language(query.title, lang), signatures)
    console.print(table)


@app.command("graphs")
@_friendly
def graphs_command() -> None:
    """List the named graphs with their provenance."""
    with _store() as store:
        records = read_records(store)
        names = store.named_graphs()
    table = _table("graph", "triples", "source", "sha256", "loaded", "validated", "licence")
    for name in names:
        record = records.get(name)
        if record is None:
            table.add_row(name, "", "", "", "", "", "")
            continue
        table.add_row(
            name, str(record.triples), record.source, record.sha256[:12],
            record.ended.isoformat(timespec="seconds"), "yes" if record.validated else "no",
            ", ".join(record.licenses) or "; ".join(record.rights)[:60],
        )  # fmt: skip
    console.print(table)


@app.command("stats")
@_friendly
def stats_command() -> None:
    """Triples per graph and instances per class."""
    with _store() as store:
        stats = store.stats()
    graphs = _table("graph", "triples", title=f"{stats.quads} quads")
    for graph, count in sorted(stats.triples_per_graph.items()):
        graphs.add_row(graph or "(default graph)", str(count))
    console.print(graphs)
    classes = _table("class", "instances")
    for cls, count in sorted(stats.instances_per_class.items(), key=lambda kv: -kv[1]):
        classes.add_row(cls, str(count))
    console.print(classes)


@app.command("summary")
@_friendly
def summary_command() -> None:
    """What the knowledge base holds: initiatives, actors, territories, coded facts..."""
    with _store() as store:
        result = summarise(store)
    table = _table("what", "count", title="essaim knowledge base")
    for label, count in result.counts.items():
        table.add_row(label, str(count))
    table.add_row("named graphs", str(result.graphs))
    table.add_row("quads", str(result.quads))
    console.print(table)


@app.command("export")
@_friendly
def export_command(
    format: Annotated[str, typer.Option(help="trig or nq")] = "trig",
    output: Annotated[
        Path | None,
        typer.Option("--output", "-o", help="File to write (a folder with --profile essglobal)."),
    ] = None,
    profile: Annotated[
        str | None,
        typer.Option(
            help="essglobal: the organisations as ESSGlobal RDF and the SEA standard CSV."
        ),
    ] = None,
    graph: Annotated[
        list[str] | None,
        typer.Option(help="With --profile essglobal: only these graphs (repeat it)."),
    ] = None,
) -> None:
    """Write every graph as TriG or N-Quads (to standard output by default), or, with
    ``--profile essglobal``, an initiative set as ESSGlobal RDF (essglobal.ttl) and as the SEA
    standard CSV (standard.csv) in the folder given by --output."""
    if profile is not None:
        if profile != "essglobal":
            raise LoadError(f"unknown export profile {profile!r}: use essglobal")
        if output is None:
            raise LoadError("--profile essglobal writes two files: give a folder with --output")
        from essaim.cli.publishing import run_export_essglobal

        with _store() as store:
            written = run_export_essglobal(store, output, graph)
        for path in written:
            console.print(f"exported to {path}")
        return
    formats = {"trig": ox.RdfFormat.TRIG, "nq": ox.RdfFormat.N_QUADS}
    if format not in formats:
        raise LoadError(f"unknown export format {format!r}: use trig or nq")
    with _store() as store:
        if output is None:
            store.export(sys.stdout.buffer, formats[format])
            sys.stdout.buffer.flush()
        else:
            with output.open("wb") as handle:
                store.export(handle, formats[format])
            console.print(f"exported to {output}")


@app.command("backup")
@_friendly
def backup_command(target: Annotated[Path, typer.Argument(help="A new folder.")]) -> None:
    """Copy the embedded store and the coders' annotation store to a new folder, consistently."""
    from essaim.backups import backup_node

    with _store() as store:
        manifest = backup_node(store, _State.settings.data_dir, target)
    console.print(
        f"backup written to {target}: {manifest['store_quads']} quads, "
        f"{manifest['annotation_graphs']} annotation graphs"
    )


@app.command("restore")
@_friendly
def restore_command(source: Annotated[Path, typer.Argument(help="A backup folder.")]) -> None:
    """Replace the embedded store (and the annotation store) by a backup made with `essaim
    backup`."""
    from essaim.backups import restore_node

    with _store() as store:
        restored = restore_node(store, _State.settings.data_dir, source)
    if restored.annotations_restored:
        console.print(f"store and annotation store restored from {source}")
    else:
        console.print(
            f"store restored from {source}; this older backup holds no annotation store, "
            "the node's annotations are left as they were"
        )


@app.command("reset")
@_friendly
def reset_command(
    yes: Annotated[bool, typer.Option("--yes", help="Do not ask for confirmation.")] = False,
) -> None:
    """Remove every graph from the store."""
    if not yes:
        typer.confirm("Remove every graph from the store?", abort=True)
    with _store() as store:
        store.clear()
    console.print("store emptied")


@app.command("docs")
@_friendly
def docs_command(
    output: Annotated[
        Path, typer.Option("--output", "-o", help="Where to write the HTML page.")
    ] = Path("build/docs/ontology.html"),
) -> None:
    """Build the ontology's HTML documentation with pyLODE."""
    written = build_ontology_docs(bundled_data(), output)
    console.print(f"ontology documentation written to {written}")


def _relative(path: Path, base: Path) -> str:
    try:
        return path.relative_to(base.resolve()).as_posix()
    except ValueError:
        return str(path)


@app.command("serve")
@_friendly
def serve_command(
    host: Annotated[
        str | None, typer.Option(help="Interface [env: ESSAIM_HOST; default 127.0.0.1]")
    ] = None,
    port: Annotated[int | None, typer.Option(help="Port [env: ESSAIM_PORT; default 8000]")] = None,
    query_timeout: Annotated[
        float | None,
        typer.Option(help="Time limit of a query, seconds [env: ESSAIM_QUERY_TIMEOUT; default 30]"),
    ] = None,
    workers: Annotated[
        int | None, typer.Option(help="Query worker processes [env: ESSAIM_WORKERS; default 4]")
    ] = None,
    load_data: Annotated[
        bool,
        typer.Option(
            "--load/--no-load", help="Load the bundled ontology/ and kb/ first (what changed)."
        ),
    ] = True,
    private: Annotated[
        bool, typer.Option("--private", help="Reads need a token too [env: ESSAIM_PRIVATE_READS].")
    ] = False,
    federation_peer: Annotated[
        list[str] | None,
        typer.Option(
            help="A SPARQL endpoint that SERVICE may call (repeat for several) "
            "[env: ESSAIM_FEDERATION_PEERS; default none: SERVICE is refused]"
        ),
    ] = None,
    load_source: Annotated[
        list[str] | None,
        typer.Option(
            help="A URL (or a prefix ending with /) an admin's LOAD may fetch (repeat for "
            "several) [env: ESSAIM_LOAD_SOURCES; default none]"
        ),
    ] = None,
    replica: Annotated[
        str | None,
        typer.Option(
            help="'memory': queries answered from an in-memory copy of the store, kept current "
            "by every write [env: ESSAIM_REPLICA; default none]"
        ),
    ] = None,
    replica_max_memory: Annotated[
        str | None,
        typer.Option(
            help="The memory the replica may take (e.g. 4G); a larger one is refused "
            "[env: ESSAIM_REPLICA_MAX_MEMORY; default the memory available]"
        ),
    ] = None,
    log_level: Annotated[str, typer.Option(help="uvicorn's log level")] = "info",
    access_log: Annotated[
        bool, typer.Option(help="Log every request (costs throughput on cheap queries).")
    ] = False,
) -> None:
    """Serve the knowledge base: SPARQL endpoint, Graph Store Protocol, descriptions."""
    import dataclasses
    import gc

    import uvicorn

    from essaim.web.app import asgi

    server = _State.settings.server
    chosen: dict[str, Any] = {
        "host": host, "port": port, "query_timeout_s": query_timeout, "workers": workers,
        "load_on_start": load_data and server.load_on_start,
        "public_reads": False if private else None,
        "federation_peers": _iris("--federation-peer", federation_peer),
        "load_sources": _iris("--load-source", load_source),
        "replica": replica,
        "replica_max_memory": byte_size("--replica-max-memory", replica_max_memory)
        if replica_max_memory else None,
    }  # fmt: skip
    server = dataclasses.replace(server, **{k: v for k, v in chosen.items() if v is not None})
    settings = dataclasses.replace(_State.settings, server=server)
    store = open_store(settings)  # here, so that a locked or broken store is one sentence
    if server.replica is not None and isinstance(store, EmbeddedStore):
        try:  # refused here too, in one sentence (the server checks again on start)
            check_fits(store, server.workers, server.replica_max_memory)
        except StoreError:
            store.close()
            raise
    err.print(f"essaim {__version__}: serving on http://{server.host}:{server.port}/sparql")
    served = asgi(settings, store)
    # The 110,000 objects of the imports and the app, kept for the process's life, are left out
    # of every later full garbage collection: one took 0.15-0.25 s (about every other network
    # query over three nodes, whose answers' rows fill the younger generations), 0.01 s now.
    gc.freeze()
    uvicorn.run(
        served, host=server.host, port=server.port, log_level=log_level,
        timeout_graceful_shutdown=5, access_log=access_log,
    )  # fmt: skip


def _iris(option: str, values: list[str] | None) -> tuple[str, ...] | None:
    return iri_list(option, " ".join(values)) if values else None


app.add_typer(users_app, name="user", help="Accounts and bearer tokens for writing.")
app.command("agreement")(agreement_command)
app.add_typer(
    annotations_app, name="annotations", help="Coders' annotations: out, in, re-anchored."
)


def main() -> None:
    """Entry point of the ``essaim`` console script."""
    app()
