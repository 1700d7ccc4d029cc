"""Where an analysis reads its data: one parameter switches between stores.

``connect(location)`` gives a :class:`~essaim.store.Dataset`:

- ``None``: the ``ESSAIM_ANALYSIS_STORE`` environment variable, else ``"kb"``;
- ``"kb"``: the bundled ontology and knowledge base, loaded into memory (a few seconds, without
  the SHACL check that ``essaim load`` runs);
- an ``http://`` or ``https://`` URL: any SPARQL 1.1 query endpoint holding essaim data (an
  ``essaim serve`` node's ``/sparql``, Fuseki, GraphDB...), read through essaim's remote store;
- a folder: an essaim data directory (it holds ``store/``), a pyoxigraph store folder itself,
  both opened read-only (a running server may hold them), or a folder of RDF files, loaded into
  memory with the bundled ontology beside it.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Final

import pyoxigraph as ox

from essaim.config import RemoteSettings
from essaim.store import Dataset, EmbeddedStore, StoreError

#: The environment variable naming the store when ``connect`` is given none.
LOCATION_VARIABLE: Final = "ESSAIM_ANALYSIS_STORE"
#: The location that means the bundled data.
BUNDLED: Final = "kb"


class SourceError(ValueError):
    """The location names no store essaim can read; the message says what was given."""


def is_endpoint(location: str | Path) -> bool:
    """True when ``location`` is a SPARQL endpoint's URL.

    >>> is_endpoint("http://127.0.0.1:8000/sparql"), is_endpoint("kb"), is_endpoint(Path("x"))
    (True, False, False)
    """
    return isinstance(location, str) and location.lower().startswith(("http://", "https://"))


def resolve(location: str | Path | None = None) -> str | Path:
    """The location ``connect`` reads: the one given, else the environment's, else ``"kb"``."""
    if location is None or (isinstance(location, str) and not location.strip()):
        location = os.environ.get(LOCATION_VARIABLE, "").strip() or BUNDLED
    return location


def connect(location: str | Path | None = None, *, timeout_s: float = 60.0) -> Dataset:
    """The store at ``location`` (see the module's docstring); :class:`SourceError` when the
    location names nothing essaim can read."""
    location = resolve(location)
    if is_endpoint(location):
        from essaim.store.remote import RemoteStore  # httpx, only when used

        return RemoteStore(RemoteSettings(query_url=str(location), timeout_s=timeout_s))
    if location == BUNDLED:
        return _load_folders(None)
    path = Path(location).expanduser()
    if not path.exists():
        raise SourceError(
            f"{location}: no such folder, and not an http(s) URL of a SPARQL endpoint "
            f"(give a data directory, a folder of RDF files, {BUNDLED!r} or an endpoint URL)"
        )
    if not path.is_dir():
        raise SourceError(f"{location}: a file; give a data directory or a folder of RDF files")
    if (path / "store").is_dir():
        return _read_only(path / "store")
    if (path / "CURRENT").is_file():  # a pyoxigraph (RocksDB) store folder
        return _read_only(path)
    return _load_folders(path)


def _read_only(path: Path) -> EmbeddedStore:
    try:
        return EmbeddedStore.over(ox.Store.read_only(str(path)))
    except OSError as exc:
        raise SourceError(f"{path}: cannot open the store read-only: {exc}") from None


def _load_folders(folder: Path | None) -> EmbeddedStore:
    """The bundled ontology with ``folder`` (default: the bundled kb/), in memory."""
    from essaim.loading import LoadError, load  # pyshacl and friends: only when used
    from essaim.resources import bundled_data

    data = bundled_data()
    store = EmbeddedStore()
    paths = [data.ontology, folder if folder is not None else data.kb]
    try:  # files outside the checkout get graphs of their own (essaim.loading.sources_for)
        load(store, paths, base=data.root, trusted=True)
    except (LoadError, StoreError) as exc:
        store.close()
        raise SourceError(f"{folder or data.kb}: {exc}") from None
    return store
