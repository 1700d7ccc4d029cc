"""``essaim import-csv`` and ``essaim export --profile essglobal`` (thin over
:mod:`essaim.publishing`)."""

from __future__ import annotations

from pathlib import Path

from rich.console import Console
from rich.markup import escape

from essaim import namespaces as ns
from essaim.loading import LoadError
from essaim.publishing.essglobal import essglobal_turtle, records, standard_csv
from essaim.publishing.importer import ImportResult, import_csv
from essaim.publishing.problems import CsvRefused
from essaim.store import Dataset


def read_inputs(paths: list[Path]) -> tuple[str, list[tuple[str, bytes]]]:
    """The batch's name (the folder's, or the first file's) and its files: a folder's .csv and
    .zip files, or the .csv and .zip files named."""
    files: list[tuple[str, bytes]] = []
    for path in paths:
        if not path.exists():
            raise LoadError(f"{path}: no such file or folder")
        if path.is_dir():
            inner = sorted(p for p in path.iterdir() if p.suffix.lower() in (".csv", ".zip"))
            if not inner:
                raise LoadError(f"{path} holds no .csv or .zip file")
            files += [(p.name, p.read_bytes()) for p in inner]
        else:
            files.append((path.name, path.read_bytes()))
    first = paths[0].resolve()
    return (first.name if first.is_dir() else first.stem), files


def run_import(
    store: Dataset,
    paths: list[Path],
    *,
    name: str | None,
    territory: str | None,
    dry_run: bool,
    lang: str,
    out: Console,
    err: Console,
    base: str = ns.KB,
    graph_base: str = ns.GRAPH,
) -> ImportResult | None:
    """Import; print the report, or every problem (file, row, column) and return None.
    ``base``, ``graph_base``: the node's ``ESSAIM_BASE`` and ``ESSAIM_GRAPH_BASE``."""
    default, files = read_inputs(paths)
    try:
        result = import_csv(store, files, name=name or default, territory=territory,
                            dry_run=dry_run, base=base, graph_base=graph_base)  # fmt: skip
    except CsvRefused as exc:
        for line in exc.lines(lang):
            err.print(escape(line), highlight=False, soft_wrap=True, emoji=False)
        err.print(escape(exc.summary(lang)), highlight=False)
        return None
    if dry_run:
        out.file.write(result.turtle)
        out.file.flush()
    report = err if dry_run else out
    for line in result.lines(lang):
        report.print(escape(line), highlight=False, soft_wrap=True, emoji=False)
    return result


def run_export_essglobal(store: Dataset, output: Path, graphs: list[str] | None) -> list[Path]:
    """Write ``essglobal.ttl`` and ``standard.csv`` into the folder ``output``."""
    rows = records(store, graphs or None)
    output.mkdir(parents=True, exist_ok=True)
    ttl, csv_path = output / "essglobal.ttl", output / "standard.csv"
    ttl.write_text(essglobal_turtle(rows), encoding="utf-8")
    csv_path.write_text(standard_csv(rows), encoding="utf-8", newline="")
    return [ttl, csv_path]
