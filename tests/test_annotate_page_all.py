"""The annotation page draws every annotation of a document, not only the container's first page
(200): a coder's 201 codes on a document of its own, in a real headless Chromium against the
browser tests' ``essaim serve`` (``kb_server``). The text annotator is the npm package
``@recogito/text-annotator`` (``make setup``); without it this test skips locally and fails under
CI."""

from __future__ import annotations

import json
from collections.abc import Callable

import httpx
import pytest
from playwright.sync_api import expect

import test_browser
from essaim_server_fixtures import EssaimServer
from test_annotate_page import LACK_OF_TIME, annotator_installed, page_path, sign_in
from test_browser import Tab

pytestmark = pytest.mark.system("chromium")
browser = test_browser.browser
open_tab = test_browser.open_tab

DOCUMENT = "https://w3id.org/essaim/kb/document/test-browser-many-codes"
GRAPH = "https://w3id.org/essaim/graph/tests/browser-many-codes"
#: One more than the container's page (essaim.web.protocols.annotations.PAGE_SIZE).
COUNT = 201
WORDS = [f"mot{i:03d}" for i in range(COUNT)]
TEXT = " ".join(WORDS)


def test_the_page_draws_more_than_one_page_of_codes(
    kb_server: EssaimServer, open_tab: Callable[..., Tab]
) -> None:
    annotator_installed(kb_server)
    update = (
        f"INSERT DATA {{ GRAPH <{GRAPH}> {{ <{DOCUMENT}> a "
        f"<https://w3id.org/essaim/ontology#CaseDocument> ; "
        f"<https://w3id.org/essaim/ontology#fullText> {json.dumps(TEXT)} }} }}"
    )
    written = httpx.post(
        kb_server.sparql, data={"update": update}, headers=kb_server.auth("admin"), timeout=60
    )
    assert written.status_code in (200, 204), written.text
    made: list[str] = []
    headers = {**kb_server.auth("annotator"), "Content-Type": "application/ld+json"}
    try:
        with httpx.Client(base_url=kb_server.url, headers=headers, timeout=30) as client:
            for i, word in enumerate(WORDS):
                start = i * 7
                body = {
                    "@context": "http://www.w3.org/ns/anno.jsonld",
                    "type": "Annotation",
                    "motivation": "classifying",
                    "body": LACK_OF_TIME,
                    "target": {
                        "source": DOCUMENT,
                        "selector": [
                            {"type": "TextPositionSelector", "start": start, "end": start + 6},
                            {"type": "TextQuoteSelector", "exact": word},
                        ],
                    },
                }
                response = client.post("/api/annotations/", content=json.dumps(body))
                assert response.status_code == 201, response.text
                made.append(response.headers["Location"])
        tab = open_tab()
        sign_in(tab.page, kb_server, "annotator", page_path(DOCUMENT))
        expect(tab.page.locator("#case-text")).to_have_attribute(
            "data-highlights", str(COUNT), timeout=30_000
        )
        assert not tab.errors, tab.errors
    finally:
        for url in made:
            httpx.delete(url, headers=kb_server.auth("annotator"), timeout=30)
        httpx.post(
            kb_server.sparql,
            data={"update": f"DROP SILENT GRAPH <{GRAPH}>"},
            headers=kb_server.auth("admin"),
            timeout=60,
        )
