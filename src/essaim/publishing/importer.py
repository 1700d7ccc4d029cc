"""``essaim import-csv``: CSV files in, one validated named graph out, all or nothing.

The batch (the template's files, SEA standard CSV files, or a zip of them) is read and checked
cell by cell (:mod:`.convert`, :mod:`.essglobal`), turned into Turtle, then goes through
:func:`essaim.loading.load` under the graph ``<graph base>csv/<batch>`` (``ESSAIM_GRAPH_BASE``;
its resources under ``ESSAIM_BASE``):
parsed, validated against the SHACL contract, written atomically — or, with ``dry_run``, only
validated. Every refusal is a :class:`~essaim.publishing.problems.CsvRefused` whose problems
name the file, row and column (a contract violation is traced back to the row that made the
resource, and to the column of its property) in French and English; nothing is written then.
Importing the same batch name again replaces its graph.
"""

from __future__ import annotations

import io
import re
import tempfile
import unicodedata
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from essaim import namespaces as ns
from essaim.ingest.rdf import turtle
from essaim.loading import LoadOutcome, SourceInvalid, load, validate_files
from essaim.publishing import essglobal
from essaim.publishing.cells import Table, header_of
from essaim.publishing.convert import Converted, _Batch
from essaim.publishing.problems import CsvRefused, Problems
from essaim.store.base import Dataset
from essaim.validation import ValidationReport

#: Bytes a zip may unpack to (a zip bomb is refused).
MAX_UNPACKED = 64 * 1024 * 1024
#: CSV files in one batch.
MAX_FILES = 20


def batch_slug(name: str) -> str:
    text = unicodedata.normalize("NFKD", PurePosixPath(name).stem)
    text = "".join(c for c in text if not unicodedata.combining(c)).lower()
    slug = re.sub(r"[^a-z0-9]+", "-", text).strip("-")[:60]
    return slug or "csv"


def csv_graph_iri(name: str, graph_base: str = ns.GRAPH) -> str:
    """The graph of a batch: ``<graph base>csv/<batch>`` (``ESSAIM_GRAPH_BASE``)."""
    return f"{graph_base}csv/{batch_slug(name)}"


@dataclass
class ImportResult:
    graph: str
    dry_run: bool
    counts: dict[str, int]
    notes: list[tuple[str, str]]
    loaded: list[LoadOutcome] = field(default_factory=list)
    turtle: str = ""

    def lines(self, lang: str = "en") -> list[str]:
        fr = lang == "fr"
        counted = ", ".join(f"{n} {k}" for k, n in self.counts.items() if n)
        head = (f"graphe {self.graph} : {counted or 'rien'}" if fr
                else f"graph {self.graph}: {counted or 'nothing'}")  # fmt: skip
        out = [head]
        out += [("note : " + f) if fr else ("note: " + e) for f, e in self.notes]
        if self.dry_run:
            out.append("essai : conforme au contrat, rien n'a été chargé" if fr
                       else "dry run: conforms to the contract, nothing was loaded")  # fmt: skip
        for o in self.loaded:
            out.append(f"{o.graph}: {o.status}, {o.triples} triples")
        return out

    def to_json(self, lang: str = "en") -> dict[str, Any]:
        return {
            "graph": self.graph,
            "dry_run": self.dry_run,
            "counts": self.counts,
            "notes": [f if lang == "fr" else e for f, e in self.notes],
            "loaded": [{"graph": o.graph, "status": o.status, "triples": o.triples}
                       for o in self.loaded],
        }  # fmt: skip


def unpack(files: list[tuple[str, bytes]], problems: Problems) -> dict[str, bytes]:
    """The CSV files of the upload, zips opened (their folders ignored), by file name."""
    out: dict[str, bytes] = {}

    def put(name: str, data: bytes) -> None:
        base = PurePosixPath(name.replace("\\", "/")).name
        if not base.lower().endswith(".csv"):
            problems.add(base, None, None,
                         "seuls des fichiers .csv (ou un .zip de fichiers .csv) sont lus.",
                         "only .csv files (or a .zip of .csv files) are read.")  # fmt: skip
        elif base in out:
            problems.add(base, None, None, "ce fichier est donné deux fois : gardez-en un.",
                         "this file is given twice: keep one.")  # fmt: skip
        else:
            out[base] = data

    for name, data in files:
        if not name.lower().endswith(".zip"):
            put(name, data)
            continue
        try:
            archive = zipfile.ZipFile(io.BytesIO(data))
            members = [m for m in archive.infolist() if not m.is_dir()
                       and not PurePosixPath(m.filename).name.startswith((".", "__MACOSX"))
                       and "__MACOSX" not in m.filename]  # fmt: skip
            size = MAX_UNPACKED // 2**20
            if sum(m.file_size for m in members) > MAX_UNPACKED:
                problems.add(name, None, None, f"l'archive dépasse {size} Mo une fois ouverte.",
                             f"the archive exceeds {size} MB unpacked.")  # fmt: skip
                continue
            if len(members) > MAX_FILES:
                problems.add(name, None, None, f"l'archive contient plus de {MAX_FILES} fichiers.",
                             f"the archive holds more than {MAX_FILES} files.")  # fmt: skip
                continue
            budget = MAX_UNPACKED  # the sizes a zip declares may lie: count what is read
            for member in members:
                with archive.open(member) as handle:
                    data = handle.read(budget + 1)
                if len(data) > budget:
                    problems.add(name, None, None,
                                 f"l'archive dépasse {size} Mo une fois ouverte.",
                                 f"the archive exceeds {size} MB unpacked.")  # fmt: skip
                    break
                budget -= len(data)
                put(member.filename, data)
        except (zipfile.BadZipFile, OSError, RuntimeError, NotImplementedError) as exc:
            problems.add(name, None, None, f"archive zip illisible ({exc}).",
                         f"unreadable zip archive ({exc}).")  # fmt: skip
    if len(out) > MAX_FILES:
        problems.add("upload", None, None, f"plus de {MAX_FILES} fichiers.",
                     f"more than {MAX_FILES} files.")  # fmt: skip
    return out


def convert_batch(
    store: Dataset, files: list[tuple[str, bytes]], *, name: str, territory: str | None,
    creator: str, base: str = ns.KB, graph_base: str = ns.GRAPH,
) -> Converted:  # fmt: skip
    """Both kinds of CSV to one set of triples; CsvRefused with every problem found."""
    graph = csv_graph_iri(name, graph_base)
    batch = _Batch(store, graph, territory, creator, base)
    files_by_name = unpack(files, batch.problems)
    batch.problems.raise_any()
    standard = {n: d for n, d in files_by_name.items() if essglobal.is_standard(header_of(d))}
    template = {n: d for n, d in files_by_name.items() if n not in standard}
    if template or not standard:
        batch.read(template)
    tables: list[Table] = []
    for file, data in standard.items():
        table = essglobal.read_standard(file, data, batch.problems)
        if table is not None:
            tables.append(table)
    batch.problems.raise_any()
    if territory:
        batch.territory_option_problem(territory)
    if batch.tables:
        batch.collect_ids()
        batch.convert()
    if tables:
        essglobal.convert_standard(store, tables, batch.problems, batch.out,
                                   batch=batch_slug(name), graph=graph,
                                   resolve=batch.resolve, territory=territory,
                                   base=base)  # fmt: skip
    batch.problems.raise_any()
    return batch.out


def _refusal(out: Converted, reports: dict[Path, ValidationReport]) -> CsvRefused:
    problems = Problems()
    for report in reports.values():
        for result in report.results:
            file, row = out.rows.get(result.focus, ("?", None))
            column = out.columns.get((file, result.path or "")) if result.path else None
            if column is None and result.path:
                column = re.split(r"[#/]", result.path.strip("^<>"))[-1]
            problems.add(file, row, column, result.message("fr"), result.message("en"))
    return CsvRefused(problems.items)


def import_csv(
    store: Dataset,
    files: list[tuple[str, bytes]],
    *,
    name: str,
    territory: str | None = None,
    dry_run: bool = False,
    user: str | None = None,
    authorise: Callable[[list[str]], None] | None = None,
    base: str = ns.KB,
    graph_base: str = ns.GRAPH,
) -> ImportResult:
    """Convert, validate and load the batch (module docstring). ``base`` and ``graph_base``:
    where the node mints its resources and graphs (``ESSAIM_BASE``, ``ESSAIM_GRAPH_BASE``)."""
    graph = csv_graph_iri(name, graph_base)
    if authorise is not None:
        authorise([graph])
    creator = user or f"{base}coder/csv-publisher"
    out = convert_batch(store, files, name=name, territory=territory, creator=creator,
                        base=base, graph_base=graph_base)  # fmt: skip
    data = turtle(sorted(out.triples, key=lambda t: str(t.subject)))
    result = ImportResult(graph, dry_run, out.counts, out.notes, turtle=data)
    with tempfile.TemporaryDirectory(prefix="essaim-csv-") as folder:
        path = Path(folder) / f"{batch_slug(name)}.ttl"
        path.write_text(data, encoding="utf-8")
        if dry_run:
            reports = validate_files(store, [path], base=Path(folder))
            failing = {p: r for p, r in reports.items() if not r.conforms}
            if failing:
                raise _refusal(out, failing)
            return result
        try:
            result.loaded = load(store, [path], base=Path(folder), graph=graph, user=user,
                                 force=True)  # fmt: skip
        except SourceInvalid as exc:
            raise _refusal(out, exc.reports) from None
    return result
