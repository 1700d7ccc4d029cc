"""Territories on a map and side by side: ``/territory-map.svg`` draws a territory's located
initiatives and actors over the world atlas's country outlines (``essaim.maps``), and
``/compare`` puts two to ``MAX_COMPARED`` territories side by side — initiatives by source and
kind, actors by ESS family and sector, barriers and success factors, each a share with its
denominator — in a table and a bar chart (``/compare.svg``), with a form to pick them. A
territory is named by its IRI, its name, or an official code (``essaim.profiles.territory_codes``).

A territory's figures are gathered by one call in the executor under the query time limit
(``Node.call``), its IRI bound, never spliced, and remembered until the next write
(``Node.memo``); drawing runs in a thread. The pictures come in the sizes of ``/network.svg``.
"""

from __future__ import annotations

import asyncio
from typing import Annotated

import pyoxigraph as ox
from fastapi import APIRouter, Query, Request
from starlette.responses import Response

from essaim import namespaces as ns
from essaim.charts import Bar, Section, bar_chart
from essaim.maps.svg import render_map
from essaim.profiles.common import Link
from essaim.profiles.territory_codes import CODE, ambiguity
from essaim.profiles.territory_codes import resolve_territory as resolve_territory_named
from essaim.profiles.territory_figures import (
    TerritoryFigures,
    territory_choices,
    territory_figures,
)
from essaim.web.access import reader
from essaim.web.node import Node, node_of
from essaim.web.pages.i18n import language_of, words
from essaim.web.pages.pictures import picture_size
from essaim.web.pages.templating import page_url, render
from essaim.web.problems import Problem

router = APIRouter(tags=["Pages"])

#: At most this many territories in one comparison.
MAX_COMPARED = 6
_SVG = "image/svg+xml; charset=utf-8"


def territory_iri(value: str) -> str:
    """A territory named by its IRI, or by the last part of a knowledge-base territory's IRI
    (``sarthe``); 400 when it is neither.

    >>> territory_iri("sarthe")
    'https://w3id.org/essaim/kb/territory/sarthe'
    >>> territory_iri("https://w3id.org/essaim/kb/territory/france")
    'https://w3id.org/essaim/kb/territory/france'
    """
    value = value.strip()
    if value and ":" not in value and "/" not in value:
        value = ns.KB + "territory/" + value
    try:
        ox.NamedNode(value)
    except ValueError:
        raise Problem(400, f"territory={value!r} is not a valid IRI or territory name") from None
    return value


async def figures_of(node: Node, iri: str, lang: str) -> TerritoryFigures:
    return await node.memo(
        ("territory-figures", iri, lang), lambda: node.call(territory_figures, iri, lang)
    )


async def _known(node: Node, iri: str, lang: str) -> TerritoryFigures:
    figures = await figures_of(node, iri, lang)
    if not figures.is_territory:
        raise Problem(404, f"territory={iri!r}: no territory of that name in the knowledge base")
    return figures


@router.get(
    "/territory-map.svg",
    responses={200: {"content": {"image/svg+xml": {}}, "description": "The map as SVG"}},
)
async def territory_map(
    request: Request,
    territory: str = Query(
        ..., description="A territory's IRI, its name (sarthe) or official code (72, FR)"
    ),
    width: int = Query(720, ge=200, le=2000, description="Snaps to 480, 720 or 1080"),
    height: int = Query(480, ge=150, le=2000, description="Snaps to 320, 480 or 720"),
) -> Response:
    """A territory's located initiatives and actors (GeoSPARQL points) over the country outlines
    of the world atlas, fitted to the points (the world when none is located), in one of three
    sizes: 480×320, 720×480 (the default) or 1080×720."""
    node = node_of(request)
    await reader(request, node)
    lang = language_of(request)
    iri = await resolve_territory(node, territory, lang)
    width, height = picture_size(width, height)

    async def draw() -> str:
        figures = await _known(node, iri, lang)
        return await asyncio.to_thread(
            render_map, figures.places, name=figures.label, lang=lang, width=width,
            height=height, href=page_url,
        )  # fmt: skip

    svg = await node.memo(("territory-map.svg", iri, lang, width, height), draw)
    return Response(svg, media_type=_SVG, headers={"Vary": "Accept-Language, Cookie"})


async def resolve_territory(node: Node, value: str, lang: str) -> str:
    """A territory named by its IRI, its name (``sarthe``), its official code (INSEE ``72``,
    ``72181``, ``2A``; EPCI SIREN ``247200132``; ISO ``FR``) or the name a code mints
    (``fr-departement-72``, ``fr-region-52``): its IRI (``essaim.profiles.territory_codes``,
    the resolver the CSV import uses too). An unknown code is 404 naming it; a code shared by
    several territories is 400 saying what to write for each."""
    value = value.strip()
    found = await node.call(resolve_territory_named, value, lang)
    if found.iri is not None:
        return found.iri
    if found.ambiguous:
        raise Problem(400, f"territory={value!r}: {ambiguity(found, 'en')}")
    if CODE.fullmatch(value) is not None:
        raise Problem(
            404, f"territory={value!r}: no territory has the official code {value.upper()!r} "
            "(an INSEE code of a commune, département or région, the SIREN of an EPCI, or an "
            "ISO 3166 country code such as FR)",
        )  # fmt: skip
    return territory_iri(value)  # no territory of that name: the page says so (404)


async def _compared(
    request: Request, node: Node, values: list[str], lang: str
) -> list[TerritoryFigures]:
    given = list(dict.fromkeys(v.strip() for v in values if v.strip()))
    if len(given) > MAX_COMPARED:
        raise Problem(
            400, f"at most {MAX_COMPARED} territories can be compared ({len(given)} given)"
        )
    resolved = await asyncio.gather(*(resolve_territory(node, v, lang) for v in given))
    iris = list(dict.fromkeys(resolved))
    if len(iris) > MAX_COMPARED:
        raise Problem(
            400, f"at most {MAX_COMPARED} territories can be compared ({len(iris)} given)"
        )
    return list(await asyncio.gather(*(_known(node, iri, lang) for iri in iris)))


def _rows(figures: list[TerritoryFigures], group: str) -> list[tuple[Link, list[Bar]]]:
    """One row a value found in any territory's ``group``, with each territory's share (0 of its
    denominator where the value is absent), the largest first."""
    values: dict[str, Link] = {}
    for f in figures:
        for share in _group(f, group):
            values.setdefault(share.value.iri, share.value)
    rows = []
    for iri, value in values.items():
        bars = []
        for f in figures:
            found = {s.value.iri: s for s in _group(f, group)}
            share = found.get(iri)
            bars.append(Bar(share.count, share.of) if share else Bar(0, _base(f, group)))
        rows.append((value, bars))
    return sorted(rows, key=lambda r: (-sum(b.percent for b in r[1]), r[0].label.casefold()))


def _group(f: TerritoryFigures, group: str) -> list:  # type: ignore[type-arg]
    if group in ("sources", "kinds", "families", "sectors"):
        return list(getattr(f, group))
    return f.coded.get(group, [])


def _base(f: TerritoryFigures, group: str) -> int:
    if group in ("sources", "kinds"):
        return f.initiatives
    if group in ("families", "sectors"):
        return f.actors
    return f.coded_base.get(group, 0)


#: The groups a comparison shows, in order, with the word naming each.
GROUPS = (
    ("sources", "by_source"),
    ("kinds", "by_kind"),
    ("families", "by_family"),
    ("sectors", "by_sector"),
    ("hasBarrier", "hasBarrier"),
    ("hasSuccessFactor", "hasSuccessFactor"),
)


def comparison(figures: list[TerritoryFigures]) -> list[tuple[str, list[tuple[Link, list[Bar]]]]]:
    """The comparison's groups, each with its rows (empty groups left out)."""
    found = [(group, _rows(figures, group)) for group, _ in GROUPS]
    return [(group, rows) for group, rows in found if rows]


@router.get("/compare", include_in_schema=False)
async def compare_page(
    request: Request,
    territory: Annotated[
        list[str], Query(description="Territories (IRIs, names or official codes)")
    ] = [],  # noqa: B006
) -> Response:
    node = node_of(request)
    await reader(request, node)
    lang = language_of(request)
    figures = await _compared(request, node, territory, lang)
    choices = await node.memo(
        ("territory-choices", lang), lambda: node.call(territory_choices, lang)
    )
    names = {GROUPS[n][0]: GROUPS[n][1] for n in range(len(GROUPS))}
    query = "&".join(f"territory={_quote(f.iri)}" for f in figures)
    return render(
        request, "compare.html", lang=lang, figures=figures, choices=choices,
        chosen={f.iri for f in figures}, groups=comparison(figures) if len(figures) > 1 else [],
        names=names, chart_query=query, max_compared=MAX_COMPARED,
    )  # fmt: skip


@router.get(
    "/compare.svg",
    responses={200: {"content": {"image/svg+xml": {}}, "description": "The chart as SVG"}},
)
async def compare_svg(
    request: Request,
    territory: Annotated[
        list[str], Query(description="Two or more territories (IRIs, names or official codes)")
    ],
    width: int = Query(720, ge=200, le=2000, description="Snaps to 480, 720 or 1080"),
) -> Response:
    """The comparison's bar chart: for each territory, the share of its initiatives by source
    and kind, of its actors by ESS family and sector, and of its coded initiatives by barrier and
    success factor, each bar labelled with its count and denominator."""
    node = node_of(request)
    await reader(request, node)
    lang = language_of(request)
    figures = await _compared(request, node, territory, lang)
    if len(figures) < 2:
        raise Problem(400, "name at least two territories (territory=…&territory=…)")
    width = picture_size(width, 2000)[0]
    t = words(lang)
    sections = [
        Section(t[dict(GROUPS)[group]], [(value.label, bars) for value, bars in rows])
        for group, rows in comparison(figures)
    ]
    title = t["compare_title"] + " — " + ", ".join(f.label for f in figures)
    svg = await asyncio.to_thread(bar_chart, [f.label for f in figures], sections, title=title,
                                  width=width)  # fmt: skip
    return Response(svg, media_type=_SVG, headers={"Vary": "Accept-Language, Cookie"})


def _quote(value: str) -> str:
    from urllib.parse import quote

    return quote(value, safe="")
