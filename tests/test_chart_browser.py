"""The canned queries' charts in a real headless Chromium against a real ``essaim serve`` on the
default knowledge base, one page load per chart kind: the chart renders as SVG with one mark per
value of its spec (per node of a network), under the strict Content-Security-Policy (no eval, no
inline style), and downloads as SVG and PNG; with JavaScript off the table and the text
description remain.

Debian's ``chromium`` driven by the PyPI ``playwright`` package (never ``playwright install``);
the Vega bundles come from ``make setup`` (``.vega/``).
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, expect, sync_playwright

from essaim.web.pages.bundles import VEGA
from essaim_server_fixtures import EssaimServer

pytestmark = [pytest.mark.system("chromium"), pytest.mark.data("kb")]

CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]  # fmt: skip
expect.set_options(timeout=20_000)

#: One query per chart kind, and the SVG elements its values are drawn as.
KINDS = {
    "bar": ("bridging-actors", ".mark-rect.role-mark > path"),
    "grouped-bar": ("scaling-results-by-kind", ".mark-rect.role-mark > path"),
    "stacked-bar": ("codes-by-section", ".mark-rect.role-mark > path"),
    "heatmap": ("barriers-by-territory", ".mark-rect.role-mark > path"),
    "timeline": ("action-timeline", ".mark-symbol.role-mark > path"),
    "network": ("co-occurring-barriers-and-success-factors", ".mark-symbol.role-mark > path"),
}


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if VEGA.find() is None:
        from conftest import require

        require(False, "needs the Vega bundles in .vega/ (make setup)")
    executable = shutil.which("chromium") or "/usr/bin/chromium"
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_the_chart_renders_and_downloads(
    kind: str, browser: Browser, kb_server: EssaimServer, tmp_path: Path
) -> None:
    name, marks = KINDS[kind]
    url = f"{kb_server.url}/api/queries/{name}?format=vega-lite&lang=en"
    spec = httpx.get(url, timeout=60).json()  # a loaded machine may take a while
    data = spec["data"][0] if kind == "network" else spec["data"]  # a network's nodes
    expected = len(data["values"])
    assert expected > 0
    context = browser.new_context(locale="en-US", accept_downloads=True,
                                  viewport={"width": 1280, "height": 900})  # fmt: skip
    try:
        page = context.new_page()
        console: list[str] = []
        page.on("console", lambda message: console.append(message.text))
        page.on("pageerror", lambda error: console.append(f"script error: {error}"))
        page.goto(f"{kb_server.url}/queries/{name}?run=1&lang=en")
        expect(page.locator("#chart-view[data-drawn]")).to_have_count(1)
        svg = page.locator("#chart-view svg")
        expect(svg).to_have_count(1)
        assert svg.locator(marks).count() == expected
        assert page.locator("#chart-description").inner_text() == spec["description"]
        assert not [m for m in console if "Content Security Policy" in m or "error" in m], console
        for extension, magic in (("svg", b"<svg"), ("png", b"\x89PNG")):
            with page.expect_download() as caught:
                page.locator(f"#chart-{extension}").click()
            download = caught.value
            assert download.suggested_filename == f"{name}.{extension}"
            saved = tmp_path / download.suggested_filename
            download.save_as(saved)
            assert saved.read_bytes().lstrip().startswith(magic)
    finally:
        context.close()


def test_without_javascript_the_table_and_description_remain(
    browser: Browser, kb_server: EssaimServer
) -> None:
    context = browser.new_context(locale="en-US", java_script_enabled=False)
    try:
        page = context.new_page()
        for name, _ in KINDS.values():
            page.goto(f"{kb_server.url}/queries/{name}?run=1&lang=en")
            expect(page.locator("#chart-description")).to_be_visible()
            expect(page.locator("table.results")).to_be_visible()
            expect(page.locator("#chart-view svg")).to_have_count(0)
            expect(page.locator(".chart-downloads")).to_be_hidden()
    finally:
        context.close()
