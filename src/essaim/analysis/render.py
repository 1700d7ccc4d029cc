"""Execute the notebooks and render them to HTML (``make notebooks``), for review and for the
node's ``/notebooks`` pages.

Each notebook runs top to bottom in a fresh Jupyter kernel (nbclient) against ``--store`` (any
location :func:`essaim.analysis.source.connect` reads; it reaches the kernel as
``ESSAIM_ANALYSIS_STORE``), then nbconvert writes it with its figures (data: images) through
the ``essaim-notebook`` template: nbconvert's lab template without the scripts it loads from a
CDN (require.js, MathJax), which a node's Content-Security-Policy would block anyway.

    python -m essaim.analysis.render [--store kb] [--output build/notebooks] [notebooks/*.ipynb]
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Final

import nbformat

from essaim.analysis.source import LOCATION_VARIABLE

TEMPLATES: Final = Path(__file__).parent / "templates"
TEMPLATE: Final = "essaim-notebook"
#: Per cell, in seconds.
CELL_TIMEOUT_S: Final = 600


@dataclass(frozen=True)
class Executed:
    path: Path
    notebook: nbformat.NotebookNode
    seconds: float


def execute(path: Path, store: str | None = None, *, cwd: Path | None = None) -> Executed:
    """``path`` executed top to bottom (its working directory: ``cwd``, else its folder);
    ``store`` (else the environment's or the bundled kb) is the data it reads."""
    from nbclient import NotebookClient

    notebook = nbformat.read(path, as_version=4)  # type: ignore[no-untyped-call]
    previous = os.environ.get(LOCATION_VARIABLE)
    if store is not None:
        os.environ[LOCATION_VARIABLE] = store  # the kernel inherits the environment
    try:
        started = time.perf_counter()
        NotebookClient(
            notebook,
            timeout=CELL_TIMEOUT_S,
            kernel_name="python3",
            resources={"metadata": {"path": str(cwd or path.parent)}},
        ).execute()
        seconds = time.perf_counter() - started
    finally:
        if store is not None:
            if previous is None:
                os.environ.pop(LOCATION_VARIABLE, None)
            else:
                os.environ[LOCATION_VARIABLE] = previous
    return Executed(path, notebook, seconds)


def to_html(notebook: nbformat.NotebookNode, title: str) -> str:
    """The notebook as one HTML page without CDN scripts (figures inlined)."""
    from nbconvert import HTMLExporter

    exporter = HTMLExporter(  # type: ignore[no-untyped-call]
        template_name=TEMPLATE, extra_template_basedirs=[str(TEMPLATES)]
    )
    exporter.sanitize_html = True  # outputs' HTML (the notebooks' link lists) is cleaned
    body, _ = exporter.from_notebook_node(notebook, resources={"metadata": {"name": title}})
    return body


def render(paths: Sequence[Path], output: Path, store: str | None = None) -> list[Executed]:
    """Execute and write ``output/<name>.html`` for each notebook; returns what ran."""
    output.mkdir(parents=True, exist_ok=True)
    done = []
    for path in paths:
        executed = execute(path, store)
        (output / f"{path.stem}.html").write_text(
            to_html(executed.notebook, path.stem), encoding="utf-8"
        )
        done.append(executed)
    return done


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("notebooks", nargs="*", type=Path, help="default: notebooks/*.ipynb")
    parser.add_argument("--store", default=None, help="where the data is read (default: kb)")
    parser.add_argument("--output", type=Path, default=Path("build/notebooks"))
    args = parser.parse_args(argv)
    paths = args.notebooks or sorted(Path("notebooks").glob("*.ipynb"))
    if not paths:
        print("no notebook to render (notebooks/*.ipynb)", file=sys.stderr)
        return 1
    total = 0.0
    for executed in render(paths, args.output, args.store):
        total += executed.seconds
        target = args.output / f"{executed.path.stem}.html"
        print(f"{executed.path.name}: {executed.seconds:.1f} s -> {target}")
    print(f"{len(paths)} notebook(s) executed in {total:.1f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
