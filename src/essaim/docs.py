"""The ontology's HTML documentation, built with pyLODE."""

from __future__ import annotations

import logging
from pathlib import Path

import rdflib

from essaim.resources import BundledData


def build_ontology_docs(data: BundledData, destination: Path) -> Path:
    """Write the pyLODE page of ``ontology/essaim.ttl`` to ``destination`` (a file path).

    Returns the path written. The folder is created when missing.
    """
    from pylode import OntPub  # heavy import (it unpickles background ontologies): only here

    graph = rdflib.Graph().parse(data.ontology / "essaim.ttl", format="turtle")
    destination.parent.mkdir(parents=True, exist_ok=True)
    logging.getLogger().setLevel(max(logging.getLogger().level, logging.WARNING))
    OntPub(graph).make_html(destination=destination)
    return destination
