"""The partnership network of an initiative, a territory or an actor, drawn on the server as
SVG (``essaim.network``), so that it shows without JavaScript."""

from __future__ import annotations

import pyoxigraph as ox
from fastapi import APIRouter, Query, Request
from starlette.responses import Response

from essaim.network import partnership_network, render_svg
from essaim.web.access import reader
from essaim.web.node import node_of
from essaim.web.pages.i18n import language_of
from essaim.web.pages.templating import page_url
from essaim.web.problems import Problem

router = APIRouter(tags=["Pages"])


@router.get(
    "/network.svg",
    responses={200: {"content": {"image/svg+xml": {}}, "description": "The network as SVG"}},
)
async def network_svg(
    request: Request,
    initiative: str | None = Query(None, description="An initiative's IRI"),
    territory: str | None = Query(None, description="A territory's IRI"),
    actor: str | None = Query(None, description="An actor's IRI (its ego network)"),
    width: int = Query(720, ge=200, le=2000),
    height: int = Query(480, ge=150, le=2000),
) -> Response:
    """The partnership network (actors coloured by ESS family, ties for shared initiatives)."""
    node = node_of(request)
    await reader(request, node)
    focus = {
        k: v
        for k, v in (("initiative", initiative), ("territory", territory), ("actor", actor))
        if v
    }
    if len(focus) != 1:
        raise Problem(400, "name one of initiative=, territory= or actor= (an IRI)")
    ((kind, iri),) = focus.items()
    try:
        ox.NamedNode(iri)
    except ValueError:
        raise Problem(400, f"{kind}={iri!r} is not a valid IRI") from None
    lang = language_of(request)

    def draw() -> str:
        graph = partnership_network(
            node.store,
            lang=lang,
            initiative=iri if kind == "initiative" else None,
            territory=iri if kind == "territory" else None,
            actor=iri if kind == "actor" else None,
        )
        return render_svg(graph, lang=lang, width=width, height=height, href=page_url)

    svg = await node.memo(("network", kind, iri, lang, width, height), draw)
    return Response(svg, media_type="image/svg+xml; charset=utf-8",
                    headers={"Vary": "Accept-Language, Cookie"})  # fmt: skip
