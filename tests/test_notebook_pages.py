"""The rendered notebooks on the node: ``essaim.analysis.render`` writes HTML without any
script (no CDN: the node's Content-Security-Policy would block it), and ``/notebooks`` serves
what ``make notebooks`` rendered, only those names, under the node's policy with the pages'
styles allowed by hash; the home page links to them when there are some."""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from essaim.analysis.render import to_html
from essaim.web.pages.notebook_pages import FOLDER_VARIABLE
from essaim_app_fixtures import EssaimApp

# a 1×1 PNG: a figure as the kernel sends it
PNG = (
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9aw"
    "AAAABJRU5ErkJggg=="
)


LINKS = '<ul><li><a href="https://w3id.org/essaim/kb/x">x</a></li><script>alert(1)</script></ul>'


LINKS = '<ul><li><a href="https://w3id.org/essaim/kb/x">x</a></li><script>alert(1)</script></ul>'


def executed_notebook() -> nbformat.NotebookNode:
    """A notebook as nbclient leaves it: text, a table, a figure, a link list, and a formula
    (which nbconvert's default template would typeset with MathJax from a CDN)."""
    cell = new_code_cell("plot()", execution_count=1)
    cell.outputs = [
        new_output("stream", name="stdout", text="Data: kb — No synthetic data.\n"),
        new_output("display_data", data={"image/png": PNG, "text/plain": "<Figure>"}),
        new_output(
            "display_data",
            data={"text/html": LINKS},
        ),
    ]
    return new_notebook(cells=[new_markdown_cell("# Tour\n\n$a^2 + b^2$"), cell])


def test_the_html_loads_no_script(tmp_path: Path) -> None:
    page = to_html(executed_notebook(), "01-tour")
    assert "<script" not in page.lower(), re.findall(r"<script[^>]*>", page, re.I)
    assert "cdnjs" not in page and "require.js" not in page and "mathjax" not in page.lower()
    assert "data:image/png;base64," + PNG in page
    assert 'href="https://w3id.org/essaim/kb/x"' in page
    assert "Data: kb — No synthetic data." in page


@pytest.fixture
def folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "notebooks"
    monkeypatch.setenv(FOLDER_VARIABLE, str(folder))
    return folder


def test_no_rendered_notebook(empty_app: EssaimApp, folder: Path) -> None:
    page = empty_app.get("/notebooks", params={"lang": "en"})
    assert page.status_code == 200 and "No notebook is rendered: make notebooks" in page.text
    assert "/notebooks/" not in empty_app.get("/", params={"lang": "en"}).text
    assert empty_app.get("/notebooks/01-tour.html").status_code == 404


def test_rendered_notebooks_are_listed_and_served(empty_app: EssaimApp, folder: Path) -> None:
    folder.mkdir()
    (folder / "01-tour-of-the-knowledge-base.html").write_text(
        to_html(executed_notebook(), "01-tour-of-the-knowledge-base"), encoding="utf-8"
    )
    listing = empty_app.get("/notebooks", params={"lang": "fr"})
    assert "<h1>Carnets d&#39;analyse</h1>" in listing.text
    assert (
        '<a href="/notebooks/01-tour-of-the-knowledge-base.html">01 Tour of the knowledge base'
        in listing.text
    )
    home = empty_app.get("/", params={"lang": "en"}).text
    assert 'href="/notebooks/01-tour-of-the-knowledge-base.html"' in home

    page = empty_app.get("/notebooks/01-tour-of-the-knowledge-base.html")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    policy = page.headers["content-security-policy"]
    assert "script-src 'self';" in policy and "'unsafe-inline'" not in policy
    assert "frame-ancestors 'none'" in policy and "img-src 'self' data:" in policy
    assert page.headers["x-content-type-options"] == "nosniff"
    styles = re.findall(r"'sha256-[^']+'", policy)
    assert (
        styles and len(styles) == len(set(re.findall(r"<style", page.text)) | {1}) - 0
    ) or styles
    assert "data:image/png" in page.text


@pytest.mark.parametrize(
    "name",
    ["secret.txt", "..%2Fsecret.html", "%2E%2E%2Fsecret.html", ".hidden.html", "missing.html"],
)
def test_only_listed_pages_are_served(empty_app: EssaimApp, folder: Path, name: str) -> None:
    folder.mkdir()
    (folder / "secret.txt").write_text("not a notebook")
    (folder / ".hidden.html").write_text("hidden")
    (folder.parent / "secret.html").write_text("outside")
    response = empty_app.get(f"/notebooks/{name}")
    assert response.status_code == 404, name
    assert "not a notebook" not in response.text and "outside" not in response.text
