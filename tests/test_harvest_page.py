"""The ``/harvest`` page (``essaim.web.pages.harvest_pages``), in process: editors and admins
only, a form that harvests as ``POST /api/harvest`` does (same refusals and messages, CSRF
checked), and the last outcome of each source, scheduled or not, escaped. The peers here are
down (a free loopback port): a refused or failed harvest changes nothing; the page showing a
successful harvest's changes is tested against a real peer in ``test_harvest.py``."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager

import httpx
import pytest

from essaim.sessions import Sessions
from essaim.users import UserStore, users_path
from essaim_app_fixtures import EssaimApp, open_app
from essaim_server_fixtures import free_port

PASSWORD = "a long enough password"  # noqa: S105 (a test account's)
HOSTILE = "/<script>alert(1)</script>"


@pytest.fixture(scope="module")
def down() -> str:
    return f"http://127.0.0.1:{free_port()}"


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory, down: str) -> Iterator[EssaimApp]:
    with ExitStack() as stack:
        node = open_app(stack, tmp_path_factory.mktemp("harvest-page"), load_on_start=False,
                        load_sources=(down + "/",), harvest=((down, 3600.0),))  # fmt: skip
        sessions = Sessions(UserStore(users_path(node.data_dir), cache_lifetime=0))
        for name in ("editor", "annotator"):
            sessions.set_password(name, PASSWORD)
        yield node


@contextmanager
def signed_in(app: EssaimApp, name: str) -> Iterator[httpx.Client]:
    with app.client() as client:
        response = client.post("/login", data={"name": name, "password": PASSWORD})
        assert response.status_code in (200, 303), response.text
        yield client


def csrf_of(page: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert match, "no CSRF token on the page"
    return match.group(1)


def test_editors_only(app: EssaimApp) -> None:
    anonymous = app.get("/harvest")
    assert anonymous.status_code == 200 and 'action="/harvest"' not in anonymous.text
    assert 'href="/login?next=/harvest"' in anonymous.text
    with signed_in(app, "annotator") as client:
        refused = client.get("/harvest")
        assert refused.status_code == 403 and "may not see the harvests" in refused.text
        token = csrf_of(refused.text)  # the sign-out form's: the session is valid
        posted = client.post("/harvest", data={"url": "http://x.example", "csrf_token": token})
        assert posted.status_code == 403 and "may not harvest another node" in posted.text
    assert app.get("/harvest", headers=app.auth("annotator")).status_code == 403


def test_the_page_lists_the_scheduled_harvest(app: EssaimApp, down: str) -> None:
    with signed_in(app, "editor") as client:
        assert 'href="/harvest"' in client.get("/graphs").text
        page = client.get("/harvest", params={"lang": "en"})
        assert page.status_code == 200 and 'action="/harvest"' in page.text
        assert "Scheduled harvests (ESSAIM_HARVEST)" in page.text and down in page.text
        assert "<script" not in page.text
        fr = client.get("/harvest", params={"lang": "fr"})
        assert "Moissons programmées" in fr.text


def test_a_refused_url_shows_the_message_and_changes_nothing(app: EssaimApp) -> None:
    before = set(app.store.named_graphs())
    elsewhere = f"http://127.0.0.2:{free_port()}" + HOSTILE
    with signed_in(app, "editor") as client:
        token = csrf_of(client.get("/harvest").text)
        # without the CSRF token: refused before anything is tried
        assert client.post("/harvest", data={"url": elsewhere}).status_code == 403
        refused = client.post("/harvest", data={"url": elsewhere, "csrf_token": token})
        assert refused.status_code == 403
        assert "ESSAIM_LOAD_SOURCES" in refused.text
        assert "<script>alert(1)</script>" not in refused.text
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in refused.text
        bad = client.post(
            "/harvest", data={"url": elsewhere, "timeout": "1e9", "csrf_token": token}
        )
        assert bad.status_code == 422 and "at most 120" in bad.text
        listed = client.get("/harvest").text
        assert "127.0.0.2" not in listed, "a refused URL is no outcome"
    assert set(app.store.named_graphs()) == before


def test_a_failed_harvest_is_listed_escaped(app: EssaimApp, down: str) -> None:
    before = set(app.store.named_graphs())
    with signed_in(app, "editor") as client:
        token = csrf_of(client.get("/harvest").text)
        failed = client.post("/harvest", data={"url": down + HOSTILE, "csrf_token": token,
                                               "timeout": "5", "lang": "en"})  # fmt: skip
        assert failed.status_code == 502 and "could not be reached" in failed.text
        listed = client.get("/harvest", params={"lang": "en"}).text
        assert "Other harvests since the server started" in listed
        assert "<script>alert(1)</script>" not in listed
        assert f"{down}/&lt;script&gt;alert(1)&lt;/script&gt;" in listed
    assert set(app.store.named_graphs()) == before
