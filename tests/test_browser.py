"""The pages end to end in a real headless Chromium against a real ``essaim serve``: a reader
goes from the home page to the founding initiative and on to an actor, runs a canned query in
YASGUI, in the plain form without JavaScript and on a canned query's page, and a label made of
markup shows as text; an editor signs in, uploads a graph through the graphs page's form, and
forged writes without the CSRF token (from the page, or from another site) are refused.
Screenshots of the home and initiative pages go to ``build/screenshots/`` (git-ignored) for a
look by eye.

The browser is Debian's ``chromium`` driven by the PyPI ``playwright`` package; never run
``playwright install`` (it downloads a browser). Playwright's auto-waiting stands in for sleeps.
"""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from playwright.sync_api import Browser, BrowserContext, Locator, Page, expect, sync_playwright

from essaim.canned import bundled_queries, in_language
from essaim_server_fixtures import GRAPHS, EssaimServer

pytestmark = pytest.mark.system("chromium")

REPO = Path(__file__).resolve().parents[1]
SCREENSHOTS = REPO / "build" / "screenshots"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]  # fmt: skip

KB = "https://w3id.org/essaim/kb/"
FOUNDING_PATH = "/kb/initiative/sarthe-ceas72-mise-en-reseau-ess"
SARTHE = KB + "territory/sarthe"
XSS_LABEL = "<script>window.__pwned=1</script><img src=x onerror=window.__pwned=2>"

# A first query on a cold server can take a few seconds; Playwright's default is 5 s.
expect.set_options(timeout=20_000)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """One headless Chromium for the whole module, closed with it: Playwright's sync API keeps
    an event loop running in the main thread while it is open, which later tests' asyncio.run
    (the command line's query, the executors) cannot share."""
    executable = shutil.which("chromium") or "/usr/bin/chromium"
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


class Tab:
    """A page in its own browser context, with the script errors and failed requests it saw."""

    def __init__(self, context: BrowserContext) -> None:
        self.context = context
        self.page = context.new_page()
        self.errors: list[str] = []
        self.console: list[str] = []
        self.page.on("console", lambda message: self.console.append(message.text))
        self.page.on("pageerror", lambda error: self.errors.append(f"script error: {error}"))
        self.page.on(
            "response",
            lambda r: (
                self.errors.append(f"HTTP {r.status} {r.url}")
                if r.status >= 400 and not r.url.endswith("/favicon.ico")
                else None
            ),
        )

    @property
    def csp_violations(self) -> list[str]:
        """What the browser refused under the Content-Security-Policy, as it says in the console."""
        return [text for text in self.console if "Content Security Policy" in text]


@pytest.fixture
def open_tab(browser: Browser) -> Iterator[Callable[..., Tab]]:
    """A factory of fresh browser contexts (English, 1280 px wide), closed after the test."""
    contexts: list[BrowserContext] = []

    def open_(**options: Any) -> Tab:
        settings: dict[str, Any] = {"locale": "en-US", "viewport": {"width": 1280, "height": 900}}
        context = browser.new_context(**{**settings, **options})
        contexts.append(context)
        return Tab(context)

    yield open_
    for context in contexts:
        context.close()


def screenshot(page: Page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SCREENSHOTS / f"{name}.png", full_page=True)


def wait_for_picture(page: Page, selector: str) -> None:
    """Wait until the (lazy) image has loaded and decoded to a real picture."""
    image = page.locator(selector)
    image.scroll_into_view_if_needed()
    page.wait_for_function(
        "image => image.complete && image.naturalWidth > 0", arg=image.element_handle()
    )


def section_items(page: Page, heading: str) -> tuple[Locator, Locator]:
    """The items of the list under the <h2> starting with ``heading``, and their quotes."""
    items = page.locator(f"h2:has-text('{heading}') + ul > li")
    return items, page.locator(f"h2:has-text('{heading}') + ul > li blockquote")


# -- from the home page to an initiative and an actor ---------------------------------------------


def test_home_initiative_and_actor_pages(
    kb_server: EssaimServer, open_tab: Callable[..., Tab]
) -> None:
    tab = open_tab()
    page = tab.page
    page.goto(kb_server.url + "/")
    expect(page).to_have_title(re.compile("essaim"))
    for kind in ("Initiatives", "Actors"):
        count = page.locator(".card", has_text=kind)
        expect(count).to_have_count(1)
        assert int(re.sub(r"\D", "", count.locator(".n").inner_text())) >= 1, kind
    founding = page.locator(f"main a[href='{FOUNDING_PATH}']").first
    expect(founding).to_be_visible()
    title = founding.inner_text().strip()
    assert title
    screenshot(page, "home")

    # The founding initiative: title, carrier, barriers with their passages, the network.
    founding.click()
    expect(page).to_have_url(kb_server.url + FOUNDING_PATH)
    expect(page.locator("h1")).to_have_text(title)
    expect(page).to_have_title(re.compile("^" + re.escape(title)))
    carrier = page.locator("tr", has=page.locator("th", has_text="Carrier")).get_by_role(
        "link", name="CEAS 72", exact=True
    )
    expect(carrier).to_be_visible()
    barriers, passages = section_items(page, "Barriers")
    expect(barriers.first).to_be_visible()
    # the four barriers met (ontology 0.2); the needs the 2006 diagnosis addresses are apart
    assert barriers.count() == 4
    assert passages.count() >= barriers.count()  # every barrier here has at least one passage
    expect(
        page.locator("h2:has-text('Barriers') + ul > li", has_text="Lack of facilitation resources")
        .locator("blockquote")
    ).to_contain_text("absence de moyens pour assurer l’animation")  # fmt: skip
    picture = "figure.network img"
    expect(page.locator(picture)).to_have_attribute("src", re.compile(r"^/network\.svg\?"))
    wait_for_picture(page, picture)
    screenshot(page, "initiative")

    # On to the carrier's page: its name as the heading, its partners listed.
    carrier.click()
    expect(page).to_have_url(kb_server.url + "/kb/actor/ceas-72")
    expect(page.locator("h1")).to_have_text("CEAS 72")
    expect(page).to_have_title(re.compile("^CEAS 72"))
    partners = page.locator("h2:has-text('Partners') + ul > li")
    expect(partners.first).to_be_visible()
    expect(partners.filter(has_text="UD CUMA of Sarthe")).to_have_count(1)
    expect(page.locator(f"main a[href='{FOUNDING_PATH}']").first).to_have_text(title)
    wait_for_picture(page, picture)

    # A partner's page, reached from the carrier's list (the local branch of a national network).
    partners.get_by_role("link", name="ADMR in Sarthe", exact=True).click()
    expect(page.locator("h1")).to_have_text("ADMR in Sarthe")
    expect(page.locator("h2:has-text('Partners') + ul > li", has_text="CEAS 72")).to_have_count(1)
    assert tab.errors == []


# -- running queries ------------------------------------------------------------------------------


def test_a_canned_query_runs_in_yasgui(
    kb_server: EssaimServer, open_tab: Callable[..., Tab]
) -> None:
    queries = bundled_queries()
    page = open_tab().page
    page.goto(kb_server.url + "/editor")
    tabs = page.locator(".yasgui .tabsList .tab")
    code = page.locator(".tabPanel.active .CodeMirror")

    # A canned query's tab holds its text.
    first = next(iter(queries.values()))
    tabs.filter(has_text=in_language(first.title, "en")).click()
    expect(code).to_contain_text(first.text.splitlines()[0])

    # Back in the first tab, a query typed in replaces the default one, and runs.
    tabs.first.click()
    expect(code).to_contain_text("SELECT ?initiative ?title")
    code.click()
    page.keyboard.press("ControlOrMeta+a")
    text = queries["barriers-by-territory"].text
    page.keyboard.insert_text(text)
    assert code.evaluate("element => element.CodeMirror.getValue()") == text
    with page.expect_response(lambda r: r.url.endswith("/sparql")) as answer:
        page.locator(".tabPanel.active .yasqe_queryButton").click()
    assert answer.value.status == 200
    table = page.locator(".tabPanel.active .yasr table.dataTable")
    expect(table.locator("tbody tr").first).to_be_visible()
    expect(table.locator("thead")).to_contain_text("barrierLabel")
    expect(table).to_contain_text(SARTHE)
    assert table.locator("tbody tr").count() >= 5


def test_yasgui_has_a_tab_for_every_canned_query(
    kb_server: EssaimServer, open_tab: Callable[..., Tab]
) -> None:
    tab = open_tab()
    tab.page.goto(kb_server.url + "/editor")
    tabs = tab.page.locator(".yasgui .tabsList .tab")
    expect(tabs.first).to_be_visible()
    tab.page.wait_for_load_state("load")  # static/editor.js has run
    names = [name.strip() for name in tabs.locator("a[role=tab] > span").all_inner_texts()]
    assert tab.errors == []
    assert names[1:] == [in_language(q.title, "en") for q in bundled_queries().values()]


def test_the_editor_without_javascript_is_a_plain_form(
    kb_server: EssaimServer,
    open_tab: Callable[..., Tab],
) -> None:
    page = open_tab(java_script_enabled=False).page
    page.goto(kb_server.url + "/editor")
    form = page.locator("form#plain-editor")
    expect(form).to_be_visible()
    expect(page.locator(".yasgui")).to_have_count(0)
    expect(form.locator("textarea")).to_have_value(re.compile(r"SELECT \?initiative \?title"))
    form.get_by_role("button").click()
    expect(page).to_have_url(re.compile(r"/editor\?.*run=1"))
    rows = page.locator("table.results tr:has(td)")
    expect(rows.first).to_be_visible()
    expect(page.locator("table.results")).to_contain_text("kb:initiative/")  # the default query
    expect(page.get_by_role("link", name="CSV", exact=True)).to_have_attribute(
        "href", re.compile(r"^/sparql\?.*format=csv")
    )


def test_a_canned_query_page_runs_with_its_form(
    kb_server: EssaimServer, open_tab: Callable[..., Tab]
) -> None:
    tab = open_tab()
    page = tab.page
    page.goto(kb_server.url + "/queries/barriers-by-territory")
    expect(page.locator("table.results")).to_have_count(0)
    # the territory picked with the keyboard: words typed, the list follows them (search as
    # you type), arrow down into the list, Enter runs the query with the territory's IRI
    words = page.get_by_label("Words to search (territory)")
    words.focus()
    page.keyboard.type("Sarthe")
    expect(page.locator("#p-territory option", has_text="Sarthe").first).to_be_attached()
    expect(page.locator("#s-territory")).to_contain_text("match")
    page.keyboard.press("ArrowDown")
    expect(page.locator("#p-territory")).to_be_focused()
    for _ in range(page.locator("#p-territory option").count()):
        if page.locator("#p-territory").input_value() == SARTHE:
            break
        page.keyboard.press("ArrowDown")
    expect(page.locator("#p-territory")).to_have_value(SARTHE)
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"territory=" + re.escape(quote(SARTHE, safe=""))))
    assert "run=1" in page.url
    expect(page.locator("#p-territory")).to_have_value(SARTHE)  # still chosen, with its label
    expect(page.locator("#p-territory option:checked")).to_have_text("Sarthe")
    rows = page.locator("table.results tr:has(td)")
    expect(rows.first).to_be_visible()
    assert rows.count() >= 4  # the founding case's four barriers met, at least
    expect(page.locator("table.results td").first).to_have_text("kb:territory/sarthe")
    csv = page.get_by_role("link", name="CSV", exact=True)
    href = csv.get_attribute("href")
    assert href and "format=csv" in href
    download = page.request.get(kb_server.url + href)
    assert download.status == 200
    assert download.headers["content-type"].startswith("text/csv")
    assert download.text().startswith("territory,") and SARTHE in download.text()
    assert tab.errors == []


# -- markup in data and parameters stays text -----------------------------------------------------


def untouched(page: Page) -> None:
    """No injected script ran and no script element carries the payload."""
    assert page.evaluate("typeof window.__pwned") == "undefined"
    carriers = page.evaluate(
        """() => [...document.querySelectorAll("script")]
            .filter(s => s.type !== "application/ld+json" && s.type !== "application/json")
            .filter(s => s.textContent.includes("pwned")).length"""
    )
    assert carriers == 0
    assert page.locator("img[src='x']").count() == 0


def test_a_label_made_of_markup_shows_as_text(
    start_server: Callable[..., EssaimServer],
    open_tab: Callable[..., Tab],
) -> None:
    server = start_server("--no-load")
    actor = KB + "actor/xss"
    turtle = f"""
        <{actor}> a <https://w3id.org/essaim/ontology#Organisation> ;
            <http://www.w3.org/2004/02/skos/core#prefLabel> {json.dumps(XSS_LABEL)}@fr ;
            <https://w3id.org/essaim/ontology#actorType>
                <https://w3id.org/essaim/codebook/actor-type/not-stated> .
    """
    written = httpx.put(
        server.url + "/rdf-graphs",
        params={"graph": GRAPHS + "tests/xss"},
        content=turtle.encode(),
        headers={"Content-Type": "text/turtle", **server.auth("admin")},
        timeout=60,
    )
    assert written.status_code in (200, 201, 204), written.text

    page = open_tab().page
    page.goto(server.url + "/kb/actor/xss")
    expect(page.locator("h1")).to_have_text(XSS_LABEL)
    assert "<script>" in page.locator("h1").inner_text()
    assert XSS_LABEL in page.title()
    untouched(page)
    embedded = page.evaluate(
        """() => [...document.querySelectorAll('script[type="application/ld+json"]')]
            .map(s => JSON.parse(s.textContent))"""
    )
    assert embedded and XSS_LABEL in json.dumps(embedded, ensure_ascii=False)

    # The network picture opened as a document of its own (scripts would run there).
    page.goto(server.url + "/network.svg?actor=" + quote(actor, safe=""))
    untouched(page)

    # The search page, once there is one.
    response = page.goto(server.url + "/search?q=script")
    assert response is not None
    if response.status != 404:
        assert response.status == 200
        expect(page.locator("main")).to_contain_text(XSS_LABEL)
        untouched(page)


def test_markup_in_query_parameters_stays_text(
    kb_server: EssaimServer, open_tab: Callable[..., Tab]
) -> None:
    query = (
        'SELECT * WHERE { ?s ?p "</script><script>window.__pwned=3</script>'
        '</textarea><b id=injected>x</b>" } LIMIT 1'
    )
    editor = f"{kb_server.url}/editor?run=1&query={quote(query, safe='')}"
    page = open_tab().page
    page.goto(editor)  # YASGUI, its configuration from a JSON script element
    expect(page.locator(".tabPanel.active .CodeMirror")).to_contain_text("window.__pwned=3")
    assert (
        page.evaluate(
            "() => document.querySelector('.tabPanel.active .CodeMirror').CodeMirror.getValue()"
        )
        == query
    )
    untouched(page)
    assert page.locator("#injected").count() == 0

    plain = open_tab(java_script_enabled=False).page
    plain.goto(editor)  # the plain form, the query back in its textarea
    expect(plain.locator("form#plain-editor textarea")).to_have_value(query)
    assert plain.locator("#injected").count() == 0

    territory = '"><script>window.__pwned=4</script>'
    page.goto(f"{kb_server.url}/queries/barriers-by-territory?run=1&territory={quote(territory)}")
    expect(page.locator("#p-territory")).to_have_value(territory)
    untouched(page)


# -- under the Content-Security-Policy ------------------------------------------------------------


def test_the_editor_works_under_the_csp(
    kb_server: EssaimServer, open_tab: Callable[..., Tab]
) -> None:
    """YASGUI runs a query and shows its results with no CSP violation; a ``javascript:`` IRI
    in its results table does not run when clicked (YASR gives it no href; the policy would
    refuse it anyway)."""
    tab = open_tab()
    page = tab.page
    response = page.goto(kb_server.url + "/editor")
    assert response is not None
    assert "script-src 'self';" in response.headers["content-security-policy"]
    with page.expect_response(lambda r: r.url.endswith("/sparql")) as answer:
        page.locator(".tabPanel.active .yasqe_queryButton").click()
    assert answer.value.status == 200
    table = page.locator(".tabPanel.active .yasr table.dataTable")
    expect(table).to_contain_text("kb:initiative/")  # the default query's initiatives

    code = page.locator(".tabPanel.active .CodeMirror")
    code.click()
    page.keyboard.press("ControlOrMeta+a")
    page.keyboard.insert_text("SELECT ?x { BIND(<javascript:window.__pwned=5> AS ?x) }")
    with page.expect_response(lambda r: r.url.endswith("/sparql")):
        page.locator(".tabPanel.active .yasqe_queryButton").click()
    link = table.locator("a", has_text="javascript:")
    expect(link).to_be_visible()
    assert not (link.get_attribute("href") or "").lower().startswith("javascript:")
    link.click()
    untouched(page)
    assert tab.errors == []
    assert tab.csp_violations == []


def test_pages_and_the_docs_have_no_csp_violation(
    kb_server: EssaimServer, open_tab: Callable[..., Tab]
) -> None:
    """/docs renders Swagger UI from this node (no request leaves it), and the pages, the
    endpoint's page for browsers included, load under the policy without a violation."""
    tab = open_tab()
    page = tab.page
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    page.goto(kb_server.url + "/docs")
    expect(page.locator(".swagger-ui .info .title")).to_contain_text("essaim")
    expect(page.locator(".swagger-ui .opblock-tag-section").first).to_be_visible()
    expect(page.locator(".swagger-ui .opblock-summary-path").first).to_contain_text("/sparql")
    for path in ("/", FOUNDING_PATH, "/queries", "/ontology", "/kb/no/such/page"):
        page.goto(kb_server.url + path)
    page.goto(kb_server.url + "/sparql")
    expect(page.get_by_role("heading", level=1)).to_have_text("SPARQL endpoint")
    page.get_by_role("link", name="Write and run a query in the SPARQL editor").click()
    expect(page).to_have_url(re.compile(r"/editor$"))
    assert [url for url in requested if not url.startswith(kb_server.url)] == []
    assert any(url.endswith("/swagger-ui/swagger-ui-bundle.js") for url in requested)
    assert tab.csp_violations == []
    assert [e for e in tab.errors if "/kb/no/such/page" not in e] == []


# -- signing in and writing through a form --------------------------------------------------------

PASSWORD = "browser test password"  # noqa: S105 (a test account's)
TURTLE = '<https://example.org/browser> <http://purl.org/dc/terms/title> "from the form" .\n'


def graph_size(server: EssaimServer, graph: str) -> int:
    response = httpx.get(
        server.sparql,
        params={"query": f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{graph}> {{ ?s ?p ?o }} }}"},
        headers={"Accept": "application/sparql-results+json"},
        timeout=60,
    )
    assert response.status_code == 200, response.text
    return int(response.json()["results"]["bindings"][0]["n"]["value"])


def test_sign_in_upload_through_the_form_and_forgeries_are_refused(
    empty_server: EssaimServer, open_tab: Callable[..., Tab], tmp_path: Path
) -> None:
    from essaim.sessions import Sessions
    from essaim.users import UserStore, users_path

    Sessions(UserStore(users_path(empty_server.data_dir))).set_password("editor", PASSWORD)
    graph = GRAPHS + "tests/browser-upload"
    tab = open_tab()
    page = tab.page

    # Signing in from the header's link comes back to the graphs page.
    page.goto(empty_server.url + "/graphs")
    expect(page.locator("form.upload")).to_have_count(0)
    page.locator("header .account").get_by_role("link", name="Sign in").click()
    expect(page).to_have_url(re.compile(r"/login\?next=/graphs$"))
    form = page.locator("#password-form")
    form.get_by_label("Name").fill("editor")
    form.get_by_label("Password").fill(PASSWORD)
    form.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(empty_server.url + "/graphs")
    expect(page.locator("header .account")).to_contain_text("Signed in: editor")
    screenshot(page, "graphs-signed-in")
    cookie = next(c for c in tab.context.cookies() if c["name"] == "essaim_session")
    assert cookie["httpOnly"] and cookie["sameSite"] == "Lax" and not cookie["secure"]
    assert page.evaluate("document.cookie").find("essaim_session") == -1  # HttpOnly

    # The upload form writes a Turtle file and leads to the graph's page.
    source = tmp_path / "initiative.ttl"
    source.write_text(TURTLE)
    upload = page.locator("form.upload")
    upload.locator("input[type=file]").set_input_files(source)
    upload.get_by_label("Graph (IRI or path)").fill("tests/browser-upload")
    upload.get_by_role("button", name="Upload").click()
    expect(page).to_have_url(re.compile(r"/graph\?iri=.*browser-upload&written=created$"))
    expect(page.locator("p.notice")).to_have_text("Graph created (1 triples)")
    expect(page.locator("h1")).to_have_text(graph)
    assert graph_size(empty_server, graph) == 1
    screenshot(page, "graph-uploaded")

    # Forgeries, from the node's own page but without the CSRF token: refused, nothing changes.
    forged = page.evaluate(
        """async (graph) => {
            const put = await fetch('/rdf-graphs?graph=' + encodeURIComponent(graph), {
                method: 'PUT', headers: {'Content-Type': 'application/n-triples'}, body: ''});
            const form = new FormData();
            form.append('graph', graph);
            form.append('file', new Blob([''], {type: 'text/turtle'}), 'empty.ttl');
            const upload = await fetch('/graphs/upload', {method: 'POST', body: form});
            const drop = await fetch('/rdf-graphs?graph=' + encodeURIComponent(graph),
                                     {method: 'DELETE'});
            return [put.status, upload.status, drop.status, await put.text()];
        }""",
        graph,
    )
    assert forged[:3] == [403, 403, 403], forged
    assert "CSRF token" in forged[3]
    # A page on another site posting the upload form: the cookie stays home (SameSite), and
    # the request is refused.
    evil = "http://evil.example/"
    page.route(
        evil,
        lambda route: route.fulfill(
            content_type="text/html",
            body=f"""<form id="f" method="post" action="{empty_server.url}/graphs/upload"
                enctype="multipart/form-data"><input name="graph" value="{graph}">
                <input name="csrf_token" value="guessed"><input name="mode" value="replace">
                </form><script>document.getElementById('f').submit()</script>""",
        ),
    )
    with page.expect_response(lambda r: r.url.endswith("/graphs/upload")) as answer:
        page.goto(evil)
    assert answer.value.status in (401, 403)
    assert graph_size(empty_server, graph) == 1
    page.goto(empty_server.url + "/graph?iri=" + quote(graph, safe=""))
    expect(page.locator("h1")).to_have_text(graph)

    # The SPARQL editor sends a signed-in person's updates with the session's CSRF token.
    page.goto(empty_server.url + "/editor")
    code = page.locator(".tabPanel.active .CodeMirror")
    code.click()
    page.keyboard.press("ControlOrMeta+a")
    page.keyboard.insert_text(
        f"INSERT DATA {{ GRAPH <{graph}> {{ <https://example.org/browser> "
        '<http://purl.org/dc/terms/subject> "from the editor" } }'
    )
    with page.expect_response(lambda r: r.url.endswith("/sparql")) as answer:
        page.locator(".tabPanel.active .yasqe_queryButton").click()
    assert answer.value.status in (200, 204), answer.value.text()
    assert graph_size(empty_server, graph) == 2

    # Signing out ends the session: the header offers to sign in again.
    page.locator("header form.signout").get_by_role("button", name="Sign out").click()
    expect(page.locator("header .account")).to_contain_text("Sign in")
    assert not [c for c in tab.context.cookies() if c["name"] == "essaim_session"]


# -- a territory's figures and map, and a comparison ----------------------------------------------


def test_territory_page_and_comparison(
    kb_server: EssaimServer, open_tab: Callable[..., Tab]
) -> None:
    tab = open_tab()
    page = tab.page
    page.goto(kb_server.url + "/kb/territory/sarthe")
    expect(page.locator("h1")).to_have_text("Sarthe")
    families = page.locator("table.shares.families tr")
    expect(families.first).to_be_visible()
    assert re.search(r"\d+ of \d+", families.first.inner_text())
    wait_for_picture(page, "figure.map img")
    screenshot(page, "territory")

    page.get_by_role("link", name="Compare with other territories").click()
    chosen = page.locator("#compare-territories option:checked")
    expect(chosen).to_have_count(1)
    expect(chosen).to_have_attribute("value", SARTHE)
    page.select_option("#compare-territories", [SARTHE, KB + "territory/argentina"])
    page.get_by_role("button", name="Compare").click()
    expect(page).to_have_url(re.compile(r"/compare\?territory=.*&territory="))
    header = page.locator("table.compare thead tr").first.locator("th")
    expect(header).to_have_text(["Value", "Argentina", "Sarthe"])  # the form's order, by name
    expect(page.locator("tbody.families tr").nth(1)).to_contain_text(" of ")
    wait_for_picture(page, "figure.chart img")
    screenshot(page, "compare")
    assert tab.errors == [] and tab.csp_violations == []


# -- the CSV import form ------------------------------------------------------------------------


def test_an_editor_imports_the_csv_template_through_the_form(
    start_server: Callable[..., EssaimServer], open_tab: Callable[..., Tab], tmp_path: Path
) -> None:
    """Signed in as an editor, the import form takes the template's filled example (six CSV
    files) and reports what it loaded; a broken copy is refused with the file, row and column of
    each problem, and loads nothing. A server of its own (the default knowledge base copied):
    the example's initiatives must not join the session's shared one."""
    from essaim.sessions import Sessions
    from essaim.users import UserStore, users_path

    server = start_server()
    Sessions(UserStore(users_path(server.data_dir))).set_password("editor", PASSWORD)
    example = sorted((REPO / "kb" / "templates" / "csv" / "example").glob("*.csv"))
    assert len(example) == 6
    tab = open_tab()
    page = tab.page
    page.goto(server.url + "/import-csv")
    expect(page.locator("form.upload")).to_have_count(0)  # readers are asked to sign in
    page.get_by_role("main").get_by_role("link", name="Sign in").click()
    form = page.locator("#password-form")
    form.get_by_label("Name").fill("editor")
    form.get_by_label("Password").fill(PASSWORD)
    form.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(server.url + "/import-csv")

    upload = page.locator("form.upload")
    upload.locator("input[type=file]").set_input_files(example)
    upload.get_by_label("Batch name").fill("browser-example")
    upload.get_by_role("button", name="Publish").click()
    expect(page.locator("section.ingest-report h2")).to_have_text("Files published")
    graph = GRAPHS + "csv/browser-example"
    report = page.locator("section.ingest-report pre.report")
    expect(report).to_contain_text(f"graph {graph}: 2 initiatives")
    expect(report).to_contain_text(f"{graph}: loaded,")
    size = graph_size(server, graph)
    assert size > 0
    screenshot(page, "import-csv-report")

    # A broken copy: a year with a letter in it and an unknown sector; nothing is loaded.
    broken = tmp_path / "broken"
    broken.mkdir()
    for path in example:
        text = path.read_text(encoding="utf-8")
        if path.name == "initiatives.csv":
            text = text.replace(",2019,", ",20l9,").replace("recycling-reuse", "no-such-sector")
        (broken / path.name).write_text(text, encoding="utf-8")
    page.goto(server.url + "/import-csv")
    upload.locator("input[type=file]").set_input_files(sorted(broken.glob("*.csv")))
    upload.get_by_label("Batch name").fill("browser-broken")
    upload.get_by_role("button", name="Publish").click()
    expect(page.locator("h1")).to_have_text("Files refused: nothing was loaded")
    problems = page.locator("main li")
    expect(problems.filter(has_text="initiatives.csv, row 3, column start_year")).to_have_count(1)
    expect(problems.filter(has_text="'20l9' is not a year")).to_have_count(1)
    expect(problems.filter(has_text="initiatives.csv, row 2, column sectors")).to_have_count(1)
    assert graph_size(server, GRAPHS + "csv/browser-broken") == 0
    assert graph_size(server, graph) == size
