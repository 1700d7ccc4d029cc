"""The whole annotation workflow on the founding case in a real headless Chromium against a real
``essaim serve`` of its own (so that its coders' work reaches no other test's data): two coders
each select the same passage of the founding case's document on the annotation page and code it
by keyboard with different concepts; an editor signs in, the agreement page shows where they
differ, the editor keeps one coder's code on the adjudication page, and the initiative's page
shows the coded fact with its passage. Debian's ``chromium``, driven by ``playwright`` (never
``playwright install``)."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from urllib.parse import quote

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

from essaim import namespaces as ns
from essaim.sessions import Sessions
from essaim.users import Role, UserStore, users_path
from essaim_server_fixtures import EssaimServer, _stop, launch
from loaded_kb_fixtures import LoadedKb
from test_annotate_page import annotator_installed, page_path, select_passage

pytestmark = pytest.mark.system("chromium")

PASSWORD = "a long enough password"  # noqa: S105 (a test account's)
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]  # fmt: skip
expect.set_options(timeout=20_000)

CASE = "sarthe-ceas72-mise-en-reseau-ess"
DOCUMENT = ns.KB + "document/" + CASE
INITIATIVE = ns.KB + "initiative/" + CASE
#: The founding case's first barrier, at code points 806–924.
START, END = 806, 924
QUOTE = (
    "La méconnaissance de la notion d’Economie Sociale par ses acteurs et les partenaires "
    "(notamment collectivités locales)"
)
#: Two barriers the founding case does not report: each coder picks one.
CODES = {
    "coder1": ("résistance au changement", ns.CODEBOOK + "barrier/resistance-to-change"),
    "coder2": ("soutien politique", ns.CODEBOOK + "barrier/lack-of-political-support"),
}


@pytest.fixture(scope="module")
def server(
    tmp_path_factory: pytest.TempPathFactory, founding_kb: LoadedKb
) -> Iterator[tuple[EssaimServer, str]]:
    started = launch(tmp_path_factory.mktemp("annotation-browser"), "--no-load", loaded=founding_kb)
    try:
        users = UserStore(users_path(started.data_dir))
        for name in CODES:
            users.add(name, Role.ANNOTATOR)
        sessions = Sessions(users)
        for name in ("editor", *CODES):
            sessions.set_password(name, PASSWORD)
        query = f"SELECT ?t WHERE {{ <{DOCUMENT}> <{ns.ESSAIM}fullText> ?t }}"
        answer = httpx.get(
            started.sparql,
            params={"query": query},
            headers={"Accept": "application/sparql-results+json"},
            timeout=60,
        )
        text = answer.json()["results"]["bindings"][0]["t"]["value"]
        yield started, text
    finally:
        _stop(started.process)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    executable = shutil.which("chromium") or "/usr/bin/chromium"
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


def sign_in(page: Page, url: str, name: str, target: str) -> None:
    page.goto(url + "/login?next=" + quote(target, safe=""))
    form = page.locator("#password-form")
    form.get_by_label("Name").fill(name)
    form.get_by_label("Password").fill(PASSWORD)
    form.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(url + target)


def code_the_passage(browser: Browser, url: str, text: str, coder: str) -> None:
    """``coder`` selects the founding case's first barrier passage and codes it by keyboard."""
    search_words, concept = CODES[coder]
    context = browser.new_context(locale="en-US")
    page = context.new_page()
    sign_in(page, url, coder, page_path(DOCUMENT))
    case_text = page.locator("#case-text")
    expect(case_text).to_have_attribute("data-highlights", "0")  # blind: nobody else's codes
    units = len(text[:START].encode("utf-16-le")) // 2
    select_passage(page, units, units + len(text[START:END].encode("utf-16-le")) // 2)
    expect(page.locator("#coding-quote")).to_have_text(QUOTE)
    search = page.locator("#concept-search")
    expect(search).to_be_focused()
    search.fill(search_words)
    first = page.locator("#concept-list li").first
    expect(first).to_have_attribute("data-concept", concept)
    search.press("ArrowDown")
    search.press("Enter")
    expect(first).to_have_attribute("aria-selected", "true")
    page.locator("#coding-mode").select_option(label="Encountered")
    page.locator("#coding-memo").press("Control+Enter")
    expect(case_text).to_have_attribute("data-highlights", "1")
    # stored where it was selected: code points 806–924, the quote
    expect(page.locator("#code-list li")).to_have_count(1)
    expect(page.locator("#code-list li")).to_contain_text(f"{START}–{END} {QUOTE}")
    context.close()


def test_two_coders_differ_on_the_founding_case_an_editor_settles_and_the_fact_shows(
    server: tuple[EssaimServer, str], browser: Browser
) -> None:
    started, text = server
    assert text[START:END] == QUOTE
    annotator_installed(started)
    for coder in CODES:
        code_the_passage(browser, started.url, text, coder)

    context = browser.new_context(locale="en-US")
    page = context.new_page()
    initiative = quote(INITIATIVE, safe="")
    sign_in(page, started.url, "editor", f"/agreement?initiative={initiative}")
    expect(page.locator("h1")).to_have_text("Agreement between coders")
    differ = page.locator("section.disagreement")
    expect(differ).to_have_count(1)
    expect(differ.locator("td")).to_have_count(2)  # one column per coder, in pseudonym order
    codes = sorted(cell.strip() for cell in differ.locator("td").all_inner_texts())
    assert codes == ["Lack of political support", "Resistance to change"]
    page.get_by_role("link", name="Adjudication").first.click()
    expect(page.locator("form.decide")).to_have_count(1)
    unit = page.locator("section.disagreement")
    keep = unit.locator("td").nth(0).inner_text().split(" (")[0].strip()  # "(encountered)"
    assert keep in codes
    unit.locator("input[type=radio][value^='coder:']").first.check()
    unit.get_by_role("button", name="Save").click()
    expect(page.locator("h1")).to_have_text("Adjudication")  # not "Adjudication refused"
    expect(page.locator("p.decision")).to_have_count(1)
    expect(page.locator("#pending")).to_have_text("0")

    page.goto(f"{started.url}/kb/initiative/{CASE}?lang=en")
    main = page.locator("main")
    expect(main).to_contain_text(keep)
    fact = main.locator("li").filter(has_text=keep)
    expect(fact.locator("blockquote", has_text=QUOTE)).to_have_count(1)
    expect(main).not_to_contain_text((set(codes) - {keep}).pop())
    context.close()
