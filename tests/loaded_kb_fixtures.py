"""The bundled data, loaded once per session by a node's first start, copied for each test that
needs it.

A pytest plugin (registered in conftest). Loading the bundled ontology and knowledge base (over
300 files: parsed, checked against the SHACL contract, written one graph at a time, indexed for
search) takes 15 to 20 s; a node that starts on a data directory that holds them already loads
nothing (each file's sha256 matches its load record; the search index finds each graph's
fingerprint unchanged). So the session runs the real first start once, when a test first asks
for it: the node of ``essaim serve`` (its lifespan run by starlette's test client) on an empty
data directory, loading, validating and indexing the bundled data as every first start does,
then stopped. A fixture that needs the bundled data loaded gets its own copy of that data
directory (``loaded_kb.copy_to``) or of its store (``loaded_kb.store_in``): a real pyoxigraph
store holding what the validated load wrote, metadata graph included, that the test may change.

What a first load itself does (what it reports, what it writes, what it refuses) is tested on
loads of its own: tests/test_loading.py (small files), test_package.py (``essaim load`` of the
bundled data in an empty data directory).

Most tests read only the founding case (kb/cases/sarthe-…) with the ontology and the codebook, not
the importers' 250,000 generated triples (the experiments corpus, the directories and maps, the
French geography): ``founding_kb`` is a data directory holding just that, the hand-written
knowledge base (``founding_files()``), loaded and validated as a first start loads it, then indexed
by a node that loads nothing more (``load_on_start=False``: a node that loads the bundled data on
start would add the rest). Tests of the grown knowledge base (the home page's listing, the kinds
filter, queries over everything) keep ``loaded_kb``.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from essaim.config import ServerSettings, Settings
from essaim.ingest.sources.build import FILES as SOURCE_FILES
from essaim.loading import load
from essaim.resources import bundled_data
from essaim.store import EmbeddedStore


def founding_files() -> list[Path]:
    """The hand-written knowledge base: kb/ less the importers' generated graphs (the UNDP
    experiments corpus and its actors, the issue-13 sources: directories, maps, geography)."""
    data = bundled_data()
    imported = {data.root / name for name in SOURCE_FILES}
    return [
        path
        for path in sorted(data.kb.rglob("*.ttl"))
        if "undp-accelerator-labs" not in path.parts
        and not path.name.startswith("undp-accelerator-labs")
        and path not in imported
    ]


class LoadedKb:
    """A data directory in which a node's first start loaded the bundled data."""

    def __init__(self, data_dir: Path, files: list[Path] | None = None) -> None:
        """The node's first start loads the bundled data; with ``files``, the ontology and those
        files are loaded first (validated, as a first start loads them) and the node loads
        nothing more (``load_on_start=False``)."""
        from essaim.web.app import create_app  # the web app imports slowly: only when used
        from essaim_app_fixtures import TestClient

        server = ServerSettings(workers=1)
        if files is not None:
            data = bundled_data()
            data_dir.mkdir(parents=True, exist_ok=True)
            store = EmbeddedStore(data_dir / "store")
            try:
                load(store, [data.ontology, *files], base=data.root)
            finally:
                store.close()
            server = ServerSettings(workers=1, load_on_start=False)
        settings = Settings(data_dir=data_dir, server=server)
        with TestClient(create_app(settings)) as client:
            node = client.app.state.node  # type: ignore[attr-defined]
            assert node.store.named_graphs(), "the first start loaded nothing"
        names = sorted(path.name for path in data_dir.iterdir())
        # no users, no snapshots: copied as is (the annotations' private store is empty)
        assert set(names) <= {"annotations", "search.sqlite", "store"}, names
        self.data_dir = data_dir

    def copy_to(self, data_dir: Path) -> Path:
        """``data_dir`` (made if missing) with a copy of the loaded store and search index."""
        data_dir.mkdir(parents=True, exist_ok=True)
        shutil.copytree(self.data_dir / "store", data_dir / "store")
        shutil.copy2(self.data_dir / "search.sqlite", data_dir / "search.sqlite")
        if (self.data_dir / "annotations").is_dir():
            shutil.copytree(self.data_dir / "annotations", data_dir / "annotations")
        return data_dir

    def store_in(self, folder: Path) -> EmbeddedStore:
        """An embedded store in ``folder`` / "store", a copy of the loaded one."""
        folder.mkdir(parents=True, exist_ok=True)
        shutil.copytree(self.data_dir / "store", folder / "store")
        return EmbeddedStore(folder / "store")


@pytest.fixture(scope="session")
def loaded_kb(tmp_path_factory: pytest.TempPathFactory) -> LoadedKb:
    return LoadedKb(tmp_path_factory.mktemp("loaded-kb") / "data")


@pytest.fixture(scope="session")
def founding_kb(tmp_path_factory: pytest.TempPathFactory) -> LoadedKb:
    """The ontology, the codebook and the hand-written knowledge base (``founding_files``): the
    founding case without the importers' graphs. A node started on a copy must not load on
    start (it would add the rest of the bundled data)."""
    return LoadedKb(tmp_path_factory.mktemp("founding-kb") / "data", founding_files())
