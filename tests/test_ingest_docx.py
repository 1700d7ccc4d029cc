"""A .docx read as its body is laid out: paragraphs and tables in document order (python-docx
files made here). A case document filled in as a table (a questionnaire) is sectioned by its
questions and its answers extracted; merged cells are read once, a nested table as rows, an
empty table not at all; every heading offset and section offset cuts the read text exactly."""

from __future__ import annotations

import io
from collections.abc import Iterator

import docx
import pytest
from docx.enum.style import WD_STYLE_TYPE
from docx.oxml import OxmlElement
from docx.oxml.ns import qn

from essaim.ingest.ingester import ingest
from essaim.ingest.readers import read_document
from essaim.ingest.sections import split_sections
from essaim.ingest.templates import load_template
from essaim.loading import load
from essaim.resources import bundled_data
from essaim.store import EmbeddedStore

UNDP = "undp-accelerator-labs-experiment"
STATUS = "Current status of experimental activity"
HYPOTHESIS = "What is your hypothesis? IF... THEN...."
OBSTACLES = "What were the main obstacles and challenges you encountered during this activity?"
SCALE = "Is this experiment planned to scale? How? With whom?"
ADVICE = "What advice would you give someone wanting to replicate this experimental activity?"


def _saved(word: docx.document.Document) -> bytes:
    buffer = io.BytesIO()
    word.save(buffer)
    return buffer.getvalue()


def _questionnaire() -> bytes:
    """An experiment report filled in as a two-column table, with a merged part title, a
    question merged down over two answer rows, a nested table in an answer, an empty table."""
    word = docx.Document()
    word.add_heading("Solar kiosks for market vendors", level=1)
    word.add_paragraph("Report of the lab, filled in the experiment form.")
    table = word.add_table(rows=8, cols=2)
    title = table.cell(0, 0).merge(table.cell(0, 1))
    title.text = "Overview"
    table.cell(1, 0).text = STATUS
    table.cell(1, 1).text = "Completed"
    table.cell(2, 0).text = HYPOTHESIS
    table.cell(2, 1).text = "If vendors rent kiosks,\nthen they keep selling after dark."
    table.cell(3, 0).text = OBSTACLES
    table.cell(3, 1).text = "Unreliable batteries."
    table.cell(4, 1).text = "Late payments 🔋 from the municipality."
    table.cell(3, 0).merge(table.cell(4, 0))  # one question, two answer rows
    table.cell(5, 0).text = SCALE
    answer = table.cell(5, 1)
    answer.text = "Yes, with the district:"
    nested = answer.add_table(rows=2, cols=2)
    nested.cell(0, 0).text = "Year"
    nested.cell(0, 1).text = "Kiosks"
    nested.cell(1, 0).text = "2024"
    nested.cell(1, 1).text = "40"
    table.cell(6, 0).text = ADVICE
    table.cell(6, 1).text = "Start small."
    table.cell(7, 0).text = "A question nobody answered"
    word.add_table(rows=2, cols=3)  # empty: nothing read
    word.add_paragraph("Annex: costs", style="Heading 2")
    costs = word.add_table(rows=2, cols=3)
    for column, text in enumerate(["Item", "Unit", "Cost"]):
        costs.cell(0, column).text = text
    for column, text in enumerate(["Kiosk", "each", "300"]):
        costs.cell(1, column).text = text
    return _saved(word)


def test_tables_are_read_in_document_order() -> None:
    document = read_document("kiosks.docx", _questionnaire())
    assert document.text == (
        "Solar kiosks for market vendors\n\n"
        "Report of the lab, filled in the experiment form.\n\n"
        "Overview\n\n"
        f"{STATUS}\n\nCompleted\n\n"
        f"{HYPOTHESIS}\n\nIf vendors rent kiosks,\nthen they keep selling after dark.\n\n"
        f"{OBSTACLES}\n\nUnreliable batteries.\n\nLate payments 🔋 from the municipality.\n\n"
        f"{SCALE}\n\nYes, with the district:\nYear | Kiosks\n2024 | 40\n\n"
        f"{ADVICE}\n\nStart small.\n\n"
        "A question nobody answered\n\n"
        "Annex: costs\n\n"
        "Item | Unit | Cost\nKiosk | each | 300"
    )
    headings = [document.text[o:].split("\n", 1)[0] for o in sorted(document.heading_lines)]
    assert headings == [
        "Solar kiosks for market vendors", "Overview", STATUS, HYPOTHESIS, OBSTACLES, SCALE,
        ADVICE, "A question nobody answered", "Annex: costs",
    ]  # fmt: skip


def test_a_questionnaire_table_is_sectioned_and_its_answers_cut_exactly() -> None:
    document = read_document("kiosks.docx", _questionnaire())
    split = split_sections(document.text, load_template(UNDP), document.heading_lines)
    by_heading = {s.heading: s for s in split.sections}
    assert by_heading[OBSTACLES].type == "barriers"
    assert by_heading[SCALE].type == "possible-scaling"
    assert by_heading[ADVICE].type == "replication-advice"
    assert by_heading[OBSTACLES].body == (
        "Unreliable batteries.\n\nLate payments 🔋 from the municipality."
    )
    assert by_heading[SCALE].body == "Yes, with the district:\nYear | Kiosks\n2024 | 40"
    assert by_heading["A question nobody answered"].type == "other-section"
    text = document.text  # code-point offsets: the battery outside the BMP counts as one
    assert text[by_heading[OBSTACLES].body_start :].startswith("Unreliable")
    assert text[: split.sections[0].start].strip() == ""
    for section, following in zip(split.sections, [*split.sections[1:], None], strict=True):
        assert text[section.start :].startswith(section.heading)
        assert text[section.start : section.end] == text[section.start : section.end].strip()
        after = following.start if following is not None else len(text)
        assert text[section.end : after].strip() == ""  # the sections tile the text


def test_a_table_that_is_no_questionnaire_is_read_as_rows() -> None:
    word = docx.Document()
    word.add_paragraph("Actions")
    table = word.add_table(rows=3, cols=3)
    for row, cells in enumerate([["Year", "Action", "With"], ["2006", "Forum", "City"]]):
        for column, text in enumerate(cells):
            table.cell(row, column).text = text
    table.cell(2, 1).merge(table.cell(2, 2)).text = "Fair, all partners"
    table.cell(2, 0).text = "2008"
    table.cell(1, 0).merge(table.cell(2, 0))  # merged down: text once, then empty
    document = read_document("rows.docx", _saved(word))
    assert document.text == (
        "Actions\n\nYear | Action | With\n2006 2008 | Forum | City\n | Fair, all partners"
    )
    assert not document.heading_lines


def test_headings_by_style_base_style_or_outline_level() -> None:
    """A heading style, a custom style based on one, an outline level on the paragraph (0–8)
    mark a heading line; outline level 9 (body text) and a plain style do not."""
    word = docx.Document()
    custom = word.styles.add_style("Question du cahier", WD_STYLE_TYPE.PARAGRAPH)
    custom.base_style = word.styles["Heading 2"]
    word.add_paragraph("Titre du cas", style="Title")
    word.add_paragraph("Freins", style="Question du cahier")
    word.add_paragraph("Pas de moyens.")
    for text, level in (("Les jeunes", "1"), ("Corps du texte", "9")):
        outline = OxmlElement("w:outlineLvl")
        outline.set(qn("w:val"), level)
        word.add_paragraph(text)._p.get_or_add_pPr().append(outline)
    document = read_document("styles.docx", _saved(word))
    headings = [document.text[o:].split("\n", 1)[0] for o in sorted(document.heading_lines)]
    assert headings == ["Titre du cas", "Freins", "Les jeunes"]


def test_a_document_of_empty_tables_is_refused_as_empty() -> None:
    word = docx.Document()
    word.add_table(rows=2, cols=2)
    with pytest.raises(ValueError, match=r"^empty\.docx is empty: it has no text to ingest\.$"):
        read_document("empty.docx", _saved(word))


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmbeddedStore]:
    """A store holding the bundled ontology (the shapes the ingested graph is validated by)."""
    opened = EmbeddedStore(tmp_path_factory.mktemp("docx") / "store")
    data = bundled_data()
    load(opened, [data.ontology], base=data.root)
    yield opened
    opened.close()


def test_a_questionnaire_docx_is_ingested_with_its_answers(store: EmbeddedStore) -> None:
    result = ingest(store, [("kiosks.docx", _questionnaire())], dry_run=True)
    case = result.cases[0]
    assert case.template == UNDP
    types = {heading: kind for kind, heading, _start, _end in case.sections}
    assert types[OBSTACLES] == "barriers" and types[SCALE] == "possible-scaling"
    assert result.conforms, result.reports
    assert "Late payments 🔋 from the municipality." in case.turtle
