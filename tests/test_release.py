"""Citable releases (``essaim.federation.release``, ``essaim release``): a release is a
checksummed dump with its DCAT record, CITATION.cff and changes; it loads back into an empty
store with the same triples and checksums; a version is released once, and bad input writes
nothing. Real embedded stores and the real command line."""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pyoxigraph as ox
import pytest

from essaim import namespaces as ns
from essaim.config import Settings
from essaim.federation.release import ReleaseError, load_release, make_release, read_release
from essaim.loading import load
from essaim.store import Dataset, open_store
from essaim_server_fixtures import essaim_binary

CASES = ns.GRAPH + "test/cases"
ACTORS = ns.GRAPH + "test/actors"
LICENCE = "<http://purl.org/dc/terms/license> <https://creativecommons.org/licenses/by/4.0/>"


def write(path: Path, graph: str, *lines: str) -> Path:
    path.write_text(f"<{graph}> {LICENCE} .\n" + "\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.fixture
def source(tmp_path: Path) -> Iterator[Dataset]:
    """A store with two graphs, one holding blank nodes."""
    store = open_store(Settings(data_dir=tmp_path / "a"))
    try:
        cases = write(tmp_path / "cases.ttl", CASES,
                      f'<{ns.KB}thing/1> <{ns.RDFS}label> "one" ; <{ns.RDFS}seeAlso> [ '
                      f'<{ns.RDFS}label> "a blank node" ] .')  # fmt: skip
        actors = write(tmp_path / "actors.ttl", ACTORS, f'<{ns.KB}actor/x> <{ns.RDFS}label> "x" .')
        load(store, [cases], trusted=True, graph=CASES)
        load(store, [actors], trusted=True, graph=ACTORS)
        yield store
    finally:
        store.close()


def quads(path: Path) -> set[ox.Quad]:
    return set(ox.parse(gzip.decompress(path.read_bytes()), format=ox.RdfFormat.N_QUADS))


def test_a_release_is_checksummed_described_and_citable(tmp_path: Path, source: Dataset) -> None:
    release = make_release(source, "1.0.0", tmp_path / "releases",
                           repository="https://example.org/essaim.git")  # fmt: skip
    folder = tmp_path / "releases" / "1.0.0"
    dump = folder / "essaim-1.0.0.nq.gz"
    assert release.sha256 == hashlib.sha256(dump.read_bytes()).hexdigest()
    assert (folder / "SHA256SUMS").read_text() == f"{release.sha256}  essaim-1.0.0.nq.gz\n"
    assert release.triples == 6 and sorted(release.graphs) == [ACTORS, CASES]
    record = ox.Store()
    record.load(path=folder / "release.ttl", format=ox.RdfFormat.TURTLE)
    iri = "https://w3id.org/essaim/releases/1.0.0"
    assert record.query(f"""
        PREFIX dcat: <http://www.w3.org/ns/dcat#> PREFIX dcterms: <http://purl.org/dc/terms/>
        PREFIX spdx: <http://spdx.org/rdf/terms#>
        ASK {{ <{iri}> a dcat:Dataset ; dcat:version "1.0.0" ; dcterms:issued ?d ;
                 dcterms:hasPart <{CASES}>, <{ACTORS}> ; dcat:distribution ?file .
               ?file dcat:byteSize "{dump.stat().st_size}"^^<{ns.XSD}nonNegativeInteger> ;
                 spdx:checksum/spdx:checksumValue "{release.sha256}"^^<{ns.XSD}hexBinary> .
               <{CASES}> dcterms:license <https://creativecommons.org/licenses/by/4.0/> ;
                 spdx:checksum/spdx:checksumValue ?graph_sum . }}""")  # fmt: skip
    citation = (folder / "CITATION.cff").read_text()
    for line in ("cff-version: 1.2.0", 'version: "1.0.0"', 'license: "CC-BY-4.0"',
                 f'date-released: "{release.issued}"', f'url: "{iri}"',
                 'repository: "https://example.org/essaim.git"'):  # fmt: skip
        assert line in citation
    assert "https://creativecommons.org/licenses/by/4.0/ (2 graphs)" in citation
    assert "First release: 2 graphs, 6 triples." in (folder / "CHANGES.md").read_text()


def test_a_release_loads_back_with_the_same_triples_and_checksums(
    tmp_path: Path, source: Dataset
) -> None:
    first = make_release(source, "1.0.0", tmp_path / "releases")
    empty = open_store(Settings(data_dir=tmp_path / "b"))
    try:
        assert load_release(empty, first.folder).version == "1.0.0"
        again = make_release(empty, "1.0.0", tmp_path / "b-releases")
        with pytest.raises(ReleaseError, match="a release loads into an empty store"):
            load_release(empty, first.folder)
    finally:
        empty.close()
    assert quads(first.folder / first.dump) == quads(again.folder / again.dump)
    assert again.sha256 == first.sha256, "the same bytes: blank nodes keep their labels"
    assert again.graphs == first.graphs


def test_the_changes_list_what_changed_since_the_previous_release(
    tmp_path: Path, source: Dataset
) -> None:
    root = tmp_path / "releases"
    make_release(source, "1.0.0", root)
    changed = write(tmp_path / "actors.ttl", ACTORS, f'<{ns.KB}actor/x> <{ns.RDFS}label> "x" .',
                    f'<{ns.KB}actor/y> <{ns.RDFS}label> "y" .')  # fmt: skip
    load(source, [changed], trusted=True, graph=ACTORS)
    added = ns.GRAPH + "test/more"
    load(source, [write(tmp_path / "more.ttl", added, f'<{ns.KB}m> <{ns.RDFS}label> "m" .')],
         trusted=True, graph=added)  # fmt: skip
    second = make_release(source, "1.1.0", root)
    assert second.previous == "1.0.0"
    text = (root / "1.1.0" / "CHANGES.md").read_text()
    assert "Since 1.0.0" in text and "1 added, 0 removed, 1 changed, 1 unchanged" in text
    assert f"## Changed\n\n- <{ACTORS}>: 2 → 3 triples" in text
    assert f"## Added\n\n- <{added}>: 2 triples" in text
    assert read_release(root / "1.1.0").graphs[CASES] == read_release(root / "1.0.0").graphs[CASES]


def test_bad_versions_and_a_second_release_are_refused_and_write_nothing(
    tmp_path: Path, source: Dataset
) -> None:
    root = tmp_path / "releases"
    make_release(source, "1.0.0", root)
    before = sorted(p.relative_to(root) for p in root.rglob("*"))
    with pytest.raises(ReleaseError, match=r"1\.0\.0 is already released"):
        make_release(source, "1.0.0", root)
    for bad in ("1.0", "v1.0.0", "1.0.0/../x", "01.0.0"):
        with pytest.raises(ReleaseError, match="is not a version"):
            make_release(source, bad, root)
    assert sorted(p.relative_to(root) for p in root.rglob("*")) == before


def test_the_command_line_releases_and_loads_back(tmp_path: Path, source: Dataset) -> None:
    source.close()
    essaim = [str(essaim_binary()), "--data-dir"]
    env = os.environ.copy()
    done = subprocess.run([*essaim, str(tmp_path / "a"), "release", "2.0.0-rc.1"],
                          capture_output=True, text=True, env=env)  # fmt: skip
    assert done.returncode == 0, done.stderr
    folder = tmp_path / "a" / "releases" / "2.0.0-rc.1"
    assert "changes since: none (first release)" in done.stdout
    again = subprocess.run([*essaim, str(tmp_path / "a"), "release", "2.0.0-rc.1"],
                           capture_output=True, text=True, env=env)  # fmt: skip
    assert again.returncode == 1 and "error: 2.0.0-rc.1 is already released" in again.stderr
    manifest = json.loads((folder / "manifest.json").read_text())
    damaged = tmp_path / "damaged"
    damaged.mkdir()
    for name in ("manifest.json", manifest["dump"]):
        (damaged / name).write_bytes((folder / name).read_bytes())
    data = gzip.decompress((damaged / manifest["dump"]).read_bytes()).replace(b'"x"', b'"z"')
    (damaged / manifest["dump"]).write_bytes(gzip.compress(data))
    refused = subprocess.run([*essaim, str(tmp_path / "c"), "load", "--release", str(damaged)],
                             capture_output=True, text=True, env=env)  # fmt: skip
    assert refused.returncode == 1 and "the file was altered or damaged" in refused.stderr
    loaded = subprocess.run([*essaim, str(tmp_path / "c"), "load", "--release", str(folder)],
                            capture_output=True, text=True, env=env)  # fmt: skip
    assert loaded.returncode == 0, loaded.stderr
    assert f"sha256 {manifest['sha256']} checked" in loaded.stdout
    store = open_store(Settings(data_dir=tmp_path / "c"))
    try:
        assert sorted(g for g in store.named_graphs() if g != ns.META_GRAPH) == [ACTORS, CASES]
        assert store.query(f'ASK {{ GRAPH <{ACTORS}> {{ <{ns.KB}actor/x> ?p "x" }} }}')
    finally:
        store.close()
