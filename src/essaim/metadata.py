"""The metadata graph: for each loaded graph, where it came from and how (PROV-O, DCTERMS, VoID).

```
<graph> a prov:Entity, void:Dataset ;
    dcterms:source "kb/cases/x.ttl" ; essaim:sha256 "…" ; void:triples 1234 ;
    dcterms:modified "…"^^xsd:dateTime ; dcterms:license <…> ; dcterms:rights "…" ;
    prov:wasGeneratedBy <graph#load> .
<graph#load> a prov:Activity ; prov:startedAtTime … ; prov:endedAtTime … ;
    prov:wasAssociatedWith <https://w3id.org/essaim/software/essaim/VERSION> ;
    prov:used <https://w3id.org/essaim/shapes> .        # when the load was validated
```
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import cast

import pyoxigraph as ox

from essaim import __version__
from essaim import namespaces as ns
from essaim.store.base import Dataset

META = ox.NamedNode(ns.META_GRAPH)
SHAPES_GRAPH = ox.NamedNode(ns.SHAPES.rstrip("#"))
_XSD_DATETIME = ox.NamedNode(ns.XSD + "dateTime")
_XSD_INTEGER = ox.NamedNode(ns.XSD + "integer")
_XSD_BOOLEAN = ox.NamedNode(ns.XSD + "boolean")
#: On an update's record: its writes could not be named before it ran.
ANY_GRAPH = ox.NamedNode(ns.ESSAIM + "anyGraph")


def _n(base: str, local: str) -> ox.NamedNode:
    return ox.NamedNode(base + local)


RDF_TYPE = _n(ns.RDF, "type")


@dataclass(frozen=True)
class GraphRecord:
    """What the metadata graph says of one loaded graph."""

    graph: str
    source: str
    sha256: str
    triples: int
    started: datetime
    ended: datetime
    validated: bool
    licenses: Sequence[str] = field(default_factory=tuple)
    rights: Sequence[str] = field(default_factory=tuple)
    software: str = f"{ns.SOFTWARE}/{__version__}"
    #: The pseudonymous IRI of the user who wrote the graph through the endpoint, if any.
    user: str | None = None


def activity_iri(graph: str) -> str:
    """The load activity of a graph: ``<graph>#load`` (``<graph>-load`` when the graph's IRI
    has a fragment already)."""
    return f"{graph}-load" if "#" in graph else f"{graph}#load"


def describe(record: GraphRecord) -> list[ox.Quad]:
    """The quads describing ``record`` in the metadata graph."""
    g = ox.NamedNode(record.graph)
    act = ox.NamedNode(activity_iri(record.graph))
    agent = ox.NamedNode(record.software)

    def when(moment: datetime) -> ox.Literal:
        return ox.Literal(moment.isoformat(), datatype=_XSD_DATETIME)

    triples: list[tuple[ox.NamedNode, ox.NamedNode, ox.NamedNode | ox.Literal]] = [
        (g, RDF_TYPE, _n(ns.PROV, "Entity")),
        (g, RDF_TYPE, _n(ns.VOID, "Dataset")),
        (g, _n(ns.DCTERMS, "source"), ox.Literal(record.source)),
        (g, _n(ns.ESSAIM, "sha256"), ox.Literal(record.sha256)),
        (g, _n(ns.VOID, "triples"), ox.Literal(str(record.triples), datatype=_XSD_INTEGER)),
        (g, _n(ns.DCTERMS, "modified"), when(record.ended)),
        (g, _n(ns.PROV, "wasGeneratedBy"), act),
        (act, RDF_TYPE, _n(ns.PROV, "Activity")),
        (act, _n(ns.PROV, "startedAtTime"), when(record.started)),
        (act, _n(ns.PROV, "endedAtTime"), when(record.ended)),
        (act, _n(ns.PROV, "wasAssociatedWith"), agent),
        (agent, RDF_TYPE, _n(ns.PROV, "SoftwareAgent")),
        (agent, _n(ns.RDFS, "label"), ox.Literal(f"essaim {record.software.rsplit('/', 1)[-1]}")),
    ]
    if record.validated:
        triples.append((act, _n(ns.PROV, "used"), SHAPES_GRAPH))
    if record.user is not None:
        user = ox.NamedNode(record.user)
        triples += [
            (act, _n(ns.PROV, "wasAssociatedWith"), user),
            (user, RDF_TYPE, _n(ns.PROV, "Person")),
        ]
    triples += [(g, _n(ns.DCTERMS, "license"), ox.NamedNode(x)) for x in record.licenses]
    triples += [(g, _n(ns.DCTERMS, "rights"), ox.Literal(x)) for x in record.rights]
    return [ox.Quad(s, p, o, META) for s, p, o in triples]


def delete_operation(graph: str) -> str:
    """SPARQL Update removing the description of ``graph`` (and of its load activity)."""
    return (
        f"DELETE WHERE {{ GRAPH {META} {{ {ox.NamedNode(graph)} ?p ?o }} }} ;\n"
        f"DELETE WHERE {{ GRAPH {META} {{ {ox.NamedNode(activity_iri(graph))} ?p ?o }} }}"
    )


_RECORDS = f"""
PREFIX prov: <{ns.PROV}> PREFIX dcterms: <{ns.DCTERMS}> PREFIX void: <{ns.VOID}>
PREFIX essaim: <{ns.ESSAIM}>
SELECT ?g ?source ?sha ?triples ?start ?end ?agent ?used ?user
       (GROUP_CONCAT(DISTINCT STR(?license); SEPARATOR="\\u001f") AS ?licenses)
       (GROUP_CONCAT(DISTINCT ?right; SEPARATOR="\\u001f") AS ?rights)
FROM {META}
WHERE {{
  ?g prov:wasGeneratedBy ?act ; dcterms:source ?source ; essaim:sha256 ?sha ;
     void:triples ?triples .
  ?act prov:startedAtTime ?start ; prov:endedAtTime ?end ; prov:wasAssociatedWith ?agent .
  ?agent a prov:SoftwareAgent .
  OPTIONAL {{ ?act prov:used ?used }}
  OPTIONAL {{ ?act prov:wasAssociatedWith ?user . ?user a prov:Person }}
  OPTIONAL {{ ?g dcterms:license ?license }}
  OPTIONAL {{ ?g dcterms:rights ?right }}
}}
GROUP BY ?g ?source ?sha ?triples ?start ?end ?agent ?used ?user
ORDER BY ?g
"""


def read_records(store: Dataset) -> dict[str, GraphRecord]:
    """Every graph's record, by graph IRI."""
    records: dict[str, GraphRecord] = {}
    for row in cast(ox.QuerySolutions, store.query(_RECORDS)):

        def text(name: str, row: ox.QuerySolution = row) -> str:
            term = row[name]
            return cast(ox.Literal, term).value if term is not None else ""

        graph = cast(ox.NamedNode, row["g"]).value
        records[graph] = GraphRecord(
            graph=graph,
            source=text("source"),
            sha256=text("sha"),
            triples=int(text("triples")),
            started=datetime.fromisoformat(text("start")),
            ended=datetime.fromisoformat(text("end")),
            validated=row["used"] is not None,
            licenses=tuple(x for x in text("licenses").split("\u001f") if x),
            rights=tuple(x for x in text("rights").split("\u001f") if x),
            software=cast(ox.NamedNode, row["agent"]).value,
            user=cast(ox.NamedNode, row["user"]).value if row["user"] is not None else None,
        )
    return records


def describe_update(
    user: str, graphs: Sequence[str], when: datetime, *, any_graph: bool = False
) -> tuple[str, list[ox.Quad]]:
    """The record of one SPARQL Update made through the endpoint: who (the user's pseudonymous
    IRI), when, and the graphs it writes (``prov:generated``). ``any_graph``: the update's
    writes could not all be named before it ran (an admin's ``DROP ALL``, ``GRAPH ?g``, the
    default graph): the record says it may have written any graph (``essaim:anyGraph true``)."""
    act = ox.NamedNode(f"{ns.META_GRAPH}/update/{uuid.uuid4().hex}")
    stamp = ox.Literal(when.isoformat(), datatype=_XSD_DATETIME)
    person = ox.NamedNode(user)
    triples: list[tuple[ox.NamedNode, ox.NamedNode, ox.NamedNode | ox.Literal]] = [
        (act, RDF_TYPE, _n(ns.PROV, "Activity")),
        (act, _n(ns.RDFS, "label"), ox.Literal("SPARQL Update", language="en")),
        (act, _n(ns.PROV, "endedAtTime"), stamp),
        (act, _n(ns.PROV, "wasAssociatedWith"), person),
        (person, RDF_TYPE, _n(ns.PROV, "Person")),
    ]
    triples += [(act, _n(ns.PROV, "generated"), ox.NamedNode(g)) for g in graphs]
    if any_graph:
        triples.append((act, ANY_GRAPH, ox.Literal("true", datatype=_XSD_BOOLEAN)))
    return act.value, [ox.Quad(s, p, o, META) for s, p, o in triples]
