"""The partnership network of an initiative, a territory or an actor, drawn on the server as
SVG (``essaim.network``), so that it shows without JavaScript.

The network is read in the executor under the query time limit (``Node.call``: a worker process
killed at the limit); its layout (at most 80 actors: a bounded fraction of a second) is drawn in
a thread. A picture comes in one of a few sizes (``SIZES``): the asked ``width`` and ``height``
snap to the largest size that fits in both (the smallest when none fits), so that the cache of
pictures holds at most a few per network and no client can force a layout per size."""

from __future__ import annotations

import asyncio

import networkx as nx
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

#: The sizes a picture is drawn in (width, height), smallest first; the default is the middle one.
SIZES = ((480, 320), (720, 480), (1080, 720))


def picture_size(width: int, height: int) -> tuple[int, int]:
    """The largest of ``SIZES`` that fits in ``width`` × ``height``, else the smallest.

    >>> picture_size(2000, 2000), picture_size(1999, 1500), picture_size(720, 480)
    ((1080, 720), (1080, 720), (720, 480))
    >>> picture_size(200, 150)
    (480, 320)
    """
    fitting = [s for s in SIZES if s[0] <= width and s[1] <= height]
    return fitting[-1] if fitting else SIZES[0]


@router.get(
    "/network.svg",
    responses={200: {"content": {"image/svg+xml": {}}, "description": "The network as SVG"}},
)
async def network_svg(
    request: Request,
    initiative: str | None = Query(None, description="An initiative's IRI"),
    territory: str | None = Query(None, description="A territory's IRI"),
    actor: str | None = Query(None, description="An actor's IRI (its ego network)"),
    width: int = Query(720, ge=200, le=2000, description="Snaps to 480, 720 or 1080"),
    height: int = Query(480, ge=150, le=2000, description="Snaps to 320, 480 or 720"),
) -> Response:
    """The partnership network (actors coloured by ESS family, ties for shared initiatives),
    in one of three sizes: 480×320, 720×480 (the default) or 1080×720, the largest that fits
    in the asked ``width`` × ``height``."""
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

    width, height = picture_size(width, height)

    async def draw() -> str:
        graph = await node.memo(
            ("network", kind, iri, lang),
            lambda: node.call(
                partnership_network,
                lang=lang,
                initiative=iri if kind == "initiative" else None,
                territory=iri if kind == "territory" else None,
                actor=iri if kind == "actor" else None,
            ),
        )
        return await asyncio.to_thread(_render, graph, lang, width, height)

    svg = await node.memo(("network.svg", kind, iri, lang, width, height), draw)
    return Response(svg, media_type="image/svg+xml; charset=utf-8",
                    headers={"Vary": "Accept-Language, Cookie"})  # fmt: skip


def _render(graph: nx.Graph[str], lang: str, width: int, height: int) -> str:
    return render_svg(graph, lang=lang, width=width, height=height, href=page_url)
