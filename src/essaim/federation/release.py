"""Citable releases: ``essaim release VERSION`` freezes the knowledge base, so that a paper can
cite the exact data it used and anyone can load that version back.

A release is a folder ``<releases>/<VERSION>/`` (``<data dir>/releases`` unless told otherwise)
written whole or not at all (made under a hidden name, then renamed):

- ``essaim-<VERSION>.nq.gz``: every published graph (``essaim.federation.dumps``: the metadata
  graph aside), gzipped N-Quads, the same bytes for the same quads;
- ``SHA256SUMS``: its sha256, for ``sha256sum -c``;
- ``release.ttl``: its DCAT record, a ``dcat:Dataset`` with its version (``dcat:version``), issue
  date, the dump as a ``dcat:Distribution`` (byte size, sha256, as in the node's catalogue), and
  one part per graph (``dcterms:hasPart``) with its licence or rights, its triples and the sha256
  of its own dump; the release's ``dcterms:rights`` sums up the licences;
- ``CITATION.cff``: Citation File Format 1.2.0 (title, version, date released, the licences
  as SPDX identifiers where they have one, the licence statement, url and repository);
- ``CHANGES.md``: the graphs added, removed and changed since the previous release (the highest
  version below this one), with their triple counts;
- ``manifest.json``: what loading the release back checks (the dump's sha256, each graph's).

:func:`load_release` loads a release into an empty embedded store after checking the dump's
sha256; the graphs then dump to the same bytes again (the same checksums).
"""

from __future__ import annotations

import gzip
import json
import re
import shutil
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

import pyoxigraph as ox

from essaim import namespaces as ns
from essaim.federation.catalogue import DCAT, NO_LICENCE, SPDX, checksum, distribution
from essaim.federation.dumps import DumpSet, GraphEntry, file_sha256, make_dumps
from essaim.loading import insert_data
from essaim.metadata import GraphRecord, delete_operation, describe
from essaim.store.base import Dataset
from essaim.store.embedded import EmbeddedStore

#: Semantic versioning 2.0.0 (https://semver.org), without a leading ``v``.
VERSION = re.compile(
    r"^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)"
    r"(?:-((?:0|[1-9]\d*|\d*[A-Za-z-][0-9A-Za-z-]*)(?:\.(?:0|[1-9]\d*|\d*[A-Za-z-][0-9A-Za-z-]*))*))?"
    r"(?:\+[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)?$"
)
MANIFEST = "manifest.json"
#: Where a release's IRIs live unless ``--url`` says otherwise.
DEFAULT_URL = "https://w3id.org/essaim/releases/"
#: SPDX identifiers of the licences the knowledge base's sources use.
SPDX_IDS = {
    "https://creativecommons.org/licenses/by/4.0/": "CC-BY-4.0",
    "https://creativecommons.org/licenses/by-sa/4.0/": "CC-BY-SA-4.0",
    "https://creativecommons.org/licenses/by-nc/4.0/": "CC-BY-NC-4.0",
    "https://creativecommons.org/licenses/by-nc-sa/4.0/": "CC-BY-NC-SA-4.0",
    "https://creativecommons.org/licenses/by-nd/4.0/": "CC-BY-ND-4.0",
    "https://creativecommons.org/publicdomain/zero/1.0/": "CC0-1.0",
    "https://www.etalab.gouv.fr/licence-ouverte-open-licence": "etalab-2.0",
    "https://www.etalab.gouv.fr/wp-content/uploads/2017/04/ETALAB-Licence-Ouverte-v2.0.pdf": (
        "etalab-2.0"
    ),
    "https://opendatacommons.org/licenses/odbl/1-0/": "ODbL-1.0",
}


class ReleaseError(Exception):
    """The release was refused and nothing was written; the message says why."""


def version_key(version: str) -> tuple[int, int, int, int, tuple[tuple[int, int | str], ...]]:
    """The version's precedence (semver: a pre-release sorts before its release).

    >>> sorted(["1.0.0", "1.0.0-rc.1", "0.9.10", "0.9.2"], key=version_key)
    ['0.9.2', '0.9.10', '1.0.0-rc.1', '1.0.0']
    """
    found = VERSION.match(version)
    if found is None:
        raise ReleaseError(
            f"{version!r} is not a version: give MAJOR.MINOR.PATCH (semantic versioning, as "
            "1.0.0 or 2.1.0-rc.1), without a leading v"
        )
    pre = found[4]
    parts = tuple((0, int(p)) if p.isdigit() else (1, p) for p in pre.split(".")) if pre else ()
    return int(found[1]), int(found[2]), int(found[3]), 0 if pre else 1, parts


@dataclass(frozen=True)
class ReleasedGraph:
    triples: int
    sha256: str
    licenses: tuple[str, ...]
    rights: tuple[str, ...]


@dataclass(frozen=True)
class Release:
    version: str
    folder: Path
    issued: str
    dump: str
    sha256: str
    bytes: int
    triples: int
    graphs: dict[str, ReleasedGraph]
    previous: str | None = None

    def as_json(self) -> dict[str, object]:
        return {
            "version": self.version, "issued": self.issued, "dump": self.dump,
            "sha256": self.sha256, "bytes": self.bytes, "triples": self.triples,
            "previous": self.previous,
            "graphs": {g: {"triples": r.triples, "sha256": r.sha256, "licenses": list(r.licenses),
                           "rights": list(r.rights)} for g, r in sorted(self.graphs.items())},
        }  # fmt: skip


def read_release(folder: Path) -> Release:
    """The release in ``folder``, from its manifest."""
    path = folder / MANIFEST
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        graphs = {
            graph: ReleasedGraph(int(g["triples"]), str(g["sha256"]), tuple(g["licenses"]),
                                 tuple(g["rights"]))
            for graph, g in data["graphs"].items()
        }  # fmt: skip
        return Release(
            version=str(data["version"]), folder=folder, issued=str(data["issued"]),
            dump=str(data["dump"]), sha256=str(data["sha256"]), bytes=int(data["bytes"]),
            triples=int(data["triples"]), graphs=graphs, previous=data.get("previous"),
        )  # fmt: skip
    except FileNotFoundError:
        raise ReleaseError(f"{folder} is not a release: it has no {MANIFEST}") from None
    except (ValueError, KeyError, TypeError) as exc:
        raise ReleaseError(f"{path} is not a release manifest ({exc!r})") from None


def releases(root: Path) -> dict[str, Release]:
    """The releases under ``root``, by version."""
    if not root.is_dir():
        return {}
    found = [read_release(p.parent) for p in sorted(root.glob(f"*/{MANIFEST}"))]
    return {r.version: r for r in found if not r.folder.name.startswith(".")}


def _licence_summary(graphs: dict[str, ReleasedGraph]) -> str:
    counts: Counter[str] = Counter()
    for graph in graphs.values():
        if graph.licenses:
            counts.update(graph.licenses)
        elif graph.rights:
            counts["rights stated without a licence"] += 1
        else:
            counts["no licence stated"] += 1
    parts = [f"{name} ({n} graph{'s' if n > 1 else ''})" for name, n in sorted(counts.items())]
    return (
        "Each graph keeps its own licence, stated in the graph and in release.ttl: "
        + "; ".join(parts)
        + "."
    )


def _record(release_iri: str, dumps: DumpSet, release: Release, title: str) -> list[ox.Triple]:
    """The release's DCAT record."""
    n, rdf_type = ox.NamedNode, ox.NamedNode(ns.RDF + "type")
    dcterms = ns.DCTERMS
    me = n(release_iri)
    dump = n(f"{release_iri}/{release.dump}")
    triples = [
        ox.Triple(me, rdf_type, n(DCAT + "Dataset")),
        ox.Triple(me, n(dcterms + "title"),
                  ox.Literal(f"{title} {release.version}", language="en")),
        ox.Triple(me, n(DCAT + "version"), ox.Literal(release.version)),
        ox.Triple(me, n(ns.OWL + "versionInfo"), ox.Literal(release.version)),
        ox.Triple(me, n(dcterms + "issued"),
                  ox.Literal(release.issued, datatype=n(ns.XSD + "date"))),
        ox.Triple(me, n(ns.VOID + "triples"),
                  ox.Literal(str(release.triples), datatype=n(ns.XSD + "integer"))),
        ox.Triple(me, n(dcterms + "rights"), ox.Literal(_licence_summary(release.graphs),
                                                        language="en")),
        ox.Triple(me, n(DCAT + "distribution"), dump),
        ox.Triple(dump, n(dcterms + "title"), ox.Literal(
            f"every published graph of release {release.version}, N-Quads, gzip", language="en")),
    ]  # fmt: skip
    if release.previous:
        triples.append(
            ox.Triple(me, n(DCAT + "previousVersion"), n(f"{release_iri.rsplit('/', 1)[0]}/"
                                                          f"{release.previous}"))
        )  # fmt: skip
    triples += distribution(dump, dumps.whole, [])
    for graph, part in sorted(release.graphs.items()):
        entry: GraphEntry = dumps.entries[graph]
        node = n(graph)
        titles = entry.values(dcterms + "title") or [ox.Literal(graph)]
        triples += [
            ox.Triple(me, n(dcterms + "hasPart"), node),
            ox.Triple(node, rdf_type, n(DCAT + "Dataset")),
            ox.Triple(node, n(ns.VOID + "triples"),
                      ox.Literal(str(part.triples), datatype=n(ns.XSD + "integer"))),
        ]  # fmt: skip
        triples += checksum(node, part.sha256)
        triples += [ox.Triple(node, n(dcterms + "title"), t) for t in titles]
        triples += [ox.Triple(node, n(dcterms + "license"), n(x)) for x in part.licenses]
        triples += [ox.Triple(node, n(dcterms + "rights"), ox.Literal(x)) for x in part.rights]
        if not part.licenses and not part.rights:
            triples.append(ox.Triple(node, n(dcterms + "rights"), NO_LICENCE))
    return triples


def _yaml(value: str) -> str:
    """A YAML scalar: a JSON string is one."""
    return json.dumps(value, ensure_ascii=False)


def _citation(release: Release, title: str, url: str, repository: str | None) -> str:
    spdx = sorted({SPDX_IDS[x] for g in release.graphs.values() for x in g.licenses
                   if x in SPDX_IDS})  # fmt: skip
    lines = [
        "cff-version: 1.2.0",
        'message: "If you use this data, please cite it as below."',
        "type: dataset",
        f"title: {_yaml(f'{title} {release.version}')}",
        f"version: {_yaml(release.version)}",
        f"date-released: {_yaml(release.issued)}",
        "authors:",
        '  - name: "The essaim contributors"',
        f"abstract: {_yaml(_licence_summary(release.graphs))}",
        f"url: {_yaml(url)}",
    ]
    if repository:
        lines.append(f"repository: {_yaml(repository)}")
    if len(spdx) == 1:
        lines.append(f"license: {_yaml(spdx[0])}")
    elif spdx:
        lines.append("license:")
        lines += [f"  - {_yaml(x)}" for x in spdx]
    lines += [
        "identifiers:",
        "  - type: other",
        f"    value: {_yaml('sha256:' + release.sha256)}",
        f"    description: {_yaml(f'sha256 of {release.dump}')}",
    ]
    return "\n".join(lines) + "\n"


def changes(release: Release, previous: Release | None) -> str:
    """The graphs added, removed and changed since ``previous``, as Markdown."""
    lines = [f"# Changes in {release.version}", ""]
    if previous is None:
        lines += [f"First release: {len(release.graphs)} graphs, {release.triples} triples.", ""]
        return "\n".join(lines)
    old, new = previous.graphs, release.graphs
    added = sorted(set(new) - set(old))
    removed = sorted(set(old) - set(new))
    changed = sorted(g for g in set(new) & set(old) if new[g].sha256 != old[g].sha256)
    lines += [
        f"Since {previous.version} ({previous.issued}): {len(added)} added, {len(removed)} "
        f"removed, {len(changed)} changed, {len(new) - len(added) - len(changed)} unchanged; "
        f"{previous.triples} → {release.triples} triples.",
        "",
    ]
    for heading, graphs, row in (
        ("Added", added, lambda g: f"- <{g}>: {new[g].triples} triples"),
        ("Removed", removed, lambda g: f"- <{g}>: {old[g].triples} triples"),
        ("Changed", changed, lambda g: f"- <{g}>: {old[g].triples} → {new[g].triples} triples"),
    ):
        if graphs:
            lines += [f"## {heading}", "", *map(row, graphs), ""]
    return "\n".join(lines)


def make_release(
    store: Dataset,
    version: str,
    root: Path,
    *,
    url: str = DEFAULT_URL,
    repository: str | None = None,
    title: str = "essaim knowledge base",
    today: date | None = None,
) -> Release:
    """Freeze ``store`` as release ``version`` under ``root`` (see the module's docstring)."""
    key = version_key(version)
    existing = releases(root)
    if version in existing:
        raise ReleaseError(
            f"{version} is already released ({existing[version].folder}): a release is never "
            "rewritten; give a new version. Nothing was written"
        )
    below = [r for v, r in existing.items() if version_key(v) < key]
    previous = max(below, key=lambda r: version_key(r.version)) if below else None
    final = root / version
    if final.exists():
        raise ReleaseError(f"{final} exists already: nothing was written")
    work = root / f".{version}.partial"
    if work.exists():
        shutil.rmtree(work)
    try:
        dumps = make_dumps(store, work / "graphs")
        name = f"essaim-{version}.nq.gz"
        (work / "graphs" / "all.nq.gz").rename(work / name)
        graphs = {
            graph: ReleasedGraph(
                triples=dump.triples, sha256=dump.sha256,
                licenses=tuple(sorted({x.value for x in dumps.entries[graph].values(
                    ns.DCTERMS + "license") if isinstance(x, ox.NamedNode)}
                    or set(dumps.entries[graph].licenses))),
                rights=tuple(sorted(str(x.value) for x in dumps.entries[graph].values(
                    ns.DCTERMS + "rights"))),
            )
            for graph, dump in dumps.graphs.items()
        }  # fmt: skip
        release = Release(
            version=version, folder=final, issued=(today or datetime.now(UTC).date()).isoformat(),
            dump=name, sha256=dumps.whole.sha256, bytes=dumps.whole.bytes,
            triples=dumps.whole.triples, graphs=graphs,
            previous=previous.version if previous else None,
        )  # fmt: skip
        iri = url.rstrip("/") + "/" + version
        record = ox.serialize(
            _record(iri, dumps, release, title), format=ox.RdfFormat.TURTLE,
            prefixes={"dcat": DCAT, "dcterms": ns.DCTERMS, "void": ns.VOID, "xsd": ns.XSD,
                      "spdx": SPDX, "owl": ns.OWL},
        )  # fmt: skip
        assert record is not None
        (work / "release.ttl").write_bytes(record)
        (work / "SHA256SUMS").write_text(f"{release.sha256}  {name}\n", encoding="utf-8")
        (work / "CITATION.cff").write_text(
            _citation(release, title, iri, repository), encoding="utf-8"
        )
        (work / "CHANGES.md").write_text(changes(release, previous), encoding="utf-8")
        shutil.rmtree(work / "graphs")
        (work / MANIFEST).write_text(
            json.dumps(release.as_json(), indent=1, ensure_ascii=False) + "\n", encoding="utf-8"
        )
        work.rename(final)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    return release


def load_release(store: Dataset, folder: Path) -> Release:
    """Load the release in ``folder`` into ``store``, which must be an empty embedded store;
    the dump's sha256 is checked first. Each graph gets a load record naming the release."""
    release = read_release(folder)
    if not isinstance(store, EmbeddedStore):
        raise ReleaseError("a release loads into the embedded store (--data-dir), not a remote one")
    held = [g for g in store.named_graphs()]
    if held:
        raise ReleaseError(
            f"the store holds {len(held)} graph(s) already (such as {held[0]}): a release loads "
            "into an empty store (a new --data-dir). Nothing was loaded"
        )
    path = folder / release.dump
    try:
        digest = file_sha256(path)
    except FileNotFoundError:
        raise ReleaseError(f"{path}: the release's dump is missing. Nothing was loaded") from None
    if digest != release.sha256:
        raise ReleaseError(
            f"{path}: its sha256 is {digest}, the release says {release.sha256}: the file was "
            "altered or damaged. Nothing was loaded"
        )
    data = gzip.decompress(path.read_bytes())
    now = datetime.now(UTC)
    records = [
        GraphRecord(
            graph=graph, source=f"{release.dump} (release {release.version})", sha256=g.sha256,
            triples=g.triples, started=now, ended=now, validated=False, licenses=g.licenses,
            rights=g.rights,
        )
        for graph, g in sorted(release.graphs.items())
    ]  # fmt: skip
    metadata = [delete_operation(r.graph) for r in records]
    metadata.append(insert_data(q for r in records for q in describe(r)))
    # the blank nodes keep their labels: the graphs dump to the release's bytes again
    store.add_graphs(data, sorted(release.graphs), " ;\n".join(metadata), keep_blank_nodes=True)
    return release
