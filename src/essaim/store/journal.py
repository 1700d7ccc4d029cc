"""What a write did, as operations an in-memory copy of the store can apply (the replica of
``essaim serve --replica memory``, ``essaim.execution.replica``).

The embedded store records, once a write has committed on disk, one operation per change:

- ``{"update": text}``: a SPARQL update replayed as it is — deterministic updates give the same
  result on a copy holding the same data (blank nodes get other labels: the same graph);
- ``{"graphs": {iri: nquads}}``: the named graphs' whole content as it is on disk afterwards
  (an empty text: the graph is gone), for a bulk load and for an update whose result a replay
  could not reproduce (``NOW()``, ``RAND()``, ``UUID()``, ``STRUUID()``, ``BNODE()``, ``LOAD``)
  when it names the graphs it writes;
- ``{"clear": true}``; ``{"reload": reason}``: the copy must be rebuilt from the disk store (a
  non-reproducible update writing graphs it does not name, a restore).

Operations are JSON-able: they travel to the query workers in their requests.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

import pyoxigraph as ox

from essaim.store.update_clause import scan_update

Operation = dict[str, Any]

#: What a replay may not reproduce: functions whose value changes every call, and LOAD (it would
#: fetch the document again, from the query workers).
_UNREPEATABLE = re.compile(
    r"\b(?:NOW|RAND|UUID|STRUUID|BNODE)\s*\(|\bLOAD\s+(?:SILENT\s+)?<", re.IGNORECASE
)


def update_operation(store: ox.Store, text: str) -> Operation:
    """The operation for an update that committed on ``store`` (the disk store, after it)."""
    if not _UNREPEATABLE.search(text):
        return {"update": text}
    scan = scan_update(text)
    if scan.any_graph:
        return {"reload": "an update whose result cannot be replayed wrote unnamed graphs"}
    return graphs_operation(store, scan.graphs)


def graphs_operation(store: ox.Store, graphs: Iterable[str]) -> Operation:
    """The named graphs' content on ``store``, as N-Quads."""
    contents: dict[str, str] = {}
    for graph in dict.fromkeys(graphs):
        quads = store.quads_for_pattern(None, None, None, ox.NamedNode(graph))
        contents[graph] = (ox.serialize(quads, format=ox.RdfFormat.N_QUADS) or b"").decode()
    return {"graphs": contents}


def apply(store: ox.Store, operations: Iterable[Operation]) -> None:
    """Apply recorded operations, in order, to an in-memory copy (a ``reload`` is the caller's
    to handle: it is skipped here)."""
    for operation in operations:
        if "update" in operation:
            store.update(operation["update"])
        elif "graphs" in operation:
            for graph, nquads in operation["graphs"].items():
                store.remove_graph(ox.NamedNode(graph))
                if nquads:
                    store.load(nquads.encode(), format=ox.RdfFormat.N_QUADS)
        elif operation.get("clear"):
            store.clear()
