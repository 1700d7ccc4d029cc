"""Read the bundled ontology and knowledge base into a store, one named graph per source file.

This is the simple, in-memory path used by ``essaim summary`` and the tests of the bundled
data; the validated, transactional, incremental loading of user data is ``essaim.loading``.
"""

from __future__ import annotations

from pathlib import Path

import pyoxigraph as ox

from essaim.resources import BundledData
from essaim.sources import Source, discover


def bundled_sources(data: BundledData) -> tuple[list[Source], list[Path]]:
    """The RDF files of ontology/ (first) and kb/, and the non-RDF files skipped by rule."""
    return discover(data.root, ("ontology", "kb"))


def load_bundle(data: BundledData, store: ox.Store | None = None) -> ox.Store:
    """Load every bundled RDF file into its own named graph of ``store`` (a new in-memory one
    by default) and return the store."""
    store = store if store is not None else ox.Store()
    sources, _ = bundled_sources(data)
    for source in sources:
        store.bulk_load(
            path=source.path,
            format=ox.RdfFormat.from_media_type(source.media_type),
            to_graph=ox.NamedNode(source.graph_iri),
        )
    return store
