"""The rendered notebooks (``make notebooks`` writes them to ``build/notebooks/``, git-ignored):
``/notebooks`` lists them and ``/notebooks/NAME.html`` serves one, under the node's
Content-Security-Policy with the page's own ``<style>`` elements allowed by hash (as the
ontology's documentation is). The pages hold no script: the ``essaim-notebook`` template leaves
out the CDN scripts of nbconvert's (``essaim.analysis.render``). The home page links here when
some notebook is rendered.

The folder is ``ESSAIM_NOTEBOOKS_DIR``, else ``build/notebooks`` beside the bundled data (the
checkout). Only the names listed in it are served: anything else is a 404, whatever it holds
(``..``, slashes, another extension).
"""

from __future__ import annotations

import functools
import os
import re
from pathlib import Path
from typing import Final

from fastapi import APIRouter, Request
from starlette.responses import FileResponse, Response

from essaim.web.access import reader
from essaim.web.edge import style_hashes, with_styles
from essaim.web.node import node_of
from essaim.web.pages.templating import render
from essaim.web.problems import Problem

router = APIRouter(include_in_schema=False)

#: The environment variable naming the folder of rendered notebooks.
FOLDER_VARIABLE: Final = "ESSAIM_NOTEBOOKS_DIR"
_NAME = re.compile(r"[0-9A-Za-z][0-9A-Za-z_-]*\.html")


def notebooks_dir() -> Path:
    """Where the rendered notebooks are looked for."""
    given = os.environ.get(FOLDER_VARIABLE, "").strip()
    if given:
        return Path(given)
    from essaim.resources import BundledDataMissing, bundled_data

    try:
        return bundled_data().root / "build" / "notebooks"
    except BundledDataMissing:
        return Path("build") / "notebooks"


def rendered() -> list[tuple[str, str]]:
    """The rendered notebooks: (file name, title from the name), sorted; none when the folder
    is missing.

    >>> title("03-transversality-of-partnerships.html")
    '03 Transversality of partnerships'
    """
    folder = notebooks_dir()
    if not folder.is_dir():
        return []
    return [
        (p.name, title(p.name))
        for p in sorted(folder.iterdir())
        if p.is_file() and _NAME.fullmatch(p.name)
    ]


def title(name: str) -> str:
    stem = name.removesuffix(".html")
    number, _, rest = stem.partition("-")
    words = rest.replace("-", " ") if number.isdigit() else stem.replace("-", " ")
    text = words[:1].upper() + words[1:]
    return f"{number} {text}" if number.isdigit() else text


@router.get("/notebooks")
async def notebooks(request: Request) -> Response:
    await reader(request, node_of(request))
    return render(request, "notebooks.html", notebooks=rendered())


@router.get("/notebooks/{name}")
async def notebook(request: Request, name: str) -> Response:
    await reader(request, node_of(request))
    if name not in {n for n, _ in rendered()}:
        raise Problem(404, f"no rendered notebook is named {name!r} ('make notebooks')")
    page = notebooks_dir() / name
    policy = _policy_of(page, page.stat().st_mtime_ns)
    return FileResponse(
        page, media_type="text/html; charset=utf-8", headers={"Content-Security-Policy": policy}
    )


@functools.lru_cache(maxsize=16)
def _policy_of(page: Path, mtime_ns: int) -> str:
    """nbconvert writes the page's styles in ``<style>`` elements: allowed by hash."""
    return with_styles(style_hashes(page.read_bytes()))
