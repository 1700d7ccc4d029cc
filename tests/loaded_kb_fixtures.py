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
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from essaim.config import ServerSettings, Settings
from essaim.store import EmbeddedStore


class LoadedKb:
    """A data directory in which a node's first start loaded the bundled data."""

    def __init__(self, data_dir: Path) -> None:
        from essaim.web.app import create_app  # the web app imports slowly: only when used
        from essaim_app_fixtures import TestClient

        settings = Settings(data_dir=data_dir, server=ServerSettings(workers=1))
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
