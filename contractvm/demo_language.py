"""`python -m contractvm.demo_language`: the compiler, the VM and a chain end to end on the example contracts."""

from __future__ import annotations

import hashlib
import tempfile
from collections.abc import Callable
from pathlib import Path

from contractvm.chain import keys
from contractvm.chain.accounts import Keypair, dev_keypair
from contractvm.chain.builder import TxBuilder
from contractvm.chain.chain import Chain
from contractvm.chain.model import Receipt, Transaction
from contractvm.chain.smt import verify_proof
from contractvm.chain.verify import verify_chain
from contractvm.compiler import compile_file, compile_text
from contractvm.errors import CompileErrors
from contractvm.isa import layout
from contractvm.isa.types import U64
from contractvm.runner import CallResult, Runner

CONTRACTS = Path(__file__).resolve().parents[1] / "contracts"


def contracts_dir() -> Path:
    """The examples, named relative to the working directory when they are under it (for shorter messages)."""
    try:
        return CONTRACTS.relative_to(Path.cwd())
    except ValueError:
        return CONTRACTS


def step(text: str) -> None:
    print(f"\n== {text}")


def show(label: str, result: CallResult) -> None:
    if result.success:
        print(f"   {label}: ok, returned {result.value!r}, gas {result.gas_used}")
        for event in result.events:
            fields = ", ".join(f"{k}={v.hex() if isinstance(v, bytes) else v}" for k, v in event.fields)
            print(f"     event {event.name}({fields})")
    else:
        print(f"   {label}: reverted, gas {result.gas_used}")
        for line in (result.location or result.error or "").splitlines():
            print(f"     {line}")


def main() -> int:
    contracts = contracts_dir()
    step("compile every example contract")
    for path in sorted(contracts.glob("*.ctr")):
        artifact = compile_file(path)
        bounds = ", ".join(f"{f['name']}≤{f['gas_bound']}" for f in artifact.abi["functions"])
        print(f"   {path.name}: {artifact.contract}, {len(artifact.bytecode)} bytes, code {artifact.code_hash[:12]}")
        print(f"     gas bounds: {bounds}")

    runner = Runner()
    operator, supplier, buyer, regulator, stranger = (runner.account(i) for i in range(5))
    names = {operator: "operator", supplier: "supplier", buyer: "buyer", regulator: "regulator",
             stranger: "stranger"}
    print("\n   accounts: " + ", ".join(f"{n}={a.hex()[:10]}…" for a, n in names.items()))

    step("deploy the data market (fee 5%) with a regulator")
    market = runner.deploy(contracts / "data_market.ctr", regulator, 5, sender=operator)
    print(f"   DataMarket at {market.address.hex()}")

    step("the supplier lists a sensor reading by its fingerprint")
    payload = b'{"sensor":"air-17","pm25":12,"at":"2026-11-21T10:00Z"}'
    fingerprint = hashlib.sha256(b"salt:4f1c" + payload).digest()
    listed = market.call("list", fingerprint, 1_000, sender=supplier)
    show("list", listed)
    offer_id = listed.value

    step("a buyer tries to buy before certification")
    show("buy", market.call("buy", offer_id, 30, sender=buyer, value=1_000))

    step("a stranger tries to certify; the regulator certifies")
    show("certify by stranger", market.call("certify", offer_id, sender=stranger))
    show("certify by regulator", market.call("certify", offer_id, sender=regulator))

    step("the buyer pays the price and receives a 30-day read grant")
    before = runner.balance(supplier)
    show("buy", market.call("buy", offer_id, 30, sender=buyer, value=1_000))
    received = runner.balance(supplier) - before
    print(f"   supplier received {received}, the market kept the fee {runner.balance(market.address)}")
    print(f"   has_access(buyer) = {market.view('has_access', offer_id, buyer)}, "
          f"has_access(stranger) = {market.view('has_access', offer_id, stranger)}")

    step("31 days later the grant has expired")
    runner.advance_time(31 * 86_400)
    print(f"   has_access(buyer) = {market.view('has_access', offer_id, buyer)}")

    step("a call that runs out of gas changes nothing")
    show("list with 500 gas", market.call("list", fingerprint, 5, sender=supplier, gas_limit=500))

    step("data credits: an asset type that cannot be copied")
    credits = runner.deploy(contracts / "data_credits.ctr", sender=operator)
    show("mint 50 to supplier", credits.call("mint", supplier, 50, sender=operator))
    show("supplier sends 20 to buyer", credits.call("send", buyer, 20, sender=supplier))
    show("buyer sends 100", credits.call("send", supplier, 100, sender=buyer))
    print(f"   balances: supplier {credits.view('balance', supplier)}, buyer {credits.view('balance', buyer)}")

    on_chain(contracts)

    step("the compiler refuses to copy an asset")
    bad = """contract Copy {
    asset struct Credit { amount: u64 }
    state vault: map<address, Credit>;
    pub fn dup(to: address) {
        let c = take(vault[msg.sender]);
        vault[to] = c;
        vault[msg.sender] = c;
    }
}
"""
    try:
        compile_text(bad, "copy.ctr")
    except CompileErrors as exc:
        for line in exc.render().splitlines():
            print(f"   {line}")
    print("\ndone.")
    return 0


def on_chain(contracts: Path) -> None:
    """The same sale as signed transactions on a persistent chain, then proven and verified."""
    step("the same sale on a persistent chain: signed transactions, blocks in LMDB")
    with tempfile.TemporaryDirectory(prefix="contractvm-demo-") as data:
        chain = Chain.open(data)
        operator, supplier, buyer, regulator = (dev_keypair(i) for i in range(4))
        market = compile_file(contracts / "data_market.ctr")

        def send(signer: Keypair, build: Callable[[TxBuilder, int], Transaction]) -> Receipt:
            return chain.send(build(TxBuilder(signer, chain.genesis.chain_id), chain.nonce(signer.address)))

        address = send(operator, lambda b, n: b.deploy(market.bytecode, (regulator.address, 5), nonce=n,
                                                     fee_per_gas=1)).contract_address
        send(supplier, lambda b, n: b.call(address, market.program, "list", (bytes(32), 1_000), nonce=n))
        send(regulator, lambda b, n: b.call(address, market.program, "certify", (0,), nonce=n))
        bought = send(buyer, lambda b, n: b.call(address, market.program, "buy", (0, 30), nonce=n, value=1_000,
                                                 fee_per_gas=1))
        head = chain.head
        print(f"   {head.height} blocks; the buy used {bought.gas_used} gas and paid a fee of {bought.fee_paid}; "
              f"state root {head.state_root.hex()[:16]}…")
        key = layout.grant_key("read", U64, 0, buyer.address)
        value, proof, root = chain.storage(address, key)
        proven = verify_proof(root, keys.tree_key(keys.storage_key(address, key)), value, proof)
        print(f"   the buyer's grant, proven against the header's state root with a {len(proof.to_bytes())}-byte "
              f"proof: {proven}")
        report = verify_chain(chain.store, replay=True)
        print(f"   verify --replay: {'ok' if report.ok else report.render()}")
        chain.close()


if __name__ == "__main__":
    raise SystemExit(main())
