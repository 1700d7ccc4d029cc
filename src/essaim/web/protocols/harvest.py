"""``POST /api/harvest?url=<node>``: harvest another essaim node into this one
(``essaim.federation.harvest``), for editors and admins. The answer says what was added,
changed, left unchanged and removed, and the bytes received; a peer that is down, slow or
answers invalid data changes nothing and is reported (502, or 403 for a URL off the
allow-list ``ESSAIM_LOAD_SOURCES``)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from starlette.responses import JSONResponse

from essaim.federation.harvest import HarvestError, HarvestRefused, harvest
from essaim.web.access import require_editor, writer
from essaim.web.node import node_of
from essaim.web.problems import Problem

router = APIRouter(tags=["Federation"])

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
    server = node.settings.server
    try:
        report = await node.write(
            lambda: harvest(
                node.store, url, sources=server.load_sources, graph_base=server.graph_base,
                timeout_s=timeout,
            )
        )  # fmt: skip
    except HarvestRefused as exc:
        raise Problem(403, str(exc)) from None
    except HarvestError as exc:
        raise Problem(502, str(exc)) from None
    return JSONResponse(report.as_dict())
