"""The ``essaim`` command line: thin commands over the domain modules."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from essaim import __version__
from essaim.bundle import bundled_sources, load_bundle
from essaim.docs import build_ontology_docs
from essaim.resources import BundledDataMissing, bundled_data
from essaim.summary import summarise

app = typer.Typer(
    name="essaim",
    help="A linked-data knowledge base on social innovation in the social and solidarity economy.",
    no_args_is_help=True,
    add_completion=False,
)
console = Console()
err = Console(stderr=True)


def _version(value: bool) -> None:
    if value:
        console.print(f"essaim {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Show the version.")
    ] = False,
) -> None:
    """essaim: ontology, codebook, case studies and comparative queries on ESS initiatives."""


@app.command()
def summary() -> None:
    """Load the bundled ontology and knowledge base and print what they hold."""
    data = bundled_data()
    sources, skipped = bundled_sources(data)
    store = load_bundle(data)
    result = summarise(store)
    table = Table(title="essaim knowledge base", show_header=True)
    table.add_column("what")
    table.add_column("count", justify="right")
    for label, count in result.counts.items():
        table.add_row(label, str(count))
    table.add_row("named graphs", str(result.graphs))
    table.add_row("quads", str(result.quads))
    console.print(table)
    console.print(
        f"{len(sources)} RDF files loaded from {data.root}; "
        f"{len(skipped)} other files (case texts, source extracts, READMEs) skipped by rule."
    )


@app.command()
def docs(
    output: Annotated[
        Path, typer.Option("--output", "-o", help="Where to write the HTML page.")
    ] = Path("build/docs/ontology.html"),
) -> None:
    """Build the ontology's HTML documentation with pyLODE."""
    written = build_ontology_docs(bundled_data(), output)
    console.print(f"ontology documentation written to {written}")


def main() -> None:
    """Entry point of the ``essaim`` console script: errors become one sentence and exit 1."""
    try:
        app()
    except BundledDataMissing as exc:
        err.print(f"error: {exc}")
        raise SystemExit(1) from None
