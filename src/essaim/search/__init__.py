"""Full-text search over the knowledge base: labels, titles, descriptions and case texts.

A :class:`SearchIndex` is an SQLite file (``<data-dir>/search.sqlite``) holding an FTS5 index
(SQLite's full-text engine, in Python's standard library) of the text of every named graph,
kept in step with the store by :meth:`SearchIndex.sync` and queried by
:meth:`SearchIndex.search`. The store stays the source of truth: the file can be deleted at any
time and the next sync rebuilds it.

The parts: :mod:`~essaim.search.normalise` (words, folding, the user's text made into FTS5
queries), :mod:`~essaim.search.texts` (what is read from the store, fingerprints),
:mod:`~essaim.search.schema` (the file's tables and row ids), :mod:`~essaim.search.index`
(:class:`SearchIndex`: the file kept in step), :mod:`~essaim.search.reader` (ranking, labels,
snippets) and :mod:`~essaim.search.results` (what a search and a sync give).

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

from essaim.search.index import IndexFull, SearchIndex, SearchUnavailable
from essaim.search.normalise import build_match, fold, match_groups, words
from essaim.search.results import Hit, SearchResults, SyncReport

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
