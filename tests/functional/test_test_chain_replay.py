"""The test chain runs transactions in process; replayed on a real `Chain`, its blocks give the same receipts.

`TestChain` (contractvm/testing/env.py) applies the executor's rules in its `Ledger` without signing or
sealing; `TestChain.replay()` builds the same blocks on a real chain and checks every receipt. These tests
drive random sequences of everything a test can do — deployments, calls that succeed, revert or run out of
gas, value transfers, fees, impersonation, time, empty blocks, snapshots — and hold the two to each other:
receipts, balances, nonces, heights and block times.
"""

from __future__ import annotations

import gc

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from contractvm.chain.chain import ChainError
from contractvm.chain.model import ReceiptStatus
from contractvm.testing import CallFailed, ReplayMismatch, TestChain, TransactionRejected
from contractvm.testing.env import AUTHORITY

PROBE = """\
contract Probe {
    state total: u64;
    state visits: map<address, u64>;
    event Bumped(by: address, amount: u64, total: u64, at: u64);

    struct Pair { a: u64, b: address }

    constructor(start: u64) {
        total = start;
    }

    pub payable fn bump(amount: u64) -> u64 {
        require(amount < 1000, "too much");
        total += amount;
        visits[msg.sender] += 1;
        emit Bumped(msg.sender, amount, total, block.time);
        return total;
    }

    pub fn spin() -> u64 {
        let acc: u64 = 0;
        for i in 0..200 {
            acc += i;
        }
        total += 1;
        return acc;
    }

    pub fn pair(who: address) -> Pair {
        return Pair(a: visits[who], b: who);
    }

    pub view fn current() -> u64 {
        return total;
    }
}
"""

RELAY = """\
interface Probe {
    fn bump(amount: u64) -> u64;
}
contract Relay {
    state relayed: u64;
    event Relayed(to: address, total: u64);

    pub fn relay(probe: address, amount: u64) -> u64 {
        let total = Probe(probe).bump(amount);
        relayed += 1;
        emit Relayed(probe, total);
        return total;
    }
}
"""

STRANGER = bytes.fromhex("55" * 20)

operation = st.one_of(
    st.tuples(st.just("bump"), st.integers(0, 3), st.integers(0, 1_200), st.sampled_from([0, 0, 7])),
    st.tuples(st.just("spin"), st.integers(0, 3), st.sampled_from([None, 3_000, 30_000])),
    st.tuples(st.just("pair"), st.integers(0, 3)),
    st.tuples(st.just("relay"), st.integers(0, 3), st.integers(0, 1_200)),
    st.tuples(st.just("deploy"), st.integers(0, 3), st.integers(0, 10)),
    st.tuples(st.just("send"), st.integers(0, 3), st.integers(0, 10**6)),
    st.tuples(st.just("set_balance"), st.sampled_from([0, 10**20, 10**25])),
    st.tuples(st.just("stranger"), st.integers(0, 100)),
    st.tuples(st.just("fees"), st.sampled_from([0, 1, 3])),
    st.tuples(st.just("time"), st.integers(0, 86_400)),
    st.tuples(st.just("mine"), st.integers(1, 3)),
    st.tuples(st.just("snapshot")),
    st.tuples(st.just("revert")),
    st.tuples(st.just("replay")),
)


def run(chain: TestChain, operations: list[tuple]) -> list:
    """Apply `operations` (failures are part of the run); the receipts that were made and are still on chain."""
    probes = [chain.deploy(PROBE, 5)]
    relay = chain.deploy(RELAY)
    snapshots = []
    receipts = []
    for op, *params in operations:
        try:
            if op == "bump":
                sender, amount, value = params
                receipts.append(probes[-1].bump(amount, sender=chain.accounts[sender], value=value))
            elif op == "spin":
                sender, gas = params
                receipts.append(probes[0].spin(sender=chain.accounts[sender], gas_limit=gas))
            elif op == "pair":
                receipts.append(probes[-1].pair(chain.accounts[params[0]], sender=chain.accounts[params[0]]))
            elif op == "relay":  # a call into another contract: events from two addresses
                sender, amount = params
                receipts.append(relay.relay(probes[-1].address, amount, sender=chain.accounts[sender]))
            elif op == "deploy":
                sender, start = params
                probes.append(chain.deploy(PROBE, start, sender=chain.accounts[sender]))
                receipts.append(probes[-1].deployment)
            elif op == "send":
                sender, value = params
                receipts.append(chain.transfer(probes[0].address, value, sender=chain.accounts[sender]))
            elif op == "set_balance":
                chain.set_balance(STRANGER, params[0])
            elif op == "stranger":
                receipts.append(probes[0].bump(params[0], sender=chain.impersonate(STRANGER)))
            elif op == "fees":
                chain.fee_per_gas = params[0]
            elif op == "time":
                chain.advance_time(params[0])
            elif op == "mine":
                chain.mine(params[0])
            elif op == "snapshot":
                snapshots.append((chain.snapshot(), len(receipts)))
            elif op == "revert" and snapshots:
                snapshot, count = snapshots.pop()
                chain.revert(snapshot)
                del receipts[count:]
            elif op == "replay":
                chain.replay()
        except CallFailed as failure:
            receipts.append(failure.receipt)  # a failed transaction is mined too (None for none sent)
        except TransactionRejected:
            pass  # not included: nothing to compare
    return [r for r in receipts if r is not None]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(operations=st.lists(operation, max_size=25))
def test_the_real_chain_gives_the_same_receipts_and_state(operations: list[tuple]) -> None:
    chain = TestChain(n_accounts=4)
    receipts = run(chain, operations)
    real = chain.replay()
    assert (real.height, real.head.timestamp) == (chain.height, chain.ledger.head_time)
    for receipt in receipts:
        assert real.receipt(receipt.tx_hash) == receipt.raw
        height, _ = real.locate(receipt.tx_hash)
        assert (height, real.block(height).header.timestamp) == (receipt.block_number, receipt.timestamp)
    for address in [*chain.accounts, STRANGER, AUTHORITY.address]:
        assert (real.balance(address), real.nonce(address)) == (chain.balance(address), chain.nonce(address))


def test_replay_is_incremental_and_follows_reverts() -> None:
    chain = TestChain(n_accounts=2)
    probe = chain.deploy(PROBE, 1)
    before = chain.snapshot()
    first = probe.bump(2)
    assert chain.chain.height == chain.height == first.block_number
    chain.revert(before)
    assert chain.chain.height == before.height  # the replayed block went with the revert
    second = probe.bump(3, sender=chain.accounts[1])
    chain.mine(2)
    real = chain.chain
    assert real.height == second.block_number + 2
    assert real.receipt(second.tx_hash) == second.raw
    assert second.tx_hash != first.tx_hash


def test_a_receipt_the_chain_does_not_agree_with_is_reported() -> None:
    chain = TestChain(n_accounts=2)
    probe = chain.deploy(PROBE, 1)
    receipt = probe.bump(2)
    outcome = chain.ledger.block(chain.height)
    chain.ledger.blocks[-1] = outcome._replace(gas_used=outcome.gas_used + 1).kept()
    with pytest.raises(ReplayMismatch, match=rf"block {receipt.block_number}: .*gas_used: chain \d+, test chain"):
        chain.replay()


def test_a_transaction_the_chain_refuses_is_reported() -> None:
    chain = TestChain(n_accounts=2)
    probe = chain.deploy(PROBE, 1)
    probe.bump(2)
    outcome = chain.ledger.block(chain.height)
    chain.ledger.blocks[-1] = outcome._replace(sent=outcome.sent._replace(nonce=7)).kept()
    with pytest.raises(ReplayMismatch, match=r"block 2: the chain refused what the test chain did .*nonce 7 is ahead"):
        chain.replay()


def test_a_stale_contract_object_is_refused_as_a_node_would_refuse_it() -> None:
    """After a revert the same deployer and nonce put other code at the same address: calls through the old
    object are refused with the executor's words (and the real chain agrees)."""
    chain = TestChain(n_accounts=2)
    before = chain.snapshot()
    probe = chain.deploy(PROBE, 1)
    chain.revert(before)
    with pytest.raises(CallFailed, match="no contract at"):
        probe.bump(2, sender=chain.accounts[1])
    other = chain.deploy("contract Other { pub fn bump(note: string<4>) -> u64 { return 1; } }")
    assert other.address == probe.address
    with pytest.raises(CallFailed, match=r"bad arguments for bump\(string<4>\)"):
        probe.bump(2)
    with pytest.raises(CallFailed, match="no public function 'spin'"):
        probe.spin()
    real = chain.replay()
    assert [real.receipt(real.block(h).transactions[0].hash).error[:12] for h in (1, 3, 4)] == [
        "no contract ", "bad argument", "no public fu"]


def test_receipts_read_like_the_chain_records_them() -> None:
    chain = TestChain(n_accounts=2)
    alice, bob = chain.accounts
    probe = chain.deploy(PROBE, 10, sender=bob)
    chain.advance_time(100)
    receipt = probe.bump(5, sender=alice, value=3)
    assert receipt.return_value == 15 and receipt.status == ReceiptStatus.SUCCESS
    assert receipt.events == [probe.Bumped(alice, 5, 15, receipt.timestamp)]
    assert receipt.timestamp == chain.time - 1 and receipt.block_number == chain.height
    assert probe.pair(alice).return_value == (1, alice)
    assert chain.balance(probe.address) == 3
    with pytest.raises(CallFailed, match="too much") as failed:
        probe.bump(1_000, sender=bob)
    raw = failed.value.receipt.raw
    assert (raw.status, raw.error, raw.events) == (ReceiptStatus.REVERTED, "too much", ())
    assert raw.error_location.startswith(bytes(probe.address).hex() + ":bump@")
    assert chain.chain.receipt(raw.tx_hash) == raw


def test_time_and_snapshots_keep_their_rules() -> None:
    chain = TestChain(n_accounts=1)
    with pytest.raises(ChainError, match="block times strictly increase"):
        chain.set_time(chain.time - 1)
    outer = chain.snapshot()
    chain.mine(3)
    inner = chain.snapshot()
    chain.revert(outer)
    with pytest.raises(ChainError, match="reverse order"):
        chain.revert(inner)


def test_kept_blocks_cost_the_garbage_collector_nothing() -> None:
    """The ledger keeps every block until it is reverted, as plain tuples of plain values: once the collector
    has seen them they are no longer tracked, so a long session's blocks add nothing to later collections."""
    chain = TestChain(n_accounts=2)
    probe = chain.deploy(PROBE, 1)
    probe.bump(2, value=5)
    probe.pair(chain.accounts[1])
    chain.transfer(chain.accounts[1], 3)
    chain.mine()
    for _ in range(5):  # a tuple is untracked once what it holds is: one level per collection
        gc.collect()
    assert len(chain.ledger.blocks) == 5
    assert not any(gc.is_tracked(block) for block in chain.ledger.blocks)
    assert chain.ledger.block(3).sent.sender == bytes(chain.accounts[0]) and chain.ledger.block(5) == chain.time - 1
