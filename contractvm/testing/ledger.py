"""`Ledger`: the test chain's state and rules, in process — the chain's block rules without the block-making.

Each transaction is its own block, as on a development node with automine, and is checked and run by the rules
of `contractvm/chain/executor.py`, through the functions that module shares (`admission_error`, `call_target`,
`pay_fee`): the same nonces, balance and gas-limit checks with the same words, the intrinsic cost, the value
transfer, the fee to the proposer, a failed execution undone. What is left out is what a test does not see:
signatures (the test chain holds every key it sends with, or impersonates), hashing, encoding receipts and
events, the Merkle state root, sealing. The blocks are kept (`blocks`) so `contractvm/testing/replay.py`
can build the very same blocks on a real `Chain` on demand and check that it gives the same receipts.

State lives in one `Journal` over the genesis balances; snapshots are marks in its undo log (and in the nonces'
own), so `rewind` costs what was done since the mark, not the size of the state.
"""

from __future__ import annotations

from typing import NamedTuple

from contractvm.chain.executor import admission_error, call_target, decode_args, pay_fee, payload_gas
from contractvm.chain.model import Genesis, ReceiptStatus, TxKind, contract_address, parse_call_payload
from contractvm.isa.program import Function
from contractvm.vm import BlockContext, ExecutionResult, Failure, Journal, MemoryState, ProgramCache
from contractvm.vm import deploy as vm_deploy
from contractvm.vm import execute as vm_execute


class Rejected(Exception):
    """The chain would not include the transaction: the message says why, in the executor's words."""


class TimeError(ValueError):
    """A block time that is not after the latest block's."""


class Sent(NamedTuple):
    """A transaction as the test sent it: everything the signed `Transaction` is built from, but the key."""

    sender: bytes  # the address it is sent as
    nonce: int
    kind: int  # a TxKind's value
    to: bytes
    value: int
    gas_limit: int
    fee_per_gas: int
    payload: bytes  # exactly the transaction's payload (a call's name and encoded arguments, or code and arguments)


Emitted = tuple[bytes, str, tuple[tuple[str, object], ...]]  # an event: emitting address, name, fields


class Outcome(NamedTuple):
    """What one transaction did: its receipt's fields, still as Python values (encoded only when asked).

    Plain values inside (statuses and kinds as ints, events as tuples). The ledger keeps it as a plain tuple
    (`kept`), which the garbage collector stops tracing once it has seen it: the blocks a long test session
    keeps then cost nothing in later collections (named tuples, like any instance of a class, would be traced
    in every full collection: 12 µs a transfer with titanoboa's modules loaded).
    """

    sent: Sent
    height: int
    timestamp: int
    status: int  # a ReceiptStatus's value
    gas_used: int  # intrinsic cost included: what the fee is charged on
    intrinsic: int
    fee_paid: int
    value: object  # the return value, as the VM gave it
    events: tuple[Emitted, ...]
    event_code: tuple[bytes, ...]  # the code of each event's emitter: its declaration says how to read it
    failure: Failure | None
    created: bytes  # a successful deployment's address, else b""
    function: str  # the function a call named
    code: bytes  # the code at the called address when it ran (b"" for a transfer, or when there was none)

    def kept(self) -> tuple[object, ...]:
        """This outcome as the ledger keeps it: plain tuples only."""
        return (tuple(self.sent), *self[1:])

    @classmethod
    def from_kept(cls, kept: tuple[object, ...]) -> Outcome:
        return cls(Sent._make(kept[0]), *kept[1:])  # type: ignore[arg-type]

    def target(self, cache: ProgramCache) -> Function | None:
        """The public function a successful call ran (its return type encodes `value`); None otherwise."""
        if self.failure is not None or not self.function or not self.code:
            return None
        return cache.load(self.code).program.function(self.function)


class Mark(NamedTuple):
    height: int
    head_time: int
    next_time: int | None
    journal: int
    nonces: int


Block = tuple[object, ...] | int  # a block as kept: its transaction's `Outcome.kept()`, or an empty block's time


_SUCCESS = int(ReceiptStatus.SUCCESS)
_REVERTED = int(ReceiptStatus.REVERTED)
_OUT_OF_GAS = int(ReceiptStatus.OUT_OF_GAS)
_CALL, _DEPLOY = int(TxKind.CALL), int(TxKind.DEPLOY)
_TRANSFERRED = ExecutionResult(True, None, 0, (), None)


class Ledger:
    """The blocks a test made and the state they left (see the module docstring)."""

    def __init__(self, genesis: Genesis, proposer: bytes, cache: ProgramCache) -> None:
        base = MemoryState()
        for address, balance in genesis.accounts:
            base.set_balance(address, balance)
        self.genesis = genesis
        self.proposer = proposer
        self.cache = cache
        self.gas_limit = genesis.block_gas_limit
        self.state = Journal(base)
        self.nonces: dict[bytes, int] = {}
        self._nonce_undo: list[tuple[bytes, int]] = []
        self.height = 0
        self.head_time = genesis.timestamp
        self.next_time: int | None = None
        self.blocks: list[Block] = []  # block h is blocks[h - 1]

    # Time

    @property
    def upcoming(self) -> int:
        """The next block's timestamp: the one set, else one second after the latest block."""
        return self.head_time + 1 if self.next_time is None else self.next_time

    def set_next_time(self, timestamp: int) -> None:
        if timestamp <= self.head_time:
            raise TimeError(f"block times strictly increase: the head is at {self.head_time}")
        self.next_time = timestamp

    def mine(self) -> None:
        """An empty block."""
        timestamp = self.upcoming
        self._seal(timestamp, timestamp)

    def _seal(self, timestamp: int, block: Block) -> None:
        self.height += 1
        self.head_time = timestamp
        self.next_time = None
        self.blocks.append(block)

    def block(self, height: int) -> Outcome | int:
        """Block `height` (1 to `height`): its transaction's outcome, or the timestamp of an empty block."""
        kept = self.blocks[height - 1]
        return kept if isinstance(kept, int) else Outcome.from_kept(kept)

    # State

    def nonce(self, address: bytes) -> int:
        return self.nonces.get(address, 0)

    def balance(self, address: bytes) -> int:
        return self.state.balance(address)

    def code(self, address: bytes) -> bytes | None:
        return self.state.code(address)

    # Transactions

    def send(self, sent: Sent, function: str = "", args: tuple[object, ...] = (), code: bytes = b"") -> Outcome:
        """Run `sent` in a block of its own; `function` and `args` (a call) or `code` and `args` (a deployment)
        are what its payload encodes. Raises Rejected when the chain would not include it."""
        sender, nonce, kind, to, value, gas_limit, fee_per_gas, payload = sent
        state = self.state
        intrinsic = payload_gas(len(payload))
        error = admission_error(kind=kind, nonce=nonce, expected_nonce=self.nonces.get(sender, 0),
                                gas_limit=gas_limit, intrinsic=intrinsic, block_gas_limit=self.gas_limit, value=value,
                                fee_per_gas=fee_per_gas, balance=state.balance(sender), payload_size=len(payload))
        if error is not None:
            raise Rejected(error)
        self._nonce_undo.append((sender, nonce))
        self.nonces[sender] = nonce + 1
        timestamp = self.upcoming
        height = self.height + 1
        block = BlockContext(height, timestamp)
        gas = gas_limit - intrinsic
        created = code_run = b""
        if kind == _CALL:
            code_run = state.code(to) or b""
            result = vm_execute(state, block, caller=sender, address=to, function=function, args=args, value=value,
                                gas_limit=gas, cache=self.cache)
            failure = result.failure
            if failure is not None and failure.pc < 0:  # refused before any code ran: say it as the executor does
                refusal = self._refusal(to, function, payload)
                if refusal is not None:
                    result = ExecutionResult(False, None, 0, (), Failure(refusal, to, function, -1))
        elif kind == _DEPLOY:
            created = contract_address(sender, nonce)
            result = vm_deploy(state, block, caller=sender, address=created, code=code, args=args, value=value,
                               gas_limit=gas, cache=self.cache)
        else:
            state.set_balance(sender, state.balance(sender) - value)
            state.set_balance(to, state.balance(to) + value)
            result = _TRANSFERRED
        gas_used = intrinsic + result.gas_used
        fee = gas_used * fee_per_gas
        if fee:
            pay_fee(state, sender, self.proposer, fee)
        failure = result.failure
        events: tuple[Emitted, ...] = ()
        codes: tuple[bytes, ...] = ()
        if failure is None:
            status = _SUCCESS
            if result.events:  # the code that declares each event: mostly the called (or created) contract's own
                own, own_code = (created, code) if created else (to, code_run)
                events = tuple([(e.address, e.name, e.fields) for e in result.events])
                codes = tuple([own_code if e.address == own else (state.code(e.address) or b"") for e in result.events])
        else:
            status = _OUT_OF_GAS if failure.out_of_gas else _REVERTED
            created = b""
        outcome = Outcome(sent, height, timestamp, status, gas_used, intrinsic, fee, result.value, events, codes,
                          failure, created, function, code_run)
        self._seal(timestamp, outcome.kept())
        return outcome

    def _refusal(self, to: bytes, function: str, payload: bytes) -> str | None:
        """Why the executor would refuse this call before running it (no contract or function there, or arguments
        its parameters do not decode), or None when it would run it (and the VM's own refusal stands)."""
        found = call_target(self.state, self.cache, to, function)
        if isinstance(found, str):
            return found
        try:
            decode_args(found.params, parse_call_payload(payload)[1])
        except ValueError as exc:
            return f"bad arguments for {found.signature}: {exc}"
        return None

    def view(self, address: bytes, function: str, args: tuple[object, ...], *, sender: bytes,
             gas_limit: int | None) -> ExecutionResult:
        """Run a function against the latest state, as in the next block, keeping nothing (`Chain.call`)."""
        return vm_execute(self.state, BlockContext(self.height + 1, self.upcoming), caller=sender, address=address,
                          function=function, args=args, gas_limit=gas_limit or self.gas_limit, cache=self.cache,
                          static=True)

    # Snapshots

    def mark(self) -> Mark:
        return Mark(self.height, self.head_time, self.next_time, self.state.checkpoint(), len(self._nonce_undo))

    def rewind(self, mark: Mark) -> None:
        """Back to `mark`: its blocks, state, nonces and next block time. Marks are rewound newest first."""
        if self.height < mark.height:
            raise ValueError(f"cannot revert to height {mark.height}: the chain is at {self.height} "
                             "(snapshots are reverted in the reverse order they were taken)")
        self.state.rollback(mark.journal)
        undo = self._nonce_undo
        while len(undo) > mark.nonces:
            address, previous = undo.pop()
            if previous:
                self.nonces[address] = previous
            else:
                del self.nonces[address]
        del self.blocks[mark.height:]
        self.height = mark.height
        self.head_time = mark.head_time
        self.next_time = mark.next_time
