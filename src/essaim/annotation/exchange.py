"""Annotations out and in: CSV, W3C Web Annotation JSON-LD, REFI-QDA projects (``.qdpx``) and
codebooks (``.qdc``), and the import of a REFI-QDA codebook or project back into essaim.

**CSV**: one row per coded passage (columns :data:`CSV_COLUMNS`): the concept's IRI and its
French and English labels, the quote, the offsets (code points, end excluded), the coder's
pseudonymous IRI, the mode, the status, the times, the memo. A cell a spreadsheet would read as
a formula (one that begins with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return) is
written with a leading apostrophe, so that no cell runs.

**Web Annotation JSON-LD**: an ``AnnotationCollection`` (the standard's context, essaim's terms
for mode and status) whose one page holds every annotation, as ``/api/annotations`` gives them.

**REFI-QDA** (QDA-XML 1.0, ``urn:QDA-XML:project:1.0``; the schema's copy is in ``tests/``):

- ``project.qde`` in a zip (``.qdpx``), with each case text as ``sources/<guid>.txt``
  (``plainTextPath="internal://<guid>.txt"``);
- ``<Users>``: each coder as a pseudonym (``coder-`` and eight hex digits, the IRI in ``id``),
  never a name;
- ``<CodeBook>``: the SKOS codebook's schemes that code passages, each a code that cannot be
  coded (``isCodable="false"``) holding its concepts by ``skos:broader``; a code's name is its
  label (``lang``), its description its definition then a last line ``[essaim] <IRI>``;
- ``<Sources>``: a ``TextSource`` per case document, its ``PlainTextSelection`` per annotation
  with its ``Coding``. The schema types ``startPosition``/``endPosition`` as integers and names
  no unit; essaim writes Unicode code points from the start of the text, end excluded (what
  QualCoder, which counts in Python strings, reads). The selection's description carries the memo
  and a last line ``[essaim] annotation=<IRI> mode=<IRI>`` so that a re-import gives the same
  annotations.

GUIDs are UUID 5 of the IRIs (the same export twice is the same file). A codebook alone
(``.qdc``) is the same ``<CodeBook>`` in the namespace ``urn:QDA-XML:codebook:1.0``.

**Import**: codes match concepts by GUID, by the ``[essaim]`` IRI line, else by label (French or
English preferred or alternative label, case and accents kept); sources match documents by
the IRI in their description, else by their text; users by the IRI in ``id`` when it is a
pseudonymous essaim IRI, else they become ``kb/coder/refi-<guid>`` (their names are never
read). What matches nothing is reported, never guessed. A selection whose quote is not the
essaim text at its offsets is found again by its quote (the nearest occurrence), else reported.
"""

from __future__ import annotations

import csv
import io
import re
import uuid
import zipfile
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, cast

import pyoxigraph as ox
from lxml import etree

from essaim import namespaces as ns
from essaim.annotation.agreement import AgreementError, named_node
from essaim.annotation.checks import CONTEXT_LENGTH
from essaim.annotation.jsonld import CONTEXT, to_json
from essaim.annotation.model import ANNOTATION_BASE, CODED, Annotation, now
from essaim.store.base import Dataset
from essaim.users import USER_IRI_BASE

PROJECT_NS = "urn:QDA-XML:project:1.0"
CODEBOOK_NS = "urn:QDA-XML:codebook:1.0"
CSV_COLUMNS = (
    "annotation", "document", "initiative", "concept", "concept_fr", "concept_en", "quote",
    "start", "end", "coder", "mode", "status", "created", "modified", "memo",
)  # fmt: skip
#: The most a .qdpx may hold once unzipped, and the most one of its files may.
MAX_UNZIPPED = 200 * 1024 * 1024
IMPORTED_CODER_BASE = ns.KB + "coder/refi-"
_MARK = "[essaim] "
_FORMULA = ("=", "+", "-", "@", "\t", "\r")
_COLOURS = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2",
            "#17becf", "#bcbd22", "#7f7f7f")  # fmt: skip


class ExchangeError(ValueError):
    """A file cannot be read or written; one sentence naming what and where."""


def guid(iri: str) -> str:
    """The REFI-QDA GUID of an IRI (UUID 5 in the URL namespace)."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, iri))


def pseudonym(creator: str) -> str:
    """A coder's short pseudonym, from the random part of their IRI (never from a name)."""
    return "coder-" + guid(creator).replace("-", "")[:8]


# ---------------------------------------------------------------------------- the codebook


@dataclass
class Code:
    iri: str
    labels: dict[str, str]
    definition: dict[str, str]
    codable: bool
    children: list[Code] = field(default_factory=list)
    alt: list[str] = field(default_factory=list)

    def label(self, lang: str) -> str:
        return (
            self.labels.get(lang)
            or self.labels.get("en")
            or next(iter(self.labels.values()), self.iri.rsplit("/", 1)[-1])
        )


_LABELS = f"""
  OPTIONAL {{
    VALUES ?p {{ <{ns.SKOS}prefLabel> <{ns.SKOS}altLabel> <{ns.SKOS}definition>
                <{ns.RDFS}label> <{ns.DCTERMS}title> }}
    ?concept ?p ?label
  }}"""
_SCHEMES = f"""
SELECT ?scheme ?concept ?broader ?p ?label WHERE {{
  ?concept <{ns.ESSAIM}codableOnPassage> true .
  BIND(?concept AS ?scheme)
  {_LABELS}
}}"""
_CONCEPTS = f"""
SELECT ?scheme ?concept ?broader ?p ?label WHERE {{
  ?scheme <{ns.ESSAIM}codableOnPassage> true .
  ?concept <{ns.SKOS}inScheme> ?scheme .
  FILTER NOT EXISTS {{ ?concept <{ns.OWL}deprecated> true }}
  OPTIONAL {{ ?concept <{ns.SKOS}broader> ?broader }}
  {_LABELS}
}}"""


def codebook(public: Dataset) -> list[Code]:
    """The schemes that code passages, each with its concepts as a tree (``skos:broader``)."""
    codes: dict[str, Code] = {}
    scheme_of: dict[str, str] = {}
    broader: dict[str, set[str]] = {}
    schemes: set[str] = set()
    rows = [*cast(ox.QuerySolutions, public.query(_SCHEMES)),
            *cast(ox.QuerySolutions, public.query(_CONCEPTS))]  # fmt: skip
    for row in rows:
        scheme = cast(ox.NamedNode, row["scheme"]).value
        concept = cast(ox.NamedNode, row["concept"]).value
        schemes.add(scheme)
        code = codes.setdefault(concept, Code(concept, {}, {}, codable=concept != scheme))
        if concept != scheme:
            scheme_of[concept] = scheme
        if isinstance(row["broader"], ox.NamedNode):
            broader.setdefault(concept, set()).add(row["broader"].value)
        label, p = row["label"], row["p"]
        if isinstance(label, ox.Literal) and isinstance(p, ox.NamedNode):
            lang = label.language or ""
            if p.value == ns.SKOS + "definition":
                code.definition.setdefault(lang, label.value)
            elif p.value == ns.SKOS + "altLabel":
                if label.value not in code.alt:
                    code.alt.append(label.value)
            elif p.value == ns.SKOS + "prefLabel" or lang not in code.labels:
                code.labels[lang] = label.value
    for concept, scheme in scheme_of.items():
        parents = [b for b in sorted(broader.get(concept, ())) if scheme_of.get(b) == scheme]
        parent = parents[0] if parents and not _cycle(concept, parents[0], broader) else scheme
        codes[parent].children.append(codes[concept])
    for code in codes.values():
        code.children.sort(key=lambda c: c.iri)
    return [codes[s] for s in sorted(schemes)]


def _cycle(concept: str, parent: str, broader: Mapping[str, set[str]]) -> bool:
    """Whether ``parent``'s first broader chain comes back to ``concept``."""
    seen = {concept}
    while parent not in seen:
        seen.add(parent)
        above = sorted(broader.get(parent, ()))
        if not above:
            return False
        parent = above[0]
    return parent == concept


def _walk(codes: Iterable[Code]) -> Iterable[Code]:
    for code in codes:
        yield code
        yield from _walk(code.children)


def _code_element(parent: etree._Element, code: Code, lang: str, colour: str, space: str) -> None:
    element = etree.SubElement(
        parent, f"{{{space}}}Code", guid=guid(code.iri), name=code.label(lang),
        isCodable="true" if code.codable else "false", color=colour,
    )  # fmt: skip
    description = code.definition.get(lang) or code.definition.get("en") or ""
    etree.SubElement(element, f"{{{space}}}Description").text = (
        f"{description}\n{_MARK}{code.iri}" if description else f"{_MARK}{code.iri}"
    )
    for child in code.children:
        _code_element(element, child, lang, colour, space)


def _codebook_element(parent: etree._Element | None, codes: Sequence[Code], lang: str,
                      space: str) -> etree._Element:  # fmt: skip
    tag = f"{{{space}}}CodeBook"
    book = (
        etree.Element(tag, nsmap={None: space}) if parent is None else etree.SubElement(parent, tag)
    )
    container = etree.SubElement(book, f"{{{space}}}Codes")
    for i, code in enumerate(codes):
        _code_element(container, code, lang, _COLOURS[i % len(_COLOURS)], space)
    return book


def codebook_qdc(public: Dataset, lang: str = "en") -> bytes:
    """The codebook alone, as a REFI-QDA ``.qdc`` (``urn:QDA-XML:codebook:1.0``)."""
    book = _codebook_element(None, codebook(public), lang, CODEBOOK_NS)
    return cast(
        bytes, etree.tostring(book, xml_declaration=True, encoding="utf-8", pretty_print=True)
    )


# ---------------------------------------------------------------------------- CSV, JSON-LD


def _cell(value: object) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA) else text


def _time(value: datetime) -> str:
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


def to_csv(annotations: Iterable[Annotation], labels: Mapping[str, Mapping[str, str]]) -> str:
    """One row per annotation (``labels``: concept → language → label)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for a in annotations:
        names = labels.get(a.concept, {})
        writer.writerow(
            _cell(v)
            for v in (
                a.iri, a.document, a.initiative, a.concept, names.get("fr"), names.get("en"),
                a.exact, a.start, a.end, a.creator, a.mode, a.status, _time(a.created),
                _time(a.modified), a.memo,
            )
        )  # fmt: skip
    return out.getvalue()


def concept_labels(public: Dataset) -> dict[str, dict[str, str]]:
    return {code.iri: code.labels for code in _walk(codebook(public))}


def to_jsonld(annotations: Iterable[Annotation], base_url: str = "") -> dict[str, Any]:
    """An ``AnnotationCollection`` of the annotations (ids in the node's container when
    ``base_url`` is given, else their IRIs)."""
    items = [
        to_json(
            a,
            f"{base_url.rstrip('/')}/api/annotations/{a.iri[len(ANNOTATION_BASE) :]}"
            if base_url and a.iri.startswith(ANNOTATION_BASE)
            else a.iri,
            context=False,
        )
        for a in annotations
    ]
    return {
        "@context": CONTEXT,
        "type": "AnnotationCollection",
        "label": "essaim annotations",
        "total": len(items),
        "first": {"type": "AnnotationPage", "startIndex": 0, "items": items},
    }


# ---------------------------------------------------------------------------- REFI-QDA project


@dataclass(frozen=True)
class Source:
    iri: str
    title: str
    text: str


_TEXT = f"""
SELECT ?document ?text ?title WHERE {{
  ?document <{ns.ESSAIM}fullText> ?text .
  OPTIONAL {{ ?document <{ns.DCTERMS}title> ?title }}
}}"""


def _named(value: str) -> ox.NamedNode:
    try:
        return named_node(value, "document")
    except AgreementError as exc:
        raise ExchangeError(str(exc)) from None


def sources(public: Dataset, documents: Iterable[str]) -> list[Source]:
    found = []
    for document in sorted(set(documents)):
        rows = list(
            cast(
                ox.QuerySolutions,
                public.query(_TEXT, substitutions={"document": _named(document)}),
            )
        )
        if not rows:
            raise ExchangeError(f"{document} is no case document with a text (essaim:fullText)")
        titles = sorted(
            (r["title"].language != "en", r["title"].value)
            for r in rows
            if isinstance(r["title"], ox.Literal)
        )
        title = titles[0][1] if titles else document.rsplit("/", 1)[-1]
        found.append(Source(document, title, cast(ox.Literal, rows[0]["text"]).value))
    return found


def project_xml(
    codes: Sequence[Code], texts: Sequence[Source], annotations: Sequence[Annotation],
    lang: str = "en", name: str = "essaim",
) -> etree._Element:  # fmt: skip
    """The ``project.qde`` document."""
    p = PROJECT_NS
    project = etree.Element(
        f"{{{p}}}Project", nsmap={None: p}, name=name, origin="essaim",
        creationDateTime=_time(now()),
    )  # fmt: skip
    coders = sorted({a.creator for a in annotations})
    if coders:
        users = etree.SubElement(project, f"{{{p}}}Users")
        for coder in coders:
            etree.SubElement(users, f"{{{p}}}User", guid=guid(coder), name=pseudonym(coder),
                             id=coder)  # fmt: skip
    if codes:
        _codebook_element(project, codes, lang, p)
    if texts:
        container = etree.SubElement(project, f"{{{p}}}Sources")
        for source in texts:
            key = guid(source.iri)
            element = etree.SubElement(
                container, f"{{{p}}}TextSource", guid=key, name=source.title,
                plainTextPath=f"internal://{key}.txt",
            )  # fmt: skip
            etree.SubElement(element, f"{{{p}}}Description").text = f"{_MARK}{source.iri}"
            for a in sorted((a for a in annotations if a.document == source.iri),
                            key=lambda a: (a.start, a.end, a.iri)):  # fmt: skip
                _selection(element, a)
    return project


def _selection(parent: etree._Element, a: Annotation) -> None:
    p = PROJECT_NS
    selection = etree.SubElement(
        parent, f"{{{p}}}PlainTextSelection", guid=guid(a.iri), name=a.exact[:60],
        startPosition=str(a.start), endPosition=str(a.end), creatingUser=guid(a.creator),
        creationDateTime=_time(a.created), modifyingUser=guid(a.creator),
        modifiedDateTime=_time(a.modified),
    )  # fmt: skip
    mark = f"{_MARK}annotation={a.iri}" + (f" mode={a.mode}" if a.mode else "")
    etree.SubElement(selection, f"{{{p}}}Description").text = (
        f"{a.memo}\n{mark}" if a.memo else mark
    )
    coding = etree.SubElement(
        selection, f"{{{p}}}Coding", guid=guid(a.iri + "#coding"), creatingUser=guid(a.creator),
        creationDateTime=_time(a.created),
    )  # fmt: skip
    etree.SubElement(coding, f"{{{p}}}CodeRef", targetGUID=guid(a.concept))


def to_qdpx(
    public: Dataset, annotations: Sequence[Annotation], documents: Iterable[str] = (),
    lang: str = "en",
) -> bytes:  # fmt: skip
    """A REFI-QDA project: the codebook, the documents (those given and those annotated), the
    annotations and their coders as pseudonyms."""
    texts = sources(public, {*documents, *(a.document for a in annotations)})
    project = project_xml(codebook(public), texts, annotations, lang)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(
            "project.qde",
            etree.tostring(project, xml_declaration=True, encoding="utf-8", pretty_print=True),
        )
        for source in texts:
            archive.writestr(f"sources/{guid(source.iri)}.txt", source.text.encode("utf-8"))
    return out.getvalue()


# ---------------------------------------------------------------------------- import


@dataclass
class ImportReport:
    """What an import found: annotations ready to store, and what matched nothing."""

    annotations: list[Annotation] = field(default_factory=list)
    codes: dict[str, str] = field(default_factory=dict)  # code GUID → concept IRI
    unmatched_codes: list[str] = field(default_factory=list)  # "name (guid)"
    unmatched_sources: list[str] = field(default_factory=list)
    unmatched_selections: list[str] = field(default_factory=list)
    imported_coders: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        out = [f"{len(self.annotations)} annotation(s), {len(self.codes)} code(s) matched"]
        out += [f"code matched no concept: {c}" for c in self.unmatched_codes]
        out += [f"source matched no document: {s}" for s in self.unmatched_sources]
        out += [f"selection not imported: {s}" for s in self.unmatched_selections]
        out += [f"coder from another tool, kept as {c}" for c in self.imported_coders]
        return out


def _parser() -> etree.XMLParser:
    """An XML parser that reads no DTD, expands no entity and fetches nothing."""
    return etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False,
                           dtd_validation=False, huge_tree=False, remove_comments=True)  # fmt: skip


def parse_xml(data: bytes, what: str) -> etree._Element:
    try:
        root = etree.fromstring(data, _parser())
    except etree.XMLSyntaxError as exc:
        line = exc.position[0] if exc.position else "?"
        raise ExchangeError(f"{what}: not well-formed XML (line {line}): {exc.msg}") from None
    if root is None:
        raise ExchangeError(f"{what}: empty document")
    return root


def _local(element: etree._Element) -> str:
    return str(etree.QName(element).localname)


def _children(element: etree._Element, name: str) -> list[etree._Element]:
    return [c for c in element if isinstance(c.tag, str) and _local(c) == name]


def _description(element: etree._Element) -> str:
    found = _children(element, "Description")
    return (found[0].text or "") if found else ""


def _marked(description: str) -> tuple[str, str]:
    """The text before the ``[essaim]`` line, and that line's content."""
    lines = description.split("\n")
    if lines and lines[-1].startswith(_MARK):
        return "\n".join(lines[:-1]), lines[-1][len(_MARK) :]
    return description, ""


def match_codes(root: etree._Element, public: Dataset) -> ImportReport:
    """Match the codes of a ``<CodeBook>`` (or a project holding one) to concepts."""
    known = list(_walk(codebook(public)))
    by_guid = {guid(c.iri): c.iri for c in known if c.codable}
    by_iri = {c.iri for c in known if c.codable}
    by_label: dict[str, str] = {}
    for c in known:
        if c.codable:
            for label in [*c.labels.values(), *c.alt]:
                by_label.setdefault(label.strip().casefold(), c.iri)
    report = ImportReport()
    books = [root] if _local(root) == "CodeBook" else _children(root, "CodeBook")
    for book in books:
        for code in book.iter(f"{{{root.nsmap.get(None, PROJECT_NS)}}}Code", "{*}Code"):
            key, name = code.get("guid", ""), code.get("name", "")
            if code.get("isCodable") == "false":
                continue
            _, mark = _marked(_description(code))
            concept = (
                by_guid.get(key.strip("{}").lower())
                or (mark if mark in by_iri else None)
                or by_label.get(name.strip().casefold())
            )
            if concept:
                report.codes[key.strip("{}").lower()] = concept
            else:
                report.unmatched_codes.append(f"{name} ({key})")
    return report


def read_codebook(data: bytes, public: Dataset) -> ImportReport:
    """A REFI-QDA ``.qdc``: which codes match which concepts, and which match none."""
    root = parse_xml(data, "codebook")
    if _local(root) != "CodeBook":
        raise ExchangeError(f"codebook: the root element is {_local(root)}, not CodeBook")
    return match_codes(root, public)


def _read_zip(data: bytes) -> tuple[bytes, dict[str, bytes]]:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile:
        raise ExchangeError("project: not a .qdpx (zip) file") from None
    with archive:
        infos = archive.infolist()
        if sum(i.file_size for i in infos) > MAX_UNZIPPED:
            raise ExchangeError(f"project: unzipped, it would exceed {MAX_UNZIPPED} bytes")
        names = {i.filename for i in infos}
        if "project.qde" not in names:
            raise ExchangeError("project: the .qdpx holds no project.qde")
        texts = {
            i.filename.rsplit("/", 1)[-1]: archive.read(i)
            for i in infos
            if i.filename.startswith("sources/") and i.filename.endswith(".txt")
        }
        return archive.read("project.qde"), texts


def _documents_by_text(public: Dataset) -> dict[str, str]:
    rows = public.query(f"SELECT ?d ?text WHERE {{ ?d <{ns.ESSAIM}fullText> ?text }}")
    return {
        cast(ox.Literal, r["text"]).value: cast(ox.NamedNode, r["d"]).value
        for r in cast(ox.QuerySolutions, rows)
    }


def _document_text(public: Dataset, document: str) -> str | None:
    """The text of ``document``; None when it is no case document (or no IRI at all)."""
    try:
        named_node(document, "document")
    except AgreementError:
        return None
    rows = list(
        cast(
            ox.QuerySolutions,
            public.query(
                f"SELECT ?document ?text WHERE {{ ?document <{ns.ESSAIM}fullText> ?text }}",
                substitutions={"document": ox.NamedNode(document)},
            ),
        )
    )
    return cast(ox.Literal, rows[0]["text"]).value if rows else None


_ANNOTATION_MARK = re.compile(r"annotation=(\S+)(?: mode=(\S+))?")


def read_project(
    data: bytes, public: Dataset, accounts: Collection[str] | None = None
) -> ImportReport:
    """A REFI-QDA ``.qdpx``: its coded text selections as essaim annotations (see the module's
    docstring for the matching); nothing is stored. ``accounts``: the pseudonymous IRIs of this
    node's users; a user of the file keeps an essaim IRI only when it is one of them (an import
    cannot put codes in the name of someone else's account elsewhere)."""
    xml, files = _read_zip(data)
    root = parse_xml(xml, "project.qde")
    if _local(root) != "Project":
        raise ExchangeError(f"project.qde: the root element is {_local(root)}, not Project")
    report = match_codes(root, public)
    coders = _coders(root, report, accounts)
    by_text: dict[str, str] | None = None
    for container in _children(root, "Sources"):
        for source in _children(container, "TextSource"):
            key = source.get("guid", "").strip("{}").lower()
            text = _source_text(source, files, key)
            _, mark = _marked(_description(source))
            document = mark if mark and _document_text(public, mark) is not None else None
            if document is None and text is not None:
                by_text = by_text if by_text is not None else _documents_by_text(public)
                document = by_text.get(text)
            if document is None:
                report.unmatched_sources.append(f"{source.get('name', '')} ({key})")
                continue
            essaim_text = cast(str, _document_text(public, document))
            initiative = _initiative(public, document)
            for selection in _children(source, "PlainTextSelection"):
                _import_selection(selection, document, initiative, text or essaim_text,
                                  essaim_text, coders, report)  # fmt: skip
    return report


def _coders(
    root: etree._Element, report: ImportReport, accounts: Collection[str] | None
) -> dict[str, str]:
    coders: dict[str, str] = {}
    for users in _children(root, "Users"):
        for user in _children(users, "User"):
            key = user.get("guid", "").strip("{}").lower()
            given = user.get("id", "")
            random = given.removeprefix(USER_IRI_BASE)
            pseudonymous = given.startswith(USER_IRI_BASE) and re.fullmatch(r"[0-9a-f]{32}", random)
            if pseudonymous and (accounts is None or given in accounts):
                coders[key] = given
            else:
                coders[key] = IMPORTED_CODER_BASE + key
                report.imported_coders.append(coders[key])
    return coders


def _source_text(source: etree._Element, files: Mapping[str, bytes], key: str) -> str | None:
    inline = _children(source, "PlainTextContent")
    if inline:
        return inline[0].text or ""
    path = source.get("plainTextPath", "")
    name = path.removeprefix("internal://") if path.startswith("internal://") else f"{key}.txt"
    data = files.get(name)
    if data is None:
        return None
    return data.decode("utf-8-sig")


def _initiative(public: Dataset, document: str) -> str | None:
    rows = cast(
        ox.QuerySolutions,
        public.query(
            f"SELECT ?document ?i WHERE {{ ?i <{ns.ESSAIM}caseDocument> ?document }} ORDER BY ?i",
            substitutions={"document": ox.NamedNode(document)},
        ),
    )
    for row in rows:
        return cast(ox.NamedNode, row["i"]).value
    return None


def _import_selection(
    selection: etree._Element, document: str, initiative: str | None, text: str,
    essaim_text: str,
    coders: Mapping[str, str], report: ImportReport,
) -> None:  # fmt: skip
    key = selection.get("guid", "").strip("{}").lower()
    label = f"{selection.get('name', '')[:40]} ({key})"
    try:
        start, end = int(selection.get("startPosition", "")), int(selection.get("endPosition", ""))
    except ValueError:
        report.unmatched_selections.append(f"{label}: positions are not integers")
        return
    if not 0 <= start < end <= len(text):
        report.unmatched_selections.append(f"{label}: positions outside the text")
        return
    exact = text[start:end]
    if essaim_text[start:end] != exact:
        found = _nearest(essaim_text, exact, start)
        if found is None:
            report.unmatched_selections.append(f"{label}: its quote is not in essaim's text")
            return
        start, end = found, found + len(exact)
    memo, mark = _marked(_description(selection))
    matched = _ANNOTATION_MARK.fullmatch(mark) if mark else None
    iri = matched.group(1) if matched and matched.group(1).startswith(ANNOTATION_BASE) else None
    mode = matched.group(2) if matched else None
    creator = coders.get(selection.get("creatingUser", "").strip("{}").lower())
    for coding in _children(selection, "Coding"):
        refs = _children(coding, "CodeRef")
        target = refs[0].get("targetGUID", "").strip("{}").lower() if refs else ""
        concept = report.codes.get(target)
        if concept is None:
            report.unmatched_selections.append(f"{label}: its code matched no concept")
            continue
        who = creator or coders.get(coding.get("creatingUser", "").strip("{}").lower())
        if who is None:
            report.unmatched_selections.append(f"{label}: no coder")
            continue
        created = _datetime(coding.get("creationDateTime") or selection.get("creationDateTime"))
        modified = _datetime(selection.get("modifiedDateTime")) or created
        report.annotations.append(
            Annotation(
                iri=iri if iri and len(_children(selection, "Coding")) == 1
                else ANNOTATION_BASE + uuid.uuid5(uuid.NAMESPACE_URL, key + target).hex,
                document=document, concept=concept, start=start, end=end, exact=exact,
                creator=who, prefix=essaim_text[max(0, start - CONTEXT_LENGTH) : start],
                suffix=essaim_text[end : end + CONTEXT_LENGTH], mode=mode, status=CODED,
                created=created or now(), modified=modified or now(), memo=memo or None,
                initiative=initiative,
            )
        )  # fmt: skip


def _nearest(text: str, quote: str, near: int) -> int | None:
    positions = [m.start() for m in re.finditer(re.escape(quote), text)]
    return min(positions, key=lambda p: abs(p - near)) if positions else None


def _datetime(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
