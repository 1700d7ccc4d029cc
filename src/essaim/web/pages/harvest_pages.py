"""Harvests over the web: the page for editors and admins (``/harvest``, linked from
``/graphs``). A form harvests another node's URL as ``POST /api/harvest`` does (the same
allow-list ``ESSAIM_LOAD_SOURCES``, graph scope, time limit and messages: a refused URL is
shown and changes nothing), and the page lists the last outcome of each source — the ones
``ESSAIM_HARVEST`` schedules and the ones harvested on demand — with what changed.

Signed-in editors and admins (a form posts with the session's CSRF token); a reader or an
annotator gets 403, a visitor who is not signed in a link to sign in.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from essaim.web.access import require_editor, user_of, writer
from essaim.web.node import node_of
from essaim.web.pages.i18n import language_of, words
from essaim.web.pages.templating import render
from essaim.web.problems import Problem
from essaim.web.protocols.harvest import HARVEST_TIMEOUT_S, others, run_harvest, scheduled
from essaim.web.session_cookie import CSRF_FIELD
from essaim.web.signin import error_page, field, read_form

router = APIRouter(include_in_schema=False)


def _page(request: Request, status: int = 200, **context: object) -> Response:
    node = node_of(request)
    return render(
        request, "harvest.html", status=status, scheduled=scheduled(request, node),
        others=others(request, node), limit=HARVEST_TIMEOUT_S, **context,
    )  # fmt: skip


def _timeout(text: str) -> float:
    if not text.strip():
        return HARVEST_TIMEOUT_S
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not 0 < value <= HARVEST_TIMEOUT_S:
        raise Problem(
            422,
            f"the time limit must be a number of seconds above 0, at most {HARVEST_TIMEOUT_S:g}",
        )
    return value


@router.get("/harvest")
async def harvest_page(request: Request) -> Response:
    node = node_of(request)
    try:
        user = await user_of(request, node)
        if user is None:
            return render(request, "harvest.html", signed_out=True)
        require_editor(user, "see the harvests")
    except Problem as exc:
        return error_page(request, exc)
    return _page(request)


@router.post("/harvest")
async def harvest_form(request: Request) -> Response:
    node = node_of(request)
    t = words(language_of(request))
    form = await read_form(request)
    url = field(form, "url").strip()
    try:
        user = await writer(request, node, csrf=field(form, CSRF_FIELD))
        require_editor(user, "harvest another node")
    except Problem as exc:
        return error_page(request, exc)
    try:
        if not url:
            raise Problem(422, "give the URL of the node to harvest (field 'url')")
        report = await run_harvest(request, node, user, url, _timeout(field(form, "timeout")))
    except Problem as exc:
        heading = t["harvest_refused"] if exc.status == 403 else t["harvest_failed"]
        return _page(request, status=exc.status, error=exc.detail, heading=heading, url=url)
    return _page(request, done=report.as_dict(), url=url)
