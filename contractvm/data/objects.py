"""`ObjectStore`: a node's content-addressed store of data objects, keyed by fingerprint, on its own LMDB.

Payloads never go on chain; a node keeps them here, beside (not inside) the chain's store, so data can be
pruned or moved without touching the chain. Four keyspaces:

| database  | key                               | value                                              |
|-----------|-----------------------------------|----------------------------------------------------|
| `objects` | fingerprint (32)                  | the envelope, exactly as uploaded                  |
| `meta`    | fingerprint (32)                  | JSON: kind, size, owner, access contract, stored at |
| `keys`    | fingerprint (32) + reader (20)    | the data key sealed to that reader                 |
| `log`     | sequence number (8, big-endian)   | JSON: one access attempt, served or refused        |

The access log is the node's own record of every attempt, refusals included; the chain's `DataAccess`
contract holds the authoritative record of every access served.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from contractvm.data.envelope import Envelope
from contractvm.errors import ContractVMError
from contractvm.storage.base import Store
from contractvm.storage.lmdb_store import LmdbStore
from contractvm.storage.memory_store import MemoryStore

DATABASES = ("objects", "meta", "keys", "log")


class ObjectConflict(ContractVMError):
    """A different object is already stored under this fingerprint."""


@dataclass(frozen=True)
class ObjectInfo:
    """What the node knows about one stored object (the payload aside)."""

    fingerprint: str  # 0x-hex
    closed: bool
    size: int  # bytes of the stored envelope
    owner: str  # cvm1 address of the registered owner who uploaded it
    access: str  # cvm1 address of the DataAccess contract that governs it
    stored_at: int  # unix seconds (the node's clock: local bookkeeping, not consensus)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


class ObjectStore:
    """Data objects by fingerprint, the sealed keys that unlock them, and the node's access log."""

    def __init__(self, store: Store) -> None:
        missing = set(DATABASES) - set(store.databases)
        if missing:
            raise ValueError(f"the store lacks the object databases {sorted(missing)}")
        self.store = store

    @classmethod
    def open(cls, path: Path) -> ObjectStore:
        """The object store in directory `path` (created if needed)."""
        path.mkdir(parents=True, exist_ok=True)
        return cls(LmdbStore(path, DATABASES))

    @classmethod
    def memory(cls) -> ObjectStore:
        return cls(MemoryStore(DATABASES))

    def close(self) -> None:
        self.store.close()

    # objects

    def put(self, envelope: Envelope, owner: str, access: str, now: int) -> tuple[ObjectInfo, bool]:
        """Store `envelope`; returns its info and whether it is new. The same bytes again are a no-op."""
        raw = envelope.encode()
        key = envelope.fingerprint
        existing = self.store.get("objects", key)
        if existing is not None:
            if existing != raw:
                raise ObjectConflict(f"a different object is already stored under 0x{key.hex()}")
            info = self.info(key)
            assert info is not None
            return info, False
        info = ObjectInfo("0x" + key.hex(), envelope.closed, len(raw), owner, access, now)
        with self.store.write() as batch:
            batch.put("objects", key, raw)
            batch.put("meta", key, _json(info.to_json()))
        return info, True

    def get(self, fingerprint: bytes) -> bytes | None:
        return self.store.get("objects", fingerprint)

    def info(self, fingerprint: bytes) -> ObjectInfo | None:
        raw = self.store.get("meta", fingerprint)
        return None if raw is None else ObjectInfo(**json.loads(raw))

    def count(self) -> int:
        return sum(1 for _ in self.store.scan("meta"))

    # sealed data keys

    def put_key(self, fingerprint: bytes, reader: bytes, sealed: bytes) -> None:
        """Keep the data key sealed to `reader` (a later one for the same reader replaces it)."""
        with self.store.write() as batch:
            batch.put("keys", fingerprint + reader, sealed)

    def get_key(self, fingerprint: bytes, reader: bytes) -> bytes | None:
        return self.store.get("keys", fingerprint + reader)

    # the access log

    def log(self, entry: dict[str, Any]) -> int:
        """Append one access attempt; returns its sequence number (from 1)."""
        last = next(iter(self.store.scan("log", reverse=True, limit=1)), None)
        seq = 1 if last is None else int.from_bytes(last[0], "big") + 1
        with self.store.write() as batch:
            batch.put("log", seq.to_bytes(8, "big"), _json({"seq": seq, **entry}))
        return seq

    def access_log(self, fingerprint: str | None = None, limit: int = 100) -> list[dict[str, Any]]:
        """The latest attempts, newest first, optionally only those on one object (0x-hex fingerprint)."""
        found: list[dict[str, Any]] = []
        for _, raw in self.store.scan("log", reverse=True):
            entry = json.loads(raw)
            if fingerprint is None or entry.get("fingerprint") == fingerprint:
                found.append(entry)
                if len(found) >= limit:
                    break
        return found


def _json(value: dict[str, Any]) -> bytes:
    return json.dumps(value, sort_keys=True, separators=(",", ":")).encode()
