"""Answering a search: the ranked page of resources (bm25 with tier weights, or a static rank
beyond ``_RANK_ROWS`` matching texts), then their labels and highlighted snippets (see
:mod:`essaim.search`, "Ranking and grouping").

>>> _segments("le " + OPEN + "réseau" + CLOSE + "  des   acteurs ")
[('le ', False), ('réseau', True), (' des acteurs', False)]
"""

from __future__ import annotations

import re
import sqlite3
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from typing import cast

from essaim import namespaces as ns
from essaim.search.normalise import fold, match_groups, primary_language
from essaim.search.results import Hit, SearchResults
from essaim.search.schema import CLOSE, LABEL, OPEN, RID_SHIFT, lang_class

_WEIGHTS = (10.0, 3.0, 1.0)
_EXACT_LABEL_BOOST = 2.0
_OTHER_LANGUAGE = 0.75

#: Beyond this many matching texts, rank without bm25 (see :mod:`essaim.search`).
_RANK_ROWS = 10_000
_SNIPPET_TOKENS = 24
_FALLBACK_LABEL_CHARS = 80

#: Display order of label fields (a hit's label); hidden labels are never shown.
_LABEL_ORDER = ("prefLabel", "label", "title", "name", "heading", "altLabel")
_SPACE = re.compile(r"\s+")


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


def search(
    connect: Callable[[], AbstractContextManager[sqlite3.Connection]],
    text: str,
    *,
    lang: str | None = None,
    kinds: Sequence[str] | None = None,
    limit: int = 20,
    offset: int = 0,
    timeout_s: float | None = None,
) -> SearchResults:
    """The resources matching ``text``, best first, read through a connection from
    ``connect``; see :mod:`essaim.search`. With ``timeout_s``, SQLite stops the search at that
    limit: TimeoutError."""
    if limit < 0 or offset < 0:
        raise ValueError("limit and offset cannot be negative")
    empty = SearchResults(text, [], 0, offset, limit)
    groups = match_groups(text)
    if not groups:
        return empty
    wanted = primary_language(lang or "")
    kind_iris = sorted({_expand(k) for k in kinds}) if kinds is not None else None
    if kind_iris is not None and not kind_iris:
        return empty
    query = _Query(text, wanted, kind_iris, limit, offset)
    with connect() as db, _stopped_after(db, timeout_s):
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
            "lang": lang_class(self.lang) if self.lang else 0,
            "limit": 1 if first_only else max(self.limit, 1),
            "offset": 0 if first_only else self.offset,
        }
        kinds = ""
        if self.kinds is not None:
            names = ", ".join(f":k{i}" for i in range(len(self.kinds)))
            kinds = _KINDS_FILTER.format(shift=RID_SHIFT, names=names)
            params.update({f"k{i}": k for i, k in enumerate(self.kinds)})
        every_word = ""
        if every and len(groups) > 1:
            each = (_ONE_WORD.format(shift=RID_SHIFT, i=i) for i in range(len(groups)))
            every_word = _EVERY_WORD.format(shift=RID_SHIFT, words=" INTERSECT ".join(each))
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
                shift=RID_SHIFT,
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
            f" FROM entries AS e JOIN resources AS r ON r.rid = e.id >> {RID_SHIFT}"
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
        snippets[rowid] = whole if details[rowid][6] == LABEL else part
    hits = []
    for rid, rowid, score, _total in page:
        _, iri, kind, graph, field_name, lang, _tier, document, start, end, text = details[rowid]
        labels = db.execute(
            "SELECT field, lang, label FROM entries WHERE id BETWEEN ? AND ? AND tier = ?",
            (rid << RID_SHIFT, ((rid + 1) << RID_SHIFT) - 1, LABEL),
        ).fetchall()
        label = _best_label(labels, wanted, primary_language(lang))
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


def _expand(kind: str) -> str:
    prefix, _, local = kind.partition(":")
    if local and not local.startswith("//") and prefix in ns.PREFIXES:
        return ns.PREFIXES[prefix] + local
    return kind


def _best_label(labels: list[tuple[str, str, str]], wanted: str, matched: str) -> str | None:
    """The label to show among ``(field, lang, text)``: by language (``wanted``, the matched
    text's, untagged, any), then by field (``_LABEL_ORDER``)."""
    shown = [label for label in labels if label[0] in _LABEL_ORDER]
    if not shown:
        return None

    def rank(label: tuple[str, str, str]) -> tuple[int, int, str]:
        field_name, lang, text = label
        primary = primary_language(lang)
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
    for part in re.split(f"([{OPEN}{CLOSE}])", marked):
        if part == OPEN:
            highlighted = True
        elif part == CLOSE:
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
