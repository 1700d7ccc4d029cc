"""Full-text search over the knowledge base: labels, titles, descriptions and case texts.

A :class:`SearchIndex` is an SQLite file (``<data-dir>/search.sqlite``) holding an FTS5 index
(SQLite's full-text engine, in Python's standard library) of the text of every named graph,
kept in step with the store by :meth:`SearchIndex.sync` and queried by
:meth:`SearchIndex.search`. The store stays the source of truth: the file can be deleted at any
time and the next sync rebuilds it.

What is indexed
---------------
One row per literal, in one of three tiers that the ranking weighs differently (bm25 column
weights 10 : 3 : 1, ``_WEIGHTS``):

- **label**: ``skos:prefLabel``, ``rdfs:label``, ``dcterms:title``, ``dc:title``,
  ``schema:name``, ``foaf:name``, ``skos:altLabel``, ``skos:hiddenLabel``, ``essaim:heading``;
- **description**: ``dcterms:description``, ``schema:description``, ``essaim:summary``,
  ``skos:definition``, ``skos:scopeNote``, ``rdfs:comment``, ``essaim:statement``,
  ``essaim:entry``, ``essaim:scalingPotential``, ``essaim:measure``, ``essaim:scope``
  (``skos:note`` and the other documentation notes are coders' remarks, not descriptions,
  and are left out);
- **passage**: the ``essaim:fullText`` of each case document, cut into passages: one per
  ``essaim:Section`` (by its ``essaim:startOffset``/``essaim:endOffset``, code points like
  ``oa:start``/``oa:end``), a long section further cut at blank lines into chunks of about
  ``_PASSAGE_CHARS`` characters, and the text outside every section (all of it for a document
  without sections) cut the same way. A passage row belongs to its section (outside sections:
  to the document) and keeps the document and its offsets, so a hit leads to a passage. Its
  language is the document's ``dcterms:language``, else the tag of its ``essaim:fullText``.

Only literals typed ``xsd:string`` or ``rdf:langString`` with an IRI subject are indexed (a hit
must point somewhere), and only what the graph itself says: sections and offsets described in
another graph than their document's text are not used. Each resource has a *kind*: one of its
types (``rdf:type``), in the graph or else anywhere in the store, the first in this order: a class
of the essaim ontology, ``skos:Concept``, ``skos:ConceptScheme``, another ``skos:``/``owl:``/
``rdfs:`` type, any other (alphabetically within each group); ``""`` when it has none. SHACL
shapes (kinds in ``sh:``) are the contract, not knowledge, and are left out, as is the
metadata graph (provenance).

Accent- and case-insensitive, French and English
------------------------------------------------
The tokenizer is FTS5's ``unicode61 remove_diacritics 2``: words are runs of letters and
digits (Unicode categories L*, N*), case-folded and stripped of diacritics on both sides, so
``RESEAU``, ``réseau`` and ``reseau`` are one word (decomposed text too). No stemmer is
involved — the standard library has none and the index serves two languages — but each query
word also matches its regular French/English plural or singular forms (``réseau`` ↔
``réseaux``, ``acteur`` ↔ ``acteurs``, ``local`` ↔ ``locaux``: ``_variants``).

Queries are safe
----------------
The user's text never reaches the FTS5 query grammar: it is normalised (NFC) and cut into
words exactly like the tokenizer does, each word once, at most ``_MAX_TERMS`` words of at most
``_MAX_TERM_CHARS`` characters, and each word is written as quoted FTS5 strings
(:func:`match_groups`), so quotes, parentheses, ``AND``/``OR``/``NOT``/``NEAR``, ``*``, ``-``,
``:``, ``^`` and ``{}`` are separators or plain words. The last word is also a prefix (search as
you type: ``rés`` finds ``réseau``) when it has at least ``_MIN_PREFIX`` characters and the text
does not end with a separator. An empty text, or one without any word, gives no results.

A resource matches when it holds every word, in any of its texts (``réseau CEAS 2006`` finds
the founding initiative: the first word is in its title, the others in its description).
When no resource holds every word, the search falls back to resources holding any of them,
still ranked, and says so (``SearchResults.all_words``), so a typo does not empty the page.

Ranking and grouping
--------------------
A text's score is −bm25 of the words it holds, with the tier weights; × 2 when it is a label
equal to the whole query (case and accents folded: ``Sarthe`` puts the territory Sarthe
first); × 0.75 when ``lang`` is given and the text is in another language (untagged texts count
as every language; languages other than French and English count as one, "other"). ``lang``
is a preference, not a filter: other-language matches are still found, below the same match in
``lang``. Hits are grouped by resource — one hit per IRI, from its best text (its field and
snippet) — and ordered by score, then by resource number (resources are numbered in IRI order
as graphs are first indexed). ``total`` counts the matching resources. ``kinds`` keeps
resources of those kinds (full IRIs, or prefixed names with the prefixes of
:mod:`essaim.namespaces`); a subclass is not its superclass (ask for ``essaim:Organisation``,
not ``essaim:Actor``).

A hit's ``label`` is the resource's best label (``skos:prefLabel``, ``rdfs:label``,
``dcterms:title``, names, ``essaim:heading``, ``skos:altLabel``, in that order) in ``lang``,
else in the language of the matched text, else untagged, else any; without any label, the
start of its matched text. Its ``snippet`` is a list of ``(text, highlighted)`` segments —
plain text, never HTML: the web layer escapes it — with the matched words highlighted: the
whole label for a label hit, about ``_SNIPPET_TOKENS`` words around the matches otherwise
(``…`` marks a cut), whitespace runs collapsed to one space.

Storage and speed
-----------------
Rows live in an ordinary table; the FTS5 table indexes their text without a copy (external
content). A row's id is ``resource << 24 | sequence << 4 | tier << 2 | language class``, so
ranking, grouping by resource, the language preference, the ``kinds`` filter (resources by
kind) and the every-word condition (one doclist scan per word, intersected) read FTS5's
doclists only, never the rows; rows are read for the page shown. bm25 costs about 1.5 µs per
matching text, so a query matching more than ``_RANK_ROWS`` texts (10,000: at one million
synthetic triples, only words like ``de``, ``la``, ``des``) is ranked without it — by tier,
language and exact label, then resource — which bounds the worst case: at one million
triples (54,000 texts) a common word answers in a few milliseconds and the most frequent ones
in about 15 ms of CPU (``benchmarks/search.py``).

Keeping in step with the store
------------------------------
``sync(store)`` compares, for every named graph, a *fingerprint* with the one recorded when the
graph was last indexed, re-indexes the graphs whose fingerprint changed and drops the rows of
graphs that are gone. ``sync(store, graphs=[...])`` re-indexes just those graphs, whatever
their fingerprint (the server calls it after each write with the graphs written; a named graph
that no longer exists loses its rows); ``force=True`` re-indexes every graph. A sync takes
SQLite's write lock before it reads the store and keeps it until it commits, so syncs from
several threads or processes apply one after the other, each on what the store held when it
began; and it is one transaction: readers see the index before or after it, never half of it,
and an error leaves the index as it was.

The fingerprint costs three small queries — about 0.5 s at one million triples, where
re-indexing takes 4 to 5 s — and combines, per graph:

- its record in the metadata graph: ``essaim:sha256`` and ``dcterms:modified`` (every load and
  every Graph Store write through the endpoint rewrites them);
- the time of the last SPARQL Update recorded against it (``prov:generated``: the endpoint
  records every update with the graphs it names);
- the number and total length of the triples the index reads from it (the indexed predicates,
  the section offsets, the documents' languages) and of its ``rdf:type`` triples, counted by
  the store itself.

So a change the store's bookkeeping does not record is still seen when it adds or removes
text, or changes its length: ``INSERT``/``DELETE`` of labels and most edits. The blind spot is
an *unrecorded* update (made with :meth:`Dataset.update` directly, not through the endpoint)
that replaces indexed text by text of exactly the same length, or a type by one of the same
length: whoever makes such a write calls ``sync(store, graphs=[graph])``, or
``sync(store, force=True)``. Hashing every indexed literal instead would close the gap at the
price of reading every text on every sync (more than a second at one million triples). A
resource's kind is read from the whole store when one of its graphs is indexed: a type asserted
in *another* graph that changes later is picked up when the resource's graph is next indexed.

Concurrency
-----------
The file is in WAL mode: searches read while a sync writes. Each call opens its own connection
(a fraction of a millisecond), so one :class:`SearchIndex` serves every thread of a web server;
syncs within a process also wait for each other on a lock.
"""

from __future__ import annotations

import hashlib
import re
import sqlite3
import threading
import time
import unicodedata
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import cast

import pyoxigraph as ox

from essaim import namespaces as ns
from essaim.store.base import Dataset

__all__ = [
    "Hit",
    "IndexFull",
    "SearchIndex",
    "SearchResults",
    "SearchUnavailable",
    "SyncReport",
    "build_match",
    "fold",
    "match_groups",
    "words",
]

#: Bump when what is indexed or how changes: every graph is then re-indexed at the next sync.
INDEX_VERSION = "1"
_SCHEMA_VERSION = 1
#: remove_diacritics 2 (3.27), window functions (3.25).
_SQLITE_MIN = (3, 27)

_LABEL, _BODY, _PASSAGE = 0, 1, 2
_WEIGHTS = (10.0, 3.0, 1.0)
_EXACT_LABEL_BOOST = 2.0
_OTHER_LANGUAGE = 0.75

_MAX_TERMS = 16
_MAX_TERM_CHARS = 64
_MIN_PREFIX = 3
_SNIPPET_TOKENS = 24
_PASSAGE_CHARS = 1500
_FALLBACK_LABEL_CHARS = 80
_OPEN, _CLOSE = "\x02", "\x03"  # highlight markers; removed from indexed text

_XSD_STRING_NODE = ox.NamedNode(ns.XSD + "string")
_DC_TITLE = "http://purl.org/dc/elements/1.1/title"

#: Indexed predicates: predicate IRI -> (tier, field name shown in hits).
_TEXT_PREDICATES: dict[str, tuple[int, str]] = {
    ns.SKOS + "prefLabel": (_LABEL, "prefLabel"),
    ns.RDFS + "label": (_LABEL, "label"),
    ns.DCTERMS + "title": (_LABEL, "title"),
    _DC_TITLE: (_LABEL, "title"),
    ns.SCHEMA + "name": (_LABEL, "name"),
    ns.FOAF + "name": (_LABEL, "name"),
    ns.SKOS + "altLabel": (_LABEL, "altLabel"),
    ns.SKOS + "hiddenLabel": (_LABEL, "hiddenLabel"),
    ns.ESSAIM + "heading": (_LABEL, "heading"),
    ns.DCTERMS + "description": (_BODY, "description"),
    ns.SCHEMA + "description": (_BODY, "description"),
    ns.ESSAIM + "summary": (_BODY, "summary"),
    ns.SKOS + "definition": (_BODY, "definition"),
    ns.SKOS + "scopeNote": (_BODY, "scopeNote"),
    ns.RDFS + "comment": (_BODY, "comment"),
    ns.ESSAIM + "statement": (_BODY, "statement"),
    ns.ESSAIM + "entry": (_BODY, "entry"),
    ns.ESSAIM + "scalingPotential": (_BODY, "scalingPotential"),
    ns.ESSAIM + "measure": (_BODY, "measure"),
    ns.ESSAIM + "scope": (_BODY, "scope"),
}
_FULL_TEXT = ns.ESSAIM + "fullText"
_HAS_SECTION = ns.ESSAIM + "hasSection"
_START = ns.ESSAIM + "startOffset"
_END = ns.ESSAIM + "endOffset"
_LANGUAGE = ns.DCTERMS + "language"
#: Everything the index reads from a graph (and the fingerprint measures).
_READ_PREDICATES = (*_TEXT_PREDICATES, _FULL_TEXT, _HAS_SECTION, _START, _END, _LANGUAGE)

#: Display order of label fields (a hit's label); hidden labels are never shown.
_LABEL_ORDER = ("prefLabel", "label", "title", "name", "heading", "altLabel")
_SKIPPED_KIND_PREFIX = ns.SH
_SKIPPED_GRAPHS = frozenset({ns.META_GRAPH})

_WORD = re.compile(r"[^\W_]+")
_SPACE = re.compile(r"\s+")
#: Combining marks (the Unicode blocks of combining diacritics), removed when folding accents.
_MARKS = re.compile("[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]")
_BLANK_LINE = re.compile(r"\n[ \t\r\f\v\u00a0]*\n")


class SearchUnavailable(RuntimeError):
    """The SQLite library Python was built with has no FTS5."""


class IndexFull(RuntimeError):
    """A resource has more indexed texts than the index numbers (1,048,576)."""


# ------------------------------------------------------------------------------------------------
# Results
# ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Hit:
    """One matching resource, from its best-matching text."""

    iri: str
    graph: str
    #: The resource's class (see the module docstring), "" when it has no type.
    kind: str
    #: What matched: a field name of ``_TEXT_PREDICATES`` ("prefLabel", "statement"…) or
    #: "passage" for case text.
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


# ------------------------------------------------------------------------------------------------
# Words and queries
# ------------------------------------------------------------------------------------------------


def words(text: str) -> list[str]:
    """The words of ``text`` as the index's tokenizer cuts them (runs of letters and digits)."""
    return _WORD.findall(unicodedata.normalize("NFC", text))


def fold(text: str) -> str:
    """``text`` as the index compares it: words joined by one space, case and accents folded."""
    joined = " ".join(words(text)).casefold()
    if joined.isascii():
        return joined
    return _MARKS.sub("", unicodedata.normalize("NFKD", joined))


def _variants(word: str) -> list[str]:
    """The word and its regular French/English plural or singular forms."""
    w = word.lower()
    forms = [w]
    if len(w) > 3:
        if w.endswith("aux"):
            forms.append(w[:-3] + "al")  # locaux -> local
        if w.endswith(("s", "x")):
            forms.append(w[:-1])  # acteurs -> acteur, réseaux -> réseau
        else:
            forms.append(w + "s")
            if w.endswith(("au", "eu")):
                forms.append(w + "x")
            if w.endswith("al"):
                forms.append(w[:-2] + "aux")
    return list(dict.fromkeys(forms))


def _quote(term: str) -> str:
    return '"' + term.replace('"', '""') + '"'


def match_groups(text: str) -> list[str]:
    """One FTS5 query per word of the user's ``text``, made of quoted strings only (the word,
    its plural/singular forms, and for the last word being typed its prefix); see the module
    docstring."""
    text = unicodedata.normalize("NFC", text)
    found = words(text)
    # each word once (its last occurrence, so that the last word typed stays last)
    seen: set[str] = set()
    unique: list[str] = []
    for word in reversed(found):
        if (key := fold(word)) not in seen:
            seen.add(key)
            unique.append(word.lower())
    unique.reverse()
    terms = [t[:_MAX_TERM_CHARS] for t in unique[:_MAX_TERMS]]
    typing = len(unique) <= _MAX_TERMS and _WORD.fullmatch(text[-1:]) is not None
    groups = []
    for i, term in enumerate(terms):
        options = [_quote(v) for v in _variants(term)]
        if typing and i == len(terms) - 1 and len(term) >= _MIN_PREFIX:
            options.append(_quote(term) + "*")
        groups.append(options[0] if len(options) == 1 else "(" + " OR ".join(options) + ")")
    return groups


def build_match(text: str) -> str | None:
    """The FTS5 query matching the texts that hold any word of ``text`` (None: no word)."""
    return " OR ".join(groups) if (groups := match_groups(text)) else None


# ------------------------------------------------------------------------------------------------
# The index
# ------------------------------------------------------------------------------------------------

# A row's id says which resource it belongs to, its tier and the class of its language, so that
# ranking, grouping by resource and the language preference read FTS5's doclists only, never
# the rows: id = resource << 24 | sequence << 4 | tier << 2 | language class.
_RID_SHIFT = 24
_SEQ_SHIFT = 4
_SEQ_LIMIT = 1 << (_RID_SHIFT - _SEQ_SHIFT)
#: Beyond this many matching texts, rank without bm25 (see the module docstring).
_RANK_ROWS = 10_000
_LANG_CLASSES = {"": 0, "fr": 1, "en": 2}
_OTHER_LANG_CLASS = 3

_SCHEMA = (
    """CREATE TABLE graphs (
        graph TEXT PRIMARY KEY,
        fingerprint TEXT NOT NULL,
        entries INTEGER NOT NULL,
        indexed_at REAL NOT NULL
    ) WITHOUT ROWID""",
    """CREATE TABLE resources (
        rid INTEGER PRIMARY KEY,
        iri TEXT NOT NULL UNIQUE,
        kind TEXT NOT NULL
    )""",
    "CREATE INDEX resources_kind ON resources (kind)",
    """CREATE TABLE entries (
        id INTEGER PRIMARY KEY,
        graph TEXT NOT NULL,
        field TEXT NOT NULL,
        lang TEXT NOT NULL,
        tier INTEGER NOT NULL,
        norm TEXT,
        document TEXT,
        start INTEGER,
        "end" INTEGER,
        label TEXT,
        body TEXT,
        passage TEXT
    )""",
    "CREATE INDEX entries_graph ON entries (graph)",
    "CREATE INDEX entries_norm ON entries (norm) WHERE norm IS NOT NULL",
    """CREATE VIRTUAL TABLE fts USING fts5 (
        label, body, passage,
        content = 'entries', content_rowid = 'id',
        tokenize = 'unicode61 remove_diacritics 2',
        prefix = '3'
    )""",
    f"PRAGMA user_version = {_SCHEMA_VERSION}",
)

# The inner query's LIMIT -1 (no limit) keeps SQLite from flattening it into the aggregate,
# where FTS5 could not compute bm25 (a MATERIALIZED CTE would too, from SQLite 3.35 only).
_SEARCH = """
SELECT id >> {shift} AS rid, id,
       MAX(score
           * (CASE WHEN :lang = 0 OR (id & 3) IN (0, :lang) THEN 1.0 ELSE {other} END)
           * (CASE WHEN id IN (SELECT id FROM entries WHERE norm = :norm)
                   THEN {exact} ELSE 1.0 END)) AS best,
       COUNT(*) OVER () AS total
FROM (
    SELECT rowid AS id, {score} AS score
    FROM fts WHERE fts MATCH :match {kinds} {every}
    LIMIT -1
) AS matches
GROUP BY rid ORDER BY best DESC, rid LIMIT :limit OFFSET :offset
"""
_KINDS_FILTER = "AND (rowid >> {shift}) IN (SELECT rid FROM resources WHERE kind IN ({names}))"
_COUNT = "SELECT count(*) FROM fts WHERE fts MATCH :match {kinds} {every}"
_BM25 = "-bm25(fts, {weights})"
#: Without bm25: the weight of the text's tier, read from its id.
_STATIC = "(CASE (rowid >> 2) & 3 WHEN 0 THEN {w0} WHEN 1 THEN {w1} ELSE {w2} END)"
#: Resources holding every word, in any of their texts: one doclist scan per word (no ranking,
#: no row read), intersected.
_EVERY_WORD = "AND (rowid >> {shift}) IN ({words})"
_ONE_WORD = "SELECT rowid >> {shift} FROM fts WHERE fts MATCH :w{i}"


@dataclass
class _Entry:
    iri: str
    kind: str
    field: str
    lang: str
    tier: int
    text: str
    document: str | None = None
    start: int | None = None
    end: int | None = None


class SearchIndex:
    """The full-text index in the SQLite file ``path`` (created when missing)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._sync_lock = threading.Lock()
        path.parent.mkdir(parents=True, exist_ok=True)
        with self._connect() as db:
            if sqlite3.sqlite_version_info < _SQLITE_MIN or not _has_fts5(db):
                raise SearchUnavailable(
                    f"search needs SQLite {'.'.join(map(str, _SQLITE_MIN))} or later with its"
                    f" FTS5 full-text engine; this Python has SQLite {sqlite3.sqlite_version}"
                    + ("" if _has_fts5(db) else " without FTS5")
                )
            db.execute("PRAGMA journal_mode = WAL")
            db.execute("BEGIN IMMEDIATE")
            try:
                if db.execute("PRAGMA user_version").fetchone()[0] != _SCHEMA_VERSION:
                    _drop_everything(db)
                    for statement in _SCHEMA:
                        db.execute(statement)
                db.execute("COMMIT")
            except BaseException:
                db.execute("ROLLBACK")
                raise

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        db = sqlite3.connect(self.path, timeout=60, isolation_level=None, check_same_thread=False)
        try:
            db.execute("PRAGMA synchronous = NORMAL")
            yield db
        finally:
            db.close()

    def close(self) -> None:
        """Nothing to release: every call opens and closes its own connection."""

    # -- keeping in step ---------------------------------------------------------------------

    def sync(
        self, store: Dataset, graphs: Iterable[str] | None = None, *, force: bool = False
    ) -> SyncReport:
        """Bring the index in step with ``store``: every graph whose fingerprint changed (or
        every graph with ``force``), or exactly ``graphs``; see the module docstring."""
        began = time.perf_counter()
        with self._sync_lock, self._connect() as db:
            db.execute("BEGIN IMMEDIATE")
            try:
                report = self._sync(db, store, graphs, force)
                db.execute("COMMIT")
            except BaseException:
                db.execute("ROLLBACK")
                raise
        return SyncReport(
            indexed=report.indexed,
            removed=report.removed,
            unchanged=report.unchanged,
            entries=report.entries,
            seconds=time.perf_counter() - began,
        )

    def _sync(
        self,
        db: sqlite3.Connection,
        store: Dataset,
        graphs: Iterable[str] | None,
        force: bool,
    ) -> SyncReport:
        recorded = dict(db.execute("SELECT graph, fingerprint FROM graphs").fetchall())
        present = {g for g in store.named_graphs() if g not in _SKIPPED_GRAPHS}
        if graphs is None:
            wanted = present | set(recorded)
        else:
            wanted = {g for g in graphs if g not in _SKIPPED_GRAPHS}
        gone = sorted(g for g in wanted if g not in present)
        live = sorted(g for g in wanted if g in present)
        prints = _fingerprints(store, live, explicit=graphs is not None)
        todo = [g for g in live if force or graphs is not None or recorded.get(g) != prints[g]]
        touched: set[int] = set()
        for graph in gone:
            touched |= _delete_graph(db, graph)[0]
            db.execute("DELETE FROM graphs WHERE graph = ?", (graph,))
        entries = 0
        for graph in todo:
            rows = _read_graph(store, graph)
            cleared, shared = _delete_graph(db, graph)
            touched |= cleared
            _insert(db, graph, rows, cleared - shared)
            db.execute(
                "INSERT OR REPLACE INTO graphs (graph, fingerprint, entries, indexed_at)"
                " VALUES (?, ?, ?, ?)",
                (graph, prints[graph], len(rows), time.time()),
            )
            entries += len(rows)
        _drop_orphans(db, touched)
        return SyncReport(
            indexed=todo,
            removed=[g for g in gone if g in recorded],
            unchanged=len(live) - len(todo),
            entries=entries,
        )

    def indexed_graphs(self) -> dict[str, int]:
        """The graphs the index holds, with their number of rows."""
        with self._connect() as db:
            return dict(db.execute("SELECT graph, entries FROM graphs ORDER BY graph").fetchall())

    # -- searching ---------------------------------------------------------------------------

    def search(
        self,
        text: str,
        *,
        lang: str | None = None,
        kinds: Sequence[str] | None = None,
        limit: int = 20,
        offset: int = 0,
        timeout_s: float | None = None,
    ) -> SearchResults:
        """The resources matching ``text``, best first; see the module docstring. With
        ``timeout_s``, SQLite stops the search at that limit: TimeoutError."""
        if limit < 0 or offset < 0:
            raise ValueError("limit and offset cannot be negative")
        empty = SearchResults(text, [], 0, offset, limit)
        groups = match_groups(text)
        if not groups:
            return empty
        wanted = _primary(lang or "")
        kind_iris = sorted({_expand(k) for k in kinds}) if kinds is not None else None
        if kind_iris is not None and not kind_iris:
            return empty
        query = _Query(text, wanted, kind_iris, limit, offset)
        with self._connect() as db, _stopped_after(db, timeout_s):
            db.execute("BEGIN")  # one snapshot for the ranking and the rows of the page
            all_words = True
            rows = query.run(db, groups, every=True)
            if (
                not rows
                and len(groups) > 1
                and (offset == 0 or not query.run(db, groups, every=True, first_only=True))
            ):
                all_words = False
                rows = query.run(db, groups, every=False)
            if not rows:
                return empty
            hits = _hits(db, " OR ".join(groups), rows[:limit], wanted)
        return SearchResults(text, hits, int(rows[0][3]), offset, limit, all_words)


@contextmanager
def _stopped_after(db: sqlite3.Connection, timeout_s: float | None) -> Iterator[None]:
    """SQLite interrupts what runs on ``db`` past ``timeout_s``: TimeoutError."""
    if timeout_s is None:
        yield
        return
    deadline = time.monotonic() + timeout_s
    db.set_progress_handler(lambda: time.monotonic() > deadline, 10_000)
    try:
        yield
    except sqlite3.OperationalError as exc:
        if "interrupt" not in str(exc):
            raise
        raise TimeoutError(f"the search did not finish within {timeout_s:g} s") from None


@dataclass(frozen=True)
class _Query:
    text: str
    lang: str
    kinds: list[str] | None
    limit: int
    offset: int

    def run(
        self, db: sqlite3.Connection, groups: list[str], *, every: bool, first_only: bool = False
    ) -> list[tuple[int, int, float, int]]:
        """One page of ``(resource, best row, score, total)``, best first: resources with a
        text holding any word, and with ``every`` only those holding every word."""
        params: dict[str, object] = {
            "match": " OR ".join(groups),
            "norm": fold(self.text),
            "lang": _lang_class(self.lang) if self.lang else 0,
            "limit": 1 if first_only else max(self.limit, 1),
            "offset": 0 if first_only else self.offset,
        }
        kinds = ""
        if self.kinds is not None:
            names = ", ".join(f":k{i}" for i in range(len(self.kinds)))
            kinds = _KINDS_FILTER.format(shift=_RID_SHIFT, names=names)
            params.update({f"k{i}": k for i, k in enumerate(self.kinds)})
        every_word = ""
        if every and len(groups) > 1:
            each = (_ONE_WORD.format(shift=_RID_SHIFT, i=i) for i in range(len(groups)))
            every_word = _EVERY_WORD.format(shift=_RID_SHIFT, words=" INTERSECT ".join(each))
            params.update({f"w{i}": g for i, g in enumerate(groups)})
        try:
            count = _COUNT.format(kinds=kinds, every=every_word)
            matching = db.execute(count, params).fetchone()[0]
            if not matching:
                return []
            if matching > _RANK_ROWS:
                score = _STATIC.format(w0=_WEIGHTS[0], w1=_WEIGHTS[1], w2=_WEIGHTS[2])
            else:
                score = _BM25.format(weights=", ".join(str(w) for w in _WEIGHTS))
            sql = _SEARCH.format(
                score=score,
                shift=_RID_SHIFT,
                other=_OTHER_LANGUAGE,
                exact=_EXACT_LABEL_BOOST,
                kinds=kinds,
                every=every_word,
            )
            return cast(list[tuple[int, int, float, int]], db.execute(sql, params).fetchall())
        except sqlite3.OperationalError as exc:
            if "fts5" in str(exc).lower():  # defence in depth: the query is built to parse
                return []
            raise


def _hits(
    db: sqlite3.Connection, match: str, page: list[tuple[int, int, float, int]], wanted: str
) -> list[Hit]:
    """The hits of one page of ranked rows: details, labels and snippets."""
    if not page:
        return []
    ids = [row[1] for row in page]
    marks = ", ".join("?" * len(ids))
    details = {
        row[0]: row
        for row in db.execute(
            "SELECT e.id, r.iri, r.kind, e.graph, e.field, e.lang, e.tier, e.document, e.start,"
            ' e."end", COALESCE(e.label, e.body, e.passage)'
            f" FROM entries AS e JOIN resources AS r ON r.rid = e.id >> {_RID_SHIFT}"
            f" WHERE e.id IN ({marks})",
            ids,
        )
    }
    snippets: dict[int, str] = {}
    for rowid, whole, part in db.execute(
        "SELECT rowid, highlight(fts, 0, char(2), char(3)),"
        f" snippet(fts, -1, char(2), char(3), '…', {_SNIPPET_TOKENS})"
        f" FROM fts WHERE fts MATCH ? AND rowid IN ({marks})",
        [match, *ids],
    ):
        snippets[rowid] = whole if details[rowid][6] == _LABEL else part
    hits = []
    for rid, rowid, score, _total in page:
        _, iri, kind, graph, field_name, lang, _tier, document, start, end, text = details[rowid]
        labels = db.execute(
            "SELECT field, lang, label FROM entries WHERE id BETWEEN ? AND ? AND tier = ?",
            (rid << _RID_SHIFT, ((rid + 1) << _RID_SHIFT) - 1, _LABEL),
        ).fetchall()
        label = _best_label(labels, wanted, _primary(lang))
        hits.append(
            Hit(
                iri=iri,
                graph=graph,
                kind=kind,
                field=field_name,
                lang=lang,
                label=label if label is not None else _shorten(text),
                snippet=_segments(snippets.get(rowid) or text),
                score=score,
                document=document,
                start=start,
                end=end,
            )
        )
    return hits


def _drop_everything(db: sqlite3.Connection) -> None:
    """Remove the tables of another version of the schema (an FTS5 table takes its shadow
    tables with it). Only essaim's own names: a file that is not a search index keeps its
    tables, and the schema created next fails on nothing of its."""
    for name in ("fts", "entries", "resources", "graphs"):
        db.execute(f"DROP TABLE IF EXISTS {name}")


def _delete_graph(db: sqlite3.Connection, graph: str) -> tuple[set[int], set[int]]:
    """Remove the rows of ``graph`` (from the full-text index first, which reads their text
    to find what to remove). Returns the resources they belonged to, and those of them that
    keep rows from other graphs."""
    touched = {
        row[0]
        for row in db.execute(
            f"SELECT DISTINCT id >> {_RID_SHIFT} FROM entries WHERE graph = ?", (graph,)
        )
    }
    shared = {
        row[0]
        for row in db.execute(
            f"""SELECT DISTINCT t.rid FROM
                (SELECT DISTINCT id >> {_RID_SHIFT} AS rid FROM entries WHERE graph = :g) AS t
                JOIN entries AS o ON o.id BETWEEN t.rid << {_RID_SHIFT}
                                              AND ((t.rid + 1) << {_RID_SHIFT}) - 1
                WHERE o.graph != :g""",
            {"g": graph},
        )
    }
    db.execute(
        "INSERT INTO fts (fts, rowid, label, body, passage)"
        " SELECT 'delete', id, label, body, passage FROM entries WHERE graph = ?",
        (graph,),
    )
    db.execute("DELETE FROM entries WHERE graph = ?", (graph,))
    return touched, shared


def _drop_orphans(db: sqlite3.Connection, rids: set[int]) -> None:
    """Forget the resources among ``rids`` that have no row left."""
    db.executemany(
        "DELETE FROM resources WHERE rid = ? AND NOT EXISTS"
        " (SELECT 1 FROM entries WHERE id BETWEEN ? AND ?)",
        ((rid, rid << _RID_SHIFT, ((rid + 1) << _RID_SHIFT) - 1) for rid in rids),
    )


def _insert(db: sqlite3.Connection, graph: str, entries: list[_Entry], cleared: set[int]) -> None:
    """Write the rows of one graph (whose old rows are gone), numbering them per resource,
    then index their text (one set-based statement: much faster than row by row).
    ``cleared``: resources known to have no row left."""
    # in a stable order, so that the same store indexed the same way numbers its rows alike
    entries = sorted(entries, key=lambda e: (e.iri, e.tier, e.field, e.lang, e.start or 0, e.text))
    kinds = {e.iri: e.kind for e in entries}
    newest = db.execute("SELECT COALESCE(MAX(rid), 0) FROM resources").fetchone()[0]
    db.executemany("INSERT OR IGNORE INTO resources (iri, kind) VALUES (?, ?)", kinds.items())
    db.executemany(
        "UPDATE resources SET kind = ? WHERE iri = ? AND kind != ?",
        ((k, iri, k) for iri, k in kinds.items()),
    )
    rids: dict[str, int] = {}
    iris = list(kinds)
    for start in range(0, len(iris), 500):
        chunk = iris[start : start + 500]
        rids.update(
            db.execute(
                f"SELECT iri, rid FROM resources WHERE iri IN ({', '.join('?' * len(chunk))})",
                chunk,
            ).fetchall()
        )
    free: dict[int, Iterator[int]] = {}

    def next_id(entry: _Entry) -> int:
        rid = rids[entry.iri]
        if rid not in free:
            # a resource met before may keep rows from other graphs: skip their numbers
            fresh = rid > newest or rid in cleared
            free[rid] = iter(range(_SEQ_LIMIT)) if fresh else _free_sequences(db, rid)
        sequence = next(free[rid], None)
        if sequence is None:
            raise IndexFull(f"{entry.iri} has more than {_SEQ_LIMIT} indexed texts")
        return (
            rid << _RID_SHIFT
            | sequence << _SEQ_SHIFT
            | entry.tier << 2
            | _lang_class(_primary(entry.lang))
        )

    db.executemany(
        'INSERT INTO entries (id, graph, field, lang, tier, norm, document, start, "end",'
        " label, body, passage) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (_row(next_id(entry), graph, entry) for entry in entries),
    )
    db.execute(
        "INSERT INTO fts (rowid, label, body, passage)"
        " SELECT id, label, body, passage FROM entries WHERE graph = ?",
        (graph,),
    )


def _free_sequences(db: sqlite3.Connection, rid: int) -> Iterator[int]:
    """The sequence numbers no row of resource ``rid`` uses (rows of other graphs keep
    theirs), in increasing order."""
    used = {
        (row[0] >> _SEQ_SHIFT) & (_SEQ_LIMIT - 1)
        for row in db.execute(
            "SELECT id FROM entries WHERE id BETWEEN ? AND ?",
            (rid << _RID_SHIFT, ((rid + 1) << _RID_SHIFT) - 1),
        )
    }
    return (n for n in range(_SEQ_LIMIT) if n not in used)


def _lang_class(primary: str) -> int:
    return _LANG_CLASSES.get(primary, _OTHER_LANG_CLASS)


# ------------------------------------------------------------------------------------------------
# Reading the store
# ------------------------------------------------------------------------------------------------


def _values(name: str, iris: Iterable[str]) -> str:
    return f"VALUES ?{name} {{ {' '.join(str(ox.NamedNode(i)) for i in iris)} }}"


def _fingerprints(store: Dataset, graphs: Sequence[str], *, explicit: bool) -> dict[str, str]:
    """Each graph's fingerprint (see the module docstring)."""
    if not graphs:
        return {}
    restrict = _values("g", graphs) if explicit else ""
    meta = ox.NamedNode(ns.META_GRAPH)
    records: dict[str, list[str]] = defaultdict(list)
    rows = store.query(
        f"""PREFIX essaim: <{ns.ESSAIM}> PREFIX dcterms: <{ns.DCTERMS}> PREFIX prov: <{ns.PROV}>
        SELECT ?g ?sha ?modified ?updated WHERE {{
          {restrict}
          {{ GRAPH {meta} {{
               ?g essaim:sha256 ?sha OPTIONAL {{ ?g dcterms:modified ?modified }} }} }}
          UNION
          {{ SELECT ?g (MAX(STR(?t)) AS ?updated) WHERE {{
               GRAPH {meta} {{ ?act prov:generated ?g ; prov:endedAtTime ?t }} }} GROUP BY ?g }}
        }}"""
    )
    for row in cast(ox.QuerySolutions, rows):
        g = _str(row["g"])
        records[g].append("|".join(_str(row[v]) for v in ("sha", "modified", "updated")))
    # two queries: a UNION of both patterns costs the store four times as much
    counts: dict[str, list[str]] = defaultdict(list)
    for pattern in (
        f"{_values('p', _READ_PREDICATES)} GRAPH ?g {{ ?s ?p ?o }}",
        "GRAPH ?g { ?s a ?o }",
    ):
        rows = store.query(
            f"SELECT ?g (COUNT(*) AS ?n) (SUM(STRLEN(STR(?o))) AS ?length)"
            f" WHERE {{ {restrict} {pattern} }} GROUP BY ?g"
        )
        for row in cast(ox.QuerySolutions, rows):
            counts[_str(row["g"])].append(f"{_str(row['n'])}/{_str(row['length'])}")
    prints = {}
    for g in graphs:
        parts = [INDEX_VERSION, *sorted(records.get(g, [])), *counts.get(g, [])]
        prints[g] = hashlib.sha256("\n".join(parts).encode()).hexdigest()
    return prints


def _read_graph(store: Dataset, graph: str) -> list[_Entry]:
    """The rows of one graph: labels, descriptions and passages, with kinds."""
    g = ox.NamedNode(graph)
    texts: list[tuple[str, str, ox.Literal]] = []
    full_texts: dict[str, ox.Literal] = {}
    sections: dict[str, list[str]] = defaultdict(list)
    offsets: dict[str, list[int | None]] = defaultdict(lambda: [None, None])
    languages: dict[str, str] = {}
    rows = store.query(
        f"SELECT ?s ?p ?o WHERE {{ {_values('p', _READ_PREDICATES)} GRAPH {g} {{ ?s ?p ?o }} }}"
    )
    for row in cast(ox.QuerySolutions, rows):
        subject, o = row[0], row[2]
        if not isinstance(subject, ox.NamedNode):
            continue
        s, p = subject.value, cast(ox.NamedNode, row[1]).value
        if p == _HAS_SECTION:
            if isinstance(o, ox.NamedNode):
                sections[s].append(o.value)
        elif not isinstance(o, ox.Literal):
            continue
        elif p in (_START, _END):
            with suppress(ValueError):
                offsets[s][p == _END] = int(o.value)
        elif p == _LANGUAGE:
            languages[s] = o.value
        elif o.language is None and o.datatype != _XSD_STRING_NODE:
            continue
        elif p == _FULL_TEXT:
            full_texts[s] = o
        else:
            texts.append((s, p, o))
    kinds = _kinds(store, graph)
    entries: list[_Entry] = []
    for s, p, o in texts:
        kind = kinds.get(s, "")
        if not kind.startswith(_SKIPPED_KIND_PREFIX):
            tier, field_name = _TEXT_PREDICATES[p]
            entries.append(_Entry(s, kind, field_name, o.language or "", tier, o.value))
    for document, literal in full_texts.items():
        text = literal.value
        lang = languages.get(document) or literal.language or ""
        spans = []
        for section in sections.get(document, []):
            start, end = offsets[section]
            if start is not None and end is not None and 0 <= start < end <= len(text):
                spans.append((start, end, section))
        for start, end, iri in _passages(text, spans, document):
            kind = kinds.get(iri, "")
            entries.append(
                _Entry(iri, kind, "passage", lang, _PASSAGE, text[start:end], document, start, end)
            )
    return entries


def _kinds(store: Dataset, graph: str) -> dict[str, str]:
    """The kind of each resource the graph gives a text, from its types in the graph, else
    in the whole store."""
    g = ox.NamedNode(graph)
    named = _values("p", [*_TEXT_PREDICATES, _FULL_TEXT])
    types: dict[str, set[str]] = defaultdict(set)
    untyped: set[str] = set()
    rows = store.query(
        f"SELECT DISTINCT ?s ?t WHERE {{ {named} GRAPH {g} {{ ?s ?p ?o OPTIONAL {{ ?s a ?t }} }} }}"
    )
    for row in cast(ox.QuerySolutions, rows):
        subject, kind = row[0], row[1]
        if isinstance(subject, ox.NamedNode):
            if isinstance(kind, ox.NamedNode):
                types[subject.value].add(kind.value)
            else:
                untyped.add(subject.value)
    missing = sorted(untyped - set(types))
    for start in range(0, len(missing), 500):
        rows = store.query(
            f"SELECT ?s ?t WHERE {{ {_values('s', missing[start : start + 500])} ?s a ?t }}"
        )
        for row in cast(ox.QuerySolutions, rows):
            if isinstance(row[1], ox.NamedNode):
                types[_str(row[0])].add(_str(row[1]))
    return {s: _choose_kind(t) for s, t in types.items()}


def _choose_kind(types: set[str]) -> str:
    def rank(iri: str) -> tuple[int, str]:
        if iri.startswith(ns.ESSAIM):
            return 0, iri
        if iri == ns.SKOS + "Concept":
            return 1, iri
        if iri == ns.SKOS + "ConceptScheme":
            return 2, iri
        if iri.startswith((ns.SKOS, ns.OWL, ns.RDFS)):
            return 3, iri
        return 4, iri

    return min(types, key=rank) if types else ""


def _passages(
    text: str, sections: list[tuple[int, int, str]], document: str
) -> list[tuple[int, int, str]]:
    """Passages ``(start, end, iri)`` of a full text: its sections (in chunks), and the text
    outside them (in chunks, pointing to the document)."""
    passages = []
    sections = sorted(sections)
    cursor = 0
    for start, end, iri in sections:
        if start > cursor:
            passages += [(a, b, document) for a, b in _chunks(text, cursor, start)]
        passages += [(a, b, iri) for a, b in _chunks(text, start, end)]
        cursor = max(cursor, end)
    passages += [(a, b, document) for a, b in _chunks(text, cursor, len(text))]
    return passages


def _chunks(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """``text[start:end]`` cut at blank lines into runs of paragraphs of about
    ``_PASSAGE_CHARS`` characters, leading and trailing whitespace left out."""
    paragraphs: list[tuple[int, int]] = []
    cursor = start
    for gap in _BLANK_LINE.finditer(text, start, end):
        paragraphs.append((cursor, gap.start()))
        cursor = gap.end()
    paragraphs.append((cursor, end))
    chunks: list[tuple[int, int]] = []
    for a, b in paragraphs:
        a, b = _strip(text, a, b)
        if a >= b:
            continue
        if chunks and b - chunks[-1][0] <= _PASSAGE_CHARS:
            chunks[-1] = (chunks[-1][0], b)
        else:
            chunks.append((a, b))
    return chunks


def _strip(text: str, a: int, b: int) -> tuple[int, int]:
    while a < b and text[a].isspace():
        a += 1
    while b > a and text[b - 1].isspace():
        b -= 1
    return a, b


def _row(rowid: int, graph: str, entry: _Entry) -> tuple[object, ...]:
    text = entry.text.replace(_OPEN, " ").replace(_CLOSE, " ")
    columns: list[str | None] = [None, None, None]
    columns[entry.tier] = text
    return (
        rowid,
        graph,
        entry.field,
        entry.lang,
        entry.tier,
        fold(text) if entry.tier == _LABEL else None,
        entry.document,
        entry.start,
        entry.end,
        *columns,
    )


# ------------------------------------------------------------------------------------------------
# Small helpers
# ------------------------------------------------------------------------------------------------


def _str(term: object) -> str:
    if term is None:
        return ""
    return cast(ox.NamedNode | ox.Literal, term).value


def _primary(lang: str) -> str:
    """The primary language subtag, lower case: ``fr-FR`` -> ``fr``."""
    return lang.split("-", 1)[0].strip().lower()


def _expand(kind: str) -> str:
    prefix, _, local = kind.partition(":")
    if local and not local.startswith("//") and prefix in ns.PREFIXES:
        return ns.PREFIXES[prefix] + local
    return kind


def _has_fts5(db: sqlite3.Connection) -> bool:
    try:
        db.execute("CREATE VIRTUAL TABLE temp.fts5_probe USING fts5 (x)")
        db.execute("DROP TABLE temp.fts5_probe")
    except sqlite3.OperationalError:
        return False
    return True


def _best_label(labels: list[tuple[str, str, str]], wanted: str, matched: str) -> str | None:
    """The label to show among ``(field, lang, text)``: by language (``wanted``, the matched
    text's, untagged, any), then by field (``_LABEL_ORDER``)."""
    shown = [label for label in labels if label[0] in _LABEL_ORDER]
    if not shown:
        return None

    def rank(label: tuple[str, str, str]) -> tuple[int, int, str]:
        field_name, lang, text = label
        primary = _primary(lang)
        if wanted and primary == wanted:
            by_lang = 0
        elif matched and primary == matched:
            by_lang = 1
        elif not primary:
            by_lang = 2
        else:
            by_lang = 3
        return by_lang, _LABEL_ORDER.index(field_name), text

    return min(shown, key=rank)[2]


def _shorten(text: str) -> str:
    text = _SPACE.sub(" ", text).strip()
    if len(text) <= _FALLBACK_LABEL_CHARS:
        return text
    cut = text[:_FALLBACK_LABEL_CHARS].rsplit(" ", 1)[0]
    return cut + "…"


def _segments(marked: str) -> list[tuple[str, bool]]:
    """FTS5's marked-up text as ``(text, highlighted)`` segments, whitespace collapsed."""
    segments: list[tuple[str, bool]] = []
    highlighted = False
    for part in re.split(f"([{_OPEN}{_CLOSE}])", marked):
        if part == _OPEN:
            highlighted = True
        elif part == _CLOSE:
            highlighted = False
        elif part:
            part = _SPACE.sub(" ", part)
            if segments and segments[-1][1] == highlighted:
                segments[-1] = (segments[-1][0] + part, highlighted)
            else:
                segments.append((part, highlighted))
    if segments:
        first, flag = segments[0]
        segments[0] = (first.lstrip(), flag)
        last, flag = segments[-1]
        segments[-1] = (last.rstrip(), flag)
    return [s for s in segments if s[0]]
