"""The index file: its tables, and what a row's id says (resource, sequence, tier, language
class), so that ranking reads FTS5's doclists only (see :mod:`essaim.search`, "Storage and
speed").

>>> rowid = 5 << RID_SHIFT | 2 << SEQ_SHIFT | BODY << 2 | lang_class("en")
>>> rowid >> RID_SHIFT, (rowid >> SEQ_SHIFT) & (SEQ_LIMIT - 1), (rowid >> 2) & 3, rowid & 3
(5, 2, 1, 2)
"""

from __future__ import annotations

#: Bump when what is indexed or how changes: every graph is then re-indexed at the next sync.
INDEX_VERSION = "1"
SCHEMA_VERSION = 1

#: remove_diacritics 2 (3.27), window functions (3.25).
SQLITE_MIN = (3, 27)
LABEL, BODY, PASSAGE = 0, 1, 2
OPEN, CLOSE = "\x02", "\x03"  # highlight markers; removed from indexed text


# A row's id says which resource it belongs to, its tier and the class of its language, so that
# ranking, grouping by resource and the language preference read FTS5's doclists only, never
# the rows: id = resource << 24 | sequence << 4 | tier << 2 | language class.
RID_SHIFT = 24
SEQ_SHIFT = 4
SEQ_LIMIT = 1 << (RID_SHIFT - SEQ_SHIFT)
_LANG_CLASSES = {"": 0, "fr": 1, "en": 2}
_OTHER_LANG_CLASS = 3


def lang_class(primary: str) -> int:
    """The class of a primary language subtag in a row id: untagged, French, English, other."""
    return _LANG_CLASSES.get(primary, _OTHER_LANG_CLASS)


SCHEMA = (
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
    f"PRAGMA user_version = {SCHEMA_VERSION}",
)
