"""Content negotiation: which serialisation of a result the client gets.

A client names what it accepts in ``Accept`` (media ranges with q-values, RFC 9110 §12.5.1) or,
from a browser, with a ``format`` parameter (a short name such as ``json`` or ``turtle``, or a
media type). Each kind of result has its own offers, in the server's order of preference, used
to break ties and to answer ``*/*``.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

JSON = "application/sparql-results+json"
XML = "application/sparql-results+xml"
CSV = "text/csv"
TSV = "text/tab-separated-values"
TURTLE = "text/turtle"
NTRIPLES = "application/n-triples"
NQUADS = "application/n-quads"
TRIG = "application/trig"
RDFXML = "application/rdf+xml"
JSONLD = "application/ld+json"

#: Offers per result kind: (media type the client may ask for, media type pyoxigraph writes).
OFFERS: Mapping[str, Sequence[tuple[str, str]]] = {
    "solutions": (
        (JSON, JSON),
        (XML, XML),
        (CSV, CSV),
        (TSV, TSV),
        ("application/json", JSON),
        ("application/xml", XML),
        ("text/xml", XML),
    ),
    "boolean": (
        (JSON, JSON),
        (XML, XML),
        ("application/json", JSON),
        ("application/xml", XML),
        ("text/xml", XML),
        (CSV, CSV),
        (TSV, TSV),
    ),
    "graph": (
        (TURTLE, TURTLE),
        (NTRIPLES, NTRIPLES),
        (NQUADS, NQUADS),
        (TRIG, TRIG),
        (RDFXML, RDFXML),
        (JSONLD, JSONLD),
        ("application/x-turtle", TURTLE),
        ("text/plain", NTRIPLES),
        ("application/xml", RDFXML),
        ("application/json", JSONLD),
    ),
}

#: Short names for the ``format`` parameter.
SHORT_NAMES: Mapping[str, str] = {
    "json": JSON,
    "srj": JSON,
    "xml": XML,
    "srx": XML,
    "csv": CSV,
    "tsv": TSV,
    "turtle": TURTLE,
    "ttl": TURTLE,
    "ntriples": NTRIPLES,
    "nt": NTRIPLES,
    "nquads": NQUADS,
    "nq": NQUADS,
    "trig": TRIG,
    "rdfxml": RDFXML,
    "rdf": RDFXML,
    "jsonld": JSONLD,
    # The names SPARQLWrapper sends (format=json-ld, rdf+xml, n3); Turtle is N3.
    "json-ld": JSONLD,
    "rdf+xml": RDFXML,
    "n3": TURTLE,
}

#: What a ``format=json`` asks of a graph result, and so on: the same family in the other kind.
_GRAPH_EQUIVALENT = {JSON: JSONLD, XML: RDFXML}
_RESULTS_EQUIVALENT = {JSONLD: JSON, RDFXML: XML}


@dataclass(frozen=True)
class MediaRange:
    type: str
    subtype: str
    q: float
    params: tuple[tuple[str, str], ...] = ()

    @property
    def specificity(self) -> int:
        if self.type == "*":
            return 0
        if self.subtype == "*":
            return 1
        return 2 + len(self.params)

    def matches(self, media_type: str) -> bool:
        main, _, sub = media_type.partition("/")
        return self.type in ("*", main) and self.subtype in ("*", sub)


class NotAcceptable(Exception):
    def __init__(self, offered: Sequence[str]) -> None:
        super().__init__("no acceptable format; this resource is offered as " + ", ".join(offered))
        self.offered = list(offered)


class BadFormat(ValueError):
    pass


def parse_accept(header: str | None) -> list[MediaRange]:
    """The media ranges of an Accept header; a missing or empty one accepts anything."""
    if not header or not header.strip():
        return [MediaRange("*", "*", 1.0)]
    ranges: list[MediaRange] = []
    for item in header.split(","):
        parts = [p.strip() for p in item.split(";")]
        main, _, sub = parts[0].lower().partition("/")
        if not main or not sub:
            continue
        q = 1.0
        params: list[tuple[str, str]] = []
        for part in parts[1:]:
            key, _, value = part.partition("=")
            key = key.strip().lower()
            if key == "q":
                try:
                    q = max(0.0, min(1.0, float(value)))
                except ValueError:
                    q = 0.0
            elif key:
                params.append((key, value.strip().strip('"')))
        ranges.append(MediaRange(main, sub, q, tuple(params)))
    return ranges


def quality(ranges: Sequence[MediaRange], media_type: str) -> float:
    """The q-value the client gives ``media_type``: that of the most specific range matching it."""
    best: MediaRange | None = None
    for candidate in ranges:
        if candidate.matches(media_type) and (
            best is None or candidate.specificity > best.specificity
        ):
            best = candidate
    return best.q if best is not None else 0.0


def choose(kind: str, ranges: Sequence[MediaRange]) -> str | None:
    """The media type pyoxigraph should write for a result of ``kind``, or None."""
    best: tuple[float, int] | None = None
    chosen: str | None = None
    for rank, (asked, written) in enumerate(OFFERS[kind]):
        q = quality(ranges, asked)
        if q > 0 and (best is None or (q, -rank) > best):
            best, chosen = (q, -rank), written
    return chosen


def formats_for(accept: str | None, format_param: str | None) -> dict[str, str | None]:
    """The media type to write for each kind of result, from ``format`` or else ``Accept``
    (remembered: clients send the same few headers again and again; long ones are not kept, so
    the cache stays under 1024 entries of 1 KB)."""
    if len(accept or "") + len(format_param or "") > 1024:
        return _negotiate(accept, format_param)
    return dict(_formats_for(accept, format_param))


@functools.lru_cache(maxsize=1024)
def _formats_for(
    accept: str | None, format_param: str | None
) -> tuple[tuple[str, str | None], ...]:
    return tuple(_negotiate(accept, format_param).items())


def _negotiate(accept: str | None, format_param: str | None) -> dict[str, str | None]:
    """The media type to write for each kind of result, from ``format`` or else ``Accept``."""
    ranges = _format_ranges(format_param) if format_param else parse_accept(accept)
    return {kind: choose(kind, ranges) for kind in OFFERS}


def _format_ranges(format_param: str) -> list[MediaRange]:
    """``format`` as media ranges: one name or media type, or several separated by commas (the
    endpoint joins repeated ``format`` parameters: SPARQLWrapper sends ``format=tsv&format=
    text/tab-separated-values``), in the client's order of preference. Unknown names are
    skipped when another is known."""
    known = {written for offers in OFFERS.values() for asked, written in offers}
    known |= {asked for offers in OFFERS.values() for asked, _ in offers}
    wanted: list[str] = []
    for item in format_param.split(","):
        name = item.strip().lower()
        media = SHORT_NAMES.get(name, name.split(";")[0].strip())
        if media in known and media not in wanted:
            wanted.append(media)
    if not wanted:
        raise BadFormat(
            f"unknown format {format_param!r}: use one of {', '.join(sorted(SHORT_NAMES))} "
            "or a media type"
        )
    ranges = [_range(media, 1.0 - rank / 100) for rank, media in enumerate(wanted)]
    for media in wanted:
        ranges += [
            _range(_GRAPH_EQUIVALENT.get(media, media), 0.5),
            _range(_RESULTS_EQUIVALENT.get(media, media), 0.5),
        ]
    return ranges


def _range(media_type: str, q: float) -> MediaRange:
    main, _, sub = media_type.partition("/")
    return MediaRange(main, sub, q)


def offered(kind: str) -> list[str]:
    return list(dict.fromkeys(asked for asked, _ in OFFERS[kind]))


def with_charset(media_type: str) -> str:
    """The Content-Type header for a media type pyoxigraph writes (always UTF-8)."""
    if media_type.startswith("text/") or media_type in (JSON, NTRIPLES, NQUADS, TRIG, JSONLD):
        return f"{media_type}; charset=utf-8"
    return media_type


_HTML = ("text/html", "application/xhtml+xml")


def prefers_html(accept: str | None, format_param: str | None) -> bool:
    """Whether a request for a description asks for a page rather than RDF: ``format=html``, or
    an Accept that names HTML itself (not through ``*/*``) at least as high as any RDF type, as
    browsers do.

    >>> prefers_html("text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", None)
    True
    >>> [prefers_html(a, None) for a in (None, "*/*", "text/turtle", "application/rdf+xml",
    ...                                  "text/html;q=0.5, text/turtle")]
    [False, False, False, False, False]
    >>> prefers_html("text/turtle", "html"), prefers_html("text/html", "turtle")
    (True, False)
    """
    if format_param:
        return format_param.strip().lower() in ("html", *_HTML)
    ranges = parse_accept(accept)
    named = [r for r in ranges if f"{r.type}/{r.subtype}" in _HTML and r.q > 0]
    if not named:
        return False
    html = max(quality(ranges, media) for media in _HTML)
    return html >= max(quality(ranges, asked) for asked, _ in OFFERS["graph"])
