"""``POST /api/harvest?url=<node>``: harvest another essaim node into this one
(``essaim.federation.harvest``), for editors and admins. The answer says what was added,
changed, left unchanged and removed, and the bytes received; a peer that is down, slow or
answers invalid data changes nothing and is reported (502, or 403 for a URL off the
allow-list ``ESSAIM_LOAD_SOURCES``). A harvest fetches and checks without the node's write
lock, so that a slow peer holds no other write, and takes it only to write
(:func:`harvest_on`). The harvests ``ESSAIM_HARVEST`` schedules run in the
server (:class:`HarvestSchedule`); ``GET /api/harvest`` lists them with their last outcome."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Query, Request
from starlette.responses import JSONResponse

from essaim.federation.harvest import (
    HarvestError,
    HarvestRefused,
    HarvestReport,
    apply_harvest,
    harvest_prefix,
    peer_of,
    plan_harvest,
)
from essaim.users import User
from essaim.web.access import graph_scope_check, require_editor, writer
from essaim.web.node import Node, node_of
from essaim.web.problems import Problem

router = APIRouter(tags=["Federation"])
log = logging.getLogger("essaim.web")

#: The longest a harvest started from the API may take, seconds.
HARVEST_TIMEOUT_S = 120.0


@router.post(
    "/api/harvest",
    responses={200: {"description": "What the harvest changed, and the bytes it received"},
               403: {"description": "Not an editor, or the URL is not an allowed source"},
               502: {"description": "The peer is down, slow, or answered invalid data"}},
)  # fmt: skip
async def harvest_route(
    request: Request,
    url: Annotated[str, Query(description="The other node's URL (or its /catalog)")],
    timeout: Annotated[
        float, Query(gt=0, le=HARVEST_TIMEOUT_S, description="Seconds the harvest may take")
    ] = HARVEST_TIMEOUT_S,
) -> JSONResponse:
    """Harvest another essaim node: its changed datasets, checked against the SHACL contract."""
    node = node_of(request)
    user = await writer(request, node)
    require_editor(user, "harvest another node")
    report = await run_harvest(request, node, user, url, timeout)
    return JSONResponse(report.as_dict())


async def run_harvest(
    request: Request, node: Node, user: User, url: str, timeout: float
) -> HarvestReport:
    """Harvest ``url`` for ``user`` (an editor or admin), as ``POST /api/harvest`` and the
    ``/harvest`` page do: 403 for a URL off the allow-list or graphs out of the user's scope,
    502 for a peer that is down, slow or answers invalid data (nothing changed). The outcome is
    kept with the scheduled ones' (the ``/harvest`` page lists them)."""
    server = node.settings.server
    started = datetime.now(UTC).isoformat(timespec="seconds")
    schedule: HarvestSchedule | None = getattr(request.app.state, "harvests", None)
    try:
        # an editor whose scope is some graphs may not write the harvested ones
        graph_scope_check(user)([harvest_prefix(peer_of(url)[0], server.graph_base)])
        report = await harvest_on(node, url, timeout)
    except HarvestRefused as exc:
        raise Problem(403, str(exc)) from None
    except HarvestError as exc:
        if schedule is not None:
            schedule.last[url] = {"started": started, "ok": False, "error": str(exc)}
        raise Problem(502, str(exc)) from None
    if schedule is not None:
        schedule.last[url] = {"started": started, "ok": True, **report.as_dict()}
    return report


async def harvest_on(node: Node, url: str, timeout: float) -> HarvestReport:
    """Harvest ``url`` into the node: fetched and checked in a thread without the write lock
    (a slow peer holds no other write), then applied under it (``apply_harvest`` refuses, and
    writes nothing, when the peer's graphs here changed in between)."""
    server = node.settings.server
    plan = await asyncio.to_thread(
        plan_harvest, node.store, url, sources=server.load_sources,
        graph_base=server.graph_base, timeout_s=timeout, max_bytes=server.harvest_max_bytes,
    )  # fmt: skip
    return await node.write(lambda: apply_harvest(node.store, plan))


class HarvestSchedule:
    """The harvests ``ESSAIM_HARVEST`` names, run by the server while it runs: each source at
    start, then every interval (fetched without the write lock, written through the node's
    write path: :func:`harvest_on`), within the interval or ``HARVEST_TIMEOUT_S``, whichever is
    shorter. Each outcome is logged and kept (``GET /api/harvest``); a failed harvest changes
    nothing and is tried again at the next interval."""

    def __init__(self, node: Node) -> None:
        self.node = node
        self.last: dict[str, dict[str, object]] = {}
        self._tasks: list[asyncio.Task[None]] = []

    def start(self) -> None:
        for url, every in self.node.settings.server.harvest:
            self._tasks.append(asyncio.create_task(self._every(url, every)))

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    async def _every(self, url: str, every: float) -> None:
        while True:
            started = datetime.now(UTC).isoformat(timespec="seconds")
            try:
                report = await harvest_on(self.node, url, min(every, HARVEST_TIMEOUT_S))
                self.last[url] = {"started": started, "ok": True, **report.as_dict()}
                log.info("harvest of %s: %s", url, report.as_dict())
            except HarvestError as exc:
                self.last[url] = {"started": started, "ok": False, "error": str(exc)}
                log.warning("harvest of %s failed: %s", url, exc)
            except Exception as exc:  # logged, tried again: the schedule must go on
                self.last[url] = {"started": started, "ok": False, "error": repr(exc)}
                log.exception("harvest of %s failed", url)
            await asyncio.sleep(every)


def scheduled(request: Request, node: Node) -> list[dict[str, object]]:
    """The harvests this server runs (``ESSAIM_HARVEST``): url, interval, last outcome."""
    schedule: HarvestSchedule | None = getattr(request.app.state, "harvests", None)
    last = schedule.last if schedule is not None else {}
    return [
        {"url": url, "every_s": every, "last": last.get(url)}
        for url, every in node.settings.server.harvest
    ]


def others(request: Request, node: Node) -> list[dict[str, object]]:
    """The last outcome of each source harvested on demand (the API, the page) and not
    scheduled, newest first (kept while the server runs)."""
    schedule: HarvestSchedule | None = getattr(request.app.state, "harvests", None)
    planned = {url for url, _ in node.settings.server.harvest}
    last = schedule.last if schedule is not None else {}
    found = [(url, outcome) for url, outcome in last.items() if url not in planned]
    found.sort(key=lambda item: str(item[1]["started"]), reverse=True)
    return [{"url": url, "last": outcome} for url, outcome in found]


@router.get("/api/harvest", responses={200: {"description": "The scheduled harvests"}})
async def harvest_status(request: Request) -> JSONResponse:
    """The harvests this server runs (``ESSAIM_HARVEST``) and the last outcome of each."""
    node = node_of(request)
    user = await writer(request, node)
    require_editor(user, "see the harvests")
    return JSONResponse({"scheduled": scheduled(request, node)})
