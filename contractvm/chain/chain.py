"""`Chain(store)`: a local chain on one store — submit, mine, query, snapshot and revert.

Ordering and execution are kept apart: `mine` picks pending transactions (ordering) and hands them to
`BlockExecutor` (execution); `import_block` takes a block ordered and signed elsewhere through the same
execution path. Every block is committed in ONE store write: its transactions, receipts, event indexes,
state changes, undo records and tree nodes, so a process killed at any instant leaves the last committed
block intact.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from contractvm.chain import keys
from contractvm.chain.accounts import Keypair, dev_keypair
from contractvm.chain.executor import BlockExecutor, BlockFull, BlockResult, TxRejected
from contractvm.chain.model import (
    PROTOCOL_VERSION,
    ZERO_HASH,
    Block,
    BlockHeader,
    EventRecord,
    Genesis,
    Receipt,
    Transaction,
    receipts_root,
    tx_root,
)
from contractvm.chain.smt import EMPTY_ROOT, Proof, SparseMerkleTree
from contractvm.chain.state import Account, CachedStoreState, StoreState
from contractvm.crypto import sha256
from contractvm.errors import ContractVMError
from contractvm.storage.base import Store, WriteBatch
from contractvm.storage.lmdb_store import LmdbStore
from contractvm.storage.memory_store import MemoryStore
from contractvm.vm import BlockContext, ExecutionResult, Journal, ProgramCache
from contractvm.vm import execute as vm_execute

_ABSENT = b"\x00"
_PRESENT = b"\x01"
NODE_CACHE_SIZE = 1 << 16  # tree nodes kept in memory between blocks (content-addressed, so never stale)


class ChainError(ContractVMError):
    """A request the chain refuses: a rejected transaction, an unknown block, a bad import."""


class _StoreNodes:
    """The tree's node store, reading committed nodes (or a batch's own writes), through `cache` if given."""

    def __init__(self, source: Store | WriteBatch, cache: dict[bytes, bytes] | None = None) -> None:
        self.source = source
        self.cache = cache

    def get_node(self, h: bytes) -> bytes | None:
        if self.cache is None:
            return self.source.get("nodes", h)
        node = self.cache.get(h)
        if node is None:
            node = self.source.get("nodes", h)
            if node is not None:
                self.cache[h] = node
        return node


@dataclass(frozen=True)
class StoredEvent:
    height: int
    tx_index: int
    tx_hash: bytes
    event: EventRecord


@dataclass
class Chain:
    store: Store
    signers: tuple[Keypair, ...] = ()
    automine: bool = True
    clock: Callable[[], int] = field(default=lambda: int(time.time()))
    cache: ProgramCache = field(default_factory=ProgramCache)
    pending: list[Transaction] = field(default_factory=list)
    time_offset: int = 0
    next_timestamp: int | None = None
    allow_impersonation: bool = False  # development only, memory stores only: see executor.py and docs/testing.md
    genesis: Genesis = field(init=False)
    _open: BlockExecutor | None = field(default=None, init=False)
    _head: BlockHeader | None = field(default=None, init=False, repr=False, compare=False)  # reset on revert
    _nodes: dict[bytes, bytes] = field(default_factory=dict, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.allow_impersonation and not isinstance(self.store, MemoryStore):
            raise ChainError("impersonation is for in-memory development chains only, never a persistent chain")

    # Opening

    @classmethod
    def open(cls, path: str | Path, genesis: Genesis | None = None, **options: object) -> Chain:
        """Open the chain in directory `path`, creating it from `genesis` (default: a dev chain) if empty."""
        store = LmdbStore(Path(path), keys.DATABASES)
        return cls._start(store, genesis, **options)

    @classmethod
    def memory(cls, genesis: Genesis | None = None, **options: object) -> Chain:
        return cls._start(MemoryStore(keys.DATABASES), genesis, **options)

    @classmethod
    def _start(cls, store: Store, genesis: Genesis | None, **options: object) -> Chain:
        existing = store.get("meta", keys.GENESIS)
        if existing is not None:
            stored = Genesis.from_json(existing)
            if genesis is not None and genesis != stored:
                store.close()
                raise ChainError("this directory holds a chain with another genesis")
            genesis = stored
        genesis = genesis or Genesis.dev()
        if "signers" not in options and genesis.authorities == (dev_keypair(0).public_key,):
            options["signers"] = (dev_keypair(0),)
        chain = cls(store, **options)  # type: ignore[arg-type]
        if existing is None:
            chain._write_genesis(genesis)
        chain.genesis = genesis
        return chain

    def _write_genesis(self, genesis: Genesis) -> None:
        writes = [(keys.account_key(a), Account(balance=b).encode()) for a, b in sorted(genesis.accounts)]
        root, nodes = SparseMerkleTree(_StoreNodes(self.store)).update(
            EMPTY_ROOT, [(keys.tree_key(k), v) for k, v in writes])
        header = BlockHeader(
            version=PROTOCOL_VERSION, chain_id=genesis.chain_id, height=0, prev_hash=ZERO_HASH,
            timestamp=genesis.timestamp, proposer=bytes(20), tx_root=tx_root([]), receipts_root=receipts_root([]),
            state_root=root, gas_used=0, authority_set_hash=genesis.authority_set_hash,
        )
        block = Block(header=header, transactions=(), signatures=())
        with self.store.write() as batch:
            batch.put("meta", keys.GENESIS, genesis.to_json().encode("utf-8"))
            for key, value in writes:
                batch.put("state", key, value)
                batch.put("values", sha256(value), value)
            for h, node in sorted(nodes.items()):
                batch.put("nodes", h, node)
            self._put_block(batch, block, ())
        self._head = header

    def close(self) -> None:
        self.store.close()

    # Reading

    @property
    def height(self) -> int:
        if self.store.readonly:
            return self._stored_height()
        return self.head.height

    @property
    def head(self) -> BlockHeader:
        """The latest block's header, kept in memory: a writable store has no other writer (LMDB's writer lock).
        Read from the store every time when it is read-only, as another process may be writing it."""
        if self.store.readonly:
            return self.block(self._stored_height()).header
        if self._head is None:
            self._head = self.block(self._stored_height()).header
        return self._head

    def _stored_height(self) -> int:
        raw = self.store.get("meta", keys.HEAD)
        assert raw is not None, "a chain always has its genesis block"
        return int.from_bytes(raw, "big")

    @property
    def state_root(self) -> bytes:
        return self.head.state_root

    @property
    def state(self) -> StoreState:
        return StoreState(self.store)

    def block(self, which: int | bytes | str = "latest") -> Block:
        if which == "latest":
            which = self.height
        if isinstance(which, bytes):
            raw_height = self.store.get("hashes", which)
            if raw_height is None:
                raise ChainError(f"no block with hash {which.hex()}")
            which = int.from_bytes(raw_height, "big")
        if not isinstance(which, int) or which < 0:
            raise ChainError(f"no block {which!r}")
        raw = self.store.get("blocks", keys.height_key(which))
        if raw is None:
            raise ChainError(f"no block at height {which} (the chain is at {self.height})")
        return Block.decode(raw)

    def locate(self, tx_hash: bytes) -> tuple[int, int] | None:
        raw = self.store.get("txs", tx_hash)
        if raw is None:
            return None
        return int.from_bytes(raw[:8], "big"), int.from_bytes(raw[8:], "big")

    def transaction(self, tx_hash: bytes) -> tuple[Transaction, int, int]:
        where = self.locate(tx_hash)
        if where is None:
            raise ChainError(f"no transaction {tx_hash.hex()}")
        height, index = where
        return self.block(height).transactions[index], height, index

    def receipt(self, tx_hash: bytes) -> Receipt:
        where = self.locate(tx_hash)
        if where is None:
            raise ChainError(f"no transaction {tx_hash.hex()}")
        raw = self.store.get("receipts", keys.receipt_key(*where))
        assert raw is not None
        return Receipt.decode(raw)

    def receipts(self, height: int) -> list[Receipt]:
        start = keys.receipt_key(height, 0)
        end = keys.receipt_key(height + 1, 0)
        return [Receipt.decode(v) for _, v in self.store.scan("receipts", start, end)]

    def account(self, address: bytes) -> Account:
        return self.state.account(address)

    def balance(self, address: bytes) -> int:
        return self.account(address).balance

    def nonce(self, address: bytes) -> int:
        return self.account(address).nonce

    def code(self, address: bytes) -> bytes | None:
        return self.state.code(address)

    def root_at(self, height: int) -> bytes:
        return self.block(height).header.state_root

    def storage(self, address: bytes, key: bytes, height: int | None = None) -> tuple[bytes | None, Proof, bytes]:
        """A contract's storage value at a height, with its inclusion (or exclusion) proof and the state root."""
        return self.flat_value(keys.storage_key(address, key), height)

    def flat_value(self, flat_key: bytes, height: int | None = None) -> tuple[bytes | None, Proof, bytes]:
        root = self.root_at(self.height if height is None else height)
        tree = SparseMerkleTree(_StoreNodes(self.store))
        tree_key = keys.tree_key(flat_key)
        value_hash = tree.get_hash(root, tree_key)
        value = None if value_hash is None else self.store.get("values", value_hash)
        return value, tree.prove(root, tree_key), root

    def events(self, contract: bytes | None = None, name: str | None = None, from_height: int = 0,
               to_height: int | None = None) -> Iterator[StoredEvent]:
        """Events in block order, filtered by contract, by name (needs a contract) and by height range."""
        last = self.height if to_height is None else to_height
        if contract is None:
            for height in range(from_height, last + 1):
                for index, receipt in enumerate(self.receipts(height)):
                    for event in receipt.events:
                        if name is None or event.name == name:
                            yield StoredEvent(height, index, receipt.tx_hash, event)
            return
        if name is None:
            db, start, end = "events", contract + keys.u64(from_height), contract + keys.u64(last + 1)
        else:
            prefix = contract + keys.name_hash(name)
            db, start, end = "events_by_name", prefix + keys.u64(from_height), prefix + keys.u64(last + 1)
        for key, value in self.store.scan(db, start, end):
            height = int.from_bytes(key[-16:-8], "big")
            tx_index = int.from_bytes(key[-8:-4], "big")
            event = EventRecord.decode(value[32:])
            if name is None or event.name == name:
                yield StoredEvent(height, tx_index, value[:32], event)

    # Views

    def call(self, address: bytes, function: str, args: tuple[object, ...] = (), *, sender: bytes | None = None,
             gas_limit: int | None = None) -> ExecutionResult:
        """Run a function against the latest state without a transaction; nothing it does is kept."""
        journal = Journal(self.state)
        head = self.head
        return vm_execute(journal, BlockContext(head.height + 1, self.upcoming_timestamp()),
                          caller=sender or bytes(20), address=address, function=function, args=tuple(args),
                          gas_limit=gas_limit or self.genesis.block_gas_limit, cache=self.cache, static=True)

    # Time

    def upcoming_timestamp(self) -> int:
        """The timestamp the next block will get: strictly after the head's, never before the clock."""
        parent = self.head.timestamp
        if self.next_timestamp is not None:
            return max(self.next_timestamp, parent + 1)
        return max(parent + 1, self.clock() + self.time_offset)

    def advance_time(self, seconds: int) -> None:
        """Move the next block's time forward (never backwards); pending transactions run again at the new time."""
        if seconds < 0:
            raise ChainError("time only moves forward")
        self.time_offset += seconds
        if self.next_timestamp is not None:
            self.next_timestamp += seconds
        if self._open is not None:
            self.next_timestamp = self._open.block.time + seconds
            self._open = None

    def set_next_timestamp(self, timestamp: int) -> None:
        if timestamp <= self.head.timestamp:
            raise ChainError(f"block times strictly increase: the head is at {self.head.timestamp}")
        self.next_timestamp = timestamp
        self._open = None

    # Submitting and mining

    def submit(self, tx: Transaction) -> bytes:
        """Check a signed transaction and execute it into the open block (mined at once with automine).

        Returns its hash; raises ChainError with the reason when it cannot be included. A transaction already
        in the chain or pending has a used nonce, so the executor refuses it: only then is it looked up, to say
        that it is already known.
        """
        self.execute(tx)
        return tx.hash

    def execute(self, tx: Transaction) -> Receipt:
        """`submit`, returning the receipt of `tx` as it ran in the open block (mined at once with automine;
        else the block it is sealed in keeps it, unless a time change makes the pending block run again)."""
        try:
            try:
                receipt = self._open_block().apply(tx)
            except BlockFull:
                self.mine()  # the open block is full: seal it and try the next one
                receipt = self._open_block().apply(tx)
        except TxRejected as exc:
            if self.locate(tx.hash) is not None or any(p.hash == tx.hash for p in self.pending):
                raise ChainError("transaction already known") from None
            raise ChainError(f"transaction rejected: {exc}") from None
        self.pending.append(tx)
        if self.automine:
            self.mine()
        return receipt

    def send(self, tx: Transaction) -> Receipt:
        """Submit and mine (whatever the automine setting): the receipt of `tx`."""
        receipt = self.execute(tx)
        if self.pending:
            self.mine()  # seals the block `tx` ran in, at that block's time: the receipt stays the same
        return receipt

    def _open_block(self) -> BlockExecutor:
        if self._open is None:
            self._open = self._replay_pending(self.upcoming_timestamp())
        return self._open

    def _replay_pending(self, timestamp: int) -> BlockExecutor:
        """A new open block at `timestamp` with the pending transactions run in it again, in order (after a time
        change or an imported block); one that is no longer valid there leaves the pending list."""
        executor = self._executor(timestamp)
        kept = []
        for tx in self.pending:
            try:
                executor.apply(tx, signature_checked=True)
            except TxRejected:
                continue
            kept.append(tx)
        self.pending = kept
        return executor

    def _executor(self, timestamp: int, proposer: bytes | None = None) -> BlockExecutor:
        head = self.head
        return BlockExecutor(CachedStoreState(self.store), self.genesis.chain_id,
                             BlockContext(head.height + 1, timestamp),
                             proposer if proposer is not None else self._proposer(), self.genesis.block_gas_limit,
                             self.cache, impersonation=self.allow_impersonation)

    def _proposer(self) -> bytes:
        return self.signers[0].address if self.signers else bytes(20)

    def mine(self, timestamp: int | None = None) -> Block:
        """Seal the open block (the pending transactions, already executed) or an empty one, and commit it."""
        if not self.signers:
            raise ChainError("this chain has no signing key: it can only import blocks")
        executor = self._open
        if timestamp is None:
            timestamp = executor.block.time if executor is not None else self.upcoming_timestamp()
        if timestamp <= self.head.timestamp:
            raise ChainError(f"block times strictly increase: the head is at {self.head.timestamp}")
        if executor is None or executor.block.time != timestamp:
            executor = self._open = self._replay_pending(timestamp)  # the time changed: run the block again
        block = self._seal(executor, self.pending, timestamp)
        self.pending = []
        self._open = None
        self.next_timestamp = None
        return block

    def _seal(self, executor: BlockExecutor, txs: Sequence[Transaction], timestamp: int) -> Block:
        result = executor.result()
        head = self.head
        header = BlockHeader(
            version=PROTOCOL_VERSION, chain_id=self.genesis.chain_id, height=head.height + 1, prev_hash=head.hash,
            timestamp=timestamp, proposer=executor.proposer, tx_root=tx_root(txs),
            receipts_root=receipts_root(result.receipts), state_root=bytes(32), gas_used=result.gas_used,
            authority_set_hash=self.genesis.authority_set_hash,
        )
        with self.store.write() as batch:
            root = self._apply_state(batch, header.height, head.state_root, result, executor.base)
            header = replace(header, state_root=root)
            block = Block(header=header, transactions=tuple(txs), signatures=()).signed_by(self.signers)
            self._put_block(batch, block, result.receipts)
        self._head = header
        return block

    def import_block(self, block: Block) -> None:
        """Execute and commit a block ordered and signed elsewhere; refuse it unless it matches exactly."""
        head = self.head
        h = block.header
        problems = []
        if h.height != head.height + 1:
            problems.append(f"height {h.height} does not follow {head.height}")
        if h.prev_hash != head.hash:
            problems.append("prev_hash is not the head's hash")
        if h.timestamp <= head.timestamp:
            problems.append("timestamp does not increase")
        if h.chain_id != self.genesis.chain_id or h.authority_set_hash != self.genesis.authority_set_hash:
            problems.append("wrong chain id or authority set")
        if not block.signatures_valid(self.genesis.authorities, self.genesis.threshold):
            problems.append("not signed by enough authorities")
        if h.tx_root != tx_root(block.transactions):
            problems.append("tx_root does not match the transactions")
        if problems:
            raise ChainError("block refused: " + "; ".join(problems))
        executor = self._executor(h.timestamp, h.proposer)
        try:
            for tx in block.transactions:
                executor.apply(tx)
        except TxRejected as exc:
            raise ChainError(f"block refused: a transaction is invalid: {exc}") from None
        result = executor.result()
        if receipts_root(result.receipts) != h.receipts_root or result.gas_used != h.gas_used:
            raise ChainError("block refused: its receipts differ from this node's execution")
        with self.store.write() as batch:
            root = self._apply_state(batch, h.height, head.state_root, result, executor.base)
            if root != h.state_root:
                raise ChainError("block refused: its state root differs from this node's execution")
            self._put_block(batch, block, result.receipts)
        self._head = h
        self._open = None  # pending transactions run again on the new head

    def _apply_state(self, batch: WriteBatch, height: int, parent_root: bytes, result: BlockResult,
                     parent: StoreState) -> bytes:
        """Write the block's state changes, their undo records and the new tree nodes; the new state root."""
        for code_id, code in result.code:
            batch.put("code", code_id, code)
        tree_changes = []
        for seq, (key, value) in enumerate(result.writes):
            old = parent.committed(key)  # the batch has written no state yet: this is the parent's value
            batch.put("undo", keys.undo_key(height, seq), _undo_record(key, old))
            if value is None:
                batch.delete("state", key)
            else:
                batch.put("state", key, value)
                batch.put("values", sha256(value), value)
            tree_changes.append((keys.tree_key(key), value))
        root, nodes = SparseMerkleTree(_StoreNodes(batch, self._nodes)).update(parent_root, tree_changes)
        for h, node in sorted(nodes.items()):
            batch.put("nodes", h, node)
        if len(self._nodes) > NODE_CACHE_SIZE:
            self._nodes.clear()
        self._nodes.update(nodes)  # the next block's paths start with them
        return root

    def _put_block(self, batch: WriteBatch, block: Block, receipts: Sequence[Receipt]) -> None:
        height = block.header.height
        batch.put("blocks", keys.height_key(height), block.encode())
        batch.put("hashes", block.header.hash, keys.u64(height))
        for index, (tx, receipt) in enumerate(zip(block.transactions, receipts, strict=True)):
            batch.put("txs", tx.hash, keys.tx_location(height, index))
            batch.put("receipts", keys.receipt_key(height, index), receipt.encode())
            for event in receipt.events:
                value = tx.hash + event.encode()
                batch.put("events", keys.event_key(event.address, height, index, event.log_index), value)
                batch.put("events_by_name",
                          keys.event_name_key(event.address, event.name, height, index, event.log_index), value)
        batch.put("meta", keys.HEAD, keys.u64(height))

    # Snapshots

    def snapshot(self) -> int:
        """A point to `revert` to: the current height (pending transactions are not part of it)."""
        return self.height

    def revert(self, snapshot: int) -> None:
        """Drop every block above `snapshot` and restore the state as it was there (development chains only)."""
        if not 0 <= snapshot <= self.height:
            raise ChainError(f"cannot revert to height {snapshot}: the chain is at {self.height}")
        with self.store.write() as batch:
            for height in range(self.height, snapshot, -1):
                self._drop_block(batch, height)
            batch.put("meta", keys.HEAD, keys.u64(snapshot))
        self._head = None
        self.pending.clear()
        self._open = None
        self.next_timestamp = None

    def _drop_block(self, batch: WriteBatch, height: int) -> None:
        block = Block.decode(batch.get("blocks", keys.height_key(height)) or b"")
        undo = list(self.store.scan("undo", keys.undo_key(height, 0), keys.undo_key(height + 1, 0)))
        for undo_key, record in reversed(undo):
            key, old = _read_undo(record)
            if old is None:
                batch.delete("state", key)
            else:
                batch.put("state", key, old)
            batch.delete("undo", undo_key)
        for index, tx in enumerate(block.transactions):
            raw = batch.get("receipts", keys.receipt_key(height, index))
            if raw is not None:
                for event in Receipt.decode(raw).events:
                    batch.delete("events", keys.event_key(event.address, height, index, event.log_index))
                    batch.delete("events_by_name",
                                 keys.event_name_key(event.address, event.name, height, index, event.log_index))
            batch.delete("receipts", keys.receipt_key(height, index))
            batch.delete("txs", tx.hash)
        batch.delete("hashes", block.header.hash)
        batch.delete("blocks", keys.height_key(height))


def _undo_record(key: bytes, old: bytes | None) -> bytes:
    head = len(key).to_bytes(2, "big") + key
    return head + (_ABSENT if old is None else _PRESENT + old)


def _read_undo(record: bytes) -> tuple[bytes, bytes | None]:
    n = int.from_bytes(record[:2], "big")
    key = record[2 : 2 + n]
    rest = record[2 + n :]
    return key, (None if rest[:1] == _ABSENT else rest[1:])
