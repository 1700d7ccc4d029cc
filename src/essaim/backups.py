"""A node's backup: its public store and its coders' private annotation store, together.

``essaim backup TARGET`` writes::

    TARGET/store/        the public store (pyoxigraph's consistent backup)
    TARGET/annotations/  the private annotation store (same), possibly empty
    TARGET/backup.json   what the backup holds: when, quads, annotation graphs

``essaim restore SOURCE`` checks both parts can be opened before it changes anything, then
replaces the public store and the annotation store. A backup made before the annotation store
joined it (the folder itself is the public store's backup) still restores the public store; the
annotation store is then left as it is, and the caller is told so.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Final

import pyoxigraph as ox

from essaim.annotation.storage import AnnotationStore, annotations_path
from essaim.store.base import Dataset, StoreError

STORE: Final = "store"
ANNOTATIONS: Final = "annotations"
MANIFEST: Final = "backup.json"


@dataclass(frozen=True)
class Restored:
    """What a restore replaced."""

    layout: str  # "node" (store and annotations) or "store only" (an older backup)
    annotations_restored: bool


def backup_node(store: Dataset, data_dir: Path, target: Path) -> dict[str, object]:
    """Write ``target`` with both stores; nothing is left behind if a part fails."""
    if target.exists():
        raise StoreError(f"the backup target {target} exists already: name a new folder")
    target.mkdir(parents=True)
    try:
        store.backup(target / STORE)
        annotations = AnnotationStore(annotations_path(data_dir))
        try:
            annotations.backup(target / ANNOTATIONS)
            coder_graphs = annotations.graph_count()
        finally:
            annotations.close()
        manifest: dict[str, object] = {
            "made": datetime.now(UTC).isoformat(timespec="seconds"),
            "store_quads": _quads(store),
            "annotation_graphs": coder_graphs,
        }
        (target / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    except BaseException:
        shutil.rmtree(target, ignore_errors=True)
        raise
    return manifest


def _quads(store: Dataset) -> int:
    rows = store.query("SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }")
    for row in rows:  # type: ignore[union-attr]
        return int(row["n"].value)
    return 0


def restore_node(store: Dataset, data_dir: Path, source: Path) -> Restored:
    """Replace the public store (and the annotation store, when the backup holds one)."""
    if not source.is_dir():
        raise StoreError(f"{source} is not an essaim backup: no such folder")
    if (source / STORE).is_dir():
        _probe(source / ANNOTATIONS, "its annotation store")
        path = annotations_path(data_dir)
        staging = _stage(source / ANNOTATIONS, path)
        try:
            store.restore(source / STORE)
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
        _swap(staging, path)
        return Restored("node", annotations_restored=True)
    store.restore(source)  # an older backup: the folder is the public store's backup
    return Restored("store only", annotations_restored=False)


def _probe(path: Path, what: str) -> None:
    try:
        probe = ox.Store.read_only(str(path))
        del probe
    except OSError as exc:
        raise StoreError(f"{path.parent} is not a whole essaim backup: {what} ({exc})") from None


def _stage(source: Path, path: Path) -> Path:
    """A copy of ``source`` beside ``path``, ready to take its place."""
    path.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f"{path.name}.restore-", dir=path.parent))
    shutil.rmtree(staging)
    shutil.copytree(source, staging)
    return staging


def _swap(staging: Path, path: Path) -> None:
    """Put ``staging`` in the place of ``path``, the old folder kept until the swap is done."""
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%f")
    aside = path.with_name(f"{path.name}.before-restore-{stamp}")
    if path.exists():
        path.rename(aside)
    try:
        staging.rename(path)
    except OSError as exc:
        if aside.exists():
            aside.rename(path)
        raise StoreError(
            f"the public store was restored but the annotation store could not be: {exc}; "
            f"the previous annotation store is unchanged in {path}"
        ) from None
    path.chmod(0o700)
    shutil.rmtree(aside, ignore_errors=True)
