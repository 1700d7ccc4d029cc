"""The node's DCAT catalogue: one ``dcat:Dataset`` per published named graph (its IRI is the
graph's), with what the graph says of itself (title, licence, rights, rights holder, source,
derivation), when it was last loaded, its size, and two ways in: the SPARQL endpoint (a
``dcat:DataService``) and its gzipped N-Quads dump (byte size, sha256 as ``spdx:checksum``). The
catalogue itself is distributed as the whole dump.

```
<base/catalog> a dcat:Catalog ; dcat:dataset <graph> ; dcat:service <base/sparql> ;
    dcat:distribution <base/dumps/all.nq.gz> ; dcterms:publisher <base/catalog#publisher> .
<graph> a dcat:Dataset, void:Dataset ; dcterms:title … ; dcterms:license … ; void:triples … ;
    dcat:distribution <base/dumps/graph.nq.gz?graph=…> .
```

The graph's statements about itself win; where a graph states no licence, the licences found in
it (its load record's) stand in, and where there are none and no rights either, the dataset's
rights say that no licence is stated (:data:`NO_LICENCE`); where it names no publisher, the node
does. The catalogue's own
shapes are ``ontology/catalogue-shapes.ttl``.
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from urllib.parse import quote

import pyoxigraph as ox

from essaim import __version__
from essaim import namespaces as ns
from essaim.federation.dumps import DumpFile, DumpSet

DCAT = "http://www.w3.org/ns/dcat#"
SPDX = "http://spdx.org/rdf/terms#"
FOAF = ns.FOAF
MEDIA = "https://www.iana.org/assignments/media-types/"
#: The rights of a graph that states neither licence nor rights: the catalogue invents none.
NO_LICENCE = ox.Literal(
    "No licence is stated for this graph: ask its publisher before reusing it.", language="en"
)
#: What a graph says of itself that the catalogue repeats.
_CARRIED = (
    ns.DCTERMS + "title",
    ns.DCTERMS + "description",
    ns.DCTERMS + "rights",
    ns.DCTERMS + "source",
    ns.PROV + "wasDerivedFrom",
)


def _n(iri: str) -> ox.NamedNode:
    return ox.NamedNode(iri)


def _typed(value: object, datatype: str) -> ox.Literal:
    return ox.Literal(str(value), datatype=_n(datatype))


def _when(moment: datetime) -> ox.Literal:
    return _typed(moment.isoformat(), ns.XSD + "dateTime")


def catalog_iri(base: str) -> str:
    return f"{base}/catalog"


def graph_dump_url(base: str, graph: str) -> str:
    return f"{base}/dumps/graph.nq.gz?graph={quote(graph, safe='')}"


def whole_dump_url(base: str) -> str:
    return f"{base}/dumps/all.nq.gz"


def _distribution(
    iri: ox.NamedNode, dump: DumpFile, licenses: list[ox.NamedNode]
) -> list[ox.Triple]:
    rdf_type = _n(ns.RDF + "type")
    # named after the distribution, so that the same dumps give the same catalogue (its ETag)
    triples = [
        ox.Triple(iri, rdf_type, _n(DCAT + "Distribution")),
        ox.Triple(iri, _n(DCAT + "downloadURL"), iri),
        ox.Triple(iri, _n(DCAT + "accessURL"), iri),
        ox.Triple(iri, _n(DCAT + "mediaType"), _n(MEDIA + "application/n-quads")),
        ox.Triple(iri, _n(DCAT + "compressFormat"), _n(MEDIA + "application/gzip")),
        ox.Triple(iri, _n(DCAT + "byteSize"), _typed(dump.bytes, ns.XSD + "nonNegativeInteger")),
        *checksum(iri, dump.sha256),
    ]
    triples += [ox.Triple(iri, _n(ns.DCTERMS + "license"), x) for x in licenses]
    return triples


#: A distribution's triples: its URL, media type, byte size, sha256 and licences (releases too).
distribution = _distribution


def checksum(iri: ox.NamedNode, sha256: str) -> list[ox.Triple]:
    """``iri``'s sha256 as an ``spdx:Checksum`` (its blank node named after ``iri``, so that the
    same content gives the same description)."""
    rdf_type = _n(ns.RDF + "type")
    node = ox.BlankNode("c" + hashlib.sha256(iri.value.encode()).hexdigest()[:24])
    return [
        ox.Triple(iri, _n(SPDX + "checksum"), node),
        ox.Triple(node, rdf_type, _n(SPDX + "Checksum")),
        ox.Triple(node, _n(SPDX + "algorithm"), _n(SPDX + "checksumAlgorithm_sha256")),
        ox.Triple(node, _n(SPDX + "checksumValue"), _typed(sha256, ns.XSD + "hexBinary")),
    ]


def catalogue(base: str, dumps: DumpSet, fallback: datetime) -> list[ox.Triple]:
    """The DCAT catalogue of the node at ``base`` (its URL, no trailing slash). Its last
    modification is its datasets' latest (``fallback`` when none has a load record): the same
    graphs give the same catalogue, before and after a restart."""
    modified = max((e.modified for e in dumps.entries.values() if e.modified), default=fallback)
    rdf_type = _n(ns.RDF + "type")
    cat = _n(catalog_iri(base))
    publisher = _n(f"{catalog_iri(base)}#publisher")
    service = _n(f"{base}/sparql")
    whole = _n(whole_dump_url(base))
    dcterms = ns.DCTERMS
    triples = [
        ox.Triple(cat, rdf_type, _n(DCAT + "Catalog")),
        ox.Triple(cat, _n(dcterms + "title"), ox.Literal("essaim knowledge base", language="en")),
        ox.Triple(cat, _n(dcterms + "title"),
                  ox.Literal("base de connaissances essaim", language="fr")),
        ox.Triple(cat, _n(dcterms + "description"), ox.Literal(
            "The named graphs of this essaim node, one dataset each: case studies of social "
            "innovation in the social and solidarity economy and the sources they draw on.",
            language="en")),
        ox.Triple(cat, _n(dcterms + "publisher"), publisher),
        ox.Triple(cat, _n(dcterms + "modified"), _when(modified)),
        ox.Triple(cat, _n(FOAF + "homepage"), _n(f"{base}/")),
        ox.Triple(cat, _n(ns.RDFS + "seeAlso"), _n(f"{base}/.well-known/void")),
        ox.Triple(cat, _n(DCAT + "service"), service),
        ox.Triple(cat, _n(DCAT + "distribution"), whole),
        ox.Triple(cat, _n(ns.VOID + "triples"), _typed(dumps.whole.triples, ns.XSD + "integer")),
        ox.Triple(publisher, rdf_type, _n(FOAF + "Agent")),
        ox.Triple(publisher, _n(FOAF + "name"), ox.Literal(f"essaim node at {base}")),
        ox.Triple(service, rdf_type, _n(DCAT + "DataService")),
        ox.Triple(service, _n(dcterms + "title"),
                  ox.Literal("SPARQL 1.1 endpoint", language="en")),
        ox.Triple(service, _n(DCAT + "endpointURL"), service),
        ox.Triple(service, _n(DCAT + "endpointDescription"), service),
        ox.Triple(service, _n(dcterms + "conformsTo"),
                  _n("https://www.w3.org/TR/sparql11-protocol/")),
        ox.Triple(service, _n(dcterms + "creator"), ox.Literal(f"essaim {__version__}")),
    ]  # fmt: skip
    triples += _distribution(whole, dumps.whole, [])
    everything = ox.Literal("every published graph, N-Quads, gzip", language="en")
    triples.append(ox.Triple(whole, _n(dcterms + "title"), everything))
    for graph, entry in sorted(dumps.entries.items()):
        dataset = _n(graph)
        dump = dumps.graphs[graph]
        distribution = _n(graph_dump_url(base, graph))
        own = [x for x in entry.values(dcterms + "license") if isinstance(x, ox.NamedNode)]
        licenses = own or [_n(x) for x in entry.licenses]
        publishers = [x for x in entry.values(dcterms + "publisher") if isinstance(x, ox.NamedNode)]
        holders = [x for x in entry.values(dcterms + "rightsHolder") if isinstance(x, ox.NamedNode)]
        triples += [
            ox.Triple(cat, _n(DCAT + "dataset"), dataset),
            ox.Triple(service, _n(DCAT + "servesDataset"), dataset),
            ox.Triple(dataset, rdf_type, _n(DCAT + "Dataset")),
            ox.Triple(dataset, rdf_type, _n(ns.VOID + "Dataset")),
            ox.Triple(dataset, _n(dcterms + "identifier"), ox.Literal(graph)),
            ox.Triple(dataset, _n(ns.VOID + "triples"), _typed(entry.triples, ns.XSD + "integer")),
            ox.Triple(dataset, _n(ns.VOID + "sparqlEndpoint"), service),
            ox.Triple(dataset, _n(DCAT + "distribution"), distribution),
            ox.Triple(dataset, _n(dcterms + "modified"), _when(entry.modified or modified)),
        ]
        titles = entry.values(dcterms + "title")
        if not titles:
            triples.append(ox.Triple(dataset, _n(dcterms + "title"), ox.Literal(graph)))
        for predicate in _CARRIED:
            triples += [ox.Triple(dataset, _n(predicate), x) for x in entry.values(predicate)]
        if entry.source and not entry.values(dcterms + "source"):
            triples.append(ox.Triple(dataset, _n(dcterms + "source"), ox.Literal(entry.source)))
        triples += [ox.Triple(dataset, _n(dcterms + "license"), x) for x in licenses]
        if not licenses and not entry.values(dcterms + "rights"):
            triples.append(ox.Triple(dataset, _n(dcterms + "rights"), NO_LICENCE))
        triples += [ox.Triple(dataset, _n(dcterms + "rightsHolder"), x) for x in holders]
        for agent in publishers or [publisher]:
            triples.append(ox.Triple(dataset, _n(dcterms + "publisher"), agent))
        triples += _distribution(distribution, dump, licenses)
    return triples
