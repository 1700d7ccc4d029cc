"""CSV in and out, safely.

Reading (:func:`read_table`): the bytes must be UTF-8 (a byte-order mark is dropped); every
cell is checked before anything else reads it, and refused, naming file, row and column, when

- it starts with ``=``, ``+``, ``-`` or ``@`` (or a tab or carriage return) and is not a plain
  number: a spreadsheet would run it as a formula (``=HYPERLINK(…)``, ``@SUM(…)``);
- it holds a control character (other than line breaks and tabs inside the text);
- it is longer than its column allows (:data:`MAX_CELL` characters, :data:`MAX_TEXT` for long
  texts such as a case document): a 10 MB cell is refused, never stored.

Writing (:func:`safe_cell`, :func:`write_csv`): a cell a spreadsheet would run is written with a
leading apostrophe (the text it shows is the same, and nothing runs); numbers stay numbers.

>>> safe_cell("=HYPERLINK(\\"http://x\\")"), safe_cell("-3.6547"), safe_cell("@me")
('\\'=HYPERLINK("http://x")', '-3.6547', "'@me")
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from essaim.publishing.problems import Problems

#: Characters in an ordinary cell.
MAX_CELL = 20_000
#: Characters in a long text cell (a case document's full text).
MAX_TEXT = 1_000_000

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"^[+-]?(\d+([.,]\d*)?|[.,]\d+)([eE][+-]?\d+)?$")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def runs_in_a_spreadsheet(value: str) -> bool:
    """Whether a spreadsheet would read the cell as a formula."""
    return value.startswith(_FORMULA_START) and not _NUMBER.match(value)


def safe_cell(value: str) -> str:
    """The cell as a spreadsheet shows it without running it."""
    return "'" + value if runs_in_a_spreadsheet(value) else value


def write_csv(header: Sequence[str], rows: Iterable[Sequence[str]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([safe_cell(h) for h in header])
    for row in rows:
        writer.writerow([safe_cell(c) for c in row])
    return out.getvalue()


@dataclass
class Table:
    """A CSV file read: its header and its records (each with its spreadsheet row number)."""

    name: str
    header: list[str]
    rows: list[tuple[int, dict[str, str]]]


def decode(name: str, data: bytes, problems: Problems) -> str | None:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        problems.add(
            name, line, None,
            f"le fichier n'est pas en UTF-8 (octet 0x{data[exc.start]:02x}) : enregistrez-le "
            "au format « CSV UTF-8 » depuis votre tableur.",
            f"the file is not UTF-8 (byte 0x{data[exc.start]:02x}): save it as "
            "\"CSV UTF-8\" from your spreadsheet.",
        )  # fmt: skip
        return None


def delimiter(text: str) -> str:
    """The separator of a CSV file, from its header line: a comma, or the semicolon (or tab) a
    French spreadsheet writes.

    >>> delimiter("id;title_fr;territory\\n"), delimiter("Identifier,Name\\n")
    (';', ',')
    """
    header = text.split("\n", 1)[0]
    counts = {d: header.count(d) for d in (",", ";", "\t")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] > counts[","] else ","


def header_of(data: bytes) -> list[str]:
    """The column names of a CSV file's first line (for telling its kind), leniently decoded."""
    text = data[:8192].decode("utf-8-sig", errors="replace")
    try:
        first = next(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter(text)), [])
    except csv.Error:
        return []
    return [h.strip() for h in first]


def check_cell(
    name: str, row: int, column: str, value: str, problems: Problems, limit: int = MAX_CELL
) -> bool:
    """Refuse a hostile cell (module docstring); True when the cell is fine."""
    if len(value) > limit:
        problems.add(
            name, row, column,
            f"la cellule a {len(value)} caractères, plus que les {limit} permis : "
            "raccourcissez-la.",
            f"the cell has {len(value)} characters, more than the {limit} allowed: shorten it.",
        )  # fmt: skip
        return False
    if match := _CONTROL.search(value):
        code = f"U+{ord(match[0]):04X}"
        problems.add(
            name, row, column,
            f"la cellule contient un caractère de contrôle ({code}) : supprimez-le.",
            f"the cell holds a control character ({code}): remove it.",
        )  # fmt: skip
        return False
    stripped = value.strip(" \n")
    if runs_in_a_spreadsheet(value) or runs_in_a_spreadsheet(stripped):
        shown = value[:40].replace("\t", " ").replace("\r", " ")
        problems.add(
            name, row, column,
            f"la cellule commence par « {stripped[:1]!s} » ({shown!r}), qu'un tableur "
            "exécute comme une formule : retirez la formule ou ce premier caractère.",
            f"the cell starts with '{stripped[:1]!s}' ({shown!r}), which a spreadsheet runs as a "
            "formula: remove the formula or that first character.",
        )  # fmt: skip
        return False
    return True


def read_table(
    name: str,
    data: bytes,
    problems: Problems,
    *,
    limits: dict[str, int] | None = None,
    skip: Iterable[str] = (),
    verbatim: Iterable[str] = (),
) -> Table | None:
    """The file's header and records, hostile cells refused (columns in ``skip`` are dropped
    unread: contact fields; cells of ``verbatim`` columns are kept unstripped); None when it
    cannot be read at all."""
    text = decode(name, data, problems)
    if text is None:
        return None
    csv.field_size_limit(max(len(text) + 1, 1 << 17))
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter(text), strict=True)
    try:
        header = [h.strip() for h in next(reader, [])]
    except csv.Error as exc:
        problems.add(name, 1, None, f"en-tête illisible ({exc}).", f"unreadable header ({exc}).")
        return None
    if not any(header):
        problems.add(
            name, 1, None,
            "le fichier est vide : la première ligne doit nommer les colonnes.",
            "the file is empty: its first row must name the columns.",
        )  # fmt: skip
        return None
    for column in header:
        check_cell(name, 1, column, column, problems, 200)
    dropped, kept = set(skip), set(verbatim)
    limits = limits or {}
    rows: list[tuple[int, dict[str, str]]] = []
    number = 1
    while True:
        try:
            record = next(reader, None)
        except csv.Error as exc:
            problems.add(
                name, number + 1, None,
                f"ligne illisible ({exc}) : vérifiez les guillemets.",
                f"unreadable row ({exc}): check the quotes.",
            )  # fmt: skip
            return None
        if record is None:
            break
        number += 1
        if not any(cell.strip() for cell in record):
            continue
        if len(record) > len(header):
            problems.add(
                name, number, None,
                f"la ligne a {len(record)} cellules pour {len(header)} colonnes : une virgule "
                "de trop, ou un texte à mettre entre guillemets.",
                f"the row has {len(record)} cells for {len(header)} columns: one comma too many, "
                "or a text to put in quotes.",
            )  # fmt: skip
            continue
        values: dict[str, str] = {}
        for column, cell in zip(header, record, strict=False):
            if column in dropped:
                continue
            if check_cell(name, number, column, cell, problems, limits.get(column, MAX_CELL)):
                values[column] = cell if column in kept else cell.strip()
        rows.append((number, values))
    return Table(name, header, rows)
