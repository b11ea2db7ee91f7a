"""What the node answers, as typed records: each keeps the full JSON in `raw` (for `--json` output and for
fields added later), and exposes the common fields decoded: hashes and bytes as `bytes`, amounts as `int`."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from contractvm.chain import keys
from contractvm.chain.smt import verify_proof
from contractvm.isa import binary
from contractvm.isa.program import Program


def unhex(text: str | None) -> bytes | None:
    if text is None:
        return None
    return bytes.fromhex(text[2:] if text[:2] in ("0x", "0X") else text)


def _bytes(text: str) -> bytes:
    raw = unhex(text)
    assert raw is not None
    return raw


@dataclass(frozen=True)
class Event:
    contract: str
    name: str
    log_index: int
    fields: Any  # decoded by the contract's event declaration (an object by field name), None if unknown
    data: bytes  # the canonical encoding of the fields
    height: int | None = None  # where it was emitted (not set inside a receipt: the receipt says)
    tx_index: int | None = None
    tx_hash: bytes | None = None

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> Event:
        return cls(d["contract"], d["name"], d["log_index"], d.get("fields"), _bytes(d["data"]), d.get("height"),
                   d.get("tx_index"), unhex(d.get("tx_hash")))


@dataclass(frozen=True)
class Receipt:
    tx_hash: bytes
    block_height: int
    block_hash: bytes
    index: int
    status: str  # success, reverted, out_of_gas
    gas_used: int
    fee_paid: int
    return_value: Any
    return_data: bytes
    error: str | None
    error_location: str | None  # `<contract hex>:<function>@<pc>`: an artifact's source map gives the .ctr line
    contract_address: str | None
    events: tuple[Event, ...]
    raw: dict[str, Any] = field(repr=False, compare=False)

    @property
    def success(self) -> bool:
        return self.status == "success"

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> Receipt:
        return cls(_bytes(d["tx_hash"]), d["block_height"], _bytes(d["block_hash"]), d["index"], d["status"],
                   d["gas_used"], int(d["fee_paid"]), d.get("return_value"), _bytes(d["return_data"]), d.get("error"),
                   d.get("error_location"), d.get("contract_address"),
                   tuple(Event.from_json(e) for e in d["events"]), d)


@dataclass(frozen=True)
class Submitted:
    """The answer to a submitted transaction: mined at once (automine, with its receipt) or pending."""

    hash: bytes
    status: str  # mined, pending
    block_height: int | None
    receipt: Receipt | None
    raw: dict[str, Any] = field(repr=False, compare=False)

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> Submitted:
        receipt = Receipt.from_json(d["receipt"]) if d.get("receipt") else None
        return cls(_bytes(d["hash"]), d["status"], d.get("block_height"), receipt, d)


@dataclass(frozen=True)
class CallResult:
    """A read-only call's outcome."""

    status: str
    gas_used: int
    return_value: Any
    error: str | None
    error_location: str | None
    raw: dict[str, Any] = field(repr=False, compare=False)

    @property
    def success(self) -> bool:
        return self.status == "success"

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> CallResult:
        return cls(d["status"], d["gas_used"], d.get("return_value"), d.get("error"), d.get("error_location"), d)


@dataclass(frozen=True)
class Account:
    address: str
    balance: int
    nonce: int
    pending_nonce: int  # the nonce the account's next transaction must carry (pending ones counted)
    is_contract: bool
    code_hash: bytes | None
    height: int
    raw: dict[str, Any] = field(repr=False, compare=False)

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> Account:
        return cls(d["address"], int(d["balance"]), d["nonce"], d["pending_nonce"], d["is_contract"],
                   unhex(d.get("code_hash")), d["height"], d)


@dataclass(frozen=True)
class Contract:
    address: str
    code_hash: bytes
    functions: tuple[dict[str, Any], ...]
    events: tuple[dict[str, Any], ...]
    code: bytes | None
    raw: dict[str, Any] = field(repr=False, compare=False)

    @property
    def program(self) -> Program:
        """The deployed program (fetch the contract with `code=True`)."""
        if self.code is None:
            raise ValueError("the contract was fetched without its code (use code=True)")
        return binary.from_bytes(self.code)

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> Contract:
        return cls(d["address"], _bytes(d["code_hash"]), tuple(d["functions"]), tuple(d["events"]),
                   unhex(d.get("code")), d)


@dataclass(frozen=True)
class StateValue:
    """A contract storage value at a height, with its sparse Merkle proof against that block's state root."""

    contract: str
    key: bytes
    height: int
    block_hash: bytes
    state_root: bytes
    tree_key: bytes
    value: bytes | None
    proof: bytes
    raw: dict[str, Any] = field(repr=False, compare=False)

    def verify(self, state_root: bytes | None = None, contract: bytes | None = None) -> bool:
        """Whether the proof shows `value` under `state_root` (default: the root the node sent; pass the root of
        a header you trust). With `contract`, the tree key is recomputed rather than taken from the node."""
        tree_key = self.tree_key if contract is None else keys.tree_key(keys.storage_key(contract, self.key))
        return verify_proof(self.state_root if state_root is None else state_root, tree_key, self.value, self.proof)

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> StateValue:
        return cls(d["contract"], _bytes(d["key"]), d["height"], _bytes(d["block_hash"]), _bytes(d["state_root"]),
                   _bytes(d["tree_key"]), unhex(d.get("value")), _bytes(d["proof"]), d)


@dataclass(frozen=True)
class Block:
    height: int
    hash: bytes
    prev_hash: bytes
    timestamp: int
    state_root: bytes
    gas_used: int
    transactions: tuple[dict[str, Any], ...]  # index, hash, kind, action, sender, to, status, gas_used, events
    events: tuple[Event, ...]  # filled in stream blocks only
    raw: dict[str, Any] = field(repr=False, compare=False)

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> Block:
        return cls(d["height"], _bytes(d["hash"]), _bytes(d["prev_hash"]), d["timestamp"], _bytes(d["state_root"]),
                   d["gas_used"], tuple(d["transactions"]), tuple(Event.from_json(e) for e in d.get("events", [])), d)


@dataclass(frozen=True)
class TransactionInfo:
    hash: bytes
    status: str  # mined, pending
    block_height: int | None
    index: int | None
    kind: str
    sender: str
    to: str | None
    nonce: int
    value: int
    function: str | None
    args: Any
    raw: dict[str, Any] = field(repr=False, compare=False)

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> TransactionInfo:
        return cls(_bytes(d["hash"]), d["status"], d.get("block_height"), d.get("index"), d["kind"], d["sender"],
                   d.get("to"), d["nonce"], int(d["value"]), d.get("function"), d.get("args"), d)


@dataclass(frozen=True)
class Info:
    chain_id: int
    genesis_hash: bytes
    head_height: int
    head_hash: bytes
    authorities: tuple[bytes, ...]
    mining: dict[str, Any]
    data_service: str  # the account the node's data service records accesses with
    raw: dict[str, Any] = field(repr=False, compare=False)

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> Info:
        head = d["head"]
        return cls(d["chain_id"], _bytes(d["genesis_hash"]), head["height"], _bytes(head["hash"]),
                   tuple(_bytes(a) for a in d["authorities"]), d["mining"], d["data_service"], d)


@dataclass(frozen=True)
class EventsPage:
    events: tuple[Event, ...]
    next_from: int | None  # where the next page starts; None when the range is exhausted
    raw: dict[str, Any] = field(repr=False, compare=False)

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> EventsPage:
        return cls(tuple(Event.from_json(e) for e in d["events"]), d.get("next_from"), d)
