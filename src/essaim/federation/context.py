"""A JSON-LD context for web developers: every term of the ontology by its local name
(``"Initiative"``, ``"territory"``), the shared prefixes, object properties typed ``@id``,
datatype properties typed by their range (``rdf:langString`` ranges as language maps, so
``"title": {"fr": "…", "en": "…"}`` reads naturally). Read from the bundled ontology once.

>>> context = json_ld_context()["@context"]
>>> context["Initiative"], context["territory"]
('essaim:Initiative', {'@id': 'essaim:territory', '@type': '@id'})
>>> context["startYear"]["@type"]
'xsd:gYear'
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import pyoxigraph as ox

from essaim import namespaces as ns
from essaim.resources import bundled_data

_TYPE = ox.NamedNode(ns.RDF + "type")
_RANGE = ox.NamedNode(ns.RDFS + "range")
_LANG_STRING = ns.RDF + "langString"


def _short(iri: str) -> str:
    for prefix, base in ns.PREFIXES.items():
        if iri.startswith(base) and len(iri) > len(base):
            return f"{prefix}:{iri[len(base) :]}"
    return iri


@lru_cache(maxsize=1)
def json_ld_context() -> dict[str, Any]:
    ontology = ox.Store()
    ontology.load(path=str(bundled_data().ontology / "essaim.ttl"), format=ox.RdfFormat.TURTLE)
    terms: dict[str, Any] = dict(ns.PREFIXES)
    kinds = {
        ns.OWL + "Class": "class",
        ns.OWL + "ObjectProperty": "object",
        ns.OWL + "DatatypeProperty": "data",
        ns.OWL + "AnnotationProperty": "data",
    }
    found: dict[str, str] = {}
    for kind_iri, kind in kinds.items():
        for quad in ontology.quads_for_pattern(None, _TYPE, ox.NamedNode(kind_iri)):
            subject = quad.subject
            if isinstance(subject, ox.NamedNode) and subject.value.startswith(ns.ESSAIM):
                found.setdefault(subject.value, kind)
    for iri, kind in sorted(found.items()):
        name = iri[len(ns.ESSAIM) :]
        if name in terms:  # a local name equal to a prefix keeps the prefix
            continue
        if kind == "class":
            terms[name] = _short(iri)
        elif kind == "object":
            terms[name] = {"@id": _short(iri), "@type": "@id"}
        else:
            ranges = [q.object for q in ontology.quads_for_pattern(ox.NamedNode(iri), _RANGE, None)]
            term: dict[str, str] = {"@id": _short(iri)}
            if len(ranges) == 1 and isinstance(ranges[0], ox.NamedNode):
                if ranges[0].value == _LANG_STRING:
                    term["@container"] = "@language"
                elif ranges[0].value.startswith(ns.XSD):
                    term["@type"] = _short(ranges[0].value)
            terms[name] = term
    terms.update(
        {
            "title": {"@id": "dcterms:title", "@container": "@language"},
            "label": {"@id": "skos:prefLabel", "@container": "@language"},
            "license": {"@id": "dcterms:license", "@type": "@id"},
            "source": {"@id": "dcterms:source", "@type": "@id"},
            "sameAs": {"@id": "owl:sameAs", "@type": "@id"},
            "id": "@id",
            "type": "@type",
        }
    )
    return {"@context": terms}
