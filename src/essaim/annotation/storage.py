"""The private annotation store: a pyoxigraph store of its own in the node's data directory
(``<data_dir>/annotations``), beside the public one and never part of it.

Why a store of its own rather than named graphs of the public dataset: every public read path
(``/sparql``, the Graph Store Protocol, the pages, the query workers' snapshots, backups of the
public store, a remote SPARQL backend) reads the public dataset, whose default graph is the
union of all its named graphs; a graph hidden in it would have to be filtered out of each path,
and one forgotten filter (a ``GRAPH ?g`` query, a snapshot, a dump) would break blind coding.
A separate store is out of reach of all of them by construction: only the annotation API
(``essaim.web.protocols.annotations``), which checks who asks, opens it. Inside it each coder's
annotations live in a named graph of their own (``model.coder_graph``), so that a coder's work
can be exported, counted or dropped as a whole. Adjudicated facts go public through the
validated load (the adjudication step), never by exposing this store.

Writes are serialised by a lock and each is one SPARQL update (pyoxigraph applies it as one
transaction): readers see an annotation before or after a change, never half of it.
"""

from __future__ import annotations

import builtins
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Final

import pyoxigraph as ox

from essaim.annotation.model import Annotation, list_annotations
from essaim.namespaces import OA
from essaim.store.base import StoreError

#: The folder of the private store inside a data directory.
FOLDER: Final = "annotations"

_DELETE = f"""
DELETE {{ GRAPH ?g {{ ?s ?sp ?so }} }}
WHERE {{ GRAPH ?g {{
  ?a <{OA}hasTarget> ?t . ?t <{OA}hasSelector> ?s . ?s ?sp ?so FILTER isBlank(?s) }} }} ;
DELETE {{ GRAPH ?g {{ ?t ?tp ?to }} }}
WHERE {{ GRAPH ?g {{ ?a <{OA}hasTarget> ?t . ?t ?tp ?to FILTER isBlank(?t) }} }} ;
DELETE {{ GRAPH ?g {{ ?b ?bp ?bo }} }}
WHERE {{ GRAPH ?g {{ ?a <{OA}hasBody> ?b . ?b ?bp ?bo FILTER isBlank(?b) }} }} ;
DELETE {{ GRAPH ?g {{ ?a ?p ?o }} }}
WHERE {{ GRAPH ?g {{ ?a ?p ?o }} }}
"""


def annotations_path(data_dir: Path) -> Path:
    return data_dir / FOLDER


class AnnotationStore:
    """Coders' annotations, one named graph per coder, in a store no public path reads."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path
        if path is not None:
            path.mkdir(parents=True, exist_ok=True)
            path.chmod(0o700)
        try:
            self.raw = ox.Store(str(path)) if path is not None else ox.Store()
        except OSError as exc:
            raise StoreError(
                f"the annotation store in {path} cannot be opened ({exc}); is a node running "
                "on this data directory?"
            ) from None
        self.lock = threading.Lock()

    def get(self, iri: str) -> Annotation | None:
        return Annotation.from_store(self.raw, iri)

    def list(
        self,
        *,
        document: str | None = None,
        creator: str | None = None,
        concept: str | None = None,
        status: str | None = None,
    ) -> builtins.list[Annotation]:
        return list_annotations(
            self.raw, document=document, creator=creator, concept=concept, status=status
        )

    def put(self, annotation: Annotation) -> None:
        """Add the annotation, or replace the one of the same IRI, atomically."""
        self.put_all([annotation])

    def put_all(
        self, annotations: builtins.list[Annotation], extra: Sequence[ox.Quad] = ()
    ) -> None:
        """Add or replace several annotations in one transaction (with ``extra`` quads, such
        as a coder's decision on a suggestion, added in the same one)."""
        if not annotations and not extra:
            return
        operations = [_delete(a.iri) for a in annotations]
        data = " ".join(
            f"GRAPH {ox.NamedNode(a.graph)} {{ " + " ".join(f"{t} ." for t in a.to_triples()) + " }"
            for a in annotations
        ) + " ".join(f" GRAPH {q.graph_name} {{ {q.triple} . }}" for q in extra)
        operations.append(f"INSERT DATA {{ {data} }}")
        with self.lock:
            self.raw.update(" ;\n".join(operations))

    def delete(self, iri: str) -> bool:
        """Remove an annotation; False if there was none."""
        with self.lock:
            if Annotation.from_store(self.raw, iri) is None:
                return False
            self.raw.update(_delete(iri))
            return True

    def graph_count(self) -> int:
        """How many named graphs (one per coder, and the workflow's) the store holds."""
        return sum(1 for _ in self.raw.named_graphs())

    def backup(self, target: Path) -> None:
        """A consistent copy of the store in the new folder ``target`` (``essaim backup``)."""
        if self.path is None:
            raise StoreError("an in-memory annotation store cannot be backed up")
        with self.lock:
            self.raw.flush()
            self.raw.backup(str(target))

    def close(self) -> None:
        self.raw.flush()


def _delete(iri: str) -> str:
    node = ox.NamedNode(iri)  # raises on a malformed IRI: nothing spliced unchecked
    return _DELETE.replace("?a ", f"{node} ")
