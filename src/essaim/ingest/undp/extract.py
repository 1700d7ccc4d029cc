"""The committed extract of the UNDP SDG Commons experiments, made from the original JSONL.

Keeps the 302 records of type ``experiment``, in the original order, with the fields the
importer uses; removes personal data from the text and the title (essaim.ingest.undp.personal).
A title that is a person's name is dropped (the importer names the experiment by its country and
year), and so is the page path that spells it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from essaim.ingest.undp import SOURCES
from essaim.ingest.undp import personal as pd

FIELDS = (
    "page",
    "title",
    "year",
    "country",
    "experiment_status",
    "experiment_type",
    "methods",
    "partnering_sector",
    "total_cost",
    "sample_size",
    "control_group",
    "assignment_type",
    "scaling",
    "text",
)

Record = dict[str, Any]


def experiments(original: Path) -> Iterator[Record]:
    with original.open(encoding="utf-8") as handle:
        for line in handle:
            record = json.loads(line)
            if record.get("type") == "experiment":
                yield record


def experimenter_names(
    records: Iterable[Record], reviewed: list[pd.ReviewedName] | None = None
) -> set[str]:
    """Every person name given in answer to a name question, in any record. An answer that is
    (part of) the title of a record ("Cerco Verde", "Smart Trashcan") is a title, not a name,
    unless the reviewed list says it is a name."""
    records = list(records)
    titles = {" ".join(r["title"].casefold().split()) for r in records}
    hashes = {r.sha256 for r in reviewed or []}
    names: set[str] = set()
    for record in records:
        text = record["text"]
        for question in pd.NAME_QUESTIONS:
            for start, end in pd.answer_spans(text, question):
                for name in pd.person_names(text[start:end]):
                    folded = " ".join(name.casefold().split())
                    in_a_title = any(folded in title for title in titles)
                    if not in_a_title or pd.name_hash(name) in hashes:
                        names.add(name)
    return names


def clean_text(text: str, names: set[str], reviewed: list[pd.ReviewedName]) -> str:
    spans = [s for q in pd.NAME_QUESTIONS for s in pd.answer_spans(text, q)]
    spans += pd.literal_spans(text, names) + pd.reviewed_spans(text, reviewed)
    text = pd.redact(text, spans, pd.NAME_MARK)
    text = pd.redact(text, [(m.start(), m.end()) for m in pd.EMAIL.finditer(text)], pd.EMAIL_MARK)
    return pd.redact(text, pd.phone_spans(text), pd.PHONE_MARK)


def _is_a_name(value: str, names: set[str], reviewed: list[pd.ReviewedName]) -> bool:
    folded = " ".join(value.casefold().split())
    if folded in {n.casefold() for n in names}:
        return True
    return any(r.sha256 == pd.name_hash(value) for r in reviewed)


def clean(record: Record, names: set[str], reviewed: list[pd.ReviewedName]) -> Record:
    out = {field: record.get(field) for field in FIELDS}
    out["text"] = clean_text(record["text"], names, reviewed)
    title = record["title"].strip()
    if _is_a_name(title, names, reviewed):
        out["title"] = None
        out["page"] = None
    else:
        out["title"] = clean_text(title, names, reviewed)
        stem = re.sub(r"[_\s]+", " ", Path(record["page"]).stem)
        if pd.literal_spans(stem, names) or pd.reviewed_spans(stem, reviewed):
            out["page"] = None
    return out


def extract(original: Path, target: Path, reviewed_path: Path | None = None) -> list[Record]:
    """Write the extract (one JSON record per line, keys in FIELDS order) and return it."""
    records = list(experiments(original))
    reviewed = pd.read_reviewed(reviewed_path or SOURCES / "removed-names.tsv")
    names = experimenter_names(records, reviewed)
    cleaned = [clean(r, names, reviewed) for r in records]
    with target.open("w", encoding="utf-8", newline="\n") as handle:
        for record in cleaned:
            handle.write(json.dumps(record, ensure_ascii=False) + "\n")
    return cleaned


def read_extract(path: Path) -> list[Record]:
    with path.open(encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]
