"""Agreement and adjudication in a real headless Chromium against a real ``essaim serve``: two
coders coded the mini case differently; an editor signs in, the agreement page shows where
they differ, the editor settles a disagreement on the adjudication page, and the initiative's
page shows the coded fact with its passage. Debian's ``chromium``, driven by ``playwright``
(never ``playwright install``)."""

from __future__ import annotations

import gc
import shutil
from collections.abc import Iterator
from urllib.parse import quote

import pytest
from playwright.sync_api import Browser, expect, sync_playwright

from annotation_data import INITIATIVE, annotations, public_store
from essaim.annotation.storage import AnnotationStore, annotations_path
from essaim.sessions import Sessions
from essaim.users import UserStore, users_path
from essaim_server_fixtures import EssaimServer, _stop, launch

pytestmark = pytest.mark.system("chromium")

PASSWORD = "a long enough password"  # noqa: S105 (a test account's)
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]  # fmt: skip
expect.set_options(timeout=20_000)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EssaimServer]:
    root = tmp_path_factory.mktemp("annotation-browser")
    data_dir = root / "data"
    data_dir.mkdir()
    public_store(root, data_dir / "store").close()
    store = AnnotationStore(annotations_path(data_dir))
    store.put_all(annotations())
    store.close()
    del store
    gc.collect()  # the stores' locks go with the objects
    started = launch(root, "--no-load")
    Sessions(UserStore(users_path(data_dir))).set_password("editor", PASSWORD)
    try:
        yield started
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


def test_an_editor_settles_a_disagreement_and_the_fact_shows(
    server: EssaimServer, browser: Browser
) -> None:
    context = browser.new_context(locale="en-US")
    page = context.new_page()
    initiative = quote(INITIATIVE, safe="")
    page.goto(f"{server.url}/login?next=/agreement%3Finitiative%3D{initiative}")
    form = page.locator("#password-form")
    form.get_by_label("Name").fill("editor")
    form.get_by_label("Password").fill(PASSWORD)
    form.get_by_role("button", name="Sign in").click()
    expect(page.locator("h1")).to_have_text("Agreement between coders")
    expect(page.locator("section.disagreement")).to_have_count(3)
    expect(page.locator("[data-measure=alpha-pooled]")).not_to_have_text("—")
    page.get_by_role("link", name="Adjudication").first.click()
    expect(page.locator("form.decide")).to_have_count(3)
    first = page.locator("section.disagreement").first
    first.locator("input[type=radio][value^='coder:']").first.check()
    first.get_by_role("button", name="Save").click()
    expect(page.locator("form.decide")).to_have_count(3)  # decided units stay, marked
    expect(page.locator("p.decision")).to_have_count(1)
    expect(page.locator("#pending")).to_have_text("2")
    page.goto(f"{server.url}/kb/initiative/mini-case?lang=en")
    expect(page.get_by_text("Lack of time").first).to_be_visible()
    # the passage of the unit just settled (Alice's code kept) is now under the fact
    expect(page.locator("blockquote", has_text="mal reconnue dans le département")).to_have_count(1)
    context.close()
