"""The RDF source files of a knowledge base and the named graph each one becomes.

The rule for what loads: a file whose suffix is an RDF serialisation below is a source, except
under a folder named ``vendor`` (copies of other projects' vocabularies kept for reference and
alignment checks: they carry their authors' e-mail addresses, which must not enter public graphs).
Everything else (case texts, JSON extracts, READMEs, vendored files) is skipped, and reported.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from essaim.namespaces import GRAPH

#: File suffix → media type of the RDF serialisations essaim reads.
RDF_MEDIA_TYPES: dict[str, str] = {
    ".ttl": "text/turtle",
    ".trig": "application/trig",
    ".nt": "application/n-triples",
    ".nq": "application/n-quads",
    ".rdf": "application/rdf+xml",
    ".owl": "application/rdf+xml",
    ".jsonld": "application/ld+json",
}


@dataclass(frozen=True)
class Source:
    """One RDF file and the named graph it is loaded into: ``graph`` when given, else the one
    its path relative to the data root names."""

    path: Path
    relative: PurePosixPath
    graph: str | None = None

    @property
    def graph_iri(self) -> str:
        return self.graph or graph_iri(self.relative)

    @property
    def media_type(self) -> str:
        return RDF_MEDIA_TYPES[self.path.suffix.lower()]


def is_rdf(path: Path) -> bool:
    """True when the file's suffix names an RDF serialisation essaim reads.

    >>> is_rdf(Path("kb/cases/x.ttl")), is_rdf(Path("kb/cases/x.txt"))
    (True, False)
    """
    return path.suffix.lower() in RDF_MEDIA_TYPES


def graph_iri(relative: PurePosixPath | str) -> str:
    """The named graph of a source: its path relative to the data root, without extension.

    The IRI depends only on the relative path, so it is the same on every machine.

    >>> graph_iri("kb/cases/sarthe-ceas72-mise-en-reseau-ess.ttl")
    'https://w3id.org/essaim/graph/kb/cases/sarthe-ceas72-mise-en-reseau-ess'
    """
    rel = PurePosixPath(relative)
    return GRAPH + str(rel.with_suffix(""))


def external_graph_iri(path: Path) -> str:
    """The graph of a file outside the data root: ``external/`` then the file's name without
    extension and 12 hex digits of the SHA-256 of its absolute path. The same file always gets
    the same graph (loading it again replaces it); two files of the same name in different
    folders get two graphs. The folder itself stays out of the name.

    >>> external_graph_iri(Path("/tmp/survey data.ttl"))
    'https://w3id.org/essaim/graph/external/survey-data-7e1e56ff929f'
    """
    absolute = path.absolute().as_posix()
    stem = re.sub(r"[^A-Za-z0-9._~-]+", "-", path.stem).strip("-") or "file"
    return f"{GRAPH}external/{stem}-{hashlib.sha256(absolute.encode()).hexdigest()[:12]}"


def discover(root: Path, folders: Iterable[str]) -> tuple[list[Source], list[Path]]:
    """RDF sources under ``root/folder`` for each folder, sorted, and the files skipped by rule."""
    sources: list[Source] = []
    skipped: list[Path] = []
    for folder in folders:
        for path in _walk(root / folder):
            if is_rdf(path) and "vendor" not in path.relative_to(root).parts:
                sources.append(Source(path, PurePosixPath(path.relative_to(root).as_posix())))
            else:
                skipped.append(path)
    return sources, skipped


def _walk(folder: Path) -> Iterator[Path]:
    for path in sorted(folder.rglob("*")):
        if path.is_file() and not any(part.startswith(".") for part in path.parts[-1:]):
            yield path
