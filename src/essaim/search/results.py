"""What a search gives (:class:`SearchResults` of :class:`Hit`) and what a sync did
(:class:`SyncReport`)."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Hit:
    """One matching resource, from its best-matching text."""

    iri: str
    graph: str
    #: The resource's class (see :mod:`essaim.search`), "" when it has no type.
    kind: str
    #: What matched: a field name of ``essaim.search.texts.TEXT_PREDICATES`` ("prefLabel",
    #: "statement"…) or "passage" for case text.
    field: str
    #: The language tag of the matched text ("" when untagged).
    lang: str
    label: str
    #: ``(text, highlighted)`` segments: plain text, to be escaped by whoever renders it.
    snippet: list[tuple[str, bool]]
    score: float
    #: For a passage: the case document, and the passage's offsets in its full text (code
    #: points, end exclusive).
    document: str | None = None
    start: int | None = None
    end: int | None = None


@dataclass(frozen=True)
class SearchResults:
    query: str
    hits: list[Hit]
    #: How many resources match (``hits`` is one page of them).
    total: int
    offset: int = 0
    limit: int = 20
    #: False when no resource holds every word and the hits hold some of them.
    all_words: bool = True

    @property
    def has_more(self) -> bool:
        return self.offset + len(self.hits) < self.total


@dataclass(frozen=True)
class SyncReport:
    """What a sync did: graphs re-indexed, graphs dropped, graphs found unchanged."""

    indexed: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    unchanged: int = 0
    #: Rows written (labels, descriptions, passages).
    entries: int = 0
    seconds: float = 0.0

    @property
    def changed(self) -> int:
        """Graphs whose rows were rewritten or dropped."""
        return len(self.indexed) + len(self.removed)
