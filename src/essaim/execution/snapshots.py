"""Snapshots of the embedded store for the query workers.

After every write the server makes a checkpoint of the store (``Store.backup``: hard links,
milliseconds at a million triples) into ``<data_dir>/snapshots/gen-N`` and names it current.
Workers open the current snapshot read-only. A checkpoint never changes, so reading it while the
server writes the live store is well defined (upstream documents a read-only open beside a
writing process as undefined: the live store's compactions delete files a reader may still
need), and a query that starts after a write returned sees that write. Old checkpoints are
removed once no worker has them open.
"""

from __future__ import annotations

import re
import shutil
import threading
from collections.abc import Iterable
from pathlib import Path

from essaim.store.embedded import EmbeddedStore

_NAME = re.compile(r"^gen-(\d+)$")


class Snapshots:
    def __init__(self, store: EmbeddedStore, folder: Path) -> None:
        self._store = store
        self.folder = folder
        self._lock = threading.Lock()
        folder.mkdir(parents=True, exist_ok=True)
        for stale in folder.iterdir():  # left by an earlier run
            shutil.rmtree(stale, ignore_errors=True)
        self._generation = 0
        self.current = self.publish()

    @property
    def generation(self) -> int:
        return self._generation

    def publish(self) -> Path:
        """Checkpoint the store as it is now and make it the current snapshot."""
        with self._lock:
            generation = self._generation + 1
            target = self.folder / f"gen-{generation}"
            self._store.backup(target)
            self._generation = generation
            self.current = target
            return target

    def prune(self, in_use: Iterable[str]) -> bool:
        """Remove the snapshots that are neither current nor open in a worker. Skipped while a
        snapshot is being made (the next call prunes): ``current`` must be read under the lock,
        or the snapshot being made could be taken for an old one."""
        if not self._lock.acquire(blocking=False):
            return False
        try:
            keep = {str(self.current), *in_use}
            for path in self.folder.iterdir():
                if _NAME.match(path.name) and str(path) not in keep:
                    shutil.rmtree(path, ignore_errors=True)
            return True
        finally:
            self._lock.release()

    def close(self) -> None:
        shutil.rmtree(self.folder, ignore_errors=True)
