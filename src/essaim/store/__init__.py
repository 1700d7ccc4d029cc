"""The dataset: named graphs behind one interface, embedded (pyoxigraph) or remote (SPARQL 1.1).

>>> from essaim.store import EmbeddedStore
>>> store = EmbeddedStore()          # in memory
>>> store.update("INSERT DATA { GRAPH <https://example.org/g> { <https://example.org/s> "
...              "<https://example.org/p> 'o' } }")
>>> [str(row["s"]) for row in store.query("SELECT ?s WHERE { ?s ?p ?o }")]
['<https://example.org/s>']
"""

from __future__ import annotations

from essaim.config import Settings
from essaim.store.base import (
    Dataset,
    GraphNotFound,
    GraphWrite,
    QueryResult,
    QuerySyntaxError,
    StoreError,
    StoreStats,
    UnsupportedOperation,
)
from essaim.store.embedded import EmbeddedStore


def open_store(settings: Settings) -> Dataset:
    """The store the settings name: the remote SPARQL server when one is configured, else the
    embedded store in the data directory."""
    if settings.remote is not None:
        from essaim.store.remote import RemoteStore

        return RemoteStore(settings.remote)
    return EmbeddedStore(settings.data_dir / "store")


__all__ = [
    "Dataset",
    "EmbeddedStore",
    "GraphNotFound",
    "GraphWrite",
    "QueryResult",
    "QuerySyntaxError",
    "StoreError",
    "StoreStats",
    "UnsupportedOperation",
    "open_store",
]
