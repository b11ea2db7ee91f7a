"""A deployed contract as a Python object: its public functions are methods, its events are constructors.

    token = deploy("contracts/token.ctr", "Token", 1_000, sender=alice)
    token.balance_of(alice)                        # a view: runs against the latest state, returns the value
    receipt = token.transfer(bob, 5, sender=alice) # a transaction, signed and mined: returns a Receipt
    assert receipt.events == [token.Transfer(alice, bob, 5)]

Every method takes `sender=` (default: the first account), `value=` (payable functions) and `gas_limit=`.
A failed call raises `CallFailed` (see failures.py). The contract's own attributes are `address`,
`artifact`, `source`, `functions`, `events` and `deployment` (the deploy receipt); a function or event
named like one of them is reached through `contract.functions[name]` / `contract.events[name]`.
"""

from __future__ import annotations

from functools import cached_property
from typing import TYPE_CHECKING, Any

from contractvm.chain.model import Receipt as ChainReceipt
from contractvm.chain.model import ReceiptStatus, call_payload
from contractvm.isa.program import Function
from contractvm.testing.abi import Account, Call, show
from contractvm.testing.args import Arguments
from contractvm.testing.events import Event, EventType, emitted

if TYPE_CHECKING:
    from contractvm.codegen.artifact import Artifact
    from contractvm.source import SourceFile
    from contractvm.testing.env import Compiled, TestChain
    from contractvm.testing.ledger import Outcome


class Receipt:
    """The outcome of one mined transaction: events, return value, gas. Events, the return value and the
    chain's own receipt (`raw`, `tx_hash`) are decoded or built the first time they are read."""

    def __init__(self, chain: TestChain, outcome: Outcome, call: Call) -> None:
        self.chain = chain
        self.outcome = outcome
        self.call = call  # what was sent, for messages: `Token.transfer(...)`
        self.block_number = outcome.height
        self.timestamp = outcome.timestamp
        self.execution_gas = outcome.gas_used - outcome.intrinsic  # the contract code's: what gas bounds bound

    @property
    def status(self) -> ReceiptStatus:
        return ReceiptStatus(self.outcome.status)

    @property
    def success(self) -> bool:
        return self.outcome.failure is None

    @property
    def gas_used(self) -> int:
        """Gas the transaction used in all, intrinsic cost included: what the fee is charged on."""
        return self.outcome.gas_used

    @property
    def fee_paid(self) -> int:
        return self.outcome.fee_paid

    @property
    def contract_address(self) -> bytes:
        """The deployed contract's address (a successful deployment), else b""."""
        return self.outcome.created

    @property
    def error(self) -> str:
        failure = self.outcome.failure
        return "" if failure is None else failure.message

    @cached_property
    def events(self) -> list[Event]:
        return self.chain.events(self.outcome)

    @cached_property
    def return_value(self) -> object:
        target = self.outcome.target(self.chain.cache)
        if target is None:
            return None
        return self.chain.structs.to_python(target.returns, self.outcome.value)

    @cached_property
    def raw(self) -> ChainReceipt:
        """The chain's receipt, exactly as `chain.chain` records this transaction."""
        return self.chain.chain_receipt(self.outcome)

    @cached_property
    def tx_hash(self) -> bytes:
        """The hash of the signed transaction (as `chain.chain` has it)."""
        return self.chain.transaction(self.outcome).hash

    def emitted(self, name: str, **fields: object) -> list[Event]:
        """The events called `name` whose fields include the given values (a list: truthy when any matched)."""
        return emitted(self.events, name, fields)

    def event(self, name: str, **fields: object) -> Event:
        """The one event called `name` (with the given field values); AssertionError unless exactly one."""
        found = self.emitted(name, **fields)
        if len(found) != 1:
            raise AssertionError(f"expected one {name} event matching {fields or 'anything'}, found "
                                 f"{len(found)} among {self.events}")
        return found[0]

    def __repr__(self) -> str:
        return (f"<Receipt {self.call}: {self.status.name.lower()}, gas {self.gas_used}, "
                f"events {self.events}, returned {show(self.return_value)}>")


class ContractFunction:
    """One public function of a deployed contract; calling it runs a view or sends a transaction."""

    def __init__(self, contract: Contract, function: Function, abi: dict[str, Any]) -> None:
        self.contract = contract
        self.function = function
        self.abi = abi
        self.arguments = Arguments(function.params)  # how the arguments are checked and encoded
        self.prefix = call_payload(function.name)  # a call's payload: this, then the encoded arguments
        self.label = f"{contract.name}.{function.name}"  # for messages
        self.to = bytes(contract.address)

    @property
    def name(self) -> str:
        return self.function.name

    @property
    def signature(self) -> str:
        return self.function.signature

    @property
    def gas_bound(self) -> int | None:
        return self.abi.get("gas_bound")

    def __call__(self, *args: object, sender: bytes | None = None, value: int = 0,
                 gas_limit: int | None = None) -> Any:
        __tracebackhide__ = True
        chain = self.contract.chain
        if self.function.view:
            if value:
                raise TypeError(f"{self.contract.name}.{self.name} is a view: it takes no value")
            return chain.view(self, args, sender=sender, gas_limit=gas_limit)
        return chain.transact(self, args, sender=sender, value=value, gas_limit=gas_limit)

    def __repr__(self) -> str:
        kind = "view" if self.function.view else "payable" if self.function.payable else "function"
        return f"<{kind} {self.contract.name}.{self.signature}>"


RESERVED = frozenset({"address", "artifact", "source", "functions", "events", "chain", "name", "compiled",
                      "deployment"})


class Contract:
    """A contract deployed on the test chain (see the module docstring)."""

    def __init__(self, chain: TestChain, address: bytes, compiled: Compiled,
                 deployment: Receipt | None = None) -> None:
        self.chain = chain
        self.deployment = deployment  # the deploy transaction's receipt (constructor events), if deployed here
        self.compiled = compiled
        self.artifact: Artifact = compiled.artifact
        self.source: SourceFile = compiled.source
        self.name: str = compiled.artifact.contract
        self.address = Account(address, label=self.name)
        abis = {f["name"]: f for f in self.artifact.abi["functions"]}
        self.functions: dict[str, ContractFunction] = {
            f.name: ContractFunction(self, f, abis[f.name])
            for f in compiled.program.functions if f.public and not f.constructor
        }
        self.events: dict[str, EventType] = {e.name: EventType(e, self.address) for e in compiled.program.events}
        for name, member in [*self.events.items(), *self.functions.items()]:
            if name not in RESERVED and not name.startswith("_"):
                setattr(self, name, member)

    def __repr__(self) -> str:
        return f"<{self.name} at {self.address.text}>"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Contract) and other.address == self.address and other.chain is self.chain

    def __hash__(self) -> int:
        return hash(bytes(self.address))
