"""Every file the importers of :mod:`essaim.ingest.sources` generate (``make kb``), in order:
the sources' graphs first, then the countries they use, then the French geography with the
communes the knowledge base refers to. Inputs are read from the repository (``ROOT``: the
committed extracts, and the knowledge base's other files for the communes and countries they
use); outputs go under ``root``. No blank node is written and every table is read in a fixed
order, so two runs give the same bytes."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path, PurePosixPath

from essaim.ingest.sources import ROOT, cis, coopsuk, countries, geography, susy

#: The committed generated files (the full commune layer is not one: see :func:`full_layer`).
FILES = (
    cis.FILE,
    susy.FILE,
    coopsuk.FILE,
    coopsuk.AREAS_FILE,
    countries.FILE,
    geography.DEFAULT_FILE,
)


def generated() -> Iterator[tuple[PurePosixPath, bytes]]:
    geo = geography.Geography(ROOT)
    table = countries.by_code()
    yield cis.FILE, cis.graph(geo).turtle(cis.HEADER)
    yield susy.FILE, susy.graph(table).turtle(susy.HEADER)
    yield coopsuk.FILE, coopsuk.graph(table).turtle(coopsuk.HEADER)
    yield coopsuk.AREAS_FILE, coopsuk.areas_graph(table).turtle(coopsuk.HEADER)
    codes = {"FR"} | susy.used_countries(table) | coopsuk.used_countries()
    yield countries.FILE, countries.graph(codes, ROOT).turtle(countries.HEADER)
    used = set(cis.used_communes(geo)) | geography.used_communes(ROOT, FILES)
    yield geography.DEFAULT_FILE, geo.default_graph(used).turtle(geography.HEADER)


def full_layer() -> bytes:
    return geography.Geography(ROOT).full_graph().turtle(geography.HEADER)


def build(root: Path = ROOT, full: bool = True) -> list[PurePosixPath]:
    written = []
    for relative, content in generated():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)
        written.append(relative)
    if full:
        path = root / geography.FULL_FILE
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(full_layer())
        written.append(geography.FULL_FILE)
    return written
