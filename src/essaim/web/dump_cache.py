"""The node's dumps (``essaim.federation.dumps``), made once per store generation: the first
request after a write makes them (in a thread, one request at a time; the others wait for it),
every later one until the next write reuses the files. A set made while a write ran is not kept.
The files live under ``<data dir>/dumps/``, emptied when the node starts making them."""

from __future__ import annotations

import asyncio
import shutil
import uuid
from pathlib import Path
from typing import Protocol

from essaim.federation.dumps import DumpSet, make_dumps
from essaim.store import Dataset

#: Attempts at a set not overtaken by a write before the last one made is served anyway.
ATTEMPTS = 3


class Generations(Protocol):
    store: Dataset

    @property
    def generation(self) -> int: ...

    @property
    def writing(self) -> bool: ...


class DumpCache:
    def __init__(self, root: Path) -> None:
        self.root = root
        self._lock = asyncio.Lock()
        self._current: tuple[int, DumpSet] | None = None
        self._cleaned = False
        #: How many sets were made (tests check that requests reuse them).
        self.made = 0

    async def current(self, node: Generations) -> DumpSet:
        async with self._lock:
            if not self._cleaned:
                await asyncio.to_thread(shutil.rmtree, self.root, True)
                self._cleaned = True
            for attempt in range(ATTEMPTS):
                generation = node.generation
                if self._current is not None and self._current[0] == generation:
                    return self._current[1]
                folder = self.root / uuid.uuid4().hex
                made = await asyncio.to_thread(make_dumps, node.store, folder)
                self.made += 1
                fresh = node.generation == generation and not node.writing
                if fresh or attempt == ATTEMPTS - 1:  # a stale last one is served, not reused
                    old, self._current = self._current, (generation if fresh else -1, made)
                    if old is not None:  # a download under way keeps its open file
                        await asyncio.to_thread(shutil.rmtree, old[1].folder, True)
                    return made
                await asyncio.to_thread(shutil.rmtree, folder, True)
            raise AssertionError("unreachable")  # pragma: no cover
