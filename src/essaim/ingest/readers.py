"""Reading a case document: plain text, Markdown or .docx, into the text that is kept verbatim.

- Plain text and Markdown (any suffix but ``.docx``): the bytes decoded as UTF-8, strictly (a
  leading byte-order mark is dropped); Markdown's ``#`` headings are found by the sectioning.
- ``.docx`` (python-docx): the body's paragraphs and tables in document order, a blank line
  between blocks; a paragraph whose style is a heading (``Heading 1``…, ``Title``, ``Titre``…)
  or is based on one, or that has an outline level (0–8, on itself or its style), is a known
  heading for the sectioning (``Document.heading_lines``); a list paragraph
  (style ``List …``) starts with ``- ``. A table of two columns (merged cells counted once) is
  a questionnaire: each row's question is a known heading line, its answer the block below (a
  row merged across the table is a heading line when short); any other table is its rows, one
  line each, the cells separated by `` | ``; a table nested in a cell is read as rows too.
  Empty paragraphs, rows and tables are left out.

Every refusal is an :class:`IngestError`, one sentence naming the file:

>>> def refusal(name, data):
...     try:
...         read_document(name, data)
...     except IngestError as error:
...         print(error)
>>> refusal("x.txt", b"caf\\xe9")  # doctest: +NORMALIZE_WHITESPACE
x.txt is not UTF-8 text: the byte 0xe9 at byte offset 3 cannot be decoded
(save the file as UTF-8).
>>> refusal("empty.md", b" \\n")
empty.md is empty: it has no text to ingest.
>>> refusal("case.docx", b"not a zip")  # doctest: +NORMALIZE_WHITESPACE
case.docx is not a .docx document (a Word file is a zip archive of XML parts,
and this one could not be opened).
>>> read_document("a.md", "\\ufeff# Titre\\n".encode()).text
'# Titre\\n'
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import PurePath
from typing import TYPE_CHECKING, Any, TypeGuard, cast

from essaim.ingest.headings import SHORT_LINE

if TYPE_CHECKING:
    from docx.table import Table, _Cell
    from docx.text.paragraph import Paragraph

__all__ = ["Document", "IngestError", "read_document"]


class IngestError(ValueError):
    """A document that cannot be ingested; the message is one sentence naming it."""


@dataclass(frozen=True)
class Document:
    """A document's name, its text (kept verbatim), format and the lines known as headings."""

    name: str
    text: str
    format: str
    heading_lines: frozenset[int] = field(default_factory=frozenset)


_HEADING_STYLE = re.compile(r"^(heading|titre|title|subtitle|sous-titre)\b", re.IGNORECASE)
_LIST_STYLE = re.compile(r"^(list|liste)\b", re.IGNORECASE)


def read_document(name: str, data: bytes) -> Document:
    """The document in ``data``, read by the format its name's suffix says."""
    suffix = PurePath(name).suffix.lower()
    if suffix == ".docx":
        document = _read_docx(name, data)
    else:
        document = Document(
            name, _decode(name, data), "markdown" if suffix in (".md", ".markdown") else "text"
        )
    if not document.text.strip():
        raise IngestError(f"{name} is empty: it has no text to ingest.")
    return document


def _decode(name: str, data: bytes) -> str:
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        byte = data[error.start]
        raise IngestError(
            f"{name} is not UTF-8 text: the byte 0x{byte:02x} at byte offset {error.start} "
            "cannot be decoded (save the file as UTF-8)."
        ) from None
    return text.removeprefix("\ufeff")


def _read_docx(name: str, data: bytes) -> Document:
    import docx  # python-docx; imported here so that the package imports without reading it

    try:
        word = docx.Document(io.BytesIO(data))
    except (zipfile.BadZipFile, KeyError, ValueError, OSError, Exception):
        raise IngestError(
            f"{name} is not a .docx document (a Word file is a zip archive of XML parts, "
            "and this one could not be opened)."
        ) from None
    parts: list[str] = []
    headings: set[int] = set()
    offset = 0
    for text, heading in _blocks(word.iter_inner_content()):
        if parts:
            offset += 2  # the blank line between blocks
        if heading:
            headings.add(offset)
        parts.append(text)
        offset += len(text)
    return Document(name, "\n\n".join(parts), "docx", frozenset(headings))


def _blocks(items: Iterable[Paragraph | Table]) -> Iterator[tuple[str, bool]]:
    """The body's blocks in document order, each its text and whether it is a heading line."""
    for item in items:
        if _is_table(item):
            yield from _table_blocks(item)
            continue
        paragraph = cast("Paragraph", item)
        text = _paragraph_text(paragraph)
        if text.strip():
            yield text, _is_heading(paragraph)


def _is_table(item: Paragraph | Table) -> TypeGuard[Table]:
    from docx.table import Table

    return isinstance(item, Table)


def _is_heading(paragraph: Paragraph) -> bool:
    """A heading style (or a style based on one), or an outline level (0–8) set on the
    paragraph or its styles: Word's own mark of a heading, whatever the style is called."""
    if _outline_level(paragraph._p):
        return True
    style = paragraph.style
    for _ in range(10):  # a style's base styles, up to a cycle-proof depth
        if style is None:
            return False
        if _HEADING_STYLE.match(style.name or "") or _outline_level(style.element):
            return True
        style = style.base_style
    return False


def _outline_level(element: Any) -> bool:
    """Whether a paragraph's or style's properties set an outline level of a heading (0–8;
    9 is body text)."""
    levels = element.xpath("./w:pPr/w:outlineLvl/@w:val")
    return any(level in {str(n) for n in range(9)} for level in levels)


def _style(paragraph: Paragraph) -> str:
    style = paragraph.style.name if paragraph.style is not None else ""
    return style or ""


def _paragraph_text(paragraph: Paragraph) -> str:
    text = paragraph.text.replace("\r\n", "\n").replace("\r", "\n")
    if text.strip() and _LIST_STYLE.match(_style(paragraph)):
        text = "- " + text
    return text


def _rows(table: Table) -> list[list[_Cell | None]]:
    """Each row's cells, a merged cell once: a horizontal span is one cell, and the rows a
    vertical merge continues into hold ``None`` in its place (its text is in its first row)."""
    seen: set[int] = set()
    rows: list[list[_Cell | None]] = []
    for row in table.rows:
        cells: list[_Cell | None] = []
        previous: int | None = None
        for cell in row.cells:
            key = id(cell._tc)
            if key == previous:  # a horizontal span repeats its cell
                continue
            previous = key
            cells.append(None if key in seen else cell)  # a vertical merge repeats the top one
            seen.add(key)
        rows.append(cells)
    return rows


def _cell_lines(cell: _Cell) -> list[str]:
    """A cell's non-blank paragraphs, and the rows of the tables nested in it, as lines."""
    lines: list[str] = []
    for item in cell.iter_inner_content():
        if _is_table(item):
            lines.extend(_row_lines(item))
        else:
            text = _paragraph_text(cast("Paragraph", item))
            lines.extend(line for line in text.split("\n") if line.strip())
    return lines


def _one_line(cell: _Cell | None) -> str:
    return "" if cell is None else " ".join(line.strip() for line in _cell_lines(cell))


def _row_lines(table: Table) -> list[str]:
    """A table's rows as lines, the cells' text separated by " | " (empty rows left out)."""
    lines = []
    for cells in _rows(table):
        texts = [_one_line(cell) for cell in cells]
        if any(texts):
            lines.append(" | ".join(texts).rstrip())
    return lines


def _table_blocks(table: Table) -> Iterator[tuple[str, bool]]:
    """A question | answer table: each question a heading line, its answer below; others: rows.

    A table is a questionnaire when no row has more than two cells (merged cells counted once),
    some row has two and every two-cell row names its question (or continues the question of
    the row above, merged vertically: its answer follows the one above); a one-cell row (a
    title merged across the table) is a heading line when it is one short line, else text.
    """
    rows = _rows(table)
    pairs = [cells for cells in rows if len(cells) == 2]
    if not (
        pairs
        and all(len(cells) <= 2 for cells in rows)
        and all(cells[0] is None or _one_line(cells[0]) for cells in pairs)
        and rows[0][:1] != [None]
    ):
        lines = _row_lines(table)
        if lines:
            yield "\n".join(lines), False
        return
    for cells in rows:
        first = cells[0] if cells else None
        if len(cells) == 1 and first is not None:
            lines = _cell_lines(first)
            if len(lines) == 1 and len(lines[0]) <= SHORT_LINE:
                yield lines[0].strip(), True
            elif lines:
                yield "\n".join(lines), False
            continue
        if first is not None and len(cells) == 2:
            yield _one_line(first), True
        answer = cells[1] if len(cells) == 2 else None
        lines = _cell_lines(answer) if answer is not None else []
        if lines:
            yield "\n".join(lines), False
