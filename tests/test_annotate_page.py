"""The interactive annotation page in a real headless Chromium against the real ``essaim serve``
of the browser tests (``kb_server``): the code-point/UTF-16 converter's unit test run in the
browser; a coder selects a passage that follows a character outside the BMP (🐝), picks a
concept from the searchable codebook list with the keyboard, saves, and the stored annotation has
the right code-point offsets and quote; a suggestion is shown apart from the codes and accepted.
The text annotator is the npm package ``@recogito/text-annotator`` (``make setup``); without it
these tests skip locally and fail under CI."""

from __future__ import annotations

import json
from collections.abc import Callable
from urllib.parse import quote

import httpx
import pytest
from playwright.sync_api import Page, expect

import test_browser
from conftest import require
from essaim_server_fixtures import EssaimServer
from test_browser import PASSWORD, Tab

pytestmark = pytest.mark.system("chromium")
#: The browser tests' fixtures: one headless Chromium for the module, a context per tab.
browser = test_browser.browser
open_tab = test_browser.open_tab

KB = "https://w3id.org/essaim/kb/"
CODEBOOK = "https://w3id.org/essaim/codebook/"
FOUNDING = KB + "document/sarthe-ceas72-mise-en-reseau-ess"
LOW_AWARENESS = CODEBOOK + "barrier/low-awareness-of-ess"
BEE = KB + "document/test-browser-bee"
BEE_GRAPH = "https://w3id.org/essaim/graph/tests/browser-bee"
BEE_TEXT = "🐝🐝 Essaimer : le manque de temps des bénévoles freine la mise en réseau. Fin."
BEE_QUOTE = "le manque de temps des bénévoles"
LACK_OF_TIME = CODEBOOK + "barrier/lack-of-time"


def sign_in(page: Page, server: EssaimServer, name: str, target: str) -> None:
    from essaim.sessions import Sessions
    from essaim.users import UserStore, users_path

    Sessions(UserStore(users_path(server.data_dir))).set_password(name, PASSWORD)
    page.goto(server.url + "/login?next=" + quote(target, safe=""))
    form = page.locator("#password-form")
    form.get_by_label("Name").fill(name)
    form.get_by_label("Password").fill(PASSWORD)
    form.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(server.url + target)


def annotator_installed(server: EssaimServer) -> None:
    found = httpx.get(server.url + "/recogito/text-annotator.umd.js", timeout=30)
    require(found.status_code == 200, "the text annotator bundle is not installed (make setup)")


def page_path(document: str) -> str:
    return "/annotate/document?iri=" + quote(document, safe="")


def test_offsets_convert_code_points_and_utf16_units(
    kb_server: EssaimServer, open_tab: Callable[..., Tab]
) -> None:
    tab = open_tab()
    tab.page.goto(kb_server.url + "/")
    tab.page.add_script_tag(url="/static/offsets.js")
    results = tab.page.evaluate(
        """() => {
        const c = EssaimOffsets.converter("a🐝b🐝🐝c");  // 6 code points, 9 units
        const refused = (f) => {
          try { f(); return false; } catch (e) { return e instanceof RangeError; }
        };
        return {
          length: c.length,
          units: [0, 1, 2, 3, 4, 5, 6].map((n) => c.toUnits(n)),
          points: [0, 1, 3, 4, 6, 8, 9].map((n) => c.toCodePoints(n)),
          inside: refused(() => c.toCodePoints(2)),
          pastEnd: refused(() => c.toUnits(7)),
          astralInside: refused(() => c.toCodePoints(7)),
          negative: refused(() => c.toCodePoints(-1)),
          plain: [EssaimOffsets.converter("abc").toUnits(3), EssaimOffsets.converter("").length],
        };
    }"""
    )
    assert results == {
        "length": 6,
        "units": [0, 1, 3, 4, 6, 8, 9],
        "points": [0, 1, 2, 3, 4, 5, 6],
        "inside": True,
        "pastEnd": True,
        "astralInside": True,
        "negative": True,
        "plain": [3, 0],
    }
    assert not tab.errors


def select_passage(page: Page, start_units: int, end_units: int) -> None:
    """Select the passage between two UTF-16 positions of the case text, as a mouse would: a
    press on the text, the selection, the release."""
    text = page.locator("#case-text")
    text.scroll_into_view_if_needed()
    box = text.bounding_box()
    assert box is not None
    page.mouse.move(box["x"] + 20, box["y"] + 20)
    page.mouse.down()
    page.evaluate(
        """([start, end]) => {
        const root = document.getElementById('case-text');
        const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
        const at = (offset) => {
          let node, seen = 0;
          while ((node = walker.nextNode())) {
            if (seen + node.length >= offset) return [node, offset - seen];
            seen += node.length;
          }
          throw new Error('offset past the text');
        };
        const [a, i] = at(start);
        walker.currentNode = root;
        const [b, j] = at(end);
        document.getSelection().setBaseAndExtent(a, i, b, j);
    }""",
        [start_units, end_units],
    )
    page.wait_for_timeout(400)  # past the annotator's click threshold: a drag, not a click
    page.mouse.up()


def test_a_coder_codes_a_passage_after_a_bee(
    kb_server: EssaimServer, open_tab: Callable[..., Tab]
) -> None:
    annotator_installed(kb_server)
    text = json.dumps(BEE_TEXT, ensure_ascii=False)
    update = (
        f"INSERT DATA {{ GRAPH <{BEE_GRAPH}> {{ <{BEE}> a "
        f"<https://w3id.org/essaim/ontology#CaseDocument> ; "
        f"<https://w3id.org/essaim/ontology#fullText> {text} }} }}"
    )
    written = httpx.post(
        kb_server.sparql, data={"update": update}, headers=kb_server.auth("admin"), timeout=60
    )
    assert written.status_code in (200, 204), written.text
    try:
        tab = open_tab()
        page = tab.page
        sign_in(page, kb_server, "annotator", page_path(BEE))
        expect(page.locator("#case-text")).to_have_attribute("data-highlights", "0")
        start = BEE_TEXT.index(BEE_QUOTE)  # code points
        units = len(BEE_TEXT[:start].encode("utf-16-le")) // 2
        assert units == start + 2  # two bees before it
        select_passage(page, units, units + len(BEE_QUOTE))
        panel = page.locator("#coding-panel")
        expect(panel).to_be_visible()
        expect(page.locator("#coding-quote")).to_have_text(BEE_QUOTE)
        # Keyboard: search, move to the first match, pick it; the mode; save with Ctrl+Enter.
        search = page.locator("#concept-search")
        expect(search).to_be_focused()
        search.fill("manque de temps")
        first = page.locator("#concept-list li").first
        expect(first).to_have_attribute("data-concept", LACK_OF_TIME)
        assert "time" in (first.get_attribute("title") or "").lower()  # the definition, on hover
        search.press("ArrowDown")
        search.press("Enter")
        expect(first).to_have_attribute("aria-selected", "true")
        page.locator("#coding-mode").select_option(label="Encountered")
        page.locator("#coding-memo").fill("from the browser")
        page.locator("#coding-memo").press("Control+Enter")
        expect(page.locator("#case-text")).to_have_attribute("data-highlights", "1")
        expect(panel).to_be_hidden()
        expect(page.locator("#code-list li")).to_contain_text(["Lack of time"])
        expect(page.locator(".r6o-annotation")).not_to_have_count(0)

        listed = httpx.get(
            kb_server.url + "/api/annotations/",
            params={"document": BEE},
            headers=kb_server.auth("annotator"),
            timeout=30,
        ).json()
        (stored,) = listed["first"]["items"]
        selectors = {s["type"]: s for s in stored["target"]["selector"]}
        assert selectors["TextPositionSelector"]["start"] == start
        assert selectors["TextPositionSelector"]["end"] == start + len(BEE_QUOTE)
        assert selectors["TextQuoteSelector"]["exact"] == BEE_QUOTE
        assert stored["body"][0] == LACK_OF_TIME
        assert stored["statementMode"].endswith("/encountered")
        # Reloaded, the page draws the stored code where it was.
        page.reload()
        expect(page.locator("#case-text")).to_have_attribute("data-highlights", "1")
        expect(page.locator("#case-text mark.code")).to_have_text(BEE_QUOTE)
        assert not tab.errors and not tab.csp_violations, tab.errors + tab.csp_violations
        httpx.delete(stored["id"], headers=kb_server.auth("annotator"), timeout=30)
    finally:
        httpx.post(
            kb_server.sparql,
            data={"update": f"DROP SILENT GRAPH <{BEE_GRAPH}>"},
            headers=kb_server.auth("admin"),
            timeout=60,
        )


def test_a_suggestion_is_shown_apart_and_accepted(
    kb_server: EssaimServer, open_tab: Callable[..., Tab]
) -> None:
    annotator_installed(kb_server)
    tab = open_tab()
    page = tab.page
    sign_in(page, kb_server, "annotator", page_path(FOUNDING))
    codes_before = page.locator("#code-list > li").count()
    page.locator("#suggestions").get_by_role(
        "button", name="Suggest codes for the sections"
    ).click()
    suggestion = page.locator(f"#suggestion-list li[data-concept='{LOW_AWARENESS}']").first
    expect(suggestion).to_contain_text("matched")
    expect(suggestion).to_contain_text("méconnaissance")
    # Apart: not among the codes, not highlighted in the text.
    expect(page.locator("#code-list > li")).to_have_count(codes_before)
    expect(page.locator("#case-text")).to_have_attribute("data-highlights", str(codes_before))
    iri = suggestion.get_attribute("data-annotation")
    suggestion.get_by_role("button", name="Accept").click()
    accepted = page.locator(f"#suggestion-list li[data-annotation='{iri}']")
    expect(accepted.locator(".decision")).to_have_text("accepted")
    expect(page.locator("#code-list > li")).to_have_count(codes_before + 1)
    expect(page.locator("#case-text")).to_have_attribute("data-highlights", str(codes_before + 1))

    mine = httpx.get(
        kb_server.url + "/api/annotations/",
        params={"document": FOUNDING, "status": "coded"},
        headers=kb_server.auth("annotator"),
        timeout=30,
    ).json()
    derived = [a for a in mine["first"]["items"] if a.get("wasDerivedFrom") == iri]
    assert len(derived) == 1 and derived[0]["body"] == LOW_AWARENESS
    counts = httpx.get(
        kb_server.url + "/api/suggestions/counts", headers=kb_server.auth("editor"), timeout=30
    ).json()
    row = next(c for c in counts["concepts"] if c["concept"] == LOW_AWARENESS)
    assert row["accepted"] >= 1
    assert not tab.errors and not tab.csp_violations, tab.errors + tab.csp_violations
