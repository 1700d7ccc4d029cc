"""``essaim agreement`` and ``essaim annotations export|import|reanchor``: thin over
:mod:`essaim.annotation.agreement`, :mod:`essaim.annotation.exchange` and
:mod:`essaim.annotation.anchoring`.

``essaim serve`` re-anchors annotations by itself, at every start and after every write;
``reanchor`` does it on demand (after ``essaim load`` of a changed case, while the node is
stopped: the store of a running node is locked).

Both read the node's private annotation store, ``<data dir>/annotations`` (``--data-dir`` /
``ESSAIM_DATA_DIR``), and the public store the other commands use. Like every command that opens
the embedded store, they cannot run while ``essaim serve`` holds it.

The shared pieces of ``essaim.cli`` are imported when a command runs, not at import:
``essaim.cli`` imports this module to register it.
"""

from __future__ import annotations

import functools
import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, ParamSpec, TypeVar

import typer
from rich.markup import escape

from essaim.annotation.agreement import UNIT_KINDS, AgreementError, AgreementReport, measure
from essaim.annotation.exchange import (
    ExchangeError,
    codebook_qdc,
    concept_labels,
    read_codebook,
    read_project,
    to_csv,
    to_jsonld,
    to_qdpx,
)
from essaim.annotation.storage import AnnotationStore, annotations_path

annotations_app = typer.Typer(
    no_args_is_help=True, help="Coders' annotations out (CSV, JSON-LD, REFI-QDA) and in."
)
P = ParamSpec("P")
R = TypeVar("R")
EXPORT_FORMATS = ("csv", "jsonld", "qdpx", "qdc")


def _friendly(command: Callable[P, R]) -> Callable[P, R]:
    """essaim.cli's error handling, and this module's errors as one sentence too."""

    @functools.wraps(command)
    def run(*args: P.args, **kwargs: P.kwargs) -> R:
        from essaim.cli import _friendly as friendly
        from essaim.cli import err

        try:
            return friendly(command)(*args, **kwargs)
        except (AgreementError, ExchangeError) as exc:
            err.print(f"error: {escape(str(exc))}")
            raise typer.Exit(1) from None

    return run


@contextmanager
def _annotations() -> Iterator[AnnotationStore]:
    from essaim.cli import _State

    store = AnnotationStore(annotations_path(_State.settings.data_dir))
    try:
        yield store
    finally:
        store.close()


def _figure(value: float | None) -> str:
    return "—" if value is None else f"{value:.3f}"


def print_report(report: AgreementReport) -> None:
    from essaim.cli import _table, console

    console.print(
        f"{len(report.documents)} document(s), {len(report.coders)} coder(s), "
        f"{report.units} unit(s) ({report.unit_kind})"
    )
    overall = _table("measure", "value", title="Overall")
    overall.add_row("Krippendorff's alpha, pooled over concepts", _figure(report.alpha_pooled))
    overall.add_row("Krippendorff's alpha, MASI distance", _figure(report.alpha_masi))
    for (a, b), kappa in report.kappa_pooled.items():
        overall.add_row(f"Cohen's kappa, {escape(a)} / {escape(b)}", _figure(kappa))
    console.print(overall)
    concepts = _table("concept", "alpha", "kappa per pair", "units coded", title="Per concept")
    for c in report.concepts:
        kappas = ", ".join(_figure(k) for k in c.kappa.values())
        coded = ", ".join(str(n) for n in c.units_coded.values())
        concepts.add_row(escape(c.concept), _figure(c.alpha), kappas, coded)
    console.print(concepts)
    console.print(f"{len(report.disagreements)} unit(s) where the coders differ")


@_friendly
def agreement_command(
    documents: Annotated[
        list[str] | None,
        typer.Argument(help="Case documents' IRIs; none: every document two coders coded."),
    ] = None,
    units: Annotated[str, typer.Option(help="Units: sections or sentences.")] = "sections",
    format: Annotated[str, typer.Option(help="table or json")] = "table",
) -> None:
    """Agreement between coders: Krippendorff's alpha, Cohen's kappa, where they differ."""
    if units not in UNIT_KINDS:
        raise AgreementError(f"unknown unit kind {units!r}: use sections or sentences")
    if format not in ("table", "json"):
        raise AgreementError(f"unknown format {format!r}: use table or json")
    from essaim.cli import _store

    with _store() as public, _annotations() as annotations:
        report = measure(public, annotations.raw, documents or None, unit_kind=units)
    if format == "json":
        sys.stdout.write(json.dumps(report.to_json(), ensure_ascii=False, indent=2) + "\n")
    else:
        print_report(report)


@annotations_app.command("export")
@_friendly
def export_command(
    format: Annotated[str, typer.Option(help="csv, jsonld, qdpx or qdc (the codebook).")],
    output: Annotated[Path, typer.Option("--output", "-o", help="The file to write.")],
    document: Annotated[
        list[str] | None, typer.Option(help="Only this case document (repeat for more).")
    ] = None,
    lang: Annotated[str, typer.Option(help="Language of the code names: fr or en.")] = "fr",
) -> None:
    """Write the annotations (or the codebook) to a file."""
    from essaim.cli import _store, console

    documents = document
    if format not in EXPORT_FORMATS:
        raise ExchangeError(f"unknown format {format!r}: use {', '.join(EXPORT_FORMATS)}")
    with _store() as public, _annotations() as annotations:
        items = [a for a in annotations.list() if not documents or a.document in documents]
        if format == "csv":
            data = to_csv(items, concept_labels(public)).encode("utf-8")
        elif format == "jsonld":
            data = json.dumps(to_jsonld(items), ensure_ascii=False, indent=1).encode("utf-8")
        elif format == "qdpx":
            data = to_qdpx(public, items, documents or (), lang)
        else:
            data = codebook_qdc(public, lang)
    output.write_bytes(data)
    console.print(f"{escape(str(output))}: {len(items)} annotation(s), {format}")


@annotations_app.command("import")
@_friendly
def import_command(
    file: Annotated[Path, typer.Argument(help="A REFI-QDA project (.qdpx) or codebook (.qdc).")],
    dry_run: Annotated[bool, typer.Option(help="Report what matches; store nothing.")] = False,
) -> None:
    """Read a REFI-QDA project's coded selections into the annotation store (a codebook is
    only matched against the concepts); print what matched nothing."""
    from essaim.cli import _store, console

    if not file.is_file():
        raise ExchangeError(f"{file}: no such file")
    data = file.read_bytes()
    with _store() as public:
        if file.suffix.lower() == ".qdc":
            report = read_codebook(data, public)
        elif file.suffix.lower() == ".qdpx":
            report = read_project(data, public)  # the operator's own: every IRI kept
        else:
            raise ExchangeError(f"{file}: a REFI-QDA file ends in .qdpx or .qdc")
    if report.annotations and not dry_run:
        with _annotations() as annotations:
            annotations.put_all(report.annotations)
    for line in report.lines():
        console.print(escape(line), highlight=False)
    if dry_run:
        console.print("dry run: nothing stored")


@annotations_app.command("reanchor")
def reanchor_command() -> None:
    """Re-anchor every annotation in its document's current text by its quote; list those whose
    quote is gone (flagged, never dropped)."""
    from essaim.annotation.anchoring import reanchor_all
    from essaim.annotation.storage import AnnotationStore, annotations_path
    from essaim.cli import _friendly, _State, _store, console

    @_friendly
    def run() -> None:
        annotations = AnnotationStore(annotations_path(_State.settings.data_dir))
        try:
            with _store() as store:
                report = reanchor_all(annotations, store)
        finally:
            annotations.close()
        console.print(
            f"{report.unchanged} in place, {len(report.moved)} moved, "
            f"{len(report.restored)} anchored again, {len(report.flagged)} flagged",
            highlight=False,
        )
        for iri in report.flagged:
            console.print(f"flagged (quote not found): {iri}", highlight=False, markup=False)

    run()


@annotations_app.command("train")
def train_command(
    min_examples: Annotated[
        int | None,
        typer.Option(
            "--min-examples",
            help="Passages a concept needs to be learned (default: "
            "ESSAIM_CLASSIFIER_MIN_EXAMPLES, else 20).",
        ),
    ] = None,
) -> None:
    """Train the classifier on the agreed and adjudicated coded facts; the node uses it in its
    suggestions from then on (written in <data dir>/classifier)."""
    from essaim.annotation.classifier import ClassifierError, ClassifierHolder
    from essaim.cli import _friendly, _State, _store, console, err

    @_friendly
    def run() -> None:
        settings = _State.settings
        wanted = settings.server.classifier_min_examples if min_examples is None else min_examples
        try:
            with _store() as store:
                trained = ClassifierHolder(settings.data_dir).train(store, wanted)
        except ClassifierError as exc:
            err.print(f"error: {escape(str(exc))}")
            raise typer.Exit(1) from None
        console.print(
            f"trained on {trained.examples} passages: {len(trained.concepts)} concepts learned, "
            f"{len(trained.untrained)} left out (fewer than {wanted} passages)",
            highlight=False,
        )
        for concept in trained.concepts:
            console.print(f"learned {concept} ({trained.counts[concept]})", markup=False)
        for concept, count in trained.untrained.items():
            console.print(f"not predicted {concept} ({count})", markup=False)

    run()
