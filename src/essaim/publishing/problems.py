"""A problem in an uploaded CSV file: where it is (file, spreadsheet row, column) and what to fix,
in French and in English; an import that finds any refuses the whole batch.

Rows count as a spreadsheet shows them: the header is row 1, the first record row 2.

>>> p = Problem("actors.csv", 3, "name", "le nom manque : écrivez-le.",
...             "the name is missing: write it.")
>>> p.message("en")
'actors.csv, row 3, column name: the name is missing: write it.'
>>> p.message("fr")
'actors.csv, ligne 3, colonne name : le nom manque : écrivez-le.'
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from essaim.loading import LoadError

LANGUAGES = ("fr", "en")


@dataclass(frozen=True)
class Problem:
    file: str
    row: int | None
    column: str | None
    fr: str
    en: str

    def where(self, lang: str) -> str:
        parts = [self.file]
        if self.row is not None:
            parts.append(f"{'ligne' if lang == 'fr' else 'row'} {self.row}")
        if self.column is not None:
            parts.append(f"{'colonne' if lang == 'fr' else 'column'} {self.column}")
        return ", ".join(parts)

    def message(self, lang: str = "en") -> str:
        text = self.fr if lang == "fr" else self.en
        return f"{self.where(lang)}{' : ' if lang == 'fr' else ': '}{text}"

    def to_json(self, lang: str = "en") -> dict[str, Any]:
        return {"file": self.file, "row": self.row, "column": self.column,
                "message": self.message(lang), "fr": self.fr, "en": self.en}  # fmt: skip


class CsvRefused(LoadError):
    """The batch was refused: ``problems`` says where and what to fix; nothing was loaded."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__(self.summary("en"))

    def summary(self, lang: str = "en") -> str:
        n = len(self.problems)
        if lang == "fr":
            return f"{n} problème(s) dans les fichiers CSV ; rien n'a été chargé."
        return f"{n} problem(s) in the CSV files; nothing was loaded."

    def lines(self, lang: str = "en") -> list[str]:
        return [p.message(lang) for p in self.problems]


class Problems:
    """Problems gathered while reading a batch (at most ``limit`` kept)."""

    def __init__(self, limit: int = 200) -> None:
        self.items: list[Problem] = []
        self.limit = limit

    def add(self, file: str, row: int | None, column: str | None, fr: str, en: str) -> None:
        if len(self.items) < self.limit:
            self.items.append(Problem(file, row, column, fr, en))

    def __bool__(self) -> bool:
        return bool(self.items)

    def raise_any(self) -> None:
        if self.items:
            raise CsvRefused(self.items)
