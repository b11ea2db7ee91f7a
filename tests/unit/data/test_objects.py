"""contractvm.data.objects.ObjectStore on a real LMDB directory and in memory: objects by fingerprint (the same
bytes again are a no-op, other bytes a conflict), data keys per reader, the access log, and persistence."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from contractvm.chain.accounts import dev_keypair
from contractvm.data.envelope import Envelope, seal_data_key, wrap_closed, wrap_open
from contractvm.data.objects import DATABASES, ObjectConflict, ObjectInfo, ObjectStore
from contractvm.storage.memory_store import MemoryStore

OWNER, ACCESS = "cvm1owner", "cvm1access"
READER_A, READER_B = dev_keypair(2), dev_keypair(3)
SALT = bytes(range(32))


@pytest.fixture(params=["lmdb", "memory"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[ObjectStore]:
    objects = ObjectStore.open(tmp_path / "objects") if request.param == "lmdb" else ObjectStore.memory()
    try:
        yield objects
    finally:
        objects.close()


def test_put_get_info(store: ObjectStore) -> None:
    envelope = wrap_open(b"public traffic counts")
    info, created = store.put(envelope, OWNER, ACCESS, 1_000)
    assert created
    assert info == ObjectInfo("0x" + envelope.fingerprint.hex(), False, len(envelope.encode()), OWNER, ACCESS, 1_000)
    assert store.get(envelope.fingerprint) == envelope.encode()
    assert store.info(envelope.fingerprint) == info
    assert info.to_json() == {"fingerprint": "0x" + envelope.fingerprint.hex(), "closed": False,
                              "size": len(envelope.encode()), "owner": OWNER, "access": ACCESS, "stored_at": 1_000}
    closed, _ = wrap_closed(b"meter 17")
    closed_info, created = store.put(closed, OWNER, ACCESS, 1_001)
    assert created and closed_info.closed and store.count() == 2
    assert Envelope.decode(store.get(closed.fingerprint) or b"") == closed


def test_unknown_fingerprints_are_none(store: ObjectStore) -> None:
    assert store.get(bytes(32)) is None and store.info(bytes(32)) is None and store.count() == 0
    assert store.get_key(bytes(32), READER_A.address) is None


def test_the_same_bytes_again_are_a_no_op(store: ObjectStore) -> None:
    envelope = wrap_open(b"x")
    first, created = store.put(envelope, OWNER, ACCESS, 1_000)
    again, created_again = store.put(Envelope.decode(envelope.encode()), "cvm1other", "cvm1elsewhere", 2_000)
    assert created and not created_again
    assert again == first  # the first upload's bookkeeping is kept
    assert store.count() == 1


def test_other_bytes_under_the_same_fingerprint_are_a_conflict(store: ObjectStore) -> None:
    # The same payload, salt and key with another nonce: the same fingerprint, other bytes.
    first, key = wrap_closed(b"reading", salt=SALT, nonce=bytes(24))
    second, _ = wrap_closed(b"reading", data_key=key, salt=SALT, nonce=b"\x01" * 24)
    assert first.fingerprint == second.fingerprint and first.encode() != second.encode()
    store.put(first, OWNER, ACCESS, 1_000)
    with pytest.raises(ObjectConflict, match=f"a different object is already stored under 0x{first.fingerprint.hex()}"):
        store.put(second, OWNER, ACCESS, 1_001)
    assert store.get(first.fingerprint) == first.encode()
    info = store.info(first.fingerprint)
    assert info is not None and info.stored_at == 1_000


def test_keys_are_kept_per_object_and_reader(store: ObjectStore) -> None:
    envelope, key = wrap_closed(b"secret")
    other, _ = wrap_closed(b"other")
    fp = envelope.fingerprint
    sealed_a = seal_data_key(fp, key, READER_A.public_key)
    sealed_b = seal_data_key(fp, key, READER_B.public_key)
    store.put_key(fp, READER_A.address, sealed_a)
    store.put_key(fp, READER_B.address, sealed_b)
    assert store.get_key(fp, READER_A.address) == sealed_a
    assert store.get_key(fp, READER_B.address) == sealed_b
    assert store.get_key(other.fingerprint, READER_A.address) is None
    assert store.get_key(fp, dev_keypair(4).address) is None
    again = seal_data_key(fp, key, READER_A.public_key)
    store.put_key(fp, READER_A.address, again)  # a later key replaces the reader's earlier one
    assert store.get_key(fp, READER_A.address) == again and store.get_key(fp, READER_B.address) == sealed_b


def test_the_access_log_numbers_filters_and_limits(store: ObjectStore) -> None:
    a, b = "0x" + "aa" * 32, "0x" + "bb" * 32
    seqs = [store.log({"fingerprint": fp, "n": n, "outcome": "served"}) for n, fp in enumerate([a, b, a, a, b])]
    assert seqs == [1, 2, 3, 4, 5]
    everything = store.access_log()
    assert [e["seq"] for e in everything] == [5, 4, 3, 2, 1]  # newest first
    assert everything[0] == {"seq": 5, "fingerprint": b, "n": 4, "outcome": "served"}
    assert [e["n"] for e in store.access_log(a)] == [3, 2, 0]
    assert [e["n"] for e in store.access_log(b)] == [4, 1]
    assert [e["n"] for e in store.access_log(a, limit=2)] == [3, 2]
    assert [e["seq"] for e in store.access_log(limit=1)] == [5]
    assert store.access_log("0x" + "cc" * 32) == []


def test_the_log_keeps_byte_order_past_255_entries(store: ObjectStore) -> None:
    for n in range(300):
        store.log({"fingerprint": "0xaa", "n": n})
    assert [e["seq"] for e in store.access_log(limit=3)] == [300, 299, 298]
    assert len(store.access_log(limit=1000)) == 300


entries = st.lists(st.tuples(st.sampled_from(["0xaa", "0xbb", "0xcc"]), st.integers(0, 10**6)), max_size=40)


@settings(max_examples=30)
@given(log=entries, which=st.sampled_from([None, "0xaa", "0xbb", "0xdd"]), limit=st.integers(1, 50),
       lmdb=st.booleans())
def test_the_access_log_matches_a_model(log: list[tuple[str, int]], which: str | None, limit: int,
                                        lmdb: bool) -> None:
    with tempfile.TemporaryDirectory() as directory:
        store = ObjectStore.open(Path(directory)) if lmdb else ObjectStore.memory()
        try:
            model: list[dict[str, Any]] = []
            for fp, n in log:
                seq = store.log({"fingerprint": fp, "n": n})
                model.append({"seq": seq, "fingerprint": fp, "n": n})
            assert [m["seq"] for m in model] == list(range(1, len(log) + 1))
            expected = [m for m in reversed(model) if which is None or m["fingerprint"] == which][:limit]
            assert store.access_log(which, limit) == expected
        finally:
            store.close()


def test_everything_survives_close_and_reopen(tmp_path: Path) -> None:
    path = tmp_path / "nested" / "objects"  # created, parents included
    envelope, key = wrap_closed(b"kept")
    sealed = seal_data_key(envelope.fingerprint, key, READER_A.public_key)
    store = ObjectStore.open(path)
    info, _ = store.put(envelope, OWNER, ACCESS, 1_000)
    store.put_key(envelope.fingerprint, READER_A.address, sealed)
    store.log({"fingerprint": info.fingerprint, "outcome": "served"})
    store.log({"fingerprint": info.fingerprint, "outcome": "refused"})
    store.close()

    reopened = ObjectStore.open(path)
    try:
        assert reopened.get(envelope.fingerprint) == envelope.encode()
        assert reopened.info(envelope.fingerprint) == info
        assert reopened.get_key(envelope.fingerprint, READER_A.address) == sealed
        assert [e["outcome"] for e in reopened.access_log(info.fingerprint)] == ["refused", "served"]
        assert reopened.log({"fingerprint": info.fingerprint}) == 3  # the sequence goes on
        assert reopened.put(envelope, OWNER, ACCESS, 2_000) == (info, False)
        assert Envelope.decode(reopened.get(envelope.fingerprint) or b"").decrypt(key) == b"kept"
    finally:
        reopened.close()


@pytest.mark.parametrize("databases", [(), ("objects", "meta"), ("objects", "meta", "keys")])
def test_a_store_without_the_object_databases_is_refused(databases: tuple[str, ...]) -> None:
    with pytest.raises(ValueError, match="lacks the object databases"):
        ObjectStore(MemoryStore(databases or ("other",)))


def test_a_store_with_extra_databases_is_accepted() -> None:
    store = ObjectStore(MemoryStore((*DATABASES, "extra")))
    assert store.put(wrap_open(b"x"), OWNER, ACCESS, 1)[1]
