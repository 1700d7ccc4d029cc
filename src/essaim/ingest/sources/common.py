"""What the importers share: triples in a stable order, graph metadata, reviewed TSV tables,
literals without empty values, personal contact data scrubbed, GeoSPARQL points."""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

import pyoxigraph as ox

from essaim import __version__
from essaim import namespaces as ns
from essaim.ingest.rdf import DC, RDF_TYPE, E, concept, grouped_turtle
from essaim.ingest.undp.crosswalks import read_tsv, slugify
from essaim.ingest.undp.personal import EMAIL, EMAIL_MARK, PHONE_MARK, phone_spans
from essaim.sources import graph_iri

__all__ = [
    "DC",
    "RDF_TYPE",
    "E",
    "Graph",
    "Metadata",
    "concept",
    "read_tsv",
    "scrub",
    "slugify",
    "text",
]

KB = ns.KB
TERRITORY = KB + "territory/"
ACTOR = KB + "actor/"
WKT = ox.NamedNode(ns.GEO + "wktLiteral")

PREFIXES = {
    "essaim": ns.ESSAIM,
    "initiative": KB + "initiative/",
    "territory": TERRITORY,
    "actor": ACTOR,
    "site": KB + "site/",
    "geometry": KB + "geometry/",
    "corpus": KB + "corpus/",
    "agent": KB + "agent/",
    "actor-type": ns.CODEBOOK + "actor-type/",
    "sector": ns.CODEBOOK + "sector/",
    "initiative-kind": ns.CODEBOOK + "initiative-kind/",
    "territory-level": ns.CODEBOOK + "territory-level/",
    "essglobal": ns.ESSGLOBAL,
    "organisational-structure": "http://purl.org/essglobal/standard/organisational-structure/",
    "activities-ica": "http://purl.org/essglobal/standard/activities-ica/",
    "base-membership-type": "http://purl.org/essglobal/standard/base-membership-type/",
    "geo": ns.GEO,
    "prov": ns.PROV,
    "dcterms": ns.DCTERMS,
    "skos": ns.SKOS,
    "rdfs": ns.RDFS,
    "org": ns.ORG,
    "owl": ns.OWL,
    "xsd": ns.XSD,
}


def SKOS(local: str) -> ox.NamedNode:
    return ox.NamedNode(ns.SKOS + local)


def PROV(local: str) -> ox.NamedNode:
    return ox.NamedNode(ns.PROV + local)


def territory(local: str) -> ox.NamedNode:
    return ox.NamedNode(TERRITORY + local)


def text(value: str | None, language: str | None = None) -> ox.Literal | None:
    """A literal of the value with spaces trimmed, or None when nothing is left (no empty
    literal is ever written)."""
    if value is None:
        return None
    cleaned = re.sub(r"\s+", " ", value).strip()
    if not cleaned:
        return None
    return ox.Literal(cleaned, language=language) if language else ox.Literal(cleaned)


def scrub(value: str) -> str:
    """E-mail addresses and phone numbers replaced by a visible marker (personal contact data
    stays out of the knowledge base, even inside a description)."""
    value = EMAIL.sub(EMAIL_MARK, value)
    spans = phone_spans(value)
    for start, end in reversed(spans):
        value = value[:start] + PHONE_MARK + value[end:]
    return value


def write_tsv(path: Path, header: list[str], rows: Iterable[list[str]], comment: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="") as handle:
        for line in comment.strip().splitlines():
            handle.write(f"# {line}\n")
        writer = csv.writer(handle, delimiter="\t", lineterminator="\n", quoting=csv.QUOTE_MINIMAL)
        writer.writerow(header)
        writer.writerows(rows)


class CrosswalkError(ValueError):
    """A value of a source that a reviewed table does not map (the message says which file)."""


@dataclass(frozen=True)
class Metadata:
    """Licence, rights holder, source and derivation of one generated graph."""

    title: str
    license: str
    rights: str
    rights_holder: ox.NamedNode
    sources: tuple[str, ...]
    derived_from: tuple[str, ...]
    agent: ox.NamedNode


@dataclass
class Graph:
    """Triples in the order they are added (the Turtle is the same on every run); no blank
    node is ever written."""

    triples: list[ox.Triple] = field(default_factory=list)

    def add(self, subject: ox.NamedNode, predicate: ox.NamedNode, obj: object) -> None:
        if obj is None:
            return
        assert isinstance(obj, ox.NamedNode | ox.Literal)
        self.triples.append(ox.Triple(subject, predicate, obj))

    def metadata(self, file: PurePosixPath, meta: Metadata) -> ox.NamedNode:
        node = ox.NamedNode(graph_iri(file))
        self.add(node, DC("title"), ox.Literal(meta.title, language="en"))
        self.add(node, DC("license"), ox.NamedNode(meta.license))
        self.add(node, DC("rights"), ox.Literal(meta.rights, language="en"))
        self.add(node, DC("rightsHolder"), meta.rights_holder)
        for source in meta.sources:
            self.add(node, DC("source"), ox.NamedNode(source))
        for derived in meta.derived_from:
            self.add(node, PROV("wasDerivedFrom"), ox.NamedNode(derived))
        self.add(node, PROV("wasAttributedTo"), meta.agent)
        return node

    def agent(self, agent: ox.NamedNode, label: str) -> None:
        self.add(agent, RDF_TYPE, PROV("SoftwareAgent"))
        self.add(agent, ox.NamedNode(ns.RDFS + "label"), ox.Literal(label, language="en"))
        self.add(agent, DC("hasVersion"), ox.Literal(__version__))

    def point(self, feature: ox.NamedNode, geometry: ox.NamedNode, lon: float, lat: float) -> None:
        """A GeoSPARQL point (WKT: longitude first, CRS84)."""
        self.add(feature, ox.NamedNode(ns.GEO + "hasGeometry"), geometry)
        self.add(geometry, RDF_TYPE, ox.NamedNode(ns.GEO + "Geometry"))
        self.add(
            geometry,
            ox.NamedNode(ns.GEO + "asWKT"),
            ox.Literal(f"POINT({lon:.6f} {lat:.6f})", datatype=WKT),
        )

    def turtle(self, header: str) -> bytes:
        """Turtle with each subject's triples together, subjects in order of first mention."""
        return grouped_turtle(self.triples, header, PREFIXES)


def header(command: str, extracts: str) -> str:
    return (
        f"# Generated by `python -m essaim.ingest.sources build` ({command}) from\n"
        f"# {extracts}: do not edit; change the extract or the reviewed tables and regenerate.\n"
    )


def coordinate(value: str | float | None) -> float | None:
    if value is None or value == "":
        return None
    try:
        return float(value)
    except ValueError:
        return None
