"""A cache bounded by entries and by bytes, least recently used out first: every cache the
node keeps (pages, pictures, canned answers) is one, so no client can make it grow at will.

>>> cache = BoundedCache[str, bytes](entries=2, max_bytes=10)
>>> cache.put("a", b"1234"); cache.put("b", b"1234"); cache.put("c", b"1234")
>>> len(cache), cache.get("a"), cache.bytes
(2, None, 8)
>>> cache.put("big", b"x" * 11)  # larger than the whole cache: not kept
>>> cache.get("big") is None
True
"""

from __future__ import annotations

import pickle
import sys
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


def size_of(value: object) -> int:
    """Bytes a value holds: the length of bytes and text, else of its pickle (else of the
    object itself, shallow, for what cannot be pickled)."""
    if isinstance(value, bytes | bytearray):
        return len(value)
    if isinstance(value, str):
        return len(value.encode())
    try:
        return len(pickle.dumps(value, pickle.HIGHEST_PROTOCOL))
    except (pickle.PicklingError, TypeError, AttributeError):
        return sys.getsizeof(value)


class BoundedCache(Generic[K, V]):
    def __init__(self, entries: int, max_bytes: int, size: Callable[[V], int] = size_of) -> None:
        self.entries, self.max_bytes = entries, max_bytes
        self._size = size
        self._data: OrderedDict[K, tuple[V, int]] = OrderedDict()
        self.bytes = 0

    def __len__(self) -> int:
        return len(self._data)

    def get(self, key: K) -> V | None:
        found = self._data.get(key)
        if found is None:
            return None
        self._data.move_to_end(key)
        return found[0]

    def put(self, key: K, value: V) -> None:
        """Keep ``value``, dropping the least recently used entries beyond the bounds; a value
        larger than the whole cache is not kept."""
        self.pop(key)
        size = self._size(value)
        if size > self.max_bytes:
            return
        self._data[key] = (value, size)
        self.bytes += size
        while len(self._data) > self.entries or self.bytes > self.max_bytes:
            _, (_, dropped) = self._data.popitem(last=False)
            self.bytes -= dropped

    def pop(self, key: K) -> None:
        found = self._data.pop(key, None)
        if found is not None:
            self.bytes -= found[1]

    def clear(self) -> None:
        self._data.clear()
        self.bytes = 0
