"""Annotations out and in: CSV without formulas, Web Annotation JSON-LD, a REFI-QDA project
that the QDA-XML schema accepts and that re-imports to the same annotations, a codebook."""

from __future__ import annotations

import csv
import dataclasses
import io
import zipfile
from pathlib import Path
from xml.sax.saxutils import escape

import pytest
from lxml import etree

from annotation_data import (
    ALICE,
    BOB,
    DOCUMENT,
    LACK_OF_TIME,
    annotations,
    case,
    public_store,
)
from essaim import namespaces as ns
from essaim.annotation.exchange import (
    CODEBOOK_NS,
    CSV_COLUMNS,
    IMPORTED_CODER_BASE,
    PROJECT_NS,
    ExchangeError,
    codebook_qdc,
    concept_labels,
    guid,
    parse_xml,
    pseudonym,
    read_codebook,
    read_project,
    to_csv,
    to_jsonld,
    to_qdpx,
)
from essaim.store import EmbeddedStore

SCHEMA = Path(__file__).parent / "data" / "refi-qda" / "Project-mrt2019.xsd"


@pytest.fixture(scope="module")
def public(tmp_path_factory: pytest.TempPathFactory) -> EmbeddedStore:
    return public_store(tmp_path_factory.mktemp("exchange"))


@pytest.fixture(scope="module")
def schema() -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(SCHEMA)))


def _project(data: bytes) -> etree._Element:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return etree.fromstring(archive.read("project.qde"))


def _memo() -> list:  # type: ignore[type-arg]
    items = annotations()
    items[0] = dataclasses.replace(items[0], memo='=HYPERLINK("http://x") 🙂 à revoir')
    return items


def test_csv_rows_and_no_formula(public: EmbeddedStore) -> None:
    items = _memo()
    text = to_csv(items, concept_labels(public))
    rows = list(csv.reader(io.StringIO(text)))
    assert tuple(rows[0]) == CSV_COLUMNS and len(rows) == 1 + len(items)
    first = dict(zip(CSV_COLUMNS, rows[1], strict=True))
    assert first["concept"] == LACK_OF_TIME and first["concept_en"] == "Lack of time"
    assert first["concept_fr"] and first["quote"] == items[0].exact
    assert (int(first["start"]), int(first["end"])) == (items[0].start, items[0].end)
    assert first["coder"] == ALICE
    assert first["memo"].startswith("'=HYPERLINK")  # neutralised, not a formula
    for row in rows[1:]:
        for cell in row:
            assert not cell.startswith(("=", "+", "-", "@")), cell


def test_jsonld_collection() -> None:
    items = annotations()
    out = to_jsonld(items, "https://node.example")
    assert out["@context"][0] == "http://www.w3.org/ns/anno.jsonld"
    assert out["type"] == "AnnotationCollection" and out["total"] == len(items)
    first = out["first"]["items"][0]
    assert first["id"].startswith("https://node.example/api/annotations/")
    assert first["motivation"] == "classifying" and first["body"] == items[0].concept
    selectors = {s["type"]: s for s in first["target"]["selector"]}
    assert selectors["TextPositionSelector"]["start"] == items[0].start


def test_project_validates_against_the_schema_and_round_trips(
    public: EmbeddedStore, schema: etree.XMLSchema
) -> None:
    items = _memo()
    data = to_qdpx(public, items)
    project = _project(data)
    schema.assertValid(project)
    p = f"{{{PROJECT_NS}}}"
    users = project.findall(f"{p}Users/{p}User")
    assert {u.get("name") for u in users} == {pseudonym(ALICE), pseudonym(BOB)}
    assert {u.get("id") for u in users} == {ALICE, BOB}  # pseudonymous IRIs, no names
    selections = project.findall(f".//{p}PlainTextSelection")
    assert len(selections) == len(items)
    # code points: the emoji before the first passage counts as one
    text = case().text
    first = min(selections, key=lambda s: int(s.get("startPosition")))
    start, end = int(first.get("startPosition")), int(first.get("endPosition"))
    assert text[start:end] == items[0].exact and "🙂" in items[0].exact
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert archive.read(f"sources/{guid(DOCUMENT)}.txt").decode() == text
    report = read_project(data, public)
    assert report.unmatched_codes == report.unmatched_sources == []
    assert report.unmatched_selections == []
    key = lambda a: a.iri  # noqa: E731
    assert sorted(report.annotations, key=key) == sorted(items, key=key)
    # with the node's accounts given, a coder who has none is not taken at their word
    other = read_project(data, public, accounts={ALICE})
    assert {a.creator for a in other.annotations} == {ALICE, other.imported_coders[0]}
    assert other.imported_coders[0].startswith(IMPORTED_CODER_BASE)


def test_codebook_alone(public: EmbeddedStore, schema: etree.XMLSchema) -> None:
    data = codebook_qdc(public, "fr")
    book = etree.fromstring(data)
    assert book.tag == f"{{{CODEBOOK_NS}}}CodeBook"
    # the project schema's CodeBook structure: the same tree in the project namespace
    text = data.decode().replace(CODEBOOK_NS, PROJECT_NS).split("?>", 1)[1]
    wrapped = etree.fromstring(
        f'<Project xmlns="{PROJECT_NS}" name="check">{text}</Project>'.encode()
    )
    schema.assertValid(wrapped)
    names = {c.get("name") for c in book.iter(f"{{{CODEBOOK_NS}}}Code")}
    assert "Manque de temps" in names
    schemes = [c for c in book.iter(f"{{{CODEBOOK_NS}}}Code") if c.get("isCodable") == "false"]
    assert schemes and all(s.getparent().tag.endswith("Codes") for s in schemes)
    # the section types code no passage: not in the codebook
    assert guid(ns.CODEBOOK + "section-type/argument") not in data.decode()
    report = read_codebook(data, public)
    assert report.unmatched_codes == [] and LACK_OF_TIME in report.codes.values()


def test_codebook_from_another_tool_matches_by_label(public: EmbeddedStore) -> None:
    data = f"""<?xml version="1.0" encoding="utf-8"?>
<CodeBook xmlns="{CODEBOOK_NS}"><Codes>
  <Code guid="11111111-1111-1111-1111-111111111111" name="lack of time" isCodable="true"/>
  <Code guid="22222222-2222-2222-2222-222222222222" name="Manque de temps" isCodable="true"/>
  <Code guid="33333333-3333-3333-3333-333333333333" name="Weather" isCodable="true"/>
</Codes></CodeBook>""".encode()
    report = read_codebook(data, public)
    assert report.codes == {
        "11111111-1111-1111-1111-111111111111": LACK_OF_TIME,
        "22222222-2222-2222-2222-222222222222": LACK_OF_TIME,
    }
    assert report.unmatched_codes == ["Weather (33333333-3333-3333-3333-333333333333)"]


def test_project_from_another_tool(public: EmbeddedStore) -> None:
    """Users by name become pseudonymous coders; a source found by the IRI in its description
    though its text has a preamble, and the selection found again by its quote."""
    shifted = "Préambule.\n" + case().text
    start, heading = shifted.index("mal reconnue"), shifted.index("Freins")
    qde = f"""<?xml version="1.0" encoding="utf-8"?>
<Project xmlns="{PROJECT_NS}" name="other">
 <Users><User guid="aaaaaaaa-0000-0000-0000-000000000001" name="Jane Doe"/></Users>
 <CodeBook><Codes>
  <Code guid="cccccccc-0000-0000-0000-000000000001" name="Low recognition" isCodable="true"/>
  <Code guid="cccccccc-0000-0000-0000-000000000002" name="Weather" isCodable="true"/>
 </Codes></CodeBook>
 <Sources>
  <TextSource guid="dddddddd-0000-0000-0000-000000000001" name="x">
   <Description>[essaim] {DOCUMENT}</Description>
   <PlainTextContent>{escape(shifted)}</PlainTextContent>
   <PlainTextSelection guid="eeeeeeee-0000-0000-0000-000000000001" startPosition="{start}"
      endPosition="{start + 12}" creatingUser="aaaaaaaa-0000-0000-0000-000000000001">
    <Coding guid="ffffffff-0000-0000-0000-000000000001">
     <CodeRef targetGUID="cccccccc-0000-0000-0000-000000000001"/></Coding>
   </PlainTextSelection>
   <PlainTextSelection guid="eeeeeeee-0000-0000-0000-000000000002" startPosition="{heading}"
      endPosition="{heading + 6}" creatingUser="aaaaaaaa-0000-0000-0000-000000000001">
    <Coding guid="ffffffff-0000-0000-0000-000000000002">
     <CodeRef targetGUID="cccccccc-0000-0000-0000-000000000002"/></Coding>
   </PlainTextSelection>
  </TextSource>
  <TextSource guid="dddddddd-0000-0000-0000-000000000002" name="unknown">
   <PlainTextContent>Another text.</PlainTextContent>
  </TextSource>
 </Sources>
</Project>"""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("project.qde", qde)
    report = read_project(out.getvalue(), public)
    assert len(report.annotations) == 1
    found = report.annotations[0]
    assert found.document == DOCUMENT and found.exact == "mal reconnue"
    assert case().text[found.start : found.end] == "mal reconnue"
    assert found.start == start - len("Préambule.\n")
    assert found.concept == ns.CODEBOOK + "barrier/low-recognition"
    assert found.creator == IMPORTED_CODER_BASE + "aaaaaaaa-0000-0000-0000-000000000001"
    assert "Jane" not in repr(report)
    assert report.unmatched_codes == ["Weather (cccccccc-0000-0000-0000-000000000002)"]
    assert report.unmatched_sources == ["unknown (dddddddd-0000-0000-0000-000000000002)"]
    assert any("matched no concept" in s for s in report.unmatched_selections)


def test_refused_files(public: EmbeddedStore) -> None:
    with pytest.raises(ExchangeError, match=r"not a \.qdpx"):
        read_project(b"not a zip", public)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("other.xml", "<x/>")
    with pytest.raises(ExchangeError, match=r"holds no project\.qde"):
        read_project(out.getvalue(), public)
    with pytest.raises(ExchangeError, match="not well-formed XML"):
        read_codebook(b"<CodeBook", public)
    with pytest.raises(ExchangeError, match="not CodeBook"):
        read_codebook(b"<Project/>", public)


def test_no_entity_is_expanded(public: EmbeddedStore, tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET")
    data = f"""<?xml version="1.0"?>
<!DOCTYPE CodeBook [<!ENTITY x SYSTEM "file://{secret}">]>
<CodeBook xmlns="{CODEBOOK_NS}"><Codes>
  <Code guid="11111111-1111-1111-1111-111111111111" name="x" isCodable="true">
    <Description>&x;</Description></Code>
</Codes></CodeBook>""".encode()
    root = parse_xml(data, "codebook")
    assert "TOP-SECRET" not in etree.tostring(root).decode()
    read_codebook(data, public)  # reads, without the file
