"""Executing a block: a pure function of the parent state and the block's ordered transactions.

Ordering (which transactions go into which block) is the caller's business: a development node mines its
pending pool, a consortium node receives ordered blocks from a consensus engine. Both hand the ordered
transactions to `BlockExecutor`, so every node computes the same receipts, writes and state root.

Rules for one transaction, in order:
1. It must be valid to be included at all (`BlockExecutor.check`): right chain id, a valid signature, the
   sender's next nonce, a gas limit covering the intrinsic cost and within the block gas limit, a balance
   covering `value + gas_limit * fee_per_gas`, no payload on a transfer, and last a gas limit within what the
   block has left (`BlockFull`: it would fit in the next block). An invalid transaction makes the whole block
   invalid.
2. The sender's nonce goes up by one.
3. It runs: a transfer moves the value; a deploy verifies the code and runs the constructor; a call runs
   the function. A revert or out-of-gas undoes everything the execution did (the value transfer too).
4. The fee, `gas_used * fee_per_gas`, moves from the sender to the block's proposer whether the execution
   succeeded, reverted or ran out of gas.

Impersonation (development chains only, `Chain.memory(allow_impersonation=True)`, which the test plugin
uses): a transaction whose `sender` field is `impersonated_sender(address)` (a marker, not a public key) and
whose signature is all zeros is accepted as sent by `address`, without its key. Everything else about it
follows the rules above. A chain holding such transactions does not pass `contractvm verify`; an executor
without the flag refuses them like any bad signature.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from contractvm.chain import keys
from contractvm.chain.model import (
    EventRecord,
    Receipt,
    ReceiptStatus,
    Transaction,
    TxKind,
    contract_address,
    parse_call_payload,
    parse_deploy_payload,
)
from contractvm.chain.state import NO_CODE, Account, StoreState, code_hash
from contractvm.errors import BytecodeError
from contractvm.isa import binary, codec
from contractvm.isa.opcodes import TRANSACTION_BASE_GAS
from contractvm.isa.program import Function
from contractvm.isa.types import StructT, Type
from contractvm.vm import BlockContext, EmittedEvent, ExecutionResult, Failure, Journal, ProgramCache, State
from contractvm.vm import deploy as vm_deploy
from contractvm.vm import execute as vm_execute

PAYLOAD_WORD_GAS = 8  # per 32 bytes of payload, on top of TRANSACTION_BASE_GAS
IMPERSONATION_MARKER = b"impersonated"  # 12 bytes; + a 20-byte address = the `sender` field of an impersonated tx


class TxRejected(Exception):
    """A transaction that cannot be included in a block; the message says why."""


class BlockFull(TxRejected):
    """A valid transaction that does not fit in what this block has left of its gas limit, but fits an empty one."""


def impersonated_sender(address: bytes) -> bytes:
    """The 32-byte `sender` field of an unsigned transaction sent as `address` on a chain allowing impersonation."""
    return IMPERSONATION_MARKER + address


def payload_gas(payload_size: int) -> int:
    """The intrinsic cost of a transaction whose payload has `payload_size` bytes."""
    return TRANSACTION_BASE_GAS + PAYLOAD_WORD_GAS * ((payload_size + 31) // 32)


def intrinsic_gas(tx: Transaction) -> int:
    return payload_gas(len(tx.payload))


def admission_error(*, kind: TxKind, nonce: int, expected_nonce: int, gas_limit: int, intrinsic: int,
                    block_gas_limit: int, value: int, fee_per_gas: int, balance: int, payload_size: int) -> str | None:
    """Why a transaction with these fields cannot be included (rule 1 after the chain id and signature), or None.

    Shared by `BlockExecutor.check` and the test chain (`contractvm/testing/ledger.py`), so both refuse the same
    transactions with the same words.
    """
    if nonce < expected_nonce:
        return f"nonce {nonce} was already used (the account's next nonce is {expected_nonce})"
    if nonce > expected_nonce:
        return f"nonce {nonce} is ahead of the account's next nonce {expected_nonce}"
    if gas_limit < intrinsic:
        return f"gas limit {gas_limit} is below the intrinsic cost {intrinsic}"
    if gas_limit > block_gas_limit:
        return f"gas limit {gas_limit} exceeds the block gas limit {block_gas_limit}"
    cost = value + gas_limit * fee_per_gas
    if balance < cost:
        return f"insufficient funds: value plus maximum fee is {cost}, the balance is {balance}"
    if kind == TxKind.TRANSFER and payload_size:
        return "a transfer carries no payload"
    return None


def call_target(state: State, cache: ProgramCache, address: bytes, function: str) -> Function | str:
    """The public function a call names, or why there is none (the call then reverts, using no gas)."""
    code = state.code(address)
    if code is None:
        return f"no contract at {address.hex()}"
    try:
        program = cache.load(code).program
    except BytecodeError as exc:
        return f"the code at {address.hex()} cannot run: {exc}"
    target = program.function(function)
    if target is None or not target.public or target.constructor:
        return f"no public function '{function}'"
    return target


def pay_fee(state: State, sender: bytes, proposer: bytes, fee: int) -> None:
    """Rule 4: the fee moves from the sender to the block's proposer."""
    if fee:
        state.set_balance(sender, state.balance(sender) - fee)
        state.set_balance(proposer, state.balance(proposer) + fee)


def failure_location(failure: Failure) -> str:
    """A receipt's `error_location`: `<contract hex>:<function>@<pc>`, or empty when no code ran."""
    return f"{failure.address.hex()}:{failure.function}@{failure.pc}" if failure.pc >= 0 else ""


def event_record(code: bytes, cache: ProgramCache, index: int, event: EmittedEvent) -> EventRecord:
    """An emitted event as a receipt keeps it: its fields canonically encoded in the order `code` (the emitting
    contract's) declares them."""
    program = cache.load(code).program
    declared = next(e for e in program.events if e.name == event.name)
    data = codec.encode(StructT(event.name, declared.fields), tuple(v for _, v in event.fields))
    return EventRecord(address=event.address, name=event.name, data=data, log_index=index)


def args_type(params: tuple[Type, ...]) -> StructT:
    return StructT("args", tuple((f"arg{i}", t) for i, t in enumerate(params)))


def encode_args(params: tuple[Type, ...], args: tuple[object, ...]) -> bytes:
    """Arguments as a transaction carries them: each parameter's canonical encoding, in order.

    Every argument is checked against its type first (CodecError says which), so a wrong value is refused
    before anything is signed or sent.
    """
    struct = args_type(params)
    codec.check(struct, tuple(args))
    return codec.encode(struct, tuple(args))


def decode_args(params: tuple[Type, ...], data: bytes) -> tuple[object, ...]:
    value = codec.decode(args_type(params), data)
    assert isinstance(value, tuple)
    return value


@dataclass(frozen=True)
class BlockResult:
    receipts: tuple[Receipt, ...]
    writes: tuple[tuple[bytes, bytes | None], ...]  # flat state key -> new value, sorted by key
    code: tuple[tuple[bytes, bytes], ...]  # code hash -> bytecode, sorted
    gas_used: int


@dataclass
class BlockExecutor:
    """Runs the transactions of one block, in order, over the committed parent state."""

    base: StoreState
    chain_id: int
    block: BlockContext
    proposer: bytes
    gas_limit: int
    cache: ProgramCache
    impersonation: bool = False  # accept `impersonated_sender` transactions (development chains only)
    journal: Journal = field(init=False)
    nonces: dict[bytes, int] = field(default_factory=dict)
    receipts: list[Receipt] = field(default_factory=list)
    gas_used: int = 0

    def __post_init__(self) -> None:
        self.journal = Journal(self.base)

    def nonce(self, address: bytes) -> int:
        if address in self.nonces:
            return self.nonces[address]
        return self.base.nonce(address)

    def check(self, tx: Transaction, *, signature_checked: bool = False) -> None:
        """Raise TxRejected unless `tx` can be the next transaction of this block."""
        if tx.chain_id != self.chain_id:
            raise TxRejected(f"wrong chain id {tx.chain_id}: this chain is {self.chain_id}")
        impersonated = self._impersonated(tx)
        if not signature_checked and not impersonated and not tx.signature_valid():
            raise TxRejected("bad signature: the transaction was not signed by its sender's key")
        sender = impersonated or tx.sender_address
        error = admission_error(kind=tx.kind, nonce=tx.nonce, expected_nonce=self.nonce(sender),
                                gas_limit=tx.gas_limit, intrinsic=intrinsic_gas(tx), block_gas_limit=self.gas_limit,
                                value=tx.value, fee_per_gas=tx.fee_per_gas, balance=self.journal.balance(sender),
                                payload_size=len(tx.payload))
        if error is not None:
            raise TxRejected(error)
        if tx.gas_limit > self.gas_limit - self.gas_used:
            raise BlockFull(f"gas limit {tx.gas_limit} exceeds what the block has left "
                            f"({self.gas_limit - self.gas_used})")

    def apply(self, tx: Transaction, *, signature_checked: bool = False) -> Receipt:
        self.check(tx, signature_checked=signature_checked)
        sender = self._impersonated(tx) or tx.sender_address
        nonce = self.nonce(sender)
        self.nonces[sender] = nonce + 1
        base_gas = intrinsic_gas(tx)
        status, gas, value, error, where, events, created = self._run(tx, sender, nonce, tx.gas_limit - base_gas)
        gas_used = base_gas + gas
        fee = gas_used * tx.fee_per_gas
        pay_fee(self.journal, sender, self.proposer, fee)
        self.gas_used += gas_used
        receipt = Receipt(tx_hash=tx.hash, status=status, gas_used=gas_used, fee_paid=fee, return_data=value,
                          error=error, error_location=where, events=events, contract_address=created)
        self.receipts.append(receipt)
        return receipt

    def _impersonated(self, tx: Transaction) -> bytes | None:
        """The address an impersonated transaction is sent as, when this executor accepts impersonation."""
        if self.impersonation and tx.sender[:12] == IMPERSONATION_MARKER and not any(tx.signature):
            return tx.sender[12:]
        return None

    def _run(self, tx: Transaction, sender: bytes, nonce: int, gas: int) -> tuple[
            ReceiptStatus, int, bytes, str, str, tuple[EventRecord, ...], bytes]:
        if tx.kind == TxKind.TRANSFER:
            self.journal.set_balance(sender, self.journal.balance(sender) - tx.value)
            self.journal.set_balance(tx.to, self.journal.balance(tx.to) + tx.value)
            return ReceiptStatus.SUCCESS, 0, b"", "", "", (), b""
        if tx.kind == TxKind.DEPLOY:
            address = contract_address(sender, nonce)
            try:
                code, arg_bytes = parse_deploy_payload(tx.payload)
                program = binary.from_bytes(code)
                ctor = program.constructor
                args = decode_args(ctor.params if ctor else (), arg_bytes)
            except (ValueError, BytecodeError) as exc:
                return ReceiptStatus.REVERTED, 0, b"", f"bad deployment: {exc}", "", (), b""
            result = vm_deploy(self.journal, self.block, caller=sender, address=address, code=code, args=args,
                               value=tx.value, gas_limit=gas, cache=self.cache)
            return self._outcome(result, None, address)
        try:
            function, arg_bytes = parse_call_payload(tx.payload)
        except ValueError as exc:
            return ReceiptStatus.REVERTED, 0, b"", f"bad call: {exc}", "", (), b""
        target = call_target(self.journal, self.cache, tx.to, function)
        if isinstance(target, str):
            return ReceiptStatus.REVERTED, 0, b"", target, "", (), b""
        try:
            args = decode_args(target.params, arg_bytes)
        except ValueError as exc:
            return ReceiptStatus.REVERTED, 0, b"", f"bad arguments for {target.signature}: {exc}", "", (), b""
        result = vm_execute(self.journal, self.block, caller=sender, address=tx.to, function=function, args=args,
                            value=tx.value, gas_limit=gas, cache=self.cache)
        return self._outcome(result, target, b"")

    def _outcome(self, result: ExecutionResult, target: Function | None, created: bytes) -> tuple[
            ReceiptStatus, int, bytes, str, str, tuple[EventRecord, ...], bytes]:
        failure = result.failure
        if failure is not None:
            status = ReceiptStatus.OUT_OF_GAS if failure.out_of_gas else ReceiptStatus.REVERTED
            return status, result.gas_used, b"", failure.message, failure_location(failure), (), b""
        data = b""
        if target is not None and target.returns is not None:
            data = codec.encode(target.returns, result.value)
        events = tuple(event_record(self.journal.code(e.address) or b"", self.cache, i, e)
                       for i, e in enumerate(result.events))
        return ReceiptStatus.SUCCESS, result.gas_used, data, "", "", events, created

    def result(self) -> BlockResult:
        """The block's effect on the flat state, sorted, ready to commit."""
        delta = self.journal.changes()
        writes: dict[bytes, bytes | None] = {}
        for address, key, value in delta.storage:
            writes[keys.storage_key(address, key)] = value
        touched = sorted({a for a, _ in delta.balances} | {a for a, _ in delta.code} | set(self.nonces))
        new_code = dict(delta.code)
        code_blobs: dict[bytes, bytes] = {}
        for address in touched:
            old = self.base.account(address)
            code_id = old.code_hash
            if address in new_code:
                code_id = code_hash(new_code[address])
                code_blobs[code_id] = new_code[address]
            account = Account(self.journal.balance(address), self.nonce(address), code_id)
            writes[keys.account_key(address)] = account.encode() if account != Account() else None
        return BlockResult(tuple(self.receipts), tuple(sorted(writes.items())), tuple(sorted(code_blobs.items())),
                           self.gas_used)


__all__ = ["NO_CODE", "BlockExecutor", "BlockFull", "BlockResult", "TxRejected", "admission_error", "call_target",
           "decode_args", "encode_args", "event_record", "failure_location", "impersonated_sender", "intrinsic_gas",
           "pay_fee", "payload_gas"]
