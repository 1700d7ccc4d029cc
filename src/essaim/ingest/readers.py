"""Reading a case document: plain text, Markdown or .docx, into the text that is kept verbatim.

- Plain text and Markdown (any suffix but ``.docx``): the bytes decoded as UTF-8, strictly (a
  leading byte-order mark is dropped); Markdown's ``#`` headings are found by the sectioning.
- ``.docx`` (python-docx): the text of the body's paragraphs, one per line with a blank line
  between them; a paragraph whose style is a heading (``Heading 1``…, ``Title``, ``Titre``…)
  is a known heading for the sectioning (``Document.heading_lines``); a list paragraph
  (style ``List …``) starts with ``- ``. Tables are not read.

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
from dataclasses import dataclass, field
from pathlib import PurePath

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
    for paragraph in word.paragraphs:
        text = paragraph.text.replace("\r\n", "\n").replace("\r", "\n")
        if not text.strip():
            continue
        style = paragraph.style.name if paragraph.style is not None else ""
        style = style or ""
        if _LIST_STYLE.match(style):
            text = "- " + text
        if parts:
            offset += 2  # the blank line between paragraphs
        if _HEADING_STYLE.match(style):
            headings.add(offset)
        parts.append(text)
        offset += len(text)
    return Document(name, "\n\n".join(parts), "docx", frozenset(headings))
