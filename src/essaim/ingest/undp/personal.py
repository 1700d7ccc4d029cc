"""Personal data out of the experiment texts: the experimenter's and reviewer's names, other
personal names of a reviewed list, e-mail addresses and phone numbers, each replaced by a
visible marker so that what is kept reads the same.

The reviewed list (``removed-names.tsv``) holds no name: each row gives the SHA-256 of the
case-folded name, its length in characters, the reason and where it was found, so that the
repository carries no personal data while the removal stays reproducible and checkable.
"""

from __future__ import annotations

import csv
import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

NAME_MARK = "[name removed]"
EMAIL_MARK = "[e-mail removed]"
PHONE_MARK = "[phone removed]"

#: Questions whose answer is a person's name.
NAME_QUESTIONS = ("Prepared by (Name of the experimenter)", "Reviewer's name")

EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_URL = re.compile(r"(?:https?://|www\.)\S+")
# A phone-like run: an optional + or 00 prefix, digits in groups separated by spaces, dots,
# dashes or parentheses, 8 to 15 digits in all; not glued to letters, slashes or other digits.
_PHONE_RUN = re.compile(
    r"(?<![\w/#=@.,-])(?:\+\s?|\(\+?\d{1,4}\)\s?)?\d(?:[\s().-]{0,2}\d){5,16}(?![\w/@-])"
)
_DATE = re.compile(r"\d{1,4}\s?[/.-]\s?\d{1,2}\s?[/.-]\s?\d{1,4}")
_YEARS = re.compile(r"(?:19|20)\d\d\s?[-–/]\s?(?:19|20)?\d\d")
_FIGURE = re.compile(r"\d{1,3}(?:[.,\s]\d{3})+")
_RANGE = re.compile(r"\d{1,5}\s?[-–]\s?\d{1,5}")


def phone_spans(text: str) -> list[tuple[int, int]]:
    """Spans of phone-like strings outside web addresses: 8–15 digits, with an international
    prefix or digit groups; dates, year ranges (2019-2021), figures (2,000 or 9.676.800),
    numeric ranges (100-999) and bare digit runs of a web identifier are not phones.

    >>> phone_spans("Call +591 7 123 4567 or 2019-2021, 2,000 USD, 10/05/2024, 100-999.")
    [(5, 20)]
    >>> phone_spans("Tel: 78 82 95 35 / 66 84 50 22")
    [(5, 16), (19, 30)]
    """
    masked = _URL.sub(lambda m: " " * len(m.group()), text)
    spans = []
    for match in _PHONE_RUN.finditer(masked):
        run = match.group().strip()
        digits = re.sub(r"\D", "", run)
        if not 8 <= len(digits) <= 15:
            continue
        if any(p.fullmatch(run) for p in (_DATE, _YEARS, _FIGURE, _RANGE)):
            continue
        if run.isdigit() and len(run) > 12:
            continue  # a bare identifier (social-media post ids), not a number to call
        spans.append((match.start(), match.start() + len(match.group().rstrip())))
    return spans


def has_phone(text: str) -> bool:
    return bool(phone_spans(text))


def answer_spans(text: str, question: str) -> list[tuple[int, int]]:
    """Spans of the answers to ``question`` ("> question" line, answer up to the next "> " or
    "## " line), without surrounding blank space."""
    spans = []
    pattern = re.compile(
        r"^> " + re.escape(question) + r"[ \t\u00a0]*\n(.*?)(?=^> |^## |\Z)", re.M | re.S
    )
    for match in pattern.finditer(text):
        body = match.group(1)
        stripped = body.strip()
        if stripped:
            start = match.start(1) + body.index(stripped)
            spans.append((start, start + len(stripped)))
    return spans


_PARTS = re.compile(r"\s+and\s+|\s*&\s*|,|\s[–-]\s|\(|\)|&nbsp;|\s+y\s+")
_NOT_A_NAME = re.compile(
    r"(?i)\b(undp|lab|labs|head|experiment\w*|explorer|together|office|embassy|team|platform|sdg|available)\b"
)


def person_names(answer: str) -> list[str]:
    """The person names in a "Prepared by" answer: its parts of two to five capitalised words
    (a title such as "Smart Trashcan" is not told from a name here: the caller checks titles).

    >>> person_names('Tuzlyn Bayoh & Mariatu Gbassay Kanu')
    ['Tuzlyn Bayoh', 'Mariatu Gbassay Kanu']
    >>> person_names('Tran Huong Giang – Head of Experimentation - UNDP Accelerator Lab')
    ['Tran Huong Giang']
    """
    names = []
    for part in _PARTS.split(answer.replace("\u00a0", " ")):
        part = " ".join(part.replace('"', " ").split())
        words = part.split()
        if not 2 <= len(words) <= 5 or _NOT_A_NAME.search(part):
            continue
        if all(w[0].isupper() or w.lower() in {"da", "de", "del", "la", "pop"} for w in words):
            names.append(part)
    return names


@dataclass(frozen=True)
class ReviewedName:
    """A row of removed-names.tsv: a name known by its hash and length."""

    sha256: str
    length: int
    reason: str
    found_in: str


def name_hash(name: str) -> str:
    return hashlib.sha256(" ".join(name.casefold().split()).encode()).hexdigest()


def read_reviewed(path: Path) -> list[ReviewedName]:
    with path.open(encoding="utf-8", newline="") as handle:
        rows = csv.DictReader((line for line in handle if not line.startswith("#")), delimiter="\t")
        return [
            ReviewedName(r["sha256"], int(r["length"]), r["reason"], r["found_in"]) for r in rows
        ]


def reviewed_spans(text: str, reviewed: Iterable[ReviewedName]) -> list[tuple[int, int]]:
    """Spans of ``text`` whose case-folded form hashes to a reviewed name: every window of the
    name's length that starts and ends on a word boundary."""
    by_length: dict[int, set[str]] = {}
    for row in reviewed:
        by_length.setdefault(row.length, set()).add(row.sha256)
    spans: list[tuple[int, int]] = []
    starts = [m.start() for m in re.finditer(r"\b\w", text)]
    for length, hashes in by_length.items():
        for start in starts:
            end = start + length
            if end > len(text) or (end < len(text) and text[end].isalnum()):
                continue
            if name_hash(text[start:end]) in hashes:
                spans.append((start, end))
    return spans


def literal_spans(text: str, names: Iterable[str]) -> list[tuple[int, int]]:
    """Case-insensitive, whole-word occurrences of each name (spaces matched loosely)."""
    spans: list[tuple[int, int]] = []
    for name in sorted(set(names), key=len, reverse=True):
        words = [re.escape(w) for w in name.split()]
        pattern = re.compile(r"(?<!\w)" + r"[\s\u00a0]+".join(words) + r"(?!\w)", re.I)
        spans.extend((m.start(), m.end()) for m in pattern.finditer(text))
    return spans


def redact(text: str, spans: Iterable[tuple[int, int]], mark: str) -> str:
    """Replace the (possibly overlapping) spans by ``mark``."""
    merged: list[list[int]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    out = []
    last = 0
    for start, end in merged:
        out.append(text[last:start])
        out.append(mark)
        last = end
    out.append(text[last:])
    return "".join(out)
