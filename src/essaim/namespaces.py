"""IRIs and prefixes of essaim and of the vocabularies it reuses. Nothing else lives here."""

from __future__ import annotations

from typing import Final

ONTOLOGY_IRI: Final = "https://w3id.org/essaim/ontology"
ESSAIM: Final = "https://w3id.org/essaim/ontology#"
CODEBOOK: Final = "https://w3id.org/essaim/codebook/"
KB: Final = "https://w3id.org/essaim/kb/"
GRAPH: Final = "https://w3id.org/essaim/graph/"
SHAPES: Final = "https://w3id.org/essaim/shapes#"
META_GRAPH: Final = GRAPH + "meta"
SOFTWARE: Final = "https://w3id.org/essaim/software/essaim"

RDF: Final = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
RDFS: Final = "http://www.w3.org/2000/01/rdf-schema#"
OWL: Final = "http://www.w3.org/2002/07/owl#"
XSD: Final = "http://www.w3.org/2001/XMLSchema#"
SKOS: Final = "http://www.w3.org/2004/02/skos/core#"
DCTERMS: Final = "http://purl.org/dc/terms/"
PROV: Final = "http://www.w3.org/ns/prov#"
ORG: Final = "http://www.w3.org/ns/org#"
FOAF: Final = "http://xmlns.com/foaf/0.1/"
SCHEMA: Final = "https://schema.org/"
GEO: Final = "http://www.opengis.net/ont/geosparql#"
OA: Final = "http://www.w3.org/ns/oa#"
SH: Final = "http://www.w3.org/ns/shacl#"
QB: Final = "http://purl.org/linked-data/cube#"
VOID: Final = "http://rdfs.org/ns/void#"
VANN: Final = "http://purl.org/vocab/vann/"
ESSGLOBAL: Final = "http://purl.org/essglobal/vocab/"
ESSGLOBAL_STANDARD: Final = "http://purl.org/essglobal/standard/"

#: Prefixes used in queries, exports and documentation.
PREFIXES: Final[dict[str, str]] = {
    "essaim": ESSAIM,
    "cb": CODEBOOK,
    "kb": KB,
    "rdf": RDF,
    "rdfs": RDFS,
    "owl": OWL,
    "xsd": XSD,
    "skos": SKOS,
    "dcterms": DCTERMS,
    "prov": PROV,
    "org": ORG,
    "foaf": FOAF,
    "schema": SCHEMA,
    "geo": GEO,
    "oa": OA,
    "sh": SH,
    "qb": QB,
    "void": VOID,
    "essglobal": ESSGLOBAL,
}


def codebook_scheme(scheme: str) -> str:
    """The IRI of a codebook concept scheme.

    >>> codebook_scheme("barrier")
    'https://w3id.org/essaim/codebook/barrier'
    """
    return CODEBOOK + scheme


def codebook_concept(scheme: str, concept: str) -> str:
    """The IRI of a codebook concept.

    >>> codebook_concept("barrier", "lack-of-time")
    'https://w3id.org/essaim/codebook/barrier/lack-of-time'
    """
    return f"{CODEBOOK}{scheme}/{concept}"


def sparql_prefixes(prefixes: dict[str, str] | None = None) -> str:
    """PREFIX declarations for a SPARQL query.

    >>> sparql_prefixes({"ex": "https://example.org/"})
    'PREFIX ex: <https://example.org/>\\n'
    """
    return "".join(f"PREFIX {p}: <{iri}>\n" for p, iri in (prefixes or PREFIXES).items())
