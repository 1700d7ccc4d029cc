"""The SHACL shapes graph: read once, indexed, shared by both engines.

>>> shapes = ShapesGraph.from_text('''
...     @prefix sh: <http://www.w3.org/ns/shacl#> .
...     <https://example.org/S> a sh:NodeShape ; sh:targetClass <https://example.org/C> .
... ''')
>>> shapes.value(ox.NamedNode("https://example.org/S"), SH.targetClass)
<NamedNode value=https://example.org/C>
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path

import pyoxigraph as ox

from essaim.namespaces import RDF as RDF_NS
from essaim.namespaces import SH as SH_NS
from essaim.resources import bundled_data
from essaim.validation.errors import ShapesError
from essaim.validation.terms import Node, Term


class _Namespace:
    """IRIs of one vocabulary as attributes: ``SH.minCount``."""

    def __init__(self, base: str) -> None:
        self._base = base

    def __getattr__(self, name: str) -> ox.NamedNode:
        return ox.NamedNode(self._base + name)

    def __getitem__(self, name: str) -> ox.NamedNode:
        return ox.NamedNode(self._base + name)


SH = _Namespace(SH_NS)
RDF = _Namespace(RDF_NS)


class TripleIndex:
    """A small in-memory graph with the look-ups a SHACL compiler needs."""

    def __init__(self, triples: Iterable[ox.Triple]) -> None:
        self.triples: tuple[ox.Triple, ...] = tuple(triples)
        self._by_subject: dict[Node, dict[ox.NamedNode, list[Term]]] = {}
        self._by_predicate: dict[ox.NamedNode, list[tuple[Node, Term]]] = {}
        for triple in self.triples:
            subject, predicate, obj = triple.subject, triple.predicate, triple.object
            if isinstance(subject, ox.Triple) or isinstance(obj, ox.Triple):
                raise ShapesError("quoted triples (RDF-star) have no place in a shapes graph")
            self._by_subject.setdefault(subject, {}).setdefault(predicate, []).append(obj)
            self._by_predicate.setdefault(predicate, []).append((subject, obj))

    def __len__(self) -> int:
        return len(self.triples)

    def objects(self, subject: Term, predicate: ox.NamedNode) -> list[Term]:
        if isinstance(subject, ox.Literal):
            return []
        return list(self._by_subject.get(subject, {}).get(predicate, ()))

    def predicates(self, subject: Term) -> list[ox.NamedNode]:
        if isinstance(subject, ox.Literal):
            return []
        return list(self._by_subject.get(subject, {}))

    def value(self, subject: Term, predicate: ox.NamedNode) -> Term | None:
        """The one value of ``predicate`` on ``subject``, None when there is none.

        Raises ShapesError when there are several: the callers read functional properties.
        """
        values = self.objects(subject, predicate)
        if len(values) > 1:
            raise ShapesError(f"{subject} has {len(values)} values of {predicate}, expected one")
        return values[0] if values else None

    def subject_objects(self, predicate: ox.NamedNode) -> list[tuple[Node, Term]]:
        return list(self._by_predicate.get(predicate, ()))

    def subjects(self, predicate: ox.NamedNode, obj: Term | None = None) -> list[Node]:
        pairs = self._by_predicate.get(predicate, ())
        found = [s for s, o in pairs if obj is None or o == obj]
        return list(dict.fromkeys(found))

    def rdf_list(self, head: Term) -> list[Term]:
        """The members of an RDF list (``( a b c )`` in Turtle)."""
        members: list[Term] = []
        seen: set[Term] = set()
        node = head
        while node != RDF.nil:
            if node in seen or isinstance(node, ox.Literal):
                raise ShapesError(f"{head} is not a well-formed RDF list")
            seen.add(node)
            first = self.objects(node, RDF.first)
            rest = self.objects(node, RDF.rest)
            if len(first) != 1 or len(rest) != 1:
                raise ShapesError(f"{head} is not a well-formed RDF list")
            members.append(first[0])
            node = rest[0]
        return members

    def messages(self, node: Term, predicate: ox.NamedNode | None = None) -> dict[str, str]:
        """The texts of ``sh:message`` (or ``predicate``) on a node, by language tag ('' for
        none). Two texts in one language are joined by a new line."""
        found: dict[str, str] = {}
        for obj in self.objects(node, predicate or SH.message):
            if not isinstance(obj, ox.Literal):
                raise ShapesError(f"{node}: sh:message {obj} is not a literal")
            lang = obj.language or ""
            found[lang] = f"{found[lang]}\n{obj.value}" if lang in found else obj.value
        return found


class ShapesGraph(TripleIndex):
    """A SHACL shapes graph, parsed once.

    The SPARQL engine compiles it once (see :class:`essaim.validation.Validator`); the pySHACL
    engine gets it as an rdflib graph.
    """

    def __init__(self, triples: Iterable[ox.Triple], *, source: str = "shapes") -> None:
        super().__init__(triples)
        self.source = source

    def __repr__(self) -> str:
        return f"<ShapesGraph {self.source}: {len(self)} triples>"

    @classmethod
    def from_text(
        cls,
        text: str | bytes,
        *,
        format: ox.RdfFormat = ox.RdfFormat.TURTLE,
        source: str = "shapes",
    ) -> ShapesGraph:
        data = text.encode() if isinstance(text, str) else text
        try:
            triples = [quad.triple for quad in ox.parse(data, format=format)]
        except SyntaxError as exc:
            raise ShapesError(f"cannot read the shapes in {source}: {exc}") from None
        return cls(triples, source=source)

    @classmethod
    def from_file(cls, path: Path) -> ShapesGraph:
        """Read the shapes from a file in any RDF syntax pyoxigraph knows by its extension."""
        format = ox.RdfFormat.from_extension(path.suffix.lstrip("."))
        if format is None:
            raise ShapesError(f"cannot tell the RDF syntax of {path} from its extension")
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise ShapesError(f"cannot read the shapes file {path}: {exc.strerror}") from None
        return cls.from_text(data, format=format, source=str(path))


@lru_cache(maxsize=1)
def default_shapes() -> ShapesGraph:
    """essaim's contract, ontology/shapes.ttl as bundled with the package, read on first use."""
    return ShapesGraph.from_file(bundled_data().ontology / "shapes.ttl")
