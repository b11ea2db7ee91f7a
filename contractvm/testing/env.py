"""`TestChain`: the chain a test talks to — the node's transaction rules in process, plus the test controls.

Every state-changing call is a transaction from the caller's account, in a block of its own (automine), run
by `Ledger` (ledger.py) under the rules of the chain's `BlockExecutor`: nonces, balances, gas limits, fees,
value transfers, receipts and events, failed executions undone. Only what a test cannot see is skipped while
it runs: signing, hashing, state roots and sealing. `chain.chain` builds those blocks on a real `Chain` when
asked (replay.py) and checks that every receipt comes out the same; `pytest --chain-replay` does that after
every test. Views run against the latest state as `Chain.call` does.

The controls are thin: time is the next block's timestamp, `mine` makes empty blocks, `snapshot`/`revert`
are marks in the ledger's undo logs plus this object's settings, `set_balance` is a transfer from (or to) the
chain's faucet, `impersonate` lets a test send as an address it has no key for (replayed as the chain's
development-only impersonated transactions: see `contractvm/chain/executor.py`). Fees are off
(`fee_per_gas = 0`) unless asked.

The clock is fixed: each block is one second after its parent unless a test moves time, so a run is
deterministic. Block 0 is at `GENESIS_TIME`.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from contractvm.chain.accounts import Keypair, dev_keypair
from contractvm.chain.chain import Chain, ChainError
from contractvm.chain.executor import payload_gas
from contractvm.chain.model import (
    DEFAULT_BLOCK_GAS_LIMIT,
    DEV_BALANCE,
    DEV_CHAIN_ID,
    Genesis,
    Transaction,
    TxKind,
    deploy_payload,
)
from contractvm.chain.model import Receipt as ChainReceipt
from contractvm.crypto import blake2b256
from contractvm.isa import codec
from contractvm.testing import replay
from contractvm.testing.abi import Account, Call, StructTypes, show
from contractvm.testing.args import Arguments
from contractvm.testing.compiling import Compiled, Compiler
from contractvm.testing.contract import Contract, ContractFunction, Receipt
from contractvm.testing.coverage import TracingCache
from contractvm.testing.events import Event
from contractvm.testing.failures import CallFailed, Location, locate
from contractvm.testing.gas import GasLog
from contractvm.testing.ledger import Ledger, Mark, Outcome, Rejected, Sent, TimeError
from contractvm.vm import ExecutionResult, ProgramCache

GENESIS_TIME = 1_700_000_000
DEFAULT_GAS_LIMIT = 5_000_000
FAUCET_BALANCE = 2**255  # what set_balance hands out from (and takes back to)
AUTHORITY = Keypair.from_seed(blake2b256(b"contractvm testing authority"))  # signs blocks, holds the faucet
TRANSFER_GAS = payload_gas(0)  # a transfer's gas limit is exactly its intrinsic cost


class TransactionRejected(Exception):
    """The chain refused to include a transaction (bad nonce, insufficient funds, gas limit too high...)."""


@dataclass(frozen=True)
class Snapshot:
    mark: Mark
    fee_per_gas: int
    impersonated: frozenset[bytes]

    @property
    def height(self) -> int:
        return self.mark.height


def testing_genesis(n_accounts: int) -> Genesis:
    """The dev accounts (`dev_keypair(i)`, 10**24 each) and a faucet; a separate authority, so fees paid to the
    block's proposer never change a test account's balance."""
    funded = tuple((dev_keypair(i).address, DEV_BALANCE) for i in range(n_accounts))
    return Genesis(chain_id=DEV_CHAIN_ID, timestamp=GENESIS_TIME,
                   accounts=(*funded, (AUTHORITY.address, FAUCET_BALANCE)), authorities=(AUTHORITY.public_key,),
                   threshold=1, block_gas_limit=DEFAULT_BLOCK_GAS_LIMIT)


class TestChain:
    """The test environment (the `chain` fixture). See the module docstring and docs/testing.md."""

    __test__ = False  # not a test class, whatever pytest thinks of the name

    def __init__(self, *, n_accounts: int = 10, fee_per_gas: int = 0, coverage: bool = False,
                 gas_report: bool = False, compiler: Compiler | None = None) -> None:
        self.cache: ProgramCache = TracingCache() if coverage else ProgramCache()
        self.genesis = testing_genesis(n_accounts)
        self.ledger = Ledger(self.genesis, AUTHORITY.address, self.cache)
        self._chain: Chain | None = None  # the real chain, built when first asked for (`chain`)
        self.compiler = compiler or Compiler()
        self.gas_log = GasLog() if gas_report else None
        self.fee_per_gas = fee_per_gas
        keys = [dev_keypair(i) for i in range(n_accounts)]
        self.accounts: tuple[Account, ...] = tuple(Account(k.address, k, f"account {i}") for i, k in enumerate(keys))
        self._keys: dict[bytes, Keypair] = {bytes(a): a.keypair for a in self.accounts if a.keypair is not None}
        self._keys[AUTHORITY.address] = AUTHORITY
        self._impersonated: set[bytes] = set()
        self.structs = StructTypes()
        self.fixture_snapshots: dict[int, Snapshot] = {}  # the plugin's snapshots around fixtures

    # Reading

    @property
    def chain(self) -> Chain:
        """The blocks so far as a real `Chain` (memory store): signed, sealed, with state roots, receipts and
        events. Built on first use and brought up to date on each use (`replay`)."""
        return self.replay()

    def replay(self) -> Chain:
        """Bring the real chain up to this one: build each block made since the last replay with its signed
        transaction, and check the chain's receipt against the test's (ReplayMismatch if they differ)."""
        if self._chain is None:
            self._chain = Chain.memory(self.genesis, signers=(AUTHORITY,), clock=lambda: GENESIS_TIME,
                                       allow_impersonation=True)
        replay.replay(self.ledger, self._chain, keys=self._keys, cache=self.cache)
        return self._chain

    @property
    def height(self) -> int:
        return self.ledger.height

    @property
    def time(self) -> int:
        """The timestamp the next block (so the next transaction, and every view now) sees as `block.time`."""
        return self.ledger.upcoming

    def balance(self, address: bytes) -> int:
        return self.ledger.balance(bytes(address))

    def nonce(self, address: bytes) -> int:
        return self.ledger.nonce(bytes(address))

    def code(self, address: bytes) -> bytes | None:
        """The code of the contract at `address` (None if there is none)."""
        return self.ledger.code(bytes(address))

    # Controls

    def advance_time(self, seconds: int) -> None:
        """The next block comes `seconds` later than it would have: `chain.time` grows by exactly `seconds`."""
        if seconds < 0:
            raise ValueError("time only moves forward")
        self.set_time(self.time + seconds)

    def set_time(self, timestamp: int) -> None:
        """The next block's timestamp (after the latest block's)."""
        try:
            self.ledger.set_next_time(timestamp)
        except TimeError as exc:
            raise ChainError(str(exc)) from None

    def mine(self, blocks: int = 1) -> None:
        """Mine `blocks` empty blocks (each one second after the last, the first at `chain.time`)."""
        for _ in range(blocks):
            self.ledger.mine()

    def set_balance(self, address: bytes, amount: int) -> None:
        """Give `address` exactly `amount`: a transfer from the faucet, or of the excess to it (as `address`,
        impersonated). Mines one block, fees off; a contract's code and storage are untouched."""
        have = self.balance(address)
        if amount > have:
            self._send(AUTHORITY.address, TxKind.TRANSFER, bytes(address), amount - have, gas_limit=TRANSFER_GAS,
                       fee=0)
        elif amount < have:
            self._send(bytes(address), TxKind.TRANSFER, AUTHORITY.address, have - amount, gas_limit=TRANSFER_GAS,
                       fee=0, impersonate=True)

    def impersonate(self, address: bytes, label: str = "") -> Account:
        """Let tests send transactions as `address` (any account or contract) without its key, until the
        enclosing test or fixture ends; returns it as an Account usable as `sender=`."""
        self._impersonated.add(bytes(address))
        return address if isinstance(address, Account) else Account(address, None, label or "impersonated")

    def transfer(self, to: bytes, value: int, *, sender: bytes | None = None) -> Receipt:
        """Send native tokens."""
        outcome = self._send(self._sender(sender), TxKind.TRANSFER, bytes(to), value, gas_limit=TRANSFER_GAS)
        return self._receipt(outcome, Call("transfer", (to, value)))

    # Snapshots

    def snapshot(self) -> Snapshot:
        return Snapshot(self.ledger.mark(), self.fee_per_gas, frozenset(self._impersonated))

    def revert(self, snapshot: Snapshot) -> None:
        """Back to `snapshot`: its blocks, its next block time, fees and impersonations."""
        try:
            self.ledger.rewind(snapshot.mark)
        except ValueError as exc:
            raise ChainError(str(exc)) from None
        if self._chain is not None and self._chain.height > snapshot.height:
            self._chain.revert(snapshot.height)
        self.fee_per_gas = snapshot.fee_per_gas
        self._impersonated = set(snapshot.impersonated)

    @contextmanager
    def isolate(self) -> Iterator[None]:
        """Everything done in the block is undone at its end."""
        snapshot = self.snapshot()
        try:
            yield
        finally:
            self.revert(snapshot)

    # Contracts

    def deploy(self, target: str | Path, *args: object, sender: bytes | None = None, value: int = 0,
               gas_limit: int | None = None) -> Contract:
        """Compile (once per source) a `.ctr` path or source text and deploy it; CallFailed if the constructor
        fails."""
        __tracebackhide__ = True
        compiled = self.compiler.compile(target)
        ctor = compiled.program.constructor
        call = Call(f"deploying {compiled.artifact.contract}", args)
        code = compiled.artifact.bytecode
        arg_bytes, plain = self._encode(Arguments(ctor.params if ctor is not None else ()), args, call)
        outcome = self._send(self._sender(sender), TxKind.DEPLOY, bytes(20), value, deploy_payload(code, arg_bytes),
                             gas_limit, args=plain, code=code)
        receipt = self._receipt(outcome, call, compiled)
        if self.gas_log is not None:
            bound = compiled.artifact.abi["constructor"]["gas_bound"] if ctor is not None else None
            self.gas_log.record(compiled.artifact.contract, "(deploy)", receipt.execution_gas, bound)
        return Contract(self, outcome.created, compiled, receipt)

    def at(self, address: bytes, target: str | Path) -> Contract:
        """The contract at `address`, described by the source `target` (whose bytecode must be the one there)."""
        compiled = self.compiler.compile(target)
        if self.code(address) != compiled.artifact.bytecode:
            raise ValueError(f"the code at {show(address)} is not {compiled.label}'s")
        return Contract(self, bytes(address), compiled)

    def transact(self, function: ContractFunction, args: Sequence[object], *, sender: bytes | None, value: int,
                 gas_limit: int | None) -> Receipt:
        """Send a call of a contract's public function."""
        __tracebackhide__ = True
        call = Call(function.label, args)
        arg_bytes, plain = self._encode(function.arguments, args, call)
        name = function.function.name
        outcome = self._send(self._sender(sender), TxKind.CALL, function.to, value,
                             function.prefix + arg_bytes, gas_limit, function=name, args=plain)
        receipt = self._receipt(outcome, call)
        if self.gas_log is not None:
            self.gas_log.record(function.contract.name, name, receipt.execution_gas, function.gas_bound)
        return receipt

    def view(self, function: ContractFunction, args: Sequence[object], *, sender: bytes | None,
             gas_limit: int | None) -> object:
        """Run a contract's public function against the latest state and return its value."""
        __tracebackhide__ = True
        call = Call(function.label, args)
        _, plain = self._encode(function.arguments, args, call)
        name = function.function.name
        result = self.ledger.view(function.to, name, plain, sender=bytes(self._sender(sender)), gas_limit=gas_limit)
        if result.failure is not None:
            raise self._failed_view(result, call)
        if self.gas_log is not None:
            self.gas_log.record(function.contract.name, name, result.gas_used, function.gas_bound)
        return self.structs.to_python(function.function.returns, result.value)

    # What receipts show

    def transaction(self, outcome: Outcome) -> Transaction:
        """The signed transaction `outcome` ran (as `chain.chain` has it)."""
        return replay.transaction(outcome.sent, self.genesis.chain_id, self._keys)

    def chain_receipt(self, outcome: Outcome) -> ChainReceipt:
        """The chain's own receipt for `outcome` (as `chain.chain` has it)."""
        return replay.receipt(outcome, self.transaction(outcome).hash, self.cache)

    def events(self, outcome: Outcome) -> list[Event]:
        """The events of `outcome`, decoded as a test sees them."""
        events = []
        for code, (address, name, values) in zip(outcome.event_code, outcome.events, strict=True):
            program = self.cache.load(code).program
            decl = next(e for e in program.events if e.name == name)
            fields = {field: self.structs.to_python(t, value)
                      for (field, t), (_, value) in zip(decl.fields, values, strict=True)}
            events.append(Event(name, fields, address))
        return events

    # Transactions

    def _sender(self, sender: bytes | None) -> bytes:
        return self.accounts[0] if sender is None else sender

    def _encode(self, arguments: Arguments, args: Sequence[object], call: Call) -> tuple[bytes, tuple[object, ...]]:
        """The arguments' canonical encoding, and the plain values a node decodes from it."""
        try:
            return arguments.encode(args)
        except (codec.CodecError, ValueError, TypeError) as exc:
            raise TypeError(f"{call}: {exc}") from None

    def _send(self, sender: bytes, kind: TxKind, to: bytes, value: int, payload: bytes = b"",
              gas_limit: int | None = None, *, fee: int | None = None, impersonate: bool = False,
              function: str = "", args: tuple[object, ...] = (), code: bytes = b"") -> Outcome:
        address = bytes(sender)
        if address not in self._keys and not (impersonate or address in self._impersonated):
            raise TransactionRejected(f"no key for {show(sender)}: call chain.impersonate(address) to send as it")
        ledger = self.ledger
        sent = Sent(address, ledger.nonces.get(address, 0), int(kind), to, value,
                    DEFAULT_GAS_LIMIT if gas_limit is None else gas_limit,
                    self.fee_per_gas if fee is None else fee, payload)
        try:
            return ledger.send(sent, function, args, code)
        except Rejected as exc:
            raise TransactionRejected(f"transaction rejected: {exc}") from None

    def _receipt(self, outcome: Outcome, call: Call, deploying: Compiled | None = None) -> Receipt:
        __tracebackhide__ = True
        receipt = Receipt(self, outcome, call)
        if outcome.failure is not None:
            raise self._failed_tx(receipt, outcome, deploying)
        return receipt

    # Failures

    def _failed_tx(self, receipt: Receipt, outcome: Outcome, deploying: Compiled | None) -> CallFailed:
        failure = outcome.failure
        assert failure is not None
        location = None
        if failure.pc >= 0:
            compiled = self.compiler.by_code.get(self.code(failure.address) or b"", deploying)
            location = self._locate(compiled, failure.function, failure.pc, failure.out_of_gas, failure.message)
        return CallFailed(failure.message, out_of_gas=failure.out_of_gas, call=receipt.call, location=location,
                          receipt=receipt, gas_used=outcome.gas_used)

    def _failed_view(self, result: ExecutionResult, call: Call) -> CallFailed:
        failure = result.failure
        assert failure is not None
        location = None
        if failure.pc >= 0:
            compiled = self.compiler.by_code.get(self.code(failure.address) or b"")
            location = self._locate(compiled, failure.function, failure.pc, failure.out_of_gas, failure.message)
        return CallFailed(failure.message, out_of_gas=failure.out_of_gas, call=call, location=location,
                          gas_used=result.gas_used)

    def _locate(self, compiled: Compiled | None, function: str, pc: int, out_of_gas: bool,
                message: str) -> Location | None:
        if compiled is None:
            return None
        kind = "OutOfGas" if out_of_gas else "Revert"
        return locate(compiled.source, compiled.artifact.contract, compiled.artifact.span_at(pc), function, pc, kind,
                      message)
