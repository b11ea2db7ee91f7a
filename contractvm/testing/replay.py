"""The test chain's blocks built again on a real `Chain`, each receipt checked against the one the test saw.

The ledger (`ledger.py`) runs transactions in process. On demand — `TestChain.chain`, `pytest --chain-replay`
— its blocks are replayed here: each transaction signed with its sender's key (or marked as impersonated),
submitted to a `Chain` on a memory store at the block's timestamp, run by the `BlockExecutor`, sealed with a
state root and committed; each empty block mined. The chain's receipt must equal the one the ledger gave
(status, gas, fee, return data, error and where, events, created address, transaction hash), or
`ReplayMismatch` says where they part. So a test's outcome is a node's outcome, checked rather than assumed.
"""

from __future__ import annotations

from collections.abc import Mapping

from contractvm.chain.accounts import Keypair
from contractvm.chain.chain import Chain, ChainError
from contractvm.chain.executor import event_record, failure_location, impersonated_sender
from contractvm.chain.model import Receipt, Transaction
from contractvm.errors import InternalError
from contractvm.isa import codec
from contractvm.testing.ledger import Ledger, Outcome, Sent
from contractvm.vm import EmittedEvent, ProgramCache

_BUG = "This is a contractvm bug: please report it with the test"


class ReplayMismatch(InternalError):
    """The real chain gave a different receipt than the test chain for the same transaction: a contractvm bug."""


def transaction(sent: Sent, chain_id: int, keys: Mapping[bytes, Keypair]) -> Transaction:
    """The transaction `sent` is: signed by its sender's key, or impersonated when the test has none."""
    keypair = keys.get(sent.sender)
    tx = Transaction(chain_id=chain_id, nonce=sent.nonce,
                     sender=keypair.public_key if keypair is not None else impersonated_sender(sent.sender),
                     kind=sent.kind, to=sent.to, value=sent.value, gas_limit=sent.gas_limit,
                     fee_per_gas=sent.fee_per_gas, payload=sent.payload)
    return tx.signed(keypair) if keypair is not None else tx


def receipt(outcome: Outcome, tx_hash: bytes, cache: ProgramCache) -> Receipt:
    """The chain's receipt for `outcome`, with `tx_hash` (its transaction's)."""
    failure = outcome.failure
    target = outcome.target(cache)
    data = b""
    if failure is None and target is not None and target.returns is not None:
        data = codec.encode(target.returns, outcome.value)
    return Receipt(tx_hash=tx_hash, status=outcome.status, gas_used=outcome.gas_used, fee_paid=outcome.fee_paid,
                   return_data=data, error=failure.message if failure is not None else "",
                   error_location=failure_location(failure) if failure is not None else "",
                   events=tuple(event_record(code, cache, i, EmittedEvent(*e))
                                for i, (code, e) in enumerate(zip(outcome.event_code, outcome.events, strict=True))),
                   contract_address=outcome.created)


def replay(ledger: Ledger, chain: Chain, *, keys: Mapping[bytes, Keypair], cache: ProgramCache) -> None:
    """Bring `chain` from its height up to the ledger's, checking every receipt (see the module docstring)."""
    chain_id = chain.genesis.chain_id
    for height in range(chain.height + 1, ledger.height + 1):
        outcome = ledger.block(height)
        try:
            if isinstance(outcome, int):  # an empty block, at that time
                chain.mine(outcome)
                continue
            tx = transaction(outcome.sent, chain_id, keys)
            chain.set_next_timestamp(outcome.timestamp)
            got = chain.send(tx)
        except ChainError as exc:
            raise ReplayMismatch(f"block {height}: the chain refused what the test chain did ({exc}). {_BUG}") from None
        want = receipt(outcome, tx.hash, cache)
        if got != want or chain.height != height or chain.head.timestamp != outcome.timestamp:
            raise ReplayMismatch(_difference(height, got, want))


def _difference(height: int, got: Receipt, want: Receipt) -> str:
    fields = [name for name in ("status", "gas_used", "fee_paid", "return_data", "error", "error_location", "events",
                                "contract_address", "tx_hash") if getattr(got, name) != getattr(want, name)]
    detail = "; ".join(f"{name}: chain {getattr(got, name)!r}, test chain {getattr(want, name)!r}" for name in fields)
    return f"block {height}: the chain and the test chain disagree ({detail or 'block height or time'}). {_BUG}"
