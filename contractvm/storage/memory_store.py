"""`MemoryStore`: the `Store` interface in memory, for tests and tools; nothing survives `close()`.

Each database is a dict plus a sorted list of its keys. New keys are only appended to a list of fresh keys
on commit (inserting each into a long sorted list would cost O(n) per key: a long test session slowed down as
its store grew); the next scan sorts them in, once, then costs O(log n + entries read) like LMDB's cursors.
The checks, messages and batch behaviour come from `Store`, and tests/unit/storage/test_store.py runs one
suite against this store and `LmdbStore`.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Sequence

from contractvm.storage.base import MAX_KEY_SIZE, Ops, Store


class MemoryStore(Store):
    """Named databases in dicts; same interface and errors as `LmdbStore`."""

    def __init__(self, databases: Sequence[str]) -> None:
        super().__init__(databases, MAX_KEY_SIZE)
        self._data: dict[str, dict[bytes, bytes]] = {db: {} for db in self.databases}
        self._keys: dict[str, list[bytes]] = {db: [] for db in self.databases}
        self._fresh: dict[str, list[bytes]] = {db: [] for db in self.databases}  # committed, not yet in _keys

    def _get(self, db: str, key: bytes) -> bytes | None:
        return self._data[db].get(key)

    def _read_range(
        self, db: str, lo: bytes, lo_inclusive: bool, hi: bytes | None, reverse: bool, n: int
    ) -> list[tuple[bytes, bytes]]:
        keys, data = self._sorted(db), self._data[db]
        first = bisect_left(keys, lo) if lo_inclusive else bisect_right(keys, lo)
        stop = len(keys) if hi is None else bisect_left(keys, hi)
        if stop <= first:
            return []
        if reverse:
            chosen = keys[max(first, stop - n) : stop][::-1]
        else:
            chosen = keys[first : min(stop, first + n)]
        return [(k, data[k]) for k in chosen]

    def _sorted(self, db: str) -> list[bytes]:
        keys, fresh = self._keys[db], self._fresh[db]
        if fresh:
            keys.extend(fresh)
            keys.sort()  # two sorted runs (the old keys, the fresh ones once sorted): timsort merges them
            fresh.clear()
        return keys

    def _apply(self, ops: Ops) -> None:
        for db, entries in ops.items():
            data, fresh = self._data[db], self._fresh[db]
            for key, value in entries.items():
                if value is None:
                    if data.pop(key, None) is not None:
                        keys = self._sorted(db)
                        del keys[bisect_left(keys, key)]
                else:
                    if key not in data:
                        fresh.append(key)
                    data[key] = value

    def _close(self) -> None:
        self._data.clear()
        self._keys.clear()
        self._fresh.clear()
