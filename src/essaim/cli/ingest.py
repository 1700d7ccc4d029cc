"""``essaim ingest``: case documents in (thin over :mod:`essaim.ingest.ingester`)."""

from __future__ import annotations

from pathlib import Path

from rich.console import Console
from rich.markup import escape

from essaim import namespaces as ns
from essaim.ingest.ingester import IngestResult, ingest
from essaim.ingest.readers import IngestError
from essaim.store import Dataset


def read_files(paths: list[Path]) -> list[tuple[str, bytes]]:
    files = []
    for path in paths:
        if path.is_dir():
            raise IngestError(f"{path} is a folder: name the case documents in it.")
        if not path.exists():
            raise IngestError(f"{path}: no such file.")
        files.append((path.name, path.read_bytes()))
    return files


def run(
    store: Dataset,
    paths: list[Path],
    *,
    template: str | None,
    territory: str | None,
    dry_run: bool,
    out: Console,
    err: Console,
    base: str = ns.KB,
    graph_base: str = ns.GRAPH,
) -> IngestResult:
    """Ingest the files; print the report (and, on a dry run, the Turtle on standard output).
    ``base``, ``graph_base``: the node's ``ESSAIM_BASE`` and ``ESSAIM_GRAPH_BASE``."""
    result = ingest(
        store,
        read_files(paths),
        template=template,
        territory=territory,
        dry_run=dry_run,
        base=base,
        graph_base=graph_base,
    )
    report = err if dry_run else out
    for case in result.cases:
        if dry_run:  # the Turtle as it is: no markup, no emoji codes, no wrapping
            out.file.write(case.turtle)
            out.file.flush()
        for line in case.lines():
            report.print(escape(line), highlight=False, soft_wrap=True, emoji=False)
    for name, validation in result.reports.items():
        if validation.conforms:
            err.print(f"{escape(name)}: conforms to the essaim contract (dry run: nothing loaded)")
        else:
            err.print(f"{escape(name)}: {len(validation.results)} violation(s) of the contract:")
            for item in validation.results:
                message = item.messages.get("en") or next(iter(item.messages.values()), "")
                err.print(f"  {escape(item.focus)} {escape(item.path or '')}: {escape(message)}")
    for outcome in result.loaded:
        out.print(f"{escape(outcome.graph)}: {outcome.status}, {outcome.triples} triples")
    return result
