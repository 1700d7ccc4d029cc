"""``essaim annotations …``: coders' annotations, kept in ``<data dir>/annotations`` (see
``essaim.annotation.storage``).

``essaim serve`` re-anchors annotations by itself, at every start and after every write; this
command does it on demand (after ``essaim load`` of a changed case, while the node is stopped:
the store of a running node is locked). Imported by ``essaim.cli`` to register it; the shared
pieces of ``essaim.cli`` are imported when the command runs.
"""

from __future__ import annotations

import typer

annotations_app = typer.Typer(no_args_is_help=True, help="Coders' annotations.")


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
